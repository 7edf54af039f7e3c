// Did the series' changed code run? The functions the series changes (Apply's ChangeMap)
// beside what the guest's profiler saw in each scenario (Console's CoverageObservation):
// per function, which scenarios reached it and how often. A run in which no traceable
// changed function ran is no evidence about the series: the judge calls it NOT-EXERCISED.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct SeriesCoverage: Sendable, Codable, Equatable {
  package struct Function: Sendable, Codable, Equatable {
    package var name: String
    package var file: String
    package var patches: [Int]
    /// Lines the series adds or removes in it.
    package var lines: Int
    /// The kernel can trace it (nil: not known, the profiler did not run).
    package var traceable: Bool?
    /// Functions of this name in the kernel when more than one (static functions of other
    /// files): the counts are theirs together.
    package var sameName: Int?
    /// Scenario name -> hits, over every boot; scenarios that did not reach it are absent.
    package var hits: [String: Int]
    package var total: Int { hits.values.reduce(0, +) }
  }

  package var functions: [Function]
  /// Changed lines outside any function, per file.
  package var outside: [String: Int]
  /// Why nothing could be traced, when the kernel has no function profiler.
  package var unavailable: String?
  /// true: a changed function ran; false: the kernel could trace some, and none ran; nil:
  /// nothing to say (no changed function, none traceable, or no profiler).
  package var exercised: Bool?
  /// One line for the reason and the summary.
  package var note: String

  /// `observations` are the boots' (nil for a boot whose console had no coverage lines);
  /// `scenarios` the plan's names, in KTAP order.
  package static func combine(_ changes: ChangeMap, observations: [CoverageObservation?], scenarios: [String]) -> SeriesCoverage {
    let seen = observations.compactMap { $0 }
    let unavailable = seen.compactMap(\.unavailable).first
    let profiled = !seen.isEmpty && unavailable == nil
    var functions: [Function] = []
    for changed in changes.functions {
      var hits: [String: Int] = [:]
      for observation in seen {
        for (number, counts) in observation.hits {
          guard let count = counts[changed.name], count > 0, number >= 1, number <= scenarios.count else { continue }
          hits[scenarios[number - 1], default: 0] += count
        }
      }
      let instances = seen.compactMap { $0.traceable[changed.name] }.max()
      functions.append(
        Function(
          name: changed.name, file: changed.file, patches: changed.patches, lines: changed.lines,
          traceable: profiled ? instances != nil : nil, sameName: (instances ?? 0) > 1 ? instances : nil, hits: hits))
    }
    let traceable = functions.filter { $0.traceable == true }
    let ran = functions.filter { $0.total > 0 }
    let exercised: Bool? = traceable.isEmpty ? nil : !ran.isEmpty
    let note: String
    if changes.functions.isEmpty {
      note = "the series changes no C function (\(changes.outside.keys.sorted().joined(separator: ", ")))"
    } else if let unavailable {
      note = "coverage unknown: \(unavailable)"
    } else if !profiled {
      note = "coverage unknown: the guest printed no coverage"
    } else if traceable.isEmpty {
      note =
        "coverage unknown: none of the \(functions.count) changed functions can be traced (inlined or notrace): "
        + functions.map(\.name).joined(separator: ", ")
    } else if ran.isEmpty {
      note =
        "not exercised: none of the \(traceable.count) traceable changed functions ran in any scenario ("
        + traceable.map(\.name).joined(separator: ", ") + ")"
    } else {
      let untraced = functions.count - traceable.count
      note =
        "\(ran.count) of \(traceable.count) traceable changed functions ran"
        + (untraced > 0 ? " (\(untraced) cannot be traced)" : "") + ": "
        + ran.map { "\($0.name) \($0.total)x" }.joined(separator: ", ")
    }
    return SeriesCoverage(functions: functions, outside: changes.outside, unavailable: unavailable, exercised: exercised, note: note)
  }
}

// Which kernel functions each scenario reaches, measured once per base, config and watched
// folder set by a boot of the base that runs every scenario with the function profiler
// filtered to every function of the folders the series touches; and the choice it makes
// for a series that names no scenarios: the scenarios that reach what the series changes.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package struct ScenarioReach: Sendable, Codable, Equatable {
  package var schema = "patchcheck-reach/1"
  /// What it was measured on: the base commit, the folders watched, the config's hash.
  package var base: String
  package var folders: [String]
  package var config: String
  /// Functions watched (defined in the folders' C files) and how many the kernel could trace.
  package var watched: Int
  package var traceable: Int
  /// Scenario -> function -> hits.
  package var scenarios: [String: [String: Int]]
  /// Scenarios whose counts were read whole (one that did not run has no reach known).
  package var measured: [String]
  /// Scenarios that did not run whole on the base (a step the kernel does not support):
  /// never chosen, since they would not run whole on the series either.
  package var skipped: [String] = []
  /// The reach boot's runner got to its end (not stopped by the host's limits): the map is
  /// what this base gives, scenarios a hang left unmeasured included, and is kept.
  package var finished = true

  package init(
    base: String, folders: [String], config: String, watched: Int, traceable: Int, scenarios: [String: [String: Int]],
    measured: [String], skipped: [String] = []
  ) {
    self.skipped = skipped
    self.base = base
    self.folders = folders
    self.config = config
    self.watched = watched
    self.traceable = traceable
    self.scenarios = scenarios
    self.measured = measured
  }

  /// Adds what a later boot of the same base measured (scenarios an earlier boot left
  /// unrun): the map is finished only when every boot's runner got to its end.
  package mutating func merge(_ other: ScenarioReach) {
    scenarios.merge(other.scenarios) { _, new in new }
    measured += other.measured.filter { !measured.contains($0) }
    skipped += other.skipped.filter { !skipped.contains($0) }
    finished = finished && other.finished
  }

  /// This map (a first boot's) with what further boots of the scenarios still not known add:
  /// `boot(names, n)` boots those names as boot n (2, 3, ...) and returns what it read, nil
  /// when it read nothing. Boots stop when none is left unknown, after `boots` boots in all,
  /// when a boot was cut short (its runner did not finish) or read nothing, or when one adds
  /// no scenario: a base that hangs in the same scenario every time is not booted again.
  package func completed(
    among candidates: [String], boots: Int, boot: ([String], Int) throws -> ScenarioReach?
  ) rethrows -> ScenarioReach {
    var reach = self
    var round = 2
    while reach.finished, round <= boots {
      let names = reach.unknown(among: candidates)
      guard !names.isEmpty, let more = try boot(names, round) else { break }
      let before = reach.measured.count
      reach.merge(more)
      if reach.measured.count == before { break }
      round += 1
    }
    return reach
  }

  /// The names among `candidates` whose reach is not known: neither read nor skipped (an
  /// earlier scenario's hang left them unrun).
  package func unknown(among candidates: [String]) -> [String] {
    candidates.filter { !measured.contains($0) && !skipped.contains($0) }
  }

  /// The folders whose functions are watched for a series: those of the C files it changes.
  package static func folders(of changes: ChangeMap) -> [String] {
    let files = changes.functions.map(\.file) + changes.outside.keys.filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }
    return Array(Set(files.map { ($0 as NSString).deletingLastPathComponent })).filter { !$0.isEmpty }.sorted()
  }
}

/// How the run's scenarios were chosen, and why each.
package struct ScenarioChoice: Sendable, Codable, Equatable {
  package enum Method: String, Sendable, Codable {
    /// Named with --scenarios (or given whole).
    case flag
    /// Named by the series' manifest.
    case manifest
    /// Those that reach the series' changed functions on the base.
    case reach
    /// One scenario of a review's plan.
    case review
    /// The defaults: no series to choose for, or coverage off.
    case `default`
  }

  package var how: Method
  package var scenarios: [String]
  /// Scenario -> why (for "reach": the changed functions it reaches, with hits).
  package var reasons: [String: String]
  /// Changed functions no measured scenario reaches (for "reach").
  package var unreached: [String]
  package var note: String

  package init(how: Method, scenarios: [String], reasons: [String: String] = [:], unreached: [String] = [], note: String) {
    self.how = how
    self.scenarios = scenarios
    self.reasons = reasons
    self.unreached = unreached
    self.note = note
  }

  /// The candidates (in their order) that reach a changed function at the base, and those
  /// whose reach is not known (the base's boot stopped before them: never narrowed away on
  /// no evidence); none of either: `fallback`, said so.
  package static func byReach(_ reach: ScenarioReach, changes: ChangeMap, candidates: [String], fallback: [String]) -> ScenarioChoice {
    let names = changes.names
    var reasons: [String: String] = [:]
    for candidate in candidates where !reach.skipped.contains(candidate) {
      guard let hits = reach.scenarios[candidate] else { continue }
      let reached = names.compactMap { name in hits[name].map { "\(name) \($0)x" } }
      if !reached.isEmpty { reasons[candidate] = "reaches " + reached.joined(separator: ", ") }
    }
    let unknown = reach.unknown(among: candidates)
    for candidate in unknown { reasons[candidate] = "reach not known: the base's boot stopped before it" }
    let reachedAny = Set(reasons.keys.flatMap { reach.scenarios[$0].map { Array($0.keys) } ?? [] })
    let unreached = names.filter { !reachedAny.contains($0) }
    let chosen = candidates.filter { reasons[$0] != nil }
    // Scenarios whose reach is not known are kept beside those that reach the change, never
    // in place of the defaults: on a base that hangs in a race, the races after it are never
    // measured, and would otherwise be all a series nothing reaches gets.
    if chosen.allSatisfy({ unknown.contains($0) }) {
      let unrun = unknown.isEmpty ? "" : "; reach not known, not run: \(unknown.joined(separator: ", "))"
      return ScenarioChoice(
        how: .reach, scenarios: fallback,
        reasons: Dictionary(uniqueKeysWithValues: fallback.map { ($0, "default: no scenario reaches the changed code") }),
        unreached: unreached,
        note:
          "no scenario reaches what the series changes (\(names.joined(separator: ", "))) on \(reach.base.prefix(12)); "
          + "running the defaults \(fallback.joined(separator: ", "))\(unrun)")
    }
    let missing =
      unreached.isEmpty ? "" : "; reached by none\(unknown.isEmpty ? "" : " measured"): \(unreached.joined(separator: ", "))"
    let notKnown = unknown.isEmpty ? "" : "; reach not known, kept: \(unknown.joined(separator: ", "))"
    let left = candidates.filter { reach.skipped.contains($0) }
    let skipped = left.isEmpty ? "" : "; left out, they do not run whole on the base: \(left.joined(separator: ", "))"
    return ScenarioChoice(
      how: .reach, scenarios: chosen, reasons: reasons, unreached: unreached,
      note: "chosen by what they reach on the base: \(chosen.joined(separator: ", "))\(missing)\(skipped)\(notKnown)")
  }
}

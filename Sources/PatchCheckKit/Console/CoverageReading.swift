// What the guest's coverage lines say (Guest/CoverageProgram.swift): which of the asked-for
// functions the kernel can trace, and each scenario's hit count per function (the
// differences between the profiler's totals read after each scenario).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct CoverageObservation: Sendable, Equatable {
  /// The kernel has no function profiler (the reason the runner gave).
  package var unavailable: String?
  /// Traceable names, with how many functions of that name the kernel has.
  package var traceable: [String: Int] = [:]
  package var untraceable: [String] = []
  /// Scenario number (1-based, as in the KTAP plan) -> function -> hits.
  package var hits: [Int: [String: Int]] = [:]
  /// Scenarios whose counts were read whole.
  package var read: Set<Int> = []

  package init() {}
}

package enum CoverageReading {
  /// The coverage lines of a console, or nil when it has none (coverage was not asked for).
  package static func read(_ console: String) -> CoverageObservation? {
    guard console.contains(CoverageProgram.prefix) else { return nil }
    var seen = CoverageObservation()
    // Totals since the profiler started, as read after each scenario.
    var totals: [Int: [String: Int]] = [:]
    // The serial console ends lines with CRLF: one Character to Swift, a newline all the same.
    for raw in console.split(whereSeparator: \.isNewline) {
      guard let range = raw.range(of: CoverageProgram.prefix) else { continue }
      let words = raw[range.upperBound...].split(separator: " ").map(String.init)
      guard let kind = words.first else { continue }
      switch kind {
      case "unavailable:":
        seen.unavailable = words.dropFirst().joined(separator: " ")
      case "traceable" where words.count >= 3:
        seen.traceable[words[1]] = Int(words[2]) ?? 1
      case "untraceable" where words.count >= 2:
        seen.untraceable.append(words[1])
      case "total" where words.count >= 4:
        guard let scenario = Int(words[1]), let count = Int(words[3]) else { continue }
        // The profiler prints at most 30 characters of a name: a longer one is the
        // traceable name it begins (the filter holds only the names asked for).
        let name = fullName(words[2], among: seen.traceable.keys)
        totals[scenario, default: [:]][name, default: 0] += count
      case "scenario" where words.count >= 3:
        if let scenario = Int(words[1]) { seen.read.insert(scenario) }
      default:
        continue
      }
    }
    // Each scenario's hits: its totals less those read after the scenario before it.
    var previous: [String: Int] = [:]
    for scenario in seen.read.sorted() {
      let now = totals[scenario] ?? [:]
      var hits: [String: Int] = [:]
      for (name, count) in now where count > previous[name] ?? 0 { hits[name] = count - (previous[name] ?? 0) }
      if !hits.isEmpty { seen.hits[scenario] = hits }
      previous.merge(now) { max($0, $1) }
    }
    return seen
  }

  package static func fullName(_ printed: String, among names: Dictionary<String, Int>.Keys) -> String {
    if names.contains(printed) || printed.count < 30 { return printed }
    let candidates = names.filter { $0.hasPrefix(printed) }
    return candidates.count == 1 ? candidates[candidates.startIndex] : printed
  }
}

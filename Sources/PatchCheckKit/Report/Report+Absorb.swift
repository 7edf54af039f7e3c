// The report takes in the boots of one build: the first boot's details, the reports of
// every boot merged by title, and the worst verdict.

import Foundation

extension Report {
  /// Takes in the boots of one build: the first boot's details, every boot's reports (one
  /// entry per title, with how many boots hit it), and the worst verdict.
  package mutating func absorb(_ boots: [BootOutcome]) {
    guard let first = boots.first else { return }
    boot = first.boot
    scenarios = first.scenarios
    var merged: [Splat] = []
    for outcome in boots {
      for splat in outcome.splats {
        if let i = merged.firstIndex(where: { $0.title == splat.title }) {
          merged[i].boots = (merged[i].boots ?? 1) + 1
        } else {
          var copy = splat
          copy.boots = 1
          merged.append(copy)
        }
      }
    }
    splats = merged
    if boots.count > 1 {
      repeats = boots.map {
        RepeatSummary(index: $0.index, verdict: $0.verdict, reason: $0.reason, titles: $0.splats.map(\.title), console: $0.console)
      }
    }
    let worst = boots.first { $0.verdict != .pass } ?? first
    let hit = boots.filter { $0.verdict == worst.verdict }.count
    let tally = boots.count > 1 ? " (\(hit) of \(boots.count) boots)" : ""
    conclude(worst.verdict, worst.reason + tally, exitCode: worst.exitCode)
  }
}

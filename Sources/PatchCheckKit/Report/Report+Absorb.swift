// The report takes in the boots of one build: the first boot's details, the reports of
// every boot merged by title, and the worst verdict.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

extension Report {
  /// Takes in the boots of one build: the first boot's details, every boot's reports (one
  /// entry per title, with how many boots hit it), and the worst verdict.
  package mutating func absorb(_ boots: [BootOutcome], baseline: BaseFindings? = nil) {
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
    if let baseline {
      self.baseline = baseline
      let known = baseline.titles
      for index in splats.indices where known.contains(splats[index].title) { splats[index].preExisting = true }
      let entries = splats.filter { $0.preExisting == true }.compactMap {
        baseline.preExisting($0, seriesBoots: $0.boots ?? 1, seriesRuns: boots.count)
      }
      preExisting = entries.isEmpty ? nil : entries
    }
    if boots.count > 1 {
      repeats = boots.map {
        RepeatSummary(index: $0.index, verdict: $0.verdict, reason: $0.reason, titles: $0.splats.map(\.title), console: $0.console)
      }
    }
    let worst = boots.first { $0.verdict != .pass } ?? first
    let hit = boots.filter { $0.verdict == worst.verdict }.count
    let tally = boots.count > 1 ? " (\(hit) of \(boots.count) boots)" : ""
    // A title the base shows only sometimes, shown more often with the series: said, with p.
    let oftener = (preExisting ?? []).filter { $0.clear == true }.map {
      "; \($0.title) is racy on the base and shows more often with the series (\(String(format: "p = %.2f", $0.p ?? 1)))"
    }.joined()
    conclude(worst.verdict, worst.reason + tally + oftener, exitCode: worst.exitCode)
  }
}

extension BaseFindings {
  /// The report's entry for a title both sides show: the counts, and Fisher's p when the base
  /// shows it only sometimes (racy there), so "more often with the series" can be said.
  package func preExisting(_ splat: Splat, seriesBoots: Int, seriesRuns: Int) -> TitleComparison? {
    guard let base = tally(splat.title) else { return nil }
    let series = Tally(hits: seriesBoots, runs: seriesRuns)
    let p: Double? = base.hits < base.runs ? Rates.fisherOneSided(more: series, than: base) : nil
    return TitleComparison(
      title: splat.title, kind: splat.kind, label: .preExisting, seriesBoots: series.hits, baseBoots: base.hits,
      seriesRuns: series.runs, baseRuns: base.runs, p: p, clear: p.map(Rates.pastChance))
  }
}

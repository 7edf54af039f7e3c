// With --compare-base: the base's own run and every report title labelled new, fixed or
// pre-existing by comparing the boots with the series against the boots of the base.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct TitleComparison: Sendable, Codable, Equatable {
  package enum Label: String, Sendable, Codable {
    /// Only with the series applied.
    case new
    /// Only on the base: the series makes it go away.
    case fixed
    /// On both.
    case preExisting = "pre-existing"
  }
  package var title: String
  package var kind: Splat.Kind
  package var label: Label
  /// Boots that hit it, with the series and on the base.
  package var seriesBoots: Int
  package var baseBoots: Int
  /// Boots run with the series and on the base (nil in reports written before they were kept).
  package var seriesRuns: Int?
  package var baseRuns: Int?
  /// For `new` (`fixed`): Fisher's one-sided p of the series' boots (the base's) hitting it
  /// more often than the other side's by chance. nil for `pre-existing`.
  package var p: Double?
  /// Whether `p` is past chance (at most 0.05): only then does the comparison show that the
  /// series brings the report (takes it away). One boot on each side never does (p = 0.50).
  package var clear: Bool?

  /// One line for a person: the label, the counts, and how sure they make it.
  package var sentence: String {
    let counts =
      "series \(seriesBoots)\(seriesRuns.map { "/\($0)" } ?? ""), base \(baseBoots)\(baseRuns.map { "/\($0)" } ?? "") boot(s)"
    guard let p, let clear else { return "\(label.rawValue): \(title) (\(counts))" }
    let odds = String(format: "p = %.2f", p)
    if label == .preExisting {
      // Only a base that shows it sometimes gets a p: does the series show it more often?
      let more = clear ? "more often with the series: past chance, \(odds)" : "not clearly more often with the series, \(odds)"
      return "\(label.rawValue): \(title) (\(counts); racy on the base, \(more))"
    }
    let how =
      clear
      ? "past chance, \(odds)"
      : "not yet clear, \(odds): more boots on both sides (--repeat N) tell"
    return "\(label.rawValue): \(title) (\(counts); \(how))"
  }
}

package struct BaseComparison: Sendable, Codable {
  package var base: String
  package var verdict: Verdict
  package var reason: String
  package var titles: [TitleComparison]
  /// Scenario results on the base, first boot.
  package var scenarios: [ScenarioResult]

  package init(base: String, verdict: Verdict, reason: String, titles: [TitleComparison], scenarios: [ScenarioResult]) {
    self.base = base
    self.verdict = verdict
    self.reason = reason
    self.titles = titles
    self.scenarios = scenarios
  }

  /// Labels every title seen in either run.
  package init(series: [BootOutcome], base: [BootOutcome], baseName: String) {
    func hits(_ boots: [BootOutcome]) -> [String: (Splat.Kind, Int)] {
      var result: [String: (Splat.Kind, Int)] = [:]
      for boot in boots {
        for title in Set(boot.splats.map(\.title)) {
          let kind = boot.splats.first { $0.title == title }?.kind ?? .warning
          result[title] = (kind, (result[title]?.1 ?? 0) + 1)
        }
      }
      return result
    }
    let withSeries = hits(series)
    let onBase = hits(base)
    var titles: [TitleComparison] = []
    for title in Set(withSeries.keys).union(onBase.keys).sorted() {
      let s = Tally(hits: withSeries[title]?.1 ?? 0, runs: series.count)
      let b = Tally(hits: onBase[title]?.1 ?? 0, runs: base.count)
      let kind = withSeries[title]?.0 ?? onBase[title]?.0 ?? .warning
      let label: TitleComparison.Label = s.seen && b.seen ? .preExisting : s.seen ? .new : .fixed
      let p: Double? =
        switch label {
        case .new: Rates.fisherOneSided(more: s, than: b)
        case .fixed: Rates.fisherOneSided(more: b, than: s)
        case .preExisting: nil
        }
      titles.append(
        TitleComparison(
          title: title, kind: kind, label: label, seriesBoots: s.hits, baseBoots: b.hits, seriesRuns: s.runs, baseRuns: b.runs,
          p: p, clear: p.map(Rates.pastChance)))
    }
    let first = base.first { $0.verdict != .pass } ?? base.first
    self.init(
      base: baseName, verdict: first?.verdict ?? .infraError, reason: first?.reason ?? "no boot", titles: titles,
      scenarios: base.first?.scenarios ?? [])
  }
}

// With --compare-base: the base's own run and every report title labelled new, fixed or
// pre-existing by comparing the boots with the series against the boots of the base.

import Foundation

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
      let s = withSeries[title]?.1 ?? 0
      let b = onBase[title]?.1 ?? 0
      let kind = withSeries[title]?.0 ?? onBase[title]?.0 ?? .warning
      titles.append(
        TitleComparison(
          title: title, kind: kind, label: s > 0 && b > 0 ? .preExisting : s > 0 ? .new : .fixed, seriesBoots: s, baseBoots: b))
    }
    let first = base.first { $0.verdict != .pass } ?? base.first
    self.init(
      base: baseName, verdict: first?.verdict ?? .infraError, reason: first?.reason ?? "no boot", titles: titles,
      scenarios: base.first?.scenarios ?? [])
  }
}

// The runs of a review, added up by title: hits/runs per kernel, the label (new, fixed,
// pre-existing, breaks bisection), the patch that introduced and the one that fixed it, and
// the claim the numbers support with its bound. Titles are syzkaller-style and stable across
// runs, so one bug in twenty boots is one finding.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

/// Where a finding's excerpt comes from: its first report, the others of that boot (for the
/// wait-for cycle), and the run's folder.
package struct FindingEvidence: Sendable {
  package var splat: Splat?
  package var among: [Splat]
  package var folder: String

  package init(splat: Splat?, among: [Splat], folder: String) {
    self.splat = splat
    self.among = among
    self.folder = folder
  }

  /// The evidence of every title in a run's report (the report's first entry of each).
  package static func of(_ report: Report, folder: String) -> [String: FindingEvidence] {
    var result: [String: FindingEvidence] = [:]
    for splat in report.splats where result[splat.title] == nil {
      result[splat.title] = FindingEvidence(splat: splat, among: report.splats, folder: folder)
    }
    return result
  }
}

package enum ReviewFindings {
  /// Every title seen in `runs`, on kernels 0 (the base) to `patchCount` (the series).
  /// `races`: the scenarios whose files say `race: true` (`Scenario.race`, the witness's
  /// definition too): a title they show is racy. `reproduce(scenario, patches)` is the
  /// command that reruns it.
  package static func aggregate(
    _ runs: [ReviewRun], patchCount: Int, races: Set<String>, evidence: [String: FindingEvidence],
    reproduce: (_ scenario: String, _ patches: Int) -> String
  ) -> (findings: [ReviewFinding], quiet: [QuietScenario]) {
    var titles: [String] = []
    var scenariosOf: [String: Set<String>] = [:]
    for run in runs {
      for title in run.boots.joined() {
        if scenariosOf[title] == nil { titles.append(title) }
        scenariosOf[title, default: []].insert(run.scenario)
      }
    }
    func tally(_ title: String?, scenarios: Set<String>, patches: Int) -> Tally {
      let boots = runs.filter { $0.patches == patches && scenarios.contains($0.scenario) }.flatMap(\.boots)
      return Tally(hits: title.map { t in boots.filter { $0.contains(t) }.count } ?? 0, runs: boots.count)
    }
    var findings: [ReviewFinding] = []
    for title in titles {
      let scenarios = scenariosOf[title] ?? []
      let kernels = (0...patchCount).map { tally(title, scenarios: scenarios, patches: $0) }
      let found = evidence[title]
      let racy = !scenarios.isDisjoint(with: races) || kernels.contains { $0.hits > 0 && $0.hits < $0.runs }
      var finding = judge(title: title, kernels: kernels, racy: racy)
      finding.kind = found?.splat?.kind.rawValue ?? "scenario"
      finding.scenarios = scenarios.sorted()
      finding.excerpt = found?.splat?.excerpt ?? []
      finding.evidence = found?.folder ?? ""
      finding.deadlock = found?.splat.flatMap { Deadlock.explain($0, among: found?.among ?? []) }
      let at = finding.label == .fixed || finding.label == .preExisting ? patchCount : finding.introducedBy ?? patchCount
      finding.reproduce = reproduce(finding.scenarios.first ?? "", at)
      findings.append(finding)
    }
    let order: [ReviewFinding.Label] = [.new, .breaksBisection, .fixed, .preExisting]
    findings.sort {
      (order.firstIndex(of: $0.label) ?? 0, $0.title) < (order.firstIndex(of: $1.label) ?? 0, $1.title)
    }
    var quiet: [QuietScenario] = []
    let noisy = Set(scenariosOf.values.joined())
    for scenario in Set(runs.map(\.scenario)).subtracting(noisy).sorted() {
      let base = tally(nil, scenarios: [scenario], patches: 0)
      let series = tally(nil, scenarios: [scenario], patches: patchCount)
      quiet.append(
        QuietScenario(
          scenario: scenario, base: base, series: series,
          claim: "not seen: \(series) on the series, \(base) on the base; rate with the series below "
            + "\(Rates.percent(Rates.upperBound(series))) at 95% confidence"))
    }
    return (findings, quiet)
  }

  /// Label, introducing and fixing patch, and the claim, from the tallies per kernel.
  package static func judge(title: String, kernels: [Tally], racy: Bool) -> ReviewFinding {
    let base = kernels[0]
    let series = kernels[kernels.count - 1]
    let n = kernels.count - 1
    let lastSeen = kernels.lastIndex { $0.seen } ?? 0
    let introducedBy = base.seen ? nil : kernels.indices.dropFirst().first { kernels[$0].seen }
    let fixedBy = series.seen ? nil : kernels.indices.first { $0 > lastSeen && kernels[$0].runs > 0 }
    let label: ReviewFinding.Label =
      base.seen && series.seen ? .preExisting : series.seen ? .new : base.seen ? .fixed : .breaksBisection
    let sides = "\(series) on the series, \(base) on the base"
    let claim: String
    let clear: Bool
    switch label {
    case .new, .fixed:
      // One side hits, the other never: past chance, the bound on the side that never hits.
      let (hit, never) = label == .new ? (series, base) : (base, series)
      let p = Rates.fisherOneSided(more: hit, than: never)
      clear = !racy || Rates.pastChance(p)
      let bound =
        label == .new
        ? "rate with the series above \(Rates.percent(Rates.lowerBound(series))), on the base below "
          + "\(Rates.percent(Rates.upperBound(base)))"
        : "rate on the series below \(Rates.percent(Rates.upperBound(series)))"
      claim =
        "\(label.rawValue): \(sides)"
        + (!racy
          ? " (deterministic scenario, one run per kernel)"
          : clear
            ? "; \(bound) at 95% confidence"
            : "; not yet clear, this could be chance (one-sided Fisher p = \(String(format: "%.2f", p)))")
    case .preExisting:
      clear = true
      let flaky = base.hits < base.runs || series.hits < series.runs
      var text = flaky ? "flaky: seen on the base too (\(sides))" : "pre-existing: \(sides)"
      let more = Rates.fisherOneSided(more: series, than: base)
      let less = Rates.fisherOneSided(more: base, than: series)
      if Rates.pastChance(more) { text += String(format: "; more often with the series (p = %.3f)", more) }
      if Rates.pastChance(less) { text += String(format: "; less often with the series (p = %.3f)", less) }
      claim = text
    case .breaksBisection:
      let at = introducedBy ?? 1
      let p = Rates.fisherOneSided(more: kernels[at], than: base)
      clear = !racy || Rates.pastChance(p)
      claim =
        "breaks bisection: \(kernels[at]) with \(ReviewKernel.label(at, of: n)), \(sides)"
        + (fixedBy.map { "; gone with patch \($0)/\(n)" } ?? "")
        + (clear ? "" : String(format: "; not yet clear (one-sided Fisher p = %.2f against the base)", p))
    }
    return ReviewFinding(
      title: title, kind: "", label: label, scenarios: [], base: base, series: series, kernels: kernels,
      introducedBy: introducedBy, fixedBy: fixedBy, racy: racy, claim: claim, clear: clear, excerpt: [], evidence: "",
      deadlock: nil, reproduce: "")
  }
}

// The run's report: verdict, series, base, per-patch and per-hunk results, config check,
// build, boot, scenarios, kernel reports, phase times and tool versions. Written as
// report.json (sorted keys), junit.xml and summary.md beside console.log and build.log.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct Report: Sendable, Codable {
  package var schema = "patchcheck-report/1"
  package var run: String
  package var startedAt: Date
  package var verdict: Verdict
  /// One line: why this verdict.
  package var reason: String
  /// The error that stopped the run, if one did.
  package var error: String?
  package var exitCode: Int32
  package var series: SeriesSummary?
  package var base: BaseResolution?
  package var branch: String?
  package var head: String?
  package var patches: [PatchResult] = []
  /// The variant's edits and what each touched.
  package var edits: [AppliedEdit] = []
  package var expectation: ExpectationResult?
  package var config: ConfigCheck?
  package var build: BuildResult?
  package var boot: BootResult?
  /// How the scenarios were chosen and why each (for a series that names none: by reach).
  package var scenarioChoice: ScenarioChoice?
  package var scenarios: [ScenarioResult] = []
  package var splats: [Splat] = []
  /// Which of the series' changed functions each scenario reached (nil: not traced).
  package var coverage: SeriesCoverage?
  /// Seconds per phase (in the JSON, an object keyed by the phase's name).
  package var phases: [Phase: Double] = [:]
  /// With --repeat: each boot's verdict and report titles.
  package var repeats: [RepeatSummary]?
  /// With --compare-base: the base's run and each title labelled.
  package var baseComparison: BaseComparison?
  /// What the unpatched base shows with the same scenarios, when the series' boots had
  /// reports to tell apart (nil: nothing to tell apart, --strict, or no series).
  package var baseline: BaseFindings?
  /// The series' reports the base shows too: listed with their counts, not by themselves a FAIL.
  package var preExisting: [TitleComparison]?
  /// Why the base could not be asked (then any report fails, as with --strict).
  package var baselineNote: String?
  /// Judged with --strict: any kernel report fails.
  package var strict: Bool?
  package var tools = ToolVersions()
  package var files: [String: String] = [:]
  /// Set by `patchcheck ci`: the tag and the key the results database knows the run by.
  package var ci: CIInfo?

  package init(run: String, startedAt: Date) {
    self.run = run
    self.startedAt = startedAt
    verdict = .infraError
    reason = "not finished"
    exitCode = Verdict.infraError.exitCode
  }

  package mutating func conclude(_ verdict: Verdict, _ reason: String, exitCode: Int32? = nil) {
    self.verdict = verdict
    self.reason = reason
    self.exitCode = exitCode ?? verdict.exitCode
  }

  /// What failed, by title: the kernel's reports the base does not show too, else the
  /// scenarios that did not pass. Bisect and ci's history compare these between commits.
  package var failureTitles: [String] {
    let titles = newSplats.map(\.title)
    guard titles.isEmpty else { return titles }
    return scenarios.filter { $0.result != .pass && $0.result != .skip }.map { "scenario \($0.name): \($0.result.rawValue)" }
  }

  /// The kernel reports the series brings (all of them when the base was not asked).
  package var newSplats: [Splat] { splats.filter { $0.preExisting != true } }

  package func jsonData() throws -> Data {
    try JSON.encode(self)
  }
}

/// The timed phases of a run, in the order they happen (`total` spans them all).
package enum Phase: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable, Comparable {
  case apply, checkout, reach, configure, build, initramfs, boot, analysis, base
  case baseFindings = "base-findings"
  case total

  package static func < (a: Phase, b: Phase) -> Bool {
    (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
  }
}

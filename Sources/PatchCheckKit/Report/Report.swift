// The run's report: verdict, series, base, per-patch and per-hunk results, config check,
// build, boot, scenarios, kernel reports, phase times and tool versions. Written as
// report.json (sorted keys), junit.xml and summary.md beside console.log and build.log.

import Foundation

public struct Report: Sendable, Codable {
  public var schema = "patchcheck-report/1"
  public var run: String
  public var startedAt: Date
  public var verdict: Verdict
  /// One line: why this verdict.
  public var reason: String
  /// The error that stopped the run, if one did.
  public var error: String?
  public var exitCode: Int32
  public var series: SeriesSummary?
  public var base: BaseResolution?
  public var branch: String?
  public var head: String?
  public var patches: [PatchResult] = []
  /// The variant's edits and what each touched.
  public var edits: [AppliedEdit] = []
  public var expectation: ExpectationResult?
  public var config: ConfigCheck?
  public var build: BuildResult?
  public var boot: BootResult?
  public var scenarios: [ScenarioResult] = []
  public var splats: [Splat] = []
  /// Seconds per phase: apply, configure, build, guest, boot, analyze, total.
  public var phases: [String: Double] = [:]
  /// With --repeat: each boot's verdict and report titles.
  public var repeats: [RepeatSummary]?
  /// With --compare-base: the base's run and each title labelled.
  public var baseComparison: BaseComparison?
  public var tools = ToolVersions()
  public var files: [String: String] = [:]
  /// Set by `patchcheck ci`: the tag and the key the results database knows the run by.
  public var ci: CIInfo?

  public init(run: String, startedAt: Date) {
    self.run = run
    self.startedAt = startedAt
    verdict = .infraError
    reason = "not finished"
    exitCode = Verdict.infraError.exitCode
  }

  public mutating func conclude(_ verdict: Verdict, _ reason: String, exitCode: Int32? = nil) {
    self.verdict = verdict
    self.reason = reason
    self.exitCode = exitCode ?? verdict.exitCode
  }

  /// What failed, by title: the kernel's reports, else the scenarios that did not pass.
  /// Bisect compares these between commits.
  public var failureTitles: [String] {
    let titles = splats.map(\.title)
    guard titles.isEmpty else { return titles }
    return scenarios.filter { $0.result != .pass && $0.result != .skip }.map { "scenario \($0.name): \($0.result.rawValue)" }
  }

  public func jsonData() throws -> Data {
    try JSON.encode(self)
  }
}

// The run's report: verdict, series, base, per-patch and per-hunk results, config check,
// build, boot, scenarios, kernel reports, phase times and tool versions. Written as
// report.json (sorted keys), junit.xml and summary.md beside console.log and build.log.

import Foundation

public enum Verdict: String, Sendable, Codable, CaseIterable {
  case pass = "PASS"
  case fail = "FAIL"
  /// No kernel report and no scenario failed, but a selected scenario did not run all its
  /// steps (the kernel lacks what it needs): not evidence that the series is good.
  case skip = "SKIP"
  case applyFail = "APPLY-FAIL"
  case buildFail = "BUILD-FAIL"
  case infraError = "INFRA-ERROR"
  /// The variant's manifest says what its run must show, and it did not (a negative
  /// control that passed, a backport that stopped applying).
  case expectationUnmet = "EXPECTATION-UNMET"
  /// Interrupted (Ctrl-C, SIGTERM): the report holds what was done until then.
  case aborted = "ABORTED"

  /// Documented in README.md ("Exit codes").
  public var exitCode: Int32 {
    switch self {
    case .pass: 0
    case .fail: 1
    case .skip: 9
    case .applyFail: 3
    case .buildFail: 4
    case .infraError: 5
    case .expectationUnmet: 7
    case .aborted: 130
    }
  }
}

public struct SeriesSummary: Sendable, Codable {
  public var title: String
  public var version: Int?
  public var source: String
  public var messageID: String?
  public var manifest: String?
  public var variant: String
  public var patchCount: Int

  public init(_ series: Series, manifest: SeriesManifest?, variant: String) {
    title = series.title
    version = series.version
    source = series.source
    messageID = series.cover?.messageID ?? series.patches.first?.messageID
    self.manifest = manifest?.name
    self.variant = variant
    patchCount = series.patches.count
  }
}

public struct ToolVersions: Sendable, Codable {
  public var patchcheck = PatchCheckVersion.build
  public var libgit2 = LibGit2.version
  public var compiler: String?
  public var qemu: String?
  public var kernel: String?
}

public enum PatchCheckVersion {
  public static let current = "0.1.0"

  /// The version and a hash of the running executable: the real build, so verdicts cached
  /// by one build of patchcheck (its analyzer, its runner, its judge) are never taken for
  /// another's.
  public static let build: String = {
    guard
      let data = FileManager.default.contents(atPath: "/proc/self/exe")
        ?? CommandLine.arguments.first.flatMap({
          FileManager.default.contents(atPath: $0)
        })
    else { return "\(current)+unknown-\(UUID().uuidString.prefix(8))" }
    return "\(current)+\(SHA256Hex.of(data).prefix(16))"
  }()
}

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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return try encoder.encode(self)
  }
}

/// One boot: what the guest did and what the console showed.
public struct BootOutcome: Sendable {
  public var index: Int
  public var console: String
  public var boot: BootResult
  public var scenarios: [ScenarioResult]
  public var splats: [Splat]
  public var verdict: Verdict
  public var reason: String
  public var exitCode: Int32?
  /// Reading the console: KTAP, kernel reports, the verdict.
  public var analysisSeconds: Double = 0
}

public struct RepeatSummary: Sendable, Codable {
  public var index: Int
  public var verdict: Verdict
  public var reason: String
  public var titles: [String]
  public var console: String
}

public struct TitleComparison: Sendable, Codable, Equatable {
  public enum Label: String, Sendable, Codable {
    /// Only with the series applied.
    case new
    /// Only on the base: the series makes it go away.
    case fixed
    /// On both.
    case preExisting = "pre-existing"
  }
  public var title: String
  public var kind: Splat.Kind
  public var label: Label
  /// Boots that hit it, with the series and on the base.
  public var seriesBoots: Int
  public var baseBoots: Int
}

public struct BaseComparison: Sendable, Codable {
  public var base: String
  public var verdict: Verdict
  public var reason: String
  public var titles: [TitleComparison]
  /// Scenario results on the base, first boot.
  public var scenarios: [ScenarioResult]

  public init(base: String, verdict: Verdict, reason: String, titles: [TitleComparison], scenarios: [ScenarioResult]) {
    self.base = base
    self.verdict = verdict
    self.reason = reason
    self.titles = titles
    self.scenarios = scenarios
  }

  /// Labels every title seen in either run.
  public init(series: [BootOutcome], base: [BootOutcome], baseName: String) {
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

extension Report {
  /// Takes in the boots of one build: the first boot's details, every boot's reports (one
  /// entry per title, with how many boots hit it), and the worst verdict.
  public mutating func absorb(_ boots: [BootOutcome]) {
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

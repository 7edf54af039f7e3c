import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The judge fails closed: PASS only when the kernel that booted is the one built, the kernel
/// reported nothing, and every selected scenario ran whole. Each case here is a hole the
/// judge once had.
@Suite struct VerdictTests {
  static let finished = BootResult(
    accelerator: .tcg, acceleratorNote: nil, seconds: 60, secondsToRunner: 5, reachedRunner: true, runnerFinished: true,
    timedOut: false, exitStatus: 0, command: [])

  /// The real runner, under busybox: a scenario whose only real step the kernel cannot do
  /// (exit 77) is SKIP in the KTAP, and the run's verdict is SKIP with its own exit code.
  @Test func aScenarioThatDidNotRunWholeIsSkipNotPass() throws {
    let unsupported = Scenario(
      name: "vf-remove-like", summary: "a step this kernel cannot do",
      steps: [
        ScenarioStep(name: "setup", timeout: 5, script: "exit 0"),
        ScenarioStep(name: "remove one VF", timeout: 5, script: "exit 77"),
      ])
    let fine = Scenario(name: "fine", summary: "passes", steps: [ScenarioStep(name: "ok", timeout: 5, script: "exit 0")])
    let result = try HostRunner(try TempDir()).run([fine, unsupported])
    let scenarios = KTAPParser.parse(result.output, expected: ["fine", "vf-remove-like"])
    #expect(scenarios.map(\.result) == [.pass, .skip], "\(result.output)")
    let (verdict, reason, _) = Judge.verdict(boot: Self.finished, scenarios: scenarios, splats: [])
    #expect(verdict == .skip, "\(reason)")
    #expect(reason.contains("vf-remove-like ('remove one VF': not supported by this kernel)"), "\(reason)")
    #expect(Verdict.skip.exitCode == 9)
    // Every output says SKIP for it: JUnit marks it skipped, KCIDB "SKIP".
    var report = Report(run: "skip", startedAt: Date())
    report.boot = Self.finished
    report.scenarios = scenarios
    report.conclude(verdict, reason)
    let junit = JUnitWriter.xml(for: report)
    #expect(junit.contains("skipped"), "\(junit)")
    #expect(KCIDBWriter.status(scenarios[1].result) == "SKIP")
    #expect(SummaryWriter.markdown(for: report).contains("SKIP"))
  }

  /// A console from before the runner said SKIP itself (scenario ok, a step skipped) is read
  /// as SKIP too: the judge does not depend on the runner's version.
  @Test func anOkScenarioWithASkippedStepReadsAsSkip() {
    let ktap = """
      KTAP version 1
      1..1
          KTAP version 1
          1..2
          ok 1 find SR-IOV PF
          ok 2 remove one VF # SKIP not supported by this kernel
      ok 1 vf-remove
      """
    #expect(KTAPParser.parse(ktap).map(\.result) == [.skip])
  }

  /// A run with no scenario checks nothing: refused before anything is built.
  @Test func noScenarioIsAUsageError() throws {
    #expect(throws: PatchCheckError.self) { try ScenarioLibrary.named([]) }
    #expect(throws: PatchCheckError.self) { try ScenarioLibrary.checked([]) }
    do {
      _ = try ScenarioLibrary.named([])
    } catch let error as PatchCheckError {
      #expect(error.kind == .usage)
      #expect(error.exitCode == 2)
    }
    // `scenarios: []` in a manifest is the manifest's error, with its line.
    let dir = try TempDir()
    let manifest = dir.path("manifest.yaml")
    try "name: toy\nmessage-id: x@example.com\nscenarios: []\n".write(to: manifest, atomically: true, encoding: .utf8)
    do {
      _ = try SeriesManifest.load(manifest)
      Issue.record("an empty scenario list was accepted")
    } catch let error as PatchCheckError {
      #expect(error.kind == .manifest)
      #expect(error.message.contains("manifest.yaml:3"), "\(error.message)")
    }
  }

  /// A scenario that fails on the base too (a race the base itself deadlocks in) is not the
  /// series' failure: it did not run whole, so the verdict is SKIP, naming it; a scenario the
  /// base passes still FAILs the series.
  @Test func aScenarioThatFailsOnTheBaseTooIsNotTheSeriesFailure() {
    let pass = ScenarioResult(name: "numvfs", result: .pass, steps: [])
    let blocked = StepResult(number: 3, name: "iteration 1 (delay 0 s)", result: .timeout, directive: "TIMEOUT", diagnostics: [])
    let hung = ScenarioResult(name: "aer-race", result: .fail, steps: [blocked])
    let wedged = ScenarioResult(name: "hotplug-race", result: .skip, steps: [])
    let (own, reason, _) = Judge.verdict(boot: Self.finished, scenarios: [pass, hung, wedged], splats: [])
    #expect(own == .fail && reason.hasPrefix("scenario failed: aer-race"), "\(reason)")
    let (judged, why, code) = Judge.verdict(boot: Self.finished, scenarios: [pass, hung, wedged], splats: [], failing: ["aer-race"])
    #expect(judged == .skip && code == nil, "\(why)")
    #expect(why.contains("aer-race (fails on the base too)") && why.contains("failing on the base too: aer-race"), "\(why)")
    let (other, _, _) = Judge.verdict(boot: Self.finished, scenarios: [pass, hung], splats: [], failing: ["hotplug-race"])
    #expect(other == .fail)
  }

  /// The guest says which kernel it runs (`uname -r`, which carries the built commit's id);
  /// a boot of any other kernel, or one that does not say, is never judged.
  @Test func aBootOfAnotherKernelIsNeverJudged() throws {
    // A real console of the current runner (v10 on v7.3.4, all six scenarios).
    let log = try Fixtures.text("boot-v7.3.4-v10-all-scenarios.log")
    let release = try #require(RunnerScript.kernelRelease(in: log))
    #expect(release.hasPrefix("7.3.4-pc"), "\(release)")
    var boot = Self.finished
    boot.kernelRelease = release
    // The six the boot ran (v10's manifest), not every built-in scenario of today.
    let six = ["numvfs", "pf-remove", "unbind", "vf-remove", "race-numvfs-remove", "race-unbind-remove"]
    let scenarios = KTAPParser.parse(log, expected: six)
    let splats = ConsoleAnalyzer.reports(in: log)
    let (same, _, _) = Judge.verdict(boot: boot, scenarios: scenarios, splats: splats, expectedRelease: release)
    #expect(same == .skip, "vf-remove cannot run on 7.3.4: the run is not a PASS")
    let (other, reason, code) = Judge.verdict(boot: boot, scenarios: scenarios, splats: splats, expectedRelease: "7.3.4-pc000000000000")
    #expect(other == .infraError)
    #expect(code == 5)
    #expect(reason.contains("not the one just built"), "\(reason)")
    // An older console, whose runner did not say: not tied to the build, not judged.
    var silent = Self.finished
    silent.kernelRelease = RunnerScript.kernelRelease(in: try Fixtures.text("boot-v7.3.4-clean.log"))
    #expect(silent.kernelRelease == nil)
    let clean = try Fixtures.text("boot-v7.3.4-clean.log")
    let cleanScenarios = KTAPParser.parse(clean, expected: ["numvfs", "pf-remove"])
    #expect(Judge.verdict(boot: silent, scenarios: cleanScenarios, splats: [], expectedRelease: release).0 == .infraError)
    #expect(Judge.verdict(boot: silent, scenarios: cleanScenarios, splats: []).0 == .pass)
  }

  /// The real runner, under busybox: a task still in D state at the end gets the hung-task
  /// period and is then named, even though no step blocked on it.
  @Test func aTaskStuckAtTheEndIsNamedAfterTheHungTaskPeriod() throws {
    let dir = try TempDir()
    let host = try HostRunner(dir)
    try "4242 (sh) D 1 4242 4242 0 -1 4194560 0 0\n".write(to: host.taskStates, atomically: true, encoding: .utf8)
    let quick = Scenario(name: "quick", summary: "returns at once", steps: [ScenarioStep(name: "ok", timeout: 5, script: "exit 0")])
    let started = Date()
    let result = try host.run([quick], hungTaskTimeout: 1)
    #expect(result.output.contains(RunnerScript.stuckMarker + "sh:4242"), "\(result.output)")
    #expect(Date().timeIntervalSince(started) >= 4, "the runner must wait the hung-task period before naming it")
    let reports = StuckTasks.reports(in: result.output, besides: [])
    #expect(reports.map(\.kind) == [.hungTask])
    #expect(reports.first?.blocked?.task == "sh:4242")
    #expect(Judge.verdict(boot: Self.finished, scenarios: KTAPParser.parse(result.output), splats: reports).0 == .fail)

    // A task that leaves D state while the runner waits is not named.
    try "4243 (sh) D 1 4243 4243 0 -1 4194560 0 0\n".write(to: host.taskStates, atomically: true, encoding: .utf8)
    let clearing = Scenario(
      name: "clearing", summary: "the D-state task finishes",
      steps: [ScenarioStep(name: "later", timeout: 5, script: #"( sleep 1; : > "$PATCHCHECK_PROC/1/stat" ) & exit 0"#)])
    let calm = try host.run([clearing], hungTaskTimeout: 5)
    #expect(!calm.output.contains(RunnerScript.stuckMarker), "\(calm.output)")
  }

  /// A verdict the variant did not expect is EXPECTATION-UNMET everywhere it is recorded.
  @Test func theDatabaseRecordsAnUnmetExpectation() throws {
    var report = Report(run: "control", startedAt: Date())
    report.boot = Self.finished
    report.conclude(.pass, "2 scenarios passed, no kernel reports")
    report.check(SeriesManifest.Expectation(verdict: .fail, splat: nil))
    #expect(report.verdict == .expectationUnmet)
    let record = RunRecord(report: report, tag: "v7.3.4", key: "k", configHash: "c", filesChanged: nil, reportDir: "/r")
    #expect(record.verdict == .expectationUnmet)
    let dir = try TempDir()
    let database = try ResultsDatabase(url: dir.path("results.sqlite"))
    _ = try database.insert(record)
    #expect(try database.run(key: "k")?.verdict == .expectationUnmet)
  }

  /// Cache keys carry the real build: the running executable's hash, not a constant.
  @Test func theToolVersionIsTheExecutablesHash() throws {
    let data = try #require(FileManager.default.contents(atPath: "/proc/self/exe"))
    #expect(PatchCheckVersion.build == "\(PatchCheckVersion.current)+\(SHA256Hex.of(data).prefix(16))")
    #expect(ToolVersions().patchcheck == PatchCheckVersion.build)
  }
}

/// --compare-base on real consoles: each title labelled by the boots that hit it on each
/// side, and a `new` or `fixed` label said past chance only when the counts make it so.
@Suite struct BaseComparisonTests {
  static func boots(_ names: [String]) throws -> [BootOutcome] {
    try ReviewFixtures.boots(names, expected: ["numvfs", "pf-remove", "race-numvfs-remove"])
  }

  static let deadlock = "INFO: task hung in sriov_enable"

  @Test func oneBootOnEachSideIsNotYetClear() throws {
    let comparison = BaseComparison(
      series: try Self.boots([ReviewFixtures.raceDeadlock]), base: try Self.boots([ReviewFixtures.clean]), baseName: "v7.3.4")
    let title = try #require(comparison.titles.first { $0.title == Self.deadlock }, "\(comparison.titles.map(\.title))")
    #expect(title.label == .new)
    #expect((title.seriesBoots, title.seriesRuns, title.baseBoots, title.baseRuns) == (1, 1, 0, 1))
    #expect(abs((title.p ?? 0) - 0.5) < 1e-9)
    #expect(title.clear == false)
    #expect(title.sentence.hasSuffix("(series 1/1, base 0/1 boot(s); not yet clear, p = 0.50: more boots on both sides (--repeat N) tell)"))
  }

  @Test func threeOfThreeAgainstNoneOfThreeIsPastChance() throws {
    let series = try Self.boots(Array(repeating: ReviewFixtures.raceDeadlock, count: 3))
    let base = try Self.boots(Array(repeating: ReviewFixtures.clean, count: 3))
    let new = try #require(BaseComparison(series: series, base: base, baseName: "v7.3.4").titles.first { $0.title == Self.deadlock })
    #expect(new.label == .new && new.clear == true, "\(new.sentence)")
    #expect(new.sentence.contains("series 3/3, base 0/3 boot(s); past chance, p = 0.05"))
    // The other way round, the series takes it away.
    let fixed = try #require(BaseComparison(series: base, base: series, baseName: "v7.3.4").titles.first { $0.title == Self.deadlock })
    #expect(fixed.label == .fixed && fixed.clear == true)
    // Seen on both sides: pre-existing, and no p.
    let both = try #require(
      BaseComparison(series: series, base: try Self.boots([ReviewFixtures.raceDeadlock]), baseName: "v7.3.4").titles.first {
        $0.title == Self.deadlock
      })
    #expect(both.label == .preExisting && both.p == nil && both.clear == nil)
    #expect(both.sentence == "pre-existing: \(Self.deadlock) (series 3/3, base 1/1 boot(s))")
  }

  @Test func theSummarySaysWhatTheBaseShowed() throws {
    var report = Report(run: "fixture", startedAt: Date())
    report.absorb(try Self.boots([ReviewFixtures.raceDeadlock]))
    report.baseComparison = BaseComparison(
      series: try Self.boots([ReviewFixtures.raceDeadlock]), base: try Self.boots([ReviewFixtures.clean]), baseName: "v7.3.4")
    let summary = SummaryWriter.markdown(for: report)
    let verdict = try #require(report.baseComparison?.verdict.rawValue)
    #expect(summary.contains("## Compared with the base v7.3.4\n\n\(verdict) on the base: "), "\(summary)")
    #expect(summary.contains("- new: \(Self.deadlock) (series 1/1, base 0/1 boot(s); not yet clear, p = 0.50"))
  }
}

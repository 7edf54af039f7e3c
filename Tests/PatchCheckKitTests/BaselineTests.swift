import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The verdict is about the series: a report the unpatched base shows too (with the same
/// scenarios) is pre-existing, listed with its counts and never by itself a FAIL; a new
/// report, a failed step or a stuck task the base does not have still FAILs; --strict keeps
/// the old rule. Judged on real consoles (Fixtures/README.md says how each was made).
@Suite struct BaselineTests {
  static let finished = VerdictTests.finished
  static let raceLog = (try? Fixtures.text("boot-v7.3.4-v9-race-numvfs-remove.log")) ?? ""
  static let v10Log = (try? Fixtures.text("boot-v7.3.4-v10-all-scenarios.log")) ?? ""
  static let names = ["numvfs", "pf-remove", "unbind", "vf-remove", "race-numvfs-remove", "race-unbind-remove"]

  /// The race's reports (two hung tasks and lockdep's report of them) over v10's six scenario
  /// results (five pass, vf-remove SKIP): as if the series' boot showed those reports.
  static func seriesBoot() -> (splats: [Splat], scenarios: [ScenarioResult]) {
    let splats = ConsoleAnalyzer.reportsAndResults(in: raceLog, expected: names).splats
    let scenarios = ConsoleAnalyzer.reportsAndResults(in: v10Log, expected: names).scenarios
    return (splats, scenarios)
  }

  @Test func aReportTheBaseShowsIsPreExistingNotAFail() throws {
    let (splats, scenarios) = Self.seriesBoot()
    try #require(splats.count >= 2, "\(splats.map(\.title))")
    let titles = Set(splats.map(\.title))
    // Everything pre-existing: the verdict is what the scenarios say (vf-remove SKIP).
    let known = Judge.verdict(boot: Self.finished, scenarios: scenarios, splats: splats, known: titles)
    #expect(known.0 == .skip, "\(known.1)")
    #expect(known.1.contains("no new kernel reports (pre-existing, the base shows them too: "), "\(known.1)")
    // The base shows none of them (or --strict, which asks no base): today's FAIL, word for word.
    let strict = Judge.verdict(boot: Self.finished, scenarios: scenarios, splats: splats)
    let none = Judge.verdict(boot: Self.finished, scenarios: scenarios, splats: splats, known: ["a title the base shows"])
    #expect(strict.0 == .fail && strict.1 == "kernel report: \(splats[0].title) (+\(splats.count - 1) more)", "\(strict.1)")
    #expect(none.0 == .fail && none.1 == strict.1)
    // One of them new: FAIL names it, and says it is new.
    let new = splats[1].title
    let one = Judge.verdict(boot: Self.finished, scenarios: scenarios, splats: splats, known: titles.subtracting([new]))
    #expect(one.0 == .fail && one.1.hasPrefix("kernel report: \(new) [new: the base does not show it]"), "\(one.1)")
  }

  /// A failed step fails whatever the base shows; a stuck task the base lacks is new.
  @Test func aFailedStepAndANewStuckTaskFailWhateverTheBaseHas() throws {
    let (splats, scenarios) = ConsoleAnalyzer.reportsAndResults(in: Self.raceLog, expected: Self.names)
    let failed = Judge.verdict(boot: Self.finished, scenarios: scenarios, splats: splats, known: Set(splats.map(\.title)))
    #expect(failed.0 == .fail && failed.1.hasPrefix("scenario failed: "), "\(failed.1)")
    let hung = try #require(splats.first { $0.kind == .hungTask })
    let (_, v10Scenarios) = Self.seriesBoot()
    let stuck = Judge.verdict(
      boot: Self.finished, scenarios: v10Scenarios, splats: splats, known: Set(splats.map(\.title)).subtracting([hung.title]))
    #expect(stuck.0 == .fail && stuck.1.contains(hung.title), "\(stuck.1)")
  }

  /// NOT-EXERCISED when none of the changed functions ran, whatever the base has.
  @Test func notExercisedWhateverTheBaseHas() throws {
    let (splats, scenarios) = Self.seriesBoot()
    let function = SeriesCoverage.Function(
      name: "igb_down", file: "drivers/net/ethernet/intel/igb/igb_main.c", patches: [1], lines: 2, traceable: true, hits: [:])
    let coverage = SeriesCoverage(
      functions: [function], outside: [:], unavailable: nil, exercised: false, note: "no scenario reached igb_down")
    let judged = Judge.verdict(
      boot: Self.finished, scenarios: scenarios, splats: splats, coverage: coverage, known: Set(splats.map(\.title)))
    #expect(judged.0 == .notExercised, "\(judged.1)")
  }

  /// The report lists each pre-existing title with the counts on both sides; where the base
  /// shows it only sometimes and the series more often, Fisher's p says so (not a FAIL).
  @Test func preExistingTitlesAreCountedAndARacyOneGetsFishersP() throws {
    let (splats, scenarios) = Self.seriesBoot()
    let title = splats[0].title
    // The base: one boot of six showed the first title; the others showed nothing.
    let baseline = BaseFindings(
      boots: [splats] + Array(repeating: [], count: 5), key: "k", base: "v7.3.4", commit: String(repeating: "a", count: 40),
      scenarios: Self.names)
    #expect(baseline.tally(title) == Tally(hits: 1, runs: 6))
    let boot = BootOutcome(
      index: 1, console: "console.log", boot: Self.finished, scenarios: scenarios, splats: splats, verdict: .fail, reason: "",
      exitCode: nil)
    let boots = (1...5).map { index -> BootOutcome in
      var outcome = boot
      outcome.index = index
      return outcome.judged(known: baseline.titles)
    }
    var report = Report(run: "r", startedAt: Date())
    report.absorb(boots, baseline: baseline)
    #expect(report.verdict == .skip, "\(report.reason)")
    let entry = try #require(report.preExisting?.first { $0.title == title })
    #expect(entry.seriesBoots == 5 && entry.seriesRuns == 5 && entry.baseBoots == 1 && entry.baseRuns == 6)
    let p = try #require(entry.p)
    #expect(abs(p - 6.0 / 462.0) < 1e-6, "\(p)")
    #expect(entry.sentence.contains("racy on the base, more often with the series: past chance, p = 0.01"), "\(entry.sentence)")
    #expect(report.reason.contains("\(title) is racy on the base and shows more often with the series (p = 0.01)"), "\(report.reason)")
    #expect(report.splats.allSatisfy { $0.preExisting == true })
    #expect(report.failureTitles.allSatisfy { !$0.hasPrefix("INFO") && !$0.hasPrefix("possible") }, "\(report.failureTitles)")
  }

  /// Every output lists what the base shows too and fails only on what is new.
  @Test func theOutputsListPreExistingReportsAndFailOnlyOnNewOnes() throws {
    let (splats, scenarios) = Self.seriesBoot()
    let new = splats[1].title
    let baseline = BaseFindings(
      boots: [splats.filter { $0.title != new }], key: "k", base: "v7.3.4", commit: String(repeating: "a", count: 40),
      scenarios: Self.names)
    let boot = BootOutcome(
      index: 1, console: "console.log", boot: Self.finished, scenarios: scenarios, splats: splats, verdict: .fail, reason: "",
      exitCode: nil
    ).judged(known: baseline.titles)
    // A report of real parts (a series applied by libgit2, a build), then these boots.
    let dir = try TempDir()
    var report = try ReportTests().realReport(in: dir)
    report.absorb([boot], baseline: baseline)
    #expect(report.verdict == .fail)
    #expect(report.failureTitles == [new])

    let summary = SummaryWriter.markdown(for: report)
    let opening = summary.components(separatedBy: "## Pre-existing on the base v7.3.4")[0]
    #expect(opening.contains("## New with the series\n\n- \(new) ("), "\(opening)")
    #expect(summary.contains("- pre-existing: \(splats[0].title) (series 1/1, base 1/1 boot(s))"), "\(summary)")
    var fixed = report
    fixed.splats.removeAll { $0.title == splats[0].title }
    #expect(SummaryWriter.markdown(for: fixed).contains("- not seen with the series: \(splats[0].title) (base 1/1 boot(s))"))

    let junit = JUnitWriter.xml(for: report)
    let xml = try XMLDocument(data: Data(junit.utf8))
    let failures = try xml.nodes(forXPath: "//testcase[starts-with(@classname, 'console')][failure]").compactMap {
      ($0 as? XMLElement)?.attribute(forName: "name")?.stringValue
    }
    #expect(failures == [new], "\(failures)")
    #expect(junit.contains("classname=\"console.pre-existing."))

    let kcidb = dir.path("kcidb.json")
    try KCIDBWriter.json(for: report, patchFiles: []).write(to: kcidb)
    let text = try String(contentsOf: kcidb, encoding: .utf8)
    #expect(text.contains("console.pre_existing.") && text.contains("\"DONE\""), "\(text.prefix(400))")
    let valid = try validateKCIDB(kcidb)
    #expect(valid.succeeded, "\(valid.output.suffix(400))")

    let record = RunRecord(report: report, tag: "v7.3.4", key: "k", configHash: "c", filesChanged: nil, reportDir: "/r")
    #expect(record.titles == [new])
    #expect(record.splats.filter { $0.preExisting != nil }.count == splats.count - 1)
    let html = HTMLReport.render(runs: [record], title: "results")
    #expect(html.contains("— pre-existing: \(Escaping.markup(splats[0].title))"), "\(html.suffix(800))")
  }

  /// The base's findings are known by everything that decides them, and nothing else.
  @Test func theBaseFindingsKeyAndCache() throws {
    var options = RunOptions()
    options.series = Shared.v10.path
    options.scenarios = ["numvfs", "pf-remove"]
    let home = PatchCheckHome(root: try TempDir().url)
    let plan = try RunPlan.resolve(options, home: home)
    let commit = String(repeating: "b", count: 40)
    let key = plan.baseFindingsKey(commit: commit)
    #expect(try RunPlan.resolve(options, home: home).baseFindingsKey(commit: commit) == key)
    var other = options
    other.series = Shared.v9.path
    other.repeatCount = 3
    #expect(try RunPlan.resolve(other, home: home).baseFindingsKey(commit: commit) == key, "not the series, not the boots")
    let changes: [(String, (inout RunOptions) -> Void)] = [
      ("scenarios", { $0.scenarios = ["numvfs"] }), ("witness", { $0.lockWitness = false }), ("vfs", { $0.vfs = 2 }),
      ("hung-task timeout", { $0.hungTaskTimeout = 20 }), ("pfs", { $0.pfs = 2 }), ("memory", { $0.memoryMB = 2048 }),
      ("guest clock", { $0.clock = .host }),
    ]
    for (name, change) in changes {
      var changed = options
      change(&changed)
      #expect(try RunPlan.resolve(changed, home: home).baseFindingsKey(commit: commit) != key, "\(name)")
    }
    #expect(plan.baseFindingsKey(commit: String(repeating: "c", count: 40)) != key)

    let cache = BaseFindingsCache(home: home)
    #expect(cache.get(key) == nil)
    let findings = BaseFindings(boots: [[]], key: key, base: "v7.3.4", commit: commit, scenarios: ["numvfs", "pf-remove"])
    try cache.put(findings)
    let read = try #require(cache.get(key))
    #expect(read.runs == 1 && read.findings.isEmpty && read.source?.hasPrefix("from the cache") == true)
    try Data("{".utf8).write(to: cache.file(key))
    #expect(cache.get(key) == nil, "a file that does not read is measured again")
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Reviews made of real consoles: each run's report is what the pipeline makes of a captured
/// boot (KTAP, kernel reports, verdict), and the mails are the posted v9 and v10.
enum ReviewFixtures {
  /// Every scenario of the library passes (vf-remove SKIP): a clean boot of any one of them.
  static let clean = "boot-v7.3.4-v10-all-scenarios.log"
  static let raceDeadlock = "boot-v7.3.4-v9-race-numvfs-remove.log"
  static let raceDeadlockProfiled = "boot-v7.3.4-v9-race-coverage.log"
  static let raceOneReported = "boot-v7.3.4-v9-race-one-reported.log"
  static let recursive = "boot-v7.3.4-v9-no-reentrancy.log"
  static let v10 = "boot-v7.3.4-v10-all-scenarios.log"

  /// A report of `consoles.count` boots of one build running `scenario`, judged as the
  /// pipeline judges each boot.
  static func report(_ consoles: [String], scenario: String) throws -> Report {
    var report = Report(run: "fixture", startedAt: Date())
    report.absorb(try boots(consoles, expected: [scenario]))
    return report
  }

  /// One boot per console, each judged as the pipeline judges a boot.
  static func boots(_ consoles: [String], expected: [String]) throws -> [BootOutcome] {
    try consoles.enumerated().map { index, name in
      let text = try Fixtures.text(name)
      let results = KTAPParser.parse(text, expected: expected)
      let splats = ConsoleAnalyzer.reports(in: text)
      let (verdict, reason, code) = Judge.verdict(boot: VerdictTests.finished, scenarios: results, splats: splats)
      return BootOutcome(
        index: index + 1, console: "console-\(index + 1).log", boot: VerdictTests.finished, scenarios: results, splats: splats,
        verdict: verdict, reason: reason, exitCode: code)
    }
  }

  /// Runs and evidence as the review records them, for (kernel, scenario, consoles) parts.
  static func runs(_ parts: [(patches: Int, scenario: String, consoles: [String])]) throws -> (
    [ReviewRun], [String: FindingEvidence]
  ) {
    var runs: [ReviewRun] = []
    var evidence: [String: FindingEvidence] = [:]
    for (index, part) in parts.enumerated() {
      let report = try report(part.consoles, scenario: part.scenario)
      let folder = "runs/\(part.patches)/\(part.scenario)-\(index)"
      runs.append(ReviewRun(patches: part.patches, scenario: part.scenario, folder: folder, report: report, seconds: 30))
      for (title, found) in FindingEvidence.of(report, folder: folder) where evidence[title] == nil { evidence[title] = found }
    }
    return (runs, evidence)
  }

  /// The built-in scenarios by name, as a review gets them: their files say which race.
  static func scenarios(_ names: [String]) throws -> [Scenario] { try ScenarioCatalog.load().named(names) }
  static var races: Set<String> { Set(((try? ScenarioCatalog.load().all()) ?? []).filter(\.race).map(\.name)) }

  static func aggregate(_ parts: [(patches: Int, scenario: String, consoles: [String])], patchCount: Int) throws -> (
    findings: [ReviewFinding], quiet: [QuietScenario]
  ) {
    let (runs, evidence) = try runs(parts)
    return ReviewFindings.aggregate(runs, patchCount: patchCount, races: races, evidence: evidence) { scenario, patches in
      "reproduce \(scenario) with \(patches)"
    }
  }
}

@Suite struct ReviewTests {
  @Test func boundsAndTests() {
    // 0 hits in n runs: the rate is below 1 - 0.05^(1/n).
    #expect(abs(Rates.upperBound(Tally(hits: 0, runs: 30)) - (1 - pow(0.05, 1.0 / 30))) < 1e-12)
    #expect(Rates.upperBound(Tally(hits: 0, runs: 30)) < 0.10)
    #expect(Rates.upperBound(Tally(hits: 0, runs: 28)) > 0.10)
    #expect(abs(Rates.upperBound(Tally(hits: 0, runs: 1)) - 0.95) < 1e-12)
    // Clopper-Pearson, one-sided 95%: 12/30 lies in (0.25, 0.57) (scipy: beta.ppf(0.05, 12, 19), beta.ppf(0.95, 13, 18)).
    #expect(abs(Rates.lowerBound(Tally(hits: 12, runs: 30)) - 0.2495) < 0.001)
    #expect(abs(Rates.upperBound(Tally(hits: 12, runs: 30)) - 0.5661) < 0.001)
    #expect(abs(Rates.lowerBound(Tally(hits: 4, runs: 4)) - pow(0.05, 0.25)) < 1e-12)
    #expect(Rates.upperBound(Tally(hits: 3, runs: 3)) == 1)
    // Fisher, one-sided: 1/1 against 0/1 is a coin toss, 3/3 against 0/3 is 1/20.
    #expect(abs(Rates.fisherOneSided(more: Tally(hits: 1, runs: 1), than: Tally(hits: 0, runs: 1)) - 0.5) < 1e-9)
    #expect(abs(Rates.fisherOneSided(more: Tally(hits: 3, runs: 3), than: Tally(hits: 0, runs: 3)) - 0.05) < 1e-9)
    #expect(Rates.fisherOneSided(more: Tally(hits: 12, runs: 30), than: Tally(hits: 0, runs: 30)) < 0.001)
    // Past chance is p at most 0.05, whichever side of 1/20 the sum of logs lands: 3 of 3
    // against 0 of 3 is; 2 of 2 against 0 of 2 (1/6) is not.
    #expect(Rates.pastChance(Rates.fisherOneSided(more: Tally(hits: 3, runs: 3), than: Tally(hits: 0, runs: 3))))
    #expect(Rates.pastChance(0.05) && Rates.pastChance(0.0499) && !Rates.pastChance(0.0501))
    #expect(!Rates.pastChance(Rates.fisherOneSided(more: Tally(hits: 2, runs: 2), than: Tally(hits: 0, runs: 2))))
    let threeOfThree = ReviewFindings.judge(title: "t", kernels: [Tally(hits: 0, runs: 3), Tally(hits: 3, runs: 3)], racy: true)
    #expect(threeOfThree.label == .new && threeOfThree.clear, "\(threeOfThree.claim)")
    #expect(Rates.percent(Rates.upperBound(Tally(hits: 0, runs: 30))) == "9.6%")
    #expect(Rates.percent(0.63) == "63%")
  }

  /// The example, word for word in the numbers.
  @Test func fixedClaimCarriesItsBound() {
    let kernels = [Tally(hits: 12, runs: 30), Tally(hits: 0, runs: 30)]
    let finding = ReviewFindings.judge(title: "INFO: task hung in sriov_enable", kernels: kernels, racy: true)
    #expect(finding.label == .fixed)
    #expect(finding.fixedBy == 1)
    #expect(finding.clear)
    #expect(
      finding.claim == "fixed: 0/30 on the series, 12/30 on the base; rate on the series below 9.6% at 95% confidence",
      "\(finding.claim)")
    let flaky = ReviewFindings.judge(title: "t", kernels: [Tally(hits: 2, runs: 10), Tally(hits: 3, runs: 10)], racy: true)
    #expect(flaky.label == .preExisting)
    #expect(flaky.claim.hasPrefix("flaky: seen on the base too (3/10 on the series, 2/10 on the base)"), "\(flaky.claim)")
  }

  /// v9's race deadlock: the two hung-task reports of one boot make the AB-BA cycle.
  @Test func hungTasksMakeTheWaitForCycle() throws {
    let splats = ConsoleAnalyzer.reports(in: try Fixtures.text(ReviewFixtures.raceDeadlock))
    let explained = try #require(Deadlock.explain(splats.compactMap(\.blocked)))
    #expect(explained.kind == .abba)
    #expect(explained.summary == "AB-BA deadlock between &dev->mutex and pci_rescan_remove_lock", "\(explained.summary)")
    let numvfs = try #require(explained.tasks.first { $0.waitsIn == "sriov_enable" })
    #expect(numvfs.holds == "&dev->mutex" && numvfs.heldSince == "sriov_numvfs_store")
    #expect(numvfs.waitsFor == "pci_rescan_remove_lock")
    let remove = try #require(explained.tasks.first { $0.waitsIn == "device_release_driver_internal" })
    #expect(remove.holds == "pci_rescan_remove_lock" && remove.heldSince == "pci_stop_and_remove_bus_device_locked")
    #expect(remove.waitsFor == "&dev->mutex")
    #expect(numvfs.owner == remove.task && remove.owner == numvfs.task)
    #expect(
      explained.lines.contains(
        "\(numvfs.task) holds &dev->mutex (taken in sriov_numvfs_store) and waits in sriov_enable for pci_rescan_remove_lock, held by \(remove.task)"
      ), "\(explained.lines)")
  }

  /// The same race with the coverage profiler on (as every run has it since): lockdep lists
  /// the rescan lock of both writers "at return_to_handler", since `pci_lock_rescan_remove`
  /// is profiled and takes the mutex in a tail call. The numvfs writer only waits for that
  /// lock (the remove writer, its owner, holds it): still AB-BA, never "recursive".
  @Test func theProfilersTrampolineHidesNoCycle() throws {
    let text = try Fixtures.text(ReviewFixtures.raceDeadlockProfiled)
    #expect(text.contains("(pci_rescan_remove_lock){+.+.}-{4:4}, at: return_to_handler"), "the fixture shows the trampoline")
    let explained = try #require(Deadlock.explain(ConsoleAnalyzer.reports(in: text).compactMap(\.blocked)))
    #expect(explained.kind == .abba, "\(explained.lines)")
    #expect(explained.summary == "AB-BA deadlock between &dev->mutex and pci_rescan_remove_lock", "\(explained.summary)")
    let numvfs = try #require(explained.tasks.first { $0.waitsIn == "sriov_enable" })
    #expect(numvfs.holds == "&dev->mutex" && numvfs.heldSince == "sriov_numvfs_store")
    #expect(numvfs.waitsFor == "pci_rescan_remove_lock")
    let remove = try #require(explained.tasks.first { $0.waitsIn == "device_release_driver_internal" })
    #expect(remove.holds == "pci_rescan_remove_lock" && remove.heldSince == nil, "where it was taken is not known")
    #expect(remove.waitsFor == "&dev->mutex")
    #expect(numvfs.owner == remove.task && remove.owner == numvfs.task)
    #expect(!explained.lines.joined().contains("return_to_handler"), "\(explained.lines)")
  }

  /// The same race where the kernel reported only the remove writer: the numvfs writer is
  /// known from the runner's stuck-task line and lockdep's list of held locks, with no owner
  /// named for it. Its last lock, `pci_rescan_remove_lock` (listed at the trampoline), is one
  /// the remove writer holds: it waits for it, and the cycle is AB-BA, not "no cycle".
  @Test func aCycleWithOneWriterReportedIsStillAnABBA() throws {
    let text = try Fixtures.text(ReviewFixtures.raceOneReported)
    let splats = ConsoleAnalyzer.reports(in: text)
    let reportedByKernel = Set(splats.compactMap { $0.excerpt.first?.contains("INFO: task ") == true ? $0.blocked?.task : nil })
    #expect(reportedByKernel == ["sh:96"], "the kernel reported the remove writer alone")
    let hung = try #require(splats.first { $0.kind == .hungTask })
    let explained = try #require(Deadlock.explain(hung, among: splats))
    #expect(explained.kind == .abba, "\(explained.lines)")
    #expect(explained.summary == "AB-BA deadlock between &dev->mutex and pci_rescan_remove_lock", "\(explained.summary)")
    let numvfs = try #require(explained.tasks.first { $0.waitsIn == "sriov_enable" })
    #expect(numvfs.holds == "&dev->mutex" && numvfs.waitsFor == "pci_rescan_remove_lock", "\(numvfs)")
    let remove = try #require(explained.tasks.first { $0.waitsIn == "device_release_driver_internal" })
    #expect(remove.holds == "pci_rescan_remove_lock" && remove.waitsFor == "&dev->mutex", "\(remove)")
    #expect(numvfs.owner == remove.task && remove.owner == numvfs.task)
  }

  /// The negative control: the remove writer waits for the lock it already holds.
  @Test func recursiveLockingIsNamed() throws {
    let splats = ConsoleAnalyzer.reports(in: try Fixtures.text(ReviewFixtures.recursive))
    let hung = try #require(splats.first { $0.kind == .hungTask })
    let explained = try #require(Deadlock.explain(hung, among: splats))
    #expect(explained.kind == .recursive, "\(explained)")
    #expect(explained.tasks.first?.waitsFor == "pci_rescan_remove_lock", "\(explained)")
  }

  /// Lock-order cycles of two classes are AB-BA, each order spelled out with its step.
  @Test func lockOrderCycleIsSpelledOut() {
    let edges = [
      LockOrderEdge(
        held: "&dev->mutex", taken: "pci_rescan_remove_lock", count: 2, task: "sh-80", step: "enable 4 VFs", instances: ["a b"]),
      LockOrderEdge(held: "pci_rescan_remove_lock", taken: "&dev->mutex", count: 1, task: "sh-91", step: "remove PF", instances: ["b a"]),
    ]
    let cycle = LockWitness.cycles(in: edges)[0]
    let explained = Deadlock.explain(cycle)
    #expect(explained.kind == .abba)
    #expect(explained.lines[0] == "sh-80 holds &dev->mutex and then takes pci_rescan_remove_lock (2x, first in step 'enable 4 VFs')")
    #expect(explained.lines.last?.contains("same lock instances") == true)
  }

  /// v9-like: clean on the base, the race deadlocks with the patch. One boot each is not yet
  /// past chance; four each is.
  @Test func newDeadlockWithTheSeries() throws {
    let once = try ReviewFixtures.aggregate(
      [
        (0, "numvfs", [ReviewFixtures.clean]), (0, "race-numvfs-remove", [ReviewFixtures.clean]),
        (1, "numvfs", [ReviewFixtures.clean]), (1, "race-numvfs-remove", [ReviewFixtures.raceDeadlock]),
      ], patchCount: 1)
    let hung = try #require(once.findings.first { $0.title == "INFO: task hung in sriov_enable" })
    #expect(hung.label == .new)
    #expect(hung.introducedBy == 1 && hung.fixedBy == nil)
    #expect(hung.base == Tally(hits: 0, runs: 1) && hung.series == Tally(hits: 1, runs: 1))
    #expect(hung.racy && !hung.clear)
    #expect(hung.claim.contains("not yet clear"), "\(hung.claim)")
    #expect(hung.deadlock?.kind == .abba)
    #expect(hung.excerpt.first?.contains("INFO: task sh:") == true, "\(hung.excerpt.prefix(2))")
    #expect(hung.reproduce == "reproduce race-numvfs-remove with 1")
    #expect(once.quiet.map(\.scenario) == ["numvfs"])
    // The console also shows vf-remove failing (a kernel that hides VF remove): every title of
    // the race boot is a finding of that scenario, never of numvfs.
    #expect(once.findings.allSatisfy { $0.scenarios == ["race-numvfs-remove"] })

    let (runs, evidence) = try ReviewFixtures.runs([
      (0, "race-numvfs-remove", Array(repeating: ReviewFixtures.clean, count: 4)),
      (1, "race-numvfs-remove", Array(repeating: ReviewFixtures.raceDeadlock, count: 4)),
    ])
    #expect(runs[1].boots.count == 4)
    let four = ReviewFindings.aggregate(runs, patchCount: 1, races: ReviewFixtures.races, evidence: evidence) { _, _ in "" }
    let clear = try #require(four.findings.first { $0.title == "INFO: task hung in sriov_enable" })
    #expect(clear.series == Tally(hits: 4, runs: 4) && clear.base == Tally(hits: 0, runs: 4))
    #expect(clear.clear)
    #expect(
      clear.claim
        == "new: 4/4 on the series, 0/4 on the base; rate with the series above 48% on the base below 53% at 95% confidence"
        .replacingOccurrences(of: "48% on", with: "48%, on"), "\(clear.claim)")
  }

  /// v10-like: patch 1 brings the deadlock, patch 2 takes it away: it breaks bisection.
  @Test func introducedAndFixedInsideTheSeriesBreaksBisection() throws {
    let result = try ReviewFixtures.aggregate(
      [
        (0, "race-numvfs-remove", [ReviewFixtures.clean]), (1, "race-numvfs-remove", [ReviewFixtures.raceDeadlock]),
        (2, "race-numvfs-remove", [ReviewFixtures.v10]),
      ], patchCount: 2)
    let hung = try #require(result.findings.first { $0.title == "INFO: task hung in sriov_enable" })
    #expect(hung.label == .breaksBisection)
    #expect(hung.introducedBy == 1 && hung.fixedBy == 2)
    #expect(hung.kernels.map(\.hits) == [0, 1, 0])
    #expect(
      hung.claim.hasPrefix("breaks bisection: 1/1 with patch 1/2, 0/1 on the series, 0/1 on the base; gone with patch 2/2"), "\(hung.claim)"
    )
    // The schedule repeats the prefix that shows it, beside the base and the series.
    let pending = ReviewSchedule.pending(
      scenarios: try ReviewFixtures.scenarios(["numvfs", "race-numvfs-remove"]), runs: [], findings: result.findings, patchCount: 2,
      judged: [0, 1, 2])
    #expect(pending.first?.scenario == "race-numvfs-remove" && pending.first?.kernels == [0, 1, 2])
  }

  /// The negative control's deadlock on the base, gone with the series: fixed by patch 1.
  @Test func fixedAndPreExisting() throws {
    let result = try ReviewFixtures.aggregate(
      [
        (0, "pf-remove", [ReviewFixtures.recursive]), (1, "pf-remove", [ReviewFixtures.clean]),
        (0, "race-numvfs-remove", [ReviewFixtures.raceDeadlock]), (1, "race-numvfs-remove", [ReviewFixtures.raceDeadlock]),
      ], patchCount: 1)
    let fixed = try #require(result.findings.first { $0.title == "INFO: task hung in sriov_disable" })
    #expect(fixed.label == .fixed && fixed.fixedBy == 1 && fixed.introducedBy == nil)
    #expect(fixed.claim == "fixed: 0/1 on the series, 1/1 on the base (deterministic scenario, one run per kernel)")
    let both = try #require(result.findings.first { $0.title == "INFO: task hung in sriov_enable" })
    #expect(both.label == .preExisting && both.claim == "pre-existing: 1/1 on the series, 1/1 on the base")
    // New first, then fixed, then pre-existing.
    let labels = result.findings.map(\.label)
    #expect((labels.firstIndex(of: .fixed) ?? .max) < (labels.firstIndex(of: .preExisting) ?? -1))
  }

  /// Quiet race scenarios are repeated until 0 hits bound the rate below 10%; a clear
  /// finding needs no more; an unclear one comes first.
  @Test func scheduleRepeatsWhatIsNotClear() throws {
    let (runs, evidence) = try ReviewFixtures.runs([
      (0, "race-unbind-remove", [ReviewFixtures.clean]), (1, "race-unbind-remove", [ReviewFixtures.clean]),
      (0, "race-numvfs-remove", [ReviewFixtures.clean]), (1, "race-numvfs-remove", [ReviewFixtures.raceDeadlock]),
      (0, "numvfs", [ReviewFixtures.clean]), (1, "numvfs", [ReviewFixtures.clean]),
    ])
    let findings = ReviewFindings.aggregate(runs, patchCount: 1, races: ReviewFixtures.races, evidence: evidence) { _, _ in "" }.findings
    let pending = ReviewSchedule.pending(
      scenarios: try ReviewFixtures.scenarios(["numvfs", "race-unbind-remove", "race-numvfs-remove"]), runs: runs, findings: findings,
      patchCount: 1, judged: [0, 1])
    #expect(pending.map(\.scenario) == ["race-numvfs-remove", "race-unbind-remove"])
    #expect(pending.allSatisfy { $0.kernels == [0, 1] })
    // A kernel that did not build leaves nothing to compare.
    #expect(
      ReviewSchedule.pending(
        scenarios: try ReviewFixtures.scenarios(["race-numvfs-remove"]), runs: runs, findings: findings, patchCount: 1, judged: [0]
      ).isEmpty)
  }

  /// What a race is comes from the scenario's file (`race: true`), for the review as for
  /// the witness, never from its name: a user's racing scenario is repeated whatever it is
  /// called, and one called race-something that does not race is not.
  @Test func aRaceIsWhatItsFileSaysNotItsName() throws {
    // The built-in names, with the flags the other way round.
    let step = ScenarioStep(name: "s", timeout: 5, script: "true")
    let racing = Scenario(name: "numvfs", summary: "", steps: [step], race: true)
    let named = Scenario(name: "race-unbind-remove", summary: "", steps: [step], race: false)
    let (runs, evidence) = try ReviewFixtures.runs([
      (0, "numvfs", [ReviewFixtures.clean]), (1, "numvfs", [ReviewFixtures.clean]),
      (0, "race-unbind-remove", [ReviewFixtures.clean]), (1, "race-unbind-remove", [ReviewFixtures.clean]),
    ])
    let findings = ReviewFindings.aggregate(runs, patchCount: 1, races: ["numvfs"], evidence: evidence) { _, _ in "" }.findings
    let pending = ReviewSchedule.pending(scenarios: [racing, named], runs: runs, findings: findings, patchCount: 1, judged: [0, 1])
    #expect(pending.map(\.scenario) == ["numvfs"])
    #expect(Set(ReviewFixtures.races) == ["aer-race", "hotplug-race", "race-numvfs-remove", "race-unbind-remove"], "the built-in files")
  }

  @Test func v9ReplyHeaders() throws {
    let series = try SeriesParser.read(Shared.v9)
    #expect(series.cover?.envelope?.to == ["linux-pci@vger.kernel.org", "bhelgaas@google.com"])
    let mail = ReviewMail.headers(for: series)
    #expect(
      mail.subject == "Re: [PATCH v9 0/1] PCI/IOV: Make pci_lock_rescan_remove() reentrant and protect sriov_add_vfs/sriov_del_vfs")
    #expect(mail.inReplyTo == "20260310074303.17480-1-ionut.nechita@windriver.com")
    #expect(mail.references == ["20260310074303.17480-1-ionut.nechita@windriver.com"])
    #expect(mail.to == ["Ionut Nechita <ionut.nechita@windriver.com>", "Ionut Nechita <ionut_n2001@yahoo.com>"])
    #expect(mail.cc == ["linux-pci@vger.kernel.org", "bhelgaas@google.com"])
  }

  /// No cover letter: the reply answers patch 1, in the thread its References name.
  @Test func v10ReplyHeaders() throws {
    let series = try SeriesParser.read(Shared.v10)
    let mail = ReviewMail.headers(for: series)
    #expect(mail.subject.hasPrefix("Re: [PATCH v10 1/2] PCI/IOV: Make pci_lock_rescan_remove() reentrant"))
    #expect(mail.inReplyTo == "20260318210316.61975-2-ionut.nechita@windriver.com")
    #expect(
      mail.references == ["20260318210316.61975-1-ionut.nechita@windriver.com", "20260318210316.61975-2-ionut.nechita@windriver.com"])
    #expect(mail.to.map(MailEnvelope.mailbox).contains("ionut.nechita@windriver.com"))
    #expect(mail.cc == ["linux-pci@vger.kernel.org", "bhelgaas@google.com"])
  }

  @Test func addressListsSplitOutsideQuotes() {
    #expect(
      MailEnvelope.addresses("\"Doe, John\" <john@example.com>, a@example.com,  <b,c@example.com>")
        == ["\"Doe, John\" <john@example.com>", "a@example.com", "<b,c@example.com>"])
    #expect(MailEnvelope.addresses(nil).isEmpty)
  }

  /// review.txt, review.json and review.html of a review made of real parts.
  @Test func outputs() throws {
    let series = try SeriesParser.read(Shared.v9)
    let (runs, evidence) = try ReviewFixtures.runs([
      (0, "race-numvfs-remove", [ReviewFixtures.clean]), (1, "race-numvfs-remove", [ReviewFixtures.raceDeadlock]),
      (0, "numvfs", [ReviewFixtures.clean]), (1, "numvfs", [ReviewFixtures.clean]),
    ])
    var review = Review(
      startedAt: Date(), series: series.title, version: 9, source: Shared.v9.path, variant: "as-posted",
      patches: series.patches.map(\.subject),
      base: BaseResolution(requested: nil, stated: nil, used: "v7.3.4", commit: "0123456789abcdef", substituted: true, note: nil),
      repository: "/tree", tool: "test", scenarios: ["numvfs", "race-numvfs-remove"], guest: "2 vCPUs", budget: ReviewBudget())
    review.runs = runs
    (review.findings, review.quiet) = ReviewFindings.aggregate(runs, patchCount: 1, races: ReviewFixtures.races, evidence: evidence) {
      s, _ in
      "patchcheck apply-and-boot --scenarios \(s) --compare-base"
    }
    review.mail = ReviewMail.headers(for: series)
    review.command = "patchcheck review --base v7.3.4"
    #expect(review.exitCode == 1)
    let text = ReviewMail.text(review)
    let headers = text.components(separatedBy: "\n\n")[0].split(separator: "\n").map(String.init)
    #expect(headers.first?.hasPrefix("Subject: Re: [PATCH v9 0/1] ") == true)
    #expect(headers.contains("In-Reply-To: <20260310074303.17480-1-ionut.nechita@windriver.com>"))
    #expect(headers.contains("Cc: linux-pci@vger.kernel.org, bhelgaas@google.com"))
    #expect(text.contains("AB-BA deadlock between &dev->mutex and pci_rescan_remove_lock:"))
    // Both hung tasks of the one deadlock are findings; the cycle is spelled out once.
    #expect(text.components(separatedBy: "holds &dev->mutex (taken in sriov_numvfs_store)").count == 2)
    #expect(text.contains("the same AB-BA deadlock between &dev->mutex and pci_rescan_remove_lock as finding 1"))
    #expect(text.contains("introduced by patch 1/1 (\"PCI/IOV: Make pci_lock_rescan_remove()"))
    #expect(text.contains("patchcheck apply-and-boot --scenarios race-numvfs-remove --compare-base"))
    #expect(text.contains("v7.3.4 (0123456789ab)"))
    let table = ReviewMail.table(review)
    #expect(table[0].hasPrefix("label") && table[0].hasSuffix("title"))
    #expect(table.contains { $0.hasPrefix("new ") && $0.hasSuffix("INFO: task hung in sriov_enable") })

    let json = try JSON.encode(review)
    let decoded = try JSON.decoder().decode(Review.self, from: json)
    #expect(decoded.findings == review.findings)
    #expect(String(decoding: json, as: UTF8.self).contains("\"breaks-bisection\"") == false)

    let html = ReviewHTML.page(review)
    #expect(html.contains("&amp;dev-&gt;mutex"))
    #expect(!html.contains("&dev->mutex"))
  }

  /// A part of a plan: one scenario, a prefix of the series or none, the base fixed.
  @Test func planParts() throws {
    var options = RunOptions()
    options.series = Shared.v10.path
    options.scenarios = ["numvfs", "race-numvfs-remove"]
    let plan = try RunPlan.resolve(options, home: PatchCheckHome(root: try TempDir().url))
    let race = plan.scenarios[1]
    let prefix = plan.part(scenario: race, patches: 1, base: "abc", boots: 2, output: URL(fileURLWithPath: "/tmp/x"))
    #expect(prefix.scenarios.map(\.name) == ["race-numvfs-remove"])
    #expect(prefix.series.patches.map(\.number) == [1])
    #expect(prefix.requestedBase == "abc" && prefix.guest.boots == 2 && !prefix.noSeries)
    #expect(
      try prefix.guestFiles()
        == RunnerScript.files([race], hungTaskTimeout: plan.guest.hungTaskTimeout, lockWitness: true, coverage: true))
    #expect(try prefix.guestFiles()["patchcheck/scenario-1/name"] == "race-numvfs-remove\n")
    let base = plan.part(scenario: race, patches: nil, base: "abc", boots: 1, output: URL(fileURLWithPath: "/tmp/y"))
    #expect(base.noSeries && base.series.patches.isEmpty)
    #expect(base.key != prefix.key)
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// bisect-run's call on each verdict: the rules `bisect` uses, with no bad end known.
@Suite struct BisectRunTests {
  func call(_ verdict: Verdict, titles: [String] = [], rules: BisectRules = BisectRules()) throws -> BisectRunResult {
    let commit = try #require(ObjectID(hex: String(repeating: "ab", count: 20)))
    return try BisectRun.result(commit, Judgement(verdict: verdict, titles: titles, reason: "why"), rules: rules, reports: "results/x")
  }

  @Test func eachVerdictHasItsCallAndExitCode() throws {
    #expect(try call(.pass).call == .good)
    #expect(try call(.pass).exitCode == 0)
    #expect(try call(.fail, titles: ["possible deadlock in sriov_disable"]).exitCode == 1)
    #expect(try call(.fail).exitCode == 1)
    for skipped in [Verdict.applyFail, .buildFail, .skip] {
      #expect(try call(skipped).call == .skip)
      #expect(try call(skipped).exitCode == 125)
    }
  }

  @Test func titleDecidesWhichFailIsBad() throws {
    let rules = BisectRules(title: "deadlock")
    #expect(try call(.fail, titles: ["possible deadlock in sriov_disable"], rules: rules).exitCode == 1)
    #expect(try call(.fail, titles: ["WARNING in igb_probe"], rules: rules).exitCode == 125)
    #expect(try call(.fail, titles: ["WARNING in igb_probe"], rules: BisectRules(anyFailure: true)).exitCode == 1)
  }

  /// A verdict that judges nothing is an error, which becomes 128 + its code for git.
  @Test func aRunThatCouldNotJudgeStopsGitBisect() throws {
    for verdict in [Verdict.infraError, .expectationUnmet, .aborted] {
      #expect(throws: PatchCheckError.self) { try call(verdict) }
      do {
        _ = try call(verdict)
      } catch {
        let failure = ExitFailure(error, for: .gitBisectRun)
        #expect(failure.exitCode == 128 + 5)
        #expect(failure.message.contains("git bisect stops here"))
      }
    }
  }

  /// `bisect` and `bisect-run` share the rules; with a bad end known, a FAIL sharing none
  /// of its titles is skipped.
  @Test func theSameRulesServeBisect() {
    let rules = BisectRules(badTitles: ["possible deadlock in sriov_disable"])
    #expect(rules.call(.fail, titles: ["possible deadlock in sriov_disable"]) == .bad)
    #expect(rules.call(.fail, titles: ["WARNING in igb_probe"]) == .skip)
    #expect(BisectRules(badTitles: []).call(.fail, titles: []) == .bad)
    #expect(rules.call(.infraError, titles: []) == nil)
  }

  @Test func errorsMapToOneCodeEach() {
    let usage = PatchCheckError(.usage, "bad", hint: "fix it")
    #expect(ExitFailure(usage) == ExitFailure(message: "bad; fix it", exitCode: 2))
    #expect(ExitFailure(usage, for: .gitBisectRun).exitCode == 130)
    let interrupted = PatchCheckError(.interrupted, "stopped", hint: "run again")
    #expect(ExitFailure(interrupted, for: .gitBisectRun).exitCode == 130)
    struct Unforeseen: Error {}
    #expect(ExitFailure(Unforeseen()).exitCode == 5)
    #expect(ExitFailure(Unforeseen()).message.hasSuffix("this is patchcheck's failure, not the series'"))
  }
}

/// `apply-and-boot --variants`: 7 when a variant's expectation is unmet, else the first
/// unexpected verdict's code.
@Suite struct VariantRunsTests {
  func report(_ verdict: Verdict, expect: Verdict? = nil) -> Report {
    var report = Report(run: "r", startedAt: Date())
    report.conclude(verdict, "\(verdict.rawValue) here")
    if let expect { report.check(SeriesManifest.Expectation(verdict: expect)) }
    return report
  }

  func runs(_ reports: [Report]) -> VariantRuns {
    VariantRuns(names: reports.indices.map { "v\($0)" }, reports: reports, root: URL(fileURLWithPath: "/tmp/variants"))
  }

  @Test func exitPolicy() {
    #expect(runs([report(.pass), report(.fail, expect: .fail)]).exitCode == 0)
    #expect(runs([report(.pass), report(.pass, expect: .fail)]).exitCode == 7)
    #expect(runs([report(.buildFail), report(.fail), report(.pass, expect: .fail)]).exitCode == 7)
    #expect(runs([report(.pass), report(.buildFail), report(.fail)]).exitCode == 4)
    #expect(runs([report(.applyFail, expect: .applyFail), report(.fail)]).exitCode == 1)
    #expect(runs([]).exitCode == 0)
  }

  @Test func tableHasALinePerVariant() {
    let table = runs([report(.pass), report(.pass, expect: .fail)]).table
    #expect(table.count == 4)
    #expect(table[0].hasPrefix("variant  verdict"))
    #expect(table[2].contains("EXPECTATION-UNMET") && table[2].contains("FAIL"))
    #expect(table[3] == "reports: /tmp/variants/<variant>/summary.md")
  }

  /// Every variant is checked before the first run: an unknown one is a usage error.
  @Test func anUnknownVariantStopsBeforeAnyRun() throws {
    let dir = try TempDir()
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    try patchMail(subject: "toy", diff: diff).write(to: dir.path("toy.mbox"), atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.series = dir.path("toy.mbox").path
    let error = #expect(throws: PatchCheckError.self) {
      try VariantRuns.run(
        "as-posted,nope", options: options, home: PatchCheckHome(root: dir.path("home")), root: dir.path("out"))
    }
    #expect(error?.kind == .usage)
    #expect(!FileManager.default.fileExists(atPath: dir.path("out").path))
  }
}

/// `apply --trees`: one row per tree, on a real repository with two tags.
@Suite struct BackportMatrixTests {
  static let diff =
    "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"

  /// v1.0, where the patch applies, and v2.0, where line 2 changed under it.
  func twoTags(_ dir: TempDir) throws -> ToyRepo {
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...10))
    let files = [
      "Makefile": "VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\nEXTRAVERSION =\n", "Kconfig": "mainmenu \"toy\"\n",
      "drivers/toy.c": numberedLines(1...10).replacingOccurrences(of: "int line2;", with: "long line2;"),
    ]
    let entries = try files.map { TreeEntry(path: $0.key, blob: try toy.repo.writeBlob(Data($0.value.utf8)), mode: .file) }
    let sig = Signature(name: "Test", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_100), offsetMinutes: 0)
    let second = try toy.repo.createCommit(
      tree: try toy.repo.writeTree(entries), parents: [toy.base], author: sig, committer: sig, message: "v2\n")
    try toy.repo.createLightweightTag("v2.0", at: second)
    return toy
  }

  func loaded(_ dir: TempDir) throws -> LoadedSeries {
    LoadedSeries(series: try SeriesParser.parse(Mbox.split(patchMail(subject: "toy", diff: Self.diff)), source: "test"), manifest: nil)
  }

  @Test func oneRowPerTreeAndTheExitCodeTheRowsCallFor() throws {
    let dir = try TempDir()
    let toy = try twoTags(dir)
    let refsBefore = try toy.repo.reference("refs/heads/main")
    let matrix = try BackportMatrix.run(
      try loaded(dir), BackportRequest(variants: ["as-posted"], trees: ["v1.0", "v2.0"], base: nil), repository: toy.repo,
      home: PatchCheckHome(root: dir.path("home")), console: Terminal(quiet: true))
    #expect(matrix.rows.map(\.tree) == ["v1.0", "v2.0"])
    #expect(matrix.rows.map(\.outcome.applied) == [true, false])
    #expect(matrix.rows.allSatisfy { $0.met && $0.build == nil })
    #expect(matrix.exitCode == Verdict.applyFail.exitCode)
    let table = matrix.text
    #expect(table.count == 3)
    #expect(table[1].hasPrefix("v1.0  as-posted  applies") && table[1].hasSuffix("toy.c#1:ok"))
    #expect(table[2].contains("APPLY-FAIL") && table[2].hasSuffix("toy.c#1:FAIL"))
    // Several trees are a dry run: no branch is made.
    for name in ["as-posted", "as-posted-on-v1.0", "as-posted-on-v2.0"] {
      #expect(try toy.repo.reference("refs/heads/patchcheck/toy/\(name)") == nil)
    }
    #expect(try toy.repo.reference("refs/heads/main") == refsBefore)
  }

  @Test func oneTreeMakesTheBranchAndShowsTheDetail() throws {
    let dir = try TempDir()
    let toy = try twoTags(dir)
    let matrix = try BackportMatrix.run(
      try loaded(dir), BackportRequest(variants: ["as-posted"], trees: nil, base: "v1.0"), repository: toy.repo,
      home: PatchCheckHome(root: dir.path("home")), console: Terminal(quiet: true))
    #expect(matrix.exitCode == 0)
    #expect(try toy.repo.reference("refs/heads/patchcheck/toy/as-posted-on-v1.0") != nil)
    #expect(matrix.text.first?.hasPrefix("base: v1.0") == true)
    #expect(matrix.text.contains { $0.hasPrefix("branch: refs/heads/patchcheck/toy/as-posted-on-v1.0 -> ") })
  }

  /// One series applied on two bases the user chose, then on the one its manifest picks:
  /// three branches, each still holding the head its own apply reported (before, the
  /// second apply moved the one branch the first report named).
  @Test func eachBaseTheUserChoosesKeepsItsOwnBranch() throws {
    let dir = try TempDir()
    let toy = try twoTags(dir)
    // v1.1: v1.0 with line 9 changed, far from the hunk: the patch applies, on another parent.
    let v1 = try #require(try toy.repo.commit(for: "v1.0"))
    let text = numberedLines(1...10).replacingOccurrences(of: "int line9;", with: "long line9;")
    let tree = try toy.repo.replacing(
      "drivers/toy.c", with: try toy.repo.writeBlob(Data(text.utf8)), in: try toy.repo.commitInfo(v1).tree)
    let sig = Signature(name: "Test", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_200), offsetMinutes: 0)
    try toy.repo.createLightweightTag(
      "v1.1", at: try toy.repo.createCommit(tree: tree, parents: [v1], author: sig, committer: sig, message: "v1.1\n"))
    try "name: toy\nmessage-id: toy-1@example.com\nfallback-base: v1.0\n".write(
      to: dir.path("manifest.yaml"), atomically: true, encoding: .utf8)
    var series = try loaded(dir)
    series.manifest = try SeriesManifest.load(dir.path("manifest.yaml"))
    var heads: [String: String] = [:]
    for base in ["v1.0", "v1.1", nil] {
      let matrix = try BackportMatrix.run(
        series, BackportRequest(variants: ["as-posted"], trees: nil, base: base), repository: toy.repo,
        home: PatchCheckHome(root: dir.path("home")), console: Terminal(quiet: true))
      let outcome = try #require(matrix.rows.first?.outcome)
      heads[try #require(outcome.branch)] = try #require(outcome.head)
    }
    #expect(
      heads.keys.sorted() == [
        "refs/heads/patchcheck/toy/as-posted", "refs/heads/patchcheck/toy/as-posted-on-v1.0",
        "refs/heads/patchcheck/toy/as-posted-on-v1.1",
      ])
    #expect(Set(heads.values).count == 2, "v1.0 chosen and v1.0 as the fallback make one commit; v1.1 another")
    for (branch, head) in heads { #expect(try toy.repo.reference(branch)?.description == head, "\(branch)") }
  }

  /// A variant expected not to apply meets its expectation on its own base only.
  @Test func anExpectationIsJudgedOnTheVariantsOwnBase() throws {
    let dir = try TempDir()
    let toy = try twoTags(dir)
    try """
    name: toy
    message-id: toy-1@example.com
    variants:
      old-tree:
        base: v2.0
        expect:
          verdict: APPLY-FAIL
      wrong:
        base: v1.0
        expect:
          verdict: APPLY-FAIL
    """.write(to: dir.path("manifest.yaml"), atomically: true, encoding: .utf8)
    var series = try loaded(dir)
    series.manifest = try SeriesManifest.load(dir.path("manifest.yaml"))
    let matrix = try BackportMatrix.run(
      series, BackportRequest(variants: SelectedVariant.names("old-tree,wrong", of: series), trees: ["v1.0", "v2.0"], base: nil),
      repository: toy.repo, home: PatchCheckHome(root: dir.path("home")), console: Terminal(quiet: true))
    #expect(
      matrix.rows.map { "\($0.tree) \($0.variant) \($0.met)" } == [
        "v1.0 old-tree true", "v1.0 wrong false", "v2.0 old-tree true", "v2.0 wrong true",
      ])
    #expect(matrix.exitCode == Verdict.expectationUnmet.exitCode)
  }
}

/// `tree checkout`'s worktree name: the folder's name and a hash of its full path.
@Suite struct TreeCheckoutTests {
  @Test func foldersCalledAlikeGetTheirOwnWorktree() {
    let a = TreeCheckout.worktreeName(for: URL(fileURLWithPath: "/tmp/a/linux"))
    let b = TreeCheckout.worktreeName(for: URL(fileURLWithPath: "/tmp/b/linux"))
    #expect(a.hasPrefix("linux-") && b.hasPrefix("linux-") && a != b)
    #expect(a == TreeCheckout.worktreeName(for: URL(fileURLWithPath: "/tmp/a/../a/linux")))
  }
}

/// The branch name of a series on a base: plain on the series' own, named after one the
/// user chose, none for a review's parts and bisect's steps.
@Suite struct SeriesBranchTests {
  @Test(arguments: [
    ("v7.2.11", "v7.2.11"), ("origin/master", "origin-master"), ("HEAD~2", "HEAD-2"), ("v1..v2", "v1.v2"),
    (".hidden.lock", "hidden"), ("a:b^c", "a-b-c"), (String(repeating: "ab", count: 20), "abababababab"), ("/", "-"),
  ])
  func aRevisionBecomesOneRefComponent(_ revision: String, _ component: String) {
    #expect(SeriesBranch.component(revision) == component)
  }

  @Test func thePlanNamesItsBranchByWhoChoseTheBase() throws {
    let dir = try TempDir()
    try patchMail(subject: "PCI: Toy change", diff: BackportMatrixTests.diff).write(
      to: dir.path("toy.mbox"), atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.series = dir.path("toy.mbox").path
    let plan = try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home")))
    func base(_ requested: String?) -> BaseResolution {
      BaseResolution(
        requested: requested, stated: nil, used: requested ?? "v7.3.4", commit: String(repeating: "0", count: 40),
        substituted: false, note: nil)
    }
    #expect(plan.branch(on: base(nil)) == "refs/heads/patchcheck/pci-toy-change/as-posted")
    #expect(plan.branch(on: base("v7.2.11")) == "refs/heads/patchcheck/pci-toy-change/as-posted-on-v7.2.11")
    let part = plan.part(
      scenario: plan.scenarios[0], patches: 1, base: String(repeating: "1", count: 40), boots: 1, output: dir.path("p"))
    #expect(part.branch(on: base(String(repeating: "1", count: 40))) == nil)
    let judge = try KernelJudge(home: PatchCheckHome(root: dir.path("home")), options: options, stepsFolder: dir.path("steps"))
    let step = judge.step(try #require(ObjectID(hex: String(repeating: "2", count: 40))), output: dir.path("steps/0001"))
    #expect(step.requestedBase == String(repeating: "2", count: 40))
    #expect(step.branch(on: base(String(repeating: "2", count: 40))) == nil)
  }
}

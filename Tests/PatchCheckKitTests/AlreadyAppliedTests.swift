import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries

/// A series partly upstream (issue 32): a patch whose change the tree already has is named
/// as such, fails the apply without --skip-applied and is skipped with it; a patch that
/// genuinely conflicts is not called already applied.
@Suite struct AlreadyAppliedTests {
  /// The toy file: `int line1;` ... `int line60;`.
  static let source = numberedLines(1...60)

  /// Patch 1: after line 20, adds a guarded block; patch 2: replaces line 40.
  static let first = """
    diff --git a/drivers/toy.c b/drivers/toy.c
    index 1111111..2222222 100644
    --- a/drivers/toy.c
    +++ b/drivers/toy.c
    @@ -18,6 +18,10 @@ void toy(void)
     int line18;
     int line19;
     int line20;
    +if (toy_ready(dev))
    +\treturn toy_start(dev, TOY_FAST);
    +toy_count++;
    +
     int line21;
     int line22;
     int line23;

    """
  static let second = """
    diff --git a/drivers/toy.c b/drivers/toy.c
    index 2222222..3333333 100644
    --- a/drivers/toy.c
    +++ b/drivers/toy.c
    @@ -41,7 +41,7 @@ void toy(void)
     int line37;
     int line38;
     int line39;
    -int line40;
    +int line40 = 40;
     int line41;
     int line42;
     int line43;

    """

  func twoPatches() throws -> Series {
    let text =
      patchMail(subject: "toy: start when ready", diff: Self.first, messageID: "1@x").replacingOccurrences(of: "1/1", with: "1/2")
      + "\n"
      + patchMail(subject: "toy: set line 40", diff: Self.second, messageID: "2@x").replacingOccurrences(of: "1/1", with: "2/2")
    return try SeriesParser.parse(Mbox.split(text), source: "test")
  }

  /// A tree at tag v1.1 whose drivers/toy.c is `text`, with a commit of `subject` on top of v1.0.
  func tree(_ text: String, subject: String = "toy: something else") throws -> (ToyRepo, TempDir) {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: Self.source)
    let base = try toy.repo.commitInfo(toy.base).tree
    let tree = try toy.repo.replacing("drivers/toy.c", with: try toy.repo.writeBlob(Data(text.utf8)), in: base)
    let sig = Signature(name: "Up", email: "up@example.com", time: Date(timeIntervalSince1970: 1_700_000_100), offsetMinutes: 0)
    let commit = try toy.repo.createCommit(
      tree: tree, parents: [toy.base], author: sig, committer: sig, message: "\(subject)\n\nUpstream.\n")
    try toy.repo.createLightweightTag("v1.1", at: commit)
    return (toy, dir)
  }

  func apply(_ toy: ToyRepo, skip: Bool, branch: String? = nil) throws -> ApplyOutcome {
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    return try applier.apply(
      try twoPatches(), base: try applier.resolveBase(requested: "v1.1", stated: nil, fallback: nil), branch: branch, check: false,
      mode: ApplyMode(skipApplied: skip))
  }

  /// The tree with patch 1's lines after line 20, as the patch makes them.
  static var exactly: String {
    source.replacingOccurrences(
      of: "int line20;\n", with: "int line20;\nif (toy_ready(dev))\n\treturn toy_start(dev, TOY_FAST);\ntoy_count++;\n\n")
  }

  /// Patch 1's lines, but merged upstream beside other code: line 21 is gone and a comment
  /// and a blank line stand around them, so neither the patch nor its reverse applies.
  static var anotherForm: String {
    source.replacingOccurrences(
      of: "int line20;\nint line21;\n",
      with: "int line20;\n/* start early */\nif (toy_ready(dev))\n    return toy_start(dev, TOY_FAST);\n\ntoy_count++;\nint toy_extra;\n")
  }

  @Test(arguments: [("exactly", true), ("in another form", false)])
  func aPatchAlreadyInTheTreeFailsWithTheDiagnosisWithoutTheFlag(_ form: String, _ exact: Bool) throws {
    let (toy, dir) = try tree(exact ? Self.exactly : Self.anotherForm)
    defer { withExtendedLifetime(dir) {} }
    let outcome = try apply(toy, skip: false, branch: "refs/heads/patchcheck/toy/as-posted")
    #expect(!outcome.applied, "\(form): APPLY-FAIL as before")
    #expect(outcome.patches.map(\.result) == [.failed, .notAttempted])
    let found = try #require(outcome.patches[0].alreadyInTree)
    #expect(found.evidence == (exact ? .reverseApplies : .addedLinesPresent))
    #expect(found.addedLines == 3)
    #expect(found.history == SubjectSearch(commit: nil, subject: nil, searched: 2, complete: true))
    let error = try #require(outcome.patches[0].error)
    #expect(error.contains("patch 1/2 'toy: start when ready' is already in the tree: its 3 added lines are in drivers/toy.c"))
    #expect(error.contains("its subject is not found in the history (2 commits, the whole history)"))
    #expect(error.contains("rerun with --skip-applied"))
    #expect(try toy.repo.reference("refs/heads/patchcheck/toy/as-posted") == nil)
  }

  @Test(arguments: [true, false])
  func withTheFlagTheRestAppliesOnTop(_ exact: Bool) throws {
    let (toy, dir) = try tree(exact ? Self.exactly : Self.anotherForm)
    defer { withExtendedLifetime(dir) {} }
    let outcome = try apply(toy, skip: true, branch: "refs/heads/patchcheck/toy/as-posted")
    #expect(outcome.applied)
    #expect(outcome.patches.map(\.result) == [.skippedAlreadyApplied, .applied])
    #expect(!outcome.nothingApplied)
    #expect(outcome.patches[0].error?.contains("skipped (--skip-applied)") == true)
    let head = try #require(outcome.head.flatMap(ObjectID.init(hex:)))
    #expect(try toy.repo.commitInfo(head).parents == [try #require(try toy.repo.commit(for: "v1.1"))], "one commit: patch 2's")
    let text = String(decoding: try #require(try toy.repo.file("drivers/toy.c", in: head)), as: UTF8.self)
    #expect(text.contains("int line40 = 40;"))
    #expect(text.components(separatedBy: "toy_count++;").count == 2, "patch 1's lines once, not twice")
    // The reports say so: the detail view, the summary and JUnit.
    let row = BackportRow(tree: "v1.1", variant: "as-posted", outcome: outcome, edits: [], expectation: nil, met: true)
    let detail = BackportMatrix(rows: [row], total: 2, check: false).detail(row)
    #expect(detail.contains("[skipped-already-applied] 1/2 toy: start when ready"))
    #expect(detail.contains("skipped as already in the tree (--skip-applied): patch 1"))
    var report = Report(run: "r", startedAt: Date())
    report.patches = outcome.patches
    #expect(
      SummaryWriter.markdown(for: report).contains("Skipped (--skip-applied): patch 1/2 'toy: start when ready' is already in the tree"))
    let junit = JUnitWriter.suites(for: report).first { $0.name == "apply" }
    #expect(junit?.cases.map(\.skipped) == [true, false])
    #expect(junit?.cases.allSatisfy { $0.failure == nil } == true)
  }

  @Test func aGenuineConflictIsNotCalledAlreadyApplied() throws {
    // Upstream changed the same place another way: line 20 and 21 rewritten, none of the
    // patch's lines there.
    let conflicting = Self.source.replacingOccurrences(
      of: "int line20;\nint line21;\n", with: "int line20 = 1;\nif (toy_ready(dev))\n\treturn toy_stop(dev);\nint line21;\n")
    let (toy, dir) = try tree(conflicting)
    defer { withExtendedLifetime(dir) {} }
    for skip in [false, true] {
      let outcome = try apply(toy, skip: skip)
      #expect(!outcome.applied, "APPLY-FAIL, with --skip-applied too")
      #expect(outcome.patches.map(\.result) == [.failed, .notAttempted])
      #expect(outcome.patches[0].alreadyInTree?.inTree == false)
      #expect(outcome.patches[0].error?.contains("already") == false)
      #expect(outcome.patches[0].error?.contains("--skip-applied") == false)
    }
  }

  @Test func theSubjectIsFoundInTheHistoryWhenTheTreeHasTheCommit() throws {
    let (toy, dir) = try tree(Self.exactly, subject: "toy: start when ready")
    defer { withExtendedLifetime(dir) {} }
    let outcome = try apply(toy, skip: true)
    let found = try #require(outcome.patches[0].alreadyInTree)
    let upstream = try #require(try toy.repo.commit(for: "v1.1"))
    #expect(found.history?.commit == upstream.description)
    #expect(found.history?.searched == 1)
    #expect(outcome.patches[0].error?.contains("its subject is commit \(upstream.description.prefix(12)) 'toy: start when ready'") == true)
    // Bounded: a limit of one commit below the match says how far it looked.
    let cut = try toy.repo.findSubject("toy: nothing like it", from: upstream, limit: 1)
    #expect(cut == SubjectSearch(commit: nil, subject: nil, searched: 1, complete: false))
  }

  @Test func aSeriesWhollyInTheTreeLeavesNothingToTest() throws {
    // Both patches upstream: the tree is what the series makes.
    let both = Self.exactly.replacingOccurrences(of: "int line40;\n", with: "int line40 = 40;\n")
    let (toy, dir) = try tree(both)
    defer { withExtendedLifetime(dir) {} }
    let outcome = try apply(toy, skip: true, branch: "refs/heads/patchcheck/toy/as-posted")
    #expect(outcome.patches.map(\.result) == [.skippedAlreadyApplied, .skippedAlreadyApplied])
    #expect(outcome.nothingApplied)
    #expect(outcome.head == nil)
    let error = try #require(outcome.nothingLeftError)
    #expect(error.kind == .seriesAlreadyApplied)
    #expect(error.exitCode == 32)
    #expect(!error.description.contains("\n"))
    #expect(error.message.hasPrefix("all 2 patches of the series are already in v1.1"))
  }

  /// The presence check alone: a one-line change whose line is common is not taken for the
  /// patch unless its context stands beside it.
  @Test func aShortCommonLineNeedsItsContext() throws {
    let hunk = try #require(
      try UnifiedDiff.parse(
        "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,3 +1,4 @@\n int a;\n int b;\n+return 0;\n int c;\n"
      ).first?.hunks.first)
    let elsewhere = ["int x;", "return 0;", "int y;"] + Array(repeating: "int z;", count: 20) + ["int a;", "int b;", "int c;"]
    #expect(!ChangePresence.presence(of: hunk, in: elsewhere, near: 24).holds)
    #expect(ChangePresence.presence(of: hunk, in: ["int a;", "int b;", "", "return 0;", "int c;"], near: 1).holds)
  }

  /// A real series: `pci-iov-vf-setup-null-deref-v2` (posted for 6.12) is in 7.3.4 in a
  /// later form; the imported tree's one-commit history does not have its subject.
  @Test(.enabled(if: RealTree.has("v7.3.4"), Comment(rawValue: RealTree.missing)))
  func aRealSeriesUpstreamIn734IsRecognised() throws {
    let mbox = Shared.root.appendingPathComponent("patches/real/pci-iov-vf-setup-null-deref-v2.mbox")
    try #require(FileManager.default.fileExists(atPath: mbox.path), "\(mbox.path) is missing")
    let repo = try GitRepository(path: RealTree.path)
    let applier = Applier(repository: repo, console: Terminal(quiet: true))
    let base = try applier.resolveBase(requested: "v7.3.4", stated: nil, fallback: nil)
    let series = try SeriesParser.read(mbox)
    let plain = try applier.apply(series, base: base, branch: nil, check: true)
    #expect(!plain.applied)
    let found = try #require(plain.patches.first?.alreadyInTree)
    #expect(found.evidence == .addedLinesPresent)
    #expect(found.files == ["drivers/pci/iov.c"])
    #expect(found.history?.commit == nil)
    #expect(plain.patches.first?.error?.contains("is already in the tree") == true)
    let skipped = try applier.apply(series, base: base, branch: nil, check: true, mode: ApplyMode(skipApplied: true))
    #expect(skipped.nothingLeftError?.kind == .seriesAlreadyApplied)
  }
}

/// patchcheck's imported kernel tree, when this machine has one.
enum RealTree {
  static var path: String { PatchCheckHome().treeRepository.path }
  static let missing = "no imported kernel tree at ~/.cache/patchcheck/linux.git with tag v7.3.4 ('patchcheck tree import --debian 7.3')"
  static func has(_ tag: String) -> Bool {
    guard FileManager.default.fileExists(atPath: path), let repo = try? GitRepository(path: path) else { return false }
    return (try? repo.commit(for: tag)) != nil
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

@Suite struct VariantTests {
  /// Two files, three hunks: toy.c hunks in toy_a() and toy_b(), other.c one hunk.
  func twoFileSeries() throws -> (ToyRepo, Series, TempDir) {
    let dir = try TempDir()
    let toy = try ToyRepo(
      at: dir.path("repo.git"),
      files: [
        "Makefile": "VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\n", "Kconfig": "mainmenu \"toy\"\n",
        "drivers/toy.c": numberedLines(1...60), "drivers/other.c": numberedLines(1...20),
      ])
    var diff = "diff --git a/drivers/toy.c b/drivers/toy.c\nindex 1111111..2222222 100644\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n"
    diff +=
      "@@ -9,7 +9,7 @@ void toy_a(void)\n int line9;\n int line10;\n int line11;\n-int line12;\n+int line12 = 12;\n int line13;\n int line14;\n int line15;\n"
    diff +=
      "@@ -39,7 +39,8 @@ void toy_b(void)\n int line39;\n int line40;\n int line41;\n-int line42;\n+int line42 = 42;\n+int extra;\n int line43;\n int line44;\n int line45;\n"
    diff += "diff --git a/drivers/other.c b/drivers/other.c\nindex 3333333..4444444 100644\n--- a/drivers/other.c\n+++ b/drivers/other.c\n"
    diff +=
      "@@ -4,7 +4,7 @@ void other(void)\n int line4;\n int line5;\n int line6;\n-int line7;\n+int line7 = 7;\n int line8;\n int line9;\n int line10;\n"
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "toy: two files", diff: diff)), source: "test")
    return (toy, series, dir)
  }

  func applyEdited(_ edits: [PatchEdit], _ toy: ToyRepo, _ series: Series) throws -> (ApplyOutcome, ObjectID?) {
    let (edited, _) = try PatchEditor.apply(edits, to: series, manifest: "test.yaml")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let outcome = try applier.apply(
      edited, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: nil, check: false)
    return (outcome, outcome.head.flatMap(ObjectID.init(hex:)))
  }

  func content(_ toy: ToyRepo, _ head: ObjectID?, _ path: String) throws -> String {
    let head = try #require(head)
    return String(decoding: try #require(try toy.repo.file(path, in: head)), as: UTF8.self)
  }

  @Test func renderRoundTripsTheRealPosting() throws {
    let series = try SeriesParser.read(Shared.v9)
    let diff = series.patches[0].diff
    #expect(UnifiedDiff.render(try UnifiedDiff.parse(diff)) == diff)
  }

  @Test func dropAHunkByFunctionKeepsTheRest() throws {
    let (toy, series, dir) = try twoFileSeries()
    defer { withExtendedLifetime(dir) {} }
    let (outcome, head) = try applyEdited([PatchEdit(drop: HunkTarget(file: "drivers/toy.c", function: "toy_a"))], toy, series)
    #expect(outcome.applied)
    let toyC = try content(toy, head, "drivers/toy.c")
    #expect(toyC.contains("int line12;\n"))
    #expect(toyC.contains("int line42 = 42;\nint extra;\n"))
    #expect(try content(toy, head, "drivers/other.c").contains("int line7 = 7;"))
    // The commit carries exactly the edited diff.
    #expect(outcome.patches[0].patchID == outcome.patches[0].commitPatchID)
  }

  @Test func dropTheFirstHunkThatAddsLinesShiftsNothingWrongly() throws {
    let (toy, series, dir) = try twoFileSeries()
    defer { withExtendedLifetime(dir) {} }
    let (outcome, head) = try applyEdited([PatchEdit(drop: HunkTarget(file: "drivers/toy.c", hunk: 2))], toy, series)
    #expect(outcome.applied)
    #expect(try content(toy, head, "drivers/toy.c").contains("int line12 = 12;"))
    #expect(!(try content(toy, head, "drivers/toy.c").contains("extra")))
  }

  @Test func keepFilesAndReverse() throws {
    let (toy, series, dir) = try twoFileSeries()
    defer { withExtendedLifetime(dir) {} }
    let (kept, head) = try applyEdited([PatchEdit(keepFiles: ["drivers/other.c"])], toy, series)
    #expect(kept.applied)
    #expect(try content(toy, head, "drivers/toy.c") == numberedLines(1...60))
    // Reversing a hunk of a posting against its own base cannot apply: the tree lacks the result.
    let (reversed, _) = try applyEdited([PatchEdit(reverse: HunkTarget(file: "drivers/other.c", hunk: 1))], toy, series)
    #expect(!reversed.applied)
    #expect(reversed.patches[0].hunks.first { $0.file == "drivers/other.c" }?.result == .failed)
  }

  /// A backport: the target tree's context differs; a context rewrite makes the hunk fit.
  @Test func rewriteContextForATreeWhoseContextDiffers() throws {
    let (_, series, dir) = try twoFileSeries()
    let old = try ToyRepo(
      at: dir.path("old.git"),
      files: [
        "Makefile": "VERSION = 1\n", "Kconfig": "x\n",
        "drivers/toy.c": numberedLines(1...60).replacingOccurrences(of: "int line10;", with: "long line10;"),
        "drivers/other.c": numberedLines(1...20),
      ])
    let (asPosted, _) = try applyEdited([], old, series)
    #expect(!asPosted.applied)
    let rewrite = PatchEdit(rewriteContext: ContextRewrite(file: "drivers/toy.c", hunk: 1, from: "int line10;", to: "long line10;"))
    let (fixed, head) = try applyEdited([rewrite], old, series)
    #expect(fixed.applied)
    #expect(try content(old, head, "drivers/toy.c").contains("long line10;\nint line11;\nint line12 = 12;"))
  }

  @Test func editsThatNameNothingOrContradictAreUsageErrorsWithTheirLine() throws {
    let (_, series, dir) = try twoFileSeries()
    defer { withExtendedLifetime(dir) {} }
    let cases: [([PatchEdit], String)] = [
      ([PatchEdit(drop: HunkTarget(file: "drivers/nope.c"), line: 7)], "test.yaml:7: the series has no file drivers/nope.c"),
      ([PatchEdit(drop: HunkTarget(file: "drivers/toy.c", hunk: 3), line: 8)], "test.yaml:8: drivers/toy.c has 2 hunk(s)"),
      (
        [
          PatchEdit(drop: HunkTarget(file: "drivers/toy.c", hunk: 1), line: 3),
          PatchEdit(reverse: HunkTarget(file: "drivers/toy.c", hunk: 1), line: 4),
        ], "test.yaml:4: 'reverse drivers/toy.c hunk 1' contradicts the edit at line 3"
      ),
      (
        [PatchEdit(rewriteContext: ContextRewrite(file: "drivers/toy.c", from: "no such line", to: "x"), line: 9)],
        "test.yaml:9: no context line"
      ),
      ([PatchEdit(keepFiles: ["drivers/zzz.c"], line: 2)], "test.yaml:2: keep-files names drivers/zzz.c"),
    ]
    for (edits, message) in cases {
      do {
        _ = try PatchEditor.apply(edits, to: series, manifest: "test.yaml")
        Issue.record("accepted: \(message)")
      } catch let error as PatchCheckError {
        #expect(error.kind == .usage)
        #expect(error.message.hasPrefix(message), "\(error.message)")
      }
    }
  }

  @Test func manifestEditsCarryTheirLineNumbers() throws {
    let dir = try TempDir()
    try FileManager.default.createDirectory(at: dir.path("s"), withIntermediateDirectories: true)
    let yaml = """
      name: s
      message-id: x@y
      variants:
        control:
          edits:
            - drop: {file: drivers/toy.c, hunk: 9}
      """
    try yaml.write(to: dir.path("s/manifest.yaml"), atomically: true, encoding: .utf8)
    let manifest = try SeriesManifest.load(dir.path("s/manifest.yaml"))
    #expect(manifest.variants?["control"]?.edits?.first?.line == 6)
    let (_, series, toyDir) = try twoFileSeries()
    defer { withExtendedLifetime(toyDir) {} }
    do {
      _ = try SelectedVariant.select("control", from: LoadedSeries(series: series, manifest: manifest))
      Issue.record("hunk 9 accepted")
    } catch let error as PatchCheckError {
      #expect(error.message.contains("manifest.yaml:6:"))
    }
    #expect(throws: PatchCheckError.self) { try SelectedVariant.select("nope", from: LoadedSeries(series: series, manifest: manifest)) }
  }

  @Test func aPatchAlreadyInTheTreeIsReportedAsSuch() throws {
    let (toy, series, dir) = try twoFileSeries()
    defer { withExtendedLifetime(dir) {} }
    let (first, head) = try applyEdited([], toy, series)
    #expect(first.applied)
    try toy.repo.createLightweightTag("v1.1", at: try #require(head))
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let onNew = try applier.resolveBase(requested: "v1.1", stated: nil, fallback: nil)
    let again = try applier.apply(series, base: onNew, branch: nil, check: true)
    #expect(!again.applied, "without --skip-applied a patch the tree has is an APPLY-FAIL")
    #expect(again.patches.map(\.result) == [.failed])
    #expect(again.patches.first?.alreadyInTree?.evidence == .reverseApplies)
    #expect(again.patches.first?.error?.contains("--skip-applied") == true)
    let skipped = try applier.apply(series, base: onNew, branch: nil, check: true, mode: ApplyMode(skipApplied: true))
    #expect(skipped.patches.map(\.result) == [.skippedAlreadyApplied])
    #expect(skipped.nothingApplied)
    #expect(skipped.nothingLeftError?.kind == .seriesAlreadyApplied)
  }

  /// libgit2's patch-id is git's `--stable` one: checked against git itself on the postings.
  @Test func patchIDsAgreeWithGit() throws {
    let dir = try TempDir()
    let repo = try GitRepository.create(at: dir.path("r.git").path, bare: true)
    for mbox in [Shared.v9, Shared.v10] {
      let git = try ProcessRunner.run(["sh", "-c", "git patch-id --stable < \"$0\"", mbox.path])
      let expected = git.output.split(separator: "\n").map { String($0.prefix(40)) }
      let ours = try SeriesParser.read(mbox).patches.map { try repo.patchID(diff: $0.diff).description }
      #expect(ours == expected)
    }
  }

  /// A mail made without `index` lines and with one line of context still gets git's id,
  /// and so does the commit made from it.
  @Test func patchIDsOfIndexlessNarrowContextMailsAgreeWithGit() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    var diff = "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n"
    diff += "@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    let file = dir.path("p.diff")
    try diff.write(to: file, atomically: true, encoding: .utf8)
    let git = try ProcessRunner.run(["sh", "-c", "git patch-id --stable < \"$0\"", file.path])
    #expect(try toy.repo.patchID(diff: diff).description == String(git.output.prefix(40)))
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "narrow", diff: diff)), source: "t")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let outcome = try applier.apply(
      series, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: nil, check: true)
    #expect(outcome.applied)
    #expect(outcome.patches[0].commitPatchID == String(git.output.prefix(40)))
  }

  /// A hand-made patch with uneven context still applies (its change set is what the commit
  /// carries), and a change set that lost a hunk does not compare equal.
  @Test func changeSetsIgnoreContextButNotMissingChanges() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -20,3 +20,4 @@\n int line20;\n int line21;\n int line22;\n+int added;\n"
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "uneven", diff: diff)), source: "t")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let outcome = try applier.apply(
      series, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: nil, check: true)
    #expect(outcome.applied, "\(outcome.patches.first?.error ?? "")")
    let (_, full, keep) = try twoFileSeries()
    defer { withExtendedLifetime(keep) {} }
    let all = UnifiedDiff.changeSet(try UnifiedDiff.parse(full.patches[0].diff))
    let (edited, _) = try PatchEditor.apply([PatchEdit(drop: HunkTarget(file: "drivers/toy.c", hunk: 1))], to: full, manifest: "t")
    #expect(UnifiedDiff.changeSet(try UnifiedDiff.parse(edited.patches[0].diff)) != all)
  }

  @Test func theV9NegativeControlDropsOnlyTheReentrancyHunk() throws {
    let loaded = try SeriesSource.load(nil, home: PatchCheckHome(root: FileManager.default.temporaryDirectory))
    let control = try SelectedVariant.select("no-reentrancy", from: loaded)
    #expect(control.series.patches[0].files.map(\.path) == ["drivers/pci/iov.c"])
    #expect(control.edits.map(\.file) == ["drivers/pci/probe.c"])
    #expect(control.variant.expect?.verdict == .fail)
  }
}

@Suite struct ThreeWayTests {
  /// v0.9 has the file the patch was made against; v1.0 changed a context line of the hunk
  /// (and, for the conflict case, the very line the patch changes).
  func history(changing lines: [String: String]) throws -> (ToyRepo, String, TempDir) {
    let dir = try TempDir()
    let original = numberedLines(1...40)
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: original)
    var changed = original
    for (from, to) in lines { changed = changed.replacingOccurrences(of: from, with: to) }
    let entries = [
      TreeEntry(
        path: "Makefile", blob: try toy.repo.writeBlob(Data("VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\nEXTRAVERSION =\n".utf8)),
        mode: .file),
      TreeEntry(path: "Kconfig", blob: try toy.repo.writeBlob(Data("mainmenu \"toy\"\n".utf8)), mode: .file),
      TreeEntry(path: "drivers/toy.c", blob: try toy.repo.writeBlob(Data(changed.utf8)), mode: .file),
    ]
    let sig = Signature(name: "T", email: "t@x", time: Date(timeIntervalSince1970: 1_700_000_100), offsetMinutes: 0)
    let next = try toy.repo.createCommit(
      tree: try toy.repo.writeTree(entries), parents: [toy.base], author: sig, committer: sig, message: "v1.1\n")
    try toy.repo.createLightweightTag("v1.1", at: next)
    let preimage = try toy.repo.writeBlob(Data(original.utf8)).description.prefix(12)
    var diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\nindex \(preimage)..abcdef012345 100644\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n"
    diff +=
      "@@ -18,7 +18,7 @@ void toy(void)\n int line18;\n int line19;\n int line20;\n-int line21;\n+int line21 = 21;\n int line22;\n int line23;\n int line24;\n"
    return (toy, diff, dir)
  }

  func run(_ toy: ToyRepo, _ diff: String, threeWay: Bool) throws -> ApplyOutcome {
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "toy: 3-way", diff: diff)), source: "test")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    return try applier.apply(
      series, base: try applier.resolveBase(requested: "v1.1", stated: nil, fallback: nil), branch: nil, check: false, threeWay: threeWay)
  }

  @Test func aHunkWhoseContextMovedMergesThreeWays() throws {
    let (toy, diff, dir) = try history(changing: ["int line18;": "long line18;"])
    defer { withExtendedLifetime(dir) {} }
    #expect(!(try run(toy, diff, threeWay: false)).applied)
    let outcome = try run(toy, diff, threeWay: true)
    #expect(outcome.applied)
    #expect(outcome.patches[0].hunks.map(\.result) == [.merged])
    let head = try #require(outcome.head.flatMap(ObjectID.init(hex:)))
    let text = String(decoding: try #require(try toy.repo.file("drivers/toy.c", in: head)), as: UTF8.self)
    #expect(text.contains("long line18;\nint line19;\nint line20;\nint line21 = 21;\n"))
  }

  @Test func aConflictIsReportedWithItsMarkers() throws {
    let (toy, diff, dir) = try history(changing: ["int line18;": "long line18;", "int line21;": "short line21;"])
    defer { withExtendedLifetime(dir) {} }
    let outcome = try run(toy, diff, threeWay: true)
    #expect(!outcome.applied)
    #expect(outcome.patches[0].hunks.map(\.result) == [.conflict])
    let conflict = try #require(outcome.patches[0].conflicts?.first)
    #expect(conflict.file == "drivers/toy.c")
    #expect(conflict.text.contains { $0.hasPrefix("<<<<<<<") })
    #expect(conflict.text.contains("short line21;") && conflict.text.contains("int line21 = 21;"))
  }

  @Test func withoutThePreimageBlobThreeWaySaysSo() throws {
    let (toy, diff, dir) = try history(changing: ["int line18;": "long line18;"])
    defer { withExtendedLifetime(dir) {} }
    let unknown = diff.replacingOccurrences(of: #"index [0-9a-f]+\.\."#, with: "index 0123456789ab..", options: .regularExpression)
    let outcome = try run(toy, unknown, threeWay: true)
    #expect(!outcome.applied)
    #expect(outcome.patches[0].error?.contains("preimage blob") == true)
  }
}

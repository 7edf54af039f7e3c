import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

@Suite struct ApplyTests {
  /// A one-hunk diff against drivers/toy.c replacing `line N` (context: 3 lines each side).
  func diffReplacing(_ n: Int, statedAt stated: Int) -> String {
    var out = "diff --git a/drivers/toy.c b/drivers/toy.c\nindex 1111111..2222222 100644\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n"
    out += "@@ -\(stated),7 +\(stated),7 @@ void toy(void)\n"
    for i in (n - 3)..<n { out += " int line\(i);\n" }
    out += "-int line\(n);\n+int line\(n) = \(n);\n"
    for i in (n + 1)...(n + 3) { out += " int line\(i);\n" }
    return out
  }

  func series(_ diff: String) throws -> Series {
    try SeriesParser.parse(Mbox.split(patchMail(subject: "toy: set a line", diff: diff)), source: "test")
  }

  @Test func appliesAndCommitsAsGitAmWould() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let base = try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil)
    let outcome = try applier.apply(
      try series(diffReplacing(20, statedAt: 17)), base: base, branch: "refs/heads/patchcheck/toy/as-posted", check: false)
    #expect(outcome.applied)
    let patch = try #require(outcome.patches.first)
    #expect(patch.result == .applied)
    #expect(patch.hunks.map(\.line) == [17])
    #expect(patch.hunks.map(\.offset) == [0])
    let head = try #require(outcome.head.flatMap(ObjectID.init(hex:)))
    let content = try #require(try toy.repo.file("drivers/toy.c", in: head))
    #expect(String(decoding: content, as: UTF8.self).contains("int line20 = 20;"))
    let info = try toy.repo.commitInfo(head)
    #expect(info.parents == [toy.base])
    #expect(info.message.hasPrefix("toy: set a line\n\nA change for the tests."))
    #expect(try toy.repo.reference("refs/heads/patchcheck/toy/as-posted") == head)
  }

  /// A patch is applied by reading only the folders on its paths: with the tree object of
  /// an unrelated folder gone from the object database, the patch still applies, and the
  /// folder comes back whole in the result once its object is restored.
  @Test func applyReadsOnlyTheFoldersOnThePatchsPaths() throws {
    let dir = try TempDir()
    var files = ["Makefile": "VERSION = 1\n", "Kconfig": "mainmenu \"toy\"\n", "drivers/toy.c": numberedLines(1...40)]
    for i in 1...20 { files["net/core/f\(i).c"] = "int f\(i);\n" }
    let toy = try ToyRepo(at: dir.path("repo.git"), files: files)
    let baseTree = try toy.repo.commitInfo(toy.base).tree
    // The only tree object holding net/core's files: remove it, keep its bytes.
    let before = try Set(loosePaths(dir.path("repo.git/objects")))
    let netCoreTree = try #require(
      try treeObjectFile(in: dir.path("repo.git/objects"), among: before, holding: "f1.c"))
    let bytes = try Data(contentsOf: netCoreTree)
    try FileManager.default.removeItem(at: netCoreTree)
    // A fresh handle: the one that wrote the trees may still cache them.
    let fresh = try GitRepository(path: dir.path("repo.git").path)
    #expect(throws: (any Error).self) { try fresh.treePaths(baseTree) }
    let applied = try fresh.apply(diff: diffReplacing(20, statedAt: 17), to: baseTree)
    try bytes.write(to: netCoreTree)
    let content = try #require(try toy.repo.file("drivers/toy.c", inTree: applied))
    #expect(String(decoding: content, as: UTF8.self).contains("int line20 = 20;"))
    #expect(try toy.repo.treePaths(applied).sorted() == files.keys.sorted())
    #expect(try toy.repo.file("net/core/f7.c", inTree: applied) == Data("int f7;\n".utf8))
  }

  /// Deletions, renames, new files in new folders and mode changes come out as git makes them.
  @Test func deletesRenamesCreatesAndModeChangesApply() throws {
    let dir = try TempDir()
    let toy = try ToyRepo(
      at: dir.path("repo.git"),
      files: ["Makefile": "m\n", "fs/a.c": "a\n", "fs/sub/b.c": "b1\nb2\nb3\n", "tools/run.sh": "echo\n"])
    let diff = """
      diff --git a/fs/a.c b/fs/a.c
      deleted file mode 100644
      index 78981922613b..000000000000
      --- a/fs/a.c
      +++ /dev/null
      @@ -1 +0,0 @@
      -a
      diff --git a/fs/sub/b.c b/fs/c.c
      similarity index 100%
      rename from fs/sub/b.c
      rename to fs/c.c
      diff --git a/new/dir/n.c b/new/dir/n.c
      new file mode 100644
      index 000000000000..8fd5a8cda3b0
      --- /dev/null
      +++ b/new/dir/n.c
      @@ -0,0 +1 @@
      +n
      diff --git a/tools/run.sh b/tools/run.sh
      old mode 100644
      new mode 100755

      """
    let applied = try toy.repo.apply(diff: diff, to: try toy.repo.commitInfo(toy.base).tree)
    #expect(try toy.repo.treePaths(applied).sorted() == ["Makefile", "fs/c.c", "new/dir/n.c", "tools/run.sh"])
    #expect(try toy.repo.file("fs/c.c", inTree: applied) == Data("b1\nb2\nb3\n".utf8))
    #expect(try toy.repo.file("new/dir/n.c", inTree: applied) == Data("n\n".utf8))
    #expect(try toy.repo.fileMode("tools/run.sh", inTree: applied) == 0o100755)
  }

  /// libgit2 alone searches only forward of the stated line; git apply finds hunks that
  /// moved up too. patchcheck must apply those, and report the offset.
  @Test func appliesHunksThatMovedUpOrDown() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...60))
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let base = try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil)
    for (stated, offset) in [(20, -3), (14, 3)] {
      let outcome = try applier.apply(try series(diffReplacing(20, statedAt: stated)), base: base, branch: nil, check: true)
      #expect(outcome.applied, "stated at \(stated)")
      #expect(outcome.patches[0].hunks[0].offset == offset)
      #expect(outcome.patches[0].hunks[0].line == 17)
      #expect(outcome.head == nil, "--check records nothing")
    }
  }

  @Test func aHunkThatDoesNotApplyShowsWhatItNeedsAndWhatTheTreeHas() throws {
    let dir = try TempDir()
    var source = numberedLines(1...40)
    source = source.replacingOccurrences(of: "int line19;", with: "int line19_renamed;")
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: source)
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let base = try applier.resolveBase(requested: nil, stated: nil, fallback: "v1.0")
    let outcome = try applier.apply(
      try series(diffReplacing(20, statedAt: 17)), base: base, branch: "refs/heads/patchcheck/x/y", check: false)
    #expect(!outcome.applied)
    let hunk = try #require(outcome.patches.first?.hunks.first)
    #expect(hunk.result == .failed)
    #expect(hunk.expected?.contains("int line19;") == true)
    #expect(hunk.actual?.contains("int line19_renamed;") == true)
    #expect(hunk.closestLine == 17, "the differing line is shown where the hunk nearly fits")
    #expect(outcome.patches[0].error != nil)
    #expect(try toy.repo.reference("refs/heads/patchcheck/x/y") == nil, "no branch for a failed series")
  }

  @Test func laterPatchesAreNotAttemptedAfterAFailure() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    let bad = diffReplacing(20, statedAt: 17).replacingOccurrences(of: " int line19;", with: " int line19_missing;")
    let text =
      patchMail(subject: "one", diff: bad, messageID: "1@x").replacingOccurrences(of: "1/1", with: "1/2")
      + "\n"
      + patchMail(subject: "two", diff: diffReplacing(30, statedAt: 27), messageID: "2@x").replacingOccurrences(of: "1/1", with: "2/2")
    let two = try SeriesParser.parse(Mbox.split(text), source: "test")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let outcome = try applier.apply(
      two, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: nil, check: false)
    #expect(outcome.patches.map(\.result) == [.failed, .notAttempted])
  }

  @Test func aMissingBaseFallsBackAndSaysSo() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...10))
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let stated = "c8be6ef92d9bc54f012627375b87b44d3eefe451"
    let base = try applier.resolveBase(requested: nil, stated: stated, fallback: "v1.0")
    #expect(base.substituted)
    #expect(base.used == "v1.0")
    #expect(base.note?.contains("c8be6ef92d9b") == true)
    #expect(throws: PatchCheckError.self) { try applier.resolveBase(requested: nil, stated: stated, fallback: nil) }
    do {
      _ = try applier.resolveBase(requested: nil, stated: stated, fallback: nil)
    } catch let error as PatchCheckError {
      #expect(error.kind == .baseMissing)
      #expect(error.hint.contains("--base"))
    }
  }

  @Test func theUsersCheckoutIsLeftAsItWas() throws {
    let dir = try TempDir()
    // A non-bare repository with a real working tree, index and HEAD.
    let toy = try ToyRepo.kernelLike(at: dir.path("work"), source: numberedLines(1...40), bare: false)
    try toy.repo.checkout(toy.base, branch: "refs/heads/main")
    let file = dir.path("work/drivers/toy.c")
    try "local edit\n".write(to: file, atomically: true, encoding: .utf8)
    let indexBefore = try Data(contentsOf: dir.path("work/.git/index"))
    let headBefore = try String(contentsOf: dir.path("work/.git/HEAD"), encoding: .utf8)

    let opened = try Applier.openRepository(dir.path("work").path)
    let applier = Applier(repository: opened, console: Terminal(quiet: true))
    let outcome = try applier.apply(
      try series(diffReplacing(20, statedAt: 17)), base: try applier.resolveBase(requested: "main", stated: nil, fallback: nil),
      branch: "refs/heads/patchcheck/toy/as-posted", check: false)
    #expect(outcome.applied)
    #expect(try String(contentsOf: file, encoding: .utf8) == "local edit\n")
    #expect(try Data(contentsOf: dir.path("work/.git/index")) == indexBefore)
    #expect(try String(contentsOf: dir.path("work/.git/HEAD"), encoding: .utf8) == headBefore)
    #expect(try opened.reference("refs/heads/main") == toy.base)
  }

  @Test func notAGitRepositoryOrNotAKernelTree() throws {
    let dir = try TempDir()
    do {
      _ = try Applier.openRepository(dir.url.path)
      Issue.record("opened a folder that is not a repository")
    } catch let error as PatchCheckError {
      #expect(error.kind == .notAGitRepository)
    }
    let plain = try ToyRepo(at: dir.path("plain.git"), files: ["README": "hi\n"])
    let applier = Applier(repository: plain.repo, console: Terminal(quiet: true))
    do {
      _ = try applier.apply(
        try series(diffReplacing(20, statedAt: 17)), base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil),
        branch: nil, check: true)
      Issue.record("applied to a tree that is not a kernel")
    } catch let error as PatchCheckError {
      #expect(error.kind == .notAKernelTree)
    }
  }

  @Test func relocatingHeadersKeepsLaterHunksConsistent() throws {
    let diff = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -10,3 +10,4 @@ a\n x\n+y\n x\n x\n@@ -20,3 +21,3 @@ b\n x\n-z\n+w\n x\n"
    let moved = UnifiedDiff.relocate(diff, to: [[8, 19]])
    #expect(moved.contains("@@ -8,3 +8,4 @@ a"))
    #expect(moved.contains("@@ -19,3 +20,3 @@ b"))
  }
}

/// Every loose object file under `objects`.
func loosePaths(_ objects: URL) throws -> [URL] {
  try FileManager.default.contentsOfDirectory(at: objects, includingPropertiesForKeys: nil)
    .filter { $0.lastPathComponent.count == 2 }
    .flatMap { try FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) }
}

/// The loose tree object whose inflated content names `entry`.
func treeObjectFile(in objects: URL, among files: Set<URL>, holding entry: String) throws -> URL? {
  for file in files {
    let inflated = try ProcessRunner.run(
      ["python3", "-c", "import sys,zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1],'rb').read()))", file.path])
    if inflated.output.hasPrefix("tree "), inflated.output.contains(entry) { return file }
  }
  return nil
}

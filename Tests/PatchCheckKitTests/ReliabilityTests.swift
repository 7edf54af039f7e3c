import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Inputs that arrive damaged or unusual from mail: each is read or refused cleanly, and a
/// refused patch leaves the repository as it was.
@Suite struct ReliabilityTests {
  let diff =
    "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"

  func apply(_ text: String, in dir: TempDir, toy existing: ToyRepo? = nil) throws -> (ToyRepo, ApplyOutcome) {
    let toy = try existing ?? ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    // Whatever happens, the user's refs, HEAD, index and files are as they were.
    let before = try RepositorySnapshot(toy.repo)
    defer { #expect((try? RepositorySnapshot(toy.repo)) == before, "the repository changed outside patchcheck/") }
    let series = try SeriesParser.parse(Mbox.split(text), source: "test")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    return (
      toy,
      try applier.apply(
        series, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: "refs/heads/patchcheck/t/as-posted",
        check: false)
    )
  }

  /// The build slot's lock: a second holder waits (and says so) until the first lets go.
  @Test func theBuildLockMakesASecondHolderWait() throws {
    let dir = try TempDir()
    let url = dir.path("build.lock")
    var first: FileLock? = try FileLock(url) {}
    final class Flags: @unchecked Sendable {
      var waited = false
      var acquired = false
    }
    let flags = Flags()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      let second = try? FileLock(url) { flags.waited = true }
      flags.acquired = second != nil
      done.signal()
    }
    #expect(done.wait(timeout: .now() + 1) == .timedOut, "the second holder did not wait")
    first = nil
    #expect(done.wait(timeout: .now() + 10) == .success)
    #expect(flags.waited && flags.acquired)
    _ = first
  }

  /// A mail saved with CRLF line endings applies to an LF tree, and leaves no CR behind.
  @Test func crlfMailsApply() throws {
    let dir = try TempDir()
    let mail = patchMail(subject: "crlf", diff: diff).replacingOccurrences(of: "\n", with: "\r\n")
    #expect(mail.utf8.contains(0x0D))
    let (toy, outcome) = try apply(mail, in: dir)
    #expect(outcome.applied)
    #expect(try appliedFile(toy, outcome) == expectedAfterDiff)
  }

  /// drivers/toy.c as a patch that applied leaves it: the expected bytes, not just "applied".
  func appliedFile(_ toy: ToyRepo, _ outcome: ApplyOutcome) throws -> String {
    let head = try #require(outcome.head.flatMap(ObjectID.init(hex:)))
    return String(decoding: try #require(try toy.repo.file("drivers/toy.c", in: head)), as: UTF8.self)
  }

  var expectedAfterDiff: String { numberedLines(1...40).replacingOccurrences(of: "int line3;\n", with: "int line3 = 3;\n") }

  /// Both transfer encodings are decoded and the decoded patch is what gets applied: the
  /// file holds the patch's new line (a body left encoded would not apply, or apply "=3D").
  @Test func quotedPrintableAndBase64BodiesAreDecoded() throws {
    let qp = patchMail(subject: "qp", diff: diff.replacingOccurrences(of: "int line3 = 3;", with: "int line3 =3D 3;"))
      .replacingOccurrences(of: "Message-ID:", with: "Content-Transfer-Encoding: quoted-printable\nMessage-ID:")
    let dir = try TempDir()
    let (toy, outcome) = try apply(qp, in: dir)
    #expect(outcome.applied)
    #expect(try appliedFile(toy, outcome) == expectedAfterDiff)

    let body = "A change.\n\nSigned-off-by: A <a@b>\n---\n" + diff + "-- \n2.43.0\n"
    let mail =
      "From: A <a@b>\nDate: Tue, 10 Mar 2026 09:43:02 +0200\nSubject: [PATCH] b64\nContent-Transfer-Encoding: base64\nMessage-ID: <b@x>\n\n"
      + Data(body.utf8).base64EncodedString(options: .lineLength76Characters) + "\n"
    #expect(!mail.contains("int line3 = 3;"), "the diff is only in base64")
    let series = try SeriesParser.parse(Mbox.split(mail), source: "t")
    #expect(series.patches.first?.files == [FileStat(path: "drivers/toy.c", added: 1, removed: 1)])
    let other = try TempDir()
    let (toy64, applied64) = try apply(mail, in: other)
    #expect(applied64.applied)
    #expect(try appliedFile(toy64, applied64) == expectedAfterDiff)
  }

  /// A mail cut off inside a hunk (as a truncated download or a mail client's size limit
  /// leaves it): the hunk promises three lines and gets fewer. Cut where an added or removed
  /// line is missing: malformed (14), never applied as far as it goes (the parser used to
  /// pad the hunk with a blank line). Cut where the counts still balance (after a context
  /// line, or mid-line so the partial line counts): malformed or APPLY-FAIL. Never "no
  /// patches": the patch is there.
  @Test(arguments: [("-int line3;\n", true), ("-int line3;\n+int li", false), (" int line2;\n", false)])
  func aTruncatedMailIsRefusedNotApplied(_ lastKept: String, mustBeMalformed: Bool) throws {
    let whole = patchMail(subject: "cut", diff: diff)
    let hunk = try #require(whole.range(of: "@@ -2,3 +2,3 @@\n"))
    let end = try #require(whole.range(of: lastKept, range: hunk.upperBound..<whole.endIndex))
    let cut = String(whole[..<end.upperBound])
    #expect(cut.contains("From: Ada Lovelace") && cut.contains("Subject: [PATCH v2 1/1] cut"), "the headers are whole")
    #expect(!cut.contains(" int line4;"), "the cut is inside the hunk")
    let dir = try TempDir()
    do {
      let (toy, outcome) = try apply(cut, in: dir)
      #expect(!mustBeMalformed, "a hunk missing an added or removed line was not refused as malformed")
      #expect(!outcome.applied, "a hunk cut short was applied")
      #expect(outcome.head == nil)
      #expect(try toy.repo.reference("refs/heads/patchcheck/t/as-posted") == nil)
    } catch let error as PatchCheckError {
      #expect(error.kind == .patchMalformed, "\(error)")
      #expect(error.exitCode == 14)
      #expect(error.message.contains("cut short") || !mustBeMalformed, "\(error.message)")
    }
  }

  /// A hunk short only of blank context lines (a mailer stripped them) is not taken for a cut.
  @Test func aHunkShortOnlyOfBlankContextIsNotMalformed() throws {
    let files = try UnifiedDiff.parse(
      "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n a\n-b\n+c\n\n")
    #expect(files.first?.hunks.count == 1)
  }

  @Test func pathsThatLeaveTheTreeAreRefused() throws {
    for path in ["../outside.c", "/etc/passwd", "drivers/../../outside.c"] {
      let evil = diff.replacingOccurrences(of: "drivers/toy.c", with: path)
      let dir = try TempDir()
      let (toy, outcome) = try apply(patchMail(subject: "evil", diff: evil), in: dir)
      #expect(!outcome.applied, "\(path) applied")
      #expect(try toy.repo.reference("refs/heads/patchcheck/t/as-posted") == nil)
      #expect(!FileManager.default.fileExists(atPath: dir.url.deletingLastPathComponent().appendingPathComponent("outside.c").path))
    }
  }

  @Test func aPatchCreatingAFileThatExistsFails() throws {
    let create =
      "diff --git a/drivers/toy.c b/drivers/toy.c\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/drivers/toy.c\n@@ -0,0 +1 @@\n+int fresh;\n"
    let dir = try TempDir()
    let (_, outcome) = try apply(patchMail(subject: "create", diff: create), in: dir)
    #expect(!outcome.applied)
  }

  /// 10,000 messages, each its own change: every one is read whole and in order (its own
  /// subject, its own diff, nothing merged into a neighbour), and reading stays linear: ten
  /// times the messages take well under the hundred times a pass per message would.
  @Test func aHugeMboxIsReadInOnePass() throws {
    func mbox(_ count: Int) -> String {
      let template = patchMail(subject: "patch @N@", diff: diff.replacingOccurrences(of: "int line3 = 3;", with: "int line3 = @N@;"))
        .replacingOccurrences(of: "1/1", with: "@N@/\(count)").replacingOccurrences(of: "toy-1@example.com", with: "m@N@@x")
      let pieces = template.components(separatedBy: "@N@")
      return (1...count).map { pieces.joined(separator: String($0)) + "\n" }.joined()
    }
    func timed(_ text: String) throws -> (Series, Double) {
      let start = Date()
      let series = try SeriesParser.parse(Mbox.split(text), source: "huge")
      return (series, Date().timeIntervalSince(start))
    }
    let (series, seconds) = try timed(mbox(10_000))
    #expect(series.patches.count == 10_000)
    for (i, patch) in series.patches.enumerated() {
      guard patch.subject == "patch \(i + 1)", patch.diff.contains("+int line3 = \(i + 1);\n"), patch.diff.hasSuffix(" int line4;\n")
      else {
        Issue.record("message \(i + 1) was not read whole: \(patch.subject)")
        break
      }
    }
    let (_, tenth) = try timed(mbox(1_000))
    #expect(seconds < max(tenth, 0.05) * 30, "10,000 messages took \(seconds) s, 1,000 took \(tenth) s")
  }

  /// A binary patch (git format-patch --binary, made by git itself as the peer) applies
  /// through libgit2 to exactly the tree git made; a damaged one is refused, not half-applied.
  @Test func binaryPatchesApplyExactlyOrNotAtAll() throws {
    let dir = try TempDir()
    let work = dir.path("peer")
    func git(_ args: [String]) throws -> String {
      let result = try ProcessRunner.run(["git", "-C", work.path] + args, environment: ["GIT_CONFIG_NOSYSTEM": "1", "HOME": dir.url.path])
      #expect(result.succeeded, "git \(args): \(result.output)")
      return result.output
    }
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    _ = try git(["init", "-q"])
    _ = try git(["config", "user.email", "t@example.com"])
    _ = try git(["config", "user.name", "T"])
    try Data("VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\nEXTRAVERSION =\n".utf8).write(to: work.appendingPathComponent("Makefile"))
    try Data("mainmenu \"t\"\n".utf8).write(to: work.appendingPathComponent("Kconfig"))
    var firmware = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
    try firmware.write(to: work.appendingPathComponent("fw.bin"))
    _ = try git(["add", "-A"])
    _ = try git(["commit", "-qm", "base"])
    _ = try git(["tag", "v1.0"])
    firmware.append(contentsOf: [0, 1, 2, 3, 0xFF])
    try firmware.write(to: work.appendingPathComponent("fw.bin"))
    _ = try git(["commit", "-qam", "firmware: update"])
    let expectedTree = try git(["rev-parse", "HEAD^{tree}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    let mail = try git(["format-patch", "--binary", "--stdout", "-1"])
    #expect(mail.contains("GIT binary patch"))

    let repo = try GitRepository(path: work.path)
    let before = try RepositorySnapshot(repo)
    let applier = Applier(repository: repo, console: Terminal(quiet: true))
    let base = try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil)
    let outcome = try applier.apply(
      SeriesParser.parse(Mbox.split(mail), source: "bin"), base: base, branch: "refs/heads/patchcheck/bin", check: false)
    #expect(outcome.applied)
    let head = try #require(outcome.head.flatMap(ObjectID.init(hex:)))
    #expect(try repo.commitInfo(head).tree.description == expectedTree)

    // One base85 line damaged: libgit2's check of the result refuses it.
    var lines = mail.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let literal = try #require(lines.firstIndex { $0.hasPrefix("literal ") || $0.hasPrefix("delta ") })
    lines[literal + 1] = String(lines[literal + 1].prefix(1)) + String(repeating: "0", count: lines[literal + 1].count - 1)
    let damaged = lines.joined(separator: "\n")
    let failed = try? applier.apply(
      SeriesParser.parse(Mbox.split(damaged), source: "bin"), base: base, branch: "refs/heads/patchcheck/bin2", check: false)
    #expect(failed?.applied != true)
    #expect(try repo.reference("refs/heads/patchcheck/bin2") == nil)
    #expect(try RepositorySnapshot(repo) == before, "the user's checkout, index and refs are untouched")
  }

  /// A path through a symlink in the tree leaves it as surely as ../ does.
  @Test func aPathThroughASymlinkIsRefused() throws {
    let dir = try TempDir()
    let repo = try GitRepository.create(at: dir.path("repo.git").path, bare: true)
    let entries = [
      TreeEntry(path: "Makefile", blob: try repo.writeBlob(Data("VERSION = 1\nPATCHLEVEL = 0\n".utf8)), mode: .file),
      TreeEntry(path: "Kconfig", blob: try repo.writeBlob(Data("mainmenu \"t\"\n".utf8)), mode: .file),
      TreeEntry(path: "drivers/toy.c", blob: try repo.writeBlob(Data(numberedLines(1...40).utf8)), mode: .file),
      TreeEntry(path: "escape", blob: try repo.writeBlob(Data("/etc".utf8)), mode: .symlink),
    ]
    let sig = Signature(name: "T", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_000), offsetMinutes: 0)
    let base = try repo.createCommit(tree: repo.writeTree(entries), parents: [], author: sig, committer: sig, message: "base\n")
    try repo.createLightweightTag("v1.0", at: base)
    let applier = Applier(repository: repo, console: Terminal(quiet: true))
    for path in ["escape/passwd", "escape/new.c"] {
      let modify = diff.replacingOccurrences(of: "drivers/toy.c", with: path)
      let create =
        "diff --git a/\(path) b/\(path)\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/\(path)\n@@ -0,0 +1 @@\n+int evil;\n"
      for text in [modify, create] {
        let outcome = try? applier.apply(
          SeriesParser.parse(Mbox.split(patchMail(subject: "via link", diff: text)), source: "t"),
          base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: "refs/heads/patchcheck/l", check: false)
        #expect(outcome?.applied != true, "\(path) applied through the symlink")
      }
    }
    #expect(try repo.reference("refs/heads/patchcheck/l") == nil)
  }

  /// A bare repository is a fine place to apply: nothing but patchcheck's branch changes.
  @Test func aBareRepositoryWorksAndOnlyGainsPatchcheckRefs() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40), bare: true)
    let before = try RepositorySnapshot(toy.repo)
    let (_, outcome) = try apply(patchMail(subject: "bare", diff: diff), in: dir, toy: toy)
    #expect(outcome.applied)
    #expect(try RepositorySnapshot(toy.repo) == before)
  }
}

/// Two cache folders on one repository (a second PATCHCHECK_HOME, a linked linux.git): each
/// has its own worktree and branch, and neither moves the other's.
@Suite struct SharedRepository {
  @Test func twoCacheFoldersOnOneRepositoryKeepTheirOwnWorktrees() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: "int a;\n")
    let second = try toy.repo.createCommit(
      tree: try toy.repo.apply(
        diff: "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -1 +1 @@\n-int a;\n+int b;\n",
        to: try toy.repo.commitInfo(toy.base).tree),
      parents: [toy.base], author: .patchcheck(), committer: .patchcheck(), message: "b\n")
    let one = BuildSlot(home: PatchCheckHome(root: dir.path("one")), repository: toy.repo, commit: toy.base, console: Terminal(quiet: true))
    let two = BuildSlot(home: PatchCheckHome(root: dir.path("two")), repository: toy.repo, commit: second, console: Terminal(quiet: true))
    #expect(one.branch != two.branch)
    _ = try one.checkout(toy.base)
    _ = try two.checkout(second)
    #expect(try String(contentsOf: one.worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int a;\n")
    #expect(try String(contentsOf: two.worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int b;\n")
    #expect(try toy.repo.reference(one.branch) == toy.base)
    #expect(try toy.repo.reference(two.branch) == second)
    // And again, each finds its own.
    _ = try one.checkout(second)
    #expect(try toy.repo.reference(two.branch) == second)
    #expect(try String(contentsOf: two.worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int b;\n")
  }

  /// A cache folder from before worktrees were named per cache folder (its worktree is
  /// called patchcheck-build), and a worktree add that failed half-way: both still work.
  @Test func aWorktreeMadeByAnEarlierVersionOrAHalfMadeOneIsTakenOver() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: "int a;\n")
    let slot = BuildSlot(
      home: PatchCheckHome(root: dir.path("home")), repository: toy.repo, commit: toy.base, console: Terminal(quiet: true))
    try toy.repo.setReference("refs/heads/patchcheck/build", to: toy.base, log: "old")
    _ = try toy.repo.worktree(named: "patchcheck-build", at: slot.worktreePath, branch: "refs/heads/patchcheck/build")
    // A half-made admin folder under the new name, as a failed add leaves it.
    try FileManager.default.createDirectory(
      at: dir.path("repo.git/worktrees/\(slot.worktreeName)"), withIntermediateDirectories: true)
    let worktree = try slot.checkout(toy.base)
    #expect(try worktree.headCommit() == toy.base)
    #expect(try String(contentsOf: slot.worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int a;\n")
    // A fresh cache folder whose admin folder is half-made gets its worktree all the same.
    let fresh = BuildSlot(
      home: PatchCheckHome(root: dir.path("fresh")), repository: toy.repo, commit: toy.base, console: Terminal(quiet: true))
    try FileManager.default.createDirectory(
      at: dir.path("repo.git/worktrees/\(fresh.worktreeName)"), withIntermediateDirectories: true)
    _ = try fresh.checkout(toy.base)
    #expect(FileManager.default.fileExists(atPath: fresh.worktreePath.appendingPathComponent("Makefile").path))
  }
}

/// docs/reliability.md is a list of claims, each backed by a test: every row of its tables
/// with a "test" column names at least one `Suite.test`, and each named test exists.
@Suite struct ReliabilityDocTests {
  @Test func everyRowNamesATestThatExists() throws {
    let root = ProjectData.root
    let doc = try String(contentsOf: root.appendingPathComponent("docs/reliability.md"), encoding: .utf8)
    let folder = root.appendingPathComponent("Tests/PatchCheckKitTests")
    let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
      .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
    func exists(_ suite: String, _ test: String) -> Bool {
      sources.contains { text in
        (text.contains("struct \(suite) {") || text.contains("struct \(suite): "))
          && (text.contains("func \(test)(") || text.contains("func \(test) ("))
      }
    }
    var testColumn: Int?
    var rows = 0
    for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
      guard line.hasPrefix("|") else {
        testColumn = nil
        continue
      }
      let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
        .map { $0.trimmingCharacters(in: .whitespaces) }
      if line.hasPrefix("|---") { continue }
      if testColumn == nil {
        testColumn = cells.firstIndex(of: "test") ?? -1
        continue
      }
      guard let column = testColumn, column >= 0 else { continue }
      rows += 1
      let cell = column < cells.count ? cells[column] : ""
      let names = cell.matches(of: #/`([A-Z][A-Za-z0-9]*)\.([a-z][A-Za-z0-9]*)`/#).map { (String($0.output.1), String($0.output.2)) }
      #expect(!names.isEmpty || cell == "same", "a row names no test: \(line.prefix(100))")
      for (suite, test) in names {
        #expect(exists(suite, test), "\(suite).\(test) is not a test (row: \(line.prefix(80)))")
      }
    }
    #expect(rows > 40, "read only \(rows) rows")
  }
}

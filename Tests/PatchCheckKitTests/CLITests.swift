import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The command line itself: each failure a user can cause is one line on stderr saying what
/// to do, with its documented exit code, and nothing of the user's is touched.
@Suite struct CLITests {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static var binary: URL { ProjectData.root.appendingPathComponent(".build/debug/patchcheck") }

  func run(_ arguments: [String], environment: [String: String] = [:], home: URL) throws -> Run {
    try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the tool first (swift build)")
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["PATCHCHECK_HOME"] = home.path
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }

  /// One `patchcheck: error:` line: what failed; what to do.
  func expectOneLineError(_ result: Run, code: Int32, mentioning words: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == code, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
    let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("patchcheck: error:") }
    #expect(errors.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
    #expect(errors.first?.contains(words) == true, "\(result.stderr)", sourceLocation: sourceLocation)
    #expect(errors.first?.contains("; ") == true, "no hint: \(result.stderr)", sourceLocation: sourceLocation)
  }

  @Test func badInputsEachHaveTheirOwnCode() throws {
    let dir = try TempDir()
    let home = dir.path("home")
    // Not a repository.
    expectOneLineError(try run(["apply", "--repo", dir.url.path], home: home), code: 10, mentioning: "not a git repository")
    // No tree imported yet.
    expectOneLineError(try run(["apply"], home: home), code: 10, mentioning: "no kernel tree")
    // A series file that does not exist, and one with no patches.
    expectOneLineError(try run(["series", "show", dir.path("nope.mbox").path], home: home), code: 12, mentioning: "nope.mbox")
    try "From: a@b\nSubject: hi\n\nno diff here\n".write(to: dir.path("empty.mbox"), atomically: true, encoding: .utf8)
    expectOneLineError(try run(["series", "show", dir.path("empty.mbox").path], home: home), code: 13, mentioning: "no patches")
    // A repository whose base is missing and nothing to fall back to.
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    try patchMail(subject: "toy", diff: diff).write(to: dir.path("toy.mbox"), atomically: true, encoding: .utf8)
    expectOneLineError(
      try run(["apply", "--repo", dir.path("repo.git").path, "--series", dir.path("toy.mbox").path], home: home), code: 15,
      mentioning: "base-commit")
    expectOneLineError(
      try run(["apply", "--repo", dir.path("repo.git").path, "--series", dir.path("toy.mbox").path, "--base", "v9.9"], home: home),
      code: 15, mentioning: "v9.9")
    // A variant that does not exist; an unknown scenario.
    expectOneLineError(
      try run(
        ["apply", "--repo", dir.path("repo.git").path, "--series", dir.path("toy.mbox").path, "--base", "v1.0", "--variant", "nope"],
        home: home),
      code: 2, mentioning: "nope")
    // A patch that does not apply: exit 3, and the repository's refs are as they were.
    let refsBefore = try toy.repo.reference("refs/heads/main")
    let bad = diff.replacingOccurrences(of: " int line2;", with: " int line2_missing;")
    try patchMail(subject: "toy", diff: bad).write(to: dir.path("bad.mbox"), atomically: true, encoding: .utf8)
    let failed = try run(
      ["apply", "--repo", dir.path("repo.git").path, "--series", dir.path("bad.mbox").path, "--base", "v1.0"], home: home)
    #expect(failed.status == 3)
    #expect(failed.stdout.contains("hunk needs:"))
    #expect(try toy.repo.reference("refs/heads/main") == refsBefore)
    // Flags out of range are usage errors.
    #expect(try run(["apply-and-boot", "--vfs", "9"], home: home).status == 64)
  }

  @Test func bisectInputErrorsAreOneLineWithTheirCodes() throws {
    let dir = try TempDir()
    let home = dir.path("home")
    // Ends missing: the parser says so.
    #expect(try run(["bisect"], home: home).status == 64)
    #expect(try run(["bisect", "--good", "v1", "--bad", "v2", "--any-failure", "--title", "x"], home: home).status == 64)
    // Nothing to resume.
    let out = dir.path("bisect")
    expectOneLineError(try run(["bisect", "--resume", "--out", out.path], home: home), code: 18, mentioning: "no bisect log")
    // A folder holding an unfinished bisect is not overwritten.
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    var log = BisectLog(request: BisectRequest(good: ["v1.0"], bad: "main"))
    log.steps = []
    try log.write(out.appendingPathComponent("bisect.json"))
    let before = try Data(contentsOf: out.appendingPathComponent("bisect.json"))
    expectOneLineError(
      try run(["bisect", "--good", "v1.0", "--bad", "main", "--out", out.path], home: home), code: 18,
      mentioning: "unfinished bisect")
    #expect(try Data(contentsOf: out.appendingPathComponent("bisect.json")) == before)
    // A revision the repository does not have.
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...10))
    expectOneLineError(
      try run(["bisect", "--repo", toy.repo.gitDirectory, "--good", "v9.9", "--bad", "main", "--out", dir.path("b2").path], home: home),
      code: 15, mentioning: "v9.9")
    // bisect-run outside a repository: an error git bisect run stops on (above 127).
    let notRepo = try run(["bisect-run", "--repo", dir.url.path], home: home)
    #expect(notRepo.status == 128 + 10, "\(notRepo.stderr)")
    #expect(notRepo.stderr.contains("not a git repository"))
  }

  @Test func missingQemuOrBusyboxOrCompilerIsSaidBeforeAnyWork() throws {
    let dir = try TempDir()
    // A PATH with the build tools but no QEMU.
    let bin = dir.path("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    for tool in ["make", "gcc", "flex", "bison", "bc", "env", "file", "sh"] {
      if let path = ProcessRunner.which(tool) {
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(tool).path, withDestinationPath: path)
      }
    }
    expectOneLineError(
      try run(["apply-and-boot"], environment: ["PATH": bin.path], home: dir.path("home")), code: 20, mentioning: "qemu-system-x86_64")
    // Without any one of the build tools, that tool is named first, before QEMU.
    for tool in ["make", "gcc", "flex", "bison"] {
      let link = bin.appendingPathComponent(tool)
      let target = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
      try FileManager.default.removeItem(at: link)
      expectOneLineError(try run(["apply-and-boot"], environment: ["PATH": bin.path], home: dir.path("home")), code: 22, mentioning: tool)
      try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target)
    }
  }

  @Test func notAKernelTreeAndABadFragmentAreRefusedBeforeAnyWork() throws {
    let dir = try TempDir()
    let home = dir.path("home")
    // A git repository that is not a kernel tree.
    let toy = try ToyRepo(at: dir.path("notes.git"), files: ["README": "notes\n"])
    let diff = "diff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n-notes\n+more notes\n"
    try patchMail(subject: "notes", diff: diff).write(to: dir.path("n.mbox"), atomically: true, encoding: .utf8)
    let before = try RepositorySnapshot(toy.repo)
    expectOneLineError(
      try run(["apply", "--repo", toy.repo.gitDirectory, "--series", dir.path("n.mbox").path, "--base", "v1.0"], home: home),
      code: 11, mentioning: "not a kernel tree")
    #expect(try RepositorySnapshot(toy.repo) == before)
    // A fragment with a line that is not an option (merge_config.sh would skip it quietly).
    try "CONFIG_LOCKDEP=y\nLOCKDEP=y\n".write(to: dir.path("bad.config"), atomically: true, encoding: .utf8)
    expectOneLineError(
      try run(["apply-and-boot", "--fragment", dir.path("bad.config").path], home: home), code: 24, mentioning: "bad.config:2")
    try Data([0xFF, 0xFE, 0x00, 0x43]).write(to: dir.path("binary.config"))
    expectOneLineError(
      try run(["apply-and-boot", "--fragment", dir.path("binary.config").path], home: home), code: 24, mentioning: "not text")
    expectOneLineError(
      try run(["apply-and-boot", "--fragment", dir.path("missing.config").path], home: home), code: 24, mentioning: "missing.config")
  }

  /// `--scenarios ''` would run nothing and pass: a usage error before any work.
  @Test func anEmptyScenarioListIsAUsageError() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("toy.git"), source: numberedLines(1...5))
    expectOneLineError(
      try run(["apply-and-boot", "--repo", toy.repo.gitDirectory, "--scenarios", ""], home: dir.path("home")), code: 2,
      mentioning: "no scenario selected")
  }

  /// An error patchcheck did not foresee (here: the output folder cannot be made, under a
  /// file) is the harness's failure: INFRA-ERROR's code, never FAIL's 1; and for git bisect
  /// run, 128 + 5, which stops the bisect, never 1 ("bad").
  @Test func anUnexpectedErrorIsNeverExitOne() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("toy.git"), source: numberedLines(1...5))
    try "a file".write(to: dir.path("file"), atomically: true, encoding: .utf8)
    let blocked = dir.path("file/run").path
    let run1 = try run(
      ["apply-and-boot", "--repo", toy.repo.gitDirectory, "--base", "v1.0", "--scenarios", "numvfs", "--out", blocked],
      home: dir.path("home"))
    expectOneLineError(run1, code: 5, mentioning: "not the series'")
    let run2 = try run(
      ["bisect-run", "--repo", toy.repo.gitDirectory, "--scenarios", "numvfs", "--out", blocked], home: dir.path("home"))
    #expect(run2.status == 133, "exit \(run2.status): \(run2.stderr)")
    #expect(run2.stderr.contains("git bisect stops here"), "\(run2.stderr)")
  }

  @Test func analyzeReadsAnySavedLog() throws {
    let dir = try TempDir()
    let result = try run(["analyze", "--json", Fixtures.url("boot-v7.3.4-v9-no-reentrancy.log").path], home: dir.path("home"))
    #expect(result.status == 0)
    let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let splats = try #require(json?["splats"] as? [[String: Any]])
    #expect(splats.first?["title"] as? String == "possible deadlock in sriov_disable")
    #expect(splats.first?["kind"] as? String == "lockdep-recursive")
  }

  /// `tree checkout` gives the user a folder of their own at an imported version, and refuses
  /// to write into a folder that exists.
  @Test func treeCheckoutMakesAFolderOfAnImportedVersion() throws {
    let dir = try TempDir()
    let home = dir.path("home")
    _ = try TreeImporter(home: PatchCheckHome(root: home), console: Terminal(quiet: true))
      .importTarball(try KernelTests.toyTarball(in: dir, sublevel: "1", script: "one"))
    let checkout = try run(["tree", "checkout", "v9.9.1", dir.path("mine").path], home: home)
    #expect(checkout.status == 0)
    #expect(try String(contentsOf: dir.path("mine/scripts/run.sh"), encoding: .utf8) == "#!/bin/sh\necho one\n")
    try "edited\n".write(to: dir.path("mine/Kconfig"), atomically: true, encoding: .utf8)
    expectOneLineError(try run(["tree", "checkout", "v9.9.1", dir.path("mine").path], home: home), code: 2, mentioning: "exists")
    #expect(try String(contentsOf: dir.path("mine/Kconfig"), encoding: .utf8) == "edited\n", "an existing folder is left alone")
    expectOneLineError(try run(["tree", "checkout", "v9.9.7", dir.path("other").path], home: home), code: 15, mentioning: "v9.9.7")
    #expect(!FileManager.default.fileExists(atPath: dir.path("other").path))
  }

  /// `tree checkout --move` moves a folder it made to another version, keeping edits that
  /// the move does not overwrite, and refuses a folder it did not make.
  @Test func treeCheckoutMovesAFolderItMade() throws {
    let dir = try TempDir()
    let home = dir.path("home")
    let importer = TreeImporter(home: PatchCheckHome(root: home), console: Terminal(quiet: true))
    _ = try importer.importTarball(try KernelTests.toyTarball(in: dir, sublevel: "1", script: "one"))
    _ = try importer.importTarball(try KernelTests.toyTarball(in: dir, sublevel: "2", script: "two"))
    #expect(try run(["tree", "checkout", "v9.9.1", dir.path("mine").path], home: home).status == 0)
    try "edited\n".write(to: dir.path("mine/Kconfig"), atomically: true, encoding: .utf8)
    let moved = try run(["tree", "checkout", "--move", "v9.9.2", dir.path("mine").path], home: home)
    #expect(moved.status == 0)
    #expect(try String(contentsOf: dir.path("mine/scripts/run.sh"), encoding: .utf8) == "#!/bin/sh\necho two\n")
    #expect(try String(contentsOf: dir.path("mine/Kconfig"), encoding: .utf8) == "edited\n", "an edit the move does not touch is kept")
    try "mine\n".write(to: dir.path("mine/scripts/run.sh"), atomically: true, encoding: .utf8)
    expectOneLineError(try run(["tree", "checkout", "--move", "v9.9.1", dir.path("mine").path], home: home), code: 2, mentioning: "edited")
    #expect(
      try String(contentsOf: dir.path("mine/scripts/run.sh"), encoding: .utf8) == "mine\n", "an edit the move would overwrite is kept")
    try FileManager.default.createDirectory(at: dir.path("plain"), withIntermediateDirectories: true)
    expectOneLineError(try run(["tree", "checkout", "--move", "v9.9.1", dir.path("plain").path], home: home), code: 2, mentioning: "made")
  }
}

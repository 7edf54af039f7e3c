import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// A fresh folder per test, removed at the end.
final class TempDir {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("patchcheck-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  /// PATCHCHECK_KEEP_TEST_FILES=1 keeps every test's folder (its runs' consoles and reports)
  /// for a failure to be looked into.
  deinit {
    if ProcessInfo.processInfo.environment["PATCHCHECK_KEEP_TEST_FILES"] == "1" { return }
    try? FileManager.default.removeItem(at: url)
  }
  func path(_ name: String) -> URL { url.appendingPathComponent(name) }
}

enum Shared {
  /// ../shared beside the checkout: the posted series and the console corpus.
  static var root: URL { ProjectData.root.deletingLastPathComponent().appendingPathComponent("shared") }
  static var v9: URL { root.appendingPathComponent("patches/pci-iov-reentrant-v9.mbox") }
  static var v10: URL { root.appendingPathComponent("patches/pci-iov-reentrant-v10.mbox") }
  static var corpus: URL { root.appendingPathComponent("console-corpus/syzkaller") }
  /// 340 more logs with syzkaller's expected parse, for the title ratchet.
  static var trainCorpus: URL { root.appendingPathComponent("console-corpus/syzkaller-train") }
}

enum Fixtures {
  static func url(_ name: String) -> URL {
    ProjectData.root.appendingPathComponent("Tests/PatchCheckKitTests/Fixtures").appendingPathComponent(name)
  }
  static func text(_ name: String) throws -> String { try String(contentsOf: url(name), encoding: .utf8) }
}

/// A real git repository made with libgit2: one commit holding `files`.
struct ToyRepo {
  let repo: GitRepository
  let base: ObjectID

  init(at url: URL, files: [String: String], bare: Bool = true) throws {
    let repo = try GitRepository.create(at: url.path, bare: bare)
    self.repo = repo
    let entries = try files.map { path, text in
      TreeEntry(path: path, blob: try repo.writeBlob(Data(text.utf8)), mode: .file)
    }
    let tree = try repo.writeTree(entries)
    let sig = Signature(name: "Test", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_000), offsetMinutes: 0)
    base = try repo.createCommit(tree: tree, parents: [], author: sig, committer: sig, message: "base\n")
    try repo.setReference("refs/heads/main", to: base, log: "test")
    try repo.setHead("refs/heads/main")
    try repo.createLightweightTag("v1.0", at: base)
  }

  /// A kernel-looking tree: Makefile, Kconfig and a C file.
  static func kernelLike(at url: URL, source: String, bare: Bool = true) throws -> ToyRepo {
    try ToyRepo(
      at: url,
      files: [
        "Makefile": "VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\nEXTRAVERSION =\n",
        "Kconfig": "mainmenu \"toy\"\n", "drivers/toy.c": source,
      ], bare: bare)
  }
}

/// Numbered C lines: "line 1;" ... for building files and patches with known positions.
func numberedLines(_ range: ClosedRange<Int>) -> String {
  range.map { "int line\($0);" }.joined(separator: "\n") + "\n"
}

/// A single-patch mail in `git format-patch` form.
func patchMail(subject: String, diff: String, from: String = "Ada Lovelace <ada@example.com>", messageID: String = "toy-1@example.com")
  -> String
{
  """
  From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
  From: \(from)
  Date: Tue, 10 Mar 2026 09:43:02 +0200
  Subject: [PATCH v2 1/1] \(subject)
  Message-ID: <\(messageID)>

  A change for the tests.

  Signed-off-by: Ada Lovelace <ada@example.com>
  ---
   drivers/toy.c | 2 +-
   1 file changed, 1 insertion(+), 1 deletion(-)

  \(diff)--\u{20}
  2.43.0

  """
}

/// What of a user's repository patchcheck must never change, byte for byte: HEAD, the index,
/// the config, every ref outside `refs/heads/patchcheck/`, packed refs, and the working files.
struct RepositorySnapshot: Equatable {
  var files: [String: Data] = [:]

  init(_ repo: GitRepository) throws {
    let gitDir = URL(fileURLWithPath: repo.gitDirectory)
    for name in ["HEAD", "index", "config", "packed-refs"] {
      files[".git/" + name] = FileManager.default.contents(atPath: gitDir.appendingPathComponent(name).path)
    }
    try collect(gitDir.appendingPathComponent("refs"), as: ".git/refs") { !$0.hasPrefix(".git/refs/heads/patchcheck") }
    if let workdir = repo.workdir {
      try collect(URL(fileURLWithPath: workdir), as: "") { !$0.hasPrefix(".git") }
    }
  }

  private mutating func collect(_ folder: URL, as prefix: String, keep: (String) -> Bool) throws {
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return }
    for case let url as URL in walker {
      let relative = prefix + url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count)
      let name = relative.hasPrefix("/") ? String(relative.dropFirst()) : relative
      guard keep(name), (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
      files[name] = FileManager.default.contents(atPath: url.path)
    }
  }
}

/// The generated guest runner, run for real by busybox sh on the host: no mounts, no
/// poweroff, no writes to /proc, a private /tmp. What the runner reads from the guest kernel
/// is read from files the test controls: `kernelLog` for dmesg, `taskStates` for
/// /proc/PID/stat (empty files unless the test writes them).
/// The guest's runner (guest/runner.sh, the very file the initramfs holds) run on the host
/// under busybox sh, with the paths it touches given as variables: its data (what
/// `RunnerScript.files` writes), /proc, tracefs, its scratch folder and the kernel log all
/// stand-ins in a folder of the test's own. Steps see the same variables
/// (`$PATCHCHECK_KMSG`, `$PATCHCHECK_PROC`, `$PATCHCHECK_TRACING`); the witness's port is a
/// file (`$PATCHCHECK_WITNESS_PORT`).
struct HostRunner {
  let dir: TempDir
  var data: URL { dir.path("data") }
  var kernelLog: URL { dir.path("kmsg") }
  /// /proc: its tasks' stat lines are all in one task's file.
  var proc: URL { dir.path("proc") }
  var taskStates: URL { dir.path("proc/1/stat") }
  var scratch: URL { dir.path("tmp") }
  /// Stands in for /sys/kernel/tracing (the host's own must not be touched).
  var tracing: URL { dir.path("tracing") }
  /// Stands in for the witness's serial port (ttyS1): a file, as QEMU makes it.
  var witnessPort: URL { dir.path("witness.trace") }

  init(_ dir: TempDir) throws {
    self.dir = dir
    for folder in [proc.appendingPathComponent("1"), proc.appendingPathComponent("sys/kernel"), scratch, tracing] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    try Data().write(to: kernelLog)
    try Data().write(to: taskStates)
  }

  var environment: [String: String] {
    [
      "PATH": "/usr/bin:/bin", "PATCHCHECK_HOST": "1", "PATCHCHECK_DATA": data.path, "PATCHCHECK_PROC": proc.path,
      "PATCHCHECK_TRACING": tracing.path, "PATCHCHECK_TMP": scratch.path, "PATCHCHECK_KMSG": kernelLog.path,
      "PATCHCHECK_WITNESS_PORT": witnessPort.path,
    ]
  }

  /// Writes `files` (paths as in the initramfs) into the stand-in data folder.
  func write(_ files: [String: String]) throws {
    for (path, text) in files {
      let relative = path.hasPrefix(RunnerScript.dataFolder + "/") ? String(path.dropFirst(RunnerScript.dataFolder.count + 1)) : path
      let url = data.appendingPathComponent(relative)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
  }

  /// The runner on `scenarios`, as the guest would run it. The witness's copier reads the
  /// stand-in tracefs's pages once, at the stop (`witnessPeriod`): a plain file is not emptied
  /// by reading it, as the kernel's buffer is.
  func run(
    _ scenarios: [Scenario], hungTaskTimeout: Int = 10, lockWitness: Bool = false, coverage: Bool = false, witnessDrainLimit: Int = 600,
    witnessPeriod: Int = 600, timeout: TimeInterval = 60
  ) throws -> ProcessResult {
    try write(
      RunnerScript.files(
        scenarios, hungTaskTimeout: hungTaskTimeout, lockWitness: lockWitness, coverage: coverage, witnessDrainLimit: witnessDrainLimit,
        witnessPeriod: witnessPeriod))
    return try run(program: ProjectData.programs.appendingPathComponent("runner.sh").path, timeout: timeout)
  }

  /// A program under busybox sh with the runner's variables (a shell given as text sources the
  /// runner's parts from the data folder).
  func run(program: String, timeout: TimeInterval = 60) throws -> ProcessResult {
    // A step left running outlives the runner; stop its group once the runner is done.
    let control = ProcessControl()
    return try ProcessRunner.run(
      [try Initramfs.findBusybox().path, "sh", program], environment: environment, timeout: timeout, control: control
    ) { line in
      if line.contains(RunnerScript.doneMarker) { control.stop(after: 0.2) }
    }
  }
}

/// The files of a toy kernel tree that patchcheck can configure and "build" without Linux:
/// a Makefile whose tinyconfig writes one option and whose bzImage runs `bzImage` (a recipe
/// line), a Kconfig, a merge_config.sh that appends the fragments, and `drivers/toy.c`.
func toyKernelFiles(in repo: GitRepository, bzImage: String, source: String, patchlevel: Int = 0) throws -> [TreeEntry] {
  let makefile = """
    VERSION = 1
    PATCHLEVEL = \(patchlevel)
    SUBLEVEL = 0
    EXTRAVERSION =
    tinyconfig:
    \tmkdir -p $(O) && echo CONFIG_TOY=y > $(O)/.config
    olddefconfig:
    \t@true
    bzImage:
    \t\(bzImage)

    """
  let merge = "#!/bin/sh\n# toy merge_config.sh: -m -O DIR BASE FRAGMENTS...\nout=\"$3\"; base=\"$4\"; shift 4; cat \"$@\" >> \"$base\"\n"
  return [
    TreeEntry(path: "Makefile", blob: try repo.writeBlob(Data(makefile.utf8)), mode: .file),
    TreeEntry(path: "Kconfig", blob: try repo.writeBlob(Data("mainmenu \"toy\"\n".utf8)), mode: .file),
    TreeEntry(path: "scripts/kconfig/merge_config.sh", blob: try repo.writeBlob(Data(merge.utf8)), mode: .executable),
    TreeEntry(path: "drivers/toy.c", blob: try repo.writeBlob(Data(source.utf8)), mode: .file),
  ]
}

/// The programs the tests check patchcheck against: b4, kcidb-io, actionlint and
/// check-jsonschema (from PyPI, in the virtual environment `scripts/setup.sh --tests` makes,
/// which scripts/test.sh puts first on PATH), shellcheck and chromium (from apt, the same
/// script). Under CI (CI=true) a test that needs one always runs and a missing peer fails it;
/// elsewhere the test is skipped, and the run says why. Never an early return: a test that
/// checked nothing must not pass.
enum Peer {
  static var underCI: Bool {
    ["true", "1"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")
  }

  /// Where `name` is: on PATH, or for kcidb-io the python3 on PATH that imports kcidb_io.
  static func find(_ name: String) -> String? {
    name == "kcidb-io" ? kcidbPython : ProcessRunner.which(name)
  }

  private static let kcidbPython: String? = {
    guard let python = ProcessRunner.which("python3"),
      (try? ProcessRunner.run([python, "-c", "import kcidb_io"], timeout: 60))?.succeeded == true
    else { return nil }
    return python
  }()

  static func missing(_ name: String) -> String {
    let source = ["shellcheck", "chromium"].contains(name) ? "apt" : "PyPI, into its venv put first on PATH by scripts/test.sh"
    return "\(name) is not installed: scripts/setup.sh --tests installs it (\(source))"
  }

  /// The peer's path; a missing peer fails the test.
  static func require(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    try #require(find(name), Comment(rawValue: missing(name)), sourceLocation: sourceLocation)
  }
}

extension Trait where Self == ConditionTrait {
  /// Runs the test when `peer` is installed, and always under CI (where `Peer.require` then
  /// fails it if the peer is missing).
  static func needs(_ peer: String) -> Self {
    .enabled(if: Peer.underCI || Peer.find(peer) != nil, Comment(rawValue: Peer.missing(peer)))
  }
}

// The witness's readers take the stream's bytes (a stream of pages is binary); the tests of the
// text stream (a guest of before the pages, and the committed captures) write it as text.
extension LockTrace {
  static func read(_ trace: String, focus: Set<String>) -> Read { read(Data(trace.utf8), focus: focus) }
}

extension LockWitness {
  static func read(_ log: String, trace: String) -> LockWitnessResult? { read(log, trace: Data(trace.utf8)) }
  static func reports(in log: String, trace: String) -> [Splat] { reports(in: log, trace: Data(trace.utf8)) }
}

extension ConsoleAnalyzer {
  static func reportsAndResults(in log: String, witnessTrace: String) -> (splats: [Splat], scenarios: [ScenarioResult]) {
    reportsAndResults(in: log, witnessTrace: Data(witnessTrace.utf8))
  }
}

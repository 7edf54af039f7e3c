import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Reliability claims that only real processes can show: two `tree import` processes at
/// once, a SIGINT sent to a real `patchcheck bisect` between its steps, and the verdict
/// cache read while it is written (issue 17).
@Suite struct ProcessReliabilityTests {
  /// Starts the built binary; stdout and stderr go to files, so nothing blocks on a pipe.
  final class Child {
    let process = Process()
    let stdout: URL
    let stderr: URL

    init(_ arguments: [String], home: URL, in dir: TempDir, name: String) throws {
      try #require(FileManager.default.isExecutableFile(atPath: CLITests.binary.path), "build the tool first (swift build)")
      stdout = dir.path("\(name).out")
      stderr = dir.path("\(name).err")
      FileManager.default.createFile(atPath: stdout.path, contents: nil)
      FileManager.default.createFile(atPath: stderr.path, contents: nil)
      process.executableURL = CLITests.binary
      process.arguments = arguments
      var env = ProcessInfo.processInfo.environment
      env["PATCHCHECK_HOME"] = home.path
      process.environment = env
      process.standardOutput = try FileHandle(forWritingTo: stdout)
      process.standardError = try FileHandle(forWritingTo: stderr)
      try process.run()
    }

    var errorText: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    var outputText: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }

    /// Waits at most `seconds`; kills the child if it is still running then.
    func wait(_ seconds: TimeInterval) -> Int32? {
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
      if process.isRunning {
        // Not waitUntilExit: it was seen to hang for good once the child was killed.
        kill(process.processIdentifier, SIGKILL)
        let grace = Date().addingTimeInterval(10)
        while process.isRunning, Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
        return nil
      }
      return process.terminationStatus
    }
  }

  /// Two `patchcheck tree import --tarball` processes started together on one cache folder,
  /// five times over: both succeed every time, both tags are there, and the imports branch
  /// is one chain through both (without import.lock one failed making the repository, or
  /// the second commit lost the first as its parent and a tag fell off the branch).
  @Test func twoTreeImportProcessesAtOnceBothLandOnOneChain() throws {
    let dir = try TempDir()
    let tarballs = try ["1", "2"].map { try KernelTests.toyTarball(in: dir, sublevel: $0, script: "v\($0)") }
    for round in 1...5 {
      let home = dir.path("home-\(round)")
      let children = try tarballs.enumerated().map { i, tarball in
        try Child(["tree", "import", "--tarball", tarball.path], home: home, in: dir, name: "import-\(round)-\(i)")
      }
      for child in children {
        let status = child.wait(60)
        #expect(status == 0, "round \(round): exit \(String(describing: status)): \(child.errorText)")
      }
      let repo = try GitRepository(path: PatchCheckHome(root: home).treeRepository.path)
      #expect(try repo.tagNames().sorted() == ["v9.9.1", "v9.9.2"], "round \(round)")
      var chain: [ObjectID] = []
      var next = try repo.reference(TreeImporter.importsBranch)
      while let commit = next {
        chain.append(commit)
        next = try repo.commitInfo(commit).parents.first
      }
      let tagged = try ["v9.9.1", "v9.9.2"].map { try #require(try repo.commit(for: "refs/tags/\($0)")) }
      #expect(chain.count == 2 && Set(chain) == Set(tagged), "round \(round): the imports branch lost a tag")
    }
  }

  /// A reader polling a verdict cache entry while it is rewritten again and again (a 2 MB
  /// entry and a small one in turn) sees a whole entry or none, never a cut one.
  @Test func aVerdictCacheReaderNeverSeesHalfAnEntry() throws {
    let dir = try TempDir()
    let cache = VerdictCache(folder: dir.path("verdicts"))
    let big = Judgement(verdict: .fail, titles: ["possible deadlock"], reason: String(repeating: "r", count: 2 << 20))
    let small = Judgement(verdict: .pass, titles: [], reason: "ok")
    let entry = dir.path("verdicts/key.json")
    final class State: @unchecked Sendable {
      let lock = NSLock()
      var done = false
      var writeError: String?
    }
    let state = State()
    let writer = Thread {
      for i in 0..<150 {
        do { try cache.put("key", i % 2 == 0 ? big : small) } catch {
          state.lock.withLock { state.writeError = "\(error)" }
          break
        }
      }
      state.lock.withLock { state.done = true }
    }
    writer.start()
    var reads = 0
    var whole = 0
    var cut: [Int] = []
    while !state.lock.withLock({ state.done }) {
      guard let data = FileManager.default.contents(atPath: entry.path) else { continue }
      reads += 1
      if let judgement = try? JSONDecoder().decode(Judgement.self, from: data), judgement == big || judgement == small {
        whole += 1
      } else {
        cut.append(data.count)
      }
    }
    #expect(state.lock.withLock { state.writeError } == nil)
    #expect(reads > 10, "the reader hardly ran (\(reads) reads)")
    #expect(cut.count == 0, "\(cut.count) of \(reads) reads saw a cut entry (sizes \(cut.prefix(5)))")
    #expect(cache.get("key") == small)
  }

  /// A toy kernel history whose build fails after a second (BUILD-FAIL, a skip to bisect),
  /// so a real `patchcheck bisect` takes its steps without building Linux: v1.0, then c1..c6.
  static func toyKernelHistory(at url: URL, bzImage: String = "@sleep 1; echo \"drivers/toy.c:1:1: error: toys do not boot\"; exit 1")
    throws -> (GitRepository, [ObjectID])
  {
    let repo = try GitRepository.create(at: url.path, bare: true)
    var parent: ObjectID?
    var ids: [ObjectID] = []
    for i in 0...6 {
      let sig = Signature(
        name: "T", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_000 + Double(i) * 60), offsetMinutes: 0)
      let entries = try toyKernelFiles(in: repo, bzImage: bzImage, source: numberedLines(1...(10 + i)))
      let commit = try repo.createCommit(
        tree: repo.writeTree(entries), parents: parent.map { [$0] } ?? [], author: sig, committer: sig,
        message: i == 0 ? "base\n" : "c\(i)\n")
      if i == 0 { try repo.createLightweightTag("v1.0", at: commit) }
      ids.append(commit)
      parent = commit
    }
    try repo.setReference("refs/heads/main", to: ids[6], log: "toy")
    return (repo, ids)
  }

  /// A SIGINT sent to a real `patchcheck bisect` as soon as its second step is logged (the
  /// third is starting): exit 130 and an unfinished bisect.json holding every step taken.
  /// `--resume` then finishes it judging none of those steps again: the verdict cache is
  /// emptied of them first, so only the log can know them. The ends' verdicts (FAIL, PASS)
  /// are put in the cache under the keys the command computes, so no step boots.
  @Test func aSIGINTBetweenBisectStepsThenResumeJudgesNothingTwice() throws {
    let dir = try TempDir()
    let (repo, ids) = try Self.toyKernelHistory(at: dir.path("toy.git"))
    let home = dir.path("home")
    let arguments = ["bisect", "--repo", repo.gitDirectory, "--good", "v1.0", "--bad", "main", "--scenarios", "numvfs"]

    // First, learn the request the command records, and check the cache key it implies
    // against the entry the command itself wrote for the bad end (BUILD-FAIL: not a FAIL).
    let probe = try Child(arguments + ["--out", dir.path("probe").path], home: home, in: dir, name: "probe")
    #expect(probe.wait(120) == 17, "\(probe.errorText)")
    let request = try BisectLog.read(dir.path("probe/bisect.json")).request
    let judge = try KernelJudge(
      home: PatchCheckHome(root: home), options: RunOptions(bisect: request, json: false), stepsFolder: dir.path("unused"))
    // The key holds a hash of the running executable: the command's, not this test's.
    var plan = judge.plan
    plan.tool = "\(PatchCheckVersion.current)+\(SHA256Hex.of(try Data(contentsOf: CLITests.binary)).prefix(16))"
    let inputsKey = plan.key
    func key(_ commit: ObjectID) -> String { SHA256Hex.of(Data((inputsKey + "\n" + commit.description).utf8)) }
    let verdicts = PatchCheckHome(root: home).verdicts
    let badEntry = verdicts.appendingPathComponent(key(ids[6]) + ".json")
    try #require(
      FileManager.default.fileExists(atPath: badEntry.path),
      "the cache key is not the command's: \((try? FileManager.default.contentsOfDirectory(atPath: verdicts.path)) ?? [])")
    let cache = VerdictCache(folder: verdicts)
    try cache.put(key(ids[6]), Judgement(verdict: .fail, titles: ["bug A"], reason: "kernel report: bug A"))
    try cache.put(key(ids[0]), Judgement(verdict: .pass, titles: [], reason: "all scenarios passed"))
    let seeds: Set<String> = [key(ids[6]) + ".json", key(ids[0]) + ".json"]

    let out = dir.path("bisect")
    let run = try Child(arguments + ["--out", out.path], home: home, in: dir, name: "run")
    let deadline = Date().addingTimeInterval(120)
    while run.process.isRunning, Date() < deadline, !run.errorText.contains("step 2 (of about") {
      Thread.sleep(forTimeInterval: 0.02)
    }
    try #require(run.errorText.contains("step 2 (of about"), "\(run.errorText)")
    kill(run.process.processIdentifier, SIGINT)
    #expect(run.wait(60) == 130, "\(run.errorText)")
    #expect(run.errorText.contains("interrupted"), "\(run.errorText)")
    let partial = try BisectLog.read(out.appendingPathComponent("bisect.json"))
    #expect(!partial.finished)
    let taken = partial.steps.filter { $0.role == "step" }
    #expect(taken.count == 2, "\(partial.steps.map(\.role))")
    #expect(partial.steps.count == 4, "the two ends and two steps: \(partial.steps.map(\.role))")

    // Only the log knows the steps now.
    for name in try FileManager.default.contentsOfDirectory(atPath: verdicts.path) where !seeds.contains(name) {
      try FileManager.default.removeItem(at: verdicts.appendingPathComponent(name))
    }
    let resumed = try Child(["bisect", "--resume", "--out", out.path], home: home, in: dir, name: "resume")
    let status = resumed.wait(120)
    #expect(status == 8 || status == 0, "\(resumed.errorText)")
    let log = try BisectLog.read(out.appendingPathComponent("bisect.json"))
    #expect(log.finished)
    let judged = resumed.errorText.split(separator: "\n").filter { $0.contains("judging ") }
    for step in partial.steps {
      let short = String(step.commit.prefix(7))
      #expect(!judged.contains { $0.contains(short) }, "\(short) was judged again: \(resumed.errorText)")
      let again = try #require(log.steps.first { $0.commit == step.commit })
      #expect(again.cached && again.verdict == step.verdict)
    }
    #expect(judged.count == log.steps.count - partial.steps.count, "\(resumed.errorText)")
    #expect(log.steps.count > partial.steps.count, "the resumed run took no step of its own")
  }

  /// A signal at any moment of a run, 12 times, SIGINT and SIGTERM in turn, from the moment
  /// the run's folder exists to 2.75 s later (a 300-patch series applying, the checkout, a
  /// make that never ends): every time exit 130 and a report.json that says ABORTED. The
  /// run's thread and the interrupt handler write through one lock (`ReportKeeper`); before,
  /// the handler read the run's report unsynchronised, its write was `try?`, and a signal
  /// between the folder's creation and the handler's registration left no report at all.
  @Test func aSignalAtAnyMomentLeavesAnAbortedReport() throws {
    let dir = try TempDir()
    let home = dir.path("home")
    let (repo, _) = try Self.toyKernelHistory(at: dir.path("toy.git"), bzImage: "@while :; do sleep 1; done # $(O)")
    let mbox = (1...300).map { i in
      let before = i == 1 ? "int line1;" : "int line1 = \(i - 1);"
      let diff =
        "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -1,1 +1,1 @@\n-\(before)\n+int line1 = \(i);\n"
      return patchMail(subject: "line \(i)", diff: diff, messageID: "s\(i)@x").replacingOccurrences(of: "1/1", with: "\(i)/300")
    }.joined(separator: "\n")
    try mbox.write(to: dir.path("long.mbox"), atomically: true, encoding: .utf8)
    defer {
      let left = (try? ProcessRunner.run(["pgrep", "-f", dir.url.path]))?.output ?? ""
      for pid in left.split(whereSeparator: \.isWhitespace).compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }
    var reached: [String] = []
    for i in 0..<12 {
      let out = dir.path("run\(i)")
      let run = try Child(
        [
          "apply-and-boot", "--scenarios", "numvfs", "--json", "--out", out.path, "--base", "v1.0", "--repo", repo.gitDirectory,
          "--series", dir.path("long.mbox").path,
        ], home: home, in: dir, name: "run\(i)")
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline, run.process.isRunning, !FileManager.default.fileExists(atPath: out.path) {
        Thread.sleep(forTimeInterval: 0.01)
      }
      try #require(run.process.isRunning, "run \(i) ended before its folder was made: \(run.errorText)")
      Thread.sleep(forTimeInterval: Double(i) * 0.25)
      kill(run.process.processIdentifier, i % 2 == 0 ? SIGINT : SIGTERM)
      #expect(run.wait(60) == 130, "run \(i): \(run.errorText)")
      let data = try #require(FileManager.default.contents(atPath: out.appendingPathComponent("report.json").path), "run \(i): no report")
      let report = try JSONDecoder.iso.decode(Report.self, from: data)
      #expect(report.verdict == .aborted, "run \(i): \(report.verdict) \(report.reason)")
      reached.append(report.phases[.build] != nil ? "built" : report.head != nil ? "applied" : "applying")
    }
    // The delays span the phases: some signals came while applying, some after.
    #expect(reached.contains("applying") && reached.contains("applied"), "\(reached)")
  }

  /// A SIGINT while a 1,500-patch series is being applied on a user's toy tree with work in
  /// progress, and a SIGTERM while the toy kernel's make runs (it never ends on its own):
  /// exit 130, an ABORTED report with no build, no child left on the run's or the cache's
  /// files, the user's repository byte for byte as it was. The end-to-end `Interruption`
  /// suite does the same through a real build, boot and scenario.
  @Test(arguments: [("apply", SIGINT), ("build", SIGTERM)])
  func anInterruptDuringApplyOrBuildStopsEverything(phase: String, signal: Int32) throws {
    let dir = try TempDir()
    let home = dir.path("home")
    let out = dir.path("run")
    var arguments = ["apply-and-boot", "--scenarios", "numvfs", "--json", "--out", out.path, "--base", "v1.0"]
    var user: ToyRepo?
    if phase == "apply" {
      let toy = try ToyRepo.kernelLike(at: dir.path("user"), source: numberedLines(1...1500), bare: false)
      user = toy
      try FileManager.default.createDirectory(at: dir.path("user/drivers"), withIntermediateDirectories: true)
      try Data("int mine;\n".utf8).write(to: dir.path("user/drivers/toy.c"))
      try Data("notes\n".utf8).write(to: dir.path("user/NOTES"))
      let mbox = (1...1500).map { i in
        let diff =
          "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -\(i),1 +\(i),1 @@\n-int line\(i);\n+int line\(i) = \(i);\n"
        return patchMail(subject: "line \(i)", diff: diff, messageID: "l\(i)@x").replacingOccurrences(of: "1/1", with: "\(i)/1500")
      }.joined(separator: "\n")
      try mbox.write(to: dir.path("long.mbox"), atomically: true, encoding: .utf8)
      arguments += ["--repo", dir.path("user").path, "--series", dir.path("long.mbox").path]
    } else {
      // make's recipe never ends, writes nothing (so no SIGPIPE ends it when we exit), and
      // carries the build folder on its shell's command line.
      let (repo, _) = try Self.toyKernelHistory(at: dir.path("toy.git"), bzImage: "@while :; do sleep 1; done # $(O)")
      try patchMail(subject: "toy: one", diff: HostileTextTests.toyDiff).write(
        to: dir.path("one.mbox"), atomically: true, encoding: .utf8)
      arguments += ["--repo", repo.gitDirectory, "--series", dir.path("one.mbox").path]
    }
    let before = try user.map { try RepositorySnapshot($0.repo) }
    let run = try Child(arguments, home: home, in: dir, name: "run")
    defer {
      if run.process.isRunning { kill(run.process.processIdentifier, SIGKILL) }
      // Whatever this test started and left (when the behaviour under test is broken): by
      // pid, found by this test's own folder on its command line.
      let left = (try? ProcessRunner.run(["pgrep", "-f", dir.url.path]))?.output ?? ""
      for pid in left.split(whereSeparator: \.isWhitespace).compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }
    let deadline = Date().addingTimeInterval(120)
    func underway() -> Bool {
      if phase == "apply" { return FileManager.default.fileExists(atPath: out.path) }
      let left = (try? ProcessRunner.run(["pgrep", "-f", "done # \(home.path)"]))?.status
      return left == 0
    }
    while Date() < deadline, run.process.isRunning, !underway() { Thread.sleep(forTimeInterval: 0.05) }
    try #require(run.process.isRunning, "the run ended before its \(phase) phase: \(run.errorText)")
    if phase == "apply" { Thread.sleep(forTimeInterval: 1) }
    kill(run.process.processIdentifier, signal)
    #expect(run.wait(60) == 130, "\(run.errorText)")
    let report = try JSONDecoder.iso.decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
    #expect(report.verdict == .aborted)
    #expect(report.build == nil)
    if phase == "apply" { #expect(report.patches.count < 1500 || report.head == nil, "the apply had finished before the signal") }
    for pattern in [out.path, home.path] {
      let left = try ProcessRunner.run(["pgrep", "-f", pattern])
      #expect(left.status == 1, "still running: \(left.output)")
    }
    if let user, let before {
      #expect(try RepositorySnapshot(user.repo) == before, "the user's repository changed")
    }
  }
}

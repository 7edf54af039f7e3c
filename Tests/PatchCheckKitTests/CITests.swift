import Foundation
import Testing
import Yams

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// A toy "kernel" whose build takes a moment and fails like a compiler: enough for the real
/// ci loop (apply, configure, make, record) without compiling Linux. Tags v1.0, v1.1, v1.9;
/// the toy series applies to the first two only.
struct ToyKernelTags {
  let repo: GitRepository
  let series: URL

  init(in dir: TempDir) throws {
    repo = try GitRepository.create(at: dir.path("toy.git").path, bare: true)
    let sig = Signature(name: "T", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_000), offsetMinutes: 0)
    var parent: ObjectID?
    for (tag, source) in [("v1.0", numberedLines(1...40)), ("v1.1", numberedLines(1...41)), ("v1.9", "int other;\n")] {
      let entries = try toyKernelFiles(
        in: repo, bzImage: Self.failingBuild, source: source)
      let commit = try repo.createCommit(
        tree: repo.writeTree(entries), parents: parent.map { [$0] } ?? [], author: sig, committer: sig, message: "\(tag)\n")
      try repo.createLightweightTag(tag, at: commit)
      parent = commit
    }
    if let parent { try repo.setReference("refs/heads/main", to: parent, log: "toy") }
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    series = dir.path("toy.mbox")
    try patchMail(subject: "toy: set line3", diff: diff).write(to: series, atomically: true, encoding: .utf8)
  }

  /// Each toy build takes 2 s and fails.
  static let failingBuild = "@sleep 2; echo \"drivers/toy.c:1:1: error: toys do not boot\"; exit 1"

  /// A tag of another kernel line (its Makefile's PATCHLEVEL) that v1.0's series applies on.
  @discardableResult
  func tagOfAnotherLine(_ tag: String, patchlevel: Int) throws -> ObjectID {
    let entries = try toyKernelFiles(in: repo, bzImage: Self.failingBuild, source: numberedLines(1...40), patchlevel: patchlevel)
    let sig = Signature(name: "T", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_000), offsetMinutes: 0)
    let commit = try repo.createCommit(tree: repo.writeTree(entries), parents: [], author: sig, committer: sig, message: "\(tag)\n")
    try repo.createLightweightTag(tag, at: commit)
    return commit
  }
}

@Suite struct CITests {
  static func record(_ tag: String, _ verdict: Verdict, id: Int) -> RunRecord {
    RunRecord(
      id: nil, key: "k\(id)", startedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(id)), tag: tag,
      commit: String(repeating: "a", count: 40),
      series: "toy", seriesTitle: "Toy series", patchIDs: ["p"], variant: "as-posted", configHash: "c", scenarios: ["numvfs"],
      verdict: verdict, reason: "because", exitCode: Int(verdict.exitCode),
      titles: verdict == .fail ? ["possible deadlock in sriov_disable"] : [],
      scenarioResults: [.init(name: "numvfs", result: verdict == .pass ? .pass : .fail)],
      splats: verdict == .fail
        ? [.init(title: "possible deadlock in sriov_disable", kind: .lockdepRecursive, excerpt: ["<script>x</script>", "line 2"])] : [],
      phases: [.apply: 0.5, .build: 12, .boot: 20], tools: [:], filesChanged: 10, objects: 9, reportDir: "/r/\(tag)")
  }

  @Test func tagsResolveByGlobInVersionOrderOrAsListed() throws {
    let dir = try TempDir()
    let toy = try ToyKernelTags(in: dir)
    try toy.repo.createLightweightTag("v1.10", at: try #require(try toy.repo.commit(for: "v1.0")))
    #expect(try CIRunner.resolveTags("v1.*", in: toy.repo).map(\.0) == ["v1.0", "v1.1", "v1.9", "v1.10"])
    #expect(try CIRunner.resolveTags("v1.9,v1.0", in: toy.repo).map(\.0) == ["v1.9", "v1.0"])
    #expect { try CIRunner.resolveTags("v9.*", in: toy.repo) } throws: { ($0 as? PatchCheckError)?.exitCode == 26 }
    #expect { try CIRunner.resolveTags("v1.0,v8.8", in: toy.repo) } throws: { ($0 as? PatchCheckError)?.kind == .noTags }
  }

  @Test func historyFindsEachTransitionOnKnownData() throws {
    let dir = try TempDir()
    let db = try ResultsDatabase(url: dir.path("r.sqlite"))
    let verdicts: [(String, Verdict)] = [
      ("v7.2.6", .pass), ("v7.2.9", .pass), ("v7.2.11", .fail), ("v7.2.12", .fail), ("v7.3.4", .pass), ("v7.4.1", .applyFail),
    ]
    // Recorded out of order, and one tag twice (the latest run counts).
    for (i, (tag, verdict)) in verdicts.reversed().enumerated() { try db.insert(Self.record(tag, verdict, id: i)) }
    try db.insert(Self.record("v7.2.9", .buildFail, id: 90))
    try db.insert(Self.record("v7.2.9", .pass, id: 91))
    let history = History(series: "toy", variant: "as-posted", runs: try db.runs(series: "toy"))
    #expect(history.tags.map(\.tag) == verdicts.map(\.0))
    #expect(history.tags.map(\.verdict) == verdicts.map(\.1))
    #expect(history.tags.first { $0.tag == "v7.2.9" }?.runs == 3)
    #expect(
      history.transitions == [
        .init(kind: .startedFailing, tag: "v7.2.11", from: .pass, to: .fail),
        .init(kind: .fixed, tag: "v7.3.4", from: .fail, to: .pass),
        .init(kind: .stoppedApplying, tag: "v7.4.1", from: .pass, to: .applyFail),
      ])
    let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(history)) as? [String: Any]
    #expect((json?["tags"] as? [[String: Any]])?.count == 6)
  }

  @Test func aLockedOrCorruptDatabaseIsAOneLineErrorAndNothingIsLost() throws {
    let dir = try TempDir()
    let url = dir.path("r.sqlite")
    let db = try ResultsDatabase(url: url)
    try db.insert(Self.record("v1", .pass, id: 1))
    // Another process holds the write lock (a second connection in an exclusive transaction).
    let holder = try ResultsDatabase(url: url)
    let started = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      try? holder.queue.inTransaction(.exclusive) { _ in
        started.signal()
        release.wait()
        return .commit
      }
    }
    started.wait()
    #expect {
      let second = try ResultsDatabase(url: url, busyTimeout: 0.5)
      try second.insert(Self.record("v2", .fail, id: 2))
    } throws: { error in
      guard let e = error as? PatchCheckError else { return false }
      return e.exitCode == 27 && e.message.contains("locked")
    }
    release.signal()
    Thread.sleep(forTimeInterval: 0.2)
    #expect(try db.runs().map(\.tag) == ["v1"])
    #expect(try db.integrity() == "ok")

    // Not a database: refused, and the file is left exactly as it was.
    let junk = dir.path("junk.sqlite")
    let bytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    try bytes.write(to: junk)
    #expect {
      try ResultsDatabase(url: junk)
    } throws: { error in
      guard let e = error as? PatchCheckError else { return false }
      return e.exitCode == 27 && e.hint.contains("move it aside")
    }
    #expect(try Data(contentsOf: junk) == bytes)
  }

  /// ci holds the build slot across its tags and each tag's run takes it again on the same
  /// thread: that must not wait for itself, and another thread (another run in the same
  /// process) waits until the outermost hold ends, not the inner one.
  @Test func theSlotLockIsTakenAgainOnItsThreadAndWaitedForOnAnother() throws {
    let dir = try TempDir()
    let url = dir.path("slot/build.lock")
    let held = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    // The holder, on a thread of its own: a lock that waits for itself never gets past `inner`.
    Thread.detachNewThread {
      var outer = try? FileLock(url) {}
      var inner = try? FileLock(url) {}
      held.signal()
      release.wait()
      inner = nil
      held.signal()
      release.wait()
      outer = nil
      withExtendedLifetime((outer, inner)) {}
    }
    #expect(held.wait(timeout: .now() + 10) == .success, "the holder waited for itself")
    let taken = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      let other = try? FileLock(url) {}
      taken.signal()
      withExtendedLifetime(other) {}
    }
    #expect(taken.wait(timeout: .now() + 0.5) == .timedOut, "another thread took a held lock")
    release.signal()
    #expect(held.wait(timeout: .now() + 10) == .success)
    #expect(taken.wait(timeout: .now() + 0.5) == .timedOut, "the inner hold's end released the lock")
    release.signal()
    #expect(taken.wait(timeout: .now() + 10) == .success, "the outer hold's end did not release the lock")
  }

  /// The real ci command holds the build slot from its first tag to its last (docs/ci.md): a run
  /// that starts waiting for the slot while ci builds its first tag gets it only once ci has
  /// done both tags, not in between (where ci's second tag would then wait for it).
  @Test func aCIRunKeepsTheBuildSlotUntilItsLastTag() throws {
    let binary = CLITests.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the tool first (swift build)")
    let dir = try TempDir()
    let toy = try ToyKernelTags(in: dir)
    let home = PatchCheckHome(root: dir.path("home"))
    let v10 = try #require(try toy.repo.commit(for: "v1.0"))
    let slotLock = BuildSlot(home: home, repository: toy.repo, commit: v10, console: Terminal(quiet: true)).lockFile
    let process = Process()
    process.executableURL = binary
    process.arguments = [
      "ci", "--repo", toy.repo.gitDirectory, "--series", toy.series.path, "--tags", "v1.0,v1.1", "--db",
      dir.path("results.sqlite").path, "--out", dir.path("out").path, "--scenarios", "numvfs",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["PATCHCHECK_HOME"] = home.root.path
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    // Take the slot once ci holds it for v1.0 (each toy build sleeps 2 s); a lock got without
    // waiting came before ci's: let go and try again.
    let report = { (tag: String) in dir.path("out").appendingPathComponent(slug(tag)).appendingPathComponent("report.json") }
    let deadline = Date().addingTimeInterval(60)
    var waited = false
    var secondTagDone = false
    while !waited, Date() < deadline, process.isRunning {
      let lock = try FileLock(slotLock) { waited = true }
      // Read while holding the slot: ci's second tag cannot be running now.
      if waited { secondTagDone = FileManager.default.fileExists(atPath: report("v1.1").path) }
      withExtendedLifetime(lock) {}
      if !waited { Thread.sleep(forTimeInterval: 0.05) }
    }
    try #require(waited, "the slot was never held by ci")
    #expect(secondTagDone, "the slot was free between ci's tags")
    process.waitUntilExit()
    #expect(process.terminationStatus != 0, "both toy tags fail to build")
    #expect(FileManager.default.fileExists(atPath: report("v1.0").path))
  }

  /// ci holds one build slot at a time (docs/ci.md): once it moves from v1.0 (line 1.0) to a
  /// tag of line 1.2, another run can take line 1.0's slot while ci still builds the 1.2 tag,
  /// and line 1.2's slot is ci's meanwhile.
  @Test func aCIRunLetsGoOfALinesSlotForTheNextLine() throws {
    let binary = CLITests.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the tool first (swift build)")
    let dir = try TempDir()
    let toy = try ToyKernelTags(in: dir)
    let other = try toy.tagOfAnotherLine("v1.2.0", patchlevel: 2)
    let home = PatchCheckHome(root: dir.path("home"))
    let quiet = Terminal(quiet: true)
    let first = BuildSlot(home: home, repository: toy.repo, commit: try #require(try toy.repo.commit(for: "v1.0")), console: quiet)
    let second = BuildSlot(home: home, repository: toy.repo, commit: other, console: quiet)
    #expect(first.line == "1.0" && second.line == "1.2")
    let process = Process()
    process.executableURL = binary
    process.arguments = [
      "ci", "--repo", toy.repo.gitDirectory, "--series", toy.series.path, "--tags", "v1.0,v1.2.0", "--db",
      dir.path("results.sqlite").path, "--out", dir.path("out").path, "--scenarios", "numvfs",
    ]
    process.environment = ProcessInfo.processInfo.environment.merging(["PATCHCHECK_HOME": home.root.path]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    let report = { (tag: String) in dir.path("out").appendingPathComponent(slug(tag)).appendingPathComponent("report.json") }
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: report("v1.0").path), Date() < deadline, process.isRunning {
      Thread.sleep(forTimeInterval: 0.05)
    }
    try #require(FileManager.default.fileExists(atPath: report("v1.0").path), "ci never finished v1.0")
    // ci is on to v1.2.0 (a 2 s build): line 1.0's slot comes free before that tag is done...
    let lock = try FileLock(first.lockFile) {}
    Thread.sleep(forTimeInterval: 0.5)  // for ci to take line 1.2's slot, right after letting go of 1.0's
    let secondTagDone = FileManager.default.fileExists(atPath: report("v1.2.0").path)
    #expect(!secondTagDone, "line 1.0's slot was held until ci's last tag")
    // ...while line 1.2's is ci's.
    var waited = false
    if !secondTagDone { withExtendedLifetime(try FileLock(second.lockFile) { waited = true }) {} }
    #expect(waited || secondTagDone, "ci did not hold line 1.2's slot while building v1.2.0")
    withExtendedLifetime(lock) {}
    process.waitUntilExit()
    #expect(FileManager.default.fileExists(atPath: report("v1.2.0").path))
  }

  /// A tag already recorded with the same inputs is answered from the database; with --force
  /// it runs again (the ci command once parsed --force and never passed it on). Through the
  /// real command, on the toy tree: v1.9's toy series does not apply, so each run is quick.
  @Test func forceRunsARecordedTagAgain() throws {
    let dir = try TempDir()
    let toy = try ToyKernelTags(in: dir)
    let cli = CLITests()
    func ci(_ extra: [String]) throws -> CIOutcome {
      let result = try cli.run(
        [
          "ci", "--repo", toy.repo.gitDirectory, "--series", toy.series.path, "--tags", "v1.9", "--db",
          dir.path("results.sqlite").path, "--out", dir.path("out").path, "--scenarios", "numvfs", "--json",
        ] + extra, home: dir.path("home"))
      let outcomes = try JSON.decoder().decode([CIOutcome].self, from: Data(result.stdout.utf8))
      try #require(outcomes.count == 1, "\(result.stderr)")
      return outcomes[0]
    }
    let first = try ci([])
    #expect(!first.recorded && first.verdict == .applyFail, "\(first)")
    #expect(try ci([]).recorded, "the same inputs again: answered from the record")
    let forced = try ci(["--force"])
    #expect(!forced.recorded, "--force runs the tag again: \(forced)")
    #expect(forced.verdict == first.verdict)
  }

  /// Two processes open a new file at once: both see no migration applied, the first makes
  /// the tables while the second waits for the write lock, then the second's migration fails
  /// on a table that is already there. The database is as it should be, so the second opens.
  @Test func aMigrationLostToAnotherProcessStillOpensTheDatabase() throws {
    let dir = try TempDir()
    let url = dir.path("r.sqlite")
    let other = try ResultsDatabase(url: url)
    // Undo v1 so the file looks new, keeping its statements to make it again.
    let schema = try other.queue.write { db in
      let statements = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE tbl_name = 'run' AND sql IS NOT NULL")
      try db.execute(sql: "DROP TABLE run; DELETE FROM grdb_migrations")
      return statements
    }
    #expect(schema.count > 1, "the run table and its indexes")
    let migrating = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      // The other process's migration: the write lock taken, v1 made, committed a second later.
      try? other.queue.inDatabase { db in
        try db.execute(sql: "BEGIN IMMEDIATE")
        for statement in schema { try db.execute(sql: statement) }
        try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v1')")
        migrating.signal()
        Thread.sleep(forTimeInterval: 1)
        try db.execute(sql: "COMMIT")
      }
      finished.signal()
    }
    migrating.wait()
    let database = try ResultsDatabase(url: url)
    finished.wait()
    _ = try database.insert(Self.record("v1", .pass, id: 1))
    #expect(try database.runs().map(\.tag) == ["v1"])
    #expect(try database.integrity() == "ok")
  }

  /// The real ci command on toy tags: SIGKILL after the first result; the database is
  /// intact with that result, and the next run picks up the rest without redoing it.
  @Test func theDatabaseSurvivesARunKilledInTheMiddle() throws {
    let binary = CLITests.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the tool first (swift build)")
    let dir = try TempDir()
    let toy = try ToyKernelTags(in: dir)
    let dbURL = dir.path("results.sqlite")
    let arguments = [
      "ci", "--repo", toy.repo.gitDirectory, "--series", toy.series.path, "--tags", "v1.*", "--db", dbURL.path, "--out",
      dir.path("out").path, "--scenarios", "numvfs",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["PATCHCHECK_HOME"] = dir.path("home").path
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(120)
    var rows = 0
    // The database is opened only once the first tag's report is written (just before its
    // row): opening it creates and migrates it, which must not race the child's own
    // creation of the same new file as it starts.
    let firstReport = dir.path("out").appendingPathComponent(slug("v1.0")).appendingPathComponent("report.json")
    while Date() < deadline, process.isRunning {
      if FileManager.default.fileExists(atPath: firstReport.path) {
        rows = (try? ResultsDatabase(url: dbURL).runs().count) ?? 0
        if rows >= 1 { break }
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let db = try ResultsDatabase(url: dbURL)
    #expect(try db.integrity() == "ok")
    let kept = try db.runs()
    #expect(kept.count == 1, "\(kept.map(\.tag))")
    #expect(kept.first?.tag == "v1.0")
    #expect(kept.first?.verdict == .buildFail, "\(kept.first?.reason ?? "")")

    // The next run: v1.0 recorded, the others run now; v1.9 does not apply.
    let again = Process()
    again.executableURL = binary
    again.arguments = arguments + ["--json"]
    again.environment = environment
    let out = Pipe()
    again.standardOutput = out
    again.standardError = FileHandle.nullDevice
    try again.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    again.waitUntilExit()
    let outcomes = try JSONDecoder().decode([CIOutcome].self, from: data)
    #expect(outcomes.map(\.tag) == ["v1.0", "v1.1", "v1.9"])
    #expect(outcomes.map(\.recorded) == [true, false, false])
    #expect(outcomes.map(\.verdict) == [.buildFail, .buildFail, .applyFail], "\(outcomes.map(\.reason))")
    #expect(again.terminationStatus == 3, "the last tag's verdict: APPLY-FAIL")
    // Files the checkout rewrote: none or drivers/toy.c, depending on whether the killed
    // run had already checked v1.1 out.
    #expect([0, 1].contains(outcomes[1].filesChanged ?? -1), "\(String(describing: outcomes[1].filesChanged))")
    let v10 = try #require(try toy.repo.commit(for: "v1.0"))
    let v11 = try #require(try toy.repo.commit(for: "v1.1"))
    #expect(try toy.repo.changedFileCount(from: v10, to: v11) == 1)
    #expect(try db.runs().count == 3)

    // The same folders merge into a fresh database (what the CI engine's last job does).
    let merged = try ResultsDatabase(url: dir.path("merged.sqlite"))
    #expect(try ReportMerger.merge([dir.path("out")], into: merged, console: Terminal(quiet: true)).added == 3)
    #expect(
      try ReportMerger.merge([dir.path("out")], into: merged, console: Terminal(quiet: true)).added == 0, "merging twice adds nothing")
    let mergedRuns = try merged.runs()
    let history = History(series: mergedRuns.first?.series ?? "?", variant: "as-posted", runs: mergedRuns)
    #expect(history.tags.map(\.verdict) == [.buildFail, .buildFail, .applyFail], "\(mergedRuns.map(\.series))")
  }

  @Test func workflowsRunOneJobPerTagCacheTheBuildAndMergeTheReports() throws {
    let tags = ["v7.2.11", "v7.2.12", "v7.3.4"]
    let gh = try #require(
      try Yams.load(yaml: WorkflowEmitter.githubActions(tags: tags, arguments: ["--scenarios", "numvfs,pf-remove"])) as? [String: Any])
    let jobs = try #require(gh["jobs"] as? [String: Any])
    let tagJob = try #require(jobs["tag"] as? [String: Any])
    let matrix = (tagJob["strategy"] as? [String: Any])?["matrix"] as? [String: Any]
    #expect(matrix?["tag"] as? [String] == tags)
    let steps = try #require(tagJob["steps"] as? [[String: Any]])
    let cache = steps.first { ($0["uses"] as? String)?.hasPrefix("actions/cache") == true }?["with"] as? [String: Any]
    #expect((cache?["path"] as? String)?.contains(".patchcheck-cache/ccache") == true)
    #expect((cache?["path"] as? String)?.contains(".patchcheck-cache/build") == true)
    #expect(steps.contains { ($0["run"] as? String)?.contains("patchcheck ci --tags \"$TAG\" --scenarios numvfs,pf-remove") == true })
    #expect(steps.contains { ($0["uses"] as? String)?.hasPrefix("actions/upload-artifact") == true })
    let merge = try #require(jobs["merge"] as? [String: Any])
    #expect(merge["needs"] as? String == "tag")
    #expect((merge["steps"] as? [[String: Any]])?.contains { ($0["run"] as? String)?.contains("report --merge results") == true } == true)

    let gl = try #require(try Yams.load(yaml: WorkflowEmitter.gitlab(tags: tags, arguments: [])) as? [String: Any])
    let job = try #require(gl["patchcheck"] as? [String: Any])
    let parallel = ((job["parallel"] as? [String: Any])?["matrix"] as? [[String: Any]])?.first
    #expect(parallel?["TAG"] as? [String] == tags)
    #expect((job["cache"] as? [String: Any])?["paths"] as? [String] == [".patchcheck-cache/ccache", ".patchcheck-cache/build"])
    #expect(((gl["merge"] as? [String: Any])?["script"] as? [String])?.contains { $0.contains("report --merge results") } == true)
  }
}

/// The HTML report as a browser shows it: headless Chromium renders the page; the
/// screenshot must not be blank and the rendered DOM must hold the expected cells.
@Suite(.needs("chromium"))
struct HTMLReportRendering {
  @Test func theMatrixRendersInABrowser() throws {
    let chromium = try Peer.require("chromium")
    let dir = try TempDir()
    var runs: [RunRecord] = []
    for (i, (tag, verdict)) in [("v7.2.11", Verdict.pass), ("v7.2.12", .fail), ("v7.3.4", .applyFail)].enumerated() {
      var run = CITests.record(tag, verdict, id: i)
      run.id = Int64(i + 1)
      runs.append(run)
      var other = CITests.record(tag, .expectationUnmet, id: 10 + i)
      other.id = Int64(10 + i)
      other.variant = "no-reentrancy"
      runs.append(other)
    }
    let page = try HTMLReport.write(runs: runs, to: dir.path("site"))
    let html = try String(contentsOf: page, encoding: .utf8)
    #expect(!html.contains("<script>x</script>"), "console text is escaped")
    #expect(html.contains("&lt;script&gt;x&lt;/script&gt;"))

    let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,900"]
    let screenshot = dir.path("shot.png")
    let shot = try ProcessRunner.run(
      [chromium] + flags + ["--screenshot=\(screenshot.path)", page.absoluteString], cwd: dir.url.path, timeout: 120)
    #expect(FileManager.default.fileExists(atPath: screenshot.path), "\(shot.output.suffix(400))")
    let colours = try PNGColours.count(screenshot)
    #expect(colours > 8, "a blank page has one or two colours; got \(colours)")

    let dom = try ProcessRunner.run([chromium] + flags + ["--dump-dom", page.absoluteString], timeout: 120, collectLimit: 1 << 22)
    let cells = dom.output.matches(of: #/data-tag="([^"]+)" data-variant="([^"]+)" data-verdict="([^"]+)"/#).map {
      "\($0.output.1) \($0.output.2) \($0.output.3)"
    }
    #expect(
      cells == [
        "v7.2.11 as-posted PASS", "v7.2.11 no-reentrancy EXPECTATION-UNMET", "v7.2.12 as-posted FAIL",
        "v7.2.12 no-reentrancy EXPECTATION-UNMET", "v7.3.4 as-posted APPLY-FAIL", "v7.3.4 no-reentrancy EXPECTATION-UNMET",
      ], "\(cells)")
    // The FAIL cell links to its run, whose kernel report is on the page.
    #expect(dom.output.contains("id=\"run-2\""))
    #expect(dom.output.contains("possible deadlock in sriov_disable"))
    #expect(dom.output.contains("<svg class=\"chart\""))
    // The legend names every verdict, each in its own colour (a switch over the enum).
    let legend = dom.output.matches(of: #/<span style="background:(#[0-9a-f]{6})">([A-Z-]+)</span>/#).map {
      (String($0.output.2), String($0.output.1))
    }
    #expect(legend.map(\.0) == Verdict.allCases.map(\.rawValue), "\(legend)")
    #expect(Set(legend.map(\.1)).count == Verdict.allCases.count, "one colour per verdict: \(legend)")
  }
}

/// Distinct colours in a PNG (8-bit RGB/RGBA, any filter), decoded by Python's zlib.
enum PNGColours {
  static func count(_ url: URL) throws -> Int {
    let script = """
      import sys, zlib, struct
      data = open(sys.argv[1], 'rb').read()
      pos, idat, w, h, ct = 8, b'', 0, 0, 0
      while pos < len(data):
          n, kind = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+n]; pos += 12 + n
          if kind == b'IHDR': w, h, depth, ct = struct.unpack('>IIBB', body[:10])
          elif kind == b'IDAT': idat += body
      bpp = {2: 3, 6: 4}[ct]; raw = zlib.decompress(idat); stride = w * bpp
      prev, colours, i = bytearray(stride), set(), 0
      for y in range(h):
          f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
          for x in range(stride):
              a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
              if f == 1: line[x] = (line[x] + a) & 255
              elif f == 2: line[x] = (line[x] + b) & 255
              elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
              elif f == 4:
                  p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
                  line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
          if y % 4 == 0:
              colours.update(bytes(line[k:k+3]) for k in range(0, stride, bpp * 4))
          prev = line
      print(len(colours))
      """
    let result = try ProcessRunner.run(["python3", "-c", script, url.path], timeout: 120)
    guard result.succeeded, let n = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
      throw PatchCheckError(.infra, "could not read \(url.path): \(result.output.suffix(300))", hint: "")
    }
    return n
  }
}

import Foundation
import Testing

@testable import PatchCheckKit

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
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
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
}

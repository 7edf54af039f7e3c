import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// A history built with libgit2 whose file `state` says what a judge would find on each
/// commit: "ok", "bug A" (FAIL with title A), "nobuild", "noapply".
final class ToyHistory {
  let temp: TempDir
  let repo: GitRepository
  let root: ObjectID
  private var clock = 1_700_000_000.0

  init() throws {
    temp = try TempDir()
    let toy = try ToyRepo(at: temp.path("repo.git"), files: ["state": "ok\n", "Makefile": "VERSION = 1\n"])
    repo = toy.repo
    root = toy.base
  }

  /// A commit on `parents` whose `state` is `state`.
  @discardableResult
  func commit(_ state: String, on parents: [ObjectID], _ subject: String) throws -> ObjectID {
    clock += 60
    let sig = Signature(name: "Test", email: "t@example.com", time: Date(timeIntervalSince1970: clock), offsetMinutes: 0)
    let tree = try repo.replacing("state", with: repo.writeBlob(Data((state + "\n").utf8)), in: repo.commitInfo(parents[0]).tree)
    return try repo.createCommit(tree: tree, parents: parents, author: sig, committer: sig, message: subject + "\n")
  }

  /// `count` commits on `parent`; from index `firstBad` on (if any) the state is `bug`.
  func line(_ count: Int, on parent: ObjectID, firstBad: Int? = nil, bug: String = "bug A", special: [Int: String] = [:], name: String)
    throws -> [ObjectID]
  {
    var ids: [ObjectID] = []
    var tip = parent
    for i in 0..<count {
      let state = special[i] ?? ((firstBad.map { i >= $0 } ?? false) ? bug : "ok")
      tip = try commit(state, on: [tip], "\(name) \(i)")
      ids.append(tip)
    }
    return ids
  }
}

/// Judges a commit by its `state` file; counts how often it was asked.
final class StateJudge: BisectJudge, @unchecked Sendable {
  let repo: GitRepository
  let inputsKey: String
  var calls: [ObjectID] = []
  /// Throws (as an interrupted step would stop the run) on this call number.
  var failOnCall: Int?

  init(repo: GitRepository, key: String = "toy") {
    self.repo = repo
    inputsKey = key
  }

  func judge(_ commit: ObjectID, label: String) throws -> Judgement {
    calls.append(commit)
    if calls.count == failOnCall { throw PatchCheckError(.interrupted, "stopped", hint: "resume") }
    let state = String(decoding: try repo.file("state", in: commit) ?? Data(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    switch state {
    case "ok": return Judgement(verdict: .pass, titles: [], reason: "passed")
    case "nobuild": return Judgement(verdict: .buildFail, titles: [], reason: "toy.c:1: error")
    case "noapply": return Judgement(verdict: .applyFail, titles: [], reason: "hunk 1 failed")
    default: return Judgement(verdict: .fail, titles: state.dropFirst(4).split(separator: "|").map(String.init), reason: state)
    }
  }
}

@Suite struct BisectTests {
  func bisect(
    _ history: ToyHistory, good: [ObjectID], bad: ObjectID, judge: StateJudge? = nil, cache: URL? = nil,
    log: URL? = nil, resuming: BisectLog? = nil, configure: (inout BisectRequest) -> Void = { _ in }
  ) throws -> BisectLog {
    var request = BisectRequest(good: good.map(\.description), bad: bad.description)
    configure(&request)
    let bisector = Bisector(
      repository: history.repo, judge: judge ?? StateJudge(repo: history.repo), cache: VerdictCache(folder: cache),
      logURL: log, console: Terminal(quiet: true))
    return try bisector.run(request, resuming: resuming)
  }

  @Test func findsEveryFirstBadCommitOnAStraightLineWithinLog2Steps() throws {
    for firstBad in [0, 1, 7, 15, 16] {
      let history = try ToyHistory()
      let ids = try history.line(17, on: history.root, firstBad: firstBad, name: "c")
      let judge = StateJudge(repo: history.repo)
      let log = try bisect(history, good: [history.root], bad: ids.last!, judge: judge)
      #expect(log.firstBad == ids[firstBad].description, "first bad at \(firstBad)")
      #expect(log.firstBadSubject == "c \(firstBad)")
      #expect(log.candidates == 17)
      #expect(log.bisectSteps <= BisectGraph.maxSteps(count: 17), "took \(log.bisectSteps) steps")
      #expect(judge.calls.count == log.bisectSteps + 2, "each commit judged once, the bad and good ends included")
    }
  }

  /// A report the good end has too (a lock-order cycle the tree always had) is not what
  /// makes a commit bad: without judging the good end, every commit shared it with the bad
  /// end and the first commit was named.
  @Test func aReportTheGoodEndHasTooIsNotWhatBadMeans() throws {
    let history = try ToyHistory()
    let good = try history.commit("bad:cycle", on: [history.root], "good end")
    let ids = try history.line(
      12, on: good, firstBad: 6, bug: "bad:cycle|deadlock", special: Dictionary(uniqueKeysWithValues: (0..<6).map { ($0, "bad:cycle") }),
      name: "c")
    let log = try bisect(history, good: [good], bad: ids.last!)
    #expect(log.firstBad == ids[6].description, "steps: \(log.steps.map { "\($0.role) \($0.call)" })")
    #expect(log.badTitles == ["deadlock"])
    // A bad end that fails only with what the good end has is no range to bisect.
    let same = try history.line(3, on: good, firstBad: 0, bug: "bad:cycle", name: "s")
    #expect(throws: PatchCheckError.self) { try bisect(history, good: [good], bad: same.last!) }
  }

  @Test func aSkippedCommitIsStepedAroundOrLeftAsARange() throws {
    // A build failure away from the first bad commit costs a step, not the answer. (c 7
    // splits the 16 candidates in halves, so it is the first midpoint.)
    var history = try ToyHistory()
    var ids = try history.line(16, on: history.root, firstBad: 11, special: [7: "nobuild", 4: "noapply"], name: "c")
    var log = try bisect(history, good: [history.root], bad: ids.last!)
    #expect(log.firstBad == ids[11].description)
    #expect(log.steps.contains { $0.commit == ids[7].description && $0.call == .skip && $0.reason.contains("does not build") })
    #expect(log.skips == 1)
    #expect(log.bisectSteps <= BisectGraph.maxSteps(count: 16) + log.skips)

    // Right before the first bad commit, a skip leaves the two as the answer.
    history = try ToyHistory()
    ids = try history.line(16, on: history.root, firstBad: 9, special: [8: "nobuild"], name: "c")
    log = try bisect(history, good: [history.root], bad: ids.last!)
    #expect(log.firstBad == nil)
    #expect(log.range == [ids[9].description, ids[8].description])
    #expect(log.finished)
  }

  @Test func aFailureWithAnotherTitleIsSkippedUnlessAnyFailureCounts() throws {
    let history = try ToyHistory()
    let ids = try history.line(16, on: history.root, firstBad: 12, special: [7: "bug B"], name: "c")
    var log = try bisect(history, good: [history.root], bad: ids.last!)
    #expect(log.badTitles == ["A"])
    #expect(log.firstBad == ids[12].description)
    #expect(log.steps.contains { $0.commit == ids[7].description && $0.call == .skip })

    log = try bisect(history, good: [history.root], bad: ids.last!) { $0.anyFailure = true }
    #expect(log.firstBad == ids[7].description, "with --any-failure, B is bad too")
  }

  @Test func mergesAreBisectedByAncestryNotByPosition() throws {
    // root - a0..a5 ---------- M - c0..c2
    //      \ b0..b5 (bug at b3) /
    let history = try ToyHistory()
    let a = try history.line(6, on: history.root, name: "a")
    let b = try history.line(6, on: history.root, firstBad: 3, name: "b")
    let merge = try history.commit("bug A", on: [a.last!, b.last!], "merge b")
    let c = try history.line(3, on: merge, firstBad: 0, name: "c")
    let judge = StateJudge(repo: history.repo)
    let log = try bisect(history, good: [history.root], bad: c.last!, judge: judge)
    #expect(log.firstBad == b[3].description)
    #expect(log.candidates == 16)
    #expect(log.bisectSteps <= BisectGraph.maxSteps(count: 16))

    // The merge itself is bad when neither side is.
    let h2 = try ToyHistory()
    let a2 = try h2.line(5, on: h2.root, name: "a")
    let b2 = try h2.line(5, on: h2.root, name: "b")
    let m2 = try h2.commit("bug A", on: [a2.last!, b2.last!], "evil merge")
    let c2 = try h2.line(4, on: m2, firstBad: 0, name: "c")
    #expect(try bisect(h2, good: [h2.root], bad: c2.last!).firstBad == m2.description)
  }

  @Test func aGoodEndOffTheBadHistoryIsJudgedAtItsMergeBase() throws {
    let history = try ToyHistory()
    let trunk = try history.line(4, on: history.root, name: "t")
    let side = try history.line(3, on: trunk[1], name: "s")  // good, not an ancestor of bad
    let ids = try history.line(10, on: trunk.last!, firstBad: 6, name: "c")
    let log = try bisect(history, good: [side.last!], bad: ids.last!)
    #expect(log.steps.contains { $0.role == "merge-base" && $0.commit == trunk[1].description && $0.call == .good })
    #expect(log.firstBad == ids[6].description)

    // When that merge base is already bad, the range is wrong: say so.
    let h2 = try ToyHistory()
    let t2 = try h2.line(4, on: h2.root, firstBad: 1, name: "t")
    let s2 = try h2.commit("ok", on: [t2[2]], "side fixes it")
    let e2 = try h2.line(3, on: t2.last!, firstBad: 0, name: "c")
    #expect {
      try bisect(h2, good: [s2], bad: e2.last!)
    } throws: { ($0 as? PatchCheckError)?.kind == .bisectRange }
  }

  @Test func aBadEndThatPassesIsAnErrorNotAnAnswer() throws {
    let history = try ToyHistory()
    let ids = try history.line(5, on: history.root, name: "c")
    #expect {
      try bisect(history, good: [history.root], bad: ids.last!)
    } throws: { error in
      guard let e = error as? PatchCheckError else { return false }
      return e.kind == .bisectRange && e.message.contains("passes") && e.exitCode == 17
    }
    #expect {
      try bisect(history, good: [history.root], bad: history.root)
    } throws: { ($0 as? PatchCheckError)?.kind == .bisectRange }
  }

  @Test func verdictsAreCachedByCommitAndInputs() throws {
    let temp = try TempDir()
    let history = try ToyHistory()
    let ids = try history.line(16, on: history.root, firstBad: 5, name: "c")
    let first = StateJudge(repo: history.repo)
    let log1 = try bisect(history, good: [history.root], bad: ids.last!, judge: first, cache: temp.url)
    let again = StateJudge(repo: history.repo)
    let log2 = try bisect(history, good: [history.root], bad: ids.last!, judge: again, cache: temp.url)
    #expect(first.calls.count == log1.bisectSteps + 2, "the steps, the bad end and the good end")
    #expect(again.calls.isEmpty, "every verdict came from the cache")
    #expect(log2.firstBad == log1.firstBad)
    #expect(log2.steps.allSatisfy { $0.cached })
    // Other inputs (another series or config) are another question.
    let other = StateJudge(repo: history.repo, key: "other series")
    _ = try bisect(history, good: [history.root], bad: ids.last!, judge: other, cache: temp.url)
    #expect(other.calls.count == first.calls.count)
  }

  @Test func anInterruptedBisectResumesFromItsLogWithoutJudgingAgain() throws {
    let temp = try TempDir()
    let history = try ToyHistory()
    let ids = try history.line(32, on: history.root, firstBad: 20, name: "c")
    let logURL = temp.path("bisect.json")
    let judge = StateJudge(repo: history.repo)
    judge.failOnCall = 4
    #expect(throws: PatchCheckError.self) { try bisect(history, good: [history.root], bad: ids.last!, judge: judge, log: logURL) }
    let partial = try BisectLog.read(logURL)
    #expect(!partial.finished)
    #expect(partial.steps.count == 3, "the bad end and two steps were logged before the stop")

    let resumed = StateJudge(repo: history.repo)
    let log = try bisect(
      history, good: [history.root], bad: ids.last!, judge: resumed, log: logURL, resuming: partial)
    #expect(log.firstBad == ids[20].description)
    #expect(Set(resumed.calls).isDisjoint(with: partial.steps.compactMap { ObjectID(hex: $0.commit) }))
    #expect(resumed.calls.count + partial.steps.count == log.steps.count)
    #expect(try BisectLog.read(logURL).finished)
  }

  @Test func aCorruptLogIsAOneLineErrorWithItsOwnCode() throws {
    let temp = try TempDir()
    let url = temp.path("bisect.json")
    try Data("{ not json".utf8).write(to: url)
    #expect {
      try BisectLog.read(url)
    } throws: { ($0 as? PatchCheckError)?.exitCode == 18 }
    #expect {
      try BisectLog.read(temp.path("missing.json"))
    } throws: { ($0 as? PatchCheckError)?.kind == .bisectLog }
  }

  /// A new bisect in a folder that holds a finished one keeps the old one beside it (named
  /// for its start time); an unfinished one is refused and left as it was.
  @Test func aFinishedBisectIsMovedAsideAndAnUnfinishedOneIsKept() throws {
    let temp = try TempDir()
    let folder = temp.path("bisect")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let logURL = folder.appendingPathComponent("bisect.json")
    var log = BisectLog(request: BisectRequest(good: ["v1"], bad: "v2"))
    log.startedAt = Date(timeIntervalSince1970: 1_780_000_000)
    try log.write(logURL)
    let before = try Data(contentsOf: logURL)
    #expect {
      try BisectSession.moveFinishedBisectAside(in: folder, logURL: logURL, console: Terminal(quiet: true))
    } throws: { ($0 as? PatchCheckError)?.kind == .bisectLog }
    #expect(try Data(contentsOf: logURL) == before)

    log.finished = true
    log.firstBad = String(repeating: "ab", count: 20)
    try log.write(logURL)
    try BisectSession.moveFinishedBisectAside(in: folder, logURL: logURL, console: Terminal(quiet: true))
    let aside = URL(fileURLWithPath: folder.path + ".20260528-202640")
    #expect(!FileManager.default.fileExists(atPath: folder.path))
    #expect(try BisectLog.read(aside.appendingPathComponent("bisect.json")).firstBad == log.firstBad)
    #expect(log.summaryLines(logPath: "x/bisect.json").first == "first bad commit: \(log.firstBad ?? "") ")
  }

  /// A cache entry that cannot be read is said and judged again, never a silent miss.
  @Test func anUnreadableCacheEntryIsJudgedAgain() throws {
    let temp = try TempDir()
    let history = try ToyHistory()
    let ids = try history.line(4, on: history.root, firstBad: 2, name: "c")
    let judge = StateJudge(repo: history.repo)
    let cache = VerdictCache(folder: temp.path("cache"), console: Terminal(quiet: true))
    let first = try cache.judgement(of: ids[3], by: judge, label: "x")
    #expect(!first.cached)
    let entry = try #require(try FileManager.default.contentsOfDirectory(atPath: temp.path("cache").path).first)
    try Data("{ cut".utf8).write(to: temp.path("cache").appendingPathComponent(entry))
    let again = try cache.judgement(of: ids[3], by: judge, label: "x")
    #expect(!again.cached, "a cut entry is not a verdict")
    #expect(again.0.verdict == first.0.verdict)
    #expect(judge.calls.count == 2)
  }
}

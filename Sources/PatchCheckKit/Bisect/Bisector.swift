// `patchcheck bisect`: finds the first bad commit between good and bad ends, judging each
// step with a `BisectJudge` (the real one applies the series, builds and boots). The log is
// written after every step, so an interrupted bisect resumes where it stopped; verdicts are
// cached per commit and inputs, so no commit is built twice for the same question.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

/// What a judge saw on one commit, before any bisect rule is applied.
package struct Judgement: Codable, Sendable, Equatable {
  /// The run's verdict, variant expectations aside.
  package var verdict: Verdict
  /// Titles of what failed: kernel reports, else the scenarios that did not pass.
  package var titles: [String]
  package var reason: String
  /// The step's report folder, when it has one.
  package var report: String?

  package init(verdict: Verdict, titles: [String], reason: String, report: String? = nil) {
    self.verdict = verdict
    self.titles = titles
    self.reason = reason
    self.report = report
  }
}

package protocol BisectJudge {
  /// Everything besides the commit that decides a verdict (series, variant, config,
  /// scenarios, iterations, tool version): the same key and commit give the same verdict.
  var inputsKey: String { get }
  func judge(_ commit: ObjectID, label: String) throws -> Judgement
}

package enum StepCall: String, Codable, Sendable { case good, bad, skip }

package struct BisectStep: Codable, Sendable {
  /// "bad-end" (checks the bad end fails and takes its titles), "merge-base" (a good end
  /// that is not an ancestor of the bad one), or "step".
  package var role: String
  package var commit: String
  package var subject: String
  package var call: StepCall
  package var verdict: Verdict
  package var titles: [String]
  package var reason: String
  package var seconds: Double
  /// Taken from the verdict cache or the resumed log instead of built and booted.
  package var cached: Bool
  package var report: String?
  /// Candidates left after this step.
  package var remaining: Int
}

/// What the user asked; kept in the log so that `--resume` needs no flags.
package struct BisectRequest: Codable, Sendable {
  package var good: [String]
  package var bad: String
  /// Any FAIL is bad, whatever its titles.
  package var anyFailure = false
  /// A FAIL is bad when one of its titles contains this (default: shares a title with the bad end).
  package var title: String?
  package var series: String?
  /// The revision of the series' thread (`--revision`), and the archive it is fetched from.
  package var seriesRevision: Int?
  package var lore: String?
  package var variant = "as-posted"
  package var scenarios: [String]?
  /// Folders of the user's scenario files (absent in logs written before there were any).
  package var scenarioDirs: [String]?
  package var iterations = ScenarioLibrary.defaultIterations
  package var repository: String?
  package var fragments: [String]?

  package init(good: [String], bad: String) {
    self.good = good
    self.bad = bad
  }
}

/// What a judged commit is for a bisect: one rule set for `bisect` and `bisect-run`.
package struct BisectRules: Sendable, Equatable {
  /// Any FAIL is bad, whatever its titles.
  package var anyFailure: Bool
  /// A FAIL is bad when one of its titles contains this.
  package var title: String?
  /// The bad end's titles: a FAIL sharing one is bad. nil where no bad end was judged
  /// (`bisect-run`: git holds the ends), and then any FAIL is bad unless `title` says otherwise.
  package var badTitles: [String]?
  /// The good ends' titles: a FAIL with only these is as good as the good end.
  package var goodTitles: [String]

  package init(anyFailure: Bool = false, title: String? = nil, badTitles: [String]? = nil, goodTitles: [String] = []) {
    self.anyFailure = anyFailure
    self.title = title
    self.badTitles = badTitles
    self.goodTitles = goodTitles
  }

  package init(request: BisectRequest, badTitles: [String]?, goodTitles: [String] = []) {
    self.init(anyFailure: request.anyFailure, title: request.title, badTitles: badTitles, goodTitles: goodTitles)
  }

  /// PASS is good; a FAIL is bad or (another failure than the one bisected) skip; APPLY-FAIL,
  /// BUILD-FAIL, SKIP and NOT-EXERCISED are skip; nil for a verdict that judges nothing (INFRA-ERROR...).
  package func call(_ verdict: Verdict, titles: [String]) -> StepCall? {
    switch verdict {
    case .pass: return .good
    case .fail:
      if anyFailure { return .bad }
      if let title { return titles.contains { $0.contains(title) } ? .bad : .skip }
      guard let badTitles else { return .bad }
      if !titles.isEmpty, !goodTitles.isEmpty, Set(titles).isSubset(of: goodTitles) { return .good }
      if badTitles.isEmpty && titles.isEmpty { return .bad }
      return Set(titles).isDisjoint(with: badTitles) ? .skip : .bad
    case .applyFail, .buildFail, .skip, .notExercised: return .skip
    default: return nil
    }
  }
}

package struct BisectLog: Codable, Sendable {
  package var schema = "patchcheck-bisect/1"
  package var request: BisectRequest
  package var startedAt = Date()
  package var goodCommits: [String] = []
  package var badCommit = ""
  /// Commits between the ends when the bisection started (the bad end included).
  package var candidates = 0
  /// ceil(log2(candidates)): steps needed without skips.
  package var maxSteps = 0
  package var badTitles: [String] = []
  /// What the good ends fail with too (nil in logs from before good ends were judged).
  package var goodTitles: [String]?
  package var steps: [BisectStep] = []
  /// Steps of role "step" (the bad end's check and merge bases not counted).
  package var bisectSteps = 0
  package var skips = 0
  package var finished = false
  /// The first bad commit's full id, or nil (ambiguous or unfinished).
  package var firstBad: String?
  package var firstBadSubject: String?
  /// When skips leave several commits: the ones the first bad commit may be.
  package var range: [String]?

  package init(request: BisectRequest) { self.request = request }

  package static func read(_ url: URL) throws -> BisectLog {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw PatchCheckError(.bisectLog, "no bisect log at \(url.path)", hint: "start one with --good REV --bad REV (same --out)")
    }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    do {
      return try decoder.decode(BisectLog.self, from: data)
    } catch {
      throw PatchCheckError(
        .bisectLog, "\(url.path) is not a patchcheck bisect log (\(error))",
        hint: "move it away and start the bisect again with --good and --bad")
    }
  }

  package func write(_ url: URL) throws {
    try JSON.encode(self).write(to: url, options: .atomic)
  }
}

package struct Bisector {
  package let repository: GitRepository
  package let judge: BisectJudge
  package let cache: VerdictCache?
  /// Written after every step.
  package let logURL: URL?
  package let console: Terminal

  package init(repository: GitRepository, judge: BisectJudge, cache: VerdictCache?, logURL: URL?, console: Terminal) {
    self.repository = repository
    self.judge = judge
    self.cache = cache
    self.logURL = logURL
    self.console = console
  }

  /// Bisects; `resuming` is an earlier, interrupted log of the same request.
  package func run(_ request: BisectRequest, resuming: BisectLog? = nil) throws -> BisectLog {
    var log = BisectLog(request: request)
    if let resuming { log.startedAt = resuming.startedAt }
    var earlier: [String: BisectStep] = [:]
    for step in resuming?.steps ?? [] { earlier[step.commit] = step }

    let bad = try resolve(request.bad, flag: "--bad")
    var goods = try request.good.map { try resolve($0, flag: "--good") }
    log.badCommit = bad.description
    try save(log)

    let badStep = try judgeBadEnd(bad, request, log: &log, earlier: earlier)
    goods = try goodsOnBadHistory(goods, bad: bad, request, log: &log, earlier: earlier)
    log.goodCommits = goods.map(\.description)
    // What the good end fails with too is not what makes a commit bad (a report the base
    // already had, such as a lock-order cycle the tree has always had): judge each good end
    // and take its titles out. Not needed when --title or --any-failure say what bad is.
    if request.title == nil, !request.anyFailure {
      try setAsideGoodEndTitles(goods, badStep: badStep, log: &log, earlier: earlier)
    }
    var graph = try candidates(bad: bad, goods: goods, request, log: &log)
    try walk(&graph, log: &log, earlier: earlier)
    switch graph.outcome {
    case .firstBad(let commit):
      log.firstBad = commit.description
      log.firstBadSubject = try repository.subject(of: commit)
    case .ambiguous(let left):
      log.range = left.map(\.description)
    case .undecided:
      break
    }
    log.finished = true
    try save(log)
    return log
  }

  /// The bad end: it must fail, and what it fails with is what "bad" means from here on.
  private func judgeBadEnd(
    _ bad: ObjectID, _ request: BisectRequest, log: inout BisectLog, earlier: [String: BisectStep]
  ) throws -> BisectStep {
    var badStep = try step(bad, role: "bad-end", log: log, earlier: earlier)
    switch badStep.verdict {
    case .fail:
      badStep.call = .bad
    case .pass:
      throw PatchCheckError(
        .bisectRange, "the bad end \(request.bad) (\(bad.short)) passes: \(badStep.reason)",
        hint: "check --bad, or pick the scenarios that fail there (--scenarios)")
    case .applyFail, .buildFail:
      throw PatchCheckError(
        .bisectRange, "the bad end \(request.bad) cannot be judged: \(badStep.verdict.rawValue) (\(badStep.reason))",
        hint: "pick a --bad where the series applies and the kernel builds")
    default:
      throw stepError(badStep)
    }
    if let title = request.title, !badStep.titles.contains(where: { $0.contains(title) }) {
      throw PatchCheckError(
        .bisectRange, "the bad end fails, but with none of its reports matching '\(title)': \(badStep.titles.joined(separator: "; "))",
        hint: "drop --title, or pass one of the titles above")
    }
    log.badTitles = badStep.titles
    log.steps.append(badStep)
    try save(log)
    console.say("bad end \(bad.short) fails: \(badStep.titles.first ?? badStep.reason)")
    return badStep
  }

  /// The good ends to bisect from: a good end off the bad end's history is replaced by its
  /// merge base with the bad end, which must be good.
  private func goodsOnBadHistory(
    _ goods: [ObjectID], bad: ObjectID, _ request: BisectRequest, log: inout BisectLog, earlier: [String: BisectStep]
  ) throws -> [ObjectID] {
    var goods = goods
    for (i, good) in goods.enumerated() where try !repository.isAncestor(good, of: bad) {
      guard let base = try repository.mergeBase(good, bad) else {
        throw PatchCheckError(
          .bisectRange, "\(request.good[i]) and \(request.bad) share no history", hint: "pick a --good the bad end descends from")
      }
      var mb = try step(base, role: "merge-base", log: log, earlier: earlier)
      mb.call = classify(mb, log: log)
      log.steps.append(mb)
      try save(log)
      if mb.call == .bad {
        throw PatchCheckError(
          .bisectRange,
          "the merge base \(base.short) of \(request.good[i]) and \(request.bad) is already bad: the change is older than the good end",
          hint: "pass an older --good (an ancestor of both)")
      }
      goods[i] = base
    }
    return goods
  }

  /// Which of the bad end's titles make a commit bad: those no good end (judged here) has too;
  /// a bad end with none left cannot be bisected.
  private func setAsideGoodEndTitles(
    _ goods: [ObjectID], badStep: BisectStep, log: inout BisectLog, earlier: [String: BisectStep]
  ) throws {
    for good in goods where !log.steps.contains(where: { $0.commit == good.description }) {
      var g = try step(good, role: "good-end", log: log, earlier: earlier)
      g.call = .good
      log.steps.append(g)
      if g.verdict == .fail {
        log.badTitles = log.badTitles.filter { !g.titles.contains($0) }
        log.goodTitles = Array(Set((log.goodTitles ?? []) + g.titles)).sorted()
      }
    }
    try save(log)
    if log.badTitles.isEmpty, !badStep.titles.isEmpty {
      throw PatchCheckError(
        .bisectRange, "the bad end fails only with reports a good end has too: \(badStep.titles.joined(separator: "; "))",
        hint: "pick the scenarios that tell them apart, or --title")
    }
  }

  /// The commits to bisect: reachable from the bad end and not from a good one (the bad end
  /// must be among them).
  private func candidates(
    bad: ObjectID, goods: [ObjectID], _ request: BisectRequest, log: inout BisectLog
  ) throws -> BisectGraph {
    let candidates = try repository.revwalk(from: bad, hiding: goods)
    guard candidates.contains(bad) else {
      throw PatchCheckError(
        .bisectRange, "the bad end \(request.bad) is an ancestor of a good end", hint: "swap --good and --bad, or check them")
    }
    let graph = try BisectGraph(candidates: candidates, bad: bad) { try repository.commitInfo($0).parents }
    log.candidates = candidates.count
    log.maxSteps = BisectGraph.maxSteps(count: candidates.count)
    try save(log)
    console.say("bisecting \(candidates.count) commits: about \(log.maxSteps) steps")
    return graph
  }

  /// The bisection proper: judges the commit the graph picks next, and calls it good, bad or
  /// skipped, until the graph has no commit left to judge.
  private func walk(_ graph: inout BisectGraph, log: inout BisectLog, earlier: [String: BisectStep]) throws {
    while let next = graph.next() {
      var s = try step(next, role: "step", log: log, earlier: earlier)
      s.call = classify(s, log: log)
      switch s.call {
      case .good: graph.markGood(next)
      case .bad: graph.markBad(next)
      case .skip: graph.markSkipped(next)
      }
      s.remaining = graph.remaining.count
      log.steps.append(s)
      log.bisectSteps += 1
      if s.call == .skip { log.skips += 1 }
      try save(log)
      let why = s.call == .skip ? s.reason : (s.titles.first ?? s.verdict.rawValue)
      console.say(
        "step \(log.bisectSteps) (of about \(log.maxSteps + log.skips)): \(next.short) \(s.subject.prefix(60)) -> \(s.call.rawValue) (\(why)); \(s.remaining) left\(s.cached ? " [cached]" : "")"
      )
    }
  }

  /// good, bad or skip for a judged commit (the bad end already judged).
  package func classify(_ step: BisectStep, log: BisectLog) -> StepCall {
    BisectRules(request: log.request, badTitles: log.badTitles, goodTitles: log.goodTitles ?? []).call(step.verdict, titles: step.titles)
      ?? .skip
  }

  /// Judges `commit` (or takes its verdict from the resumed log or the cache).
  package func step(_ commit: ObjectID, role: String, log: BisectLog, earlier: [String: BisectStep]) throws
    -> BisectStep
  {
    let subject = (try? repository.subject(of: commit)) ?? ""
    if var known = earlier[commit.description] {
      known.role = role
      known.cached = true
      return known
    }
    let started = Date()
    let label = String(format: "%02d-%@", log.steps.count + 1, commit.short)
    let (judgement, cached) = try (cache ?? VerdictCache(folder: nil)).judgement(of: commit, by: judge, label: label) {
      console.say("judging \(commit.short) \(subject.prefix(60))")
    }
    var step = BisectStep(
      role: role, commit: commit.description, subject: subject, call: .skip, verdict: judgement.verdict,
      titles: judgement.titles, reason: judgement.reason, seconds: cached ? 0 : Date().timeIntervalSince(started),
      cached: cached, report: judgement.report, remaining: 0)
    switch judgement.verdict {
    case .pass, .fail: break
    case .applyFail: step.reason = "the series does not apply here: \(judgement.reason)"
    case .buildFail: step.reason = "does not build: \(judgement.reason)"
    case .skip: step.reason = "scenarios skipped here: \(judgement.reason)"
    default: throw stepError(step)
    }
    return step
  }

  package func stepError(_ step: BisectStep) -> PatchCheckError {
    PatchCheckError(
      .infra, "could not judge \(step.commit.prefix(12)): \(step.verdict.rawValue) (\(step.reason))",
      hint: "fix the cause (the step's report: \(step.report ?? "none")), then run again with --resume")
  }

  package func resolve(_ rev: String, flag: String) throws -> ObjectID {
    guard let id = try repository.commit(for: rev) else {
      throw PatchCheckError(
        .baseMissing, "\(flag) \(rev) is not in \(repository.gitDirectory)", hint: "pass a revision the repository has")
    }
    return id
  }

  package func save(_ log: BisectLog) throws {
    if let logURL { try log.write(logURL) }
  }
}

/// Verdicts by commit and inputs, one small JSON file each: written atomically, so a crash
/// leaves either the whole entry or none, and two runs never corrupt each other's.
package struct VerdictCache: Sendable {
  /// nil: nothing is kept.
  package let folder: URL?
  /// Where an entry that cannot be read is said (it is judged again, never taken as a miss
  /// without a word).
  package let console: Terminal

  package init(folder: URL?, console: Terminal = Terminal(quiet: false)) {
    self.folder = folder
    self.console = console
  }

  package func get(_ key: String) -> Judgement? {
    guard let folder else { return nil }
    let url = folder.appendingPathComponent(key + ".json")
    guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
    do {
      return try JSONDecoder().decode(Judgement.self, from: data)
    } catch {
      console.warn("the verdict cache entry \(url.path) cannot be read (\(error)); judging the commit again")
      return nil
    }
  }

  package func put(_ key: String, _ judgement: Judgement) throws {
    guard let folder else { return }
    try FileManager.default.ensureDirectory(folder)
    try JSON.encode(judgement, .compact).write(to: folder.appendingPathComponent(key + ".json"), options: .atomic)
  }

  /// The verdict on `commit` under the judge's inputs: from the cache, else from the judge
  /// (and then kept, unless the judge could not decide: an infrastructure error is not a verdict).
  package func judgement(of commit: ObjectID, by judge: BisectJudge, label: String, announce: () -> Void = {}) throws
    -> (Judgement, cached: Bool)
  {
    let key = SHA256Hex.of(Data((judge.inputsKey + "\n" + commit.description).utf8))
    if let hit = get(key) { return (hit, true) }
    announce()
    let judgement = try judge.judge(commit, label: label)
    if [.pass, .fail, .applyFail, .buildFail].contains(judgement.verdict) { try put(key, judgement) }
    return (judgement, false)
  }
}

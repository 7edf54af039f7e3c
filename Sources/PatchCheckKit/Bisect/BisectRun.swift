// `patchcheck bisect-run`: one step of `git bisect run`. The repository's HEAD is judged
// (series applied, built, booted, in patchcheck's own worktree) and called good, bad or
// skip by the rules `bisect` uses; the call is the exit code git reads.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package struct BisectRunResult: Encodable, Sendable {
  package var commit: String
  package var call: StepCall
  package var judgement: Judgement

  /// What git bisect run reads: 0 good, 1 bad, 125 skip.
  package var exitCode: Int32 {
    switch call {
    case .good: 0
    case .bad: 1
    case .skip: 125
    }
  }
}

package enum BisectRun {
  /// Judges HEAD of the repository at `repository` with each step's `request`; reports
  /// go to the folder `out`. The request's ends are git's: no bad end is known.
  package static func run(repository path: String, request: BisectRequest, home: PatchCheckHome, json: Bool, out: String) throws
    -> BisectRunResult
  {
    let repository = try Applier.openRepository(path, home: home)
    guard let head = try repository.commit(for: "HEAD") else {
      throw PatchCheckError(.baseMissing, "\(path) has no HEAD commit", hint: "run it from git bisect run in a kernel tree")
    }
    let judge = try KernelJudge(home: home, options: RunOptions(bisect: request, json: json), stepsFolder: URL(fileURLWithPath: out))
    let (judgement, _) = try VerdictCache(folder: home.verdicts).judgement(of: head, by: judge, label: head.short)
    return try result(head, judgement, rules: BisectRules(request: request, badTitles: nil), reports: out)
  }

  /// The call on `commit`; a verdict that judges nothing (INFRA-ERROR...) is an error, which
  /// stops git bisect. `reports` names the step reports' folder in that error.
  package static func result(_ commit: ObjectID, _ judgement: Judgement, rules: BisectRules, reports: String) throws
    -> BisectRunResult
  {
    guard let call = rules.call(judgement.verdict, titles: judgement.titles) else {
      throw PatchCheckError(
        .infra, "could not judge \(commit.short): \(judgement.verdict.rawValue) (\(judgement.reason))",
        hint: "see \(judgement.report ?? reports); git bisect stops here")
    }
    return BisectRunResult(commit: commit.description, call: call, judgement: judgement)
  }
}

extension BisectRequest {
  /// A request whose every step runs `options`' series, variant, scenarios, iterations,
  /// fragments and repository (paths made absolute: the log outlives the working directory).
  package init(good: [String], bad: String, steps options: RunOptions, anyFailure: Bool, title: String?) {
    self.init(good: good, bad: bad)
    self.anyFailure = anyFailure
    self.title = title
    series = options.series
    seriesRevision = options.seriesQuery.revision
    lore = options.seriesQuery.lore
    variant = options.variant
    scenarios = options.scenarios
    // Absolute, so a resumed bisect or git bisect run finds them from any folder.
    scenarioDirs = options.scenarioDirs.isEmpty ? nil : options.scenarioDirs.map { $0.standardizedFileURL.path }
    iterations = options.iterations
    repository = options.repository.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    fragments = options.fragments?.map { $0.standardizedFileURL.path }
  }
}

extension RunOptions {
  /// What each step of a bisect runs: no series given is the commits alone.
  package init(bisect request: BisectRequest, json: Bool) {
    self.init()
    series = request.series
    noSeries = request.series == nil
    seriesQuery = SeriesQuery(revision: request.seriesRevision, lore: request.lore)
    variant = request.variant
    scenarios = request.scenarios
    scenarioDirs = (request.scenarioDirs ?? []).map { URL(fileURLWithPath: $0) }
    iterations = request.iterations
    repository = request.repository
    fragments = request.fragments?.map { URL(fileURLWithPath: $0) }
    self.json = json
  }
}

// `patchcheck review`: the base alone and each prefix of the series (patch 1, patches 1-2,
// ..., all), each built once in turn in the base's line's build folder, every scenario in a boot of its
// own (a run plan per kernel and scenario, so a hang in one never hides another); then the
// race scenarios repeated, base and series interleaved, until the answer is clear or the
// budget is spent. The findings by title, with hits/runs on every kernel, go to review.json,
// review.txt (a reply to the series) and review.html; every run's report folder is kept.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package struct ReviewRunner {
  package let home: PatchCheckHome
  package let options: RunOptions
  package let budget: ReviewBudget
  package let console: Terminal
  package let progress: ProgressLine

  package init(home: PatchCheckHome, options: RunOptions, budget: ReviewBudget) {
    self.home = home
    self.options = options
    self.budget = budget
    console = Terminal(quiet: options.json)
    progress = ProgressLine(enabled: !options.json)
  }

  package static func defaultOutput(started: Date) -> URL {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return URL(fileURLWithPath: "results/review-\(formatter.string(from: started))")
  }

  /// Plans once, runs every part, writes review.json, review.txt and review.html.
  package func run() throws -> Review {
    let started = Date()
    let tools = try ApplyAndBoot.Tools.locate()
    let plan = try RunPlan.resolve(options, home: home)
    let out = (plan.output ?? Self.defaultOutput(started: started)).standardizedFileURL
    try FileManager.default.ensureDirectory(out)
    let repository = try Applier.openRepository(plan.repository, home: home)
    let base = try Applier(repository: repository, console: console).resolveBase(
      requested: plan.requestedBase, stated: plan.series.statedBase, fallback: plan.manifest?.fallbackBase)
    if let note = base.note { console.warn(note) }
    for warning in plan.series.warnings ?? [] { console.warn(warning) }
    // The parts run quietly: the review tells the progress.
    var quiet = options
    quiet.json = true
    let session = ReviewSession(
      runner: self, plan: plan, base: base, tools: tools, pipeline: ApplyAndBoot(home: home, options: quiet), out: out,
      started: started,
      review: newReview(plan: plan, base: base, repository: repository, started: started, out: out))
    try session.runFirstPass()
    try session.runRepeats()
    try session.conclude()
    return session.review
  }

  /// The review before any part ran: what is reviewed, on what, how, and its kernels.
  private func newReview(plan: RunPlan, base: BaseResolution, repository: GitRepository, started: Date, out: URL) -> Review {
    let n = plan.series.patches.count
    var review = Review(
      startedAt: started, series: plan.series.title, version: plan.series.version, source: plan.series.source,
      variant: plan.variantName, patches: plan.series.patches.map(\.subject), base: base,
      repository: repository.workdir ?? repository.gitDirectory, tool: plan.tool, scenarios: plan.scenarios.map(\.name),
      guest: "\(plan.guest.vcpus) vCPUs, \(plan.guest.memoryMB) MiB, \(plan.guest.pfs) igb PF(s) with \(plan.guest.vfs) VFs, "
        + "\(plan.guest.iterations) race iterations per boot, \(plan.guest.accelerator.rawValue)",
      budget: budget)
    review.kernels = (0...n).map { ReviewKernel(patches: $0, label: ReviewKernel.label($0, of: n), head: nil, problem: nil) }
    review.mail = ReviewMail.headers(for: plan.series)
    review.folder = out.path
    review.command = Self.command(plan: plan, base: base, extra: budgetFlags)
    return review
  }

  /// Why the next block would overrun the budget, or nil.
  package func spent(_ review: Review, scenario: String, started: Date) -> String? {
    if review.boots + budget.block > budget.maxBoots { return "boot budget spent (\(review.boots) of \(budget.maxBoots))" }
    let runs = review.runs.filter { $0.scenario == scenario && !$0.boots.isEmpty }
    let perBoot = runs.reduce(0) { $0 + $1.seconds } / Double(max(1, runs.reduce(0) { $0 + $1.boots.count }))
    let next = perBoot * Double(budget.block) + 20
    if Date().timeIntervalSince(started) + next > budget.maxMinutes * 60 {
      return "time budget spent (\(Self.minutes(Date().timeIntervalSince(started))) of \(Int(budget.maxMinutes)) min)"
    }
    return nil
  }

  package var budgetFlags: String {
    var flags: [String] = []
    if budget.maxBoots != ReviewBudget.defaultMaxBoots { flags.append("--max-boots \(budget.maxBoots)") }
    if budget.maxMinutes != ReviewBudget.defaultMaxMinutes { flags.append("--max-minutes \(Int(budget.maxMinutes))") }
    return flags.joined(separator: " ")
  }

  /// The patchcheck command for this plan's tree, base, series and guest.
  package static func command(plan: RunPlan, base: BaseResolution, series: String? = nil, apply: Bool = false, extra: String) -> String {
    var words = ["patchcheck", apply ? "apply-and-boot" : "review", "--series", Self.quoted(series ?? plan.series.source)]
    if series == nil, plan.variantName != "as-posted" { words += ["--variant", plan.variantName] }
    if let repository = plan.repository { words += ["--repo", Self.quoted(repository)] }
    words += ["--base", Self.quoted(base.used)]
    if plan.guest.iterations != ScenarioLibrary.defaultIterations { words += ["--iterations", "\(plan.guest.iterations)"] }
    if plan.guest.accelerator != .auto { words += ["--accel", plan.guest.accelerator.rawValue] }
    if !apply, plan.scenarios.map(\.name) != (plan.manifest?.scenarios ?? ScenarioLibrary.defaultNames) {
      words += ["--scenarios", plan.scenarios.map(\.name).joined(separator: ",")]
    }
    return (words + (extra.isEmpty ? [] : [extra])).joined(separator: " ")
  }

  package static func quoted(_ word: String) -> String {
    word.allSatisfy { $0.isLetter || $0.isNumber || "-_./,:=@+".contains($0) }
      ? word : "'\(word.replacingOccurrences(of: "'", with: "'\\''"))'"
  }

  package static func minutes(_ seconds: TimeInterval) -> String { String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60) }

  /// "1 new, 0 fixed, 2 pre-existing".
  package static func tally(_ findings: [ReviewFinding]) -> String {
    let labels: [ReviewFinding.Label] = [.new, .fixed, .preExisting, .breaksBisection]
    return labels.map { label in "\(findings.filter { $0.label == label }.count) \(label.rawValue)" }.joined(separator: ", ")
  }

  package static func write(_ review: Review, to out: URL) throws {
    try JSON.encode(review).write(to: out.appendingPathComponent("review.json"))
    try ReviewMail.text(review).write(to: out.appendingPathComponent("review.txt"), atomically: true, encoding: .utf8)
    try ReviewHTML.page(review).write(to: out.appendingPathComponent("review.html"), atomically: true, encoding: .utf8)
  }
}

/// One `ReviewRunner.run` under way: what every part shares, and the review as it grows.
private final class ReviewSession {
  let runner: ReviewRunner
  let plan: RunPlan
  let base: BaseResolution
  let tools: ApplyAndBoot.Tools
  let pipeline: ApplyAndBoot
  let out: URL
  let started: Date
  var review: Review
  var evidence: [String: FindingEvidence] = [:]
  var infraErrors = 0
  /// Patches in the series; kernel k has the first k (0: the base).
  let n: Int
  /// Boots of the first pass: every kernel, every scenario once.
  let firstPass: Int
  /// The scenarios whose files say they race (`Scenario.race`): repeated, their findings racy.
  let races: Set<String>

  init(
    runner: ReviewRunner, plan: RunPlan, base: BaseResolution, tools: ApplyAndBoot.Tools, pipeline: ApplyAndBoot,
    out: URL, started: Date, review: Review
  ) {
    self.runner = runner
    self.plan = plan
    self.base = base
    self.tools = tools
    self.pipeline = pipeline
    self.out = out
    self.started = started
    self.review = review
    n = plan.series.patches.count
    firstPass = (n + 1) * plan.scenarios.count
    races = Set(plan.scenarios.filter(\.race).map(\.name))
  }

  /// The command that reproduces `scenario` on the kernel with `patches` patches.
  func reproduce(_ scenario: String, _ patches: Int) -> String {
    let series =
      patches == n
      ? nil
      : review.runs.first { $0.patches == patches }.map { out.appendingPathComponent($0.folder).appendingPathComponent("patches").path }
    return ReviewRunner.command(
      plan: plan, base: base, series: series, apply: true,
      extra: "--scenarios \(scenario) --compare-base --repeat \(races.contains(scenario) ? 10 : 1)")
  }

  /// The findings so far, written out.
  func conclude() throws {
    review.seconds = Date().timeIntervalSince(started)
    let aggregated = ReviewFindings.aggregate(
      review.runs, patchCount: n, races: races, evidence: evidence, reproduce: reproduce)
    (review.findings, review.quiet) = aggregated
    try ReviewRunner.write(review, to: out)
  }

  /// First pass: each kernel built once, each scenario in a boot of its own.
  func runFirstPass() throws {
    for k in 0...n {
      for scenario in plan.scenarios where review.kernels[k].problem == nil {
        try runPart(scenario, kernel: k, boots: 1)
      }
    }
  }

  /// Repeats: the races, base and series interleaved, until clear or the budget is spent
  /// (`review.stopped` says which).
  func runRepeats() throws {
    review.stopped = "clear"
    let judged = Set(review.kernels.filter { $0.problem == nil }.map(\.patches))
    repeats: while true {
      let pending = ReviewSchedule.pending(
        scenarios: plan.scenarios, runs: review.runs, findings: review.findings, patchCount: n, judged: judged)
      if pending.isEmpty { break }
      var ran = false
      for k in Set(pending.flatMap(\.kernels)).sorted() {
        for item in pending where item.kernels.contains(k) {
          guard let scenario = plan.scenarios.first(where: { $0.name == item.scenario }) else { continue }
          if let reason = runner.spent(review, scenario: item.scenario, started: started) {
            review.stopped = reason
            break repeats
          }
          try runPart(scenario, kernel: k, boots: budget.block)
          ran = true
        }
      }
      if !ran { break }
    }
  }

  var budget: ReviewBudget { runner.budget }

  /// One part: `scenario` on kernel `k`, `boots` boots of one build.
  func runPart(_ scenario: Scenario, kernel k: Int, boots: Int) throws {
    let index = review.runs.filter { $0.patches == k && $0.scenario == scenario.name }.count + 1
    let folder = "runs/\(k == 0 ? "base" : "patches-1-\(k)")/\(scenario.name)-\(index)"
    showProgress(scenario, kernel: k, boots: boots)
    let t = Date()
    let part = plan.part(
      scenario: scenario, patches: k == 0 ? nil : k, base: base.commit, boots: boots, output: out.appendingPathComponent(folder))
    let report = try pipeline.run(part, tools: tools)
    runner.progress.finish()
    review.kernels[k].head = review.kernels[k].head ?? report.head
    switch report.verdict {
    case .applyFail, .buildFail: review.kernels[k].problem = "\(report.verdict.rawValue): \(report.reason)"
    case .infraError: infraErrors += 1
    default: infraErrors = 0
    }
    let run = ReviewRun(patches: k, scenario: scenario.name, folder: folder, report: report, seconds: Date().timeIntervalSince(t))
    review.runs.append(run)
    for (title, found) in FindingEvidence.of(report, folder: folder) where evidence[title] == nil { evidence[title] = found }
    try conclude()
    let titles = Set(run.boots.joined()).sorted()
    runner.console.say(
      "\(review.kernels[k].label) · \(scenario.name) · \(run.boots.count) boot(s): \(report.verdict.rawValue)"
        + (titles.isEmpty ? "" : " — \(titles.joined(separator: "; "))") + " · findings so far: \(ReviewRunner.tally(review.findings))")
    if infraErrors >= 3 {
      throw PatchCheckError(
        .infra, "three runs in a row ended in INFRA-ERROR; the last: \(report.reason)", hint: "see \(out.path)/\(folder)")
    }
  }

  /// The progress line while a part runs: which kernel, scenario and boots, of what.
  func showProgress(_ scenario: Scenario, kernel k: Int, boots: Int) {
    let done = review.boots
    let of = done < firstPass ? "first pass \(firstPass) boots" : "budget \(budget.maxBoots) boots"
    runner.progress.update(
      "\(review.kernels[k].label) · \(scenario.name) · boot \(done + 1)\(boots > 1 ? "-\(done + boots)" : "") (\(of)) · "
        + "\(ReviewRunner.minutes(Date().timeIntervalSince(started))) elapsed · findings \(ReviewRunner.tally(review.findings))",
      force: true)
  }
}

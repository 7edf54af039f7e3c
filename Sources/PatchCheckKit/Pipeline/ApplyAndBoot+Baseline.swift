// The base's findings for a run: what the unpatched base shows with the run's scenarios and
// guest (one boot, or the run's boots with --compare-base), read from the cache folder when
// a run with the same key measured them, else measured here (base checked out and built in
// the slot, booted with the base's own guest program: the same scenarios, no coverage) and
// kept when every boot ran whole. The verdict then reads the series' reports through them.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

extension ApplyAndBoot {
  package enum BaseFindingsOutcome {
    /// The findings, and the base's boots when they were measured in this run.
    case found(BaseFindings, boots: [BootOutcome])
    /// The base could not be measured (it does not build, or a boot did not run whole).
    case unknown(String)
  }

  /// The series' boots judged against what the base shows: asked only when a boot has a
  /// report to tell apart (never with --strict or without a series); the report records how.
  package func judgeAgainstBase(
    _ boots: [BootOutcome], plan: RunPlan, base: BaseResolution, slot: BuildSlot, worktree: GitRepository,
    builder: KernelBuilder, tools: Tools, out: URL, report: inout Report
  ) throws -> (boots: [BootOutcome], baseline: BaseFindings?, baseBoots: [BootOutcome]) {
    if plan.strict || plan.noSeries {
      report.strict = plan.strict ? true : nil
      return (boots, nil, [])
    }
    // Only a judged boot with a report has anything to tell apart (not one that booted another kernel).
    guard boots.contains(where: { !$0.splats.isEmpty && $0.verdict != .infraError }) else { return (boots, nil, []) }
    let started = Date()
    let asked: BaseFindingsOutcome
    do {
      asked = try baseFindings(plan, base: base, slot: slot, worktree: worktree, builder: builder, tools: tools, out: out)
    } catch let error as PatchCheckError where error.kind == .interrupted {
      throw error
    } catch {
      // The series' own verdict stands; it is judged as with --strict.
      asked = .unknown("\(error)")
    }
    report.phases[.baseFindings] = Date().timeIntervalSince(started)
    switch asked {
    case .found(let findings, let measured):
      return (boots.map { $0.judged(known: findings.titles, failing: findings.failures) }, findings, measured)
    case .unknown(let why):
      report.baselineNote = "the base's findings are unknown (\(why)): judged as with --strict, any kernel report fails"
      console.warn(report.baselineNote ?? "")
      return (boots, nil, [])
    }
  }

  package func baseFindings(
    _ plan: RunPlan, base: BaseResolution, slot: BuildSlot, worktree: GitRepository, builder: KernelBuilder, tools: Tools, out: URL
  ) throws -> BaseFindingsOutcome {
    let cache = BaseFindingsCache(home: home)
    let key = plan.baseFindingsKey(commit: base.commit, qemu: tools.qemu.version, compiler: KernelBuilder.compilerVersion())
    if let cached = cache.get(key) {
      console.say("what the base \(base.used) shows with these scenarios: \(cached.source ?? "from the cache")")
      return .found(cached, boots: [])
    }
    guard let baseCommit = ObjectID(hex: base.commit) else { return .unknown("bad base id \(base.commit)") }
    console.say("the series' boots show kernel reports: measuring what the base \(base.used) shows with the same scenarios")
    try worktree.checkout(baseCommit, branch: slot.branch)
    let build = try buildStage(
      builder, commit: baseCommit, log: out.appendingPathComponent("base-build.log"), keep: out.appendingPathComponent("base-bzImage"))
    guard build.succeeded, let image = build.image else { return .unknown("the base \(base.used) does not build; see base-build.log") }
    var basePlan = plan
    basePlan.noSeries = true
    // With --compare-base the base boots as often as the series (the comparison reads them too).
    basePlan.guest.boots = plan.compareBase ? plan.guest.boots : 1
    // The base's own guest program: the same scenarios and knobs, the witness's focus as the
    // base's source names it, no coverage (there is no series to trace).
    let initramfs = out.appendingPathComponent("base-initramfs.cpio")
    try guestProgram(basePlan, commit: baseCommit, slot: slot, changes: nil, busybox: tools.busybox, to: initramfs)
    let boots = try guestStage(
      basePlan, image: URL(fileURLWithPath: image), release: build.release, initramfs: initramfs, qemu: tools.qemu, out: out,
      prefix: "base-console")
    // Findings from a boot that did not run whole are no map of the base.
    if let partial = boots.first(where: { !$0.boot.runnerFinished || !$0.witnessComplete || $0.verdict == .infraError }) {
      return .unknown("the base's boot \(partial.console) did not run whole: \(partial.reason)")
    }
    var findings = BaseFindings(
      boots: boots.map(\.splats), key: key, base: base.used, commit: base.commit, scenarios: plan.scenarios.map(\.name))
    let failed = Set(boots.flatMap(\.scenarios).filter { $0.result == .fail || $0.result == .timeout }.map(\.name))
    findings.failedScenarios = plan.scenarios.map(\.name).filter { failed.contains($0) }
    do {
      try cache.put(findings)
    } catch {
      console.warn("the base's findings could not be kept in \(cache.folder.path): \(error); the next run measures them again")
    }
    findings.source = "measured in this run (base-console.log)"
    console.say(
      "the base \(base.used) shows "
        + (findings.findings.isEmpty ? "no kernel reports" : findings.findings.map(\.title).joined(separator: "; ")))
    return .found(findings, boots: boots)
  }
}

// The whole path: series -> applied branch -> worktree -> config and build -> initramfs ->
// QEMU boot -> console analysis -> verdict -> report. Every phase is timed; every log is
// kept in the run's folder whatever happens.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct ApplyAndBoot {
  package let home: PatchCheckHome
  package let options: RunOptions
  package let console: Terminal
  package let progress: ProgressLine

  package init(home: PatchCheckHome, options: RunOptions) {
    self.home = home
    self.options = options
    console = Terminal(quiet: options.json)
    progress = ProgressLine(enabled: !options.json)
  }

  /// What the long steps need, checked before minutes go into a build.
  package struct Tools {
    package var busybox: URL
    package var qemu: QemuInfo

    package static func locate() throws -> Tools {
      try KernelBuilder.checkTools()
      return Tools(busybox: try Initramfs.findBusybox(), qemu: try QemuInfo.locate())
    }
  }

  /// Plans the run from the options, then runs the plan.
  package func run() throws -> Report {
    let tools = try Tools.locate()
    return try run(RunPlan.resolve(options, home: home), tools: tools)
  }

  /// Runs a plan: apply -> build -> guest (boots, each judged) -> verdict -> report. Errors
  /// a user can cause before anything is applied are thrown; every later failure ends in a
  /// report with its verdict (and is in `report.error`).
  package func run(_ plan: RunPlan, tools: Tools) throws -> Report {
    let started = Date()
    let repository = try Applier.openRepository(plan.repository, home: home)
    let applier = Applier(repository: repository, console: console)
    let base = try applier.resolveBase(requested: plan.requestedBase, stated: plan.series.statedBase, fallback: plan.manifest?.fallbackBase)
    if let note = base.note { console.warn(note) }
    if let thread = plan.series.thread, thread.leftSomething { console.note("series: \(thread.line)") }
    for warning in plan.series.warnings ?? [] { console.warn(warning) }

    let runName = Self.runName(started: started, series: plan.seriesName, variant: plan.variantName)
    let out = plan.output ?? URL(fileURLWithPath: "results").appendingPathComponent(runName)
    var report = Report(run: runName, startedAt: started)
    report.series = SeriesSummary(plan.series, manifest: plan.manifest, variant: plan.variantName)
    report.edits = plan.selected.edits
    report.base = base
    report.tools.patchcheck = plan.tool
    report.tools.qemu = tools.qemu.version
    report.tools.kernel = base.used
    return try kept(report, out: out, started: started, expect: plan.selected.variant.expect) { report, keeper in
      let context = RunContext(
        repository: repository, applier: applier, base: base, tools: tools, out: out, files: RunFiles(out: out), keeper: keeper)
      try applyStage(plan, context: context, report: &report)
    }
  }

  /// `patchcheck boot`: the plan's guest program and scenarios on a kernel built elsewhere
  /// (no series, no apply, no build), booted and judged as a run's are, with the same report
  /// folder. The lock-order witness traces every lock class (there is no source tree to
  /// find the unvalidated ones in).
  package func boot(_ plan: RunPlan, kernel: URL, tools: Tools) throws -> Report {
    let started = Date()
    let runName = Self.runName(started: started, series: "boot", variant: plan.variantName)
    let out = plan.output ?? URL(fileURLWithPath: "results").appendingPathComponent(runName)
    var report = Report(run: runName, startedAt: started)
    report.tools.patchcheck = plan.tool
    report.tools.qemu = tools.qemu.version
    return try kept(report, out: out, started: started, expect: nil) { report, _ in
      let t = Date()
      let initramfs = out.appendingPathComponent("initramfs.cpio")
      try writeInitramfs(plan, busybox: tools.busybox, to: initramfs)
      report.phases[.initramfs] = Date().timeIntervalSince(t)
      let boots = try timedBoots(plan, image: kernel, release: nil, initramfs: initramfs, qemu: tools.qemu, out: out, report: &report)
      report.absorb(boots, baseline: nil)
    }
  }

  /// Runs `stages` on `report` with it kept for a signal: from here on a Ctrl-C or SIGTERM
  /// leaves report.json saying ABORTED (the keeper makes the folder if it is not there yet).
  /// An error the stages throw ends in the report (`conclude`); then the expectation is
  /// checked and the report written (`finish`).
  func kept(
    _ report: Report, out: URL, started: Date, expect: SeriesManifest.Expectation?,
    stages: (inout Report, ReportKeeper) throws -> Void
  ) throws -> Report {
    var report = report
    let keeper = ReportKeeper(report, out: out, write: Self.write)
    let token = Interrupts.shared.onInterrupt { keeper.abort("interrupted; the report holds what was done until then") }
    defer { Interrupts.shared.remove(token) }
    try FileManager.default.ensureDirectory(out)
    do {
      try stages(&report, keeper)
    } catch {
      Self.conclude(error, report: &report)
    }
    report.check(expect)
    return try finish(report, started: started, files: RunFiles(out: out), keeper: keeper)
  }

  /// An error that stopped a run, in its report: always the harness's failure (INFRA-ERROR,
  /// with the error's own exit code when it has one), never the series'.
  static func conclude(_ error: Error, report: inout Report) {
    switch error {
    case let error as PatchCheckError:
      report.error = error.description
      report.conclude(.infraError, error.message, exitCode: error.exitCode)
    case let error as GitError:
      report.error = error.description
      report.conclude(.infraError, error.description)
    default:
      // Anything else (a process that could not start, a file that could not be written) is
      // the harness's failure, never the series': INFRA-ERROR, never FAIL's exit code.
      report.error = "unexpected error: \(error)"
      report.conclude(.infraError, "the run stopped on an unexpected error: \(error)")
    }
  }

  /// The run's last write: total time, the files it made, report.json and the rest. After a
  /// signal the handler's ABORTED report stands: this thread may be seeing make or QEMU die
  /// of our kill, and waits for the handler to exit.
  func finish(_ report: Report, started: Date, files: RunFiles, keeper: ReportKeeper) throws -> Report {
    var report = report
    report.phases[.total] = Date().timeIntervalSince(started)
    try files.describe(&report)
    guard try keeper.finish(report) else { Interrupts.shared.awaitExit() }
    return report
  }

  /// What every stage of one run uses.
  package struct RunContext {
    package var repository: GitRepository
    package var applier: Applier
    package var base: BaseResolution
    package var tools: Tools
    package var out: URL
    package var files: RunFiles
    package var keeper: ReportKeeper
  }

  /// Applies the series; builds and judges what applied. Ends with the report's verdict.
  func applyStage(_ plan: RunPlan, context: RunContext, report: inout Report) throws {
    let base = context.base
    console.say("applying \(plan.series.patches.count) patch(es) on \(base.used) (\(base.commit.prefix(12)))")
    let t = Date()
    let applied = try context.applier.apply(
      plan.series, base: base, branch: plan.branch(on: base), check: false,
      mode: ApplyMode(threeWay: plan.threeWay, skipApplied: plan.skipApplied))
    report.phases[.apply] = Date().timeIntervalSince(t)
    try Self.writePatches(plan.series, to: context.out.appendingPathComponent("patches"))
    report.patches = applied.patches
    report.branch = applied.branch
    report.head = applied.head
    context.keeper.update(report)
    for patch in applied.patches where patch.result == .skippedAlreadyApplied { console.note(patch.error ?? "") }
    if let error = applied.nothingLeftError { throw error }
    guard applied.applied, let headHex = applied.head, let head = ObjectID(hex: headHex) else {
      let failed = applied.patches.first { $0.result == .failed }
      report.conclude(
        .applyFail,
        "patch \(failed?.number ?? 0) (\(failed?.subject ?? "?")) does not apply on \(base.used): \(failed?.error ?? "")")
      return
    }
    try buildStage(plan, head: head, applied: applied.patches, context: context, report: &report)
  }

  /// Checks the series' head out in its kernel line's build slot (holding its lock to the
  /// end), chooses scenarios by reach when the plan says so, builds, and boots what built.
  func buildStage(_ plan: RunPlan, head: ObjectID, applied: [PatchResult], context: RunContext, report: inout Report) throws {
    var plan = plan
    let slot = BuildSlot(home: home, repository: context.repository, commit: head, console: console)
    let lock = try slot.lock()
    defer { withExtendedLifetime(lock) {} }
    var t = Date()
    let worktree = try slot.checkout(head)
    report.phases[.checkout] = Date().timeIntervalSince(t)
    // What the series changes, by function: the guest profiles these (coverage).
    let changes = plan.tracesCoverage ? try ChangedFunctions.map(plan.series, applied: applied, repository: context.repository) : nil
    let builder = slot.builder(fragments: plan.fragments)
    if plan.choice.how == .reach, let changes, let baseCommit = ObjectID(hex: context.base.commit) {
      t = Date()
      report.scenarioChoice = try chooseByReach(
        &plan, changes: changes, base: baseCommit, slot: slot, worktree: worktree, builder: builder, tools: context.tools,
        out: context.out)
      report.phases[.reach] = Date().timeIntervalSince(t)
      try worktree.checkout(head, branch: slot.branch)
    } else {
      report.scenarioChoice = plan.choice
    }
    context.keeper.update(report)
    let build = try buildStage(
      builder, commit: head, log: context.files.buildLog, keep: context.out.appendingPathComponent("bzImage"))
    report.tools.compiler = build.compiler
    report.phases[.configure] = build.configSeconds
    report.phases[.build] = build.seconds
    report.build = build
    report.config = build.configCheck
    context.keeper.update(report)
    guard build.succeeded, let image = build.image else {
      let first = build.errors.first.map { " first error \($0.file):\($0.line): \($0.message)" } ?? ""
      report.conclude(.buildFail, "the kernel does not build;\(first)")
      return
    }
    let built = Built(
      head: head, image: URL(fileURLWithPath: image), release: build.release, slot: slot, worktree: worktree, builder: builder,
      changes: changes)
    try bootStage(plan, built: built, context: context, report: &report)
  }

  /// A built kernel and where it was built.
  struct Built {
    var head: ObjectID
    var image: URL
    var release: String?
    var slot: BuildSlot
    var worktree: GitRepository
    var builder: KernelBuilder
    var changes: ChangeMap?
  }

  /// Boots the built kernel (the same initramfs for every boot, and for the base's), judges
  /// the boots against what the base shows, and compares with the base when asked.
  func bootStage(_ plan: RunPlan, built: Built, context: RunContext, report: inout Report) throws {
    let out = context.out
    var t = Date()
    let initramfs = out.appendingPathComponent("initramfs.cpio")
    try guestProgram(plan, commit: built.head, slot: built.slot, changes: built.changes, busybox: context.tools.busybox, to: initramfs)
    report.phases[.initramfs] = Date().timeIntervalSince(t)
    var boots = try timedBoots(
      plan, image: built.image, release: built.release, initramfs: initramfs, qemu: context.tools.qemu, out: out,
      changes: built.changes, report: &report)
    context.keeper.update(report)
    // The verdict is about the series: what the base shows too is pre-existing.
    let judged = try judgeAgainstBase(
      boots, plan: plan, base: context.base, slot: built.slot, worktree: built.worktree, builder: built.builder,
      tools: context.tools, out: out, report: &report)
    boots = judged.boots
    // Verdict: the boots' verdicts, the worst first.
    report.absorb(boots, baseline: judged.baseline)
    if let changes = built.changes {
      report.coverage = SeriesCoverage.combine(changes, observations: boots.map(\.coverage), scenarios: plan.scenarios.map(\.name))
    }
    context.keeper.update(report)
    if plan.compareBase, !judged.baseBoots.isEmpty {
      // The base's boots of this run, same scenarios and number: no second base build.
      report.baseComparison = BaseComparison(series: boots, base: judged.baseBoots, baseName: context.base.used)
    } else if plan.compareBase {
      t = Date()
      report.baseComparison = try compareWithBase(
        plan, base: context.base, slot: built.slot, worktree: built.worktree, builder: built.builder, initramfs: initramfs,
        qemu: context.tools.qemu, out: out, seriesBoots: boots)
      report.phases[.base] = Date().timeIntervalSince(t)
    }
  }

  /// The files of one run's folder and how the report names them.
  package struct RunFiles {
    package let out: URL
    package var consoleLog: URL { out.appendingPathComponent("console.log") }
    package var buildLog: URL { out.appendingPathComponent("build.log") }

    package func describe(_ report: inout Report) throws {
      report.files = ["report": "report.json", "junit": "junit.xml", "summary": "summary.md", "kcidb": "kcidb.json"]
      if FileManager.default.fileExists(atPath: consoleLog.path) {
        report.files["console"] = "console.log"
        // The run's KTAP on its own, without the kernel's lines around it.
        let text = String(decoding: FileManager.default.contents(atPath: consoleLog.path) ?? Data(), as: UTF8.self)
        try KTAPParser.extract(text).write(to: out.appendingPathComponent("ktap.txt"), atomically: true, encoding: .utf8)
        report.files["ktap"] = "ktap.txt"
      }
      for extra in report.repeats ?? [] where extra.index > 1 { report.files["console-\(extra.index)"] = extra.console }
      if FileManager.default.fileExists(atPath: buildLog.path) { report.files["build"] = "build.log" }
      // The witness's lock-event streams (one per boot, the base's too), beside the consoles.
      let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
      for name in names where name.hasSuffix(".trace") && (name.hasPrefix("witness") || name.hasPrefix("base-witness")) {
        report.files[String(name.dropLast(6))] = name
      }
      for (key, name) in [("base-console", "base-console.log"), ("base-build", "base-build.log")]
      where FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path) {
        report.files[key] = name
      }
      // The kernel the consoles came from (and the base's, when compared): boot it again with
      // the report's `boot.command`.
      for (key, name) in [("kernel", "bzImage"), ("base-kernel", "base-bzImage")]
      where FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path) {
        report.files[key] = name
      }
    }
  }

  /// Configures and builds `commit` (checked out in the builder's source), its release named
  /// for the commit. The build's seconds exclude configuring. The image is copied to `keep`,
  /// and the copy is what boots: the shared build folder may hold another kernel by the time
  /// a later boot of this run starts, and the run's folder keeps the kernel its consoles came from.
  package func buildStage(_ builder: KernelBuilder, commit: ObjectID, log: URL, keep: URL) throws -> BuildResult {
    var builder = builder
    builder.localVersion = Self.localVersion(for: commit)
    // Every caller has just force-checked-out `commit` in the build worktree.
    builder.checkedOut = commit.description
    console.say("building in \(builder.buildDirectory.path) (log: \(log.path))")
    try? FileManager.default.removeItem(at: log)
    var build = try builder.build(log: log, progress: progress)
    build.compiler = KernelBuilder.compilerVersion()
    if let dropped = build.configCheck?.dropped, !dropped.isEmpty {
      console.warn("Kconfig dropped: " + dropped.map { "\($0.name)=\($0.wanted) (got \($0.actual))" }.joined(separator: ", "))
    }
    if build.upToDate == true {
      console.say("the build folder already holds this commit's kernel: make not run")
    } else if build.succeeded {
      console.say(String(format: "built %d objects in %.0f s", build.objects, build.seconds))
    }
    if build.succeeded, let image = build.image {
      try? FileManager.default.removeItem(at: keep)
      try FileManager.default.copyItem(at: URL(fileURLWithPath: image), to: keep)
      // Checked on the copy: a writer between the build's own check and the copy shows here.
      if let release = build.release, let named = KernelImage.otherRelease(in: keep, than: release) {
        try? FileManager.default.removeItem(at: keep)
        throw builder.changedUnderBuild(image: named, release: release)
      }
      build.image = keep.path
    }
    return build
  }

  /// The guest's initramfs for `plan` on `commit` (checked out in the slot): the runner, the
  /// witness's focus (the classes lockdep cannot see, as this tree names them) and the
  /// changed functions the coverage program profiles.
  package func guestProgram(_ plan: RunPlan, commit: ObjectID, slot: BuildSlot, changes: ChangeMap?, busybox: URL, to initramfs: URL) throws
  {
    let focus =
      plan.guest.lockWitness
      ? try LockWitnessProgram.unvalidatedClasses(
        inSource: slot.worktreePath, commit: commit, cache: slot.buildDirectory.appendingPathComponent(".patchcheck-witness-focus"))
      : []
    var extra: [String: String] = [:]
    if !focus.isEmpty { extra[LockWitnessProgram.focusFile] = focus.joined(separator: "\n") + "\n" }
    if let changes, !changes.names.isEmpty { extra[CoverageProgram.functionsFile] = changes.names.joined(separator: "\n") + "\n" }
    try writeInitramfs(plan, extra: extra, busybox: busybox, to: initramfs)
  }

  /// An initramfs of the guest's runner, the plan's data (config, scenarios, steps) and the
  /// `extra` files (the witness's focus, the functions to profile).
  package func writeInitramfs(_ plan: RunPlan, extra: [String: String] = [:], busybox: URL, to initramfs: URL) throws {
    let files = try plan.guestFiles().merging(extra) { _, added in added }
    try Initramfs.build(runner: try RunnerScript.runner(), busybox: busybox, to: initramfs, files: files)
  }

  /// `guestStage`'s boots, their time in the report: QEMU's is the boot phase, reading the
  /// consoles the analysis phase.
  func timedBoots(
    _ plan: RunPlan, image: URL, release: String?, initramfs: URL, qemu: QemuInfo, out: URL, changes: ChangeMap? = nil,
    report: inout Report
  ) throws -> [BootOutcome] {
    let t = Date()
    let boots = try guestStage(
      plan, image: image, release: release, initramfs: initramfs, qemu: qemu, out: out, prefix: "console", changes: changes)
    let analysis = boots.reduce(0) { $0 + $1.analysisSeconds }
    report.phases[.boot] = Date().timeIntervalSince(t) - analysis
    report.phases[.analysis] = analysis
    return boots
  }

  /// Boots the plan's number of times; the first console is PREFIX.log, then PREFIX-2.log...
  /// Each boot is read (KTAP, kernel reports, the coverage of `changes`) and judged on its own.
  package func guestStage(
    _ plan: RunPlan, image: URL, release: String?, initramfs: URL, qemu: QemuInfo, out: URL, prefix: String,
    changes: ChangeMap? = nil
  ) throws -> [BootOutcome] {
    var outcomes: [BootOutcome] = []
    for index in 1...plan.guest.boots {
      let log = out.appendingPathComponent(index == 1 ? "\(prefix).log" : "\(prefix)-\(index).log")
      let boot = plan.bootOptions(kernel: image, initramfs: initramfs, consoleLog: log)
      let count = plan.guest.boots > 1 ? " (boot \(index) of \(plan.guest.boots))" : ""
      console.say("booting under QEMU \(qemu.version)\(count) with scenarios \(plan.scenarios.map(\.name).joined(separator: ", "))")
      let booted = try QemuBooter(qemu: qemu, home: home).boot(boot, progress: progress)
      let analysisStart = Date()
      let text = String(decoding: FileManager.default.contents(atPath: log.path) ?? Data(), as: UTF8.self)
      // The witness's lock events, streamed by the guest to a file of their own.
      let trace = boot.witnessStream.flatMap { FileManager.default.contents(atPath: $0.path) }
      let (splats, results) = ConsoleAnalyzer.reportsAndResults(in: text, expected: plan.scenarios.map(\.name), witnessTrace: trace)
      // A witness asked for must have read the whole trace, with nothing lost, or its silence
      // is no evidence.
      let witness = LockWitness.read(text, trace: trace)
      let witnessComplete =
        !plan.guest.lockWitness || !booted.runnerFinished || witness?.complete == true
        || text.contains(LockWitnessProgram.unavailableMarker)
      let witnessLost = witness?.lost ?? 0
      let coverage = CoverageReading.read(RunPlan.coverageText(console: text, beside: log))
      let covered = changes.map { SeriesCoverage.combine($0, observations: [coverage], scenarios: plan.scenarios.map(\.name)) }
      let (verdict, reason, code) = Judge.verdict(
        boot: booted, scenarios: results, splats: splats, expectedRelease: release, witnessComplete: witnessComplete,
        witnessLost: witnessLost, coverage: covered)
      var outcome = BootOutcome(
        index: index, console: log.lastPathComponent, boot: booted, scenarios: results, splats: splats, verdict: verdict,
        reason: reason, exitCode: code, analysisSeconds: Date().timeIntervalSince(analysisStart), coverage: coverage)
      outcome.expectedRelease = release
      outcome.witnessComplete = witnessComplete
      outcome.witnessLost = witnessLost
      outcome.covered = covered
      outcomes.append(outcome)
    }
    return outcomes
  }

  /// The same scenarios on the unpatched base (same config, same iterations, same number of
  /// boots): each kernel report labelled new, fixed or pre-existing.
  package func compareWithBase(
    _ plan: RunPlan, base: BaseResolution, slot: BuildSlot, worktree: GitRepository, builder: KernelBuilder, initramfs: URL,
    qemu: QemuInfo, out: URL, seriesBoots: [BootOutcome]
  ) throws -> BaseComparison {
    guard let baseCommit = ObjectID(hex: base.commit) else {
      throw PatchCheckError(.baseMissing, "bad base id \(base.commit)", hint: "pass --base REV")
    }
    console.say("building the base \(base.used) for comparison")
    try worktree.checkout(baseCommit, branch: slot.branch)
    let build = try buildStage(
      builder, commit: baseCommit, log: out.appendingPathComponent("base-build.log"), keep: out.appendingPathComponent("base-bzImage"))
    guard build.succeeded, let baseImage = build.image else {
      return BaseComparison(base: base.used, verdict: .buildFail, reason: "the base does not build", titles: [], scenarios: [])
    }
    let boots = try guestStage(
      plan, image: URL(fileURLWithPath: baseImage), release: build.release, initramfs: initramfs, qemu: qemu, out: out,
      prefix: "base-console")
    return BaseComparison(series: seriesBoots, base: boots, baseName: base.used)
  }

  /// The patches as applied (after variant edits), as `git format-patch` files: what
  /// reproduces the run with `git am`, and what KCIDB's patchset hash is computed over.
  package static func writePatches(_ series: Series, to folder: URL) throws {
    try? FileManager.default.removeItem(at: folder)
    try FileManager.default.ensureDirectory(folder)
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
    for patch in series.patches {
      formatter.timeZone = TimeZone(secondsFromGMT: patch.author.offsetMinutes * 60)
      let body = patch.commitMessage.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
      let rest = body.count > 1 ? String(body[1]).trimmingCharacters(in: .newlines) : ""
      let text = """
        From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
        From: \(patch.author.name) <\(patch.author.email)>
        Date: \(formatter.string(from: patch.author.time))
        Subject: [PATCH \(patch.number)/\(series.patches.count)] \(patch.subject)

        \(rest)
        ---
        \(patch.diff)
        """
      let name = String(format: "%04d-%@.patch", patch.number, slug(patch.subject))
      try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
  }

  /// "-pc" and the commit's first twelve hex digits: `uname -r` in the guest names it.
  package static func localVersion(for commit: ObjectID) -> String {
    "-pc\(commit.description.prefix(12))"
  }

  package static func runName(started: Date, series: String, variant: String) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return "\(formatter.string(from: started))-\(series)-\(variant)"
  }

  package static func write(_ report: Report, to out: URL) throws {
    // After a signal only the interrupt handler's ABORTED report is written: the run's own
    // thread may be seeing make or QEMU die of our kill and conclude BUILD-FAIL or FAIL.
    // (A run's own reports go through its ReportKeeper, which decides this under its lock.)
    guard report.verdict == .aborted || !Interrupts.shared.interrupted else { return }
    // Atomic: a reader (or the interrupt handler's own write) never sees half a report.
    try report.jsonData().write(to: out.appendingPathComponent("report.json"), options: .atomic)
    let patchFolder = out.appendingPathComponent("patches")
    let patchFiles = ((try? FileManager.default.contentsOfDirectory(atPath: patchFolder.path)) ?? [])
      .filter { $0.hasSuffix(".patch") }.sorted().map { patchFolder.appendingPathComponent($0) }
    try KCIDBWriter.json(for: report, patchFiles: patchFiles).write(to: out.appendingPathComponent("kcidb.json"), options: .atomic)
    try JUnitWriter.xml(for: report).write(to: out.appendingPathComponent("junit.xml"), atomically: true, encoding: .utf8)
    try SummaryWriter.markdown(for: report).write(to: out.appendingPathComponent("summary.md"), atomically: true, encoding: .utf8)
  }
}

// The reach stage, for a series that names no scenarios: what every scenario reaches on
// the unpatched base (one boot of the base with every candidate scenario, the function
// profiler filtered to every function of the folders the series touches), cached in the
// cache folder per base, config, folders and guest program (the candidates'); then the
// candidates that reach a changed function are the run's scenarios.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

extension ApplyAndBoot {
  /// Narrows `plan`'s candidate scenarios to those that reach `changes` on `base`,
  /// measuring the reach first when the cache does not have it. Leaves the base checked
  /// out and built in the slot when it measured.
  package func chooseByReach(
    _ plan: inout RunPlan, changes: ChangeMap, base: ObjectID, slot: BuildSlot, worktree: GitRepository,
    builder: KernelBuilder, tools: Tools, out: URL
  ) throws -> ScenarioChoice {
    let folders = ScenarioReach.folders(of: changes)
    let candidates = plan.scenarios
    // Nothing to reach (no C function changed): no reach boot, the defaults.
    guard !changes.names.isEmpty else {
      let defaults = Set(ScenarioLibrary.defaultNames)
      plan.scenarios = candidates.filter { defaults.contains($0.name) }
      plan.choice = ScenarioChoice(
        how: .default, scenarios: plan.scenarios.map(\.name),
        note: "the series changes no C function, so nothing can choose by reach: the defaults")
      console.say(plan.choice.note)
      return plan.choice
    }
    var probe = plan
    probe.guest.lockWitness = false
    probe.guest.coverage = true
    probe.guest.boots = 1
    probe.noSeries = false
    // Each race once, and the races after every other scenario: a race that deadlocks the
    // base (the hang it exists to find) wedges the device for the rest of the boot, and the
    // scenarios after it would go unmeasured.
    probe.scenarios = ScenarioLibrary.racesLast(plan.reachProbes ?? plan.scenarios)
    let key = SHA256Hex.of(
      Data((["patchcheck-reach/4", base.description, plan.configHash, probe.guestProgramDigest] + folders).joined(separator: "\n").utf8))
    let cacheFile = home.root.appendingPathComponent("reach").appendingPathComponent("\(key.prefix(32)).json")
    let reach: ScenarioReach
    if let data = FileManager.default.contents(atPath: cacheFile.path),
      let cached = try? JSON.decoder().decode(ScenarioReach.self, from: data)
    {
      console.say("what each scenario reaches on \(base.short): from the cache (\(cacheFile.lastPathComponent))")
      reach = cached
    } else {
      reach = try measureReach(
        probe, folders: folders, base: base, slot: slot, worktree: worktree, builder: builder, tools: tools, out: out)
      // Kept when the runner got to its end, every candidate read or known to be wedged by an
      // earlier one's hang (which the same base does again): a boot cut short is no map.
      if reach.finished {
        try FileManager.default.ensureDirectory(cacheFile.deletingLastPathComponent())
        try JSON.encode(reach).write(to: cacheFile, options: .atomic)
      }
    }
    let choice = ScenarioChoice.byReach(
      reach, changes: changes, candidates: candidates.map(\.name), fallback: ScenarioLibrary.defaultNames)
    let chosen = Set(choice.scenarios)
    let kept = candidates.filter { chosen.contains($0.name) }
    // The defaults are built-in scenarios, so among the candidates. The races run last: one
    // that hangs wedges the device, and the scenarios after it would not run.
    plan.scenarios = kept.isEmpty ? candidates : ScenarioLibrary.racesLast(kept)
    plan.choice = choice
    plan.choice.scenarios = plan.scenarios.map(\.name)
    console.say(choice.note)
    return plan.choice
  }

  /// Builds the base and boots it with every candidate, profiling every function the
  /// folders' C files define. A candidate an earlier one's hang left unrun (its reach not
  /// known) is measured again in a boot of the unknown ones alone, as long as each such boot
  /// measures one more: a base that hangs in one scenario at times (AER recovery on 7.3.4 and
  /// 6.12.117) would otherwise hide what every later scenario reaches.
  package func measureReach(
    _ probe: RunPlan, folders: [String], base: ObjectID, slot: BuildSlot, worktree: GitRepository, builder: KernelBuilder,
    tools: Tools, out: URL
  ) throws -> ScenarioReach {
    console.say("measuring what each scenario reaches: the base \(base.short), functions of \(folders.joined(separator: ", "))")
    try worktree.checkout(base, branch: slot.branch)
    let watched = watchedFunctions(folders, in: slot.worktreePath)
    let build = try buildStage(
      builder, commit: base, log: out.appendingPathComponent("reach-build.log"), keep: out.appendingPathComponent("reach-bzImage"))
    guard build.succeeded, let image = build.image else {
      throw PatchCheckError(
        .infra, "the base \(base.short) does not build, so what each scenario reaches cannot be measured",
        hint: "name the scenarios with --scenarios; see \(out.path)/reach-build.log")
    }
    let boot = ReachBoot(
      kernel: URL(fileURLWithPath: image), watched: watched, base: base.description, folders: folders, out: out)
    let first = try reachBoot(probe, boot, label: "reach", tools: tools)
    return first.completed(among: probe.scenarios.map(\.name), boots: Self.reachRounds) { names, round in
      console.say(
        "reach not known for \(names.joined(separator: ", ")) (an earlier scenario's hang left them unrun): "
          + "measuring them in a boot of their own")
      var again = probe
      again.scenarios = probe.scenarios.filter { names.contains($0.name) }
      do {
        return try reachBoot(again, boot, label: "reach-\(round)", tools: tools)
      } catch {
        // The first boot's map stands; what this one was to measure stays not known.
        console.warn("reach: the boot of \(names.joined(separator: ", ")) measured nothing: \(error)")
        return nil
      }
    }
  }

  /// Boots for a reach measurement in all: the first and those of the scenarios a hang
  /// left unmeasured, each of which measures one more or ends the rounds.
  package static let reachRounds = 4

  /// What every reach boot of one base shares.
  package struct ReachBoot {
    var kernel: URL
    var watched: Set<String>
    var base: String
    var folders: [String]
    var out: URL
  }

  /// Every function the folders' C files define, by name.
  func watchedFunctions(_ folders: [String], in tree: URL) -> Set<String> {
    var watched = Set<String>()
    for folder in folders {
      let url = tree.appendingPathComponent(folder)
      for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] where name.hasSuffix(".c") {
        guard let text = try? String(contentsOf: url.appendingPathComponent(name), encoding: .utf8) else {
          console.warn("reach: cannot read \(folder)/\(name) as text; its functions are not watched")
          continue
        }
        watched.formUnion(ChangedFunctions.functions(inText: text).map(\.name))
      }
    }
    return watched
  }

  /// One reach boot of `probe`'s scenarios: LABEL-console.log, LABEL-initramfs.cpio and the
  /// files beside the console in the run's folder.
  /// A reach boot's options: the plan's, with the host's clock. The profiler's start on
  /// hundreds of functions is most of a reach boot, and under the virtual clock (one host
  /// thread for the vCPUs) it took 280 s of a 326 s boot on 7.2.12 against about 60 s
  /// (CoverageEndToEnd's three reach boots: 20 min against 10). What a scenario reaches does
  /// not depend on the clock.
  static func reachBootOptions(_ probe: RunPlan, kernel: URL, initramfs: URL, consoleLog: URL) -> BootOptions {
    var options = probe.bootOptions(kernel: kernel, initramfs: initramfs, consoleLog: consoleLog)
    options.clock = .host
    return options
  }

  func reachBoot(_ probe: RunPlan, _ boot: ReachBoot, label: String, tools: Tools) throws -> ScenarioReach {
    let initramfs = boot.out.appendingPathComponent("\(label)-initramfs.cpio")
    try writeInitramfs(
      probe, extra: [CoverageProgram.functionsFile: boot.watched.sorted().joined(separator: "\n") + "\n"],
      busybox: tools.busybox, to: initramfs)
    let options = Self.reachBootOptions(
      probe, kernel: boot.kernel, initramfs: initramfs, consoleLog: boot.out.appendingPathComponent("\(label)-console.log"))
    let booted = try QemuBooter(qemu: tools.qemu, home: home).boot(options, progress: progress)
    let text = String(decoding: FileManager.default.contents(atPath: options.consoleLog.path) ?? Data(), as: UTF8.self)
    let read = CoverageReading.read(RunPlan.coverageText(console: text, beside: options.consoleLog))
    guard let observation = read, observation.unavailable == nil else {
      throw PatchCheckError(
        .infra, "the reach boot printed no coverage (\(read?.unavailable ?? "no profiler lines"))",
        hint: "see \(options.consoleLog.path); name the scenarios with --scenarios")
    }
    var reach = ScenarioReach(
      observation: observation, names: probe.scenarios.map(\.name), base: boot.base, folders: boot.folders,
      config: probe.configHash, watched: boot.watched.count)
    // Does not run whole on the base: a step the kernel does not support (a KTAP SKIP with its
    // steps). One skipped whole because an earlier scenario's blocked step wedged the device
    // ran nothing: its reach is not known, never a reason to leave it out.
    reach.skipped = KTAPParser.parse(text, expected: probe.scenarios.map(\.name)).filter {
      $0.result == .skip && !$0.steps.isEmpty
    }.map(\.name)
    reach.finished = booted.runnerFinished && !booted.timedOut && !booted.wentSilent
    return reach
  }
}

extension ScenarioReach {
  /// Built from the reach boot's console: `names` are the scenarios in KTAP order.
  package init(observation: CoverageObservation, names: [String], base: String, folders: [String], config: String, watched: Int) {
    var scenarios: [String: [String: Int]] = [:]
    for (number, hits) in observation.hits where number >= 1 && number <= names.count {
      scenarios[names[number - 1]] = hits.filter { $0.value > 0 }
    }
    self.init(
      base: base, folders: folders, config: config, watched: watched, traceable: observation.traceable.count,
      scenarios: scenarios,
      measured: observation.read.sorted().compactMap { $0 >= 1 && $0 <= names.count ? names[$0 - 1] : nil })
  }
}

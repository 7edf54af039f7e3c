// The run plan: everything that decides a run, resolved once from the flags, the series'
// manifest and the defaults — the series as it will be applied (its variant's edits done),
// the scenarios and the guest program generated from them, the guest's knobs, the config
// fragments, and the build of patchcheck itself. Every later stage reads it; nothing after
// it re-derives a choice. Its `key` is what bisect's verdict cache and ci's reuse know a
// verdict by (with the commit judged added by each).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct GuestPlan: Sendable {
  package var vfs: Int
  package var pfs: Int
  package var vcpus: Int
  package var memoryMB: Int
  package var hungTaskTimeout: Int
  package var iterations: Int
  package var accelerator: Accelerator
  /// Host-side limit for one boot; nil: enough for every step's own limit.
  package var bootTimeout: TimeInterval?
  /// Boots of one build (each report counted over them).
  package var boots: Int
  /// The guest traces lock acquisitions (`LockWitness`): the runner script is made with it.
  package var lockWitness = true
  /// The guest profiles the series' changed functions during the scenarios, read after each
  /// (`CoverageProgram`): the runner script is made with it.
  package var coverage = true
  /// The guest's clock under TCG (`GuestClock`).
  package var clock = GuestClock.virtual
}

package struct RunPlan: Sendable {
  /// The series as given, and its manifest when it has one.
  package var loaded: LoadedSeries
  /// The variant chosen, with the series as it will be applied.
  package var selected: SelectedVariant
  /// Build and boot the base alone (bisecting the tree itself).
  package var noSeries: Bool
  package var scenarios: [Scenario]
  /// For a choice by reach: the candidates as the reach boot runs them, each race once (what
  /// a scenario reaches does not grow with its iterations; the boot's time does).
  package var reachProbes: [Scenario]? = nil
  /// How the scenarios were chosen. With `.reach`, `scenarios` are the candidates until the
  /// pipeline has measured what each reaches and kept those that reach the changed code.
  package var choice: ScenarioChoice
  package var guest: GuestPlan
  package var fragments: [URL]
  package var repository: String?
  /// The base asked for (flag or variant); the series' stated base and the manifest's
  /// fallback are tried after it.
  package var requestedBase: String?
  package var compareBase: Bool
  /// Any kernel report FAILs; without it a report the base shows too is pre-existing.
  package var strict = false
  package var threeWay: Bool
  /// Skip a patch the tree already has (--skip-applied).
  package var skipApplied = false
  package var output: URL?
  package var json: Bool
  /// The build of patchcheck that plans and judges.
  package var tool: String

  /// What the guest's runner reads: the scenarios and the guest's knobs as data, and the
  /// runner's parts (derived, so a plan narrowed to other scenarios cannot keep a stale one).
  package func guestFiles() throws -> [String: String] {
    try RunnerScript.files(scenarios, hungTaskTimeout: guest.hungTaskTimeout, lockWitness: guest.lockWitness, coverage: tracesCoverage)
  }

  /// What the guest runs, as one digest: the runner and every file it reads (the keys of
  /// remembered verdicts and findings change with either). A program that cannot be read
  /// makes a digest of its own, which no remembered run has.
  package var guestProgramDigest: String {
    guard let runner = try? RunnerScript.runner(), let files = try? guestFiles() else { return "unreadable guest program" }
    let text = ([runner] + files.sorted { $0.key < $1.key }.map { "\($0.key)\n\($0.value)" }).joined(separator: "\n\0")
    return SHA256Hex.of(Data(text.utf8))
  }

  /// Coverage is asked for and there is a series whose changes can be traced.
  package var tracesCoverage: Bool {
    guest.coverage && !noSeries
  }

  package var series: Series { selected.series }
  package var manifest: SeriesManifest? { loaded.manifest }
  package var variantName: String { selected.name }
  /// The series' name in branch names, run names and the results database.
  package var seriesName: String { loaded.name }
  /// Whether the run keeps its commits on a branch. A review's parts and bisect's steps
  /// apply on bases (and prefixes of the series) of their own and leave no branch behind:
  /// their reports' `head` names the commit.
  package var keepsBranch = true

  /// The branch the series is committed on (`SeriesBranch`): plain on the base the series
  /// picks, named after the base when the user chose another (--base, a ci tag).
  package func branch(on base: BaseResolution) -> String? {
    guard keepsBranch else { return nil }
    return SeriesBranch.name(series: seriesName, variant: variantName, on: base, variantBase: selected.variant.base)
  }

  /// Resolves `options` once: a bad series, variant, scenario list or fragment is a usage
  /// error here, before anything is applied or built.
  package static func resolve(_ options: RunOptions, home: PatchCheckHome) throws -> RunPlan {
    let fragments = try options.fragments ?? KernelConfigFile.defaultFragments()
    for fragment in fragments { try KernelConfigFile.validate(fragment: fragment) }
    let loaded =
      options.noSeries
      ? LoadedSeries(series: .none, manifest: nil)
      : try SeriesSource.load(options.series, home: home, query: options.seriesQuery)
    let selected = try SelectedVariant.select(options.variant, from: loaded)
    let settings = ScenarioSettings(iterations: options.iterations, vfs: options.vfs)
    let scenarios: [Scenario]
    var probes: [Scenario]?
    let choice: ScenarioChoice
    if let given = options.scenarioDefinitions {
      scenarios = try ScenarioLibrary.checked(given)
      choice = ScenarioChoice(how: .flag, scenarios: scenarios.map(\.name), note: "given")
    } else {
      let catalog = try scenarioCatalog(dirs: options.scenarioDirs, manifest: loaded.manifest)
      if let names = options.scenarios {
        scenarios = try catalog.named(names, settings: settings)
        choice = ScenarioChoice(how: .flag, scenarios: names, note: "named by --scenarios")
      } else if let names = loaded.manifest?.scenarios {
        scenarios = try catalog.named(names, settings: settings)
        choice = ScenarioChoice(how: .manifest, scenarios: names, note: "named by the series' manifest")
      } else if options.coverage, !options.noSeries {
        // Every scenario is a candidate; the pipeline keeps those that reach the changes.
        scenarios = try catalog.all(settings)
        probes = try catalog.all(ScenarioSettings(iterations: 1, vfs: options.vfs))
        choice = ScenarioChoice(
          how: .reach, scenarios: scenarios.map(\.name), note: "to be chosen by what each scenario reaches")
      } else {
        scenarios = try catalog.named(ScenarioLibrary.defaultNames, settings: settings)
        choice = ScenarioChoice(how: .default, scenarios: ScenarioLibrary.defaultNames, note: "the defaults")
      }
    }
    if let short = scenarios.first(where: { $0.igbPFs > options.pfs }) {
      throw PatchCheckError(
        .usage, "scenario '\(short.name)' needs \(short.igbPFs) igb PFs in the guest, and the run has \(options.pfs)",
        hint: "run with --pfs \(short.igbPFs)")
    }
    var plan = RunPlan(
      loaded: loaded, selected: selected, noSeries: options.noSeries, scenarios: scenarios, choice: choice,
      guest: GuestPlan(
        vfs: options.vfs, pfs: options.pfs, vcpus: options.vcpus, memoryMB: options.memoryMB,
        hungTaskTimeout: options.hungTaskTimeout, iterations: options.iterations, accelerator: options.accelerator,
        bootTimeout: options.bootTimeout, boots: max(1, options.repeatCount), lockWitness: options.lockWitness,
        coverage: options.coverage, clock: options.clock),
      fragments: fragments, repository: options.repository, requestedBase: options.base ?? selected.variant.base,
      compareBase: options.compareBase, strict: options.strict, threeWay: options.threeWay,
      skipApplied: options.skipApplied, output: options.output,
      json: options.json, tool: PatchCheckVersion.build)
    plan.reachProbes = probes
    return plan
  }

  /// The scenarios a run may choose from: the built-in folder, the user's folders, then the
  /// files the series' manifest names (`scenario-files:`).
  package static func scenarioCatalog(dirs: [URL], manifest: SeriesManifest?) throws -> ScenarioCatalog {
    let named = (manifest?.scenarioFileURLs ?? []).map {
      ScenarioSource.manifestFile($0.url, manifest: manifest?.path ?? "manifest", line: $0.line)
    }
    return try ScenarioCatalog.load(sources: dirs.map(ScenarioSource.folder) + named)
  }

  /// The inputs that decide a verdict, hashed: the patches as they will be applied, the
  /// guest program, the guest's knobs, the fragments' text and patchcheck's build. Not the
  /// base: each user of the key adds the commit it judges.
  package var key: String {
    var parts = ["patchcheck-verdict/2", tool, strict ? "strict" : "judged against the base"]
    if noSeries {
      parts.append("no series")
    } else {
      parts.append("variant \(variantName)")
      parts += series.patches.map { SHA256Hex.of(Data($0.diff.utf8)) }
    }
    parts.append(guestProgramDigest)
    parts.append(
      "iterations \(guest.iterations) vfs \(guest.vfs) pfs \(guest.pfs) vcpus \(guest.vcpus) memory \(guest.memoryMB) "
        + "hung \(guest.hungTaskTimeout) repeat \(guest.boots) clock \(guest.clock.rawValue)")
    for fragment in fragments {
      parts.append(SHA256Hex.of(FileManager.default.contents(atPath: fragment.path) ?? Data()))
    }
    return SHA256Hex.of(Data(parts.joined(separator: "\n").utf8))
  }

  /// What the base's findings are known by: patchcheck's build, the base commit, the config,
  /// the base's guest program (the scenarios and their knobs, the witness; no series, so no
  /// coverage), the guest's machine, QEMU and the compiler. Not the series, not the number
  /// of boots.
  package func baseFindingsKey(commit: String, qemu: String? = nil, compiler: String? = nil) -> String {
    var base = self
    base.noSeries = true
    let parts = [
      "patchcheck-base-findings/2", tool, commit, configHash, base.guestProgramDigest,
      "vfs \(guest.vfs) pfs \(guest.pfs) vcpus \(guest.vcpus) memory \(guest.memoryMB) accelerator \(guest.accelerator.rawValue) "
        + "clock \(guest.clock.rawValue)",
      "qemu \(qemu ?? "?") compiler \(compiler ?? "?")",
    ]
    return SHA256Hex.of(Data(parts.joined(separator: "\n").utf8))
  }

  /// The config fragments' text, hashed: ci records which config a result was built with.
  package var configHash: String {
    String(SHA256Hex.of(Data(fragments.map { FileManager.default.contents(atPath: $0.path) ?? Data() }.reduce(Data(), +))).prefix(16))
  }

  /// One boot of `kernel` with this plan's guest (accelerator, vCPUs, memory, PFs, limit).
  package func bootOptions(kernel: URL, initramfs: URL, consoleLog: URL) -> BootOptions {
    var boot = BootOptions(kernel: kernel, initramfs: initramfs, consoleLog: consoleLog, timeout: bootTimeout)
    boot.accelerator = guest.accelerator
    boot.clock = guest.clock
    boot.cpus = guest.vcpus
    boot.memoryMB = guest.memoryMB
    boot.pfs = guest.pfs
    if guest.lockWitness { boot.witnessStream = Self.witnessStream(beside: consoleLog) }
    if guest.coverage { boot.coverageStream = Self.coverageStream(beside: consoleLog) }
    boot.hostLog = Self.hostLog(beside: consoleLog)
    return boot
  }

  /// The coverage records of the boot whose console is `consoleLog`, beside it: console.log's
  /// are in coverage.txt, reach-console.log's in reach-coverage.txt.
  package static func coverageStream(beside consoleLog: URL) -> URL {
    companion(of: consoleLog, "coverage", ext: "txt")
  }

  /// The console and the coverage records beside it, as one text for `CoverageReading`.
  package static func coverageText(console: String, beside consoleLog: URL) -> String {
    let stream = FileManager.default.contents(atPath: coverageStream(beside: consoleLog).path) ?? Data()
    return console + "\n" + String(decoding: stream, as: UTF8.self)
  }

  /// What host-driven steps asked and the host answered (`HostControl`), beside the console:
  /// console.log's is host.log, console-2.log's host-2.log, base-console.log's base-host.log.
  package static func hostLog(beside consoleLog: URL) -> URL {
    companion(of: consoleLog, "host", ext: "log")
  }

  /// The witness's lock-event stream of the boot whose console is `consoleLog`, beside it:
  /// console.log's is witness.trace, console-2.log's witness-2.trace, base-console.log's
  /// base-witness.trace.
  package static func witnessStream(beside consoleLog: URL) -> URL {
    companion(of: consoleLog, "witness", ext: "trace")
  }

  /// Enough for boot under TCG plus every step's own limit, plus the hung-task wait.
  package var bootTimeout: TimeInterval {
    if let fixed = guest.bootTimeout { return fixed }
    let steps = scenarios.flatMap(\.steps).reduce(0) { $0 + $1.timeout }
    // The witness's stream is drained for up to this long at the end (the runner says so
    // every 10 s, under the 150 s silence limit).
    let drain = guest.lockWitness ? RunnerScript.witnessDrainLimit : 0
    return TimeInterval(120 + steps + 30 + guest.hungTaskTimeout + drain)
  }

  /// A file a boot writes beside its console, named as the console is: console.log's
  /// `KIND.EXT`, console-2.log's `KIND-2.EXT`, base-console.log's `base-KIND.EXT`.
  static func companion(of consoleLog: URL, _ kind: String, ext: String) -> URL {
    let name = consoleLog.deletingPathExtension().lastPathComponent.replacingOccurrences(of: "console", with: kind)
    return consoleLog.deletingLastPathComponent().appendingPathComponent("\(name).\(ext)")
  }
}

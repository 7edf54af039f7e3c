import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The coverage of the series: which functions a series changes (from its hunks and the
/// file as each patch left it), what the guest's profiler lines say, and the verdict when
/// none of the changed code ran.
@Suite struct CoverageTests {
  static let source = """
    // SPDX-License-Identifier: GPL-2.0
    #include <linux/pci.h>

    static DEFINE_MUTEX(toy_lock);
    static int toy_count;

    static const struct pci_device_id toy_ids[] = {
    	{ PCI_DEVICE(0x8086, 0x10c9) },
    	{ }
    };

    static int toy_add(struct pci_dev *dev,
    		   int n)
    {
    	int i;

    	for (i = 0; i < n; i++)
    		toy_count++;
    	return 0;
    }

    void __printf(2, 3) toy_log(struct pci_dev *dev, const char *fmt, ...)
    {
    	toy_count--;
    }
    EXPORT_SYMBOL_GPL(toy_log);

    int toy_remove(struct pci_dev *dev)
    {
    	mutex_lock(&toy_lock);
    	toy_count = 0;
    	mutex_unlock(&toy_lock);
    	return 0;
    }

    """

  @Test func functionsAreFoundByTheirBodiesInTheKernelsStyle() {
    let lines = Self.source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let found = ChangedFunctions.functions(in: lines)
    #expect(found.map(\.name) == ["toy_add", "toy_log", "toy_remove"])
    // The declarator's first line to the closing brace.
    #expect(found.first?.lines == 12...20)
    #expect(found.last?.lines == 28...34)
  }

  /// A patch that changes a line inside toy_remove and the global above the functions: one
  /// changed function, one changed line outside any; the hunk landed 2 lines later than
  /// posted, and the lines are placed where the patch put them.
  @Test func aSeriesChangesTheFunctionsWhoseBodiesHoldItsLines() throws {
    let dir = try TempDir()
    // Two lines more at the top than the patch was made against: the hunks land at +2.
    let tree = "// moved\n// down\n" + Self.source
    let toy = try ToyRepo(
      at: dir.path("repo.git"), files: ["Makefile": "VERSION = 1\n", "Kconfig": "mainmenu \"toy\"\n", "drivers/toy.c": tree])
    let diff = """
      diff --git a/drivers/toy.c b/drivers/toy.c
      --- a/drivers/toy.c
      +++ b/drivers/toy.c
      @@ -3,3 +3,3 @@
       
      -static DEFINE_MUTEX(toy_lock);
      +DEFINE_MUTEX(toy_lock);
       static int toy_count;
      @@ -29,5 +29,5 @@ int toy_remove(struct pci_dev *dev)
       {
       	mutex_lock(&toy_lock);
      -	toy_count = 0;
      +	toy_count = -1;
       	mutex_unlock(&toy_lock);
       	return 0;

      """
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "toy: change", diff: diff)), source: "test")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let outcome = try applier.apply(
      series, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: "refs/heads/patchcheck/t/a",
      check: false)
    #expect(outcome.applied)
    #expect(outcome.patches.first?.hunks.map(\.offset) == [2, 2])
    let map = try ChangedFunctions.map(series, applied: outcome.patches, repository: toy.repo)
    #expect(map.functions == [ChangedFunction(name: "toy_remove", file: "drivers/toy.c", patches: [1], lines: 2)])
    #expect(map.outside == ["drivers/toy.c": 2])
    #expect(map.names == ["toy_remove"])
  }

  /// The guest's lines, as CoverageProgram prints them: totals since the profiler started,
  /// after each scenario (each scenario's hits are the differences); a name cut to the
  /// profiler's 30 characters is the traceable name it begins.
  static let console = """
    [    1.000000] igb 0000:01:00.0: added PHC on eth0
    patchcheck-coverage: traceable pci_lock_rescan_remove 1
    patchcheck-coverage: traceable pci_stop_and_remove_bus_device_locked 1
    patchcheck-coverage: untraceable sriov_add_vfs
    KTAP version 1
    1..2
    ok 1 numvfs
    patchcheck-coverage: total 1 pci_lock_rescan_remove 5
    patchcheck-coverage: scenario 1 read
    ok 2 pf-remove
    patchcheck-coverage: total 2 pci_lock_rescan_remove 8
    patchcheck-coverage: total 2 pci_stop_and_remove_bus_device_ 1
    patchcheck-coverage: scenario 2 read
    """

  static let changes = ChangeMap(functions: [
    ChangedFunction(name: "pci_lock_rescan_remove", file: "drivers/pci/probe.c", patches: [1], lines: 4),
    ChangedFunction(name: "pci_stop_and_remove_bus_device_locked", file: "drivers/pci/remove.c", patches: [2], lines: 1),
    ChangedFunction(name: "sriov_add_vfs", file: "drivers/pci/iov.c", patches: [1], lines: 6),
  ])

  @Test func eachScenarioSaysWhichChangedFunctionsItReached() throws {
    let seen = try #require(CoverageReading.read(Self.console))
    #expect(seen.traceable == ["pci_lock_rescan_remove": 1, "pci_stop_and_remove_bus_device_locked": 1])
    #expect(seen.untraceable == ["sriov_add_vfs"])
    #expect(seen.read == [1, 2])
    let coverage = SeriesCoverage.combine(Self.changes, observations: [seen, seen], scenarios: ["numvfs", "pf-remove"])
    let byName = Dictionary(uniqueKeysWithValues: coverage.functions.map { ($0.name, $0) })
    #expect(byName["pci_lock_rescan_remove"]?.hits == ["numvfs": 10, "pf-remove": 6])
    #expect(byName["pci_stop_and_remove_bus_device_locked"]?.hits == ["pf-remove": 2])
    #expect(byName["sriov_add_vfs"]?.traceable == false)
    #expect(coverage.exercised == true)
    #expect(coverage.note.hasPrefix("2 of 2 traceable changed functions ran (1 cannot be traced)"))
    #expect(CoverageReading.read("no coverage here\n") == nil)
    // The serial console's CRLF line ends (one Character to Swift) are line ends too.
    #expect(CoverageReading.read(Self.console.replacingOccurrences(of: "\n", with: "\r\n")) == seen)
  }

  /// Chosen by reach, the races run last, and the reach boot runs each race once
  /// (docs/scenarios.md, "Choosing scenarios by reach").
  @Test func theReachBootRunsEachRaceOnceAndTheRacesLast() throws {
    let dir = try TempDir()
    var options = RunOptions()
    options.series = Shared.v10.path
    options.iterations = 7
    let manifestPlan = try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home")))
    #expect(manifestPlan.reachProbes == nil, "a manifest names its scenarios: no reach boot")
    let mbox = dir.path("one.mbox")
    try patchMail(
      subject: "PCI: a change",
      diff:
        "diff --git a/drivers/pci/iov.c b/drivers/pci/iov.c\n--- a/drivers/pci/iov.c\n+++ b/drivers/pci/iov.c\n@@ -1,1 +1,1 @@\n-a\n+b\n"
    )
    .write(to: mbox, atomically: true, encoding: .utf8)
    options.series = mbox.path
    let plan = try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home")))
    let probes = try #require(plan.reachProbes)
    #expect(probes.map(\.name) == plan.scenarios.map(\.name))
    for (probe, scenario) in zip(probes, plan.scenarios) where scenario.race {
      #expect(probe.steps.filter { $0.name.hasPrefix("iteration ") }.count == 1, "\(probe.name)")
      #expect(scenario.steps.filter { $0.name.hasPrefix("iteration ") }.count == 7, "\(scenario.name)")
    }
    let ordered = ScenarioLibrary.racesLast(plan.scenarios)
    let firstRace = try #require(ordered.firstIndex { $0.race })
    #expect(ordered[..<firstRace].allSatisfy { !$0.race } && ordered[firstRace...].allSatisfy(\.race))
    #expect(Set(ordered.map(\.name)) == Set(plan.scenarios.map(\.name)))
  }

  /// The records come from the file beside the console (the guest's coverage port), the
  /// console's own lines (a kernel without a virtio console) still count: the same reading.
  @Test func theCoverageRecordsAreReadFromTheirOwnPort() throws {
    let dir = try TempDir()
    let console = dir.path("console.log")
    let records = Self.console.split(separator: "\n").filter { $0.contains(CoverageProgram.prefix) }.joined(separator: "\n")
    let rest = Self.console.split(separator: "\n").filter { !$0.contains(CoverageProgram.prefix) }.joined(separator: "\n")
    #expect(RunPlan.coverageStream(beside: console).lastPathComponent == "coverage.txt")
    #expect(RunPlan.coverageStream(beside: dir.path("reach-console.log")).lastPathComponent == "reach-coverage.txt")
    #expect(CoverageReading.read(RunPlan.coverageText(console: rest, beside: console)) == nil)
    try Data(records.utf8).write(to: RunPlan.coverageStream(beside: console))
    let seen = try #require(CoverageReading.read(RunPlan.coverageText(console: rest, beside: console)))
    #expect(seen == CoverageReading.read(Self.console))
  }

  /// Nothing failed and the kernel said nothing, but no traceable changed function ran:
  /// NOT-EXERCISED (exit 28), never PASS. With nothing traceable the run cannot tell, and
  /// says so; a FAIL stays a FAIL.
  @Test func aRunThatNeverReachedTheChangedCodeIsNotExercised() throws {
    let scenarios = [ScenarioResult(name: "numvfs", result: .pass, steps: [])]
    var seen = CoverageObservation()
    seen.traceable = ["pci_lock_rescan_remove": 1]
    seen.read = [1]
    let unreached = SeriesCoverage.combine(Self.changes, observations: [seen], scenarios: ["numvfs"])
    #expect(unreached.exercised == false)
    let (verdict, reason, _) = Judge.verdict(boot: VerdictTests.finished, scenarios: scenarios, splats: [], coverage: unreached)
    #expect(verdict == .notExercised)
    #expect(verdict.exitCode == 28)
    #expect(reason.contains("none of the 1 traceable changed functions ran in any scenario (pci_lock_rescan_remove)"))

    seen.hits = [1: ["pci_lock_rescan_remove": 2]]
    let reached = SeriesCoverage.combine(Self.changes, observations: [seen], scenarios: ["numvfs"])
    #expect(Judge.verdict(boot: VerdictTests.finished, scenarios: scenarios, splats: [], coverage: reached).0 == .pass)

    let untraceable = SeriesCoverage.combine(Self.changes, observations: [CoverageObservation()], scenarios: ["numvfs"])
    #expect(untraceable.exercised == nil)
    #expect(untraceable.note.hasPrefix("coverage unknown: none of the 3 changed functions can be traced"))
    #expect(Judge.verdict(boot: VerdictTests.finished, scenarios: scenarios, splats: [], coverage: untraceable).0 == .pass)

    let failing = [ScenarioResult(name: "numvfs", result: .fail, steps: [])]
    #expect(Judge.verdict(boot: VerdictTests.finished, scenarios: failing, splats: [], coverage: unreached).0 == .fail)
    #expect(BisectRules().call(.notExercised, titles: []) == .skip)
  }

  /// A series with no scenarios named gets those that reach what it changes on the base,
  /// each with its reason; none reaching anything falls back to the defaults, said so.
  @Test func scenariosAreChosenByWhatTheyReach() {
    var seen = CoverageObservation()
    seen.traceable = ["pci_lock_rescan_remove": 1, "sriov_add_vfs": 1, "pci_setup_device": 1]
    seen.hits = [1: ["sriov_add_vfs": 4, "pci_setup_device": 4], 2: ["pci_lock_rescan_remove": 2], 3: [:]]
    seen.read = [1, 2, 3]
    let reach = ScenarioReach(
      observation: seen, names: ["numvfs", "pf-remove", "unbind"], base: "abc", folders: ["drivers/pci"], config: "c", watched: 3)
    #expect(reach.measured == ["numvfs", "pf-remove", "unbind"])
    #expect(reach.scenarios["unbind"] == [:])
    #expect(ScenarioReach.folders(of: Self.changes) == ["drivers/pci"])

    let choice = ScenarioChoice.byReach(
      reach, changes: Self.changes, candidates: ["numvfs", "pf-remove", "unbind"], fallback: ["numvfs"])
    #expect(choice.scenarios == ["numvfs", "pf-remove"])
    #expect(choice.reasons["numvfs"] == "reaches sriov_add_vfs 4x")
    #expect(choice.reasons["pf-remove"] == "reaches pci_lock_rescan_remove 2x")
    #expect(choice.unreached == ["pci_stop_and_remove_bus_device_locked"])
    #expect(choice.note.contains("reached by none: pci_stop_and_remove_bus_device_locked"))

    // A scenario that did not run whole on the base is never chosen (it would SKIP again).
    var partial = reach
    partial.skipped = ["pf-remove"]
    let without = ScenarioChoice.byReach(
      partial, changes: Self.changes, candidates: ["numvfs", "pf-remove", "unbind"], fallback: ["numvfs"])
    #expect(without.scenarios == ["numvfs"])
    #expect(without.note.hasSuffix("left out, they do not run whole on the base: pf-remove"))

    // A boot that stopped before some scenarios: those are kept, their reach not known.
    var stopped = reach
    stopped.measured = ["numvfs"]
    let kept = ScenarioChoice.byReach(
      stopped, changes: Self.changes, candidates: ["numvfs", "pf-remove", "unbind"], fallback: ["numvfs"])
    #expect(kept.scenarios == ["numvfs", "pf-remove", "unbind"])
    #expect(kept.reasons["unbind"] == "reach not known: the base's boot stopped before it")
    #expect(kept.note.hasSuffix("reach not known, kept: pf-remove, unbind"))

    let quirk = ChangeMap(functions: [ChangedFunction(name: "quirk_plx_pex_no_d3", file: "drivers/pci/quirks.c", patches: [1], lines: 6)])
    let none = ScenarioChoice.byReach(reach, changes: quirk, candidates: ["numvfs", "pf-remove"], fallback: ["numvfs"])
    #expect(none.scenarios == ["numvfs"])
    #expect(none.unreached == ["quirk_plx_pex_no_d3"])
    #expect(none.note.hasPrefix("no scenario reaches what the series changes (quirk_plx_pex_no_d3)"))
  }

  /// A later reach boot of the scenarios an earlier one's hang left unrun adds what they
  /// reach: a scenario that reaches the change after a hang is chosen for what it reaches,
  /// not kept as "not known"; the map is finished only if every boot's runner finished.
  @Test func aLaterReachBootAddsWhatAHangLeftUnmeasured() {
    var first = CoverageObservation()
    first.traceable = ["pci_lock_rescan_remove": 1, "sriov_add_vfs": 1]
    first.hits = [1: ["sriov_add_vfs": 4], 2: ["sriov_add_vfs": 1]]
    first.read = [1, 2]
    var reach = ScenarioReach(
      observation: first, names: ["numvfs", "aer", "hotplug", "unbind"], base: "abc", folders: ["drivers/pci"], config: "c",
      watched: 2)
    reach.skipped = ["unbind"]
    #expect(reach.unknown(among: ["numvfs", "aer", "hotplug", "unbind"]) == ["hotplug"])
    var second = CoverageObservation()
    second.traceable = first.traceable
    second.hits = [1: ["pci_lock_rescan_remove": 3]]
    second.read = [1]
    var later = ScenarioReach(
      observation: second, names: ["hotplug"], base: "abc", folders: ["drivers/pci"], config: "c", watched: 2)
    later.finished = false
    reach.merge(later)
    #expect(reach.unknown(among: ["numvfs", "aer", "hotplug", "unbind"]).isEmpty)
    #expect(reach.measured == ["numvfs", "aer", "hotplug"])
    #expect(reach.scenarios["hotplug"] == ["pci_lock_rescan_remove": 3])
    #expect(reach.skipped == ["unbind"])
    #expect(!reach.finished)
    let choice = ScenarioChoice.byReach(
      reach, changes: Self.changes, candidates: ["numvfs", "aer", "hotplug", "unbind"], fallback: ["numvfs"])
    #expect(choice.scenarios == ["numvfs", "aer", "hotplug"])
    #expect(choice.reasons["hotplug"] == "reaches pci_lock_rescan_remove 3x")
    #expect(!choice.note.contains("not known"))
  }

  /// The rounds of reach boots: only the scenarios still not known are booted again, each
  /// boot must add one, at most `boots` in all; a boot cut short or that read nothing ends
  /// them with the map so far.
  @Test func reachBootsGoOnWhileEachMeasuresMore() throws {
    let all = ["numvfs", "aer", "hotplug", "aer-race", "hotplug-race"]
    func reach(_ measured: [String], finished: Bool = true) -> ScenarioReach {
      var reach = ScenarioReach(
        base: "abc", folders: ["drivers/pci"], config: "c", watched: 2, traceable: 2,
        scenarios: Dictionary(uniqueKeysWithValues: measured.map { ($0, ["pci_lock_rescan_remove": 1]) }), measured: measured)
      reach.finished = finished
      return reach
    }
    // Each boot hangs in its first scenario, which is read; the rest are not.
    var asked: [[String]] = []
    let hangsFirst = try reach(["numvfs", "aer"]).completed(among: all, boots: 4) { names, round in
      asked.append(names)
      #expect(round == asked.count + 1)
      return reach([names[0]])
    }
    #expect(asked == [["hotplug", "aer-race", "hotplug-race"], ["aer-race", "hotplug-race"], ["hotplug-race"]])
    #expect(hangsFirst.unknown(among: all).isEmpty && hangsFirst.finished)
    // Four boots in all: the first and three more.
    asked = []
    let capped = try reach(["numvfs"]).completed(among: all, boots: 3) { names, _ in
      asked.append(names)
      return reach([names[0]])
    }
    #expect(asked.count == 2 && capped.unknown(among: all) == ["aer-race", "hotplug-race"])
    // A boot that adds nothing ends the rounds; so does one cut short, kept as not finished.
    asked = []
    _ = try reach(["numvfs"]).completed(among: all, boots: 4) { names, _ in
      asked.append(names)
      return reach([])
    }
    #expect(asked.count == 1)
    asked = []
    let cut = try reach(["numvfs"]).completed(among: all, boots: 4) { names, _ in
      asked.append(names)
      return reach([names[0]], finished: false)
    }
    #expect(asked.count == 1 && !cut.finished && cut.measured == ["numvfs", "aer"])
    // A boot that read nothing: the first boot's map stands.
    let none = try reach(["numvfs"]).completed(among: all, boots: 4) { _, _ in nil }
    #expect(none == reach(["numvfs"]))
    // A first boot cut short is not booted past, nor one with nothing unknown.
    var booted = false
    _ = try reach(["numvfs"], finished: false).completed(among: all, boots: 4) { _, _ in
      booted = true
      return nil
    }
    _ = try reach(all).completed(among: all, boots: 4) { _, _ in
      booted = true
      return nil
    }
    #expect(!booted)
  }

  /// On by default for a run with a series (its guest program profiles around every
  /// scenario), off with --no-coverage and for the base alone; the config has the profiler.
  @Test func coverageIsOnByDefaultAndTheConfigHasTheProfiler() throws {
    let home = PatchCheckHome(root: try TempDir().url)
    let plan = try RunPlan.resolve(RunOptions(), home: home)
    #expect(try plan.guestFiles()["patchcheck/config"]?.contains("\ncoverage=1\n") == true)
    var off = RunOptions()
    off.coverage = false
    #expect(try RunPlan.resolve(off, home: home).guestFiles()["patchcheck/config"]?.contains("\ncoverage=0\n") == true)
    var alone = RunOptions()
    alone.noSeries = true
    #expect(try RunPlan.resolve(alone, home: home).guestFiles()["patchcheck/config"]?.contains("\ncoverage=0\n") == true)
    let fragment = try String(contentsOf: ProjectData.kernelConfigs.appendingPathComponent("trace.config"), encoding: .utf8)
    let options = Set(KernelConfigFile.parse(fragment).map { "\($0.name)=\($0.value)" })
    #expect(options.isSuperset(of: ["CONFIG_FUNCTION_TRACER=y", "CONFIG_DYNAMIC_FTRACE=y", "CONFIG_FUNCTION_PROFILER=y"]))
    // A manifest naming scenarios keeps them; with no scenarios named anywhere, every
    // scenario is a candidate for the choice by reach.
    #expect(plan.choice.how == .manifest)
  }

  /// A real boot (v9, three scenarios; Fixtures/README.md): the three functions the kernel
  /// can trace, the two it inlined, and each scenario's hits from the totals.
  @Test func aRealBootsCoverage() throws {
    let seen = try #require(CoverageReading.read(try Fixtures.text("boot-v7.3.4-v9-coverage.log")))
    #expect(seen.traceable == ["pci_lock_rescan_remove": 1, "pci_unlock_rescan_remove": 1, "sriov_numvfs_store": 1])
    #expect(seen.untraceable == ["sriov_add_vfs", "sriov_del_vfs"])
    #expect(seen.read == [1, 2, 3])
    #expect(seen.hits[1] == ["pci_lock_rescan_remove": 2, "pci_unlock_rescan_remove": 2, "sriov_numvfs_store": 2])
    #expect(seen.hits[2] == ["pci_lock_rescan_remove": 4, "pci_unlock_rescan_remove": 4, "sriov_numvfs_store": 1])
    #expect(seen.hits[3] == ["pci_lock_rescan_remove": 2, "pci_unlock_rescan_remove": 2, "sriov_numvfs_store": 1])
  }

  /// summary.md's table and junit.xml's coverage suite: every changed function, what
  /// reached it, and a failure only for an unreached one in a NOT-EXERCISED run.
  @Test func theReportsShowEachChangedFunction() throws {
    var seen = CoverageObservation()
    seen.traceable = ["pci_lock_rescan_remove": 1, "pci_stop_and_remove_bus_device_locked": 2]
    seen.untraceable = ["sriov_add_vfs"]
    seen.read = [1]
    var report = Report(run: "r", startedAt: Date())
    report.coverage = SeriesCoverage.combine(Self.changes, observations: [seen], scenarios: ["numvfs"])
    let summary = SummaryWriter.markdown(for: report)
    #expect(summary.contains("| `pci_lock_rescan_remove` | drivers/pci/probe.c | 1 | **no scenario** |"))
    #expect(summary.contains("| `sriov_add_vfs` | drivers/pci/iov.c | 1 | cannot be traced (inlined or notrace) |"))
    #expect(summary.contains("(2 functions of this name: counted together)"))
    var xml = JUnitWriter.xml(for: report)
    #expect(xml.contains("<testsuite name=\"coverage\""))
    #expect(xml.contains("no scenario reached it"))

    seen.hits = [1: ["pci_lock_rescan_remove": 3]]
    report.coverage = SeriesCoverage.combine(Self.changes, observations: [seen], scenarios: ["numvfs"])
    #expect(SummaryWriter.markdown(for: report).contains("| `pci_lock_rescan_remove` | drivers/pci/probe.c | 1 | numvfs (3) |"))
    xml = JUnitWriter.xml(for: report)
    #expect(!xml.contains("no scenario reached it"), "only a NOT-EXERCISED run fails an unreached function")
  }

  /// The guest's coverage program under busybox on the host, against a folder laid out as
  /// tracefs (never the host's own: the program mounts nothing where the files exist): the
  /// traceable names go to the filter, the profiler is enabled once, the others are named
  /// untraceable, and the totals after a scenario add up the per-CPU files.
  @Test func theGuestProgramFiltersEnablesAndReadsTotals() throws {
    let dir = try TempDir()
    let trace = dir.path("tracing")
    try FileManager.default.createDirectory(at: trace.appendingPathComponent("trace_stat"), withIntermediateDirectories: true)
    try "pci_lock_rescan_remove\nsriov_numvfs_store\nremove_store\nremove_store\nother\n".write(
      to: trace.appendingPathComponent("available_filter_functions"), atomically: true, encoding: .utf8)
    try "0\n".write(to: trace.appendingPathComponent("function_profile_enabled"), atomically: true, encoding: .utf8)
    let header =
      "  Function                               Hit    Time            Avg             s^2\n  --------                               ---    ----            ---             ---\n"
    try (header + "  pci_lock_rescan_remove                     2    10.1 us    5.0 us    1.0 us\n").write(
      to: trace.appendingPathComponent("trace_stat/function0"), atomically: true, encoding: .utf8)
    try
      (header
      + "  pci_lock_rescan_remove                     3    10.1 us    5.0 us    1.0 us\n  remove_store   1   1.0 us   1.0 us   0.0 us\n")
      .write(to: trace.appendingPathComponent("trace_stat/function1"), atomically: true, encoding: .utf8)
    // guest/coverage.sh as the runner sources it: its data folder, tracefs and scratch folder
    // as variables.
    let data = dir.path("data")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    try "pci_lock_rescan_remove\nremove_store\nsriov_add_vfs\n".write(
      to: data.appendingPathComponent(URL(fileURLWithPath: CoverageProgram.functionsFile).lastPathComponent), atomically: true,
      encoding: .utf8)
    let script = dir.path("driver.sh")
    try #"""
    P=$1; T=$2; W=$3
    . "$4"
    coverage_start
    coverage_end 1

    """#.write(to: script, atomically: true, encoding: .utf8)
    let busybox = try Initramfs.findBusybox()
    let run = try ProcessRunner.run(
      [
        busybox.path, "sh", script.path, data.path, trace.path, dir.url.path,
        ProjectData.programs.appendingPathComponent("coverage.sh").path,
      ], environment: ["PATH": "/usr/bin:/bin", "PATCHCHECK_HOST": "1"])
    #expect(run.succeeded, "\(run.output)")
    let seen = try #require(CoverageReading.read(run.output))
    #expect(seen.traceable == ["pci_lock_rescan_remove": 1, "remove_store": 2])
    #expect(seen.untraceable == ["sriov_add_vfs"])
    #expect(seen.hits[1] == ["pci_lock_rescan_remove": 5, "remove_store": 1])
    let filter = try String(contentsOf: trace.appendingPathComponent("set_ftrace_filter"), encoding: .utf8)
    #expect(filter.split(separator: "\n") == ["pci_lock_rescan_remove", "remove_store"])
    let enabled = try String(contentsOf: trace.appendingPathComponent("function_profile_enabled"), encoding: .utf8)
    #expect(enabled == "1\n")
  }

  /// A series that changes no C function has nothing to choose by: no reach boot (nothing
  /// is built or booted), the defaults, said so.
  @Test func aSeriesWithNoChangedFunctionRunsTheDefaultsWithoutAReachBoot() throws {
    let dir = try TempDir()
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...10))
    let home = PatchCheckHome(root: dir.path("home"))
    var plan = try RunPlan.resolve(RunOptions(), home: home)
    plan.scenarios = try ScenarioLibrary.all()
    plan.choice = ScenarioChoice(how: .reach, scenarios: plan.scenarios.map(\.name), note: "to be chosen")
    let slot = BuildSlot(home: home, repository: toy.repo, commit: toy.base, console: Terminal(quiet: true))
    let pipeline = ApplyAndBoot(home: home, options: RunOptions())
    let choice = try pipeline.chooseByReach(
      &plan, changes: ChangeMap(outside: ["Kconfig": 2]), base: toy.base, slot: slot, worktree: toy.repo,
      builder: slot.builder(fragments: []),
      tools: .init(busybox: URL(fileURLWithPath: "/bin/false"), qemu: QemuInfo(path: "/bin/false", version: "0")),
      out: dir.path("out"))
    #expect(choice.how == .default)
    #expect(plan.scenarios.map(\.name) == ScenarioLibrary.defaultNames)
    #expect(choice.note.hasPrefix("the series changes no C function"))
    #expect(!FileManager.default.fileExists(atPath: dir.path("out/reach-console.log").path))
    #expect(!FileManager.default.fileExists(atPath: home.root.appendingPathComponent("reach").path))
  }
}

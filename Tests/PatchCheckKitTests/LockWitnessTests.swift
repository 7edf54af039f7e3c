import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The lock-order witness's two halves on their own: the guest's awk program run by the real
/// busybox awk on trace_pipe lines in the kernel's format (include/trace/events/lock.h:
/// "%p %s%s%s" after the event name; the flags column's third character marks hard and
/// soft interrupt context), and the host's cycle finding on what it prints.
@Suite struct LockWitnessTests {
  func runAwk(_ trace: [String]) throws -> String {
    let dir = try TempDir()
    let program = ProjectData.programs.appendingPathComponent("witness.awk")
    let input = dir.path("trace")
    try (trace.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
    let result = try ProcessRunner.run(
      [try Initramfs.findBusybox().path, "awk", "-v", "focus=\(dir.path("no-focus").path)", "-f", program.path, input.path], timeout: 30)
    #expect(result.succeeded, "\(result.output)")
    return result.output
  }

  static func event(_ task: String, _ flags: String, _ what: String, _ addr: String, _ name: String) -> String {
    "             \(task)     [000] \(flags)    12.345678: \(what): \(addr) \(name)"
  }

  static func marker(_ text: String) -> String {
    "             sh-80      [001] .....    12.300000: tracing_mark_write: patchcheck: \(text)"
  }

  /// The reader takes a lock event's fields as awk splits them (cheap under TCG) and any
  /// other line by position; both read the same events the same: a task whose name has a
  /// space (only the by-position path can tell where it ends), "try read" prefixes, a lock
  /// name with a space, and a line ending in CR give the edges the plain lines give.
  @Test func fieldsAndPositionsReadTheSameEvents() throws {
    func trace(_ task: String, cr: Bool) -> [String] {
      let end = cr ? "\r" : ""
      return [
        Self.marker("numvfs: enable 4 VFs"),
        Self.event(task, "....1", "lock_acquire", "00000000aaaa0001", "&dev->mutex") + end,
        Self.event(task, "....1", "lock_acquire", "00000000ffff0001", "try read (wq_completion)a b") + end,
        Self.event(task, "....1", "lock_release", "00000000ffff0001", "(wq_completion)a b") + end,
        Self.event(task, "....1", "lock_acquire", "00000000bbbb0001", "read pci_rescan_remove_lock") + end,
        Self.event(task, "....1", "lock_acquire", "00000000cccc0001", "&other->lock") + end,
        Self.event(task, "....1", "lock_release", "00000000cccc0001", "&other->lock") + end,
        Self.event(task, "....1", "lock_release", "00000000bbbb0001", "pci_rescan_remove_lock") + end,
        Self.event(task, "....1", "lock_release", "00000000aaaa0001", "&dev->mutex") + end,
        Self.marker("end"),
      ]
    }
    let plain = try runAwk(trace("sh-82", cr: false))
    #expect(plain.contains("edge\t&dev->mutex\tpci_rescan_remove_lock\t1\tsh-82\t"), "\(plain)")
    #expect(plain.contains("edge\tpci_rescan_remove_lock\t&other->lock\t1\tsh-82\t"), "\(plain)")
    #expect(!plain.contains("(wq_completion)"), "a trylock makes no edge, and leaves the stack: \(plain)")
    #expect(plain.contains("done\t3\t3"), "\(plain)")
    #expect(try runAwk(trace("sh-82", cr: true)) == plain, "CR line ends")
    let spaced = try runAwk(trace("Web Content-82", cr: false))
    #expect(spaced == plain.replacingOccurrences(of: "\tsh-82\t", with: "\tWeb Content-82\t"), "\(spaced)")
  }

  /// Two sequential steps take the same two locks in opposite orders: one cycle, on the same
  /// instances; nesting one class in itself, interrupts, trylocks and RCU readers add nothing.
  @Test func oppositeOrdersInTwoStepsMakeOneCycle() throws {
    let e = Self.event
    let output = try runAwk([
      Self.marker("numvfs: enable 4 VFs"),
      e("sh-82", "....1", "lock_acquire", "00000000aaaa0001", "&dev->mutex"),
      e("sh-82", "....1", "lock_acquire", "00000000aaaa0002", "&dev->mutex"),  // a child's: same class
      e("sh-82", "d.h1.", "lock_acquire", "00000000cccc0001", "&irq_desc_lock_class"),  // hard interrupt
      e("sh-82", "d.h1.", "lock_release", "00000000cccc0001", "&irq_desc_lock_class"),
      e("sh-82", "....1", "lock_acquire", "00000000dddd0001", "read rcu_read_lock"),
      e("sh-82", "....1", "lock_acquire", "00000000bbbb0001", "pci_rescan_remove_lock"),
      e("sh-82", "....1", "lock_acquire", "00000000eeee0001", "try &other->lock"),
      e("sh-82", "....1", "lock_release", "00000000eeee0001", "&other->lock"),
      e("sh-82", "....1", "lock_release", "00000000bbbb0001", "pci_rescan_remove_lock"),
      e("sh-82", "....1", "lock_release", "00000000dddd0001", "rcu_read_lock"),
      e("sh-82", "....1", "lock_release", "00000000aaaa0002", "&dev->mutex"),
      e("sh-82", "....1", "lock_release", "00000000aaaa0001", "&dev->mutex"),
      Self.marker("pf-remove: remove PF with VFs enabled"),
      e("sh-90", "....1", "lock_acquire", "00000000bbbb0001", "pci_rescan_remove_lock"),
      e("sh-90", "....1", "lock_acquire", "00000000aaaa0001", "&dev->mutex"),
      e("sh-90", "....1", "lock_release", "00000000aaaa0001", "&dev->mutex"),
      e("sh-90", "....1", "lock_release", "00000000bbbb0001", "pci_rescan_remove_lock"),
      Self.marker("end"),
    ])
    let edges = output.split(separator: "\n").filter { $0.hasPrefix("edge\t") }
    #expect(edges.count == 2, "\(output)")
    #expect(output.contains("edge\t&dev->mutex\tpci_rescan_remove_lock\t2\tsh-82\tnumvfs: enable 4 VFs\t"), "\(output)")
    #expect(output.contains("edge\tpci_rescan_remove_lock\t&dev->mutex\t1\tsh-90\tpf-remove: remove PF with VFs enabled\t"))
    #expect(!output.contains("irq_desc") && !output.contains("rcu_read_lock") && !output.contains("&other->lock"), "\(output)")
    #expect(output.contains("done\t2"))

    let console = "[   30.0] x\n\(LockWitnessProgram.beginMarker)\n\(output)overrun 0 0\n\(LockWitnessProgram.endMarker)\n"
    let result = try #require(LockWitness.read(console))
    #expect(result.complete)
    #expect(result.cycles.count == 1)
    // A reader that never got to the end: the edges are a part, and the judge will not take
    // the witness's silence as evidence.
    let cut = console.replacingOccurrences(of: "done\t2\t2\n", with: "")
    #expect(LockWitness.read(cut)?.complete == false)
    let (verdict, _, _) = Judge.verdict(
      boot: VerdictTests.finished, scenarios: [ScenarioResult(name: "s", result: .pass, steps: [])], splats: [],
      witnessComplete: false)
    #expect(verdict == .infraError)
    let cycle = try #require(result.cycles.first)
    #expect(cycle.classes == ["&dev->mutex", "pci_rescan_remove_lock"])
    #expect(cycle.sameInstances)
    let reports = LockWitness.reports(in: console)
    #expect(reports.map(\.title) == ["possible circular locking dependency: &dev->mutex -> pci_rescan_remove_lock -> &dev->mutex"])
    #expect(reports.first?.kind == .lockOrder)
    #expect(reports.first?.excerpt.contains { $0.contains("first in step 'pf-remove: remove PF with VFs enabled'") } == true)
  }

  /// One order only, or orders on different instances of a class pair: no cycle, or a cycle
  /// said to need the same objects.
  @Test func oneOrderIsNoCycleAndOtherInstancesAreSaid() throws {
    let one = LockOrderEdge(held: "A", taken: "B", count: 1, task: "sh-1", step: "s", instances: ["01 02"])
    #expect(LockWitness.cycles(in: [one]).isEmpty)
    let back = LockOrderEdge(held: "B", taken: "A", count: 1, task: "sh-2", step: "t", instances: ["03 04"])
    let cycle = try #require(LockWitness.cycles(in: [one, back]).first)
    #expect(!cycle.sameInstances)
    // A three-class cycle is found once, whichever class it is entered from.
    let ab = LockOrderEdge(held: "A", taken: "B", count: 1, task: "t", step: "s", instances: [])
    let bc = LockOrderEdge(held: "B", taken: "C", count: 1, task: "t", step: "s", instances: [])
    let ca = LockOrderEdge(held: "C", taken: "A", count: 1, task: "t", step: "s", instances: [])
    #expect(LockWitness.cycles(in: [bc, ca, ab]).map(\.classes) == [["A", "B", "C"]])
  }

  /// The classes lockdep does not validate are read from the tree's source, once per commit.
  @Test func theUnvalidatedClassesComeFromTheSourceOncePerCommit() throws {
    let dir = try TempDir()
    let source = dir.path("src")
    try FileManager.default.createDirectory(at: source.appendingPathComponent("drivers/base"), withIntermediateDirectories: true)
    let file = source.appendingPathComponent("drivers/base/core.c")
    try "\tlockdep_set_novalidate_class(&dev->mutex);\n".write(to: file, atomically: true, encoding: .utf8)
    let cache = dir.path("focus")
    let first = try #require(ObjectID(hex: String(repeating: "a", count: 40)))
    #expect(try LockWitnessProgram.unvalidatedClasses(inSource: source, commit: first, cache: cache) == ["&dev->mutex"])
    try "\tlockdep_set_novalidate_class(&b->write_lock);\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(try LockWitnessProgram.unvalidatedClasses(inSource: source, commit: first, cache: cache) == ["&dev->mutex"])
    let second = try #require(ObjectID(hex: String(repeating: "b", count: 40)))
    #expect(try LockWitnessProgram.unvalidatedClasses(inSource: source, commit: second, cache: cache) == ["&b->write_lock"])
  }

  /// The real runner with the witness, on a stand-in tracefs: the events filtered at the
  /// source, into a 16 MB buffer per CPU (docs/lock-witness.md, "In the guest"), only the
  /// steps' tasks (each step's subshell puts itself in set_event_pid before it forks the step),
  /// with real addresses; and without the witness, tracefs is not touched.
  @Test func theRunnerSetsUpTheTrace() throws {
    let host = try HostRunner(try TempDir())
    let t = host.tracing
    for event in ["lock_acquire", "lock_release"] {
      try FileManager.default.createDirectory(at: t.appendingPathComponent("events/lock/\(event)"), withIntermediateDirectories: true)
      try "0\n".write(to: t.appendingPathComponent("events/lock/\(event)/enable"), atomically: true, encoding: .utf8)
    }
    try FileManager.default.createDirectory(at: t.appendingPathComponent("options"), withIntermediateDirectories: true)
    try "".write(to: t.appendingPathComponent("trace_pipe"), atomically: true, encoding: .utf8)
    let one = Scenario(name: "one", summary: "one", steps: [ScenarioStep(name: "s", timeout: 5, script: "exit 0")])
    let result = try host.run([one], lockWitness: true, witnessDrainLimit: 5)
    func read(_ path: String) throws -> String { try String(contentsOf: t.appendingPathComponent(path), encoding: .utf8) }
    #expect(try read("events/lock/lock_acquire/filter") == LockWitnessProgram.acquireFilter + "\n")
    #expect(try read("events/lock/lock_release/filter") == LockWitnessProgram.releaseFilter + "\n")
    #expect(LockWitnessProgram.acquireFilter.hasPrefix("!(common_flags & 25) && "))
    #expect(try read("buffer_size_kb") == "16384\n")
    #expect(try read("options/event-fork") == "1\n" && read("options/hash-ptr") == "0\n")
    #expect(Int(try read("set_event_pid").trimmingCharacters(in: .newlines)) != nil)
    // The step's name, then the end, in the trace (trace_marker is a plain file here).
    #expect(try read("trace_marker") == "\(LockWitnessProgram.stepMarkerPrefix)end\n")
    #expect(LockWitness.read(result.output)?.complete == true, "\(result.output)")

    let plain = try HostRunner(try TempDir())
    _ = try plain.run([one])
    #expect(try FileManager.default.contentsOfDirectory(atPath: plain.tracing.path).isEmpty, "no tracing without the witness")
  }

  /// A reader still draining the trace at the end: the runner waits by the clock, says it is
  /// alive every 10 s (the host stops a guest silent for 150 s; a v9 race on the base once
  /// was, after "ok 1", while awk read its events), and then prints what it has.
  @Test func aSlowReaderIsWaitedForOutLoud() throws {
    let host = try HostRunner(try TempDir())
    for event in ["lock_acquire", "lock_release"] {
      try FileManager.default.createDirectory(
        at: host.tracing.appendingPathComponent("events/lock/\(event)"), withIntermediateDirectories: true)
    }
    // An edge, and no "done": the reader never got to the end marker.
    try "edge\t&a\t&b\t1\n".write(to: host.scratch.appendingPathComponent("witness.out"), atomically: true, encoding: .utf8)
    let result = try Self.witnessStop(host, drainLimit: 12, timeout: 60)
    let lines = result.output.split(separator: "\n").map(String.init)
    let beats = lines.filter { $0.hasPrefix(LockWitnessProgram.drainingMarker) }
    #expect(beats == ["\(LockWitnessProgram.drainingMarker) (10 s, 0 events left)"], "\(lines)")
    let begin = try #require(lines.firstIndex(of: LockWitnessProgram.beginMarker), "\(lines)")
    #expect(lines[begin + 1] == "edge\t&a\t&b\t1")
    #expect(lines.contains(LockWitnessProgram.endMarker))
    #expect(LockWitness.read(result.output)?.complete == false, "no done: the witness is incomplete")
  }

  /// A reader whose backlog stops shrinking has stopped: the runner gives up on it after three
  /// beats without progress, long before the drain limit, and the witness is incomplete.
  @Test func aReaderThatStopsIsGivenUpOn() throws {
    let host = try HostRunner(try TempDir())
    let stats = host.tracing.appendingPathComponent("per_cpu/cpu0/stats")
    try FileManager.default.createDirectory(at: stats.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "entries: 5000\noverrun: 0\n".write(to: stats, atomically: true, encoding: .utf8)
    try "".write(to: host.scratch.appendingPathComponent("witness.out"), atomically: true, encoding: .utf8)
    let result = try Self.witnessStop(host, drainLimit: 600, timeout: 120)
    let beats = result.output.split(separator: "\n").filter { $0.hasPrefix(LockWitnessProgram.drainingMarker) }
    #expect(beats.count == 4, "\(beats)")
    #expect(beats.allSatisfy { $0.hasSuffix(", 5000 events left)") })
    #expect(result.output.contains(LockWitnessProgram.endMarker))
    #expect(LockWitness.read(result.output)?.complete == false)
  }

  /// guest/witness.sh's `witness_stop` alone, under busybox, with a reader (a `sleep`) that
  /// never says "done". The runner's variables and `conf` are given as the runner gives them.
  static func witnessStop(_ host: HostRunner, drainLimit: Int, timeout: TimeInterval) throws -> ProcessResult {
    try host.write(try RunnerScript.files([], lockWitness: true, witnessDrainLimit: drainLimit))
    let driver = host.dir.path("stop.sh")
    try #"""
    P=$PATCHCHECK_DATA; T=$PATCHCHECK_TRACING; W=$PATCHCHECK_TMP
    conf() { sed -n "s/^$1=//p" "$P/config"; }
    . "$P/witness.sh"
    sleep 300 & wa=$!
    witness_stop
    echo patchcheck-runner: done

    """#.write(to: driver, atomically: true, encoding: .utf8)
    return try host.run(program: driver.path, timeout: timeout)
  }

  /// The real runner with the witness, under busybox on a stand-in tracefs: a race scenario's
  /// steps run with the lock events off, and the next sequential step turns them back on for
  /// its own task. The built-in races say `race: true`.
  @Test func raceScenariosAreNotTraced() throws {
    let host = try HostRunner(try TempDir())
    let t = host.tracing
    for event in ["lock_acquire", "lock_release"] {
      try FileManager.default.createDirectory(at: t.appendingPathComponent("events/lock/\(event)"), withIntermediateDirectories: true)
      try "0\n".write(to: t.appendingPathComponent("events/lock/\(event)/enable"), atomically: true, encoding: .utf8)
    }
    try "".write(to: t.appendingPathComponent("trace_pipe"), atomically: true, encoding: .utf8)
    let probe =
      ##"t="$PATCHCHECK_TRACING/events/lock"; "##
      + ##"echo "# traced $(cat $t/lock_acquire/enable)$(cat $t/lock_release/enable)""##
    func scenario(_ name: String, race: Bool) -> Scenario {
      Scenario(name: name, summary: name, steps: [ScenarioStep(name: "probe", timeout: 10, script: probe)], race: race)
    }
    let result = try host.run(
      [scenario("one", race: false), scenario("racing", race: true), scenario("two", race: false)], lockWitness: true,
      witnessDrainLimit: 1, timeout: 60)
    let probes = result.output.split(separator: "\n").filter { $0.contains("# traced ") }.map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(probes == ["# traced 11", "# traced 00", "# traced 11"], "\(result.output)")
    #expect(result.output.contains("# the lock-order witness does not trace race scenario racing"))
    let builtIn = try ScenarioLibrary.all()
    #expect(builtIn.filter(\.race).map(\.name).sorted() == ["race-numvfs-remove", "race-unbind-remove"])
  }

  /// On by default (the plan's guest program carries it); --no-lock-witness leaves it out;
  /// the kernel config asks for the trace events it reads.
  @Test func theWitnessIsOnByDefaultAndTheConfigHasTraceEvents() throws {
    let home = PatchCheckHome(root: try TempDir().url)
    #expect(try RunPlan.resolve(RunOptions(), home: home).guestFiles()["patchcheck/config"]?.contains("\nwitness=1\n") == true)
    var off = RunOptions()
    off.lockWitness = false
    #expect(try RunPlan.resolve(off, home: home).guestFiles()["patchcheck/config"]?.contains("\nwitness=0\n") == true)
    let fragment = try String(contentsOf: ProjectData.kernelConfigs.appendingPathComponent("trace.config"), encoding: .utf8)
    let options = Set(KernelConfigFile.parse(fragment).map { "\($0.name)=\($0.value)" })
    // The function tracer brings the event tracer with it (GENERIC_TRACER selects TRACING).
    #expect(options.isSuperset(of: ["CONFIG_FTRACE=y", "CONFIG_FUNCTION_TRACER=y"]))
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The lock-order witness's two halves: the guest's part (guest/witness.sh, run by the real
/// runner under busybox on a stand-in tracefs), which streams the raw lock events to a port of
/// their own, and the host's reader of that stream (`LockTrace`) on hand-written lines in the
/// kernel's format (include/trace/events/lock.h: "%p %s%s%s" after the event name; the flags
/// column's third character marks hard and soft interrupt context), with its cycle finding.
@Suite struct LockWitnessTests {
  /// The host's reading of a stream, one line per edge as
  /// `edge<TAB>A<TAB>B<TAB>count<TAB>task<TAB>step<TAB>instances`, then `done<TAB>N` when the
  /// stream reached its end marker.
  func readTrace(_ trace: [String], focus: Set<String> = []) -> String {
    let read = LockTrace.read(trace.joined(separator: "\n") + "\n", focus: focus)
    let edges = read.edges.map {
      "edge\t\($0.held)\t\($0.taken)\t\($0.count)\t\($0.task)\t\($0.step)\t\($0.instances.joined(separator: ","))\n"
    }
    return edges.joined() + (read.reachedEnd ? "done\t\(read.edges.count)\n" : "")
  }

  static func event(_ task: String, _ flags: String, _ what: String, _ addr: String, _ name: String) -> String {
    "             \(task)     [000] \(flags)    12.345678: \(what): \(addr) \(name)"
  }

  static func marker(_ text: String) -> String {
    "             sh-80      [001] .....    12.300000: tracing_mark_write: patchcheck: \(text)"
  }

  /// The reader takes a task whose name has a space, "try read" prefixes, a lock name with a
  /// space, and a line ending in CR (a serial port's) as the plain lines.
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
    let plain = readTrace(trace("sh-82", cr: false))
    #expect(plain.contains("edge\t&dev->mutex\tpci_rescan_remove_lock\t1\tsh-82\t"), "\(plain)")
    #expect(plain.contains("edge\tpci_rescan_remove_lock\t&other->lock\t1\tsh-82\t"), "\(plain)")
    #expect(!plain.contains("(wq_completion)"), "a trylock makes no edge, and leaves the stack: \(plain)")
    #expect(plain.contains("done\t3"), "\(plain)")
    #expect(readTrace(trace("sh-82", cr: true)) == plain, "CR line ends")
    let spaced = readTrace(trace("Web Content-82", cr: false))
    #expect(spaced == plain.replacingOccurrences(of: "\tsh-82\t", with: "\tWeb Content-82\t"), "\(spaced)")
  }

  /// The stream is whatever the guest wrote to its port: lines cut short, without a CPU
  /// column, with bytes that are not UTF-8, or a task that never releases, read without a
  /// crash, each event that can be read still read.
  @Test func aDamagedStreamIsReadAsFarAsItGoes() {
    let e = Self.event
    var trace = [
      "[", " lock_acquire: ", "sh-82 [000] ....1 1.0: lock_acquire:", "sh-82 [000]", "sh-82 lock_acquire: 01 &a",
      "sh-82 [000] ....1 1.0: lock_acquire: 0000000000000001", "\u{1}\u{7f}[[[ lock_release: ]]]",
      "             sh-82     [000]    12.0: tracing_mark_write: patchcheck: ",
    ]
    // Deeper than lockdep allows: releases were lost, and the task starts over.
    for depth in 0..<60 { trace.append(e("sh-83", "....1", "lock_acquire", String(format: "%016x", depth), "&c\(depth % 50)")) }
    trace += [
      e("sh-82", "....1", "lock_acquire", "00000000aaaa0001", "&dev->mutex"),
      e("sh-82", "....1", "lock_acquire", "00000000bbbb0001", "pci_rescan_remove_lock"),
    ]
    let read = LockTrace.read(trace.joined(separator: "\n") + "\n\u{FF}\u{FE}", focus: [])
    #expect(!read.reachedEnd)
    #expect(read.edges.contains { $0.held == "&dev->mutex" && $0.taken == "pci_rescan_remove_lock" && $0.task == "sh-82" })
    #expect(read.edges.filter { $0.task == "sh-83" }.count < 60 * 59 / 2)
    var bytes = Data((trace.joined(separator: "\n") + "\n").utf8)
    bytes.append(contentsOf: [0xff, 0xfe, 0x0a])
    #expect(LockTrace.read(String(decoding: bytes, as: UTF8.self), focus: []).edges.count == read.edges.count)
  }

  /// Two sequential steps take the same two locks in opposite orders: one cycle, on the same
  /// instances; nesting one class in itself, interrupts, trylocks and RCU readers add nothing.
  @Test func oppositeOrdersInTwoStepsMakeOneCycle() throws {
    let e = Self.event
    let trace = [
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
    ]
    let output = readTrace(trace)
    let edges = output.split(separator: "\n").filter { $0.hasPrefix("edge\t") }
    #expect(edges.count == 2, "\(output)")
    #expect(output.contains("edge\t&dev->mutex\tpci_rescan_remove_lock\t2\tsh-82\tnumvfs: enable 4 VFs\t"), "\(output)")
    #expect(output.contains("edge\tpci_rescan_remove_lock\t&dev->mutex\t1\tsh-90\tpf-remove: remove PF with VFs enabled\t"))
    #expect(!output.contains("irq_desc") && !output.contains("rcu_read_lock") && !output.contains("&other->lock"), "\(output)")
    #expect(output.contains("done\t2"))

    let console =
      "[   30.0] x\n\(LockWitnessProgram.beginMarker)\noverrun 0 0 \ndropped 0 0 \n\(LockWitnessProgram.endMarker)\n"
    let stream = trace.joined(separator: "\n") + "\n"
    let result = try #require(LockWitness.read(console, trace: stream))
    #expect(result.complete && result.lost == 0)
    #expect(result.cycles.count == 1)
    // A stream cut short of its end marker: the edges are a part, and the judge will not take
    // the witness's silence as evidence.
    let cut = trace.dropLast().joined(separator: "\n") + "\n"
    #expect(LockWitness.read(console, trace: cut)?.complete == false)
    #expect(LockWitness.read(console, trace: cut)?.cycles.count == 1)
    let (verdict, _, _) = Judge.verdict(
      boot: VerdictTests.finished, scenarios: [ScenarioResult(name: "s", result: .pass, steps: [])], splats: [],
      witnessComplete: false)
    #expect(verdict == .infraError)
    let cycle = try #require(result.cycles.first)
    #expect(cycle.classes == ["&dev->mutex", "pci_rescan_remove_lock"])
    #expect(cycle.sameInstances)
    let reports = LockWitness.reports(in: console, trace: stream)
    #expect(ConsoleAnalyzer.reportsAndResults(in: console, witnessTrace: stream).splats.map(\.title) == reports.map(\.title))
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

  /// A stand-in tracefs with the lock events and their formats (7.3.4's), per CPU
  /// `trace_pipe_raw` holding `pages` (a plain file: the guest's copier reads it to its end)
  /// and `stats`, and the tasks' names (saved_cmdlines).
  /// With `pipe`, cpu0's trace_pipe_raw is a FIFO (the test's own writer stands in for the
  /// kernel).
  static func standInTracefs(_ host: HostRunner, pages: [[UInt8]] = [], stats: [String] = [], pipe: Bool = false) throws {
    let t = host.tracing
    for event in ["lock_acquire", "lock_release"] {
      try FileManager.default.createDirectory(at: t.appendingPathComponent("events/lock/\(event)"), withIntermediateDirectories: true)
      try "0\n".write(to: t.appendingPathComponent("events/lock/\(event)/enable"), atomically: true, encoding: .utf8)
    }
    for (file, text) in StandInPages.formats {
      let url = t.appendingPathComponent("events/\(file)")
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    try FileManager.default.createDirectory(at: t.appendingPathComponent("options"), withIntermediateDirectories: true)
    try "1\n".write(to: t.appendingPathComponent("tracing_on"), atomically: true, encoding: .utf8)
    let comms = StandInPages.comms.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
    try comms.write(to: t.appendingPathComponent("saved_cmdlines"), atomically: true, encoding: .utf8)
    for cpu in 0..<max(pages.count, stats.count, pipe ? 1 : 0) {
      let folder = t.appendingPathComponent("per_cpu/cpu\(cpu)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      if pipe, cpu == 0 {
        #expect(mkfifo(folder.appendingPathComponent("trace_pipe_raw").path, 0o600) == 0)
      } else {
        try Data(cpu < pages.count ? pages[cpu] : []).write(to: folder.appendingPathComponent("trace_pipe_raw"))
      }
      if cpu < stats.count { try stats[cpu].write(to: folder.appendingPathComponent("stats"), atomically: true, encoding: .utf8) }
    }
  }

  /// Two steps taking two locks in opposite orders, as the kernel prints them.
  static let oppositeOrders = [
    marker("numvfs: enable 4 VFs"),
    event("sh-82", "....1", "lock_acquire", "00000000aaaa0001", "&dev->mutex"),
    event("sh-82", "....1", "lock_acquire", "00000000bbbb0001", "pci_rescan_remove_lock"),
    event("sh-82", "....1", "lock_release", "00000000bbbb0001", "pci_rescan_remove_lock"),
    event("sh-82", "....1", "lock_release", "00000000aaaa0001", "&dev->mutex"),
    marker("pf-remove: remove PF with VFs enabled"),
    event("sh-90", "....1", "lock_acquire", "00000000bbbb0001", "pci_rescan_remove_lock"),
    event("sh-90", "....1", "lock_acquire", "00000000aaaa0001", "&dev->mutex"),
    event("sh-90", "....1", "lock_release", "00000000aaaa0001", "&dev->mutex"),
    event("sh-90", "....1", "lock_release", "00000000bbbb0001", "pci_rescan_remove_lock"),
    marker("end"),
  ]

  /// The real runner with the witness, on a stand-in tracefs: the events filtered at the
  /// source, into a 4 MB buffer per CPU (docs/lock-witness.md, "In the guest"), only the
  /// steps' tasks (each step's subshell adds itself to set_event_pid before it forks the step);
  /// the port gets the header (tracefs's formats), every CPU's pages byte for byte, and the
  /// trailer (the tasks' names, the end), and the console the focus and the loss counters,
  /// which the host reads with the stream. Without the witness, tracefs is not touched.
  @Test func theRunnerStreamsTheTraceToItsPort() throws {
    let host = try HostRunner(try TempDir())
    let pages = [StandInPages.page(StandInPages.cpu0), StandInPages.page(StandInPages.cpu1)]
    try Self.standInTracefs(host, pages: pages, stats: ["entries: 0\noverrun: 0\ndropped events: 0\n", "entries: 0\noverrun: 0\n"])
    try host.write(["patchcheck/witness-focus": "&dev->mutex\n"])
    let one = Scenario(name: "one", summary: "one", steps: [ScenarioStep(name: "s", timeout: 5, script: "exit 0")])
    let result = try host.run([one], lockWitness: true, witnessDrainLimit: 5)
    let t = host.tracing
    func read(_ path: String) throws -> String { try String(contentsOf: t.appendingPathComponent(path), encoding: .utf8) }
    #expect(try read("events/lock/lock_acquire/filter") == LockWitnessProgram.acquireFilter + "\n")
    #expect(try read("events/lock/lock_release/filter") == LockWitnessProgram.releaseFilter + "\n")
    #expect(LockWitnessProgram.acquireFilter.hasPrefix("!(common_flags & 25) && "))
    #expect(try read("buffer_size_kb") == "4096\n" && read("saved_cmdlines_size") == "1024\n")
    #expect(try read("options/event-fork") == "1\n")
    #expect(Int(try read("set_event_pid").trimmingCharacters(in: .newlines)) != nil)
    // The step's name, then the end, into the trace (trace_marker is a plain file here).
    #expect(try read("trace_marker") == "\(LockWitnessProgram.stepMarkerPrefix)end\n")
    #expect(try read("tracing_on") == "0\n")
    let stream = try Data(contentsOf: host.witnessPort)
    let expected = StandInPages.header() + pages[0] + pages[1] + StandInPages.trailer(StandInPages.comms)
    #expect(stream == Data(expected), "the port gets the pages as they are (\(stream.count) bytes, \(expected.count) expected)")
    let lines = result.output.split(separator: "\n").map(String.init)
    let begin = try #require(lines.firstIndex(of: LockWitnessProgram.beginMarker), "\(result.output)")
    #expect(
      Array(lines[begin...].prefix(5)) == [
        LockWitnessProgram.beginMarker, "focus\t&dev->mutex", "overrun 0 0 ", "dropped 0 ", LockWitnessProgram.endMarker,
      ])
    let witness = try #require(LockWitness.read(result.output, trace: stream))
    #expect(witness.complete && witness.lost == 0 && witness.focus == ["&dev->mutex"])
    #expect(witness.cycles.map(\.classes) == [["&dev->mutex", "pci_rescan_remove_lock"]])

    let plain = try HostRunner(try TempDir())
    _ = try plain.run([one])
    #expect(try FileManager.default.contentsOfDirectory(atPath: plain.tracing.path).isEmpty, "no tracing without the witness")
  }

  /// Events the ring buffer lost are counted by the kernel (per CPU: `overrun:` for events
  /// overwritten unread, `dropped events:` with the buffer full); the guest prints them and a
  /// boot with losses is incomplete, its reason naming how many, its cycles saying so too.
  @Test func lostEventsAreSaidNotDroppedSilently() throws {
    let host = try HostRunner(try TempDir())
    try Self.standInTracefs(
      host, pages: [StandInPages.page(StandInPages.cpu0)],
      stats: ["entries: 0\noverrun: 1200\ndropped events: 0\n", "entries: 0\noverrun: 34\ndropped events: 5\n"])
    let result = try Self.witnessStop(host, drainLimit: 5, timeout: 60)
    #expect(result.output.contains("overrun 1200 34 \ndropped 0 5 \n"), "\(result.output)")
    let witness = try #require(LockWitness.read(result.output, trace: Self.oppositeOrders.joined(separator: "\n")))
    #expect(witness.lost == 1239)
    #expect(!witness.complete, "a whole stream with losses is still a part")
    let reports = LockWitness.reports(in: result.output, trace: Self.oppositeOrders.joined(separator: "\n"))
    #expect(reports.first?.excerpt.contains { $0.contains("the trace lost 1239 events") } == true, "\(reports)")
    let (verdict, reason, code) = Judge.verdict(
      boot: VerdictTests.finished, scenarios: [ScenarioResult(name: "s", result: .pass, steps: [])], splats: [],
      witnessComplete: witness.complete, witnessLost: witness.lost)
    #expect(verdict == .infraError && code == PatchCheckError.Kind.infra.exitCode)
    #expect(reason.hasPrefix("the lock-order witness lost 1239 trace events (its ring buffer overran)"), "\(reason)")
    let (_, cut, _) = Judge.verdict(
      boot: VerdictTests.finished, scenarios: [ScenarioResult(name: "s", result: .pass, steps: [])], splats: [],
      witnessComplete: false)
    #expect(cut.hasPrefix("the lock-order witness did not get the whole trace"), "\(cut)")
  }

  /// A stream still behind at the end: the runner waits by the clock up to the drain limit,
  /// saying it is alive every 10 s (the host stops a guest silent for 150 s), then prints its
  /// block; what the stream has is read, and without its trailer it is incomplete. The copier
  /// writes the port 256 KB at a time: what it held when it was stopped is lost, what it wrote
  /// before is read (here 100 pages, 400 KB, of which the first 64 were written).
  @Test func aStreamStillBehindIsWaitedForOutLoud() throws {
    let host = try HostRunner(try TempDir())
    try Self.standInTracefs(host, stats: ["entries: 5000\noverrun: 0\n"], pipe: true)
    let pages = (0..<50).flatMap { _ in StandInPages.page(StandInPages.cpu0) + StandInPages.page(StandInPages.cpu1) }
    try Data(pages).write(to: host.dir.path("pages"))
    // The kernel's part: what it has, then never an end while the test lasts.
    let kernel = #"( cat "\#(host.dir.path("pages").path)"; exec sleep 30 ) > "$T/per_cpu/cpu0/trace_pipe_raw" &"#
    let result = try Self.witnessStop(host, drainLimit: 11, timeout: 60, before: kernel)
    let lines = result.output.split(separator: "\n").map(String.init)
    let beats = lines.filter { $0.hasPrefix(LockWitnessProgram.drainingMarker) }
    #expect(beats == ["\(LockWitnessProgram.drainingMarker) (10 s, 5000 events left)"], "\(lines)")
    #expect(lines.contains(LockWitnessProgram.endMarker))
    let stream = try Data(contentsOf: host.witnessPort)
    #expect(stream.count == 4096 + 262_144, "the header and the first 256 KB")
    let witness = try #require(LockWitness.read(result.output, trace: stream))
    #expect(!witness.complete && witness.lost == 0, "no trailer: the witness is incomplete")
    #expect(witness.edges.count == 2)
  }

  /// The stop waits for the copier to read every CPU to its end and send the trailer, not for
  /// the buffer to look empty: the kernel counts events gone from the buffer while the
  /// copier's read() still holds them. Here the buffer says it is empty (entries 0) when the
  /// stop begins, and the rest of the pages come a second after the trace is turned off, then
  /// the end of the file, as the kernel gives a reader it has marked done (the copier closes
  /// its own descriptor). A stop that took the empty buffer for the end (the guest of c335747)
  /// stopped the copier there, and the port lacked the end: the cut-short stream of a CI boot.
  @Test func theStopWaitsForTheCopierToCopyTheEnd() throws {
    let host = try HostRunner(try TempDir())
    try Self.standInTracefs(host, stats: ["entries: 0\noverrun: 0\n"], pipe: true)
    let first = StandInPages.page(StandInPages.cpu0)
    let second = StandInPages.page(StandInPages.cpu1)
    try Data(first).write(to: host.dir.path("first"))
    try Data(second).write(to: host.dir.path("second"))
    let kernel = #"""
      (
        cat "\#(host.dir.path("first").path)"
        until [ "$(cat "$T/tracing_on")" = 0 ]; do sleep 0.05; done
        sleep 1
        cat "\#(host.dir.path("second").path)"
      ) > "$T/per_cpu/cpu0/trace_pipe_raw" &
      """#
    let result = try Self.witnessStop(host, drainLimit: 30, timeout: 60, before: kernel)
    let stream = try Data(contentsOf: host.witnessPort)
    #expect(stream == Data(StandInPages.header() + first + second + StandInPages.trailer(StandInPages.comms)), "\(result.output)")
    let witness = try #require(LockWitness.read(result.output, trace: stream))
    #expect(witness.complete && witness.cycles.count == 1)
  }

  /// guest/witness.sh's `witness_start` and `witness_stop` alone, under busybox. The runner's
  /// variables and `conf` are given as the runner gives them.
  /// `before` runs first (a stand-in kernel writing trace_pipe).
  static func witnessStop(_ host: HostRunner, drainLimit: Int, timeout: TimeInterval, before: String = "") throws -> ProcessResult {
    try host.write(try RunnerScript.files([], lockWitness: true, witnessDrainLimit: drainLimit, witnessPeriod: 600))
    let driver = host.dir.path("stop.sh")
    try #"""
    P=$PATCHCHECK_DATA; T=$PATCHCHECK_TRACING; W=$PATCHCHECK_TMP
    conf() { sed -n "s/^$1=//p" "$P/config"; }
    \#(before)
    . "$P/witness.sh"
    witness_start
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
    try Self.standInTracefs(host)
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
    #expect(builtIn.filter(\.race).map(\.name).sorted() == ["aer-race", "hotplug-race", "race-numvfs-remove", "race-unbind-remove"])
  }

  /// On by default (the plan's guest program carries it); --no-lock-witness leaves it out;
  /// the kernel config asks for the trace events it reads.
  @Test func theWitnessIsOnByDefaultAndTheConfigHasTraceEvents() throws {
    let home = PatchCheckHome(root: try TempDir().url)
    #expect(try RunPlan.resolve(RunOptions(), home: home).guestFiles()["patchcheck/config"]?.contains("\nwitness=1\n") == true)
    var off = RunOptions()
    off.lockWitness = false
    #expect(try RunPlan.resolve(off, home: home).guestFiles()["patchcheck/config"]?.contains("\nwitness=0\n") == true)
    // The stream's file is the boot's, beside its console, and in the report's files.
    let out = try TempDir()
    let console = out.path("console.log")
    let on = try RunPlan.resolve(RunOptions(), home: home).bootOptions(
      kernel: out.path("bzImage"), initramfs: out.path("i.cpio"), consoleLog: console)
    #expect(on.witnessStream == out.path("witness.trace"))
    let without = try RunPlan.resolve(off, home: home).bootOptions(
      kernel: out.path("bzImage"), initramfs: out.path("i.cpio"), consoleLog: console)
    #expect(without.witnessStream == nil)
    try "".write(to: out.path("witness.trace"), atomically: true, encoding: .utf8)
    try "".write(to: out.path("base-witness.trace"), atomically: true, encoding: .utf8)
    var report = Report(run: "r", startedAt: Date())
    try ApplyAndBoot.RunFiles(out: out.url).describe(&report)
    #expect(report.files["witness"] == "witness.trace" && report.files["base-witness"] == "base-witness.trace", "\(report.files)")
    let fragment = try String(contentsOf: ProjectData.kernelConfigs.appendingPathComponent("trace.config"), encoding: .utf8)
    let options = Set(KernelConfigFile.parse(fragment).map { "\($0.name)=\($0.value)" })
    // The function tracer brings the event tracer with it (GENERIC_TRACER selects TRACING).
    #expect(options.isSuperset(of: ["CONFIG_FTRACE=y", "CONFIG_FUNCTION_TRACER=y"]))
  }
}

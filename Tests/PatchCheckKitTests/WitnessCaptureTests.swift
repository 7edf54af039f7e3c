import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The host's reader of the lock-order witness on real streams: the console and the raw lock
/// events (`witness.trace`, gzipped) of real boots on 7.3.4 under TCG, numvfs then pf-remove:
/// v9, v10 and the base, and v9 with unbind after them (Fixtures/witness/README.md says how
/// each was made). In each the cycle
/// `&dev->mutex -> pci_rescan_remove_lock -> &dev->mutex` is found, with the task and the
/// scenario step that took each order, and nothing was lost.
@Suite struct WitnessCaptureTests {
  /// Made before the copier's own lock and the classes after it were left out at the source.
  static let earlier = ["v9-numvfs-pf-remove", "v10-numvfs-pf-remove", "base-7.3.4-numvfs-pf-remove"]
  static let captures = earlier + ["v9-numvfs-pf-remove-unbind"]

  static func capture(_ name: String) throws -> (console: String, trace: String) {
    let console = try String(contentsOf: Fixtures.url("witness/\(name).console.log"), encoding: .utf8)
    let trace = try Gzip.decompress(Data(contentsOf: Fixtures.url("witness/\(name).trace.gz")))
    return (console, String(decoding: trace, as: UTF8.self))
  }

  @Test(arguments: captures) func theCycleIsFoundInEachRealStream(_ name: String) throws {
    let (console, trace) = try Self.capture(name)
    let result = try #require(LockWitness.read(console, trace: trace), "no witness block in \(name)")
    #expect(result.complete, "\(name): the stream did not reach its end")
    #expect(result.lost == 0, "\(name): \(result.overruns) \(result.dropped)")
    #expect(result.edges.count > 20, "\(name): only \(result.edges.count) lock orders")
    let cycle = try #require(
      result.cycles.first { Set($0.classes) == ["&dev->mutex", "pci_rescan_remove_lock"] }, "\(name): \(result.cycles.map(\.classes))")
    // Which task took each order, in which step. In all three both orders are first seen
    // while numvfs enables the VFs (sriov_numvfs_store holds the PF's &dev->mutex and takes
    // pci_rescan_remove_lock; probing a new VF takes its &dev->mutex under the rescan lock):
    // the cycle is 7.3.4's own, which v9 and v10 keep.
    for edge in cycle.edges {
      #expect(edge.task.contains("-"), "\(name): a task is NAME-PID: \(edge)")
      #expect(edge.step == "numvfs: enable 4 VFs", "\(name): \(edge)")
      #expect(edge.count > 0 && !edge.instances.isEmpty, "\(name): \(edge)")
    }
    // The same report the run gives.
    let reports = LockWitness.reports(in: console, trace: trace)
    #expect(
      reports.contains { $0.title == "possible circular locking dependency: &dev->mutex -> pci_rescan_remove_lock -> &dev->mutex" },
      "\(name): \(reports.map(\.title))")
  }

  /// The classes left out at the source (LockWitnessProgram) are all spinning or mm
  /// annotations: taking their events out of each real stream (made before some of them were
  /// left out) leaves every order between two kept classes and every cycle through none of
  /// them as it was, and adds no cycle (which classes are worth leaving out is
  /// `WitnessPagesCaptureTests.theFilterTestsTheFrequentClassesFirst`'s).
  @Test(arguments: earlier) func leavingClassesOutAtTheSourceKeepsEveryCycleOfTheOthers(_ name: String) throws {
    let (console, trace) = try Self.capture(name)
    // The classes as tracefs matches them: a name, or a glob with `*`.
    let names = LockWitnessProgram.ignoredClasses + LockWitnessProgram.spinningClasses
    let leftOut: (String) -> Bool = { name in names.contains { fnmatch($0, name, 0) == 0 } }
    var left = Set<String>()
    var dropped = 0
    var lines = 0
    let kept = trace.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
      guard let event = Self.lockEvent(line) else { return true }
      lines += 1
      guard leftOut(event.name) else { return true }
      left.insert(event.name)
      dropped += 1
      return false
    }.joined(separator: "\n")
    let full = try #require(LockWitness.read(console, trace: trace))
    let filtered = try #require(LockWitness.read(console, trace: kept))
    // A cycle through a left-out class is gone (a spinning lock held while a sleeping one is
    // taken is a lost release, never an order); every other cycle stays, and none is new.
    func named(_ cycles: [LockCycle]) -> Set<String> { Set(cycles.map { $0.classes.joined(separator: " -> ") }) }
    let before = named(full.cycles)
    let after = named(filtered.cycles)
    let through = named(full.cycles.filter { !left.isDisjoint(with: $0.classes) })
    #expect(after == before.subtracting(through), "\(name): new \(after.subtracting(before)), gone \(before.subtracting(after))")
    #expect(after.contains("&dev->mutex -> pci_rescan_remove_lock") || after.contains("pci_rescan_remove_lock -> &dev->mutex"))
    func pairs(_ result: LockWitnessResult) -> Set<String> {
      Set(result.edges.filter { !left.contains($0.held) && !left.contains($0.taken) }.map { "\($0.held) -> \($0.taken)" })
    }
    #expect(pairs(filtered) == pairs(full), "\(name)")
    // None of them is held while a sleeping lock is taken (a mutex's or an rwsem's, by name, or
    // a focus class): what a class left out here because it spins would never show. Held but
    // for a lost release does not count: these streams were made while a step's subshell
    // turned acquisitions on before releases, and its own file-table lock stayed "held".
    let unreleased = Self.neverReleased(trace)
    let sleeping = full.edges.filter { edge in
      left.contains(edge.held) && !left.contains(edge.taken)
        && (["mutex", "rwsem", "_sem"].contains { edge.taken.hasSuffix($0) } || full.focus.contains(edge.taken))
        && !edge.instances.allSatisfy { unreleased.contains(String($0.split(separator: " ")[0])) }
    }
    #expect(sleeping.isEmpty, "\(name): \(sleeping.map { "\($0.held) -> \($0.taken)" })")
    // By name, no sleeping class is left out.
    let sleepingByName = names.filter { class_ in ["mutex", "rwsem", "_sem"].contains { class_.hasSuffix($0) } }
    #expect(sleepingByName.isEmpty, "\(sleepingByName)")
    #expect(dropped > 0 && lines > dropped, "\(name): \(dropped) of \(lines)")
  }

  /// The lock instances (addresses) some task acquired and never released in `trace`.
  static func neverReleased(_ trace: String) -> Set<String> {
    var held: [String: Int] = [:]
    for line in trace.split(separator: "\n") {
      guard let event = lockEvent(line) else { continue }
      held["\(event.task) \(event.address)", default: 0] += event.acquire ? 1 : -1
    }
    return Set(held.filter { $0.value > 0 }.keys.map { String($0.split(separator: " ")[1]) })
  }

  /// A lock event line as the kernel prints it: "TASK-PID [CPU] FLAGS TIME: lock_acquire: ADDRESS
  /// [try ][read ]NAME"; nil for any other line.
  static func lockEvent(_ line: Substring) -> (task: String, acquire: Bool, address: String, name: String)? {
    let fields = line.split(separator: " ")
    guard let at = fields.firstIndex(where: { $0 == "lock_acquire:" || $0 == "lock_release:" }), at + 2 < fields.count
    else { return nil }
    return (String(fields[0]), fields[at] == "lock_acquire:", String(fields[at + 1]), String(fields[fields.count - 1]))
  }

  /// The same real stream with the kernel's counters saying events were overwritten: the
  /// witness is incomplete, and the verdict names how many were lost.
  @Test func aStreamWithLostEventsSaysSoInTheVerdict() throws {
    let (console, trace) = try Self.capture("v9-numvfs-pf-remove")
    let overrun = console.replacingOccurrences(of: "overrun 0 0 ", with: "overrun 0 1239 ")
    try #require(overrun != console)
    let result = try #require(LockWitness.read(overrun, trace: trace))
    #expect(!result.complete && result.lost == 1239)
    let (verdict, reason, _) = Judge.verdict(
      boot: VerdictTests.finished, scenarios: [ScenarioResult(name: "numvfs", result: .pass, steps: [])], splats: [],
      witnessComplete: result.complete, witnessLost: result.lost)
    #expect(verdict == .infraError)
    #expect(reason.contains("lost 1239 trace events"), "\(reason)")
  }
}

/// The real streams of pages (the guest's since issue 30's binary stream): a boot's console
/// and its `witness.trace`, gzipped (Fixtures/witness/README.md says how each was made).
@Suite struct WitnessPagesCaptureTests {
  static func capture(_ name: String) throws -> (console: String, trace: Data) {
    let console = try String(contentsOf: Fixtures.url("witness/\(name).console.log"), encoding: .utf8)
    return (console, try Gzip.decompress(Data(contentsOf: Fixtures.url("witness/\(name).trace.gz"))))
  }

  /// v9's numvfs and pf-remove as the witness streams them, and the same with every lock
  /// event of the steps' tasks (the filters off): the cycle is found in each, with the step
  /// that took each order (the first, in the stream with every event: there the reader's
  /// stacks, deeper than lockdep allows with RCU's readers in them, start over), the stream
  /// whole and nothing lost.
  @Test(arguments: ["v9-numvfs-pf-remove-pages", "v9-numvfs-pf-remove-every-event"])
  func theCycleIsFoundInEachStreamOfPages(_ name: String) throws {
    let (console, trace) = try Self.capture(name)
    #expect(trace.starts(with: Data(LockTracePages.headerMagic.utf8)), "\(name) is a stream of pages")
    let result = try #require(LockWitness.read(console, trace: trace), "no witness block in \(name)")
    #expect(result.complete && result.lost == 0, "\(name): \(result.overruns) \(result.dropped)")
    let cycle = try #require(
      result.cycles.first { Set($0.classes) == ["&dev->mutex", "pci_rescan_remove_lock"] }, "\(name): \(result.cycles.map(\.classes))")
    #expect(cycle.sameInstances)
    for edge in cycle.edges {
      #expect(edge.task.hasPrefix("sh-"), "\(name): the step's shell: \(edge)")
      #expect(name.hasSuffix("every-event") ? edge.step.hasPrefix("numvfs: ") : edge.step == "numvfs: enable 4 VFs", "\(name): \(edge)")
    }
  }

  /// Per class, its lock events past the interrupt-context test (an acquisition with
  /// interrupts on in a task, a release in a task); the lock events of the steps' tasks; and
  /// the names of the tasks.
  static func census(_ trace: Data) -> (classes: [String: Int], events: Int, tasks: Set<String>) {
    let decoded = trace.withUnsafeBytes { LockTracePages.decode($0.bindMemory(to: UInt8.self)) }
    var classes: [String: Int] = [:]
    var tasks = Set<String>()
    var events = 0
    for record in decoded.records {
      guard case .lock(let event) = record.line else { continue }
      events += 1
      tasks.insert(String(event.task[..<(event.task.lastIndex(of: "-") ?? event.task.endIndex)]))
      if event.acquire ? !event.inAtomic : event.context == "t" { classes[event.lock, default: 0] += 1 }
    }
    return (classes, events, tasks)
  }

  /// The filter tests the classes with 1,000 events or more of the stream with every event,
  /// with the counts LockWitnessProgram orders them by; and the SR-IOV steps started no
  /// program to read sysfs (docs/scenarios.md: 416,630 lock events in all, where a boot of
  /// the same steps with cat, basename, readlink, seq, ls and wc made 548,000).
  @Test func theFilterTestsTheFrequentClassesFirst() throws {
    let (_, trace) = try Self.capture("v9-numvfs-pf-remove-every-event")
    let (classes, events, tasks) = Self.census(trace)
    func count(_ name: String) -> Int {
      name.hasPrefix("*") ? classes.filter { $0.key.hasSuffix(name.dropFirst()) }.values.reduce(0, +) : classes[name, default: 0]
    }
    let tested = LockWitnessProgram.ignoredClasses + LockWitnessProgram.spinningClasses
    for name in tested { #expect(LockWitnessProgram.eventsSeen[name] == count(name), "\(name): \(count(name)) here") }
    #expect(tested.allSatisfy { count($0) >= 1000 } && tested.count == 16, "\(tested.map { "\($0) \(count($0))" })")
    #expect(Double(count("rcu_read_lock")) / Double(classes.values.reduce(0, +)) > 0.58)
    #expect(events == 416_630)
    #expect(tasks.isDisjoint(with: ["cat", "basename", "readlink", "seq", "ls", "wc"]), "\(tasks.sorted())")
  }
}

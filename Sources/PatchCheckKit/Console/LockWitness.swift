// The host half of the lock-order witness. The guest streams the raw lock events (filtered at
// the source, see `LockWitnessProgram`) over a serial port of their own to a file beside the
// console; here they are read as the kernel printed them (`LockTrace`): per task and context,
// the stack of held locks and every "held A, then took B". Those edges become a graph between
// lock classes,
// and every cycle in it is a potential deadlock — found in one boot of plain sequential
// scenarios, without two tasks having to collide. Nesting within one class (a parent's and a
// child's device mutex) is not an edge. For each cycle the report says which task took each
// order in which scenario step, and whether the same lock instances were taken in both
// orders (then two tasks doing those steps at once can deadlock on those very objects).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct LockOrderEdge: Sendable, Codable, Equatable {
  /// Held first.
  package var held: String
  /// Then taken.
  package var taken: String
  /// How often it was seen.
  package var count: Int
  /// The first task that did it ("sh-82") and the scenario step it was in.
  package var task: String
  package var step: String
  /// Lock instance pairs (the addresses of held and taken): up to 64 for an edge with a class
  /// lockdep does not validate, 2 for the others.
  package var instances: [String]
}

package struct LockCycle: Sendable, Codable, Equatable {
  /// The classes in cycle order (the first repeated at the end in titles).
  package var classes: [String]
  /// One edge per step of the cycle.
  package var edges: [LockOrderEdge]
  /// Every edge of the cycle was seen on the same lock instances as the edge before it ends
  /// on: the very objects can deadlock, not only their classes.
  package var sameInstances: Bool
}

package struct LockWitnessResult: Sendable, Codable, Equatable {
  package var edges: [LockOrderEdge]
  package var cycles: [LockCycle]
  /// Trace events the kernel dropped per CPU (a full buffer): edges may be missing.
  package var overruns: [Int]
  /// The classes lockdep does not validate in the kernel booted: only cycles through one of
  /// them are reported (lockdep reports the others' itself, knowing their nesting and
  /// read/write rules, which the trace does not carry). Empty: every cycle is reported.
  package var focus: [String] = []
  /// Trace events the kernel dropped per CPU with its buffer full (`dropped events:`).
  package var dropped: [Int] = []
  /// The whole trace was read (the stream reached its end marker, or a guest of before the
  /// stream said "done") and the kernel lost none of it: without both, the edges are a part,
  /// and no cycle found means nothing.
  package var complete = true

  /// Events the kernel's ring buffer lost: overwritten before they were read, or dropped.
  package var lost: Int { overruns.reduce(0, +) + dropped.reduce(0, +) }
}

package enum LockWitness {
  /// The witness's block in a console log, with the edges of its lock-event stream (`trace`,
  /// the file the guest's second serial port wrote), or nil when the run had no witness. The
  /// edges of a guest of before the stream are in the console's block itself.
  package static func read(_ log: String, trace: Data? = nil) -> LockWitnessResult? {
    // Most consoles have no witness block: say so from the bytes (Foundation's search goes
    // through NSString, a copy of the whole log).
    guard log.has(LockWitnessProgram.beginMarker),
      let begin = log.range(of: LockWitnessProgram.beginMarker),
      let end = log.range(of: LockWitnessProgram.endMarker, range: begin.upperBound..<log.endIndex)
    else { return nil }
    var edges: [LockOrderEdge] = []
    var overruns: [Int] = []
    var focus: [String] = []
    var dropped: [Int] = []
    var complete = false
    for raw in log[begin.upperBound..<end.lowerBound].split(whereSeparator: \.isNewline) {
      let fields = raw.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      if fields.first == "edge", fields.count >= 7 {
        edges.append(
          LockOrderEdge(
            held: fields[1], taken: fields[2], count: Int(fields[3]) ?? 1, task: fields[4], step: fields[5],
            instances: fields[6].split(separator: ",").map(String.init)))
      } else if fields.first == "done" {
        complete = true
      } else if fields.first == "focus", fields.count == 2 {
        focus.append(fields[1])
      } else if raw.hasPrefix("overrun ") {
        overruns = raw.dropFirst(8).split(separator: " ").compactMap { Int($0) }
      } else if raw.hasPrefix("dropped ") {
        dropped = raw.dropFirst(8).split(separator: " ").compactMap { Int($0) }
      }
    }
    if let trace {
      let read = LockTrace.read(trace, focus: Set(focus))
      edges += read.edges
      complete = complete || read.reachedEnd
    }
    let lost = overruns.reduce(0, +) + dropped.reduce(0, +)
    if lost > 0 { complete = false }
    let all = cycles(in: edges)
    let reported = focus.isEmpty ? all : all.filter { !Set($0.classes).isDisjoint(with: focus) }
    // A class is every lock of its kind: &dev->mutex is every device's. A cycle seen only on
    // different instances (one device's mutex, then another's under a lock between) is how
    // parents and children nest; only one on the same objects can deadlock.
    return LockWitnessResult(
      edges: edges, cycles: reported, overruns: overruns, focus: focus, dropped: dropped, complete: complete)
  }

  /// Elementary cycles of up to four classes, each once (starting at its smallest class).
  package static func cycles(in edges: [LockOrderEdge], longest: Int = 4) -> [LockCycle] {
    var next: [String: [LockOrderEdge]] = [:]
    for edge in edges where edge.held != edge.taken { next[edge.held, default: []].append(edge) }
    var found: [LockCycle] = []
    func walk(_ start: String, _ path: [LockOrderEdge]) {
      let at = path.last?.taken ?? start
      for edge in next[at] ?? [] {
        if edge.taken == start {
          let cycle = path + [edge]
          found.append(LockCycle(classes: cycle.map(\.held), edges: cycle, sameInstances: sameInstances(cycle)))
        } else if path.count + 1 < longest, edge.taken > start, !path.contains(where: { $0.held == edge.taken }) {
          walk(start, path + [edge])
        }
      }
    }
    for start in next.keys.sorted() { walk(start, []) }
    return found
  }

  /// An edge's instance pairs: (held, taken) addresses.
  package static func pairs(_ edge: LockOrderEdge) -> [(String, String)] {
    edge.instances.compactMap { pair in
      let parts = pair.split(separator: " ").map(String.init)
      return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
  }

  /// Each edge's taken instance is the next edge's held instance, for some recorded pair.
  package static func sameInstances(_ cycle: [LockOrderEdge]) -> Bool {
    for (index, edge) in cycle.enumerated() {
      let following = cycle[(index + 1) % cycle.count]
      let ends = Set(pairs(edge).map(\.1))
      guard pairs(following).contains(where: { ends.contains($0.0) }) else { return false }
    }
    return true
  }

  /// One report per cycle, titled as lockdep titles its own, with the classes in order.
  package static func reports(in log: String, trace: Data? = nil) -> [Splat] {
    guard let result = read(log, trace: trace) else { return [] }
    // The shortest cycles first; past twenty the rest say nothing more.
    let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
    let line = (lines.firstIndex { $0.contains(LockWitnessProgram.beginMarker) } ?? 0) + 1
    let cycles = result.cycles.filter(\.sameInstances).sorted {
      $0.classes.count != $1.classes.count ? $0.classes.count < $1.classes.count : $0.classes.lexicographicallyPrecedes($1.classes)
    }.prefix(20)
    return cycles.map { cycle in
      let chain = (cycle.classes + [cycle.classes[0]]).joined(separator: " -> ")
      var excerpt = ["lock-order witness: possible circular locking dependency \(chain)"]
      for (index, edge) in cycle.edges.enumerated() {
        // The pairs that close the cycle: taken where the next edge holds, held where the
        // one before takes.
        let before = Set(pairs(cycle.edges[(index + cycle.edges.count - 1) % cycle.edges.count]).map(\.1))
        let after = Set(pairs(cycle.edges[(index + 1) % cycle.edges.count]).map(\.0))
        let closing = pairs(edge).filter { before.contains($0.0) && after.contains($0.1) }.map { "\($0.0) -> \($0.1)" }
        let shown = closing.isEmpty ? Array(edge.instances.prefix(2)) : closing
        excerpt.append(
          "  \(edge.task) held \(edge.held) and took \(edge.taken) (\(edge.count)x), first in step '\(edge.step)'; instances \(shown.joined(separator: ", "))"
        )
      }
      excerpt.append(
        cycle.sameInstances
          ? "  the same lock instances are taken in both orders: tasks doing these steps at once can deadlock on them"
          : "  the orders were seen on different instances of these classes: a deadlock needs the same objects")
      if result.lost > 0 {
        excerpt.append(
          "  the trace lost \(result.lost) events (overruns per CPU: \(result.overruns.map(String.init).joined(separator: " ")); "
            + "dropped: \(result.dropped.map(String.init).joined(separator: " ")))")
      }
      return Splat(
        kind: .lockOrder, title: "possible circular locking dependency: \(chain)", function: nil, line: line, excerpt: excerpt,
        lockCycle: cycle)
    }
  }
}

/// The guest's lock-event stream as the kernel prints trace lines (include/trace/events/lock.h,
/// "%p %s%s%s": the lock's address, "try " and "read " when they apply, the class name), with
/// the runner's step markers (trace_marker: "patchcheck: SCENARIO: STEP", then "patchcheck:
/// end"):
///
///     sh-82  [000] ....1  12.345678: lock_acquire: 00000000aaaa0001 try read &dev->mutex
///     sh-80  [001] .....  12.300000: tracing_mark_write: patchcheck: numvfs: enable 4 VFs
///
/// Per task and context (task, softirq, hardirq, NMI: the flags column's third character) it
/// keeps the stack of held locks and records every "held A, then took B" between different
/// lock classes, with the first step and task that did it and a few lock instances (addresses)
/// of each pair: up to 64 for an edge with a focus class (lockdep cannot see those), 2 for the
/// others. An edge with a class ever taken with interrupts off or in interrupt context is a
/// spinning lock's, which lockdep validates: left out.
package enum LockTrace {
  package struct Read: Sendable, Equatable {
    package var edges: [LockOrderEdge]
    /// The stream is whole: a text stream reached its "patchcheck: end" marker, a stream of
    /// pages its trailer (every CPU's copier read its buffer to the end).
    package var reachedEnd: Bool
    /// Events a stream of pages says the kernel lost (RB_MISSED_EVENTS on a page).
    package var lost: Int = 0
  }

  private struct Held {
    var name: String
    var address: String
  }

  private struct Pending {
    var edge: LockOrderEdge
    var limit: Int
    var seen: Set<String>

    /// One more time seen; the instance pair kept while there is room and it is new.
    mutating func record(_ pair: String) {
      edge.count += 1
      if edge.instances.count < limit, seen.insert(pair).inserted { edge.instances.append(pair) }
    }
  }

  package static let markerText = "tracing_mark_write: " + LockWitnessProgram.stepMarkerPrefix

  /// The stream's edges. Read as bytes: a boot streams hundreds of thousands of events, and
  /// only the task, the address and the class name of each become strings.
  package static func read(_ trace: Data, focus: Set<String>) -> Read {
    trace.withUnsafeBytes { read(bytes: $0.bindMemory(to: UInt8.self), focus: focus) }
  }

  private static let marker = Array(markerText.utf8)
  private static let acquireEvent = Array(" lock_acquire: ".utf8)
  private static let releaseEvent = Array(" lock_release: ".utf8)

  private static func read(bytes: UnsafeBufferPointer<UInt8>, focus: Set<String>) -> Read {
    var step = "boot"
    var graph = Graph(focus: focus)
    /// One line into the graph, under the step its marker named; true at the end marker.
    func take(_ line: Line) -> Bool {
      switch line {
      case .marker(let name):
        if name == "end" { return true }
        step = name
      case .lock(let event):
        graph.add(event, step: step)
      }
      return false
    }
    // The guest's stream since the binary one: the ring buffer's pages, decoded here; its end
    // is the trailer, not the marker.
    if LockTracePages.isPages(bytes) {
      let decoded = LockTracePages.decode(bytes)
      for record in decoded.records { _ = take(record.line) }
      return Read(edges: graph.edges, reachedEnd: decoded.complete, lost: decoded.lost)
    }
    var reachedEnd = false
    var start = 0
    lines: while start < bytes.count {
      var end = start
      while end < bytes.count, bytes[end] != 10 { end += 1 }
      let next = end + 1
      defer { start = next }
      if end > start, bytes[end - 1] == 13 { end -= 1 }
      guard let line = line(bytes, from: start, to: end) else { continue }
      if take(line) {
        reachedEnd = true
        break lines
      }
    }
    return Read(edges: graph.edges, reachedEnd: reachedEnd)
  }

  /// What one trace line says: a step's marker, or a lock taken or let go.
  enum Line {
    case marker(String)
    case lock(Event)
  }

  struct Event {
    var acquire: Bool
    var task: String
    var address: String
    var lock: String
    var trylock: Bool
    /// h/H hard interrupt, s softirq, z/Z NMI; t a task.
    var context: Character
    /// Interrupts off or in interrupt context: a spinning lock.
    var inAtomic: Bool
  }

  /// The line in `bytes[from..<to]`; nil for one that is neither (or the runner's own, or the
  /// stream's copier's).
  private static func line(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Line? {
    func text(_ from: Int, _ to: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self) }
    guard let open = index(of: [UInt8(ascii: "[")], in: bytes, from: start, to: end) else { return nil }
    if let at = index(of: marker, in: bytes, from: open, to: end) { return .marker(text(at + marker.count, end)) }
    let acquire: Bool
    var at = end
    if let found = index(of: acquireEvent, in: bytes, from: open, to: end) {
      (acquire, at) = (true, found + acquireEvent.count)
    } else if let found = index(of: releaseEvent, in: bytes, from: open, to: end) {
      (acquire, at) = (false, found + releaseEvent.count)
    } else {
      return nil
    }
    var taskStart = start
    var taskEnd = open
    while taskStart < taskEnd, bytes[taskStart] == 32 { taskStart += 1 }
    while taskEnd > taskStart, bytes[taskEnd - 1] == 32 { taskEnd -= 1 }
    let task = text(taskStart, taskEnd)
    // The runner itself (init) and the stream's own copier are not what a scenario drives.
    if task == "init-1" || task.hasPrefix("dd-") { return nil }
    // The flags: the column after the CPU's "[000]".
    var flags = open
    while flags < end, bytes[flags] != 32 { flags += 1 }
    while flags < end, bytes[flags] == 32 { flags += 1 }
    guard flags < end, let space = index(of: [32], in: bytes, from: at, to: end) else { return nil }
    var name = space + 1
    var trylock = false
    if acquire, starts(bytes, at: name, end: end, with: "try ") {
      trylock = true
      name += 4
    }
    if acquire, starts(bytes, at: name, end: end, with: "read ") { name += 5 }
    let third = flags + 2 < end ? bytes[flags + 2] : 0
    let context = "hsHzZ".utf8.contains(third) ? Character(UnicodeScalar(third)) : "t"
    // Taken with interrupts off or in interrupt context: a spinning lock. The preemption
    // depth tells nothing: mutex_lock() reports its acquisition with preemption disabled.
    let inAtomic = bytes[flags] == UInt8(ascii: "d") || bytes[flags] == UInt8(ascii: "D") || context != "t"
    return .lock(
      Event(
        acquire: acquire, task: task, address: text(at, space), lock: text(name, end), trylock: trylock, context: context,
        inAtomic: inAtomic))
  }

  /// Each task's held locks, and every order seen between two of them.
  private struct Graph {
    let focus: Set<String>
    var stacks: [String: [Held]] = [:]
    var atomic = Set<String>()
    var order: [String] = []
    var pending: [String: Pending] = [:]

    init(focus: Set<String>) { self.focus = focus }

    mutating func add(_ event: Event, step: String) {
      let key = "\(event.task)\t\(event.context)"
      let lock = event.lock
      guard event.acquire else {
        if let index = stacks[key]?.lastIndex(where: { $0.address == event.address }) { stacks[key]?.remove(at: index) }
        return
      }
      // RCU readers never wait for each other: not locks a cycle can go through.
      if lock.hasPrefix("rcu_read_lock") { return }
      if event.inAtomic { atomic.insert(lock) }
      if !event.trylock {
        for held in stacks[key] ?? [] where held.name != lock {
          let id = "\(held.name)\t\(lock)"
          if pending[id] == nil { order.append(id) }
          pending[
            id,
            default: Pending(
              edge: LockOrderEdge(held: held.name, taken: lock, count: 0, task: event.task, step: step, instances: []),
              limit: focus.contains(held.name) || focus.contains(lock) ? 64 : 2, seen: [])
          ].record("\(held.address) \(event.address)")
        }
      }
      // Deeper than lockdep allows (48): releases were lost; start the task over.
      if stacks[key, default: []].count >= 48 { stacks[key] = [] }
      stacks[key, default: []].append(Held(name: lock, address: event.address))
    }

    /// The orders between sleeping locks, first seen first.
    var edges: [LockOrderEdge] {
      order.compactMap { pending[$0]?.edge }.filter { !atomic.contains($0.held) && !atomic.contains($0.taken) }
    }
  }

  /// Where `needle` first starts in `bytes[from..<to]`.
  private static func index(of needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
    guard let first = needle.first, to - from >= needle.count else { return nil }
    var at = from
    while at + needle.count <= to {
      if bytes[at] == first {
        var matched = 1
        while matched < needle.count, bytes[at + matched] == needle[matched] { matched += 1 }
        if matched == needle.count { return at }
      }
      at += 1
    }
    return nil
  }

  static func starts(_ bytes: UnsafeBufferPointer<UInt8>, at: Int, end: Int, with prefix: String) -> Bool {
    let prefix = Array(prefix.utf8)
    guard end - at >= prefix.count else { return false }
    return prefix.indices.allSatisfy { bytes[at + $0] == prefix[$0] }
  }
}

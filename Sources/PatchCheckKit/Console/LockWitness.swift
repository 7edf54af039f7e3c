// The host half of the lock-order witness: the edges the guest recorded ("held A, then took
// B", per task and context, see `LockWitnessProgram`) become a graph between lock classes,
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
  /// The guest's reader got to the end of the trace ("done"): without it the edges are a
  /// part, and no cycle found means nothing.
  package var complete = true
}

package enum LockWitness {
  /// The witness's block in a console log, or nil when the run had no witness.
  package static func read(_ log: String) -> LockWitnessResult? {
    // Most consoles have no witness block: say so from the bytes (Foundation's search goes
    // through NSString, a copy of the whole log).
    guard log.has(LockWitnessProgram.beginMarker),
      let begin = log.range(of: LockWitnessProgram.beginMarker),
      let end = log.range(of: LockWitnessProgram.endMarker, range: begin.upperBound..<log.endIndex)
    else { return nil }
    var edges: [LockOrderEdge] = []
    var overruns: [Int] = []
    var focus: [String] = []
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
      }
    }
    let all = cycles(in: edges)
    let reported = focus.isEmpty ? all : all.filter { !Set($0.classes).isDisjoint(with: focus) }
    // A class is every lock of its kind: &dev->mutex is every device's. A cycle seen only on
    // different instances (one device's mutex, then another's under a lock between) is how
    // parents and children nest; only one on the same objects can deadlock.
    return LockWitnessResult(edges: edges, cycles: reported, overruns: overruns, focus: focus, complete: complete)
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
  package static func reports(in log: String) -> [Splat] {
    guard let result = read(log) else { return [] }
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
      if !result.overruns.allSatisfy({ $0 == 0 }) {
        excerpt.append("  the trace lost events (overruns per CPU: \(result.overruns.map(String.init).joined(separator: " ")))")
      }
      return Splat(
        kind: .lockOrder, title: "possible circular locking dependency: \(chain)", function: nil, line: line, excerpt: excerpt,
        lockCycle: cycle)
    }
  }
}

// Deadlocks explained: from the hung-task reports of one boot (each names the task, the
// function it waits in, the task the kernel names as owner of what it waits for, and the
// locks lockdep lists for it) the wait-for cycle — which task holds which lock and waits for
// which — and from the lock-order witness's cycles each order and where it was taken. Two
// tasks each holding what the other waits for, or two classes taken in both orders, is AB-BA.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

/// One task of a wait-for cycle.
package struct LockWait: Sendable, Codable, Equatable {
  package var task: String
  /// The lock it waits for, and the function it waits in.
  package var waitsFor: String?
  package var waitsIn: String?
  /// The lock of the cycle it holds (what the task before it waits for), and where it took it.
  package var holds: String?
  package var heldSince: String?
  /// The task holding what it waits for.
  package var owner: String?
}

package struct DeadlockExplanation: Sendable, Codable, Equatable {
  package enum Kind: String, Sendable, Codable {
    /// Two tasks, each holding the lock the other waits for.
    case abba = "AB-BA"
    /// One task waiting for a lock it holds itself (recursive locking).
    case recursive
    /// Three or more tasks in a ring.
    case cycle
    /// Lock classes taken in orders that form a cycle (no hang needed).
    case lockOrder = "lock-order"
    /// Tasks blocked, but no cycle among the reports (the owner is not a reported task).
    case blocked
  }
  package var kind: Kind
  /// "AB-BA deadlock between &dev->mutex and pci_rescan_remove_lock".
  package var summary: String
  package var tasks: [LockWait]
  /// The cycle spelled out, one line per task or order.
  package var lines: [String]
}

package enum Deadlock {
  /// A lock as the hung-task report lists it: "&dev->mutex at sriov_numvfs_store". Where
  /// it was taken is unknown when lockdep names ftrace's return trampoline: a function the
  /// graph tracer or the function profiler hooks (the coverage of the series' functions) has
  /// its return address replaced, so a lock it takes in a tail call is listed "at
  /// return_to_handler".
  package static func split(_ lock: String) -> (name: String, at: String?) {
    guard let range = lock.range(of: " at ", options: .backwards) else { return (lock, nil) }
    let at = String(lock[range.upperBound...])
    return (String(lock[..<range.lowerBound]), at.hasPrefix("return_to_handler") ? nil : at)
  }

  /// The locks lockdep's own reports say a task "is trying to acquire", by task ("sh:142").
  package static func acquiring(in reports: [Splat]) -> [String: String] {
    var result: [String: String] = [:]
    for report in reports where report.kind.rawValue.hasPrefix("lockdep") {
      for (index, line) in report.excerpt.enumerated().dropLast() {
        guard let match = line.firstMatch(of: #/(\S+)/(\d+) is trying to acquire/#),
          let lock = report.excerpt[index + 1].firstMatch(of: #/\((.+?)\)\{/#)
        else { continue }
        result["\(match.output.1):\(match.output.2)"] = String(lock.output.1)
      }
    }
    return result
  }

  /// The wait-for cycle among one boot's blocked tasks, or nil when no task is blocked.
  /// `reports`: the boot's other reports (lockdep's name the lock a task is trying to take).
  package static func explain(_ blocked: [BlockedTask], reports: [Splat] = []) -> DeadlockExplanation? {
    guard !blocked.isEmpty else { return nil }
    let graph = WaitGraph(blocked: blocked, reports: reports)
    if let recursive = graph.recursiveLocking() { return recursive }
    if let ring = graph.ring() { return cycle(ring, waited: graph.waited, held: graph.heldLocks) }
    return graph.blockedWithoutCycle()
  }

  package static func cycle(
    _ ring: [BlockedTask], waited: (BlockedTask) -> String?, held: (BlockedTask) -> [(name: String, at: String?)]
  ) -> DeadlockExplanation {
    var tasks: [LockWait] = []
    for (index, task) in ring.enumerated() {
      let next = ring[(index + 1) % ring.count]
      let before = ring[(index + ring.count - 1) % ring.count]
      // The lock of the cycle this task holds is what the task before it waits for.
      let holds = waited(before).flatMap { wanted in held(task).first { $0.name == wanted } }
      tasks.append(
        LockWait(
          task: task.task, waitsFor: waited(task), waitsIn: task.waitsIn, holds: holds?.name, heldSince: holds?.at,
          owner: next.task))
    }
    let lines = tasks.map { wait in
      "\(wait.task) holds \(wait.holds ?? "a lock")\(wait.heldSince.map { " (taken in \($0))" } ?? "")"
        + " and waits\(wait.waitsIn.map { " in \($0)" } ?? "") for \(wait.waitsFor ?? "a lock"), held by \(wait.owner ?? "?")"
    }
    let locks = tasks.compactMap(\.holds)
    if ring.count == 1 {
      return DeadlockExplanation(
        kind: .recursive, summary: "\(ring[0].task) waits for a lock it owns itself", tasks: tasks, lines: lines)
    }
    if ring.count == 2 {
      // In name order: the same deadlock reads the same whichever writer the kernel reported first.
      let pair = locks.sorted().joined(separator: " and ")
      return DeadlockExplanation(kind: .abba, summary: "AB-BA deadlock between \(pair)", tasks: tasks, lines: lines)
    }
    return DeadlockExplanation(
      kind: .cycle, summary: "deadlock: \(ring.count) tasks in a ring over \(locks.joined(separator: ", "))", tasks: tasks,
      lines: lines)
  }

  /// A lock-order cycle spelled out: each order, which task took it, in which step.
  package static func explain(_ cycle: LockCycle) -> DeadlockExplanation {
    let lines =
      cycle.edges.map { edge in
        "\(edge.task) holds \(edge.held) and then takes \(edge.taken) (\(edge.count)x, first in step '\(edge.step)')"
      }
      + [
        cycle.sameInstances
          ? "the same lock instances are taken in both orders: tasks doing these steps at once deadlock on them"
          : "seen on different instances of these classes: a deadlock needs the same objects"
      ]
    let tasks = cycle.edges.map {
      LockWait(task: $0.task, waitsFor: $0.taken, waitsIn: nil, holds: $0.held, heldSince: $0.step, owner: nil)
    }
    let summary =
      cycle.classes.count == 2
      ? "AB-BA lock order: \(cycle.classes[0]) -> \(cycle.classes[1]) and \(cycle.classes[1]) -> \(cycle.classes[0])"
      : "lock-order cycle: \((cycle.classes + [cycle.classes[0]]).joined(separator: " -> "))"
    return DeadlockExplanation(kind: cycle.classes.count == 2 ? .abba : .lockOrder, summary: summary, tasks: tasks, lines: lines)
  }

  /// What explains a finding, from the report whose splat it is: its lock-order cycle, or the
  /// wait-for cycle among the boot's blocked tasks when it is a hung task.
  package static func explain(_ splat: Splat, among splats: [Splat]) -> DeadlockExplanation? {
    if let cycle = splat.lockCycle { return explain(cycle) }
    guard splat.kind == .hungTask, splat.blocked != nil else { return nil }
    return explain(splats.compactMap(\.blocked), reports: splats)
  }
}

/// One boot's blocked tasks, and what each waits for, holds and is owned by.
private struct WaitGraph {
  let blocked: [BlockedTask]
  var byTask: [String: BlockedTask] = [:]
  /// The lock lockdep's own reports say each task is trying to take.
  let trying: [String: String]

  init(blocked: [BlockedTask], reports: [Splat]) {
    self.blocked = blocked
    for task in blocked where byTask[task.task] == nil { byTask[task.task] = task }
    trying = Deadlock.acquiring(in: reports)
  }

  /// Whether the owner the kernel names for `task` (another reported task) lists `lock`.
  func ownerHolds(_ task: BlockedTask, _ lock: String) -> Bool {
    guard let owner = task.blockedOn.flatMap({ byTask[$0] }), owner.task != task.task else { return false }
    return owner.locks.map(Deadlock.split).contains { $0.name == lock }
  }

  /// Whether another blocked task holds `lock`: lists it before its last entry (lockdep lists
  /// the lock a task sleeps on last, so every entry before it is held). For a task no owner
  /// is named for (the runner found it stuck; the kernel reported only the other one).
  func otherHolds(_ task: BlockedTask, _ lock: String) -> Bool {
    blocked.contains { $0.task != task.task && $0.locks.dropLast().map(Deadlock.split).contains { $0.name == lock } }
  }

  /// What each task waits for: lockdep lists a mutex being taken with the held ones, last,
  /// at the function the task waits in; else lockdep's own report names it.
  func waited(_ task: BlockedTask) -> String? {
    let parsed = task.locks.map(Deadlock.split)
    if let waitsIn = task.waitsIn, let lock = parsed.last(where: { $0.at == waitsIn }) { return lock.name }
    if let lock = trying[task.task] { return lock }
    // Else the last lock listed that the owner (another task) also lists.
    if let last = parsed.last, ownerHolds(task, last.name) { return last.name }
    // Else, with no owner named, the last lock listed when another blocked task holds it.
    if task.blockedOn == nil, let last = parsed.last, otherHolds(task, last.name) { return last.name }
    return nil
  }

  func heldLocks(_ task: BlockedTask) -> [(name: String, at: String?)] {
    var locks = task.locks.map(Deadlock.split)
    // The entry being taken is listed last, at the function the task waits in; or, where
    // that function is hidden (see `split`), last and held by the owner the kernel names:
    // a mutex has one owner, so this task only waits for it.
    if let wanted = waited(task), let last = locks.last, last.name == wanted,
      last.at == task.waitsIn || ownerHolds(task, wanted) || (task.blockedOn == nil && otherHolds(task, wanted))
    {
      locks.removeLast()
    }
    return locks
  }

  func owner(of task: BlockedTask) -> String? {
    if let named = task.blockedOn { return named }
    guard let wanted = waited(task) else { return nil }
    return blocked.first { $0.task != task.task && heldLocks($0).contains { $0.name == wanted } }?.task
  }

  /// Recursive: a task waiting for a lock it holds.
  func recursiveLocking() -> DeadlockExplanation? {
    for task in blocked {
      guard let wanted = waited(task), let held = heldLocks(task).first(where: { $0.name == wanted }) else { continue }
      let wait = LockWait(
        task: task.task, waitsFor: wanted, waitsIn: task.waitsIn, holds: wanted, heldSince: held.at, owner: task.task)
      return DeadlockExplanation(
        kind: .recursive, summary: "recursive locking of \(wanted) by \(task.task)", tasks: [wait],
        lines: [
          "\(task.task) holds \(wanted)\(held.at.map { " (taken in \($0))" } ?? "") and waits for it again"
            + "\(task.waitsIn.map { " in \($0)" } ?? ""): it can never be released"
        ])
    }
    return nil
  }

  /// The first ring of tasks each waiting for the next: "waits for the owner" followed from
  /// each task until a task repeats.
  func ring() -> [BlockedTask]? {
    for start in blocked {
      var path: [BlockedTask] = [start]
      var current = start
      while let next = owner(of: current).flatMap({ byTask[$0] }) {
        if let loop = path.firstIndex(where: { $0.task == next.task }) {
          return Array(path[loop...])
        }
        path.append(next)
        current = next
      }
    }
    return nil
  }

  /// Tasks blocked with no cycle among them: what each waits in and for, and holds.
  func blockedWithoutCycle() -> DeadlockExplanation {
    let lines = blocked.map { task in
      "\(task.task) waits\(task.waitsIn.map { " in \($0)" } ?? "")\(waited(task).map { " for \($0)" } ?? "")"
        + "\(task.blockedOn.map { ", owned by \($0)" } ?? "")"
        + (heldLocks(task).isEmpty ? "" : ", holding \(heldLocks(task).map(\.name).joined(separator: ", "))")
    }
    let tasks = blocked.map {
      LockWait(task: $0.task, waitsFor: waited($0), waitsIn: $0.waitsIn, holds: nil, heldSince: nil, owner: $0.blockedOn)
    }
    return DeadlockExplanation(
      kind: .blocked, summary: "\(blocked.count) task(s) blocked; no cycle among the reported tasks", tasks: tasks, lines: lines)
  }
}

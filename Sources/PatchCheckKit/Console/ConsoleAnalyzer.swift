// Console analysis: kernel reports (lockdep, hung tasks, BUG, WARNING, Oops, KASAN, list
// corruption, panic, ...) found in a serial console log, each with a kind, a short title
// naming the function, and its excerpt. Titles are syzkaller's (pkg/report), so a title can be
// looked up on syzbot and the same bug has the same title across runs. The formats are in
// ReportTable.swift, the parser in ReportParser.swift.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct Splat: Sendable, Codable, Equatable {
  package enum Kind: String, Sendable, Codable, CaseIterable {
    case lockdepCircular = "lockdep-circular"
    case lockdepRecursive = "lockdep-recursive"
    case lockdepOther = "lockdep-other"
    case hungTask = "hung-task"
    case listCorruption = "list-corruption"
    case nullDeref = "null-deref"
    case gpf
    case warning
    case kasan
    case kernelBug = "kernel-bug"
    case softLockup = "soft-lockup"
    case rcuStall = "rcu-stall"
    case atomicSleep = "atomic-sleep"
    case panic
    case kmsan
    case kcsan
    case kfence
    case ubsan
    case memoryLeak = "memory-leak"
    case reboot = "unexpected-reboot"
    /// Reports of syzkaller's own programs and other non-kernel failures.
    case other
    /// A line that opens a kernel report no known format describes (see `Splat.unrecognised`).
    case unrecognised
    /// A cycle in the order locks were taken, found by the lock-order witness in the traced
    /// acquisitions (no hang needed), not by the kernel (see `LockWitness`).
    case lockOrder = "lock-order"
  }

  package var kind: Kind
  package var title: String
  /// The function the title names, when there is one.
  package var function: String?
  /// 1-based line in the console log where the report starts.
  package var line: Int
  package var excerpt: [String]
  /// How many reports had this title (the excerpt is the first one's).
  package var count = 1
  /// Where the others start.
  package var otherLines: [Int] = []
  /// For a hung task: who is blocked, where, on whom, holding what.
  package var blocked: BlockedTask?
  /// With several boots: how many hit this title.
  package var boots: Int?
  /// true: the line opens a kernel report (BUG:, WARNING:, INFO:, Oops, cut here, ...) but no
  /// known format matched, so the title is that line with numbers and addresses generalised.
  /// nil for known formats (older results have no such field).
  package var unrecognised: Bool?
  /// true: the report is cut short or interleaved (syzkaller's "corrupted"), so its title may
  /// name the wrong function or none.
  package var corrupted: Bool?
  /// For a lock-order cycle: each order, who took it and where.
  package var lockCycle: LockCycle?
  /// true: the unpatched base shows this title too with the same scenarios (not by itself a
  /// FAIL; the report's `preExisting` has the counts). nil: new, or the base was not asked.
  package var preExisting: Bool?
}

package struct BlockedTask: Sendable, Codable, Equatable {
  /// `sh:323`
  package var task: String
  package var waitsIn: String?
  /// The kernel's guess at the owner of what it waits for ("sh:324").
  package var blockedOn: String?
  /// Locks it holds, from lockdep's "Showing all locks held": `name at function`.
  package var locks: [String]

  /// `task` split at its last colon: ("sh", "323").
  package var nameAndPID: (name: String, pid: String)? { Self.split(task) }

  /// "NAME:PID" split at its last colon (a name may hold colons: "kworker/0:1:34").
  package static func split(_ task: String) -> (name: String, pid: String)? {
    guard let colon = task.lastIndex(of: ":") else { return nil }
    return (String(task[..<colon]), String(task[task.index(after: colon)...]))
  }
}

package enum ConsoleAnalyzer {
  /// Every kernel report in a console log, one entry per title (repeats counted), in order.
  package static func analyze(_ log: String) -> [Splat] {
    ReportParser(log).splats()
  }

  /// A console's reports (`reports(in:)`) and its KTAP results (`KTAPParser.parse`), read at
  /// the same time: neither reads what the other finds, and a console can be hundreds of MB.
  /// With `witnessTrace` (the lock-order witness's stream, a file of its own), its cycles too.
  package static func reportsAndResults(
    in log: String, expected: [String] = [], witnessTrace: Data? = nil
  ) -> (splats: [Splat], scenarios: [ScenarioResult]) {
    // Not a concurrentPerform of two: the reports' own concurrentPerform would then run on
    // one thread (libdispatch runs a nested apply inline).
    nonisolated(unsafe) var scenarios: [ScenarioResult] = []
    let ktap = DispatchGroup()
    DispatchQueue.global().async(group: ktap) { scenarios = KTAPParser.parse(log, expected: expected) }
    var splats = reports(in: log)
    // The console's own block (a guest of before the stream) is read with the console; a
    // guest prints its edges there or streams them, never both.
    if let witnessTrace { splats += LockWitness.reports(in: log, trace: witnessTrace) }
    ktap.wait()
    return (splats, scenarios)
  }
}

extension ConsoleAnalyzer {
  /// The task named by "INFO: task NAME:PID blocked ...", the owner the kernel names on the
  /// "is blocked on a mutex likely owned by" line, and the locks lockdep lists for it.
  package static func blockedTask(_ body: [String], function: String?, log: ArraySlice<String>) -> BlockedTask? {
    guard let first = body.first, let match = first.firstMatch(of: Patterns.hungTask) else { return nil }
    let name = String(match.output.1)
    let pid = String(match.output.2)
    let owner = body.lazy.filter { $0.has(" owned by task ") }.compactMap {
      $0.firstMatch(of: Patterns.owner)
    }
    .first.map { String($0.output.1) }
    let header = log.prefix(400).firstIndex { $0.hasPrefix("locks held by \(name)/\(pid):") }
    let locks = header.map { heldLocks(after: $0, in: log) } ?? []
    return BlockedTask(task: "\(name):\(pid)", waitsIn: function, blockedOn: owner, locks: locks)
  }

  /// The "#N: ADDR (name){...}, at: function+0x.." lines after a "locks held by" header, as
  /// `name at function`.
  package static func heldLocks(after header: Int, in lines: ArraySlice<String>) -> [String] {
    var locks: [String] = []
    for line in lines[(header + 1)...].prefix(32) {
      guard let lock = line.firstMatch(of: Patterns.heldLock) else { break }
      locks.append("\(lock.output.1) at \(Frames.clean(String(lock.output.2)))")
    }
    return locks
  }
}

/// The patterns of a hung-task report, made once: a regex literal in a function is parsed and
/// compiled again on every call, which was most of the analyzer's time on a long console.
package enum Patterns {
  nonisolated(unsafe) static let hungTask = #/INFO: task (.+):(\d+) blocked/#
  nonisolated(unsafe) static let owner = #/is blocked on .* owned by task (\S+?)\.?$/#
  nonisolated(unsafe) static let heldLock = #/#\d+: [0-9a-f]+ \((.+?)\)\{.*at: ([A-Za-z_][A-Za-z0-9_.]*)\+/#
}

package enum ConsoleLine {
  /// The longest console line shown whole in an excerpt or a KTAP name (printk's own lines
  /// stay under 1024 characters; a guest can write any length).
  package static let shownLimit = 1024

  /// Drops the printk time stamp and caller id: "[  12.345678][ T123] text" -> "text".
  package static func strip(_ line: String) -> String {
    String(split(line).text)
  }

}

/// Function names as titles use them.
package enum Frames {
  /// `.isra.0`, `.part.19`, `.constprop.3`, `.cold` suffixes are the compiler's, not the code's.
  package static func clean(_ name: String) -> String {
    name.split(separator: ".").first.map(String.init) ?? name
  }
}

// Tasks the runner found still in D state at the end of the run, after giving the hung-task
// detector its full period (`RunnerScript.stuckMarker`). The kernel's detector does not report
// every such task (killable sleeps, tasks that got stuck too late for its next check): each
// one becomes a hung-task report of its own, with the stack sysrq-w printed for it and the
// locks sysrq-d listed, unless the kernel already reported that task.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package enum StuckTasks {
  /// Hung-task reports for the runner's stuck tasks that `kernelReports` does not already name.
  package static func reports(in log: String, besides kernelReports: [Splat]) -> [Splat] {
    guard log.has(RunnerScript.stuckMarker) else { return [] }
    return reports(in: ConsoleLines(log), besides: kernelReports)
  }

  package static func reports(in console: ConsoleLines, besides kernelReports: [Splat]) -> [Splat] {
    let (raw, lines) = (console.visible, console.stripped)
    let known = Set(kernelReports.compactMap { $0.blocked?.task })
    var found: [Splat] = []
    for (index, line) in lines.enumerated() {
      guard let range = line.range(of: RunnerScript.stuckMarker) else { continue }
      let task = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
      guard let parts = BlockedTask.split(task), !known.contains(task),
        !found.contains(where: { $0.blocked?.task == task })
      else { continue }
      let name = parts.name.replacingOccurrences(of: "_", with: " ")
      let pid = parts.pid
      // Titled as the kernel's own hung-task report with this stack would be, so the same
      // hang has one title whoever found it.
      let stack = Self.stackLines(of: pid, in: lines[index...])
      let asReport = (["INFO: task \(name):\(pid) blocked for more than 0 seconds."] + stack.dropFirst()).joined(separator: "\n")
      let titled = ConsoleAnalyzer.analyze(asReport).first { $0.kind == .hungTask }
      let function = titled?.function
      let locks = Self.locks(of: name, pid: pid, in: lines[...])
      let excerpt = [raw[index]] + stack + locks.map { "  holds \($0)" }
      found.append(
        Splat(
          kind: .hungTask, title: titled?.title ?? "INFO: task hung", function: function,
          line: index + 1, excerpt: excerpt,
          blocked: BlockedTask(task: "\(name):\(pid)", waitsIn: function, blockedOn: nil, locks: locks)))
    }
    return found
  }

  /// sysrq-w's block for the task: "task:NAME state:D ... pid:PID" then its call trace.
  package static func stackLines(of pid: String, in lines: ArraySlice<String>) -> [String] {
    guard
      let start = lines.firstIndex(where: {
        $0.hasPrefix("task:") && $0.contains(" state:D") && $0.contains(" pid:\(pid) ")
      })
    else { return [] }
    let end =
      lines[start...].prefix(80).firstIndex { $0.trimmingCharacters(in: .whitespaces) == "</TASK>" } ?? min(lines.endIndex, start + 40)
    return Array(lines[start..<end])
  }

  /// The task's locks from the last "locks held by NAME/PID:" list in the log (sysrq-d, or
  /// lockdep's own report: lockdep stops listing locks once it has reported a bug), as
  /// `lock at function`.
  package static func locks(of name: String, pid: String, in lines: ArraySlice<String>) -> [String] {
    guard let header = lines.lastIndex(where: { isLocksHeader($0, name: name, pid: pid) }) else { return [] }
    return ConsoleAnalyzer.heldLocks(after: header, in: lines)
  }

  package static func isLocksHeader(_ line: String, name: String, pid: String) -> Bool {
    line.hasPrefix("locks held by \(name)/\(pid):") || line.contains(" locks held by \(name)/\(pid):")
  }

  /// The lines that can hold a "locks held by" header once shown (see `locks(of:pid:in:headers:console:)`),
  /// found in one pass over the log for all hung tasks, last first.
  package struct HeaderLines {
    package var lines: [Int]
    /// Those holding one of the three characters Unicode makes equal to an ASCII one.
    package var special: Set<Int>

    package init(_ buffer: ConsoleBuffer) {
      special = Set(buffer.lines(containing: "\u{212A}")).union(buffer.lines(containing: "\u{037E}"))
        .union(buffer.lines(containing: "\u{1FEF}"))
      lines = special.union(buffer.lines(containing: "locks held by ")).sorted(by: >)
    }
  }

  /// `locks(of:pid:in:)` over `ConsoleLines(log).stripped`, without splitting the whole log:
  /// only lines whose bytes hold the header are made into shown, stripped lines and tried,
  /// then the 32 after the last that matches. A shown line holds an ASCII header with no `^`
  /// only where its bytes do (showing turns control bytes into `^X`), except through the three
  /// characters Unicode makes equal to an ASCII one (KELVIN SIGN, GREEK QUESTION MARK, GREEK
  /// VARIA), so lines holding one of those are tried too; any other name takes the whole split.
  package static func locks(
    of name: String, pid: String, in buffer: ConsoleBuffer, headers: () -> HeaderLines, console: () -> ConsoleLines
  ) -> [String] {
    let header = "locks held by \(name)/\(pid):"
    guard header.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5E }) else {
      return locks(of: name, pid: pid, in: console().stripped[...])
    }
    let found = headers()
    func shown(_ i: Int) -> String { ConsoleLine.strip(VisibleText.of(buffer.line(i))) }
    let last = found.lines.first { i in
      (found.special.contains(i) || buffer.line(i, holds: header)) && isLocksHeader(shown(i), name: name, pid: pid)
    }
    guard let last else { return [] }
    let window = (last..<min(buffer.count, last + 33)).map(shown)
    return ConsoleAnalyzer.heldLocks(after: 0, in: window[...])
  }
}

extension ConsoleBuffer {
  /// Whether line `i`'s bytes hold `needle`.
  package func line(_ i: Int, holds needle: String) -> Bool {
    let end = i + 1 < starts.count ? starts[i + 1] : bytes.count
    var needle = needle
    return needle.withUTF8 { n in
      bytes.withUnsafeBufferPointer { all in
        ByteSearch.find(n, in: UnsafeBufferPointer(rebasing: all[starts[i]..<end])) != nil
      }
    }
  }
}

extension ConsoleAnalyzer {
  /// Every report a run's console holds: the kernel's own, then the tasks the runner found
  /// stuck at the end that the kernel did not report, then the lock-order witness's cycles.
  package static func reports(in log: String) -> [Splat] {
    let parser = ReportParser(log)
    var kernel = parser.splats()
    // Split into lines once, only when a stuck task (or a name the byte search cannot take)
    // needs them.
    var split: ConsoleLines?
    var headerLines: StuckTasks.HeaderLines?
    func headers() -> StuckTasks.HeaderLines {
      if let headerLines { return headerLines }
      let made = StuckTasks.HeaderLines(parser.buffer)
      headerLines = made
      return made
    }
    func console() -> ConsoleLines {
      if let split { return split }
      let made = ConsoleLines(log)
      split = made
      return made
    }
    // A hung task's locks may be listed before its report (lockdep's own report, after which
    // lockdep lists no more): take them from wherever the log has them last.
    for index in kernel.indices {
      guard let blocked = kernel[index].blocked, blocked.locks.isEmpty, let parts = blocked.nameAndPID else { continue }
      kernel[index].blocked?.locks = StuckTasks.locks(
        of: parts.name, pid: parts.pid, in: parser.buffer, headers: headers, console: console)
    }
    guard log.has(RunnerScript.stuckMarker) else { return kernel + LockWitness.reports(in: log) }
    return kernel + StuckTasks.reports(in: console(), besides: kernel) + LockWitness.reports(in: log)
  }
}

/// A console log split into lines once: as shown (control characters made visible) and with
/// the printk prefix stripped.
package struct ConsoleLines {
  package let visible: [String]
  package let stripped: [String]

  package init(_ log: String) {
    visible = log.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
      .map { VisibleText.of(String($0)) }
    stripped = visible.map(ConsoleLine.strip)
  }
}

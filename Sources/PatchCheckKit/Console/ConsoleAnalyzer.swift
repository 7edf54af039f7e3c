// Console analysis: kernel reports (lockdep, hung tasks, BUG, WARNING, Oops, list
// corruption, panic, ...) found in a serial console log, each with a kind, a short title
// naming the function, and its excerpt. Titles follow syzkaller's wording where it has one.

import Foundation

public struct Splat: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable {
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
  }

  public var kind: Kind
  public var title: String
  /// The function the title names, when there is one.
  public var function: String?
  /// 1-based line in the console log where the report starts.
  public var line: Int
  public var excerpt: [String]
  /// How many reports had this title (the excerpt is the first one's).
  public var count = 1
  /// Where the others start.
  public var otherLines: [Int] = []
  /// For a hung task: who is blocked, where, on whom, holding what.
  public var blocked: BlockedTask?
  /// With several boots: how many hit this title.
  public var boots: Int?
}

public struct BlockedTask: Sendable, Codable, Equatable {
  /// `sh:323`
  public var task: String
  public var waitsIn: String?
  /// The kernel's guess at the owner of what it waits for ("sh:324").
  public var blockedOn: String?
  /// Locks it holds, from lockdep's "Showing all locks held": `name at function`.
  public var locks: [String]
}

public enum ConsoleAnalyzer {
  public static func analyze(_ log: String) -> [Splat] {
    // The console is untrusted text: control characters (terminal escapes) are shown in
    // caret notation, so nothing in a report can drive the reader's terminal.
    let raw = log.replacingOccurrences(of: "\r\n", with: "\n").split(
      separator: "\n", omittingEmptySubsequences: false
    ).map { ConsoleLine.visible(String($0)) }
    let lines = raw.map(ConsoleLine.strip)
    var starts: [(index: Int, rule: Rule)] = []
    var index = 0
    while index < lines.count {
      if let rule = Rule.all.first(where: { $0.matches(lines[index]) }) {
        // A lockdep header is often two lines into its "=====" banner: one report.
        if let last = starts.last, index - last.index <= 2, last.rule.kind == rule.kind {
          index += 1
          continue
        }
        starts.append((index, rule))
      }
      index += 1
    }
    var splats: [Splat] = []
    for (n, start) in starts.enumerated() {
      let limit = n + 1 < starts.count ? starts[n + 1].index : lines.count
      var end = min(limit, start.index + 160)
      if let marker = lines[start.index..<end].firstIndex(where: { $0.contains("---[ end trace") || $0.contains("---[ end Kernel panic") })
      {
        end = marker + 1
      }
      let body = Array(lines[start.index..<end])
      // A panic that follows another report is that report's consequence, not a new one.
      if start.rule.kind == .panic, !splats.isEmpty,
        !lines[start.index].contains("stack-protector")
      {
        continue
      }
      let function = start.rule.function(body)
      let title = start.rule.title(body, function)
      let blocked = start.rule.kind == .hungTask ? Self.blockedTask(body, function: function, log: lines[start.index...]) : nil
      if let same = splats.firstIndex(where: { $0.title == title && $0.kind == start.rule.kind }) {
        splats[same].count += 1
        splats[same].otherLines.append(start.index + 1)
        continue
      }
      splats.append(
        Splat(
          kind: start.rule.kind, title: title, function: function, line: start.index + 1,
          excerpt: Array(raw[start.index..<min(end, start.index + 80)]), blocked: blocked))
    }
    return splats
  }
}

extension ConsoleAnalyzer {
  /// The task named by "INFO: task NAME:PID blocked ...", the owner the kernel names on the
  /// "is blocked on a mutex likely owned by" line, and the locks lockdep lists for it.
  static func blockedTask(_ body: [String], function: String?, log: ArraySlice<String>) -> BlockedTask? {
    guard let first = body.first, let match = first.firstMatch(of: #/INFO: task (.+):(\d+) blocked/#) else { return nil }
    let name = String(match.output.1)
    let pid = String(match.output.2)
    let owner = body.lazy.compactMap { $0.firstMatch(of: #/is blocked on .* owned by task (\S+?)\.?$/#) }.first.map { String($0.output.1) }
    var locks: [String] = []
    if let header = log.prefix(400).firstIndex(where: { $0.hasPrefix("locks held by \(name)/\(pid):") }) {
      for line in log[(header + 1)...].prefix(32) {
        guard let lock = line.firstMatch(of: #/#\d+: [0-9a-f]+ \((.+?)\)\{.*at: ([A-Za-z_][A-Za-z0-9_.]*)\+/#) else { break }
        locks.append("\(lock.output.1) at \(Frames.clean(String(lock.output.2)))")
      }
    }
    return BlockedTask(task: "\(name):\(pid)", waitsIn: function, blockedOn: owner, locks: locks)
  }
}

enum ConsoleLine {
  /// Control characters other than tab as ^X (ESC as ^[), like `cat -v`.
  static func visible(_ line: String) -> String {
    guard line.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else { return line }
    var out = ""
    for scalar in line.unicodeScalars {
      if scalar.value == 0x7F {
        out += "^?"
      } else if scalar.value < 0x20, scalar != "\t" {
        out += "^" + String(UnicodeScalar(UInt8(scalar.value + 0x40)))
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Drops the printk time stamp and caller id: "[  12.345678][ T123] text" -> "text".
  static func strip(_ line: String) -> String {
    var rest = line[...]
    for _ in 0..<2 {
      guard rest.first == "[", let close = rest.firstIndex(of: "]") else { break }
      let inside = rest[rest.index(after: rest.startIndex)..<close].trimmingCharacters(in: .whitespaces)
      let isStamp =
        inside.allSatisfy { $0.isNumber || $0 == "." }
        || (inside.first == "T" || inside.first == "C") && inside.dropFirst().allSatisfy(\.isNumber)
      guard isStamp, !inside.isEmpty else { break }
      rest = rest[rest.index(after: close)...]
      if rest.first == " " { rest = rest.dropFirst() }
    }
    return String(rest)
  }
}

/// Stack frames and the functions titles name.
enum Frames {
  /// `func+0x1e/0x40`, possibly after `[<addr>]`; frames marked `?` are unreliable and
  /// skipped unless `unreliable` (a kernel built with the guess unwinder has no others).
  static func function(inFrameLine line: String, unreliable: Bool = false) -> String? {
    var trimmed = line.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("?") || trimmed.contains(" ? ") {
      guard unreliable else { return nil }
      trimmed = trimmed.replacingOccurrences(of: "? ", with: "")
    }
    guard let match = trimmed.firstMatch(of: #/^(?:\[<[0-9a-f]+>\] )?([A-Za-z_][A-Za-z0-9_.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/#)
    else { return nil }
    return clean(String(match.output.1))
  }

  /// `.isra.0`, `.part.19`, `.constprop.3`, `.cold` suffixes are the compiler's, not the code's.
  /// smp_call_function_single/many are one place for a title, as syzkaller has it.
  static func clean(_ name: String) -> String {
    let base = name.split(separator: ".").first.map(String.init) ?? name
    return base.hasPrefix("smp_call_function") ? "smp_call_function" : base
  }

  /// Helpers a fault or lockup often lands in, which say nothing about who called them.
  static func isHelper(_ name: String) -> Bool {
    let helpers = ["memcmp", "memcpy", "strcmp", "strncmp", "strlen", "strnlen"]
    let prefixes = [
      "_raw_spin", "_raw_read", "_raw_write", "do_raw_spin", "queued_spin", "native_queued",
      "perf_trace", "trace_", "lock_", "__lock_", "arch_local_irq",
    ]
    return helpers.contains(name) || prefixes.contains { name.hasPrefix($0) }
  }

  /// The RIP function, or the first caller in the trace when RIP is a helper or unreadable.
  static func ripOrCaller(_ body: [String]) -> String? {
    if let rip = rip(body), !isHelper(rip) { return rip }
    return firstInteresting(body) { generic.contains($0) || isHelper($0) || isInterruptOrEntry($0) } ?? rip(body)
  }

  /// Function in `RIP: 0010:func+0x..` or `IP: [<..>] func+0x..`, ignoring user space RIPs.
  static func rip(_ body: [String]) -> String? {
    for line in body {
      guard
        let match = line.firstMatch(
          of: #/\bR?IP: (?:[0-9a-f]{4}:)?(?:\[<[0-9a-f]+>\]\s+)?(?:\[<[0-9a-f]+>\] )?([A-Za-z_][A-Za-z0-9_.]*)\+0x/#)
      else { continue }
      return clean(String(match.output.1))
    }
    return nil
  }

  /// The first call-trace frame after `Call Trace:` that is not in `skip`.
  static func firstInteresting(_ body: [String], skipping skip: (String) -> Bool) -> String? {
    guard let trace = body.firstIndex(where: { $0.contains("Call Trace:") }) else { return nil }
    let end = body[trace...].firstIndex { $0.contains("</TASK>") } ?? body.endIndex
    let frames = body[(trace + 1)..<end].filter { !($0.hasPrefix("RIP: ") || $0.contains("<EOI>") || $0.contains("</IRQ>")) }
    let reliable = frames.contains { function(inFrameLine: $0) != nil }
    for line in frames {
      guard let name = function(inFrameLine: line, unreliable: !reliable) else { continue }
      if !skip(name) { return name }
    }
    return nil
  }

  /// The function after `at:` on the first line that has one (lockdep's lock sites).
  static func lockSite(_ body: [String], after marker: String? = nil) -> String? {
    var slice = body[...]
    if let marker, let i = body.firstIndex(where: { $0.contains(marker) }) { slice = body[i...] }
    for line in slice {
      guard let range = line.range(of: "at: ") ?? (line.hasSuffix(" at:") ? line.range(of: " at:") : nil)
      else { continue }
      var rest = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
      if rest.isEmpty, let next = slice.firstIndex(of: line).map({ $0 + 1 }), next < body.count {
        rest = body[next].trimmingCharacters(in: .whitespaces)
      }
      if let name = function(inFrameLine: rest) { return name }
    }
    return nil
  }

  static let generic: Set<String> = [
    "dump_stack", "dump_stack_lvl", "__dump_stack", "show_stack", "panic", "__warn", "report_bug",
    "warn_slowpath_fmt", "warn_slowpath_null", "warn_slowpath_common", "fixup_bug", "do_trap",
    "do_error_trap", "do_invalid_op", "invalid_op", "handle_bug", "exc_invalid_op",
    "asm_exc_invalid_op", "print_circular_bug", "check_noncircular", "check_prev_add",
    "check_prevs_add", "validate_chain", "__lock_acquire", "lock_acquire", "lock_release",
    "lock_acquired", "__lock_release", "print_deadlock_bug", "check_deadlock",
    "print_usage_bug", "mark_lock", "mark_lock_irq", "valid_state", "print_unlock_imbalance_bug",
    "debug_check_no_locks_freed", "debug_check_no_locks_held",
  ]

  static func isLockingOrScheduling(_ name: String) -> Bool {
    if generic.contains(name) { return true }
    let prefixes = [
      "schedule", "__schedule", "io_schedule", "preempt_schedule", "wait_for_completion",
      "__wait_for_common", "wait_for_common", "do_wait_for_common", "mutex_lock", "__mutex_lock",
      "mutex_lock_nested", "_raw_spin", "_raw_read", "_raw_write", "do_raw_spin", "down",
      "__down", "rwsem", "__rwsem", "rt_mutex", "percpu_down", "ldsem_down", "wait_on_bit",
      "out_of_line_wait_on_bit", "__wait_on_bit", "bit_wait", "kthread_", "flush_work",
      "__flush_work", "synchronize_", "__synchronize", "wait_event", "prepare_to_wait",
      "finish_wait", "msleep", "usleep", "schedule_timeout", "__lock_", "lock_", "debug_",
      "_cond_resched", "__cond_resched", "rcu_", "__rcu", "tty_ldisc_lock", "rtnl_lock",
      "__filemap_fdatawait", "filemap_fdatawait", "fdatawait_", "klist_",
    ]
    // Waiting is what a hung task does; the title names who waited.
    return prefixes.contains { name.hasPrefix($0) } || name.contains("wait_on_") || name.hasSuffix("_wait")
  }

  static func isInterruptOrEntry(_ name: String) -> Bool {
    let prefixes = [
      "apic_timer", "smp_apic_timer", "local_apic_timer", "hrtimer_", "__hrtimer", "tick_",
      "update_process_times", "irq_exit", "__do_softirq", "do_softirq", "call_timer_fn",
      "run_timer_softirq", "rcu_", "__rcu", "print_cpu_stall", "check_cpu_stall", "entry_",
      "do_syscall", "sysvec_", "asm_sysvec", "__sysvec", "io_serial", "serial8250",
      "wait_for_xmitr", "uart_console", "console_unlock", "vprintk", "printk", "call_console",
      "_raw_spin", "queued_spin", "native_queued", "__pv_queued", "lock_", "__lock_", "debug_",
      "trace_hardirqs", "irq_", "handle_irq", "common_interrupt", "ret_from_intr", "timer_",
      "__run_timers", "run_timers", "native_safe_halt", "default_idle", "arch_cpu_idle",
      "dump_stack", "show_stack", "nmi_", "arch_trigger", "trigger_", "__x86_", "x86_",
      "sched_show_task", "mark_lock", "print_", "rcu_dump", "check_cpu_stall",
    ]
    return prefixes.contains { name.hasPrefix($0) }
  }
}

// Regex values are immutable once built; sharing them across threads is safe.
struct Rule: @unchecked Sendable {
  let kind: Splat.Kind
  let pattern: Regex<AnyRegexOutput>
  let function: @Sendable ([String]) -> String?
  let title: @Sendable ([String], String?) -> String

  func matches(_ line: String) -> Bool { line.contains(pattern) }

  static func re(_ text: String) -> Regex<AnyRegexOutput> {
    // The patterns below are literals checked by the corpus tests; one that does not
    // compile matches nothing rather than crashing.
    (try? Regex(text)) ?? Regex(#/(?!)/#)
  }

  static func named(_ prefix: String, _ function: String?) -> String {
    function.map { "\(prefix) in \($0)" } ?? prefix
  }

  static let all: [Rule] = [
    Rule(
      kind: .lockdepCircular, pattern: re(#"possible circular locking dependency detected"#),
      function: { Frames.lockSite($0, after: "is trying to acquire lock") },
      title: { named("possible deadlock", $1) }),
    Rule(
      kind: .lockdepRecursive, pattern: re(#"possible recursive locking detected"#),
      function: { Frames.lockSite($0, after: "is trying to acquire lock") },
      title: { named("possible deadlock", $1) }),
    Rule(
      kind: .lockdepOther, pattern: re(#"inconsistent lock state"#),
      function: { Frames.lockSite($0) }, title: { named("inconsistent lock state", $1) }),
    Rule(
      kind: .lockdepOther, pattern: re(#"(WARNING|BUG): bad unlock balance detected"#),
      function: { Frames.lockSite($0, after: "is trying to release lock") },
      title: { body, fn in
        named((body.first ?? "").contains("WARNING") ? "WARNING: bad unlock balance" : "BUG: bad unlock balance", fn)
      }),
    Rule(
      kind: .lockdepOther, pattern: re(#"(WARNING|BUG): held lock freed"#),
      function: { Frames.lockSite($0) },
      title: { body, fn in
        named((body.first ?? "").contains("WARNING") ? "WARNING: held lock freed!" : "BUG: held lock freed", fn)
      }),
    Rule(
      kind: .lockdepOther, pattern: re(#"(WARNING|BUG): .* still has locks held"#),
      function: { Frames.lockSite($0) }, title: { named("BUG: still has locks held", $1) }),
    Rule(
      kind: .lockdepOther,
      pattern: re(
        #"WARNING: lock held when returning to user space|WARNING: suspicious RCU usage|WARNING: possible irq lock inversion|WARNING: inconsistent lock state"#
      ),
      function: { Frames.lockSite($0) ?? Frames.firstInteresting($0, skipping: Frames.isLockingOrScheduling) },
      title: { body, fn in named(firstReportLine(body), fn) }),
    Rule(
      kind: .hungTask, pattern: re(#"INFO: task .* blocked for more than \d+ seconds"#),
      function: { Frames.firstInteresting($0, skipping: Frames.isLockingOrScheduling) },
      title: { named("INFO: task hung", $1) }),
    Rule(
      kind: .listCorruption, pattern: re(#"list_(add|del) corruption|list_del corruption|corrupted list|slab corruption in list"#),
      function: { body in
        Frames.firstInteresting(body) { name in
          Frames.isLockingOrScheduling(name) || name.contains("list_") && name.contains("valid")
            || name.hasPrefix("__list") || name.hasPrefix("list_")
        }
      },
      title: { named("BUG: corrupted list", $1) }),
    Rule(
      kind: .kasan, pattern: re(#"BUG: KASAN: "#),
      function: { body in
        body.first?.firstMatch(of: #/KASAN: [a-z-]+ in ([A-Za-z_][A-Za-z0-9_.]*)/#).map { Frames.clean(String($0.output.1)) }
      },
      title: { body, fn in
        let what = body.first?.firstMatch(of: #/KASAN: ([a-z-]+)/#).map { String($0.output.1) } ?? "bug"
        let access =
          body.first(where: { $0.hasPrefix("Read of size") || $0.hasPrefix("Write of size") })
          .map { $0.hasPrefix("Read") ? " Read" : " Write" } ?? ""
        return named("KASAN: \(what)\(access)", fn)
      }),
    Rule(
      kind: .nullDeref, pattern: re(#"BUG: (unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference)"#),
      function: { Frames.ripOrCaller($0) },
      title: { named("BUG: unable to handle kernel NULL pointer dereference", $1) }),
    Rule(
      kind: .nullDeref, pattern: re(#"BUG: unable to handle (kernel paging request|page fault for address)"#),
      function: { Frames.ripOrCaller($0) },
      title: { named("BUG: unable to handle kernel paging request", $1) }),
    Rule(
      kind: .gpf, pattern: re(#"general protection fault"#),
      function: { Frames.ripOrCaller($0) }, title: { named("general protection fault", $1) }),
    Rule(
      kind: .kernelBug, pattern: re(#"usercopy: [Kk]ernel memory (overwrite|exposure) attempt"#),
      function: { body in
        Frames.firstInteresting(body) { name in
          Frames.generic.contains(name) || name.contains("check_object_size") || name.hasPrefix("usercopy")
            || name.contains("copy_to_user") || name.contains("copy_from_user") || name.hasPrefix("check_")
            || name.hasPrefix("__check")
        }
      },
      title: { named("BUG: bad usercopy", $1) }),
    Rule(
      kind: .kernelBug, pattern: re(#"kernel BUG at "#),
      function: { Frames.rip($0) }, title: { named("kernel BUG", $1) }),
    Rule(
      kind: .softLockup, pattern: re(#"BUG: soft lockup - CPU"#),
      function: { Frames.ripOrCaller($0) }, title: { named("BUG: soft lockup", $1) }),
    Rule(
      kind: .rcuStall,
      pattern: re(#"INFO: rcu_(sched|preempt|bh) (self-)?detected stall|rcu: INFO: rcu_(sched|preempt) (self-)?detected stall"#),
      function: { body in
        Frames.firstInteresting(body, skipping: Frames.isInterruptOrEntry)
      },
      title: { named("INFO: rcu detected stall", $1) }),
    Rule(
      kind: .atomicSleep, pattern: re(#"BUG: sleeping function called from invalid context"#),
      function: { body in
        Frames.firstInteresting(body) { name in
          Frames.generic.contains(name) || name.hasPrefix("__might_") || name.hasPrefix("might_")
            || name.hasPrefix("__mutex_lock") || name.hasPrefix("mutex_lock") || name.hasPrefix("down")
            || name.hasPrefix("__schedule") || name.hasPrefix("schedule")
        }
      },
      title: { named("BUG: sleeping function called from invalid context", $1) }),
    Rule(
      kind: .warning, pattern: re(#"WARNING: CPU: \d+ PID: \d+ at |WARNING: at |WARNING: .* at [^ ]+:\d+ |WARNING: [^ ]+:\d+ at "#),
      function: { body in
        guard let first = body.first else { return nil }
        if let match = first.firstMatch(of: #/ at [^ ]+:\d+ ([A-Za-z_][A-Za-z0-9_.]*)(?:\+0x|\()/#) {
          return Frames.clean(String(match.output.1))
        }
        // 6.x: "WARNING: fs/x.c:289 at func+0x344/0x400, CPU#0: task/69"
        if let match = first.firstMatch(of: #/WARNING: [^ ]+:\d+ at ([A-Za-z_][A-Za-z0-9_.]*)\+0x/#) {
          return Frames.clean(String(match.output.1))
        }
        return Frames.rip(body)
      },
      title: { named("WARNING", $1) }),
    Rule(
      kind: .panic, pattern: re(#"Kernel panic - not syncing: "#),
      function: { body in
        body.first?.firstMatch(of: #/corrupted in: ([A-Za-z_][A-Za-z0-9_.]*)/#).map { Frames.clean(String($0.output.1)) }
      },
      title: { body, fn in
        let message =
          body.first.flatMap { $0.range(of: "not syncing: ") }.map { range in
            String(body[0][range.upperBound...]).trimmingCharacters(in: .whitespaces)
          } ?? ""
        if let fn, message.contains("stack is corrupted") || message.contains("stack-protector") {
          return "kernel panic: stack is corrupted in \(fn)"
        }
        let short = message.replacingOccurrences(of: #"\s*\.\.\.$"#, with: "", options: .regularExpression)
          .replacingOccurrences(of: #" - exitcode=.*$"#, with: "", options: .regularExpression)
        return "kernel panic: \(short)"
      }),
  ]

  static func firstReportLine(_ body: [String]) -> String {
    let line = body.first ?? ""
    return String(line.prefix(while: { $0 != "!" }))
      .replacingOccurrences(of: #"^\[ "#, with: "", options: .regularExpression)
  }
}

// The kernel report formats the console analyzer knows, as data: which literal opens a report
// (checked before anything else, so most lines cost one substring search), how the header is
// titled, where the function the title names comes from, and which frames say nothing about
// the bug. Titles follow syzkaller's conventions (pkg/report/linux.go) so a title can be
// looked up on syzbot; the table is our own, written from the kernel's printk formats.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

/// One step of finding the function a title names, after syzkaller's stack formats: either a
/// line to find (which may yield frames), or a stack trace to read up to its end.
package enum StackPart: Sendable {
  /// Read frames until a line starts another stack trace, or the next part's line is seen.
  case trace
  /// Advance to the first line this accepts; the strings it returns are candidate frames.
  case find(@Sendable (Substring) -> [String]?)
}

/// How the guilty frame is picked from the frames read (after the skip list).
package enum FrameExtractor: Sendable {
  case first
  /// Stalls and lockups: the frame before the first dispatch anchor (syscall entry, work item, ...).
  case stall
  /// Hung tasks: rtnl_lock/synchronize_rcu buckets, else the first frame that is not waiting.
  case hang
}

package struct StackSpec: Sendable {
  package var parts: [StackPart]
  /// Tried when `parts` yield no frame.
  package var parts2: [StackPart] = []
  package var skip: [String] = []
  package var extractor: FrameExtractor = .first
  /// false: the frame is read off one line the kernel prints for this report (a lock site, the
  /// last work function), so no skip list applies (syzkaller's report regexps).
  package var skipsFrames = true
}

/// One way a report of a header family is titled.
package struct ReportFormat: Sendable {
  package var kind: Splat.Kind
  /// Captures from the report (nil: this format does not apply). Given the header line (from
  /// the header literal on) and the report's lines (the first is the whole header line).
  package var match: @Sendable (_ header: Substring, _ body: [Substring]) -> [String]?
  /// `{1}`, `{2}`, ...: the captures, then the frames the stack parts found.
  package var template: String
  package var stack: StackSpec?
  package var corrupted = false
}

/// A literal that opens a report, its formats in order, and lines with it that are not reports.
package struct ReportFamily: Sendable {
  package var header: String
  package var formats: [ReportFormat]
  /// Substrings of a header line that make it a non-report (benign messages, continuations).
  package var benign: [String] = []
  /// The line opens a report only when this also holds (cheap checks after the literal).
  package var requires: (@Sendable (Substring) -> Bool)? = nil
  /// A line of this family inside another report's body belongs to that report.
  package var continuesReport = false
  /// With `continuesReport`: only while that report is unfinished. The line is die()'s banner,
  /// printed inside the oops it reports (after "kernel BUG at", say); once the report's caller
  /// has printed the end marker (`ReportTable.endOfTrace`: oops_exit() after an oops, __warn()
  /// after a WARNING, which then goes on), that report is over and a banner is a new oops.
  package var continuesUntilEndOfTrace = false
  /// The line comes just before the oops it explains, from the same printk caller: the first
  /// header of that caller within a few lines is this report's (not a report of its own), and
  /// titles it when a format knows it.
  package var introducesOops = false
  /// Kind when no format matched.
  package var fallbackKind: Splat.Kind = .unrecognised
  /// A header no format matches is still a report (fail closed). Off for the families of
  /// user-space programs, whose literals ("panic:", "fatal error:") are common words.
  package var failClosed = true
  /// The literal must start a word ("BUG:" but not "ODEBUG:", "INFO:" but not "BTF_INFO:").
  package var wordStart = false
}

// MARK: - Line matchers

package enum Match {
  package static let pc = "[<"

  // These read ASCII, so they walk the UTF-8 bytes: a Character is a grapheme cluster,
  // and breaking a stack trace into them was most of a busy log's analysis.

  /// `func` in `func+0x1/0x2` or `func.isra.0+0x1/0x2` at `s` (syzkaller's {{FUNC}}).
  package static func function(at s: Substring) -> (name: String, rest: Substring)? {
    let u = s.utf8
    var end = u.startIndex
    while end < u.endIndex, isIdent(u[end]) { u.formIndex(after: &end) }
    guard end > u.startIndex, end < u.endIndex, u[end] == 0x2B || u[end] == 0x2E else { return nil }
    return (String(s[..<end]), s[end...])
  }

  package static func isIdent(_ a: UInt8) -> Bool {
    (a >= 97 && a <= 122) || (a >= 65 && a <= 90) || (a >= 48 && a <= 57) || a == 95
  }

  package static func isHex(_ a: UInt8) -> Bool {
    (a >= 48 && a <= 57) || (a >= 97 && a <= 102) || (a >= 65 && a <= 70)
  }

  /// `s` past its leading blanks (spaces, and tabs when `tabs`).
  package static func skipBlanks(_ s: Substring, tabs: Bool = true) -> Substring {
    let u = s.utf8
    var i = u.startIndex
    while i < u.endIndex, u[i] == 0x20 || (tabs && u[i] == 0x09) { u.formIndex(after: &i) }
    return s[i...]
  }

  /// Whether `s` starts with the ASCII `prefix`.
  package static func starts(_ s: Substring, with prefix: StaticString) -> Bool {
    let u = s.utf8
    let count = prefix.utf8CodeUnitCount
    guard u.count >= count else { return false }
    var i = u.startIndex
    for k in 0..<count {
      if u[i] != prefix.utf8Start[k] { return false }
      u.formIndex(after: &i)
    }
    return true
  }

  /// Skips `[<ffffffff81000000>]` (or `[ffff...]`) and the blanks after it.
  package static func skipPC(_ s: Substring) -> Substring? {
    let u = s.utf8
    var i = u.startIndex
    guard i < u.endIndex, u[i] == 0x5B else { return nil }  // [
    u.formIndex(after: &i)
    if i < u.endIndex, u[i] == 0x3C { u.formIndex(after: &i) }  // <
    if starts(s[i...], with: "0x") { i = u.index(i, offsetBy: 2) }
    let digits = i
    while i < u.endIndex, isHex(u[i]) { u.formIndex(after: &i) }
    guard i > digits else { return nil }
    if i < u.endIndex, u[i] == 0x3E { u.formIndex(after: &i) }  // >
    guard i < u.endIndex, u[i] == 0x5D else { return nil }  // ]
    return s[u.index(after: i)...]
  }

  /// A stack frame line: blanks, up to two `[<pc>]`, then `func+0x..`. `questionable` frames
  /// (`? func`) are the unwinder's guesses.
  package static func frame(_ line: Substring, allowQuestionable: Bool = false) -> String? {
    var s = skipBlanks(line)
    for _ in 0..<2 {
      guard let rest = skipPC(s) else { break }
      s = skipBlanks(rest)
    }
    if starts(s, with: "? ") {
      guard allowQuestionable else { return nil }
      s = skipBlanks(s.dropFirst(2), tabs: false)
    }
    return function(at: s)?.name
  }

  /// The frames a stack line names: one for x86 and most others; arm's
  /// `[<pc>] (caller) from [<pc>] (callee+0x1/0x2)` names two.
  package static func frames(_ line: Substring, allowQuestionable: Bool = false) -> [String] {
    if let name = frame(line, allowQuestionable: allowQuestionable) { return [name] }
    var s = skipBlanks(line, tabs: false)
    guard let afterPC = skipPC(s), afterPC.hasPrefix(" (") else { return [] }
    s = afterPC.dropFirst(2)
    let first = s.prefix { $0.asciiValue.map(isIdent) ?? false || $0 == "." }
    guard !first.isEmpty, s[first.endIndex...].hasPrefix(") from ") else { return [] }
    s = s[first.endIndex...].dropFirst(7)
    guard let next = skipPC(s), next.hasPrefix(" (") else { return [String(first)] }
    guard let callee = function(at: next.dropFirst(2)) else { return [String(first)] }
    return [String(first), callee.name]
  }

  package static func isQuestionable(_ line: Substring) -> Bool {
    let u = line.utf8
    if u.count >= 13, starts(line[u.index(u.endIndex, offsetBy: -13)...], with: " (unreliable)") { return true }  // powerpc's guesses
    guard line.has(" ? ") || starts(line, with: "? ") else { return false }
    var s = skipBlanks(line)
    if let rest = skipPC(s) { s = skipBlanks(rest, tabs: false) }
    return starts(s, with: "? ") && !line.has("<EOI>")
  }

  /// syzkaller's RIP frame: `RIP: 0010:func+0x..`, `IP: [<..>] func+0x..`, `pc : func+0x..`,
  /// `PC is at func+0x..`; a user-space or null RIP matches without a frame.
  package static func rip(_ line: Substring) -> [String]? {
    for key in ["IP: ", "pc : ", "PC is at ", "NIP: "] {
      guard let r = line.find(key) else { continue }
      var s = line[r.upperBound...].drop { $0 == " " }
      // `0010:` segment
      let seg = s.prefix { $0.isNumber }
      if !seg.isEmpty, s[seg.endIndex...].first == ":" { s = s[s.index(after: seg.endIndex)...] }
      if s.hasPrefix("0x") { return [] }
      for _ in 0..<2 {
        guard let rest = skipPC(s) else { break }
        s = rest.drop { $0 == " " }
      }
      if s.hasPrefix("(null)") || s.hasPrefix("[<") { return [] }
      if let f = function(at: s) { return [f.name] }
    }
    return nil
  }

  package static func literal(_ text: String) -> @Sendable (Substring) -> [String]? {
    { $0.has(text) ? [] : nil }
  }

  /// `at: func+0x..` (lockdep's lock sites), possibly `at: [<pc>] func+0x..`.
  package static func lockSite(_ line: Substring) -> [String]? {
    guard let r = line.find("at: ") else { return nil }
    var s = line[r.upperBound...].drop { $0 == " " }
    if let rest = skipPC(s) { s = rest.drop { $0 == " " } }
    return function(at: s).map { [$0.name] }
  }

  /// `{{PC}} +{{FUNC}}`: a frame printed with its address.
  package static func pcFrame(_ line: Substring) -> [String]? {
    guard let r = line.find("[<") ?? line.find("[") else { return nil }
    guard let rest = skipPC(line[r.lowerBound...]) else { return nil }
    let s = rest.drop { $0 == " " }
    guard s.count < rest.count || rest.isEmpty == false else { return nil }
    return function(at: s).map { [$0.name] }
  }

  package static func isCallTrace(_ line: Substring) -> Bool {
    line.has("Call Trace") || line.has("Call trace") || line.has("Backtrace:")
  }

  /// Lines that open a stack trace (syzkaller's stack keywords).
  package static func startsStack(_ line: Substring) -> Bool {
    if isCallTrace(line) { return true }
    if line.has("Allocated:") || line.has("Freed:") { return true }
    if line.has("Allocated by task ") || line.has("Freed by task ") { return true }
    if line.has("Uninit was stored to memory at") { return true }
    if let r = line.find(" backtrace:") {
      return r.lowerBound > line.startIndex && line[line.index(before: r.lowerBound)] != "k"
    }
    return false
  }

  /// Fault injection stacks are interleaved with reports.
  package static func isCorruptingLine(_ line: Substring) -> Bool {
    guard line.has("should_fail") else { return false }
    guard let name = frame(line) else { return false }
    return name == "should_fail" || name == "should_failslab"
  }

  /// `file.c:123` in the text (syzkaller's {{SRC}}).
  package static func source(_ s: Substring) -> String? {
    var i = s.startIndex
    while let colon = s[i...].firstIndex(of: ":") {
      let before = s[..<colon].reversed().prefix { $0.isLetter || $0.isNumber || "-_/.".contains($0) }
      let path = String(before.reversed())
      let after = s[s.index(after: colon)...].prefix { $0.isNumber }
      if !after.isEmpty, let dot = path.lastIndex(of: "."), path[path.index(after: dot)...].allSatisfy({ $0.isLowercase }),
        path.index(after: dot) < path.endIndex
      {
        return path + ":" + after
      }
      i = s.index(after: colon)
    }
    return nil
  }

  /// The text after `key` up to the end of the line.
  package static func after(_ key: String, in s: Substring) -> Substring? {
    s.find(key).map { s[$0.upperBound...] }
  }

  /// `KIND in func+0x..` → (KIND, func), with KIND of `[a-z-]+`.
  package static func kindIn(_ s: Substring) -> (String, String?)? {
    let kind = s.prefix { $0.isLowercase || $0 == "-" }
    guard !kind.isEmpty else { return nil }
    let rest = s[kind.endIndex...]
    guard rest.hasPrefix(" in ") else { return (String(kind), nil) }
    return (String(kind), function(at: rest.dropFirst(4))?.name)
  }
}

// MARK: - Skip lists

package enum SkipList {
  /// Frames no title names (syzkaller's skip patterns): `^x` a prefix, `x$` a suffix, `^x$`
  /// the whole name, otherwise a substring.
  package static let common: [String] =
    [
      "__sanitizer", "__asan", "kasan", "__msan", "kmsan", "kcsan_setup_watchpoint", "check_memory_region",
      "check_heap_object", "check_object", "read_word_at_a_time", "print_address_description", "panic",
      "invalid_op", "report_bug", "fixup_bug", "print_report", "print_usage_bug", "do_error", "_trap$", "do_trap",
      "show_stack", "dump_stack", "walk_stack", "dump_backtrace", "warn_slowpath", "warn_alloc", "warn_bogus",
      "__warn", "alloc_page", "malloc", "zalloc", "calloc", "krealloc", "kmem_cache", "allocate_slab", "slab_",
      "debug_object", "timer_is_static_object", "work_is_static_object", "__might_fault", "print_unlock",
      "imbalance_bug", "lockdep", "bh_enable", "bh_disable", "perf_trace", "lock_acquire", "lock_release",
      "lock_class", "mark_lock", "reacquire_held_locks", "mark_held_locks", "raw_spin_rq", "spin_lock",
      "spin_trylock", "spin_unlock", "read_lock", "read_trylock", "write_lock", "write_trylock", "read_unlock",
      "write_unlock", "^down$", "down_read", "down_write", "down_trylock", "up_read", "up_write", "^mutex_",
      "^__mutex_", "^rt_mutex_", "owner_on_cpu", "osq_lock", "osq_unlock", "set_bit", "clear_bit", "change_bit",
      "test_bit", "__wake_up", "^refcount_", "^kref_", "ref_tracker", "seqprop_assert", "memcpy", "memcmp",
      "memset", "memchr", "memmove", "memdup", "strcmp", "strncmp", "strcpy", "strlcpy", "strncpy", "strscpy",
      "strlen", "strnstr", "strnlen", "strchr", "strdup", "strndup", "copy_to_user", "copy_from_user",
      "copy_to_iter", "copy_from_iter", "^copyin$", "^copyout$", "put_user", "get_user", "might_fault",
      "might_sleep", "list_add", "list_del", "list_replace", "list_move", "list_splice", "^rb_", "^__rb_",
      "_indirect_thunk_", "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk",
      "va_format", "dev_info", "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit", "dev_emerg",
      "program_check_exception", "program_check_common", "del_timer", "flush_work", "__cancel_work_timer",
      "cancel_work_sync", "try_to_grab_pending", "flush_workqueue", "drain_workqueue", "destroy_workqueue",
      "queue_work", "finish_wait", "kthread_stop", "kobject_", "add_uevent_var", "get_device_parent",
      "device_add", "device_del", "device_unregister", "device_destroy",
      // the kobject release function; device_release_driver*() is where drivers are unbound, a hang site worth naming.
      "^device_release$", "devres_release_all",
      "hwrng_unregister", "i2c_del_adapter", "__unregister_client", "device_for_each_child",
      "rollback_registered", "unregister_netdev", "sysfs_remove", "device_remove_file", "tty_unregister_device",
      "dummy_urb_enqueue", "usb_kill_urb", "usb_kill_anchored_urbs", "usb_control_msg", "usb_hcd_submit_urb",
      "usb_submit_urb", "^complete$", "wait_for_completion", "^kfree$", "^kvfree$", "kfree_skb", "readb$",
      "readw$", "readl$", "readq$", "writeb$", "writew$", "writel$", "writeq$", "logic_in", "logic_out",
      "crc_itu_t", "__might_resched", "assertfail", "^iput$", "^iput_final$", "^ihold$", "hex_dump_to_buffer",
      "print_hex_dump", "^klist_", "trace_hardirq", "trace_softirq", "lockdep_hardirq", "lockdep_softirq",
      "^lock_page", "^unlock_page", "stack_trace_consume_entry", "arch_stack_walk", "stack_trace_save",
      "insert_work", "__queue_delayed_work", "queue_delayed_work_on", "do_kernel_fault",
      "do_translation_fault", "do_mem_abort", "el1_abort", "el1h_64_sync", "print_tainted",
      // Newer kernels' names for the same helpers: the page allocator, hwasan checks, fortify
      // and timer-base locking report where they were called from, not themselves.
      "alloc_pages", "alloc_frozen_pages", "__hwasan", "fortify", "lock_timer_base", "timer_delete", "__mod_timer",
      "^mod_timer$", "sk_stop_timer", "sk_reset_timer", "^folio_lock", "^folio_unlock", "^__folio_lock", "__phys_addr",
      "copy_page_to_iter", "copy_page_from_iter", "^drop_nlink$", "^inc_nlink$", "^clear_nlink$", "^set_nlink$",
      "mark_buffer_dirty", "^dput$", "fast_dput",
    ]
    + ["dec", "inc", "read", "set", "or", "xor", "and", "add", "sub", "fetch", "xchg", "cmpxchg", "try"]
    .flatMap { ["atomic_\($0)", "atomic64_\($0)"] }

  package static func matches(_ name: String, _ pattern: String) -> Bool {
    let anchoredStart = pattern.hasPrefix("^")
    let anchoredEnd = pattern.hasSuffix("$")
    let core = pattern.dropFirst(anchoredStart ? 1 : 0).dropLast(anchoredEnd ? 1 : 0)
    switch (anchoredStart, anchoredEnd) {
    case (true, true): return name == core
    case (true, false): return name.hasPrefix(core)
    case (false, true): return name.hasSuffix(core)
    case (false, false): return name.has(String(core))
    }
  }

  /// A skip list split by anchoring, so a frame is checked with byte searches.
  package struct Compiled: Sendable {
    package var exact: Set<String> = []
    package var prefixes: [String] = []
    package var suffixes: [String] = []
    package var substrings: [String] = []
    /// The substrings' bytes by their first byte: a frame is read once, each of its bytes
    /// tried against the few patterns starting with it (one byte search per pattern read
    /// the frame some 250 times and was most of the analyzer's time in stack traces).
    package var byFirstByte: [[[UInt8]]] = Array(repeating: [], count: 256)
    /// An empty pattern is in every name (a byte search finds it at 0).
    package var hasEmpty = false

    package init(_ patterns: [String]) {
      for pattern in patterns {
        let start = pattern.hasPrefix("^")
        let end = pattern.hasSuffix("$")
        let core = String(pattern.dropFirst(start ? 1 : 0).dropLast(end ? 1 : 0))
        switch (start, end) {
        case (true, true): exact.insert(core)
        case (true, false): prefixes.append(core)
        case (false, true): suffixes.append(core)
        case (false, false): substrings.append(core)
        }
      }
      hasEmpty = substrings.contains(where: \.isEmpty)
      for pattern in substrings {
        let bytes = Array(pattern.utf8)
        if let first = bytes.first { byFirstByte[Int(first)].append(bytes) }
      }
    }

    package func matches(_ name: String) -> Bool {
      if exact.contains(name) { return true }
      if prefixes.contains(where: { name.hasPrefix($0) }) || suffixes.contains(where: { name.hasSuffix($0) }) { return true }
      var name = name
      return name.withUTF8 { h in
        if hasEmpty { return true }
        for start in h.indices {
          for pattern in byFirstByte[Int(h[start])] where pattern.count <= h.count - start {
            var same = true
            for (k, byte) in pattern.enumerated().dropFirst() where h[start + k] != byte {
              same = false
              break
            }
            if same { return true }
          }
        }
        return false
      }
    }
  }

  package static let compiledCommon = Compiled(common)

  package static func skips(_ name: String, _ extra: [String]) -> Bool {
    if name.hasPrefix("crc"), name.dropFirst(3).first?.isNumber == true { return true }
    if name.has("_once_"), name.has("nocheck") { return true }
    return compiledCommon.matches(name) || (!extra.isEmpty && extra.contains { matches(name, $0) })
  }

  /// Syscall wrappers' prefixes, removed in this order (syzkaller's stripFramePrefixes).
  package static let strippedPrefixes = [
    "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_", "__se_",
    "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
  ]

  package static func strip(_ name: String) -> String {
    var name = name
    for prefix in strippedPrefixes where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
    return name
  }

  /// Where a stall's loop was entered from: a syscall, a work item, a timer, a file operation.
  package static let stallAnchors: [String] = [
    "process_one_work", "do_syscall_", "do_fast_syscall_", "sysenter_dispatch", "tracesys_phase2",
    "el0_svc_handler", "invoke_syscall", "ret_fast_syscall", "netif_receive_skb", "do_softirq",
    "call_timer_fn", "_run_timers", "run_timer_softirq", "hrtimer_run", "run_ksoftirqd", "smpboot_thread_fn",
    "^kthread$", "start_secondary", "cpu_startup_entry", "ret_from_fork", "vfs_write", "vfs_read",
    "vfs_iter_read", "vfs_iter_write", "do_iter_read", "do_iter_write", "call_read_iter", "call_write_iter",
    "new_sync_read", "new_sync_write", "vfs_ioctl", "ksys_ioctl", "compat_ioctl", "compat_sys_ioctl",
    "blkdev_driver_ioctl", "blkdev_ioctl", "do_iter_readv_writev", "^call_mmap", "mmap_region", "do_mmap",
    "do_dentry_open", "vfs_open", "^sock_sendmsg", "^sock_recvmsg", "^sock_release", "^__sock_release",
    "^setsockopt$", "kernel_setsockopt", "sock_common_setsockopt", "^listen$", "kernel_listen",
    "sk_common_release", "^sock_mmap", "^accept$", "kernel_accept", "^sock_do_ioctl", "^sock_ioctl",
    "^compat_sock_ioctl", "^nfnetlink_rcv_msg", "^rtnetlink_rcv_msg", "^netlink_dump", "^socketpair",
    "^connect", "^ioctl", "^sys_socketpair", "^sys_connect", "^sys_ioctl", "__do_fault", "do_page_fault",
    "^page_fault$", "__fput", "task_work_run", "exit_to_usermode", "smp_call_function", "tasklet_action",
    "tasklet_hi_action",
  ]

  package static func pick(_ frames: [String], _ extractor: FrameExtractor) -> String? {
    guard let first = frames.first else { return nil }
    switch extractor {
    case .first:
      return first
    case .stall:
      var previous = first
      for frame in frames {
        if stallAnchors.contains(where: { matches(frame, $0) }) {
          return frame.has("smp_call_function") ? "smp_call_function" : previous
        }
        previous = frame
      }
      // A trace cut short before any anchor: the innermost frame read is still the best guess.
      return first
    case .hang:
      for frame in frames {
        if frame.has("rtnl_lock") { return frame }
        for anchor in ["synchronize_rcu", "synchronize_srcu", "synchronize_net", "synchronize_sched"]
        where frame.has(anchor) {
          return "synchronize_rcu"
        }
      }
      let waiting = [
        "sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait", "synchronize",
        "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier",
      ]
      return frames.first { frame in !waiting.contains { frame.has($0) } }
    }
  }
}

// MARK: - Fast substring search

extension StringProtocol {
  /// `contains(needle)` on the UTF-8 bytes (memchr + memcmp): Foundation's `contains` goes
  /// through NSString and dominated the parser's time.
  @inline(__always) package func has(_ needle: String) -> Bool {
    var needle = needle
    return needle.withUTF8 { n in
      if let found = utf8.withContiguousStorageIfAvailable({ h in ByteSearch.find(n, in: h) != nil }) { return found }
      return String(self).utf8.withContiguousStorageIfAvailable { h in ByteSearch.find(n, in: h) != nil } ?? false
    }
  }
}

extension Substring {
  /// `range(of: needle)` on the UTF-8 bytes.
  @inline(__always) package func find(_ needle: String) -> Range<Index>? {
    var needle = needle
    let length = needle.utf8.count
    let offset: Int? = needle.withUTF8 { n in
      utf8.withContiguousStorageIfAvailable { h in ByteSearch.find(n, in: h) } ?? String(self).utf8.withContiguousStorageIfAvailable { h in
        ByteSearch.find(n, in: h)
      } ?? nil
    }
    guard let offset else { return nil }
    let lower = utf8.index(startIndex, offsetBy: offset)
    return lower..<utf8.index(lower, offsetBy: length)
  }
}

package enum ByteSearch {
  /// Offset of `needle` in `haystack`.
  package static func find(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let n = needle.baseAddress, let h = haystack.baseAddress else { return needle.isEmpty ? 0 : nil }
    let count = needle.count
    guard count > 0 else { return 0 }
    guard haystack.count >= count else { return nil }
    var pos = 0
    let last = haystack.count - count
    while pos <= last, let hit = memchr(h + pos, Int32(n[0]), last - pos + 1) {
      let offset = hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: h)
      if memcmp(h + offset, n, count) == 0 { return offset }
      pos = offset + 1
    }
    return nil
  }
}

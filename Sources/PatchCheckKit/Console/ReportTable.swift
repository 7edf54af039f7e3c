// The table of kernel report families and formats (see ReportFormats.swift for the types).
// Order matters the way it does in the kernel's output: a header line belongs to the first
// family whose literal it holds, and to that family's first format that matches.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

extension ReportFormat {
  /// A format recognised by a literal in the header, with no captures.
  package static func when(
    _ kind: Splat.Kind, _ literal: String, _ template: String, stack: StackSpec? = nil, corrupted: Bool = false
  ) -> ReportFormat {
    ReportFormat(
      kind: kind, match: { header, _ in header.has(literal) ? [] : nil }, template: template, stack: stack, corrupted: corrupted)
  }
}

extension StackSpec {
  /// Frames after `Call Trace:`.
  package static func trace(skip: [String] = [], _ extractor: FrameExtractor = .first) -> StackSpec {
    StackSpec(parts: [.find { Match.isCallTrace($0) ? [] : nil }, .trace], skip: skip, extractor: extractor)
  }

  /// The faulting RIP, then the call trace.
  package static func rip(skip: [String] = [], _ extractor: FrameExtractor = .first) -> StackSpec {
    StackSpec(parts: [.find(Match.rip), .find { Match.isCallTrace($0) ? [] : nil }, .trace], skip: skip, extractor: extractor)
  }

  package static let ripOnly = StackSpec(parts: [.find(Match.rip)])

  /// WARNINGs: the trapping RIP and what follows it, or else the call trace.
  package static func warning(skip: [String] = []) -> StackSpec {
    StackSpec(
      parts: [.find { Match.rip($0) ?? Match.interrupt($0) }, .trace],
      parts2: [.find { Match.isCallTrace($0) ? [] : nil }, .trace], skip: skip)
  }

  /// The first `at: func` lock site after `marker`.
  package static func lockSite(after marker: String) -> StackSpec {
    StackSpec(parts: [.find(Match.literal(marker)), .find(Match.lockSite)], skipsFrames: false)
  }

  /// The first `[<pc>] func` after `marker`.
  package static func pcFrame(after marker: String) -> StackSpec {
    StackSpec(parts: [.find(Match.literal(marker)), .find(Match.pcFrame)], skipsFrames: false)
  }
}

extension Match {
  /// powerpc's `--- interrupt: 700 at func+0x..`.
  package static func interrupt(_ line: Substring) -> [String]? {
    guard let rest = after("--- interrupt: ", in: line), let at = rest.find(" at ") else { return nil }
    return function(at: rest[at.upperBound...]).map { [$0.name] }
  }

}

package enum ReportTable {
  package static func kasanAccess(_ body: [Substring]) -> String? {
    for line in body.prefix(12) {
      for key in ["Read of size", "Write of size", "Read at addr", "Write at addr"] where line.has(key) {
        return key.hasPrefix("Read") ? "Read" : "Write"
      }
    }
    return nil
  }

  package static let bug = ReportFamily(
    header: "BUG:",
    formats: [
      ReportFormat(
        kind: .kasan,
        match: { header, body in
          guard let rest = Match.after("BUG: KASAN: ", in: header), let (kind, fn) = Match.kindIn(rest), let fn,
            let access = kasanAccess(body)
          else { return nil }
          return [kind, fn, access]
        }, template: "KASAN: {1} {3} in {4}",
        stack: StackSpec(
          parts: [
            .find { line in Match.after("BUG: KASAN: ", in: line).flatMap { Match.kindIn($0)?.1 }.map { [$0] } },
            .find { Match.isCallTrace($0) ? [] : nil }, .trace,
          ], skip: ["kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"])),
      ReportFormat(
        kind: .kasan,
        match: { header, _ in
          for key in ["double-free or invalid-free in ", "double-free in ", "invalid-free in "] {
            if let rest = Match.after("BUG: KASAN: " + key, in: header), let fn = Match.function(at: rest) { return [fn.name] }
          }
          return nil
        }, template: "KASAN: invalid-free in {2}",
        stack: StackSpec(
          parts: [
            .find { line in
              guard line.has("BUG: KASAN: "), let r = line.find("free in ") else { return nil }
              return Match.function(at: line[r.upperBound...]).map { [$0.name] }
            }, .find { Match.isCallTrace($0) ? [] : nil }, .trace,
          ], skip: ["slab_", "kfree", "vunmap", "vfree"])),
      ReportFormat(
        kind: .kasan,
        match: { header, body in
          guard let rest = Match.after("BUG: KASAN: ", in: header), let (kind, _) = Match.kindIn(rest),
            rest.dropFirst(kind.count).hasPrefix(" on address"), let access = kasanAccess(body)
          else { return nil }
          return [kind, access]
        }, template: "KASAN: {1} {2}"),
      ReportFormat(
        kind: .kasan, match: { header, _ in Match.after("BUG: KASAN: ", in: header).map { [String($0)] } },
        template: "KASAN: {1}", corrupted: true),
      ReportFormat(
        kind: .kmsan,
        match: { header, _ in
          guard let rest = Match.after("BUG: KMSAN: ", in: header), let (kind, fn) = Match.kindIn(rest) else { return nil }
          return [kind, fn ?? ""]
        }, template: "KMSAN: {1} in {3}",
        stack: StackSpec(
          parts: [
            .trace,
            .find { $0.has("Uninit was created at:") || ($0.has("Local variable ") && $0.has(" created at:")) ? [] : nil },
            .trace,
          ],
          skip: [
            "alloc_skb", "netlink_ack", "netlink_rcv_skb", "usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg",
            "usb_interrupt_msg", "usb_control_msg",
          ])),
      ReportFormat(
        kind: .kcsan, match: { header, _ in Match.after("BUG: KCSAN: ", in: header).map { [String($0)] } },
        template: "KCSAN: {1}"),
      ReportFormat(
        kind: .kfence,
        match: { header, _ in
          guard let rest = Match.after("BUG: KFENCE: ", in: header) else { return nil }
          for what in ["use-after-free", "out-of-bounds"] where rest.hasPrefix(what + " ") {
            let access = rest.dropFirst(what.count + 1).prefix { $0.isLowercase || $0 == "-" }
            guard let r = rest.find(" in "), let fn = Match.function(at: rest[r.upperBound...]) else { return nil }
            return [what, String(access), fn.name]
          }
          return nil
        }, template: "KFENCE: {1} {2} in {4}", stack: kfenceStack),
      ReportFormat(
        kind: .kfence,
        match: { header, _ in
          Match.after("BUG: KFENCE: invalid free in ", in: header).flatMap { Match.function(at: $0) }.map { [$0.name] }
        }, template: "KFENCE: invalid free in {2}", stack: kfenceStack),
      ReportFormat(
        kind: .kfence,
        match: { header, _ in
          for access in ["read", "write"] {
            if let rest = Match.after("BUG: KFENCE: invalid \(access) in ", in: header), let fn = Match.function(at: rest) {
              return [access, fn.name]
            }
          }
          return nil
        }, template: "KFENCE: invalid {1} in {3}", stack: kfenceStack),
      ReportFormat(
        kind: .kfence,
        match: { header, _ in
          Match.after("BUG: KFENCE: memory corruption in ", in: header).flatMap { Match.function(at: $0) }.map { [$0.name] }
        }, template: "KFENCE: memory corruption in {2}", stack: kfenceStack),
      ReportFormat(
        kind: .nullDeref,
        match: { header, _ in
          [
            "BUG: unable to handle kernel paging request", "BUG: unable to handle page fault for address",
            "BUG: Unable to handle kernel data access",
          ]
          .contains { header.has($0) } ? [] : nil
        }, template: "BUG: unable to handle kernel paging request in {1}", stack: .rip()),
      ReportFormat(
        kind: .nullDeref,
        match: { header, _ in
          [
            "BUG: unable to handle kernel NULL pointer dereference", "BUG: kernel NULL pointer dereference",
            "BUG: Kernel NULL pointer dereference",
          ]
          .contains { header.has($0) } ? [] : nil
        }, template: "BUG: unable to handle kernel NULL pointer dereference in {1}", stack: .rip()),
      ReportFormat(
        kind: .nullDeref,
        match: { header, _ in header.has("BUG: unable to handle kernel") || header.has("BUG: Unable to handle kernel") ? [] : nil
        },
        template: "BUG: unable to handle kernel", corrupted: true),
      ReportFormat(
        kind: .lockdepOther,
        match: { header, _ in
          guard let rest = Match.after("BUG: ", in: header) else { return nil }
          for lock in ["spinlock", "rwlock"] where rest.hasPrefix(lock + " ") {
            let what = rest.dropFirst(lock.count + 1)
            for problem in [
              "lockup suspected", "already unlocked", "recursion", "cpu recursion", "bad magic", "wrong owner", "wrong CPU",
              "trylock failure on UP",
            ] where what.hasPrefix(problem) {
              return [lock, problem]
            }
          }
          return nil
        }, template: "BUG: {1} {2} in {3}", stack: .trace(skip: ["spin_", "_lock", "_unlock"])),
      .when(.softLockup, "BUG: soft lockup", "BUG: soft lockup in {1}", stack: .rip(.stall)),
      ReportFormat(
        kind: .lockdepOther, match: { header, _ in header.has("still has locks held!") ? [] : nil },
        template: "BUG: still has locks held in {1}",
        stack: StackSpec(
          parts: [
            .find { $0.has("still has locks held!") ? [] : nil }, .find { Match.pcFrame($0) ?? Match.lockSite($0) },
          ], skipsFrames: false)),
      .when(.atomicSleep, "BUG: scheduling while atomic", "BUG: scheduling while atomic in {1}", stack: .trace(skip: ["schedule"])),
      .when(
        .lockdepOther, "BUG: lock held when returning to user space", "BUG: lock held when returning to user space in {1}",
        stack: .lockSite(after: "leaving the kernel with locks still held")),
      .when(
        .lockdepOther, "BUG: bad unlock balance detected!", "BUG: bad unlock balance in {1}",
        stack: StackSpec(parts: [.find(Match.pcFrame), .find { Match.isCallTrace($0) ? [] : nil }, .trace])),
      .when(.lockdepOther, "BUG: held lock freed!", "BUG: held lock freed in {1}", stack: .pcFrame(after: "BUG: held lock freed!")),
      .when(.kernelBug, "BUG: Bad rss-counter state", "BUG: Bad rss-counter state"),
      .when(.kernelBug, "BUG: non-zero nr_ptes on freeing mm", "BUG: non-zero nr_ptes on freeing mm"),
      .when(.kernelBug, "BUG: non-zero nr_pmds on freeing mm", "BUG: non-zero nr_pmds on freeing mm"),
      ReportFormat(
        kind: .kernelBug,
        match: { header, _ in
          guard header.has("BUG: Dentry "), header.has(" still in use ") else { return nil }
          return header.has("[unmount of ") ? ["unmount"] : []
        }, template: "BUG: Dentry still in use in {1}"),
      .when(
        .kernelBug, "BUG: Bad page state", "BUG: Bad page state in {1}",
        stack: StackSpec(
          parts: [.find { $0.has("page last allocated via") || $0.has("page allocated via") ? [] : nil }, .trace],
          // Without page_owner: who freed or mapped the page, past the page allocator.
          parts2: [.find { Match.isCallTrace($0) ? [] : nil }, .trace],
          skip: [
            "alloc", "post_alloc_hook", "get_page_from_freelist", "page_pool", "prep_new_page", "__folio", "folio_", "bad_page",
            "free_page", "free_unref", "__free_", "check_new_page", "release_pages", "put_page",
          ])),
      .when(.kernelBug, "BUG: Bad page map", "BUG: Bad page map"),
      .when(.softLockup, "BUG: workqueue lockup", "BUG: workqueue lockup"),
      .when(
        .atomicSleep, "BUG: sleeping function called from invalid context", "BUG: sleeping function called from invalid context in {1}",
        stack: .trace()),
      ReportFormat(
        kind: .atomicSleep,
        match: { header, _ in
          guard let rest = Match.after("BUG: using ", in: header), let paren = rest.find("() in preemptible") else { return nil }
          let name = rest[..<paren.lowerBound]
          return name.allSatisfy({ $0.isLowercase || $0 == "_" }) ? [String(name)] : nil
        }, template: "BUG: using {1}() in preemptible code in {2}",
        stack: .trace(skip: ["dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"])),
      .when(
        // Older kernels: "BUG: workqueue leaked lock or atomic: ..." then "last function: f";
        // 6.x: "BUG: workqueue leaked atomic, lock or RCU: ..." then "... workfn=f".
        .lockdepOther, "BUG: workqueue leaked ", "BUG: workqueue leaked lock or atomic in {1}",
        stack: StackSpec(
          parts: [
            .find { line in
              guard let rest = Match.after("last function: ", in: line) ?? Match.after(" workfn=", in: line) else { return nil }
              let name = rest.prefix { $0.asciiValue.map(Match.isIdent) ?? false }
              return name.isEmpty ? nil : [String(name)]
            }
          ], skipsFrames: false)),
      .when(
        .memoryLeak, "BUG: memory leak", "memory leak in {1}",
        stack: StackSpec(
          parts: [.find { $0.has("backtrace:") || $0.has("backtrace (crc") ? [] : nil }, .trace],
          skip: [
            "kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get", "list_lru_init", "kasprintf", "kvasprintf",
            "pcpu_create", "strdup", "strndup", "memdup",
          ])),
      .when(.kernelBug, "stack guard page was hit at", "BUG: stack guard page was hit in {1}", stack: .rip(.stall)),
      .when(.lockdepOther, "BUG: Invalid wait context", "WARNING: locking bug in {1}", stack: .trace(skip: ["lock_sock", "release_sock"])),
      // lockdep's table-size reports name no function: the line is the title.
      ReportFormat(
        kind: .lockdepOther,
        match: { header, _ in header.hasPrefix("BUG: MAX_") && header.has(" too low") ? [String(header)] : nil },
        template: "{1}"),
      ReportFormat(
        kind: .kernelBug, match: { header, _ in header.dropFirst(4).allSatisfy(\.isWhitespace) ? [] : nil }, template: "BUG: corrupted",
        corrupted: true),
    ],
    benign: ["ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:", "BUG: no syscalls can create resource"], wordStart: true)

  package static let kfenceStack = StackSpec(parts: [
    .find { line in
      guard line.has("BUG: KFENCE: "), let r = line.find(" in ") else { return nil }
      return Match.function(at: line[r.upperBound...]).map { [$0.name] }
    }, .trace,
  ])

  package static let warning = ReportFamily(
    header: "WARNING:",
    formats: [
      ReportFormat(
        kind: .warning,
        match: { header, _ in
          header.has("lib/debugobjects.c") && (header.has(" debug_print") || header.has(" debug_check")) ? [] : nil
        },
        template: "WARNING: ODEBUG bug in {1}",
        stack: .warning(skip: [
          "debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "vunmap", "vfree", "__free_", "debug_check", "kobject_",
        ])),
      .warningAt("mm/usercopy.c", " usercopy_warn", "WARNING: bad usercopy in {1}", skip: ["usercopy", "__check"]),
      .warningAt("lib/kobject.c", " kobject_", "WARNING: kobject bug in {1}", skip: ["kobject_"]),
      .warningAt("fs/proc/generic.c", " proc_register", "WARNING: proc registration bug in {1}", skip: ["proc_"]),
      .warningAt("lib/refcount.c", " refcount_", "WARNING: refcount bug in {1}", skip: ["refcount", "kobject_"]),
      .warningAt(
        "kernel/locking/lockdep.c", "lock_", "WARNING: locking bug in {1}", skip: ["lock_sock", "release_sock"], kind: .lockdepOther),
      .when(
        .lockdepOther, "still has locks held!", "WARNING: still has locks held in {1}", stack: .lockSite(after: "still has locks held!")),
      .when(
        .lockdepOther, "WARNING: Nested lock was not taken", "WARNING: nested lock was not taken in {1}",
        stack: StackSpec(
          parts: [.find(Match.literal("is trying to lock")), .find(Match.lockSite)],
          parts2: [.find { Match.isCallTrace($0) ? [] : nil }, .trace])),
      .when(
        .lockdepOther, "WARNING: lock held when returning to user space", "WARNING: lock held when returning to user space in {1}",
        stack: .lockSite(after: "leaving the kernel with locks still held")),
      .warningAt("mm/vmalloc.c", "__vmalloc_node", "WARNING: zero-size vmalloc in {1}", skip: []),
      ReportFormat(
        kind: .warning,
        match: { header, _ in
          // An allocation's warning (size, flags): the function warning is an allocator, not a free.
          guard let src = Match.source(header), src.hasPrefix("mm/"), let at = header.find(src) else { return nil }
          let function = header[at.upperBound...]
          guard function.has("malloc"), !function.has("free") else { return nil }
          return []
        }, template: "WARNING: kmalloc bug in {1}", stack: .warning(skip: ["kmalloc", "krealloc", "slab", "kmem"])),
      ReportFormat(
        kind: .warning, match: { header, _ in header.has(" usb_submit_urb") && header.has(" at ") ? [] : nil },
        template: "WARNING in {1}/usb_submit_urb",
        stack: .warning(skip: ["usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg", "usb_control_msg"])),
      // "WARNING: CPU: 0 PID: 1 at fs/x.c:12 func+0x1/0x2" and 6.x's "WARNING: fs/x.c:12 at func+0x1/0x2, CPU#0: task/1".
      ReportFormat(
        kind: .warning,
        match: { header, _ in
          guard let src = Match.source(header) else { return nil }
          if let r = header.find(" at \(src) "), Match.function(at: header[r.upperBound...]) != nil { return [src] }
          // 7.x: "WARNING: [cond] file.c:12 at func+0x1/0x2, CPU#0: task/1" (or "at 0x0" unsymbolised).
          if header.has("WARNING: \(src) at ") || (header.hasPrefix("WARNING: [") && header.has("] \(src) at ")) { return [src] }
          return nil
        }, template: "WARNING in {2}", stack: .warning()),
      .when(
        .lockdepCircular, "WARNING: possible circular locking dependency detected", "possible deadlock in {1}",
        stack: StackSpec(
          parts: [.find(Match.lockSite), .find(Match.lockSite), .trace],
          skip: ["process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"])),
      .when(
        .lockdepOther, "WARNING: possible irq lock inversion dependency detected", "possible deadlock in {1}",
        stack: .lockSite(after: "just changed the state of lock")),
      ReportFormat(
        kind: .lockdepOther,
        match: { header, _ in
          guard let safe = header.find("-safe -> "), header[safe.upperBound...].has("-unsafe lock order detected") else {
            return nil
          }
          return []
        }, template: "possible deadlock in {1}",
        stack: StackSpec(parts: [.find { $0.has("which became ") && $0.hasSuffix(" at:") ? [] : nil }, .trace])),
      .when(
        .lockdepRecursive, "WARNING: possible recursive locking detected", "possible deadlock in {1}",
        stack: .lockSite(after: "is trying to acquire lock")),
      .when(.lockdepOther, "WARNING: inconsistent lock state", "inconsistent lock state in {1}", stack: .trace()),
      .when(
        .lockdepOther, "WARNING: suspicious RCU usage", "WARNING: suspicious RCU usage in {1}",
        stack: .trace(skip: ["rcu", "kmem", "slab"])),
      ReportFormat(
        kind: .warning,
        match: { header, _ in
          guard let rest = Match.after("WARNING: kernel stack regs at ", in: header), let q = rest.find(" has bad '") else {
            return nil
          }
          let value = rest[q.upperBound...].prefix { $0 != "'" }
          return [String(value)]
        }, template: "WARNING: kernel stack regs has bad '{1}' value"),
      .when(.warning, "WARNING: kernel stack frame pointer at ", "WARNING: kernel stack frame pointer has bad value"),
      .when(
        .lockdepOther, "WARNING: bad unlock balance detected!", "WARNING: bad unlock balance in {1}",
        stack: StackSpec(parts: [.find(Match.pcFrame), .find { Match.isCallTrace($0) ? [] : nil }, .trace])),
      .when(
        .lockdepOther, "WARNING: held lock freed!", "WARNING: held lock freed in {1}",
        stack: StackSpec(
          parts: [
            .find { $0.has("WARNING: held lock freed!") ? [] : nil }, .find { Match.lockSite($0) ?? Match.pcFrame($0) },
          ], skipsFrames: false)),
      ReportFormat(
        kind: .warning, match: { header, _ in header.dropFirst(8).allSatisfy(\.isWhitespace) ? [] : nil }, template: "WARNING: corrupted",
        corrupted: true),
    ],
    benign: [
      "WARNING: /etc/ssh/moduli does not exist, using fixed modulus", "WARNING: workqueue cpumask: online intersect > possible intersect",
      "WARNING: The mand mount option", "WARNING: the mand mount option", "WARNING: Unsupported flag value(s) of 0x%x in DT_FLAGS_1",
      "WARNING: Unprivileged eBPF is enabled with eIBRS", "WARNING: fbcon: Driver '",
      // security/commoncap.c's pr_info "warning: `%s' uses deprecated v2 capabilities", upper-cased by syslog.
      "USES DEPRECATED V2 CAPABILITIES",
    ], wordStart: true)

  package static let info = ReportFamily(
    header: "INFO:",
    formats: [
      .when(
        .lockdepCircular, "INFO: possible circular locking dependency detected", "possible deadlock in {1}",
        stack: .lockSite(after: "is trying to acquire lock")),
      .when(
        .lockdepOther, "INFO: possible irq lock inversion dependency detected", "possible deadlock in {1}",
        stack: .lockSite(after: "just changed the state of lock")),
      .when(
        .lockdepOther, "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "possible deadlock in {1}",
        stack: .lockSite(after: "is trying to acquire")),
      .when(
        .lockdepRecursive, "INFO: possible recursive locking detected", "possible deadlock in {1}",
        stack: .lockSite(after: "is trying to acquire lock")),
      .when(.lockdepOther, "INFO: inconsistent lock state", "inconsistent lock state in {1}", stack: .lockSite(after: "takes")),
      ReportFormat(
        kind: .rcuStall,
        match: { header, _ in
          guard let rest = Match.after("INFO: rcu_", in: header) else { return nil }
          let flavour = rest.prefix { $0.isLowercase }
          guard ["preempt", "sched", "bh"].contains(String(flavour)) else { return nil }
          var tail = rest[flavour.endIndex...]
          guard tail.hasPrefix(" ") else { return nil }
          tail = tail.dropFirst()
          if tail.hasPrefix("self-") { tail = tail.dropFirst(5) }
          guard tail.hasPrefix("detected") else { return nil }
          tail = tail.dropFirst(8)
          if tail.hasPrefix(" expedited") { tail = tail.dropFirst(10) }
          return tail.hasPrefix(" stall") ? [] : nil
        }, template: "INFO: rcu detected stall in {1}",
        stack: StackSpec(
          parts: [.find(Match.literal("apic_timer_interrupt")), .find(Match.rip), .trace],
          parts2: [
            .find { $0.has("apic_timer_interrupt") || $0.has("Exception stack") || $0.has("el1h_64_irq") ? [] : nil },
            .trace,
          ], skip: ["apic_timer_interrupt", "rcu"], extractor: .stall)),
      .when(
        .lockdepOther, "INFO: trying to register non-static key", "INFO: trying to register non-static key in {1}",
        stack: .trace(skip: ["stack", "lock", "IRQ"])),
      .when(
        .lockdepOther, "INFO: suspicious RCU usage", "INFO: suspicious RCU usage in {1}", stack: .trace(skip: ["rcu", "kmem", "slab"])),
      ReportFormat(
        kind: .hungTask,
        match: { header, _ in
          guard let rest = Match.after("INFO: task ", in: header), rest.has(" for more than "),
            rest.hasSuffix(" seconds.") || rest.hasSuffix(" seconds")
          else { return nil }
          return rest.has(" blocked for more than ") || rest.has(" blocked in I/O wait for more than ") ? [] : nil
        }, template: "INFO: task hung in {1}", stack: .trace(.hang)),
      ReportFormat(
        kind: .hungTask,
        match: { header, _ in
          guard let rest = Match.after("INFO: task ", in: header), rest.has(" can't die for more than ") else { return nil }
          return []
        }, template: "INFO: task can't die in {1}", stack: .trace(skip: ["schedule"])),
      ReportFormat(
        kind: .kasan,
        match: { header, _ in
          for what in ["Freed", "Allocated"] { if let rest = Match.after("INFO: \(what) in ", in: header) { return [what, String(rest)] } }
          return nil
        }, template: "INFO: {1} in {2}", corrupted: true),
      ReportFormat(
        kind: .unrecognised, match: { header, _ in header.dropFirst(5).allSatisfy(\.isWhitespace) ? [] : nil }, template: "INFO: corrupted",
        corrupted: true),
    ],
    benign: [
      "INFO: lockdep is turned off", "INFO: Stall ended before state dump start", "INFO: NMI handler",
      "INFO: recovery required on readonly filesystem",
      "_INFO::", "INFO: no syscalls can create resource", "CAM_INFO:", "rmt_storage:INFO:",
      // hung_task.c's follow-up lines about who holds what the task waits for.
      " is blocked on a mutex likely owned by task", " blocked on an rw-semaphore likely owned by task",
      " is blocked on a semaphore likely last held by task",
      " is blocked on a ", "INFO: lockdep is turned off.",
    ],
    requires: { line in
      // "(handler|interrupt).*took too long" and pkg/host's "INFO: sys_.* is not present in /proc/kallsyms".
      if let took = line.find("took too long"),
        line[..<took.lowerBound].has("handler") || line[..<took.lowerBound].has("interrupt")
      {
        return false
      }
      return !(line.has("INFO: sys_") && line.has(" is not present in /proc/kallsyms"))
    }, wordStart: true)

  package static let all: [ReportFamily] = [
    bug, warning, info,
    ReportFamily(
      header: "Unable to handle kernel",
      formats: [
        ReportFormat(
          kind: .nullDeref,
          match: { header, _ in
            for what in ["paging request", "NULL pointer dereference", "access to user memory"]
            where header.hasPrefix("Unable to handle kernel \(what)") {
              return [what]
            }
            return nil
          }, template: "BUG: unable to handle kernel {1} in {2}", stack: .rip())
      ]),
    ReportFamily(
      header: "general protection fault",
      formats: [
        ReportFormat(
          kind: .gpf, match: { header, _ in header.has(":") ? [] : nil }, template: "general protection fault in {1}", stack: .rip())
      ],
      requires: { line in
        // User-space faults: "general protection fault ip:... sp:... error:0 in libc.so".
        !(line.has(" error:") && line.has(" in ") && line.has(" ip:"))
      }),
    ReportFamily(header: "stack segment: ", formats: [.when(.gpf, "stack segment: ", "stack segment fault in {1}", stack: .rip())]),
    ReportFamily(
      header: "Kernel panic",
      formats: [
        ReportFormat(
          kind: .panic,
          match: { header, _ in
            Match.after("Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ", in: header)
              .flatMap { Match.function(at: $0) }.map { _ in [] }
          }, template: "kernel panic: stack is corrupted in {1}",
          stack: StackSpec(parts: [
            .find { line in
              Match.after("Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ", in: line).flatMap {
                Match.function(at: $0)
              }.map { [$0.name] }
            }
          ])),
        .when(
          .panic, "Kernel panic - not syncing: stack-protector:", "kernel panic: stack is corrupted in {1}",
          stack: .trace(skip: ["stack_chk"])),
        .when(
          .panic, "Kernel panic - not syncing: corrupted stack end", "kernel panic: corrupted stack end in {1}",
          stack: .trace(skip: ["schedule", "retint_kernel"], .stall)),
        .when(
          .panic, "Kernel panic - not syncing: kernel stack overflow", "kernel stack overflow in {1}",
          stack: .trace(skip: ["bad_stack"], .stall)),
        .when(.panic, "Kernel panic - not syncing: Attempted to kill init!", "kernel panic: Attempted to kill init!"),
        .when(.panic, "Kernel panic - not syncing: Couldn't open N_TTY ldisc for ", "kernel panic: Couldn't open N_TTY ldisc"),
        .when(.panic, "Kernel panic - not syncing: Fatal exception", "kernel panic: Fatal exception", corrupted: true),
        .when(.panic, "Kernel panic - not syncing: panic_on_warn set", "kernel panic: panic_on_warn set", corrupted: true),
        .when(.panic, "Kernel panic - not syncing: hung_task: blocked tasks", "kernel panic: hung_task: blocked tasks", corrupted: true),
        ReportFormat(
          kind: .panic, match: { header, _ in Match.after("Kernel panic - not syncing: ", in: header).map { [String($0)] } },
          template: "kernel panic: {1}"),
      ], continuesReport: true),
    ReportFamily(
      header: "PANIC: double fault", formats: [.when(.kernelBug, "PANIC: double fault", "PANIC: double fault in {1}", stack: .ripOnly)],
      continuesReport: true),
    ReportFamily(
      header: "kernel BUG",
      formats: [
        .when(.kernelBug, "kernel BUG at mm/usercopy.c", "BUG: bad usercopy in {1}", stack: .trace(skip: ["usercopy", "__check"])),
        .when(.listCorruption, "kernel BUG at lib/list_debug.c", "BUG: corrupted list in {1}", stack: .trace()),
        .when(.kernelBug, "kernel BUG at ", "kernel BUG in {1}", stack: .rip(skip: ["^skb_"])),
      ]),
    ReportFamily(
      header: "Kernel BUG",
      formats: [
        ReportFormat(
          kind: .kernelBug, match: { h, _ in Match.after("Kernel BUG ", in: h).map { [String($0)] } }, template: "kernel BUG {1}")
      ]),
    ReportFamily(
      header: "BUG kmalloc-",
      formats: [
        ReportFormat(
          kind: .kernelBug, match: { h, _ in h.has(": Object already free") ? [] : nil }, template: "BUG: Object already free")
      ]),
    ReportFamily(header: "divide error:", formats: [.when(.gpf, "divide error: ", "divide error in {1}", stack: .ripOnly)]),
    ReportFamily(header: "divide_error:", formats: [.when(.gpf, "divide_error: ", "divide error in {1}", stack: .ripOnly)]),
    ReportFamily(
      header: "invalid opcode:", formats: [.when(.gpf, "invalid opcode: ", "invalid opcode in {1}", stack: .ripOnly)],
      continuesReport: true, continuesUntilEndOfTrace: true),
    // kernel/cfi.c's report_cfi_failure(): "CFI failure at CALLER (target: CALLEE; expected type:
    // 0x...)", then the trap goes on to die() (x86 "Oops: invalid opcode", arm64 "Internal error:
    // Oops - CFI", riscv "Kernel BUG") or, with CONFIG_CFI_PERMISSIVE, to __warn() ("WARNING: at
    // CALLER", no file). syzkaller has no format for the line and titles that oops (the line is
    // in its report's prefix), so the oops titles this report; with no oops a format knows (the
    // console lost it, or the WARNING names no file) the line does, corrupted when the oops is lost.
    ReportFamily(
      header: "CFI failure at ",
      formats: [
        ReportFormat(
          kind: .kernelBug,
          match: { header, _ in Match.after("CFI failure at ", in: header).flatMap { Match.function(at: $0) }.map { [$0.name] } },
          template: "CFI failure in {1}")
      ], introducesOops: true, wordStart: true),
    // kmemleak with verbose reporting prints each leak to the console (syzkaller's own
    // "BUG: memory leak" precedes the same text when it reads /sys/kernel/debug/kmemleak).
    ReportFamily(
      header: "unreferenced object 0x",
      formats: [
        .when(
          .memoryLeak, "unreferenced object 0x", "memory leak in {1}",
          stack: StackSpec(
            parts: [.find { $0.has("backtrace:") || $0.has("backtrace (crc") ? [] : nil }, .trace],
            skip: [
              "kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get", "list_lru_init", "kasprintf", "kvasprintf",
              "pcpu_create", "strdup", "strndup", "memdup",
            ]))
      ], continuesReport: true),
    ReportFamily(
      header: "new suspected memory leak",
      formats: [.when(.memoryLeak, "kmemleak: ", "memory leak")], continuesReport: true, failClosed: false),
    ReportFamily(header: "Oops: int3", formats: [.when(.gpf, "Oops: int3", "int3 in {1}", stack: .rip())]),
    ReportFamily(
      header: "UBSAN:",
      formats: [
        .when(.ubsan, "UBSAN: Undefined behaviour in", "UBSAN: undefined-behaviour in {1}", stack: .trace(skip: ["ubsan", "overflow"])),
        .when(
          .ubsan, "UBSAN: array-index-out-of-bounds in", "UBSAN: array-index-out-of-bounds in {1}",
          stack: .trace(skip: ["ubsan", "overflow"])),
        ReportFormat(
          kind: .ubsan,
          match: { header, _ in
            guard let rest = Match.after("UBSAN: ", in: header), let r = rest.find(" in") else { return nil }
            return [String(rest[..<r.lowerBound])]
          }, template: "UBSAN: {1} in {2}", stack: .trace(skip: ["ubsan", "overflow"])),
      ]),
    ReportFamily(
      header: "Booting the kernel.", formats: [.when(.reboot, "Booting the kernel.", "unexpected kernel reboot")],
      benign: ["Parsing ELF", "Decompressing Linux"]),
    ReportFamily(
      header: "unregister_netdevice: waiting for",
      formats: [.when(.other, "to become free", "unregister_netdevice: waiting for DEV to become free")], continuesReport: true),
    ReportFamily(
      header: "VFS: Close: file count is 0",
      formats: [.when(.other, "VFS: Close: file count is 0", "VFS: Close: file count is zero (use-after-free)")]),
    ReportFamily(
      header: "VFS: Busy inodes after unmount",
      formats: [.when(.other, "VFS: Busy inodes after unmount", "VFS: Busy inodes after unmount (use-after-free)")]),
    ReportFamily(
      header: "Internal error:", formats: [.when(.nullDeref, "Internal error:", "Internal error in {1}", stack: .rip())],
      continuesReport: true, continuesUntilEndOfTrace: true),
    ReportFamily(header: "Unhandled fault:", formats: [.when(.nullDeref, "Unhandled fault:", "Unhandled fault in {1}", stack: .rip())]),
    ReportFamily(header: "Alignment trap:", formats: [.when(.nullDeref, "Alignment trap:", "Alignment trap in {1}", stack: .rip())]),
    ReportFamily(
      header: "trusty: panic",
      formats: [
        ReportFormat(
          kind: .other,
          match: { header, _ in
            guard header.has(" ASSERT FAILED at ("), let r = header.range(of: "): ", options: .backwards) else { return nil }
            return [String(header[r.upperBound...])]
          }, template: "trusty: ASSERT FAILED: {1}"),
        ReportFormat(
          kind: .other,
          match: { header, _ in
            guard let a = header.find(" ASSERT FAILED") else { return nil }
            let rest = header[a.upperBound...]
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            return [String(rest[rest.index(after: colon)...].drop { $0 == " " })]
          }, template: "trusty: ASSERT FAILED: {1}", corrupted: true),
        ReportFormat(
          kind: .other,
          match: { header, _ in
            guard let rest = Match.after("trusty: panic (", in: header), let r = rest.find("): ") else { return nil }
            return [String(rest[r.upperBound...])]
          }, template: "trusty: panic: {1}"),
      ]),
    // An oops whose header line got lost or that no format knows ("Oops: 0000 [#1] SMP",
    // riscv's "Oops [#1]"): after a report it is that report's, alone it fails closed.
    ReportFamily(
      header: "Oops", formats: [],
      requires: { line in
        guard let at = line.find("Oops") else { return false }
        let rest = line[at.upperBound...]
        return rest.hasPrefix(": ") || rest.hasPrefix(" [#")
      }, continuesReport: true, continuesUntilEndOfTrace: true, wordStart: true),
    // syzkaller's own programs (and Go crashes).
    ReportFamily(
      header: "SYZFAIL:",
      formats: [ReportFormat(kind: .other, match: { h, _ in Match.after("SYZFAIL:", in: h).map { [String($0)] } }, template: "SYZFAIL:{1}")]
    ),
    ReportFamily(
      header: "SYZFATAL:",
      formats: [
        ReportFormat(kind: .other, match: { h, _ in Match.after("SYZFATAL:", in: h).map { [String($0)] } }, template: "SYZFATAL:{1}")
      ]),
    ReportFamily(
      header: "panic:",
      formats: [ReportFormat(kind: .other, match: { h, _ in Match.after("panic:", in: h).map { [String($0)] } }, template: "panic:{1}")],
      benign: ["_panic:", "xlog_status:", "ddb.onpanic:", "evtlog_status:"], failClosed: false),
    // A Go program's crash: "fatal error: ..." followed by its goroutine dump.
    ReportFamily(
      header: "fatal error:",
      formats: [
        ReportFormat(
          kind: .other,
          match: { _, body in body.prefix(8).contains { $0.hasPrefix("goroutine ") || $0.hasPrefix("runtime stack:") } ? [] : nil },
          template: "go runtime error")
      ], benign: ["ALSA"], failClosed: false),
  ]

  /// Lines that mark a report without being one of the headers above: reports whose header
  /// got lost or is not in the table still count (fail closed).
  package static let cutHere = "------------[ cut here ]------------"

  /// The end marker of an oops or a WARNING (kernel/panic.c's print_oops_end_marker()): the
  /// report that printed it is over.
  package static let endOfTrace = "---[ end trace "
}

extension ReportFormat {
  /// `WARNING: ... file ... func`: a WARNING raised in `file` by a function containing `function`.
  package static func warningAt(_ file: String, _ function: String, _ template: String, skip: [String], kind: Splat.Kind = .warning)
    -> ReportFormat
  {
    ReportFormat(
      kind: kind,
      match: { header, _ in
        guard let r = header.find(file) else { return nil }
        return header[r.upperBound...].has(function) ? [] : nil
      }, template: template, stack: .warning(skip: skip))
  }
}

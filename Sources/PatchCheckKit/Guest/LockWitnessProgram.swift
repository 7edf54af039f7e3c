// The guest half of the lock-order witness. With lockdep built in, every lock_acquire() and
// lock_release() emits a trace event (lock:lock_acquire, lock:lock_release) before lockdep
// checks anything, for validated locks and for the ones lockdep ignores (the driver core
// marks every device mutex "novalidate"). The runner streams those events from tracefs's
// trace_pipe into this awk program while the scenarios run. Per task and context (task,
// softirq, hardirq) it keeps the stack of held locks and records every "held A, then took B"
// between different lock classes, with the first scenario step and task that did it, and a
// few lock instances (addresses, hashed by the kernel) of each pair. Only that edge list
// reaches the console; the host finds the cycles (`LockWitness`).

import Foundation
import PatchCheckBase
import PatchCheckSeries

package enum LockWitnessProgram {
  /// Printed before and after the edge list on the console.
  package static let beginMarker = "patchcheck-witness: begin"
  package static let endMarker = "patchcheck-witness: end"
  /// The runner's heartbeat while the reader drains the trace at the end, with the seconds so far.
  package static let drainingMarker = "patchcheck-witness: still reading the trace"
  /// The kernel booted has no lock events (a config without tracing): no witness this run.
  package static let unavailableMarker = "patchcheck-witness: unavailable"
  /// Written to trace_marker before each step: "patchcheck: SCENARIO: STEP".
  package static let stepMarkerPrefix = "patchcheck: "
  /// Lock classes left out at the source: annotations taken on every allocation, page
  /// fault and RCU read section, which lockdep validates and which would flood the trace.
  package static let ignoredClasses = [
    "fs_reclaim", "&mm->mmap_lock", "&anon_vma->rwsem", "&mapping->i_mmap_rwsem", "ptlock_ptr(ptdesc)", "&lockref->lock",
    "rcu_read_lock", "rcu_read_lock_sched", "rcu_read_lock_bh", "&p->pi_lock", "&rq->__lock", "&zone->lock",
    "&pcp->lock", "&n->list_lock",
  ]
  /// Spinning locks left out at the source too. A cycle through a sleeping class (the focus
  /// classes are a mutex and an rwsem) holds each of its locks while it takes the next, and
  /// nothing sleeps under a spinning lock, so every lock of such a cycle sleeps: a spinning
  /// lock's events only cost reading. These are the spinning classes that dominate the PCI
  /// paths' trace: on 7.3.4, one numvfs enable and disable of 4 VFs made 53,346 events, of
  /// which these (with the releases in interrupt context) were 68%; the rest, 17,275, are
  /// mostly kernfs's rwsems. `*` is tracefs's glob.
  package static let spinningClasses = [
    "*&pcs->lock", "*(&acpi_gbl_reference_count_lock)", "&____s->seqcount", "&root->kernfs_idr_lock", "hrtimer_bases.lock",
    "semaphore->lock", "pci_config_lock", "&k->k_lock", "&k->list_lock", "&mm->page_table_lock", "sysfs_symlink_target_lock",
    "&xa->xa_lock", "sched_map-wait-type-override",
  ]
  /// tracefs filters (kernel/trace/trace_events_filter.c syntax): no acquisition with
  /// interrupts off or in interrupt context (common_flags: irqs-off 0x1, hardirq 0x8,
  /// softirq 0x10), no release in interrupt context (the reader keys interrupt context
  /// apart, and never saw those acquisitions), and none of the classes above.
  package static var acquireFilter: String { "!(common_flags & 25) && " + classFilter }
  package static var releaseFilter: String { "!(common_flags & 24) && " + classFilter }
  package static var classFilter: String {
    (ignoredClasses + spinningClasses).map { $0.contains("*") ? "!(name ~ \"\($0)\")" : "name != \"\($0)\"" }
      .joined(separator: " && ")
  }

  /// In the initramfs: the lock classes lockdep does not validate in the kernel booted, one
  /// per line; the runner prints them as `focus<TAB>NAME` lines in the witness's block.
  package static let focusFile = "witness-focus"

  /// The classes the tree marks `lockdep_set_novalidate_class(&x->lock)`, by the name the
  /// lock events carry ("&x->lock"): lockdep validates every other class and reports their
  /// cycles itself; these it cannot see.
  /// The same for the checkout of `commit`, remembered in `cache` (a grep of the whole tree
  /// takes seconds; a rebuild of the same head needs none).
  package static func unvalidatedClasses(inSource source: URL, commit: ObjectID, cache: URL) throws -> [String] {
    if let saved = try? String(contentsOf: cache, encoding: .utf8) {
      let lines = saved.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if lines.first == commit.description { return lines.dropFirst().filter { !$0.isEmpty } }
    }
    let classes = try unvalidatedClasses(inSource: source)
    try? ([commit.description] + classes).joined(separator: "\n").write(to: cache, atomically: true, encoding: .utf8)
    return classes
  }

  package static func unvalidatedClasses(inSource source: URL) throws -> [String] {
    let result = try ProcessRunner.run(
      ["grep", "-rhoE", "--include=*.c", "--include=*.h", #"lockdep_set_novalidate_class\(&[^)]*\)"#, "."],
      cwd: source.path, collectLimit: 1 << 20)
    let names = result.output.split(separator: "\n").compactMap { line -> String? in
      guard let open = line.firstIndex(of: "("), line.hasSuffix(")") else { return nil }
      return String(line[line.index(after: open)..<line.index(before: line.endIndex)])
    }
    return Array(Set(names)).sorted()
  }

  /// busybox awk. Reads trace_pipe lines; at the "patchcheck: end" marker prints
  /// `edge<TAB>A<TAB>B<TAB>count<TAB>task<TAB>step<TAB>instances` lines for the edges between
  /// sleeping locks, and `done<TAB>KEPT<TAB>ALL`. Its speed is the witness's cost: under TCG
  /// the reader falls behind the steps and drains the rest at the end (19-35 s of a warm
  /// all-six run of v10). busybox awk spends about 2,500 instructions on any operation
  /// (index, substr, a field, an array element), so a lock event is read from awk's own
  /// field split, and the per-edge work is skipped once an edge has its instances: on a
  /// generated trace of 5,000 events (callgrind, busybox 1.35) 673 million instructions
  /// became 466 million, the same output.
  package static let awk = #"""
    BEGIN {
      where = "boot"; ne = 0; finished = 0
      # The focus classes (lockdep cannot see them): their edges keep many instance pairs.
      while ((getline f < "/witness-focus") > 0) focus[f] = 1
    }
    {
      # The common line, split into fields once (busybox awk spends thousands of instructions
      # on every index() or substr(), so the fewer the faster under TCG):
      #   sh-82  [000] ....1  12.345678: lock_acquire: ADDR [try ][read ]NAME
      if (($5 == "lock_acquire:" || $5 == "lock_release:") && substr($2, 1, 1) == "[" && NF >= 7) {
        task = $1
        fl = $3
        a = ($5 == "lock_acquire:")
        addr = $6
        i = 7
        try = 0
        if (a && $i == "try") { try = 1; i++ }
        if (a && $i == "read") i++
        name = $i
        for (i++; i <= NF; i++) name = name " " $i
        if (index(name, "\r")) sub(/\r$/, "", name)
      } else {
        # Anything else, and a task name with a space in it: the line read by position.
        line = $0
        sub(/\r$/, "", line)
        p = index(line, "tracing_mark_write: patchcheck: ")
        if (p > 0) {
          where = substr(line, p + 32)
          if (where == "end") { finish(); exit }
          next
        }
        a = index(line, " lock_acquire: ")
        r = index(line, " lock_release: ")
        if (a == 0 && r == 0) next
        b = index(line, "[")
        if (b == 0) next
        task = substr(line, 1, b - 1)
        gsub(/^ +| +$/, "", task)
        split(substr(line, b), f, " ")
        fl = f[2]
        body = substr(line, (a > 0 ? a : r) + 15)
        sp = index(body, " ")
        if (sp == 0) next
        addr = substr(body, 1, sp - 1)
        name = substr(body, sp + 1)
        try = 0
        if (a > 0 && substr(name, 1, 4) == "try ") { try = 1; name = substr(name, 5) }
        if (a > 0 && substr(name, 1, 5) == "read ") { name = substr(name, 6) }
      }
      # The reader itself and the runner (init) are not what a scenario drives.
      if (substr(task, 1, 4) == "awk-" || task == "init-1") next
      # The context flag: h/H hard interrupt, s softirq, z/Z NMI; anything else is a task.
      c = substr(fl, 3, 1)
      ctx = index("hsHzZ", c) ? c : "t"
      # Taken with interrupts off or in interrupt context: a spinning lock (lockdep validates
      # those itself). The preemption depth tells nothing: mutex_lock() reports its
      # acquisition with preemption disabled.
      inatomic = (substr(fl, 1, 1) == "d" || ctx != "t")
      key = task SUBSEP ctx
      d = depth[key] + 0
      if (a > 0) {
        # RCU readers never wait for each other: not locks a cycle can go through.
        if (substr(name, 1, 13) == "rcu_read_lock") next
        if (inatomic) atomic[name] = 1
        if (!try) for (k = 1; k <= d; k++) if (hn[key, k] != name) edge(hn[key, k], name, ha[key, k], addr, task)
        # Deeper than lockdep allows (48): releases were lost; start the task over.
        if (d >= 48) d = 0
        d++
        hn[key, d] = name
        ha[key, d] = addr
        depth[key] = d
      } else {
        for (k = d; k >= 1; k--) if (ha[key, k] == addr) {
          for (j = k; j < d; j++) { hn[key, j] = hn[key, j + 1]; ha[key, j] = ha[key, j + 1] }
          depth[key] = d - 1
          break
        }
      }
    }
    function edge(x, y, xa, ya, t,    e, pair) {
      e = x "\t" y
      if (++cnt[e] == 1) {
        ne++; order[ne] = e; first[e] = t "\t" where; ni[e] = 0; insts[e] = ""
        lim[e] = (x in focus) || (y in focus) ? 64 : 2
      }
      if (ni[e] >= lim[e]) return
      pair = xa " " ya
      if ((e SUBSEP pair) in seen) return
      seen[e SUBSEP pair] = 1
      ni[e]++
      insts[e] = insts[e] (ni[e] > 1 ? "," : "") pair
    }
    function finish(    i, e, parts, kept) {
      if (finished) return
      finished = 1
      kept = 0
      for (i = 1; i <= ne; i++) {
        e = order[i]
        split(e, parts, "\t")
        if ((parts[1] in atomic) || (parts[2] in atomic)) continue
        kept++
        printf "edge\t%s\t%d\t%s\t%s\n", e, cnt[e], first[e], insts[e]
      }
      print "done\t" kept "\t" ne
    }
    END { finish() }
    """#
}

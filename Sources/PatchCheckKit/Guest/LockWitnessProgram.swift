// The guest half of the lock-order witness. With lockdep built in, every lock_acquire() and
// lock_release() emits a trace event (lock:lock_acquire, lock:lock_release) before lockdep
// checks anything, for validated locks and for the ones lockdep ignores (the driver core
// marks every device mutex "novalidate"). The runner (guest/witness.sh) copies those events
// from tracefs's trace_pipe, raw, to the guest's second serial port, which QEMU writes to a
// file of the run's (`BootOptions.witnessStream`). The host reads them into lock-order edges
// (`LockTrace`) and finds the cycles (`LockWitness`). The console gets only the focus classes
// and the trace's loss counters.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package enum LockWitnessProgram {
  /// Printed on the console before and after the witness's block: the focus classes and the
  /// trace's loss counters per CPU (`overrun ...`, `dropped ...`). A guest of before the
  /// stream printed its edges there too (`LockWitness.read` still reads them).
  package static let beginMarker = "patchcheck-witness: begin"
  package static let endMarker = "patchcheck-witness: end"
  /// The runner's heartbeat while the stream drains the trace at the end, with the seconds so far.
  package static let drainingMarker = "patchcheck-witness: still streaming the trace"
  /// The kernel booted has no lock events (a config without tracing): no witness this run.
  package static let unavailableMarker = "patchcheck-witness: unavailable"
  /// Written to trace_marker before each step: "patchcheck: SCENARIO: STEP".
  package static let stepMarkerPrefix = "patchcheck: "
  /// Lock classes left out at the source: annotations taken on every allocation, page
  /// fault and RCU read section, which lockdep validates and which would flood the trace
  /// (`vm_lock`: the per-VMA lock of every page fault, include/linux/mmap_lock.h).
  package static let ignoredClasses = [
    "fs_reclaim", "&mm->mmap_lock", "&anon_vma->rwsem", "&mapping->i_mmap_rwsem", "ptlock_ptr(ptdesc)", "&lockref->lock",
    "rcu_read_lock", "rcu_read_lock_sched", "rcu_read_lock_bh", "&p->pi_lock", "&rq->__lock", "&zone->lock",
    "&pcp->lock", "&n->list_lock", "vm_lock",
  ]
  /// Spinning locks left out at the source too. A cycle through a sleeping class (the focus
  /// classes are a mutex and an rwsem) holds each of its locks while it takes the next, and
  /// nothing sleeps under a spinning lock, so every lock of such a cycle sleeps: a spinning
  /// lock's events only cost reading. These are the spinning classes that dominate the PCI
  /// paths' trace: on 7.3.4, one numvfs enable and disable of 4 VFs made 53,346 events, of
  /// which these (with the releases in interrupt context) were 68%; the rest, 17,275, are
  /// mostly kernfs's rwsems. `*` is tracefs's glob.
  /// The second row: in a streamed v9 boot of numvfs and pf-remove on 7.3.4 (112,467 events),
  /// the copier's own reads of trace_pipe released the ring buffer's reader lock 35,235 times
  /// (every event it reads makes a third of one more), and the inode, file-table, task and
  /// signal spinlocks with `vm_lock` above 16,059 more: 46% of the stream, none of it a
  /// sleeping lock (`WitnessCaptureTests.leavingClassesOutAtTheSourceKeepsEveryCycleOfTheOthers`).
  /// The third row: spinning locks (RCU's and the timers' raw spinlocks, wait queues' heads,
  /// the task list's rwlock), most of whose acquisitions (with interrupts off) were left out
  /// already: 3,664 more events, 6% of what was left.
  package static let spinningClasses = [
    "*&pcs->lock", "*(&acpi_gbl_reference_count_lock)", "&____s->seqcount", "&root->kernfs_idr_lock", "hrtimer_bases.lock",
    "semaphore->lock", "pci_config_lock", "&k->k_lock", "&k->list_lock", "&mm->page_table_lock", "sysfs_symlink_target_lock",
    "&xa->xa_lock", "sched_map-wait-type-override",
    "buffer->reader_lock_key", "&sb->s_type->i_lock_key", "&newf->file_lock", "&p->alloc_lock", "&sighand->siglock",
    "rcu_node_0", "&irq_desc_lock_class", "tasklist_lock", "pcpu_lock", "input_pool.lock", "rename_lock.seqcount",
    "&sig->wait_chldexit", "&pipe->rd_wait", "&tty->write_wait", "&base->lock", "&pid->wait_pidfd", "&rcu_state.gp_wq",
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
  package static let focusFile = "patchcheck/witness-focus"

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
}

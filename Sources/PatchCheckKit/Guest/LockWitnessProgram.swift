// The guest half of the lock-order witness. With lockdep built in, every lock_acquire() and
// lock_release() emits a trace event (lock:lock_acquire, lock:lock_release) before lockdep
// checks anything, for validated locks and for the ones lockdep ignores (the driver core
// marks every device mutex "novalidate"). The runner (guest/witness.sh) copies those events,
// the ring buffer's own pages (tracefs's per-CPU trace_pipe_raw), to a port of their own,
// which QEMU writes to a file of the run's (`BootOptions.witnessStream`). The host decodes
// them (`LockTracePages`), reads them into lock-order edges (`LockTrace`) and finds the
// cycles (`LockWitness`). The console gets only the focus classes
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
    "rcu_read_lock", "fs_reclaim", "&n->list_lock", "&mm->mmap_lock", "&lockref->lock", "&pcp->lock", "vm_lock", "&rq->__lock",
  ]
  /// Spinning locks left out at the source too. A cycle through a sleeping class (the focus
  /// classes are a mutex and an rwsem) holds each of its locks while it takes the next, and
  /// nothing sleeps under a spinning lock, so every lock of such a cycle sleeps: a spinning
  /// lock's events only cost reading (`WitnessCaptureTests.leavingClassesOutAtTheSourceKeepsEveryCycleOfTheOthers`).
  /// `*` is tracefs's glob.
  package static let spinningClasses = [
    "*&pcs->lock", "*(&acpi_gbl_reference_count_lock)", "&root->kernfs_idr_lock", "&____s->seqcount", "&mm->page_table_lock",
    "&on->poll", "pci_config_lock", "sched_map-wait-type-override",
  ]
  /// How often each class above came past the interrupt-context test in a boot of v9's
  /// numvfs and pf-remove with every lock event of the steps' tasks streamed (7.3.4 under TCG,
  /// 2026-12-06: 374,472 such events, 59,920 of them of no class above; the fixture
  /// `v9-numvfs-pf-remove-every-event`). The filter tests the most frequent first and stops at
  /// the first that matches: `rcu_read_lock` alone was 58%. Every test is paid by each event
  /// that passes them all, so a class with fewer than 1,000 such events is not tested at all:
  /// its events cost less streamed than its test costs the others (RCU's sched readers, the
  /// task, timer and klist spinlocks among them;
  /// `WitnessPagesCaptureTests.theFilterTestsTheFrequentClassesFirst`).
  package static let eventsSeen: [String: Int] = [
    "rcu_read_lock": 217_886, "*&pcs->lock": 23_363, "fs_reclaim": 14_645, "&n->list_lock": 11_819,
    "*(&acpi_gbl_reference_count_lock)": 10_512, "&mm->mmap_lock": 7_392, "&root->kernfs_idr_lock": 6_684,
    "&lockref->lock": 6_084, "&____s->seqcount": 3_275, "&mm->page_table_lock": 2_874, "&pcp->lock": 2_429,
    "&on->poll": 2_266, "vm_lock": 2_012, "&rq->__lock": 1_134, "pci_config_lock": 1_111, "sched_map-wait-type-override": 1_066,
  ]
  /// tracefs filters (kernel/trace/trace_events_filter.c syntax): no acquisition with
  /// interrupts off or in interrupt context (common_flags: irqs-off 0x1, hardirq 0x8,
  /// softirq 0x10), no release in interrupt context (the reader keys interrupt context
  /// apart, and never saw those acquisitions), and none of the classes above, the most
  /// frequent tested first.
  package static var acquireFilter: String { "!(common_flags & 25) && " + classFilter }
  package static var releaseFilter: String { "!(common_flags & 24) && " + classFilter }
  package static var classFilter: String {
    (ignoredClasses + spinningClasses).sorted { eventsSeen[$0, default: 0] > eventsSeen[$1, default: 0] }
      .map { $0.contains("*") ? "!(name ~ \"\($0)\")" : "name != \"\($0)\"" }.joined(separator: " && ")
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

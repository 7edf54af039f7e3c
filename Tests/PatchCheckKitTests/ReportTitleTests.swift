import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// A corpus log with syzkaller's expectation from its header (TITLE:, ALT:, CORRUPTED:).
struct ExpectedParse {
  var file: String
  var titles: [String]
  var corrupted: Bool
  var console: String

  /// Every log in `folder`, read the way syzkaller-score reads them: a header block up to the
  /// first blank line (none when the file starts with one: no report expected), and trailing
  /// REPORT:/TAIL REPORTS: sections that are not console output.
  static func all(in folder: URL) throws -> [ExpectedParse] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { !["README.md", "INDEX.tsv", "SOURCE"].contains($0) }.sorted()
    return try names.map { name in
      let text = String(decoding: try Data(contentsOf: folder.appendingPathComponent(name)), as: UTF8.self)
      var header = ""
      var body = Substring(text)
      if text.hasPrefix("\n") {
        body = body.dropFirst()
      } else if let blank = text.range(of: "\n\n") {
        header = String(text[..<blank.lowerBound])
        body = text[blank.upperBound...]
      }
      for marker in ["\nREPORT:\n", "\nTAIL REPORTS:\n"] {
        if let r = body.range(of: marker) { body = body[..<r.lowerBound] }
      }
      let lines = header.split(separator: "\n").map(String.init)
      let titles =
        lines.filter { $0.hasPrefix("TITLE:") }.map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) }
        + lines.filter { $0.hasPrefix("ALT:") }.map { $0.dropFirst(4).trimmingCharacters(in: .whitespaces) }
      return ExpectedParse(
        file: name, titles: titles, corrupted: lines.contains { $0.hasPrefix("CORRUPTED: Y") }, console: String(body))
    }
  }
}

struct CorpusScore: CustomStringConvertible {
  var detected = 0
  var logs = 0
  var exact = 0
  var uncorrupted = 0
  var misses: [String] = []
  var description: String {
    "detection \(detected)/\(logs), exact \(exact)/\(uncorrupted); misses: \(misses.prefix(20).joined(separator: "; "))"
  }

  /// syzkaller-score's rule: a report where syzkaller finds one and none where it finds none;
  /// on uncorrupted logs, some title equal to the TITLE or an ALT.
  init(_ folder: URL) throws {
    for log in try ExpectedParse.all(in: folder) {
      let got = ConsoleAnalyzer.analyze(log.console).map(\.title)
      logs += 1
      guard let first = log.titles.first else {
        if got.isEmpty { detected += 1 } else { misses.append("\(log.file): none expected, got \(got.prefix(2))") }
        continue
      }
      if !got.isEmpty { detected += 1 }
      if log.corrupted { continue }
      uncorrupted += 1
      if got.contains(where: log.titles.contains) {
        exact += 1
      } else {
        misses.append("\(log.file): want '\(first)' got \(got.prefix(2))")
      }
    }
  }
}

@Suite struct ReportTitleTests {
  /// A ratchet over both corpora: these floors may only go up.
  @Test func titlesMatchSyzkallersOnBothCorpora() throws {
    let train = try CorpusScore(Shared.trainCorpus)
    #expect(train.logs == 340)
    #expect(train.detected >= 340, "\(train)")
    #expect(train.exact >= 263, "\(train)")
    let held = try CorpusScore(Shared.corpus)
    #expect(held.logs == 60)
    #expect(held.detected >= 60, "\(held)")
    #expect(held.exact >= 26, "\(held)")
  }

  func titles(ofTrainLog name: String) throws -> [String] {
    let log = try #require(try ExpectedParse.all(in: Shared.trainCorpus).first { $0.file == name })
    return ConsoleAnalyzer.analyze(log.console).map(\.title)
  }

  /// Real reports of formats the rule list did not know, one per family.
  @Test(arguments: [
    ("119", "INFO: trying to register non-static key in tun_flow_cleanup"),
    ("497", "BUG: using smp_processor_id() in preemptible code in ext4_mb_new_blocks"),
    ("428", "KCSAN: data-race in e1000_clean_rx_irq"),
    ("626", "KMSAN: uninit-value in prepare_task_switch"),
    ("68", "BUG: spinlock recursion in wake_up_new_task"),
    ("41", "UBSAN: undefined-behaviour in ip_idents_reserve"),
    ("394", "WARNING: locking bug in do_ipv6_setsockopt"),
    ("527", "WARNING: suspicious RCU usage in gc_worker"),
    ("322", "kernel panic: stack is corrupted in ip6_xmit"),
    ("309", "memory leak in sget"),
    ("557", "possible deadlock in input_event"),
    ("596", "KFENCE: memory corruption in test_corruption"),
    ("726", "BUG: Bad page state in bpf_test_run_xdp_live"),
    ("643", "BUG: scheduling while atomic in simple_recursive_removal"),
  ])
  func newFormatsGetSyzkallersTitle(_ file: String, _ title: String) throws {
    #expect(try titles(ofTrainLog: file).contains(title))
  }

  @Test func anUnknownBugHeaderStillCountsWithItsLineAsTitle() {
    let log = """
      [   12.345678][  T101] BUG: frobnicator 3 lost its widget at 0xffff888012345678
      [   12.345690][  T101] CPU: 1 PID: 101 Comm: sh Not tainted 7.3.4 #2
      """
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.count == 1)
    #expect(splats.first?.kind == .unrecognised)
    #expect(splats.first?.unrecognised == true)
    #expect(splats.first?.title == "BUG: frobnicator NUM lost its widget at ADDR")
    #expect(splats.first?.line == 1)
  }

  @Test func aCutHereWithNoKnownHeaderAfterItStillCounts() {
    let log = """
      [    5.000000] ------------[ cut here ]------------
      [    5.000100] frobnicator: widget 42 went away
      [    5.000200] Modules linked in:
      """
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.kind) == [.unrecognised])
    #expect(splats.first?.title == "cut here: frobnicator: widget NUM went away")
  }

  @Test func aCutHereBeforeAKnownHeaderIsThatReport() {
    let log = """
      [    5.000000] ------------[ cut here ]------------
      [    5.000100] WARNING: CPU: 0 PID: 1 at drivers/pci/iov.c:912 sriov_disable+0x21/0xad
      [    5.000200] RIP: 0010:sriov_disable+0x21/0xad
      """
    #expect(ConsoleAnalyzer.analyze(log).map(\.title) == ["WARNING in sriov_disable"])
  }

  /// Lines syzkaller knows are not reports, though they hold a header literal.
  @Test func benignLinesAreNoReports() {
    let log = """
      [    1.000000] INFO: lockdep is turned off.
      [    1.100000] ODEBUG: object is on stack, but not annotated
      [  461.088653][ T3167] [U] [1] INVALID BTF_INFO:72000001
      [    2.000000] WARNING: workqueue cpumask: online intersect > possible intersect
      [   69.295771][ T2742] ALSA: seq fatal error: cannot create timer (-22)
      """
    #expect(ConsoleAnalyzer.analyze(log).isEmpty)
  }

  /// 7.x kernels print the WARNING header with the file first.
  @Test func theNewWarningHeaderIsTitledByItsFunction() {
    let log = """
      [  156.512801][   T69] ------------[ cut here ]------------
      [  156.512802][   T69] WARNING: drivers/pci/iov.c:912 at sriov_disable+0x21/0xad, CPU#0: sh/69
      [  156.512810][   T69] RIP: 0010:sriov_disable+0x21/0xad
      """
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.title) == ["WARNING in sriov_disable"])
    #expect(splats.first?.function == "sriov_disable")
  }

  @Test func hungTaskInIOWaitIsAHungTask() {
    let log = """
      [   21.201588] INFO: task sh:143 blocked in I/O wait for more than 10 seconds.
      [   21.202312] Call Trace:
      [   21.202382]  <TASK>
      [   21.202393]  __schedule+0x5f0/0x637
      [   21.202640]  io_schedule+0x3f/0x58
      [   21.202721]  folio_wait_bit_common+0x21/0xad
      [   21.202808]  filemap_read+0x21/0xad
      """
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.title) == ["INFO: task hung in filemap_read"])
    #expect(splats.first?.blocked?.task == "sh:143")
  }

  /// Lockdep and workqueue reports in the kernel's own printk formats.
  @Test func lockdepAndWorkqueueFormats() {
    let leaked = """
      [   30.000000] BUG: workqueue leaked atomic, lock or RCU: kworker/0:1[12]
      [   30.000001]      preempt=0x00000000 lock=1->0 RCU=0->0 workfn=igb_watchdog_task
      """
    #expect(ConsoleAnalyzer.analyze(leaked).map(\.title) == ["BUG: workqueue leaked lock or atomic in igb_watchdog_task"])
    let tooLow = "[   31.000000] BUG: MAX_STACK_TRACE_ENTRIES too low!\n"
    let splats = ConsoleAnalyzer.analyze(tooLow)
    #expect(splats.map(\.title) == ["BUG: MAX_STACK_TRACE_ENTRIES too low!"])
    #expect(splats.first?.unrecognised == nil)
  }

  /// RCU prints two headers for one stall.
  @Test func anRCUStallIsOneReport() throws {
    let log = try #require(try ExpectedParse.all(in: Shared.corpus).first { $0.file == "57" })
    #expect(ConsoleAnalyzer.analyze(log.console).map(\.title) == ["INFO: rcu detected stall in __sctp_write_space"])
  }

  @Test func kmemleakVerboseReportsAreMemoryLeaks() {
    let log = """
      [   40.000000] unreferenced object 0xffff888012345678 (size 32):
      [   40.000001]   comm "sh", pid 143, jiffies 4294937368
      [   40.000002]   backtrace (crc 3cae0b1):
      [   40.000003]     kmemleak_alloc+0x4b/0x80
      [   40.000004]     __kmalloc_noprof+0x2a/0x50
      [   40.000005]     sriov_enable+0x91/0x3c0
      """
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.title) == ["memory leak in sriov_enable"])
    #expect(splats.first?.kind == .memoryLeak)
  }
}

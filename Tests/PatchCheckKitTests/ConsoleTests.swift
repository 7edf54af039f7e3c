import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// syzkaller's expected parse of each corpus log.
struct CorpusCase: CustomStringConvertible {
  var file: String
  var kind: String
  var title: String
  var description: String { file }

  static func all() throws -> [CorpusCase] {
    let index = try String(contentsOf: Shared.corpus.appendingPathComponent("INDEX.tsv"), encoding: .utf8)
    return index.split(separator: "\n").dropFirst().map { line in
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) + ["", "", ""]
      let title = fields[2].hasPrefix("TITLE: ") ? String(fields[2].dropFirst(7)) : ""
      return CorpusCase(file: fields[0], kind: fields[1], title: fields[1] == "none" ? "" : title)
    }
  }

  /// The console text: the header block (up to the first blank line) is syzkaller's
  /// expectation, and REPORT: sections at the end are not console output.
  func log() throws -> String {
    let text = try String(contentsOf: Shared.corpus.appendingPathComponent(file), encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if let blank = lines.firstIndex(of: "") { lines = Array(lines[(blank + 1)...]) }
    if let report = lines.firstIndex(where: { $0 == "REPORT:" || $0 == "TAIL REPORTS:" }) { lines = Array(lines[..<report]) }
    return lines.joined(separator: "\n")
  }

  /// The function the expected title names ("... in FUNC"), if any.
  var function: String? {
    guard let range = title.range(of: " in ", options: .backwards) else { return nil }
    let name = String(title[range.upperBound...])
    return name == "corrupted" ? nil : name
  }
}

@Suite struct ConsoleTests {
  @Test(arguments: try CorpusCase.all())
  func everyCorpusLogGetsSyzkallersKind(_ item: CorpusCase) throws {
    let splats = ConsoleAnalyzer.analyze(try item.log())
    if item.kind == "none" {
      #expect(splats.isEmpty, "\(item.file): expected no report, got \(splats.map(\.title))")
    } else {
      #expect(splats.first?.kind.rawValue == item.kind, "\(item.file): \(splats.first?.title ?? "nothing")")
    }
  }

  /// A ratchet: the functions named must agree with syzkaller's on at least this many logs.
  /// Raise it when the analyzer improves; it may never go down.
  @Test func functionsAgreeWithSyzkallerOnMostLogs() throws {
    var agree = 0
    var disagree: [String] = []
    var total = 0
    for item in try CorpusCase.all() {
      guard let expected = item.function else { continue }
      total += 1
      let got = ConsoleAnalyzer.analyze(try item.log()).first?.function
      if got == expected { agree += 1 } else { disagree.append("\(item.file): \(expected) vs \(got ?? "none")") }
    }
    #expect(agree >= 40, "agree \(agree)/\(total); disagree: \(disagree.joined(separator: "; "))")
  }

  /// A long log is read on several threads (its header searches, then its reports in
  /// parts, each with a prefix cache of its own): it gives what one thread gives, every
  /// title, count, excerpt and line, in the same order.
  @Test func aLongLogReadOnSeveralThreadsGivesWhatOneThreadGives() throws {
    let boots = try ["boot-v7.3.4-v9-race-numvfs-remove.log", "boot-v7.3.4-v9-no-reentrancy.log"].map(Fixtures.text)
    let parts = try boots + CorpusCase.all().map { try $0.log() }
    var log = ""
    while log.utf8.count <= 1 << 22 { for part in parts { log += part + "\n" } }
    var one = ReportParser(log)
    one.cores = 1
    var several = ReportParser(log)
    several.cores = 4
    let serial = one.splats()
    #expect(serial.count > 40)
    #expect(serial.reduce(0) { $0 + $1.count } > 256)
    #expect(several.splats() == serial)
    let (splats, _) = ConsoleAnalyzer.reportsAndResults(in: log)
    #expect(splats == ConsoleAnalyzer.reports(in: log))
  }

  @Test func aCleanBootOfOurKernelHasNoReportsAndPassingKTAP() throws {
    let log = try Fixtures.text("boot-v7.3.4-clean.log")
    #expect(ConsoleAnalyzer.analyze(log).isEmpty)
    let scenarios = KTAPParser.parse(log, expected: ["numvfs", "pf-remove"])
    #expect(scenarios.map(\.name) == ["numvfs", "pf-remove"])
    #expect(scenarios.allSatisfy { $0.result == .pass })
    #expect(scenarios[0].steps.count == 4)
    #expect(scenarios[0].steps[2].diagnostics.contains { $0.contains("driver igbvf") })
    // The KTAP on its own parses the same, and has no kernel line in it.
    let ktap = KTAPParser.extract(log)
    #expect(!ktap.contains("[    "))
    #expect(KTAPParser.parse(ktap) == scenarios)
  }

  @Test func timeStampsAndCallerIDsAreStripped() {
    #expect(ConsoleLine.strip("[  156.512801][   T69] WARNING: x") == "WARNING: x")
    #expect(ConsoleLine.strip("[    0.000000] Linux version") == "Linux version")
    #expect(ConsoleLine.strip("[ not a stamp ] kept") == "[ not a stamp ] kept")
  }

  @Test func aScenarioCutOffByACrashIsAFailureAndTheRestAreMissing() {
    let log = """
      KTAP version 1
      1..2
          KTAP version 1
          1..4
          ok 1 find SR-IOV PF
      [   12.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000
      """
    let scenarios = KTAPParser.parse(log, expected: ["numvfs", "pf-remove"])
    #expect(scenarios.map(\.result) == [.fail, .missing])
  }
}

@Suite struct CapturedBootTests {
  /// v9 with the reentrancy hunk dropped, on a kernel with the guess unwinder (every frame
  /// "?"): the recursive lock is found, its repeats are one entry, and the hung task names
  /// the function it waits in even from unreliable frames.
  @Test func theNegativeControlsDeadlockIsFoundAndDeduplicated() throws {
    let log = try Fixtures.text("boot-v7.3.4-v9-no-reentrancy-guess-unwinder.log")
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.kind) == [.lockdepRecursive, .hungTask])
    #expect(splats[0].title == "possible deadlock in sriov_disable")
    #expect(splats[0].excerpt.contains { $0.contains("pci_rescan_remove_lock") })
    #expect(splats[1].title == "INFO: task hung in sriov_disable")
    #expect(splats[1].count > 1)
    let scenarios = KTAPParser.parse(log, expected: ["numvfs", "pf-remove"])
    #expect(scenarios.map(\.result) == [.pass, .fail])
    #expect(scenarios[1].steps.map(\.result) == [.pass, .pass, .timeout, .skip])
  }
}

extension CapturedBootTests {
  /// With reliable frames the hung task names where it waits, and the excerpt says who
  /// owns the mutex (the task itself: a recursive lock).
  @Test func theNegativeControlWithReliableFrames() throws {
    let log = try Fixtures.text("boot-v7.3.4-v9-no-reentrancy.log")
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.title) == ["possible deadlock in sriov_disable", "INFO: task hung in sriov_disable"])
    let hung = splats[1]
    #expect(hung.count >= 2)
    #expect(hung.excerpt.contains { $0.contains("remove_store") })
    #expect(hung.excerpt.contains { $0.contains("blocked on a mutex likely owned by task") })
  }
}

extension CapturedBootTests {
  /// Two tasks blocked on each other: each report names the task, where it waits, whom it
  /// waits for, and the locks it holds.
  @Test func theV9RaceDeadlockNamesBothSides() throws {
    let log = try Fixtures.text("boot-v7.3.4-v9-race-numvfs-remove.log")
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.map(\.title) == ["INFO: task hung in sriov_enable", "INFO: task hung in device_release_driver_internal"])
    let numvfs = try #require(splats[0].blocked)
    let remove = try #require(splats[1].blocked)
    #expect(numvfs.blockedOn == remove.task)
    #expect(remove.blockedOn == numvfs.task)
    #expect(numvfs.locks.contains("&dev->mutex at sriov_numvfs_store"))
    #expect(remove.locks.contains("pci_rescan_remove_lock at pci_stop_and_remove_bus_device_locked"))
    let race = try #require(KTAPParser.parse(log).first { $0.name == "race-numvfs-remove" })
    #expect(race.steps.map(\.result).contains(.timeout))
  }
}

/// kernel/cfi.c's report_cfi_failure() prints one line ("CFI failure at CALLER (target:
/// CALLEE; expected type: 0x...)") and returns to the trap handler, which prints the oops:
/// die() on x86 ("Oops: invalid opcode") and arm64 ("Internal error: Oops - CFI"), or
/// __warn() with CONFIG_CFI_PERMISSIVE ("WARNING: at CALLER, CPU#N: comm/pid", no file).
/// syzkaller has no format for the line: it titles the oops that follows, with the line in
/// the report's prefix. The report starts at the line (so its excerpt names the target and
/// the type), takes that title, and without one (the oops lost, or a WARNING header no
/// format knows) is titled by the line.
extension ConsoleTests {
  static let cfiX86 = """
    [   41.100001][  T143] CFI failure at tcp_set_ca_state+0x51/0xd0 (target: bpf_prog_6deef7357e7b4530_cb+0x0/0x40; expected type: 0x3a47ac32)
    [   41.100502][  T143] Oops: invalid opcode: 0000 [#1] SMP NOPTI
    [   41.100910][  T143] CPU: 1 UID: 0 PID: 143 Comm: test_progs Not tainted 7.3.4 #2 PREEMPTLAZY
    [   41.101320][  T143] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.3-debian-1.16.3-2 04/01/2014
    [   41.101800][  T143] RIP: 0010:tcp_set_ca_state+0x51/0xd0
    [   41.102200][  T143] Code: 4d 85 db 74 1b 40 0f b6 f5 48 89 df 41 ba ce 53 b8 c5 45 03 53 f1 74 02 <0f> 0b 2e e8 c7 e1 00 00
    [   41.102700][  T143] RSP: 0018:ffffc90000b7fa80 EFLAGS: 00010282
    [   41.103500][  T143] Call Trace:
    [   41.103700][  T143]  <TASK>
    [   41.103900][  T143]  tcp_enter_loss+0x2a1/0x5b0
    [   41.104100][  T143]  tcp_retransmit_timer+0x4e1/0xa20
    [   41.104500][  T143]  tcp_write_timer+0x6a/0x1c0
    [   41.104900][  T143]  </TASK>
    [   41.105100][  T143] Modules linked in:
    [   41.105300][  T143] ---[ end trace 0000000000000000 ]---
    [   41.105500][  T143] RIP: 0010:tcp_set_ca_state+0x51/0xd0
    [   41.105900][  T143] Kernel panic - not syncing: Fatal exception in interrupt
    """

  static let cfiArm64 = """
    [   21.177245] CFI failure at devm_action_release+0x24/0x3c (target: put_device+0x0/0x24; expected type: 0xa488ebfc)
    [   21.177300] Internal error: Oops - CFI: 00000000f2008228 [#1] PREEMPT SMP
    [   21.177400] Modules linked in:
    [   21.177500] CPU: 0 UID: 0 PID: 454 Comm: udevd Not tainted 7.3.4 #2 PREEMPT
    [   21.177600] Hardware name: linux,dummy-virt (DT)
    [   21.177700] pstate: 80400005 (Nzcv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)
    [   21.177800] pc : devm_action_release+0x24/0x3c
    [   21.177900] lr : devres_release_all+0xb4/0x114
    [   21.178000] Call trace:
    [   21.178100]  devm_action_release+0x24/0x3c (P)
    [   21.178200]  devres_release_all+0xb4/0x114
    [   21.178300]  device_unbind_cleanup+0x20/0x70
    [   21.178400] ---[ end trace 0000000000000000 ]---
    """

  @Test(arguments: [
    (cfiX86, "invalid opcode in tcp_set_ca_state"),
    (cfiArm64, "Internal error in devm_action_release"),
  ])
  func aCFIFailureIsOneReportFromItsLineTitledByTheOopsItsTrapPrints(_ log: String, _ title: String) {
    let splats = ConsoleAnalyzer.analyze("[    1.000000] Run /init as init process\n" + log)
    #expect(splats.map(\.title) == [title])
    #expect(splats.first?.line == 2)
    #expect(splats.first?.excerpt.first?.contains("expected type: 0x") == true)
  }

  @Test func aCFIFailureWhoseOopsIsLostOrUnknownIsTitledByItsLine() {
    // The console ends after the line: the oops is lost.
    let cut = """
      [   41.100001][  T143] CFI failure at kobj_attr_show+0x19/0x30 (target: max_freq_show+0x0/0xe0 [i915]; expected type: 0xc527b809)
      [   41.100010][  T150] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex
      """
    let lost = ConsoleAnalyzer.analyze(cut)
    #expect(lost.map(\.title) == ["CFI failure in kobj_attr_show"])
    #expect(lost.first?.kind == .kernelBug)
    #expect(lost.first?.corrupted == true)
    // CONFIG_CFI_PERMISSIVE: __warn() with no file, a WARNING header no format knows; one report.
    let permissive = """
      [   13.480504][   T48] CFI failure at int80_emulation+0x67/0xb0 (target: sys_ni_posix_timers+0x0/0x70; expected type: 0xb02b34d9)
      [   13.481107][   T48] WARNING: at int80_emulation+0x67/0xb0, CPU#0: init/48
      [   13.481454][   T48] Modules linked in:
      [   13.482162][   T48] RIP: 0010:int80_emulation+0x67/0xb0
      [   13.482300][   T48] Call Trace:
      [   13.482400][   T48]  <TASK>
      [   13.482500][   T48]  asm_int80_emulation+0x1a/0x20
      [   13.482600][   T48]  </TASK>
      [   13.482700][   T48] ---[ end trace 0000000000000000 ]---
      """
    let warned = ConsoleAnalyzer.analyze(permissive)
    #expect(warned.map(\.title) == ["CFI failure in int80_emulation"])
    #expect(warned.first?.line == 1)
    #expect(warned.first?.corrupted == nil)
  }
}

/// x86 traps BUG() and WARN() alike (ud2). For a BUG, report_bug() prints "kernel BUG at
/// FILE:LINE!" and the trap goes on to die(), whose banner "Oops: invalid opcode" is that
/// report's next header; for a WARN, __warn() prints the report, ends it with "---[ end
/// trace ]---" and execution goes on. So an invalid opcode continues its caller's report
/// only while that report is unfinished: after the end marker it is an oops of its own.
extension ConsoleTests {
  /// A finished WARNING from sh/143, then from the same task a kernel BUG (whose banner is
  /// its own) and a bare invalid opcode after the BUG's end marker.
  static func warningThenOopses(callerIDs: Bool) -> String {
    let lines = [
      "------------[ cut here ]------------",
      "WARNING: drivers/pci/iov.c:912 at sriov_disable+0x21/0xad, CPU#1: sh/143",
      "Modules linked in:",
      "CPU: 1 UID: 0 PID: 143 Comm: sh Not tainted 7.3.4 #2 PREEMPTLAZY",
      "RIP: 0010:sriov_disable+0x21/0xad",
      "Call Trace:",
      " <TASK>",
      " sriov_numvfs_store+0x9e/0x1a0",
      " kernfs_fop_write_iter+0x141/0x1f0",
      " </TASK>",
      "---[ end trace 0000000000000000 ]---",
      "igb 0000:00:04.0: 2 VFs allocated",
      "Oops: invalid opcode: 0000 [#1] SMP NOPTI",
      "CPU: 1 UID: 0 PID: 143 Comm: sh Tainted: G        W           7.3.4 #2 PREEMPTLAZY",
      "RIP: 0010:igb_probe_vfs+0x35/0x80",
      "Call Trace:",
      " <TASK>",
      " igb_enable_sriov+0x1c4/0x2b0",
      " </TASK>",
      "---[ end trace 0000000000000000 ]---",
      "------------[ cut here ]------------",
      "kernel BUG at drivers/net/ethernet/intel/igb/igb_main.c:3921!",
      "Oops: invalid opcode: 0000 [#2] SMP NOPTI",
      "CPU: 1 UID: 0 PID: 143 Comm: sh Tainted: G      D W           7.3.4 #2 PREEMPTLAZY",
      "RIP: 0010:igb_sriov_reinit+0x2a/0x60",
      "Call Trace:",
      " <TASK>",
      " sriov_numvfs_store+0x9e/0x1a0",
      " </TASK>",
      "---[ end trace 0000000000000000 ]---",
    ]
    return lines.enumerated().map { n, line in
      let stamp = String(format: "[   30.%06d]", 100 + n)
      return callerIDs ? "\(stamp)[  T143] \(line)" : "\(stamp) \(line)"
    }.joined(separator: "\n")
  }

  @Test(arguments: [true, false])
  func anInvalidOpcodeAfterAFinishedWarningIsAReportOfItsOwn(callerIDs: Bool) {
    let splats = ConsoleAnalyzer.analyze(Self.warningThenOopses(callerIDs: callerIDs))
    #expect(splats.map(\.title) == ["WARNING in sriov_disable", "invalid opcode in igb_probe_vfs", "kernel BUG in igb_sriov_reinit"])
    #expect(splats.map(\.line) == [2, 13, 22])
  }
}

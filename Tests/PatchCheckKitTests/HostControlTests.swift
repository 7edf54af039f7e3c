import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckRun

#if canImport(Glibc)
  import Glibc
#endif

/// Host-driven steps (issue 32): what a step may ask, the QEMU line that gives the guest its
/// control port and the host its QMP socket, and QMP itself against a real QEMU (a paused
/// machine with no kernel: QEMU answers for its devices without a guest).
struct HostControlTests {
  @Test func aStepMayAskOnlyTheHostsVerbsOnItsOwnPFs() throws {
    #expect(try HostRequest.parse(["unplug", "pf1"], pfs: 1).get() == .unplug(device: "pf1"))
    #expect(try HostRequest.parse(["plug", "pf2"], pfs: 2).get() == .plug(device: "pf2"))
    #expect(try HostRequest.parse(["aer", "pf1", "DLP"], pfs: 1).get() == .aer(device: "pf1", error: "DLP"))
    #expect(try HostRequest.parse(["aer", "rp1", "COMP_TIME"], pfs: 1).get() == .aer(device: "rp1", error: "COMP_TIME"))
    for refused in [
      ["unplug", "pf2"], ["unplug", "rp1"], ["aer", "rp2", "DLP"], ["plug"], ["aer", "pf1"], ["aer", "pf1", "dlp"],
      ["aer", "pf1", "DLP;quit"],
      ["quit", "pf1"], ["device_del", "pf1"], ["unplug", "pf1", "now"], [],
    ] {
      guard case .failure(let refusal) = HostRequest.parse(refused, pfs: 1) else {
        Issue.record("\(refused) was taken")
        continue
      }
      #expect(!refusal.description.isEmpty)
    }
    #expect(HostRequest.port(of: "pf3") == "rp3")
  }

  /// The guest gets a control port and the host a QMP socket, both Unix sockets in a folder of
  /// the boot's own (never TCP), and the root ports' hot-plug is pciehp's.
  @Test func theControlPortAndQMPAreUnixSocketsOfTheBootsOwn() throws {
    let dir = try TempDir()
    let qemu = QemuInfo(path: "/usr/bin/qemu-system-x86_64", version: "10.0.2")
    var options = BootOptions(
      kernel: URL(fileURLWithPath: "/k/bzImage"), initramfs: URL(fileURLWithPath: "/k/initramfs.cpio"),
      consoleLog: dir.path("console.log"), timeout: 60)
    options.hostLog = RunPlan.hostLog(beside: options.consoleLog)
    #expect(options.hostLog?.lastPathComponent == "host.log")
    #expect(RunPlan.hostLog(beside: URL(fileURLWithPath: "/r/base-console.log")).path == "/r/base-host.log")
    let control = try HostControl(pfs: 1, log: try #require(options.hostLog))
    defer { _ = control.stop() }
    let argv = QemuBooter(qemu: qemu, home: PatchCheckHome(root: URL(fileURLWithPath: "/k"))).arguments(
      options, accelerator: .tcg, control: control)
    let pairs = Array(zip(argv, argv.dropFirst()))
    #expect(pairs.contains { $0 == ("-qmp", "unix:\(control.qmpSocket),server=on,wait=off") }, "\(argv)")
    #expect(pairs.contains { $0 == ("-chardev", "socket,id=pccontrol,path=\(control.controlSocket),server=on,wait=off") })
    #expect(argv.contains("virtserialport,bus=pcvs.0,chardev=pccontrol,name=\(QemuBooter.controlPortName)"))
    #expect(pairs.contains { $0 == ("-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off") })
    #expect(!argv.joined(separator: " ").contains("tcp:"))
    #expect(control.qmpSocket.utf8.count < 108 && control.controlSocket.hasPrefix(control.folder.path))
  }

  /// QMP against a real QEMU with the guest's machine (paused, no kernel): an AER error is
  /// injected on the PF, an igb is added on a second root port, an unknown error name is
  /// QEMU's own error, and an unplug the guest never answers (nobody presses on in a paused
  /// machine) fails at its limit instead of hanging the run.
  @Test func qmpActsOnARealQemu() throws {
    let qemu = try QemuInfo.locate()
    let dir = try TempDir()
    let control = try HostControl(pfs: 2, log: dir.path("host.log"))
    var options = BootOptions(
      kernel: URL(fileURLWithPath: "/nonexistent"), initramfs: URL(fileURLWithPath: "/nonexistent"),
      consoleLog: dir.path("console.log"), timeout: 30)
    options.pfs = 2
    // The boot's own line, less the kernel (a paused machine never loads it) and the second
    // igb (added through QMP below).
    var argv = QemuBooter(qemu: qemu, home: PatchCheckHome(root: dir.url)).arguments(options, accelerator: .tcg, control: control)
    for flag in ["-kernel", "-initrd", "-append"] {
      if let index = argv.firstIndex(of: flag) { argv.removeSubrange(index...(index + 1)) }
    }
    if let index = argv.firstIndex(of: "igb,bus=rp2,id=pf2") { argv.removeSubrange((index - 1)...index) }
    // QEMU runs through ProcessRunner (its own process group, stopped on request) on a thread
    // of its own while the test talks QMP to it.
    let stopper = ProcessControl()
    let ended = DispatchSemaphore(value: 0)
    let command = argv + ["-S"]
    DispatchQueue.global().async {
      _ = try? ProcessRunner.run(command, timeout: 120, collectLimit: 4096, control: stopper)
      ended.signal()
    }
    defer {
      stopper.stop(after: 0)
      _ = ended.wait(timeout: .now() + 30)
      _ = control.stop()
    }
    let qmp = try QMPClient(path: control.qmpSocket, timeout: 20)
    defer { qmp.close() }
    #expect(HostControl.perform(.aer(device: "pf1", error: "DLP"), qmp: qmp) == "done")
    #expect(HostControl.perform(.aer(device: "pf1", error: "COMP_TIME"), qmp: qmp) == "done")
    #expect(HostControl.perform(.plug(device: "pf2"), qmp: qmp) == "done")
    let plugged = HostControl.perform(.plug(device: "pf2"), qmp: qmp)
    #expect(plugged.hasPrefix("failed: device_add: ") && plugged.contains("pf2"), "\(plugged)")
    let named = HostControl.perform(.aer(device: "pf1", error: "NOT_AN_ERROR"), qmp: qmp)
    #expect(named.hasPrefix("failed: ") && named.contains("NOT_AN_ERROR"), "\(named)")
    let unplug = HostControl.perform(.unplug(device: "pf1"), qmp: qmp, unplugLimit: 2)
    #expect(unplug == "failed: pf1 was not removed within 2 s", "\(unplug)")
  }

  /// An answer written after QEMU went away (a boot that ended on a hang while the host was
  /// still removing the PF) is an error, never a SIGPIPE that kills patchcheck before it
  /// writes the report (found by a real series' run: exit 141, no report).
  @Test func anAnswerToAPeerThatIsGoneIsAnErrorNotASignal() throws {
    let dir = try TempDir()
    let path = dir.path("s.sock").path
    let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    try #require(bound == 0 && listen(server, 1) == 0)
    let client = try LineSocket(path: path, timeout: 5)
    let peer = accept(server, nil, nil)
    close(peer)
    close(server)
    var failed = false
    for _ in 0..<3 {
      do { try client.write(line: "1 done") } catch { failed = true }
    }
    #expect(failed, "writing to a closed peer must fail")
    client.close()
  }
}

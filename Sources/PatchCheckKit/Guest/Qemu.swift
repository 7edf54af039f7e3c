// Booting the built kernel in QEMU: q35, a PCIe root port with an igb (82576, SR-IOV) NIC,
// no network, the serial console captured to a file that is always kept. KVM only when a
// probe shows a guest really runs under it; otherwise TCG.

import Foundation
import PatchCheckBase
import PatchCheckSeries

#if canImport(Glibc)
  import Glibc
#endif

package struct QemuInfo: Sendable, Codable {
  package var path: String
  package var version: String

  package static let minimumMajor = 8

  /// Finds qemu-system-x86_64 with the igb device (QEMU 8.0 or later).
  package static func locate(executable: String = "qemu-system-x86_64") throws -> QemuInfo {
    guard let path = ProcessRunner.which(executable) else {
      throw PatchCheckError(
        .qemuMissing, "qemu-system-x86_64 not found",
        hint: "install QEMU 8.0 or later: apt-get install -t bookworm-backports qemu-system-x86 (scripts/setup.sh does)")
    }
    let result = try ProcessRunner.run([path, "--version"], timeout: 30, collectLimit: 4096)
    let version = result.output.firstMatch(of: #/version (\d+)\.(\d+)(?:\.(\d+))?/#)
    guard let version, let major = Int(version.output.1) else {
      throw PatchCheckError(.qemuMissing, "cannot read the version of \(path)", hint: "reinstall QEMU")
    }
    let text = "\(version.output.1).\(version.output.2)" + (version.output.3.map { ".\($0)" } ?? "")
    guard major >= minimumMajor else {
      throw PatchCheckError(
        .qemuMissing, "QEMU \(text) at \(path) has no igb device (needs 8.0 or later)",
        hint: "install QEMU from bookworm-backports: apt-get install -t bookworm-backports qemu-system-x86")
    }
    return QemuInfo(path: path, version: text)
  }
}

/// How QEMU runs the guest. `auto` is KVM only when a probe shows a guest really runs under
/// it (`QemuBooter.chooseAccelerator`); a boot records the one it ran with, never `auto`.
package enum Accelerator: String, CaseIterable, Sendable, Codable {
  case auto, kvm, tcg
}

/// How the guest's clock runs under TCG (KVM's is always the host's).
/// - `virtual`: QEMU counts the guest's instructions (`-icount shift=auto,sleep=off`); when
///   every vCPU is idle the clock jumps to the guest's next timer. The kernel's own waits
///   (`ssleep(1)` in sriov_disable, igb's `msleep(500)`), the scenarios' sleeps and the
///   hung-task detector's timeout then cost no host time, and a race's delays are counted
///   in the guest's instructions, not the host's load. The vCPUs take turns on one host
///   thread (icount has no multi-threaded TCG), so work that computes (the lock-order
///   witness's stream) takes longer.
/// - `host`: the vCPUs run on host threads of their own (multi-threaded TCG) and the
///   guest's clock is the host's.
package enum GuestClock: String, CaseIterable, Sendable, Codable {
  case virtual, host
}

package struct BootOptions: Sendable {
  package var kernel: URL
  package var initramfs: URL
  package var consoleLog: URL
  package var accelerator = Accelerator.auto
  package var clock = GuestClock.virtual
  package var memoryMB = 1024
  package var cpus = 2
  /// igb devices, each on its own PCIe root port.
  package var pfs = 1
  /// Host-side limit for the whole boot.
  package var timeout: TimeInterval
  /// A guest that prints nothing for this long is stopped: longer than any step's own limit
  /// plus the hung-task detector's first report.
  package var silenceLimit: TimeInterval = 150
  /// Extra kernel command line.
  package var append: String = ""
  /// Where the guest's second serial port (ttyS1) goes: the lock-order witness's raw lock
  /// events (guest/witness.sh streams them there), read by the host after the boot
  /// (`LockTrace`). Nil: the guest has one serial port.
  package var witnessStream: URL?
  /// Where the coverage records go (guest/coverage.sh writes them to a virtio-serial port of
  /// their own when the kernel has one), read with the console (`CoverageReading`).
  package var coverageStream: URL?
  /// Where the host logs the requests host-driven steps make (`HostControl`) and its
  /// answers. Nil: the guest has no control port and no QMP socket is opened.
  package var hostLog: URL?

  package init(kernel: URL, initramfs: URL, consoleLog: URL, timeout: TimeInterval) {
    self.kernel = kernel
    self.initramfs = initramfs
    self.consoleLog = consoleLog
    self.timeout = timeout
  }
}

package struct BootResult: Sendable, Codable {
  package var accelerator: Accelerator
  package var acceleratorNote: String?
  package var seconds: Double
  /// Seconds from QEMU's start to the runner's first KTAP line.
  package var secondsToRunner: Double?
  package var reachedRunner: Bool
  package var runnerFinished: Bool
  package var timedOut: Bool
  /// The guest printed nothing for `silenceLimit` seconds and was stopped.
  package var wentSilent: Bool = false
  /// The console's last lines when the guest went silent or timed out.
  package var lastLines: [String]? = nil

  /// The last 15 lines of a console as the report and the terminal show them: control
  /// characters visible, each cut to 300 characters (the guest wrote them, not us).
  package static func lastLines(of output: String) -> [String] {
    output.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").suffix(15).map {
      VisibleText.of(String($0), limit: 300)
    }
  }
  package var exitStatus: Int32
  package var command: [String]
  /// `uname -r` as the runner printed it: which kernel really booted.
  package var kernelRelease: String? = nil
  /// What host-driven steps asked of the host, and its answers.
  package var hostActions: [HostAction]? = nil
}

package struct QemuBooter: Sendable {
  package let qemu: QemuInfo
  package let home: PatchCheckHome

  package init(qemu: QemuInfo, home: PatchCheckHome) {
    self.qemu = qemu
    self.home = home
  }

  package func arguments(_ options: BootOptions, accelerator: Accelerator, control: HostControl? = nil) -> [String] {
    // Isolation: no default devices, no network backend (the igb NICs have no peer, and -nic
    // none), no disks or shared folders; the guest gets a read-only kernel and initramfs and
    // talks back only through the serial console, which is read as text, and the
    // virtio-serial ports below (the witness's stream to a file of the run's, read as text;
    // the control port, on which the host accepts only `HostRequest`'s verbs).
    var argv: [String] = [
      qemu.path, "-nodefaults", "-accel", accelerator.rawValue, "-M", "q35", "-smp", "\(options.cpus)",
      "-m", "\(options.memoryMB)", "-display", "none", "-monitor", "none", "-serial", "stdio",
    ]
    if accelerator == .tcg, options.clock == .virtual { argv += ["-icount", "shift=auto,sleep=off"] }
    argv += [
      // The root ports' hot-plug is native (pciehp), not ACPI's: the kernel has no ACPI PCI
      // hot-plug driver, and the hot-plug scenarios test pciehp.
      "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
    ]
    // A kernel without a virtio console writes the stream to its second UART instead (the same
    // file: only one of the two is ever written).
    if let stream = options.witnessStream { argv += ["-serial", "file:\(stream.path)"] }
    argv += [
      "-no-reboot", "-kernel", options.kernel.path, "-initrd", options.initramfs.path,
      "-append",
      "console=ttyS0 panic=-1 loglevel=7 printk.devkmsg=on \(options.append)"
        .trimmingCharacters(in: .whitespaces),
    ]
    for n in 1...max(1, options.pfs) {
      argv += ["-device", "pcie-root-port,id=rp\(n),chassis=\(n),slot=\(n)", "-device", "igb,bus=rp\(n),id=pf\(n)"]
    }
    argv += Self.ports(witness: options.witnessStream, coverage: options.coverageStream, control: control)
    return argv + ["-nic", "none"]
  }

  /// The virtio-serial ports, named as guest/witness.sh and guest/host.sh look for them.
  static func ports(witness: URL?, coverage: URL?, control: HostControl?) -> [String] {
    guard witness != nil || coverage != nil || control != nil else { return [] }
    var argv = ["-device", "virtio-serial-pci,id=pcvs"]
    for (id, file, name) in [("pcwitness", witness, witnessPortName), ("pccoverage", coverage, coveragePortName)] {
      guard let file else { continue }
      argv += [
        "-chardev", "file,id=\(id),path=\(file.path)", "-device", "virtserialport,bus=pcvs.0,chardev=\(id),name=\(name)",
      ]
    }
    if let control {
      argv += [
        "-chardev", "socket,id=pccontrol,path=\(control.controlSocket),server=on,wait=off",
        "-device", "virtserialport,bus=pcvs.0,chardev=pccontrol,name=\(controlPortName)",
        "-qmp", "unix:\(control.qmpSocket),server=on,wait=off",
      ]
    }
    return argv
  }

  /// The virtio-serial ports' names (the guest finds them in /sys/class/virtio-ports).
  package static let witnessPortName = "org.patchcheck.witness"
  package static let controlPortName = "org.patchcheck.control"
  package static let coveragePortName = "org.patchcheck.coverage"

  /// Boots and runs the guest; returns when the runner is done (QEMU is stopped a few
  /// seconds later if it does not power off), when QEMU exits, or at the time limit.
  package func boot(_ options: BootOptions, progress: ProgressLine) throws -> BootResult {
    let (accelerator, note) = try chooseAccelerator(options)
    let host = try options.hostLog.map { try HostControl(pfs: options.pfs, log: $0) }
    let command = arguments(options, accelerator: accelerator, control: host)
    try? FileManager.default.removeItem(at: options.consoleLog)
    for stream in [options.witnessStream, options.coverageStream].compactMap({ $0 }) {
      try? FileManager.default.removeItem(at: stream)
    }
    let start = Date()
    let control = ProcessControl()
    final class Watch: @unchecked Sendable {
      package var reached: Double?
      package var finished = false
      package var lines = 0
      package var last = ""
      package var release: String?
    }
    let watch = Watch()
    host?.serve()
    defer { _ = host?.stop() }
    let result = try ProcessRunner.run(
      command, logFile: options.consoleLog.path, timeout: options.timeout, collectLimit: 1 << 16,
      control: control, idleTimeout: options.silenceLimit
    ) { line in
      watch.lines += 1
      if watch.reached == nil, line.contains(RunnerScript.startMarker) {
        watch.reached = Date().timeIntervalSince(start)
      }
      if watch.release == nil { watch.release = RunnerScript.kernelRelease(fromLine: line) }
      if line.contains(RunnerScript.doneMarker) {
        watch.finished = true
        control.stop(after: 5)
      }
      if line.contains(" ok ") || line.hasPrefix("ok ") || line.hasPrefix("not ok") || line.contains("not ok ") {
        watch.last = line.trimmingCharacters(in: .whitespaces)
      }
      progress.update(
        String(
          format: "boot (%@): %.0f s, %d console lines%@", accelerator.rawValue, Date().timeIntervalSince(start),
          watch.lines, watch.last.isEmpty ? "" : ", last: \(watch.last.prefix(50))"))
    }
    progress.finish()
    let actions = host?.stop()
    return BootResult(
      accelerator: accelerator, acceleratorNote: note, seconds: Date().timeIntervalSince(start),
      secondsToRunner: watch.reached, reachedRunner: watch.reached != nil,
      runnerFinished: watch.finished, timedOut: result.timedOut, wentSilent: result.idledOut,
      lastLines: result.timedOut || result.idledOut ? BootResult.lastLines(of: result.output) : nil,
      exitStatus: result.status, command: command, kernelRelease: watch.release, hostActions: actions)
  }

  /// KVM when asked for, or when auto and a probe boot under KVM prints a kernel banner.
  /// The probe's answer is remembered in the cache folder with the QEMU and host kernel it
  /// was made on, for a day (`KVMProbeMemo`): a new QEMU, a new host kernel or a fixed
  /// /dev/kvm is probed again.
  package func chooseAccelerator(_ options: BootOptions, now: Date = Date()) throws -> (Accelerator, String?) {
    switch options.accelerator {
    case .tcg: return (.tcg, "TCG (asked for)")
    case .kvm: return (.kvm, "KVM (asked for)")
    case .auto: break
    }
    guard access("/dev/kvm", R_OK | W_OK) == 0 else {
      return (.tcg, "TCG: /dev/kvm is not available")
    }
    let memoFile = home.root.appendingPathComponent(KVMProbeMemo.fileName)
    let hostKernel = KVMProbeMemo.hostKernelRelease()
    if let memo = KVMProbeMemo.load(from: memoFile), memo.holds(qemu: qemu.version, hostKernel: hostKernel, now: now) {
      return memo.usable ? (.kvm, "KVM: probe passed earlier") : (.tcg, "TCG: KVM probe failed earlier (\(memo.detail))")
    }
    // A guest that stalls silently under KVM prints nothing: wait for the kernel's banner.
    let probe = try ProcessRunner.run(
      arguments(options, accelerator: .kvm) + ["-append", "console=ttyS0 panic=-1"],
      timeout: 15, collectLimit: 1 << 16)
    let usable = probe.output.contains("Linux version")
    let memo = KVMProbeMemo(
      usable: usable, detail: usable ? "usable" : "unusable: no kernel output within 15 s", qemu: qemu.version,
      hostKernel: hostKernel, at: now)
    try? FileManager.default.ensureDirectory(home.root)
    try? memo.save(to: memoFile)
    return usable ? (.kvm, "KVM: probe passed") : (.tcg, "TCG: KVM probe failed (\(memo.detail))")
  }
}

/// A KVM probe's answer and what it was made on. It holds for the same QEMU and host kernel,
/// for a day; after that (or on another QEMU or kernel) the probe runs again.
package struct KVMProbeMemo: Codable, Sendable, Equatable {
  package static let fileName = "kvm-probe.json"
  package static let lifetime: TimeInterval = 86_400

  package var usable: Bool
  package var detail: String
  package var qemu: String
  package var hostKernel: String
  package var at: Date

  package init(usable: Bool, detail: String, qemu: String, hostKernel: String, at: Date) {
    self.usable = usable
    self.detail = detail
    self.qemu = qemu
    self.hostKernel = hostKernel
    self.at = at
  }

  package func holds(qemu: String, hostKernel: String, now: Date) -> Bool {
    let age = now.timeIntervalSince(at)
    return self.qemu == qemu && self.hostKernel == hostKernel && age >= 0 && age < Self.lifetime
  }

  /// nil when there is none or it cannot be read (an older format included): probe again.
  package static func load(from file: URL) -> KVMProbeMemo? {
    guard let data = try? Data(contentsOf: file) else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try? decoder.decode(KVMProbeMemo.self, from: data)
  }

  package func save(to file: URL) throws {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(self).write(to: file, options: .atomic)
  }

  /// The host's `uname -r`.
  package static func hostKernelRelease() -> String {
    var name = utsname()
    guard uname(&name) == 0 else { return "unknown" }
    return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }
}

// The host's half of a host-driven step: a scenario step asks (guest/host.sh writes a request
// on the control port and waits), the host acts on the machine through QMP and answers on the
// same port when the act is done. What a step may ask is a closed set (`HostRequest`): the
// guest names a verb and a PF, never a QMP command. Every request and answer goes to the
// boot's host log, beside its console.

import Foundation
import PatchCheckBase

/// What a step can ask the host to do, by the guest's names for the machine's devices: `pfN`
/// is the igb on root port `rpN` (`QemuBooter.arguments`).
package enum HostRequest: Equatable, Sendable {
  /// device_del: the root port's attention button, then pciehp removes the device in the
  /// guest (after its 5 s wait) and QEMU deletes it; done when QEMU says so.
  case unplug(device: String)
  /// device_add of the same igb on the same root port: pciehp sees it arrive.
  case plug(device: String)
  /// pcie_aer_inject_error: an AER error on the device, as QEMU names them (`DLP`, `SDN` are
  /// fatal by default, `COMP_TIME`, `UNSUP` non-fatal, `BAD_TLP`, `ADV_NONFATAL` correctable).
  case aer(device: String, error: String)

  /// QEMU's names for the errors it injects (hw/pci/pcie_aer.c).
  package static let uncorrectable = [
    "TRAIN", "DLP", "SDN", "POISON_TLP", "FCP", "COMP_TIME", "COMP_ABORT", "UNX_COMP", "RX_OVER", "MALF_TLP", "ECRC",
    "UNSUP", "ACSV", "INTN", "MCBTLP", "ATOP_EBLOCKED", "TLP_PRF_BLOCKED",
  ]
  /// QEMU 10 sends a correctable error no further than the device's own status registers
  /// (`pcie_aer_msg_alldev` passes only uncorrectable ones up): accepted, but the guest's AER
  /// driver never hears of it.
  package static let correctable = [
    "RCVR", "BAD_TLP", "BAD_DLLP", "REP_ROLL", "REP_TIMER", "ADV_NONFATAL", "INTERNAL", "HL_OVERFLOW",
  ]

  /// Reads `VERB ARGS` for a guest with `pfs` PFs; nil with the reason when it is not one.
  /// An AER error can also be injected on a PF's root port (`rpN`): QEMU passes an error up
  /// only from functions whose Command register has SERR# enabled, and an endpoint's (the
  /// igb's) SERR# cannot be set; the root port's can, and its error is reported for the
  /// devices below it.
  package static func parse(_ words: [String], pfs: Int) -> Result<HostRequest, HostControl.Refusal> {
    let pf = (1...max(1, pfs)).map { "pf\($0)" }
    guard let verb = words.first else { return .failure(.init("an empty request")) }
    let devices = verb == "aer" ? pf + (1...max(1, pfs)).map { "rp\($0)" } : pf
    guard words.count >= 2, devices.contains(words[1]) else {
      return .failure(.init("'\(verb)' needs a device, one of \(devices.joined(separator: ", "))"))
    }
    let device = words[1]
    switch (verb, words.count) {
    case ("unplug", 2): return .success(.unplug(device: device))
    case ("plug", 2): return .success(.plug(device: device))
    case ("aer", 3) where (uncorrectable + correctable).contains(words[2]):
      return .success(.aer(device: device, error: words[2]))
    case ("aer", _):
      return .failure(.init("'aer' needs a device and one of QEMU's error names: \((uncorrectable + correctable).joined(separator: " "))"))
    default:
      return .failure(.init("unknown request '\(words.joined(separator: " "))': the host does unplug, plug and aer"))
    }
  }

  /// The root port a PF sits on.
  package static func port(of device: String) -> String { "rp" + device.dropFirst(2) }
}

/// One request a step made and how the host answered, for the report.
package struct HostAction: Sendable, Codable, Equatable {
  package var request: String
  /// "done" or "failed: why".
  package var answer: String
  /// Seconds from QEMU's start to the request, and how long the act took.
  package var at: Double
  package var seconds: Double
}

/// Serves one boot's control port: started before QEMU, stopped after it.
package final class HostControl: @unchecked Sendable {
  package struct Refusal: Error, Equatable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
  }

  /// The sockets live in a short folder of their own (a Unix socket's path has at most 107
  /// bytes; the run's folder may be deeper).
  package let folder: URL
  package var qmpSocket: String { folder.appendingPathComponent("qmp.sock").path }
  package var controlSocket: String { folder.appendingPathComponent("control.sock").path }
  /// How long an unplug may take: pciehp waits 5 s after the button, then removes the
  /// device's drivers (its VFs first) under TCG.
  package static let unplugLimit: TimeInterval = 90

  private let pfs: Int
  private let log: URL
  private let start: Date
  private let lock = NSLock()
  private var stopped = false
  private var actions: [HostAction] = []
  private var qmp: QMPClient?
  private var control: LineSocket?
  private let done = DispatchSemaphore(value: 0)
  private var serving = false

  package init(pfs: Int, log: URL, start: Date = Date()) throws {
    self.pfs = pfs
    self.log = log
    self.start = start
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("patchcheck-host-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: log.path, contents: nil)
  }

  /// Connects to QEMU's two sockets and answers requests until `stop`.
  package func serve() {
    lock.withLock { serving = true }
    DispatchQueue.global().async {
      defer { self.done.signal() }
      do {
        let control = try LineSocket(path: self.controlSocket, timeout: 60) { self.isStopped }
        let qmp = try QMPClient(path: self.qmpSocket, timeout: 60) { self.isStopped }
        self.lock.withLock { (self.control, self.qmp) = (control, qmp) }
        self.note("connected to QEMU's control port and QMP")
        while !self.isStopped {
          guard let line = control.readLine(timeout: 1) else { continue }
          self.answer(line, qmp: qmp, control: control)
        }
      } catch {
        if !self.isStopped { self.note("host control unavailable: \(error)") }
      }
    }
  }

  /// Stops serving; the requests made and their answers.
  package func stop() -> [HostAction] {
    let wait = lock.withLock {
      defer { stopped = true }
      control?.close()
      qmp?.close()
      return !stopped && serving
    }
    if wait { _ = done.wait(timeout: .now() + 5) }
    try? FileManager.default.removeItem(at: folder)
    return lock.withLock { actions }
  }

  private var isStopped: Bool { lock.withLock { stopped } }

  /// `ID VERB ARGS`: acts, then answers `ID done` or `ID failed: why` on the port.
  private func answer(_ line: String, qmp: QMPClient, control: LineSocket) {
    let words = line.split(separator: " ").map(String.init)
    guard words.count >= 2, words[0].allSatisfy(\.isNumber) else {
      note("ignored a line that is not a request: \(VisibleText.of(line, limit: 200))")
      return
    }
    let requested = Date()
    let at = requested.timeIntervalSince(start)
    note(String(format: "%.1f s: request %@", at, VisibleText.of(line, limit: 200)))
    let outcome: String
    switch HostRequest.parse(Array(words.dropFirst()), pfs: pfs) {
    case .failure(let refusal): outcome = "failed: \(refusal)"
    case .success(let request): outcome = Self.perform(request, qmp: qmp)
    }
    let seconds = Date().timeIntervalSince(requested)
    note(String(format: "%.1f s: %@ %@ (%.1f s)", Date().timeIntervalSince(start), words[0], outcome, seconds))
    lock.withLock {
      actions.append(HostAction(request: words.dropFirst().joined(separator: " "), answer: outcome, at: at, seconds: seconds))
    }
    try? control.write(line: "\(words[0]) \(outcome)")
  }

  /// Does what `request` asks through `qmp`: "done", or "failed: why".
  package static func perform(_ request: HostRequest, qmp: QMPClient, unplugLimit: TimeInterval = unplugLimit) -> String {
    do {
      switch request {
      case .unplug(let device):
        try qmp.execute("device_del", arguments: ["id": device])
        let asked = Date()
        let deleted = qmp.waitForEvent("DEVICE_DELETED", timeout: unplugLimit) { ($0["device"] as? String) == device }
        if deleted != nil { return "done" }
        // Cut short: QEMU went away (the boot ended) before the limit.
        return Date().timeIntervalSince(asked) < unplugLimit - 1
          ? "failed: QEMU stopped before \(device) was removed"
          : "failed: \(device) was not removed within \(Int(unplugLimit)) s"
      case .plug(let device):
        try qmp.execute("device_add", arguments: ["driver": "igb", "bus": HostRequest.port(of: device), "id": device])
        return "done"
      case .aer(let device, let error):
        let output = try qmp.execute("human-monitor-command", arguments: ["command-line": "pcie_aer_inject_error \(device) \(error)"])
        let text = (output as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("OK") ? "done" : "failed: \(VisibleText.of(text, limit: 200))"
      }
    } catch {
      return "failed: \(error)"
    }
  }

  private func note(_ text: String) {
    guard let handle = try? FileHandle(forWritingTo: log) else { return }
    handle.seekToEndOfFile()
    handle.write(Data((text + "\n").utf8))
    try? handle.close()
  }
}

// QEMU's machine protocol (QMP) on a Unix socket, and the guest's control port: the two
// channels through which the host acts on a running guest's machine. QMP for the act itself
// (device_del, device_add, AER injection through the human monitor); the control port, a
// virtio-serial port QEMU joins to a Unix socket, for the guest's requests and the host's
// answers (`HostControl`).

import Foundation
import PatchCheckBase

#if canImport(Glibc)
  import Glibc
#endif

/// A connected Unix stream socket, read line by line with a time limit.
package final class LineSocket: @unchecked Sendable {
  package struct Failure: Error, CustomStringConvertible {
    package let description: String
  }

  private let fd: Int32
  private var pending = [UInt8]()
  private let lock = NSLock()
  private var closed = false

  /// Connects to `path`, trying again until it exists and listens or `timeout` passes (QEMU
  /// makes its sockets as it starts), or `cancelled` says to give up.
  package init(path: String, timeout: TimeInterval, cancelled: () -> Bool = { false }) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      guard fd >= 0 else { throw Failure(description: "socket() failed: \(String(cString: strerror(errno)))") }
      if Self.connect(fd, to: path) {
        self.fd = fd
        return
      }
      let reason = String(cString: strerror(errno))
      Glibc.close(fd)
      if Date() >= deadline || cancelled() {
        throw Failure(description: "cannot connect to \(path): \(reason)")
      }
      usleep(50_000)
    }
  }

  private static func connect(_ fd: Int32, to path: String) -> Bool {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
      }
    }
  }

  /// The next line (without its newline); nil at the time limit or when the peer closed.
  package func readLine(timeout: TimeInterval) -> String? {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[..<newline], as: UTF8.self)
        pending.removeSubrange(...newline)
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
      }
      let left = deadline.timeIntervalSinceNow
      guard left > 0, !isClosed else { return nil }
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(min(left, 0.5) * 1000))
      if ready < 0, errno != EINTR { return nil }
      guard ready > 0 else { continue }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = read(fd, &chunk, chunk.count)
      if count <= 0 { return nil }
      pending += chunk[..<count]
    }
  }

  package func write(line: String) throws {
    let bytes = Array((line + "\n").utf8)
    var sent = 0
    while sent < bytes.count {
      // send with MSG_NOSIGNAL: a peer gone (QEMU stopped at the end of the boot) is an error
      // here, never a SIGPIPE that kills patchcheck before it writes the report.
      let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      guard count > 0 else { throw Failure(description: "write failed: \(String(cString: strerror(errno)))") }
      sent += count
    }
  }

  private var isClosed: Bool { lock.withLock { closed } }

  package func close() {
    lock.withLock {
      guard !closed else { return }
      closed = true
      shutdown(fd, Int32(SHUT_RDWR))
      Glibc.close(fd)
    }
  }

  deinit { close() }
}

/// A QMP session: the greeting read, capabilities negotiated, then commands one at a time.
/// Events that arrive meanwhile are kept for `waitForEvent`.
package final class QMPClient: @unchecked Sendable {
  package struct Failure: Error, CustomStringConvertible {
    package let description: String
  }

  private let socket: LineSocket
  private var events: [[String: Any]] = []

  package init(path: String, timeout: TimeInterval, cancelled: () -> Bool = { false }) throws {
    socket = try LineSocket(path: path, timeout: timeout, cancelled: cancelled)
    guard let greeting = socket.readLine(timeout: timeout), greeting.contains("\"QMP\"") else {
      throw Failure(description: "no QMP greeting on \(path)")
    }
    _ = try execute("qmp_capabilities")
  }

  /// Runs one command; its `return` value, or the error QEMU gave as a Failure.
  @discardableResult
  package func execute(_ command: String, arguments: [String: Any]? = nil, timeout: TimeInterval = 30) throws -> Any {
    var message: [String: Any] = ["execute": command]
    if let arguments { message["arguments"] = arguments }
    let data = try JSONSerialization.data(withJSONObject: message, options: [.sortedKeys])
    try socket.write(line: String(decoding: data, as: UTF8.self))
    let deadline = Date().addingTimeInterval(timeout)
    while let object = next(until: deadline) {
      if object["event"] != nil {
        events.append(object)
        continue
      }
      if let error = object["error"] as? [String: Any] {
        throw Failure(description: "\(command): \(error["desc"] as? String ?? "error")")
      }
      if let value = object["return"] { return value }
    }
    throw Failure(description: "\(command): no answer from QEMU within \(Int(timeout)) s")
  }

  /// The first event named `name` whose data passes `matching`, kept or still to come.
  package func waitForEvent(
    _ name: String, timeout: TimeInterval, matching: ([String: Any]) -> Bool = { _ in true }
  ) -> [String: Any]? {
    func fits(_ object: [String: Any]) -> Bool {
      (object["event"] as? String) == name && matching(object["data"] as? [String: Any] ?? [:])
    }
    if let index = events.firstIndex(where: { fits($0) }) { return events.remove(at: index) }
    let deadline = Date().addingTimeInterval(timeout)
    while let object = next(until: deadline) {
      if fits(object) { return object }
      if object["event"] != nil { events.append(object) }
    }
    return nil
  }

  private func next(until deadline: Date) -> [String: Any]? {
    while deadline.timeIntervalSinceNow > 0 {
      guard let line = socket.readLine(timeout: deadline.timeIntervalSinceNow) else { return nil }
      if let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] { return object }
    }
    return nil
  }

  package func close() { socket.close() }
}

// The one place patchcheck starts child processes (make, tar, apt-get, qemu, dpkg-deb).
// Each child gets its own process group so that an interrupt, a time limit or any early
// exit can stop it with everything it started (make's compilers, QEMU).

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

package struct ProcessResult: Sendable {
  package let status: Int32
  /// Collected stdout+stderr (at most `collectLimit` bytes, the end kept).
  package let output: String
  package let timedOut: Bool
  /// Killed because a `ProcessControl` asked for it.
  package let stoppedOnRequest: Bool
  /// Killed because it printed nothing for `idleTimeout` seconds.
  package let idledOut: Bool
  package var succeeded: Bool { status == 0 && !timedOut && !idledOut }
}

/// Lets a line handler ask the runner to stop the child a little later (QEMU after the
/// guest said it is done: a guest that hangs while powering off must not hold the run).
package final class ProcessControl: @unchecked Sendable {
  private let lock = NSLock()
  private var stopAt: Date?
  package init() {}
  package func stop(after seconds: TimeInterval) {
    lock.withLock {
      let when = Date().addingTimeInterval(seconds)
      if let current = stopAt, current <= when { return }
      stopAt = when
    }
  }
  package var deadline: Date? { lock.withLock { stopAt } }
}

package enum ProcessRunner {
  package struct Failure: Error, CustomStringConvertible {
    package let command: [String]
    package let reason: String
    package var description: String { "\(command.joined(separator: " ")): \(reason)" }
  }

  /// Finds an executable on PATH.
  package static func which(_ name: String) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Runs `command`, merging stderr into stdout. Output goes to `logFile` when given (appended),
  /// to `onLine` line by line, and the last `collectLimit` bytes are returned.
  @discardableResult
  package static func run(
    _ command: [String],
    cwd: String? = nil,
    environment: [String: String] = [:],
    logFile: String? = nil,
    timeout: TimeInterval? = nil,
    collectLimit: Int = 1 << 20,
    control: ProcessControl? = nil,
    idleTimeout: TimeInterval? = nil,
    onLine: ((String) -> Void)? = nil
  ) throws -> ProcessResult {
    guard let exe = command.first, let resolved = which(exe) else {
      throw Failure(command: command, reason: "not found on PATH")
    }
    var pipeFDs: [Int32] = [0, 0]
    guard pipe(&pipeFDs) == 0 else { throw Failure(command: command, reason: "pipe failed") }
    let (readFD, writeFD) = (pipeFDs[0], pipeFDs[1])
    let pid = try spawn(command, resolved: resolved, cwd: cwd, environment: environment, readFD: readFD, writeFD: writeFD)
    ChildRegistry.shared.add(pid)
    defer { ChildRegistry.shared.remove(pid) }

    let log = logFile.flatMap(appendingHandle)
    defer { try? log?.close() }
    var output = OutputSink(log: log, collectLimit: collectLimit, onLine: onLine)
    let ending = readUntilDone(
      readFD, of: pid, deadline: timeout.map { Date().addingTimeInterval($0) }, control: control,
      idleTimeout: idleTimeout, into: &output)
    close(readFD)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // Whatever the child left behind in its group (make's compilers) goes with it.
    kill(-pid, SIGKILL)
    let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(
      status: exitStatus, output: String(decoding: output.collected, as: UTF8.self), timedOut: ending == .timedOut,
      stoppedOnRequest: ending == .stoppedOnRequest, idledOut: ending == .idledOut)
  }

  /// Starts the child in its own process group, stdin from /dev/null and stdout and stderr into
  /// `writeFD` (closed here in the parent either way); `readFD` is closed when it fails to start.
  private static func spawn(
    _ command: [String], resolved: String, cwd: String?, environment: [String: String], readFD: Int32, writeFD: Int32
  ) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    redirect(&actions, readFD: readFD, writeFD: writeFD)

    var attrs = posix_spawnattr_t()
    posix_spawnattr_init(&attrs)
    defer { posix_spawnattr_destroy(&attrs) }
    ownGroupWithDefaultSignals(&attrs)

    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let envStrings = env.map { "\($0.key)=\($0.value)" }
    // `env -C` changes directory for the child: glibc's addchdir_np is not visible to Swift.
    let full = cwd.map { ["/usr/bin/env", "-C", $0, resolved] } ?? [resolved]
    let argv = (full + command.dropFirst()).map { strdup($0) } + [nil]
    let envp = envStrings.map { strdup($0) } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }

    var pid: pid_t = 0
    let rc = posix_spawn(&pid, cwd == nil ? resolved : "/usr/bin/env", &actions, &attrs, argv, envp)
    close(writeFD)
    guard rc == 0 else {
      close(readFD)
      throw Failure(command: command, reason: String(cString: strerror(rc)))
    }
    return pid
  }

  /// Where the child's descriptors lead: stdin /dev/null, stdout and stderr the pipe, and
  /// neither end of the pipe left open as it is.
  private static func redirect(_ actions: inout posix_spawn_file_actions_t, readFD: Int32, writeFD: Int32) {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, writeFD, 1)
    posix_spawn_file_actions_adddup2(&actions, writeFD, 2)
    posix_spawn_file_actions_addclose(&actions, readFD)
    posix_spawn_file_actions_addclose(&actions, writeFD)
  }

  /// The child leads a process group of its own (so it can be killed with what it starts),
  /// with SIGINT, SIGTERM and SIGPIPE at their defaults and no signal blocked.
  private static func ownGroupWithDefaultSignals(_ attrs: inout posix_spawnattr_t) {
    posix_spawnattr_setpgroup(&attrs, 0)
    var defaultSignals = sigset_t()
    sigemptyset(&defaultSignals)
    sigaddset(&defaultSignals, SIGINT)
    sigaddset(&defaultSignals, SIGTERM)
    sigaddset(&defaultSignals, SIGPIPE)
    posix_spawnattr_setsigdefault(&attrs, &defaultSignals)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attrs, &noSignals)
    posix_spawnattr_setflags(
      &attrs, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
  }

  /// The log file, opened for appending (created when missing).
  private static func appendingHandle(_ path: String) -> FileHandle? {
    if !FileManager.default.fileExists(atPath: path) {
      _ = FileManager.default.createFile(atPath: path, contents: nil)
    }
    let handle = FileHandle(forWritingAtPath: path)
    handle?.seekToEndOfFile()
    return handle
  }

  /// Why reading the child's output stopped.
  private enum Ending {
    /// The child closed its output (it exited, or closed it).
    case endOfOutput
    case timedOut, stoppedOnRequest, idledOut
  }

  /// Reads the child's output into `output` until it ends or the child must be killed
  /// (its process group killed here).
  private static func readUntilDone(
    _ readFD: Int32, of pid: pid_t, deadline: Date?, control: ProcessControl?, idleTimeout: TimeInterval?,
    into output: inout OutputSink
  ) -> Ending {
    var lastOutput = Date()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
      let wait: Int32 = deadline.map { Int32(max(0, min(200, $0.timeIntervalSinceNow * 1000))) } ?? 200
      let ready = poll(&pfd, 1, wait)
      if ready < 0 && errno == EINTR { continue }
      if let ending = reasonToKill(
        deadline: deadline, control: control, idleTimeout: idleTimeout, quiet: ready == 0, lastOutput: lastOutput)
      {
        kill(-pid, SIGKILL)
        return ending
      }
      if ready == 0 { continue }
      lastOutput = Date()
      let n = read(readFD, &buffer, buffer.count)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return .endOfOutput }
      output.take(Data(buffer[0..<n]))
    }
  }

  /// Whether the child must be killed now: past its time limit, asked to stop, or silent
  /// (`quiet`: the last poll saw nothing) for `idleTimeout` — in that order.
  private static func reasonToKill(
    deadline: Date?, control: ProcessControl?, idleTimeout: TimeInterval?, quiet: Bool, lastOutput: Date
  ) -> Ending? {
    if let deadline, Date() >= deadline { return .timedOut }
    if let stopAt = control?.deadline, Date() >= stopAt { return .stoppedOnRequest }
    if let idleTimeout, quiet, Date().timeIntervalSince(lastOutput) >= idleTimeout { return .idledOut }
    return nil
  }

  /// Where the child's output goes: the log, the last `collectLimit` bytes kept, and whole
  /// lines to `onLine`.
  private struct OutputSink {
    let log: FileHandle?
    let collectLimit: Int
    let onLine: ((String) -> Void)?
    var collected = Data()
    var pendingLine = Data()

    mutating func take(_ chunk: Data) {
      log?.write(chunk)
      collected.append(chunk)
      if collected.count > collectLimit { collected.removeFirst(collected.count - collectLimit) }
      if let onLine {
        pendingLine.append(chunk)
        while let nl = pendingLine.firstIndex(of: 0x0A) {
          let line = pendingLine[pendingLine.startIndex..<nl]
          onLine(String(decoding: line, as: UTF8.self))
          pendingLine.removeSubrange(pendingLine.startIndex...nl)
        }
      }
    }
  }
}

/// Process groups of running children, killed on interrupt so nothing outlives patchcheck.
package final class ChildRegistry: @unchecked Sendable {
  package static let shared = ChildRegistry()
  private let lock = NSLock()
  private var pids = Set<pid_t>()

  package func add(_ pid: pid_t) { lock.withLock { _ = pids.insert(pid) } }
  package func remove(_ pid: pid_t) { lock.withLock { _ = pids.remove(pid) } }

  /// Kills every child's process group. Safe to call from a signal-handling queue.
  package func killAll() {
    let all = lock.withLock { pids }
    for pid in all { kill(-pid, SIGKILL) }
  }
}

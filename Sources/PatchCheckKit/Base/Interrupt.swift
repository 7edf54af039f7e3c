// Ctrl-C and SIGTERM: stop every child (QEMU, make) and run the registered clean-ups
// (which keep logs, never delete them), then exit 130.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

package final class Interrupts: @unchecked Sendable {
  package static let shared = Interrupts()
  private let lock = NSLock()
  private var handlers: [Int: () -> Void] = [:]
  private var nextID = 0
  private var sources: [DispatchSourceSignal] = []
  private var fired = false

  /// True from the moment a signal arrives: the run's own thread must then leave the report
  /// to the interrupt handlers (a child it sees die was killed by us, not a build failure).
  package var interrupted: Bool { lock.withLock { fired } }

  /// Installs handlers for SIGINT and SIGTERM once.
  package func install() {
    lock.withLock {
      guard sources.isEmpty else { return }
      for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { [weak self] in self?.fire(sig) }
        source.resume()
        sources.append(source)
      }
    }
  }

  /// Registers work to do on interrupt; returns a token for `remove`.
  package func onInterrupt(_ body: @escaping () -> Void) -> Int {
    lock.withLock {
      nextID += 1
      handlers[nextID] = body
      return nextID
    }
  }

  package func remove(_ token: Int) { lock.withLock { _ = handlers.removeValue(forKey: token) } }

  /// Called by a run's own thread once it sees `interrupted`: the handler is stopping the
  /// children and writing the ABORTED report, then exits 130; nothing else may be printed
  /// or returned meanwhile (a killed make would otherwise read as a BUILD-FAIL).
  package func awaitExit() -> Never {
    while true { sleep(1) }
  }

  private func fire(_ sig: Int32) {
    lock.withLock { fired = true }
    ChildRegistry.shared.killAll()
    let all = lock.withLock { handlers.values }
    for body in all { body() }
    FileHandle.standardError.write(
      Data("patchcheck: interrupted; children stopped, logs kept\n".utf8))
    // _exit, not exit: exit runs the process's exit handlers on this signal queue's thread
    // while the run's thread is still somewhere in Foundation, and was seen to hang there
    // for good (1 run in 16 under a loaded machine, ProcessReliabilityTests). Everything
    // that must outlive us is on disk already (the report is written atomically above);
    // only the stdio buffers are flushed by hand.
    fflush(nil)
    _exit(PatchCheckError.Kind.interrupted.exitCode)
  }
}

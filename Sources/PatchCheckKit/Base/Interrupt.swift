// Ctrl-C and SIGTERM: stop every child (QEMU, make) and run the registered clean-ups
// (which keep logs, never delete them), then exit 130.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public final class Interrupts: @unchecked Sendable {
  public static let shared = Interrupts()
  private let lock = NSLock()
  private var handlers: [Int: () -> Void] = [:]
  private var nextID = 0
  private var sources: [DispatchSourceSignal] = []

  /// Installs handlers for SIGINT and SIGTERM once.
  public func install() {
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
  public func onInterrupt(_ body: @escaping () -> Void) -> Int {
    lock.withLock {
      nextID += 1
      handlers[nextID] = body
      return nextID
    }
  }

  public func remove(_ token: Int) { lock.withLock { _ = handlers.removeValue(forKey: token) } }

  private func fire(_ sig: Int32) {
    ChildRegistry.shared.killAll()
    let all = lock.withLock { handlers.values }
    for body in all { body() }
    FileHandle.standardError.write(
      Data("patchcheck: interrupted; children stopped, logs kept\n".utf8))
    exit(PatchCheckError.Kind.interrupted.exitCode)
  }
}

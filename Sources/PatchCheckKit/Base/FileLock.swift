// An advisory lock so two runs never build in the same worktree at once.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

package final class FileLock {
  private let fd: Int32

  /// Takes the lock, waiting for another holder; `onWait` is told once if it has to wait.
  package init(_ url: URL, onWait: () -> Void) throws {
    try FileManager.default.ensureDirectory(url.deletingLastPathComponent())
    fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw PatchCheckError(.infra, "cannot open lock file \(url.path)", hint: "check the cache folder's permissions")
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      onWait()
      while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }
  }

  deinit {
    flock(fd, LOCK_UN)
    close(fd)
  }
}

// An advisory lock so two runs never build in the same worktree at once.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

package final class FileLock {
  /// -1 for a lock taken again on the thread that already holds it.
  private let fd: Int32
  private let path: String
  private let holder: Thread

  /// Takes the lock, waiting for another holder; `onWait` is told once if it has to wait.
  /// The thread that holds it may take it again (ci holds the build slot across its tags,
  /// and each tag's run takes it too); another thread, or process, waits for the outermost.
  package init(_ url: URL, onWait: () -> Void) throws {
    path = url.standardizedFileURL.path
    holder = Thread.current
    if let depth = Self.depth(path, on: holder) {
      Self.setDepth(depth + 1, path, on: holder)
      fd = -1
      return
    }
    try FileManager.default.ensureDirectory(url.deletingLastPathComponent())
    fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw PatchCheckError(.infra, "cannot open lock file \(url.path)", hint: "check the cache folder's permissions")
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      onWait()
      while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }
    Self.setDepth(1, path, on: holder)
  }

  deinit {
    let depth = Self.depth(path, on: holder) ?? 1
    Self.setDepth(depth - 1, path, on: holder)
    if fd >= 0 {
      flock(fd, LOCK_UN)
      close(fd)
    }
  }

  private static func depth(_ path: String, on thread: Thread) -> Int? {
    (thread.threadDictionary["patchcheck.locks"] as? [String: Int])?[path]
  }

  private static func setDepth(_ depth: Int, _ path: String, on thread: Thread) {
    var held = thread.threadDictionary["patchcheck.locks"] as? [String: Int] ?? [:]
    held[path] = depth > 0 ? depth : nil
    thread.threadDictionary["patchcheck.locks"] = held
  }
}

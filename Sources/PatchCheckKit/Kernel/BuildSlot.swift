// Where a repository's kernels are built: one worktree and one O= folder per repository in
// the cache, guarded by a lock so that two runs never build in them at once.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package struct BuildSlot {
  package let home: PatchCheckHome
  package let repository: GitRepository
  package let key: String
  package let console: Terminal

  package init(home: PatchCheckHome, repository: GitRepository, console: Terminal) {
    self.home = home
    self.repository = repository
    self.console = console
    key = Self.key(for: repository)
  }

  /// The worktree's name and branch in the repository are this slot's own: two cache
  /// folders sharing one repository (PATCHCHECK_HOME set differently, a linked linux.git)
  /// must neither open each other's worktree nor move each other's branch.
  package var branch: String { "refs/heads/patchcheck/build-\(Self.hash(worktreePath.path))" }
  package var worktreeName: String { "patchcheck-build-\(Self.hash(worktreePath.path))" }

  package var worktreePath: URL { home.worktrees.appendingPathComponent(key).appendingPathComponent("build") }
  package var buildDirectory: URL { home.builds.appendingPathComponent(key) }

  /// Waits for (and then holds, until released) the slot.
  package func lock() throws -> FileLock {
    try FileLock(home.worktrees.appendingPathComponent(key).appendingPathComponent("build.lock")) {
      console.say("waiting for another patchcheck run using \(worktreePath.path)")
    }
  }

  /// The worktree with `commit`'s files checked out (made on first use). Hold the lock.
  package func checkout(_ commit: ObjectID) throws -> GitRepository {
    if try repository.reference(branch) == nil {
      try repository.setReference(branch, to: commit, log: "patchcheck: build branch")
    }
    if !FileManager.default.fileExists(atPath: worktreePath.appendingPathComponent(".git").path) {
      console.say("checking out the build worktree at \(worktreePath.path) (first run only)")
    }
    let worktree = try repository.worktree(named: worktreeName, at: worktreePath, branch: branch)
    try worktree.checkout(commit, branch: branch)
    return worktree
  }

  package func builder(fragments: [URL]) -> KernelBuilder {
    KernelBuilder(source: worktreePath, buildDirectory: buildDirectory, fragments: fragments, home: home)
  }

  /// ~/src/linux/.git -> "linux", ~/.cache/patchcheck/linux.git -> "linux"; plus a hash of the path.
  package static func key(for repository: GitRepository) -> String {
    let url = URL(fileURLWithPath: repository.gitDirectory).standardizedFileURL
    let last = url.lastPathComponent
    let name =
      last == ".git"
      ? url.deletingLastPathComponent().lastPathComponent
      : last.hasSuffix(".git") ? String(last.dropLast(4)) : last
    return slug(name) + "-" + hash(url.path)
  }

  /// FNV-1a of a path, six hex digits at most.
  package static func hash(_ path: String) -> String {
    var hash: UInt64 = 1_469_598_103_934_665_603
    for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
    return String(hash % 0xFFFFFF, radix: 16)
  }
}

// Where a repository's kernels are built: one worktree and one O= folder per kernel line
// (VERSION.PATCHLEVEL) of a repository in the cache, each guarded by its own lock so that two
// runs never build in one at once. A checkout rewrites every file that differs, and make
// then rebuilds what they reach: one folder per line keeps a switch between 7.2 and 7.3 from
// recompiling the whole kernel each time.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package struct BuildSlot {
  package let home: PatchCheckHome
  package let repository: GitRepository
  /// VERSION.PATCHLEVEL of the commit the slot was chosen for; nil when its Makefile
  /// could not be read (the slot is then the repository's line-less one).
  package let line: String?
  package let key: String
  package let console: Terminal

  /// The slot for building `commit`: its kernel line's, read from the commit's top-level
  /// Makefile; the repository's line-less slot when there is none.
  package init(home: PatchCheckHome, repository: GitRepository, commit: ObjectID, console: Terminal) {
    self.init(home: home, repository: repository, line: Self.line(of: commit, in: repository), console: console)
  }

  package init(home: PatchCheckHome, repository: GitRepository, line: String?, console: Terminal) {
    self.home = home
    self.repository = repository
    self.line = line
    self.console = console
    key = Self.key(for: repository) + (line.map { "-\($0)" } ?? "")
  }

  /// VERSION.PATCHLEVEL from `commit`'s top-level Makefile, or nil when it has none (or
  /// none that says a line) or the commit cannot be read.
  package static func line(of commit: ObjectID, in repository: GitRepository) -> String? {
    guard let data = try? repository.file("Makefile", in: commit) else { return nil }
    return KernelVersion.line(fromMakefile: String(decoding: data, as: UTF8.self))
  }

  /// The worktree's name and branch in the repository are this slot's own: two cache
  /// folders sharing one repository (PATCHCHECK_HOME set differently, a linked linux.git)
  /// must neither open each other's worktree nor move each other's branch.
  package var branch: String { "refs/heads/patchcheck/build-\(Self.hash(worktreePath.path))" }
  package var worktreeName: String { "patchcheck-build-\(Self.hash(worktreePath.path))" }

  package var worktreePath: URL { home.worktrees.appendingPathComponent(key).appendingPathComponent("build") }
  package var buildDirectory: URL { home.builds.appendingPathComponent(key) }
  package var lockFile: URL { home.worktrees.appendingPathComponent(key).appendingPathComponent("build.lock") }

  /// Waits for (and then holds, until released) the slot.
  package func lock() throws -> FileLock {
    try FileLock(lockFile) {
      console.say("waiting for another patchcheck run using \(worktreePath.path)")
    }
  }

  /// The worktree with `commit`'s files checked out (made on first use). Hold the lock.
  package func checkout(_ commit: ObjectID) throws -> GitRepository {
    if try repository.reference(branch) == nil {
      try repository.setReference(branch, to: commit, log: "patchcheck: build branch")
    }
    if !FileManager.default.fileExists(atPath: worktreePath.appendingPathComponent(".git").path) {
      console.say("checking out the build worktree\(line.map { " for \($0)" } ?? "") at \(worktreePath.path) (first run only)")
    }
    let worktree = try repository.worktree(named: worktreeName, at: worktreePath, branch: branch)
    try worktree.checkout(commit, branch: branch)
    return worktree
  }

  package func builder(fragments: [URL]) -> KernelBuilder {
    KernelBuilder(source: worktreePath, buildDirectory: buildDirectory, fragments: fragments, home: home)
  }

  /// ~/src/linux/.git -> "linux", ~/.cache/patchcheck/linux.git -> "linux"; plus a hash of the
  /// path. The line-less slot's key, and the start of every line's (`linux-1a2b3c-7.3`).
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

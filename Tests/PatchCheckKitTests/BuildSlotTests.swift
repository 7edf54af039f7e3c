import Foundation
import Testing

@testable import PatchCheckKit

/// One build slot (worktree, O= folder, lock) per kernel line, the line read from the
/// built commit's Makefile in the repository (docs/configuration.md, "Build slots"). Real
/// repositories in temp folders, through libgit2.
@Suite struct BuildSlotTests {
  /// A bare repository with one commit per Makefile (nil: a tree with no Makefile).
  struct Lines {
    let repo: GitRepository
    let home: PatchCheckHome
    var commits: [ObjectID] = []

    init(_ dir: TempDir, makefiles: [String?]) throws {
      repo = try GitRepository.create(at: dir.path("linux.git").path, bare: true)
      home = PatchCheckHome(root: dir.path("home"))
      let sig = Signature(name: "T", email: "t@example.com", time: Date(timeIntervalSince1970: 1_700_000_000), offsetMinutes: 0)
      for (index, makefile) in makefiles.enumerated() {
        var entries = [
          TreeEntry(path: "drivers/toy.c", blob: try repo.writeBlob(Data("int v\(index);\n".utf8)), mode: .file)
        ]
        if let makefile { entries.append(TreeEntry(path: "Makefile", blob: try repo.writeBlob(Data(makefile.utf8)), mode: .file)) }
        commits.append(
          try repo.createCommit(
            tree: repo.writeTree(entries), parents: commits.suffix(1), author: sig, committer: sig, message: "\(index)\n"))
      }
    }

    func slot(_ index: Int) -> BuildSlot {
      BuildSlot(home: home, repository: repo, commit: commits[index], console: Terminal(quiet: true))
    }
  }

  /// The head of a real kernel Makefile.
  static func makefile(_ version: Int, _ patchlevel: Int, _ sublevel: Int, extra: String = "") -> String {
    """
    # SPDX-License-Identifier: GPL-2.0
    VERSION = \(version)
    PATCHLEVEL = \(patchlevel)
    SUBLEVEL = \(sublevel)
    EXTRAVERSION = \(extra)
    NAME = Baby Opossum Posse

    # *DOCUMENTATION*
    """
  }

  @Test func twoLinesGetTwoSlots() throws {
    let dir = try TempDir()
    let lines = try Lines(dir, makefiles: [Self.makefile(7, 2, 12), Self.makefile(7, 3, 4)])
    let (old, new) = (lines.slot(0), lines.slot(1))
    #expect(old.line == "7.2" && new.line == "7.3")
    let repoKey = BuildSlot.key(for: lines.repo)
    #expect(old.key == repoKey + "-7.2" && new.key == repoKey + "-7.3")
    #expect(old.worktreePath != new.worktreePath)
    #expect(old.buildDirectory != new.buildDirectory)
    #expect(old.lockFile != new.lockFile)
    #expect(old.branch != new.branch && old.worktreeName != new.worktreeName)
    #expect(new.worktreePath == lines.home.worktrees.appendingPathComponent("\(repoKey)-7.3/build"))
    #expect(new.buildDirectory == lines.home.builds.appendingPathComponent("\(repoKey)-7.3"))
    // Each line's worktree holds its own commit, and checking one out leaves the other be.
    _ = try old.checkout(lines.commits[0])
    _ = try new.checkout(lines.commits[1])
    #expect(try GitRepository(path: old.worktreePath.path).headCommit() == lines.commits[0])
    #expect(try GitRepository(path: new.worktreePath.path).headCommit() == lines.commits[1])
    #expect(try String(contentsOf: old.worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int v0;\n")
    #expect(try String(contentsOf: new.worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int v1;\n")
    // Two locks: 7.2's held here does not stop another thread building 7.3, but does 7.2.
    let held = try old.lock()
    #expect(Self.waits(for: new.lockFile) == false, "7.3's slot waited for 7.2's lock")
    #expect(Self.waits(for: old.lockFile) == true, "7.2's slot was taken while held")
    withExtendedLifetime(held) {}
  }

  @Test func oneLineKeepsOneSlot() throws {
    let dir = try TempDir()
    let lines = try Lines(dir, makefiles: [Self.makefile(7, 3, 4), Self.makefile(7, 3, 5), Self.makefile(7, 3, 0, extra: "-rc2")])
    let slots = (0..<3).map(lines.slot)
    #expect(slots.allSatisfy { $0.line == "7.3" })
    #expect(Set(slots.map(\.key)).count == 1)
    #expect(Set(slots.map(\.worktreePath)).count == 1 && Set(slots.map(\.buildDirectory)).count == 1)
    #expect(Set(slots.map(\.lockFile)).count == 1 && Set(slots.map(\.branch)).count == 1)
    // The point release moves the one worktree.
    _ = try slots[0].checkout(lines.commits[0])
    _ = try slots[1].checkout(lines.commits[1])
    #expect(try GitRepository(path: slots[0].worktreePath.path).headCommit() == lines.commits[1])
    #expect(try lines.repo.reference(slots[0].branch) == lines.commits[1])
  }

  /// No Makefile, or one that names no numeric line, or a commit the repository lacks: the
  /// repository's line-less slot, the folders every build used before slots were per line.
  @Test func aCommitWithoutAMakefileFallsBackToTheLinelessSlot() throws {
    let dir = try TempDir()
    let lines = try Lines(dir, makefiles: [nil, "VERSION = $(shell cat version)\nPATCHLEVEL = 3\n", "obj-y += toy.o\n"])
    let repoKey = BuildSlot.key(for: lines.repo)
    let missing = try #require(ObjectID(hex: String(repeating: "ab", count: 20)))
    let slots =
      (0..<3).map(lines.slot) + [BuildSlot(home: lines.home, repository: lines.repo, commit: missing, console: Terminal(quiet: true))]
    for slot in slots {
      #expect(slot.line == nil)
      #expect(slot.key == repoKey)
      #expect(slot.worktreePath == lines.home.worktrees.appendingPathComponent("\(repoKey)/build"))
      #expect(slot.buildDirectory == lines.home.builds.appendingPathComponent(repoKey))
      #expect(slot.lockFile == lines.home.worktrees.appendingPathComponent("\(repoKey)/build.lock"))
    }
    _ = try slots[0].checkout(lines.commits[0])
    #expect(try String(contentsOf: slots[0].worktreePath.appendingPathComponent("drivers/toy.c"), encoding: .utf8) == "int v0;\n")
  }

  @Test func theLineIsVersionDotPatchlevel() {
    #expect(KernelVersion.line(fromMakefile: Self.makefile(7, 3, 4)) == "7.3")
    #expect(KernelVersion.line(fromMakefile: Self.makefile(6, 12, 117)) == "6.12")
    #expect(KernelVersion.line(fromMakefile: Self.makefile(7, 4, 0, extra: "-rc1")) == "7.4")
    #expect(KernelVersion.line(fromMakefile: "VERSION = 7\n") == nil)
    #expect(KernelVersion.line(fromMakefile: "VERSION = 7\nPATCHLEVEL = ../3\n") == nil)
    #expect(KernelVersion.line(fromMakefile: "VERSION = ٧\nPATCHLEVEL = 3\n") == nil, "digits beyond ASCII")
  }

  /// Whether taking `lock` on another thread has to wait (it is let go at once either way).
  static func waits(for lock: URL) -> Bool {
    let done = DispatchSemaphore(value: 0)
    let waited = Flag()
    Thread.detachNewThread {
      let taken = try? FileLock(lock) {
        waited.set()
        done.signal()
      }
      withExtendedLifetime(taken) {}
      done.signal()
    }
    done.wait()
    return waited.value
  }

  final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func set() { lock.withLock { raised = true } }
    var value: Bool { lock.withLock { raised } }
  }
}

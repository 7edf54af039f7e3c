// The applier's look at a patch that did not apply: is its change in the tree already (its
// reverse applies, or its lines are there in another form), and is its subject a commit of
// the base's history. `--skip-applied` skips such a patch; without it the failure says so.

import Foundation
import PatchCheckBase

extension Applier {
  /// How many commits of the base's history are searched for a patch's subject.
  package static let historyLimit = 50_000

  /// What the tree at `parent` holds of a patch that did not apply; the history searched
  /// from `base` for its subject.
  package func diagnose(_ patch: Patch, files: [DiffFile], on parent: ObjectID, base: ObjectID) throws -> AlreadyInTree {
    let counted = files.flatMap { file in
      let moved = ChangePresence.moved(in: file.hunks)
      return file.hunks.map { hunk in
        (
          ChangePresence.lines(of: hunk, "+").filter { !moved.contains($0) }.count,
          ChangePresence.lines(of: hunk, "-").filter { !moved.contains($0) }.count
        )
      }
    }
    var found = AlreadyInTree(
      evidence: nil, addedLines: counted.reduce(0) { $0 + $1.0 }, removedLines: counted.reduce(0) { $0 + $1.1 },
      files: files.filter { !$0.hunks.isEmpty }.map(\.path),
      history: try repository.findSubject(patch.subject, from: base, limit: Self.historyLimit))
    if try alreadyApplied(files, on: parent) {
      found.evidence = .reverseApplies
      return found
    }
    let hunks = try hunksInTree(files, on: parent)
    if !hunks.isEmpty, hunks.allSatisfy(\.presence.holds) {
      found.evidence = .addedLinesPresent
      return found
    }
    if hunks.contains(where: \.presence.holds) { found.hunksIn = hunks.filter(\.presence.holds).map(\.name) }
    found.addedLinesFound = hunks.reduce(0) { $0 + $1.presence.found }
    return found
  }

  /// Each hunk of the patch ("file#n") and how much of its change stands in the file it goes
  /// to. A file the patch deletes is in when the tree lacks it; one it renames, when the new
  /// name is there and the old one is not.
  private func hunksInTree(_ files: [DiffFile], on parent: ObjectID) throws -> [(name: String, presence: HunkPresence)] {
    let tree = try repository.commitInfo(parent).tree
    var hunks: [(name: String, presence: HunkPresence)] = []
    func whole(_ holds: Bool) -> HunkPresence { HunkPresence(holds: holds, added: 0, found: 0) }
    for file in files {
      let content = try file.newPath.flatMap { try repository.file($0, inTree: tree) }
      guard let newPath = file.newPath else {
        let gone = try file.oldPath.map { try repository.file($0, inTree: tree) == nil } ?? false
        hunks.append((name: "\(file.path)#1", presence: whole(gone)))
        continue
      }
      if file.hunks.isEmpty, let oldPath = file.oldPath, oldPath != newPath {
        hunks.append((name: newPath, presence: whole(try content != nil && repository.file(oldPath, inTree: tree) == nil)))
      }
      let lines = content.map(HunkLocator.lines(of:)) ?? []
      let moved = ChangePresence.moved(in: file.hunks)
      for (index, hunk) in file.hunks.enumerated() {
        let presence =
          content == nil
          ? whole(false) : ChangePresence.presence(of: hunk, in: lines, near: hunk.newStart, moved: moved)
        hunks.append((name: "\(file.path)#\(index + 1)", presence: presence))
      }
    }
    return hunks
  }
}

extension ApplyOutcome {
  /// The error for a series every patch of which --skip-applied skipped: nothing to test.
  package var nothingLeftError: PatchCheckError? {
    guard nothingApplied else { return nil }
    let count = patches.count == 1 ? "the series' only patch is" : "all \(patches.count) patches of the series are"
    return PatchCheckError(
      .seriesAlreadyApplied, "\(count) already in \(base.used) (\(base.commit.prefix(12))): nothing is left to test",
      hint: "pick a base without them (--base REV); 'patchcheck apply --check' without --skip-applied names what each patch was found as")
  }
}

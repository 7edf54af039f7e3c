// Applying a series with libgit2 only, as `git am` would: each patch applied to the tree of
// the previous commit (git_apply_to_tree) and committed with the mail's author, date and
// message. Everything happens in the object database; the result is a branch
// `patchcheck/<series>/<variant>` (`SeriesBranch`). The user's HEAD, index and working tree are not touched.

import Foundation
import PatchCheckBase

package struct BaseResolution: Sendable, Codable {
  /// What the run asked for (--base), if anything.
  package var requested: String?
  /// What the series states (cover letter's base-commit).
  package var stated: String?
  /// The revision used.
  package var used: String
  package var commit: String
  /// True when the stated base was absent and another was used.
  package var substituted: Bool
  package var note: String?
}

package struct HunkResult: Sendable, Codable {
  package enum Outcome: String, Sendable, Codable {
    case applied, failed
    /// Did not apply, but a 3-way merge with its preimage blob did (--3way).
    case merged
    /// The 3-way merge conflicted.
    case conflict
  }
  package var file: String
  package var hunk: Int
  package var section: String
  package var result: Outcome
  /// Line the hunk names in the file before this patch.
  package var expectedLine: Int
  /// Line where it applied (or would), and the difference.
  package var line: Int?
  package var offset: Int?
  /// For a failed hunk: the lines it needs, and the tree's lines where it should stand.
  package var expected: [String]?
  package var actual: [String]?
  /// For a failed hunk: the line where the tree matches most of its lines.
  package var closestLine: Int?
}

package struct PatchResult: Sendable, Codable {
  package enum Outcome: String, Sendable, Codable {
    case applied, failed
    /// The tree already has this change (`alreadyInTree` says how it was seen), and
    /// --skip-applied skipped it. Reports written before --skip-applied said "already-applied".
    case skippedAlreadyApplied = "skipped-already-applied"
    case notAttempted = "not-attempted"

    package init(from decoder: any Decoder) throws {
      let raw = try decoder.singleValueContainer().decode(String.self)
      guard let outcome = raw == "already-applied" ? .skippedAlreadyApplied : Outcome(rawValue: raw) else {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no patch outcome '\(raw)'"))
      }
      self = outcome
    }
  }
  package var number: Int
  package var subject: String
  package var author: String
  package var result: Outcome
  package var commit: String?
  package var error: String?
  package var files: [FileStat]
  package var hunks: [HunkResult]
  /// Stable patch-id of the mail's diff (as applied: after any variant edits), and of the
  /// commit made from it; they must agree.
  package var patchID: String?
  package var commitPatchID: String?
  /// Files a 3-way merge left in conflict, with the merged text and its markers.
  package var conflicts: [Conflict]?
  /// For a patch that did not apply: whether the tree already has its change, and whether
  /// its subject is a commit of the base's history.
  package var alreadyInTree: AlreadyInTree?

  package struct Conflict: Sendable, Codable {
    package var file: String
    package var text: [String]
  }
}

package struct ApplyOutcome: Sendable, Codable {
  package var base: BaseResolution
  package var patches: [PatchResult]
  package var applied: Bool
  /// The last commit (series applied), when every patch applied and this was not a check.
  package var head: String?
  package var branch: String?
  package var seconds: Double

  /// Every patch was already in the tree and skipped (--skip-applied): nothing to test.
  package var nothingApplied: Bool {
    !patches.isEmpty && patches.allSatisfy { $0.result == .skippedAlreadyApplied }
  }
}

/// How a series is applied: what a patch that does not apply may turn to.
package struct ApplyMode: Sendable {
  /// Merge a failing file three ways with the patch's preimage blob (--3way).
  package var threeWay = false
  /// Skip a patch whose change the tree already has, and apply the rest (--skip-applied).
  package var skipApplied = false

  package init(threeWay: Bool = false, skipApplied: Bool = false) {
    self.threeWay = threeWay
    self.skipApplied = skipApplied
  }
}

package struct Applier {
  package let repository: GitRepository
  package let console: Terminal

  package init(repository: GitRepository, console: Terminal) {
    self.repository = repository
    self.console = console
  }

  /// Opens the user's repository (`path`), else patchcheck's imported tree, with errors a
  /// user can act on.
  package static func openRepository(_ path: String?, home: PatchCheckHome) throws -> GitRepository {
    if let path { return try openRepository(path) }
    guard FileManager.default.fileExists(atPath: home.treeRepository.path) else {
      throw PatchCheckError(
        .notAGitRepository, "no kernel tree at \(home.treeRepository.path)",
        hint: "run 'patchcheck tree import --debian 7.3' or pass --repo PATH")
    }
    return try GitRepository(path: home.treeRepository.path)
  }

  /// Opens a user-given repository, with errors a user can act on.
  package static func openRepository(_ path: String) throws -> GitRepository {
    do {
      return try GitRepository(path: path)
    } catch let error as GitError {
      throw PatchCheckError(
        .notAGitRepository, "\(path) is not a git repository (\(error.message))",
        hint: "pass --repo with a kernel git tree, or run 'patchcheck tree import --debian 7.3'")
    }
  }

  /// Picks the base: --base, else the series' stated base, else the manifest's fallback.
  package func resolveBase(requested: String?, stated: String?, fallback: String?) throws -> BaseResolution {
    let where_ = repository.gitDirectory
    if let requested {
      guard let commit = try repository.commit(for: requested) else {
        throw PatchCheckError(
          .baseMissing, "base '\(requested)' is not in \(where_)",
          hint: "pick a revision the tree has ('patchcheck tree list' shows imported tags)")
      }
      let note = stated.map { "base \(requested) chosen by the user (series states \($0.prefix(12)))" }
      return BaseResolution(
        requested: requested, stated: stated, used: requested, commit: commit.description,
        substituted: stated != nil && stated != requested, note: note)
    }
    if let stated, let commit = try repository.commit(for: stated) {
      return BaseResolution(
        requested: nil, stated: stated, used: stated, commit: commit.description, substituted: false,
        note: nil)
    }
    let why =
      stated.map { "the series' base-commit \($0.prefix(12)) is not in \(where_)" }
      ?? "the series states no base-commit"
    guard let fallback else {
      throw PatchCheckError(
        .baseMissing, why, hint: "pass --base REV with a revision the tree has (e.g. --base v7.3.4)")
    }
    guard let commit = try repository.commit(for: fallback) else {
      throw PatchCheckError(
        .baseMissing, "\(why), and the manifest's fallback base '\(fallback)' is not there either",
        hint: "import it ('patchcheck tree import --debian 7.3') or pass --base REV")
    }
    return BaseResolution(
      requested: nil, stated: stated, used: fallback, commit: commit.description, substituted: true,
      note: "\(why); using \(fallback) instead")
  }

  /// Applies every patch in order on `base`. With `check`, nothing is recorded: no commits
  /// are kept on a branch. Stops at the first patch that does not apply (one the tree
  /// already has, too, unless `mode.skipApplied`); later patches are reported as not attempted.
  package func apply(
    _ series: Series, base: BaseResolution, branch: String?, check: Bool, threeWay: Bool = false
  ) throws -> ApplyOutcome {
    try apply(series, base: base, branch: branch, check: check, mode: ApplyMode(threeWay: threeWay))
  }

  package func apply(_ series: Series, base: BaseResolution, branch: String?, check: Bool, mode: ApplyMode) throws -> ApplyOutcome {
    let start = Date()
    guard let baseCommit = ObjectID(hex: base.commit) else {
      throw PatchCheckError(.baseMissing, "bad base id \(base.commit)", hint: "pass --base REV")
    }
    try ensureKernelTree(baseCommit, base: base.used)
    var parent = baseCommit
    let context = PatchContext(base: baseCommit, total: series.patches.count, mode: mode)
    var results: [PatchResult] = []
    var failed = false
    for patch in series.patches {
      let files = try UnifiedDiff.parse(patch.diff)
      var result = PatchResult(
        number: patch.number, subject: patch.subject,
        author: "\(patch.author.name) <\(patch.author.email)>",
        result: .notAttempted, commit: nil, error: nil, files: patch.files, hunks: [],
        patchID: try? repository.patchID(diff: patch.diff).description, commitPatchID: nil)
      if failed {
        results.append(result)
        continue
      }
      result.hunks = try locateHunks(files, in: parent)
      if let commit = try applyPatch(patch, files: files, on: parent, context: context, result: &result) {
        parent = commit
      } else if result.result == .failed {
        failed = true
      }
      results.append(result)
    }
    var outcome = ApplyOutcome(
      base: base, patches: results, applied: !failed, head: nil, branch: nil,
      seconds: Date().timeIntervalSince(start))
    if !failed, !check, !outcome.nothingApplied {
      outcome.head = parent.description
      if let branch {
        try moveBranch(branch, to: parent, title: series.title)
        outcome.branch = branch
      }
    }
    return outcome
  }

  /// What every patch of one series is applied with.
  struct PatchContext {
    var base: ObjectID
    var total: Int
    var mode: ApplyMode
  }

  /// Applies one patch on `parent` and commits it. Returns the commit when it applied; else
  /// nil, `result` saying why: failed, or skipped as the tree has the change already.
  private func applyPatch(
    _ patch: Patch, files: [DiffFile], on parent: ObjectID, context: PatchContext, result: inout PatchResult
  ) throws -> ObjectID? {
    // What the tree holds of the patch: looked at once, and only for a patch that fails.
    var diagnosis: AlreadyInTree?
    func diagnosed() throws -> AlreadyInTree {
      if let diagnosis { return diagnosis }
      let found = try diagnose(patch, files: files, on: parent, base: context.base)
      diagnosis = found
      return found
    }
    do {
      let located = locatedLines(files, result.hunks)
      let diff = UnifiedDiff.relocate(patch.diff, to: located)
      let parentTree = try repository.commitInfo(parent).tree
      try refuseCreatingExistingFiles(files, in: parentTree, result: &result)
      let (tree, merged) = try appliedTree(
        diff: diff, files: files, located: located, parentTree: parentTree, threeWay: context.mode.threeWay,
        inTree: { try diagnosed().inTree }, result: &result)
      let commit = try repository.createCommit(
        tree: tree, parents: [parent], author: patch.author,
        committer: Signature(
          name: "patchcheck", email: "patchcheck@localhost", time: patch.author.time,
          offsetMinutes: patch.author.offsetMinutes),
        message: patch.commitMessage)
      result.result = .applied
      result.commit = commit.description
      return try carriesTheMail(commit, files: files, merged: merged, result: &result) ? commit : nil
    } catch let error as GitError {
      try recordFailure(error, diagnosis: result.conflicts == nil ? diagnosed() : nil, context: context, result: &result)
      return nil
    }
  }

  /// Hunks go where they were found (as git apply places them), not only forward of their
  /// stated line as libgit2 would search: the located line of each hunk, by file.
  private func locatedLines(_ files: [DiffFile], _ hunks: [HunkResult]) -> [[Int?]] {
    var located: [[Int?]] = []
    var cursor = 0
    for file in files {
      located.append(hunks[cursor..<cursor + file.hunks.count].map(\.line))
      cursor += file.hunks.count
    }
    return located
  }

  /// libgit2 "creates" a file that exists by prepending to it; git apply refuses, and so must
  /// we: such a file's hunks fail.
  private func refuseCreatingExistingFiles(_ files: [DiffFile], in parentTree: ObjectID, result: inout PatchResult) throws {
    for file in files where file.oldPath == nil {
      if try repository.file(file.path, inTree: parentTree) != nil {
        for i in result.hunks.indices where result.hunks[i].file == file.path { result.hunks[i].result = .failed }
        throw GitError(operation: "apply", code: -1, message: "\(file.path) already exists; the patch creates it")
      }
    }
  }

  /// The tree with the patch applied; with `threeWay`, when it does not apply and the tree
  /// does not have its change already (`inTree`), the tree a 3-way merge gives (`merged`).
  /// Throws libgit2's error otherwise.
  private func appliedTree(
    diff: String, files: [DiffFile], located: [[Int?]], parentTree: ObjectID, threeWay: Bool,
    inTree: () throws -> Bool, result: inout PatchResult
  ) throws -> (tree: ObjectID, merged: Bool) {
    do {
      return (try repository.apply(diff: diff, to: parentTree), false)
    } catch let error as GitError {
      guard threeWay, try !inTree() else { throw error }
      guard let mergedTree = try threeWayApply(files, located: located, onto: parentTree, result: &result) else {
        throw error
      }
      return (mergedTree, true)
    }
  }

  /// Whether the commit carries exactly what the mail did (its patch-id recorded either way);
  /// when not, `result` says the patch failed.
  private func carriesTheMail(_ commit: ObjectID, files: [DiffFile], merged: Bool, result: inout PatchResult) throws -> Bool {
    // libgit2 applied it: a hunk the locator could not place exactly (whitespace) did apply.
    for i in result.hunks.indices where result.hunks[i].result == .failed && !merged {
      result.hunks[i].result = .applied
      result.hunks[i].expected = nil
      result.hunks[i].actual = nil
    }
    result.commitPatchID = try repository.patchID(
      ofCommit: commit, contextLines: max(1, UnifiedDiff.contextLines(of: files))
    ).description
    // The commit must carry exactly what the mail did. Compared as change sets (lines
    // lost and gained per file): context and hunk layout do not matter, so a hand-made
    // patch with uneven context is not refused. A 3-way merge may legitimately differ.
    let committed = UnifiedDiff.changeSet(
      try UnifiedDiff.parse(try repository.diffText(ofCommit: commit, contextLines: 0)))
    if !merged, committed != UnifiedDiff.changeSet(files) {
      result.result = .failed
      result.error =
        "the commit does not carry what the mail does (patch-id \(result.commitPatchID?.prefix(12) ?? "") vs the mail's \(result.patchID?.prefix(12) ?? "")): applied less than the patch carries"
      return false
    }
    return true
  }

  /// What a patch that did not apply is: failed with the 3-way merge's conflicts; skipped
  /// (--skip-applied) or failed with the diagnosis when the tree already has its change;
  /// else failed with libgit2's error, and what the diagnosis found if it found anything.
  private func recordFailure(
    _ error: GitError, diagnosis: AlreadyInTree?, context: PatchContext, result: inout PatchResult
  ) throws {
    result.alreadyInTree = diagnosis
    let sentence = diagnosis?.sentence(number: result.number, total: context.total, subject: result.subject)
    if result.conflicts != nil {
      result.result = .failed
      result.error = "3-way merge left conflicts in \(result.conflicts?.map(\.file).joined(separator: ", ") ?? "")"
    } else if let diagnosis, let sentence, diagnosis.inTree {
      if context.mode.skipApplied {
        result.result = .skippedAlreadyApplied
        result.error = "\(sentence); skipped (--skip-applied)"
        for i in result.hunks.indices {
          result.hunks[i].expected = nil
          result.hunks[i].actual = nil
        }
      } else {
        result.result = .failed
        result.error =
          "\(error.message); \(sentence): it seems to be applied already (rerun with --skip-applied to skip it and apply the rest)"
      }
    } else {
      result.result = .failed
      let found = diagnosis.map { $0.history?.commit != nil || $0.hunksIn != nil || $0.mostlyThere } ?? false
      result.error = ([error.message] + (result.error.map { [$0] } ?? []) + (found ? sentence.map { [$0] } ?? [] : []))
        .joined(separator: "; ")
    }
  }

  /// Points `branch` at the applied series, taking turns with other writers.
  private func moveBranch(_ branch: String, to head: ObjectID, title: String) throws {
    // Two runs of the same series at once both move its branch: libgit2 refuses a ref
    // whose lock file another writer holds, so writers take turns. The lock lives outside
    // the user's repository, named for its path.
    let lock = try FileLock(
      FileManager.default.temporaryDirectory.appendingPathComponent(
        "patchcheck-refs-\(SHA256Hex.of(Data(repository.gitDirectory.utf8)).prefix(16)).lock")
    ) {}
    defer { withExtendedLifetime(lock) {} }
    try repository.setReference(branch, to: head, log: "patchcheck: apply \(title)")
  }

  /// Applies the files whose hunks all apply, and merges each other file three ways: the
  /// patch applied to its preimage blob (named on the `index` line), merged into the tree's
  /// version. Returns nil, with the conflicts or the reason in `result`, when that fails.
  package func threeWayApply(
    _ files: [DiffFile], located: [[Int?]], onto parentTree: ObjectID, result: inout PatchResult
  ) throws -> ObjectID? {
    var tree = parentTree
    var clean: [DiffFile] = []
    var cleanLocated: [[Int?]] = []
    var failing: [DiffFile] = []
    for (file, lines) in zip(files, located) {
      if lines.allSatisfy({ $0 != nil }) {
        clean.append(file)
        cleanLocated.append(lines)
      } else {
        failing.append(file)
      }
    }
    if !clean.isEmpty {
      tree = try repository.apply(diff: UnifiedDiff.relocate(UnifiedDiff.render(clean), to: cleanLocated), to: tree)
    }
    var conflicts: [PatchResult.Conflict] = []
    for file in failing {
      guard let oldPath = file.oldPath, let preimage = try preimageBlob(of: file) else {
        result.error = "3-way: the preimage blob of \(file.path) is not in the repository"
        return nil
      }
      guard let merge = try mergeThreeWays(file, oldPath: oldPath, preimage: preimage, parentTree: parentTree) else {
        return nil
      }
      let outcome: HunkResult.Outcome = merge.clean ? .merged : .conflict
      for i in result.hunks.indices where result.hunks[i].file == file.path && result.hunks[i].result == .failed {
        result.hunks[i].result = outcome
      }
      if merge.clean {
        for i in result.hunks.indices where result.hunks[i].file == file.path && result.hunks[i].result == .merged {
          result.hunks[i].expected = nil
          result.hunks[i].actual = nil
        }
        tree = try repository.replacing(file.path, with: try repository.writeBlob(merge.content), in: tree)
      } else {
        conflicts.append(PatchResult.Conflict(file: file.path, text: conflictRegions(merge.content)))
      }
    }
    if !conflicts.isEmpty {
      result.conflicts = conflicts
      return nil
    }
    return tree
  }

  /// The blob the file's `index` line names as its version before the patch, when the
  /// repository has it.
  private func preimageBlob(of file: DiffFile) throws -> ObjectID? {
    guard let index = file.header.first(where: { $0.hasPrefix("index ") }),
      let prefix = index.dropFirst(6).split(separator: ".").first.map(String.init)
    else { return nil }
    return try repository.blobID(prefix: prefix)
  }

  /// The file patched from its preimage blob, merged into the tree's version of it; nil when
  /// either side is missing.
  private func mergeThreeWays(
    _ file: DiffFile, oldPath: String, preimage: ObjectID, parentTree: ObjectID
  ) throws -> MergeResult? {
    let preTree = try repository.writeTree([TreeEntry(path: oldPath, blob: preimage, mode: .file)])
    let theirsTree = try repository.apply(diff: UnifiedDiff.render([file]), to: preTree)
    guard let theirs = try repository.file(file.path, inTree: theirsTree),
      let ours = try repository.file(oldPath, inTree: parentTree)
    else { return nil }
    return try repository.mergeFile(ancestor: try repository.blob(preimage), ours: ours, theirs: theirs, path: file.path)
  }

  /// What a conflicted merge shows: each conflict region with a few lines around it.
  private func conflictRegions(_ content: Data) -> [String] {
    let lines = HunkLocator.lines(of: content)
    var shown: [String] = []
    for (i, line) in lines.enumerated() where line.hasPrefix("<<<<<<<") {
      let end = lines[i...].firstIndex { $0.hasPrefix(">>>>>>>") } ?? min(lines.count - 1, i + 20)
      shown += lines[max(0, i - 2)...min(lines.count - 1, end + 2)]
    }
    return shown
  }

  /// True when the reverse of the patch applies to `commit`'s tree.
  package func alreadyApplied(_ files: [DiffFile], on commit: ObjectID) throws -> Bool {
    guard !files.isEmpty else { return false }
    do {
      _ = try repository.apply(diff: UnifiedDiff.reversed(files), to: try repository.commitInfo(commit).tree)
      return true
    } catch is GitError {
      return false
    }
  }

  private func ensureKernelTree(_ commit: ObjectID, base: String) throws {
    let hasMakefile = try repository.file("Makefile", in: commit) != nil
    let hasKconfig = try repository.file("Kconfig", in: commit) != nil
    guard hasMakefile, hasKconfig else {
      throw PatchCheckError(
        .notAKernelTree, "\(base) in \(repository.gitDirectory) is not a kernel tree (no Makefile and Kconfig at its top)",
        hint: "pass --repo with a Linux git tree, or use patchcheck's imported tree")
    }
  }

  /// Where each hunk lands in the files of `commit`; hunks of one file shift by the
  /// lines that the earlier hunks added or removed, as they do when applied in order.
  package func locateHunks(_ files: [DiffFile], in commit: ObjectID) throws -> [HunkResult] {
    var results: [HunkResult] = []
    for file in files {
      let content = try file.oldPath.flatMap { try repository.file($0, in: commit) }
      let lines = content.map(HunkLocator.lines(of:)) ?? []
      var drift = 0
      for (index, hunk) in file.hunks.enumerated() {
        let preimage = hunk.preimage
        let found =
          file.oldPath == nil ? hunk.oldStart : HunkLocator.locate(preimage, in: lines, near: hunk.oldStart + drift)
        var item = HunkResult(
          file: file.path, hunk: index + 1, section: hunk.section,
          result: found == nil ? .failed : .applied, expectedLine: hunk.oldStart, line: found,
          offset: found.map { $0 - hunk.oldStart }, expected: nil, actual: nil)
        if let found {
          drift = found - hunk.oldStart
        } else {
          item.expected = preimage
          // Show the tree where the hunk comes closest to fitting, so the differing lines
          // are side by side; where it says, when nothing fits at all.
          let from = HunkLocator.closest(preimage, in: lines) ?? max(0, min(lines.count, hunk.oldStart - 1 + drift))
          item.actual = Array(lines[from..<min(lines.count, from + preimage.count)])
          item.line = nil
          item.closestLine = from + 1
        }
        results.append(item)
      }
    }
    return results
  }
}

// The build worktree: a libgit2 worktree of the tree repository, on a branch patchcheck
// owns, in patchcheck's cache. The user's HEAD, index and working tree are never touched.

import CGit2
import Foundation

extension GitRepository {
  /// Opens the worktree `name` at `path`, adding it (on branch `branch`, which must exist)
  /// when absent.
  package func worktree(named name: String, at path: URL, branch: String) throws -> GitRepository {
    // A worktree of this repository already at `path`, made under another name (by an
    // earlier patchcheck), is the one to use: the path is what identifies it.
    if FileManager.default.fileExists(atPath: path.appendingPathComponent(".git").path),
      let there = try? GitRepository(path: path.path), there.commonDirectory == commonDirectory
    {
      return there
    }
    var existing: OpaquePointer?
    let adminFolder = URL(fileURLWithPath: commonDirectory).appendingPathComponent("worktrees").appendingPathComponent(name)
    if git_worktree_lookup(&existing, handle, name) != 0, FileManager.default.fileExists(atPath: adminFolder.path) {
      // Left by an add that failed half-way (libgit2 makes this folder first): no worktree
      // can be added under this name while it is there.
      try FileManager.default.removeItem(at: adminFolder)
    } else if existing != nil {
      defer { git_worktree_free(existing) }
      if git_worktree_validate(existing) == 0 {
        return try GitRepository(path: path.path)
      }
      // Its folder is gone: forget the stale entry and add it again.
      var prune = git_worktree_prune_options()
      git_worktree_prune_options_init(&prune, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
      prune.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
      try check(git_worktree_prune(existing, &prune), "prune stale worktree \(name)")
    }
    try FileManager.default.ensureDirectory(path.deletingLastPathComponent())
    var ref: OpaquePointer?
    try check(git_reference_lookup(&ref, handle, branch), "look up \(branch)")
    defer { git_reference_free(ref) }
    var options = git_worktree_add_options()
    try check(
      git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)),
      "worktree options")
    options.ref = ref
    var worktree: OpaquePointer?
    try check(git_worktree_add(&worktree, handle, name, path.path, &options), "add worktree \(name)")
    git_worktree_free(worktree)
    return try GitRepository(path: path.path)
  }

  /// Makes this (worktree) repository's files those of `commit` and moves its branch there.
  /// Only files that differ are written, so make rebuilds only what changed. With
  /// `keepingEdits`, files edited in the worktree stay as they are, and a commit that would
  /// overwrite one is refused (libgit2's safe checkout) instead of forced.
  package func checkout(_ commit: ObjectID, branch: String, keepingEdits: Bool = false) throws {
    let object = try lookupCommit(commit)
    defer { git_commit_free(object) }
    var options = git_checkout_options()
    try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "checkout options")
    options.checkout_strategy = keepingEdits ? GIT_CHECKOUT_SAFE.rawValue : GIT_CHECKOUT_FORCE.rawValue
    // A safe checkout touches only files that differ between HEAD and the commit (edits
    // elsewhere are kept either way): naming them spares libgit2 a walk of every file in
    // the worktree, most of a move's time on a kernel tree.
    let paths = try keepingEdits ? headCommit().map { try changedPaths(from: $0, to: commit) } : nil
    var names: [UnsafeMutablePointer<CChar>?] = (paths ?? []).map { strdup($0) }
    defer { names.forEach { free($0) } }
    if paths != nil { options.checkout_strategy |= GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue }
    // No file differs: nothing to write (an empty list would mean every path).
    let rc: Int32 =
      paths?.isEmpty == true
      ? 0
      : names.withUnsafeMutableBufferPointer { buffer -> Int32 in
        if paths != nil { options.paths = git_strarray(strings: buffer.baseAddress, count: buffer.count) }
        return git_checkout_tree(handle, object, &options)
      }
    if keepingEdits, rc == GIT_ECONFLICT.rawValue {
      throw PatchCheckError(
        .usage, "files edited in \(workdir ?? "the worktree") differ in \(commit.short)",
        hint: "commit or undo the edits, or check out into a new folder")
    }
    try check(rc, "check out \(commit.short)")
    try setReference(branch, to: commit, log: "patchcheck: check out \(commit.short)")
    try setHead(branch)
  }

  /// The commit HEAD points at, or nil on an unborn branch.
  package func headCommit() throws -> ObjectID? {
    var oid = git_oid()
    let rc = git_reference_name_to_id(&oid, handle, "HEAD")
    if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EUNBORNBRANCH.rawValue { return nil }
    try check(rc, "read HEAD")
    return ObjectID(oid)
  }
}

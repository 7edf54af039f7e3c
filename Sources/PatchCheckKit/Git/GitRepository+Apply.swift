// Applying a unified diff to a tree with git_apply_to_tree: no working directory, no index
// of the user's is involved; the result is a new tree in the object database.

import CGit2
import Foundation

extension GitRepository {
  /// Applies `diff` (a `diff --git` text) to `tree` and returns the resulting tree.
  /// `hunkFilter` is asked once per hunk in order (file, hunk index in that file) and may
  /// skip hunks; libgit2 fails the whole apply if a kept hunk does not apply.
  ///
  /// libgit2 applies to an index made of the whole tree, which on a kernel means reading
  /// all its thousands of tree objects (7,455 object reads for v9 on v7.3.4). So the patch is applied to a tree of only the
  /// files it names, and what changed there is grafted onto the real tree along those
  /// paths (`git_tree_create_updated`): a handful of objects read instead of thousands.
  package func apply(
    diff: String, to tree: ObjectID,
    hunkFilter: ((_ file: String, _ hunkIndex: Int) -> Bool)? = nil
  ) throws -> ObjectID {
    var diffHandle: OpaquePointer?
    try check(git_diff_from_buffer(&diffHandle, diff, diff.utf8.count), "parse diff")
    defer { git_diff_free(diffHandle) }
    let baseTree = try lookupTree(tree)
    defer { git_tree_free(baseTree) }

    let before = try filesRead(by: diffHandle, in: baseTree)
    let sparse = try writeTree(raw: before.map { ($0.key, $0.value.0, $0.value.1) })
    let sparseTree = try lookupTree(sparse)
    defer { git_tree_free(sparseTree) }
    let after = try applied(diffHandle, to: sparseTree, hunkFilter: hunkFilter)
    return try updatedTree(baseTree, try changes(from: before, to: after, in: baseTree))
  }

  /// The files the patch reads, as the base has them: blob and mode by path (a path the base
  /// does not have as a file is left out).
  private func filesRead(by diffHandle: OpaquePointer?, in baseTree: OpaquePointer?) throws -> [String: (ObjectID, UInt32)] {
    var named: Set<String> = []
    for i in 0..<git_diff_num_deltas(diffHandle) {
      guard let delta = git_diff_get_delta(diffHandle, i) else { continue }
      for path in [delta.pointee.old_file.path, delta.pointee.new_file.path] {
        if let path { named.insert(String(cString: path)) }
      }
    }
    var before: [String: (ObjectID, UInt32)] = [:]
    for path in named {
      before[path] =
        try withEntry(path, in: baseTree) { entry in
          git_tree_entry_type(entry) == GIT_OBJECT_BLOB
            ? (ObjectID(git_tree_entry_id(entry).pointee), git_tree_entry_filemode(entry).rawValue) : nil
        } ?? nil
    }
    return before
  }

  /// The diff applied to `sparseTree` with git_apply_to_tree, `hunkFilter` asked once per
  /// hunk: every file of the resulting index, blob and mode by path.
  private func applied(
    _ diffHandle: OpaquePointer?, to sparseTree: OpaquePointer?, hunkFilter: ((_ file: String, _ hunkIndex: Int) -> Bool)?
  ) throws -> [String: (ObjectID, UInt32)] {
    let state = HunkFilterState(hunkFilter)
    var options = git_apply_options()
    try check(git_apply_options_init(&options, UInt32(GIT_APPLY_OPTIONS_VERSION)), "apply options")
    options.payload = Unmanaged.passUnretained(state).toOpaque()
    options.delta_cb = { delta, payload in
      guard let delta, let payload else { return 0 }
      let state = Unmanaged<HunkFilterState>.fromOpaque(payload).takeUnretainedValue()
      let path = delta.pointee.new_file.path ?? delta.pointee.old_file.path
      state.file = path.map { String(cString: $0) } ?? ""
      state.hunk = 0
      return 0
    }
    options.hunk_cb = { _, payload in
      guard let payload else { return 0 }
      let state = Unmanaged<HunkFilterState>.fromOpaque(payload).takeUnretainedValue()
      state.hunk += 1
      guard let filter = state.filter else { return 0 }
      // > 0 skips the hunk, < 0 aborts.
      return filter(state.file, state.hunk) ? 0 : 1
    }
    var index: OpaquePointer?
    _ = try withExtendedLifetime(state) {
      try check(git_apply_to_tree(&index, handle, sparseTree, diffHandle, &options), "apply patch")
    }
    defer { git_index_free(index) }

    var after: [String: (ObjectID, UInt32)] = [:]
    for i in 0..<git_index_entrycount(index) {
      guard let entry = git_index_get_byindex(index, i) else { continue }
      after[String(cString: entry.pointee.path)] = (ObjectID(entry.pointee.id), entry.pointee.mode)
    }
    return after
  }

  /// What the patch changed: each file it removed, and each it added or changed (a created
  /// file must not go through a file or symlink of the tree), in path order.
  private func changes(
    from before: [String: (ObjectID, UInt32)], to after: [String: (ObjectID, UInt32)], in baseTree: OpaquePointer?
  ) throws -> [(path: String, id: ObjectID?, mode: UInt32)] {
    var updates: [(path: String, id: ObjectID?, mode: UInt32)] = []
    for path in before.keys.sorted() where after[path] == nil { updates.append((path, nil, 0)) }
    for (path, value) in after.sorted(by: { $0.key < $1.key }) {
      if let old = before[path], old.0 == value.0, old.1 == value.1 { continue }
      if before[path] == nil { try refuseThroughNonTree(path, in: baseTree) }
      updates.append((path, value.0, value.1))
    }
    return updates
  }

  /// A created file whose folder is a file or a symlink in the tree: git apply refuses it
  /// ("beyond a symbolic link"), and so must we, rather than replace the file by a folder.
  private func refuseThroughNonTree(_ path: String, in tree: OpaquePointer?) throws {
    var prefix = ""
    for component in path.split(separator: "/").dropLast() {
      prefix += prefix.isEmpty ? String(component) : "/\(component)"
      guard let type = try withEntry(prefix, in: tree, { git_tree_entry_type($0) }) else { return }
      if type != GIT_OBJECT_TREE {
        throw GitError(operation: "apply", code: -1, message: "\(path): \(prefix) is not a folder in the tree")
      }
    }
  }

  /// `tree` with each path set to its blob (or removed, for a nil id); only the trees along
  /// those paths are read and written.
  private func updatedTree(_ tree: OpaquePointer?, _ changes: [(path: String, id: ObjectID?, mode: UInt32)]) throws -> ObjectID {
    let paths = changes.map { strdup($0.path) }
    defer { paths.forEach { free($0) } }
    var updates = zip(changes, paths).map { change, path in
      var update = git_tree_update()
      update.action = change.id == nil ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT
      if let id = change.id { update.id = id.raw }
      update.filemode = git_filemode_t(rawValue: change.mode)
      update.path = UnsafePointer(path)
      return update
    }
    var oid = git_oid()
    try check(git_tree_create_updated(&oid, handle, tree, updates.count, &updates), "write applied tree")
    return ObjectID(oid)
  }
}

/// What the apply callbacks share: the hunk filter, the file being applied and the number of
/// its hunk.
private final class HunkFilterState {
  let filter: ((String, Int) -> Bool)?
  var file = ""
  var hunk = 0
  init(_ filter: ((String, Int) -> Bool)?) { self.filter = filter }
}

extension GitRepository {
  /// The stable patch-id (as `git patch-id --stable`) of a diff text.
  package func patchID(diff rawDiff: String) throws -> ObjectID {
    let diff = Self.withIndexLines(rawDiff)
    var diffHandle: OpaquePointer?
    try check(git_diff_from_buffer(&diffHandle, diff, diff.utf8.count), "parse diff")
    defer { git_diff_free(diffHandle) }
    return try patchID(diffHandle)
  }

  /// The stable patch-id of what `commit` changed against its first parent, diffed with
  /// `contextLines` of context: the same as the mail's, since context lines count in the id.
  package func patchID(ofCommit commit: ObjectID, contextLines: Int = 3) throws -> ObjectID {
    guard let id = try withCommitDiff(commit, contextLines: contextLines, { try patchID($0) }) else {
      throw GitError(operation: "patch-id", code: -1, message: "\(commit.short) has no parent")
    }
    return id
  }

  /// Runs `body` on the diff of `commit` against its first parent; nil for a root commit.
  private func withCommitDiff<T>(_ commit: ObjectID, contextLines: Int, _ body: (OpaquePointer?) throws -> T) throws -> T? {
    guard let parent = try commitInfo(commit).parents.first else { return nil }
    return try withDiff(from: parent, to: commit, paths: [], contextLines: contextLines, body)
  }

  /// The diff between two commits' trees, limited to `paths` (files or folders; none: all).
  package func withDiff<T>(
    from old: ObjectID, to new: ObjectID, paths: [String] = [], contextLines: Int = 3, _ body: (OpaquePointer?) throws -> T
  ) throws -> T {
    let oldTree = try lookupTree(try commitInfo(old).tree)
    defer { git_tree_free(oldTree) }
    let newTree = try lookupTree(try commitInfo(new).tree)
    defer { git_tree_free(newTree) }
    var options = git_diff_options()
    try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "diff options")
    options.context_lines = UInt32(contextLines)
    var cStrings = paths.map { strdup($0) }
    defer { cStrings.forEach { free($0) } }
    var diffHandle: OpaquePointer?
    try cStrings.withUnsafeMutableBufferPointer { buffer in
      options.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
      try check(git_diff_tree_to_tree(&diffHandle, handle, oldTree, newTree, &options), "diff \(old.short)..\(new.short)")
    }
    defer { git_diff_free(diffHandle) }
    return try body(diffHandle)
  }

  /// What changed from `old` to `new` in `paths`, as a unified diff text: the changes
  /// between two imported versions, cut into a series of one's own.
  package func diffText(from old: ObjectID, to new: ObjectID, paths: [String], contextLines: Int = 3) throws -> String {
    try withDiff(from: old, to: new, paths: paths, contextLines: contextLines, Self.patchText)
  }

  /// libgit2 hashes a file whose header has no `index` line differently from git (whose id
  /// ignores that line's content): give every file one. Its ids must not be zero, which
  /// libgit2 reads as "no id".
  package static func withIndexLines(_ diff: String) -> String {
    var out: [Substring] = []
    var pendingHeader = false
    var sawIndex = false
    var mode = " 100644"
    for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("diff --git ") {
        pendingHeader = true
        sawIndex = false
        mode = " 100644"
      } else if pendingHeader {
        if line.hasPrefix("index ") { sawIndex = true }
        if line.hasPrefix("new file mode") || line.hasPrefix("deleted file mode") { mode = "" }
        if line.hasPrefix("--- ") || line.hasPrefix("Binary files") {
          if !sawIndex { out.append("index 1111111..2222222\(mode)"[...]) }
          pendingHeader = false
        }
      }
      out.append(line)
    }
    return out.joined(separator: "\n")
  }

  /// What `commit` changed against its first parent, as a unified diff text.
  package func diffText(ofCommit commit: ObjectID, contextLines: Int) throws -> String {
    try withCommitDiff(commit, contextLines: contextLines, Self.patchText) ?? ""
  }

  private static func patchText(_ diff: OpaquePointer?) throws -> String {
    var buffer = git_buf()
    try check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "format diff")
    defer { git_buf_dispose(&buffer) }
    guard let pointer = buffer.ptr else { return "" }
    return String(decoding: Data(bytes: pointer, count: buffer.size), as: UTF8.self)
  }

  private func patchID(_ diff: OpaquePointer?) throws -> ObjectID {
    var options = git_diff_patchid_options()
    try check(
      git_diff_patchid_options_init(&options, UInt32(GIT_DIFF_PATCHID_OPTIONS_VERSION)), "patch-id options")
    var oid = git_oid()
    try check(git_diff_patchid(&oid, diff, &options), "compute patch-id")
    return ObjectID(oid)
  }
}

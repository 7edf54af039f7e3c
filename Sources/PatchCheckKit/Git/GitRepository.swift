// A repository handle and the object-level operations patchcheck needs: resolve revisions,
// read and write blobs and trees, commit, tag, move references.

import CGit2
import Foundation

package final class GitRepository: @unchecked Sendable {
  package let handle: OpaquePointer

  private init(handle: OpaquePointer) { self.handle = handle }
  deinit { git_repository_free(handle) }

  /// Opens the repository at `path` exactly (no search upwards).
  package convenience init(path: String) throws {
    LibGit2.initialize()
    var repo: OpaquePointer?
    try check(
      git_repository_open_ext(&repo, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil),
      "open repository \(path)")
    guard let repo else { throw GitError(operation: "open \(path)", code: -1, message: "no handle") }
    self.init(handle: repo)
  }

  package static func create(at path: String, bare: Bool) throws -> GitRepository {
    LibGit2.initialize()
    var repo: OpaquePointer?
    try check(git_repository_init(&repo, path, bare ? 1 : 0), "init repository \(path)")
    guard let repo else { throw GitError(operation: "init \(path)", code: -1, message: "no handle") }
    return GitRepository(handle: repo)
  }

  package var gitDirectory: String { String(cString: git_repository_path(handle)) }
  /// The repository's own folder, the same for the repository and each of its worktrees.
  package var commonDirectory: String {
    URL(fileURLWithPath: String(cString: git_repository_commondir(handle))).standardizedFileURL.path
  }
  package var workdir: String? { git_repository_workdir(handle).map { String(cString: $0) } }
  package var isBare: Bool { git_repository_is_bare(handle) == 1 }

  // MARK: Revisions

  /// The commit a revision names (`v7.3.4`, a full or abbreviated id, `HEAD~2`), or nil.
  package func commit(for spec: String) throws -> ObjectID? {
    var object: OpaquePointer?
    let rc = git_revparse_single(&object, handle, spec)
    if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EAMBIGUOUS.rawValue || rc == GIT_EINVALIDSPEC.rawValue {
      return nil
    }
    try check(rc, "resolve \(spec)")
    defer { git_object_free(object) }
    var commit: OpaquePointer?
    let peel = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
    if peel == GIT_ENOTFOUND.rawValue || peel == GIT_EINVALIDSPEC.rawValue || peel == GIT_EPEEL.rawValue {
      return nil
    }
    try check(peel, "peel \(spec) to a commit")
    defer { git_object_free(commit) }
    return ObjectID(git_object_id(commit).pointee)
  }

  package func commitInfo(_ id: ObjectID) throws -> (tree: ObjectID, parents: [ObjectID], message: String) {
    let commit = try lookupCommit(id)
    defer { git_commit_free(commit) }
    let tree = ObjectID(git_commit_tree_id(commit).pointee)
    let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
      git_commit_parent_id(commit, index).map { ObjectID($0.pointee) }
    }
    return (tree, parents, String(cString: git_commit_message(commit)))
  }

  package func lookupCommit(_ id: ObjectID) throws -> OpaquePointer {
    var raw = id.raw
    var commit: OpaquePointer?
    try check(git_commit_lookup(&commit, handle, &raw), "look up commit \(id.short)")
    guard let commit else { throw GitError(operation: "commit \(id)", code: -1, message: "none") }
    return commit
  }

  package func lookupTree(_ id: ObjectID) throws -> OpaquePointer {
    var raw = id.raw
    var tree: OpaquePointer?
    try check(git_tree_lookup(&tree, handle, &raw), "look up tree \(id.short)")
    guard let tree else { throw GitError(operation: "tree \(id)", code: -1, message: "none") }
    return tree
  }

  // MARK: Blobs

  package func writeBlob(_ data: Data) throws -> ObjectID {
    var oid = git_oid()
    _ = try data.withUnsafeBytes { bytes in
      try check(
        git_blob_create_from_buffer(&oid, handle, bytes.baseAddress, bytes.count), "write blob")
    }
    return ObjectID(oid)
  }

  package func blob(_ id: ObjectID) throws -> Data {
    var raw = id.raw
    var blob: OpaquePointer?
    try check(git_blob_lookup(&blob, handle, &raw), "look up blob \(id.short)")
    defer { git_blob_free(blob) }
    let size = Int(git_blob_rawsize(blob))
    guard size > 0, let content = git_blob_rawcontent(blob) else { return Data() }
    return Data(bytes: content, count: size)
  }

  /// The content of `path` in `commit`, or nil when the commit has no such file.
  package func file(_ path: String, in commit: ObjectID) throws -> Data? {
    try file(path, inTree: try commitInfo(commit).tree)
  }

  /// The content of `path` in a tree, or nil when the tree has no such file.
  package func file(_ path: String, inTree treeID: ObjectID) throws -> Data? {
    try withEntry(path, inTree: treeID) { entry in
      git_tree_entry_type(entry) == GIT_OBJECT_BLOB ? try blob(ObjectID(git_tree_entry_id(entry).pointee)) : nil
    } ?? nil
  }

  /// The mode of `path` in a tree (0o100644, 0o100755, 0o120000...), or nil when absent.
  package func fileMode(_ path: String, inTree treeID: ObjectID) throws -> UInt32? {
    try withEntry(path, inTree: treeID) { git_tree_entry_filemode($0).rawValue }
  }

  /// `body` on the entry at `path` in a tree; nil when the tree has no such path.
  package func withEntry<T>(_ path: String, inTree treeID: ObjectID, _ body: (OpaquePointer?) throws -> T) throws -> T? {
    let tree = try lookupTree(treeID)
    defer { git_tree_free(tree) }
    return try withEntry(path, in: tree, body)
  }

  /// `body` on the entry at `path` in an open tree; nil when the tree has no such path.
  package func withEntry<T>(_ path: String, in tree: OpaquePointer?, _ body: (OpaquePointer?) throws -> T) throws -> T? {
    var entry: OpaquePointer?
    let rc = git_tree_entry_bypath(&entry, tree, path)
    if rc == GIT_ENOTFOUND.rawValue { return nil }
    try check(rc, "find \(path)")
    defer { git_tree_entry_free(entry) }
    return try body(entry)
  }

  // MARK: Commits, tags, references

  package func createCommit(
    tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature, message: String
  ) throws -> ObjectID {
    let treeHandle = try lookupTree(tree)
    defer { git_tree_free(treeHandle) }
    let parentHandles = try parents.map { try lookupCommit($0) }
    defer { parentHandles.forEach { git_commit_free($0) } }
    var oid = git_oid()
    try author.withHandle { authorSig in
      try committer.withHandle { committerSig in
        var parentPointers: [OpaquePointer?] = parentHandles.map { Optional($0) }
        _ = try parentPointers.withUnsafeMutableBufferPointer { buffer in
          try check(
            git_commit_create(
              &oid, handle, nil, authorSig, committerSig, "UTF-8", message, treeHandle,
              buffer.count, buffer.baseAddress),
            "create commit")
        }
      }
    }
    return ObjectID(oid)
  }

  package func tagNames() throws -> [String] {
    var names = git_strarray()
    try check(git_tag_list(&names, handle), "list tags")
    defer { git_strarray_dispose(&names) }
    return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }
  }

  package func createLightweightTag(_ name: String, at commit: ObjectID, force: Bool = false) throws {
    let object = try lookupCommit(commit)
    defer { git_commit_free(object) }
    var oid = git_oid()
    try check(
      git_tag_create_lightweight(&oid, handle, name, object, force ? 1 : 0), "create tag \(name)")
  }

  /// Points `refName` at `target`, creating or moving it.
  package func setReference(_ refName: String, to target: ObjectID, log: String) throws {
    var raw = target.raw
    var ref: OpaquePointer?
    try check(git_reference_create(&ref, handle, refName, &raw, 1, log), "update \(refName)")
    git_reference_free(ref)
  }

  /// Removes `refName`; nothing to do when there is none.
  package func deleteReference(_ refName: String) throws {
    let rc = git_reference_remove(handle, refName)
    if rc == GIT_ENOTFOUND.rawValue { return }
    try check(rc, "delete \(refName)")
  }

  package func reference(_ refName: String) throws -> ObjectID? {
    var oid = git_oid()
    let rc = git_reference_name_to_id(&oid, handle, refName)
    if rc == GIT_ENOTFOUND.rawValue { return nil }
    try check(rc, "read \(refName)")
    return ObjectID(oid)
  }

  /// Makes HEAD a symbolic reference to `refName` (which may not exist yet).
  package func setHead(_ refName: String) throws {
    try check(git_repository_set_head(handle, refName), "set HEAD to \(refName)")
  }

  /// Commits reachable from `tip` (inclusive) and not from `hidden`, newest first.
  package func revwalk(from tip: ObjectID, hiding hidden: [ObjectID] = []) throws -> [ObjectID] {
    var walk: OpaquePointer?
    try check(git_revwalk_new(&walk, handle), "start revwalk")
    defer { git_revwalk_free(walk) }
    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
    var raw = tip.raw
    try check(git_revwalk_push(walk, &raw), "revwalk push")
    for id in hidden {
      var h = id.raw
      try check(git_revwalk_hide(walk, &h), "revwalk hide")
    }
    var result: [ObjectID] = []
    var oid = git_oid()
    while git_revwalk_next(&oid, walk) == 0 { result.append(ObjectID(oid)) }
    return result
  }
}

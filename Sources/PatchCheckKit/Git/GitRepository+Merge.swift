// 3-way apply: when a hunk does not apply, apply the patch to the blob it was made against
// (the `index` line's preimage id) and merge that result into the tree's file with
// git_merge_file, as `git am -3` does.

import CGit2
import Foundation

package struct MergeResult: Sendable {
  package var content: Data
  package var clean: Bool
}

extension GitRepository {
  /// The blob an abbreviated id names, or nil when the repository does not have it.
  package func blobID(prefix: String) throws -> ObjectID? {
    guard prefix.count >= 4, prefix.allSatisfy(\.isHexDigit) else { return nil }
    var oid = git_oid()
    guard git_oid_fromstrn(&oid, prefix, prefix.utf8.count) == 0 else { return nil }
    var object: OpaquePointer?
    let rc = git_object_lookup_prefix(&object, handle, &oid, prefix.utf8.count, GIT_OBJECT_BLOB)
    if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EAMBIGUOUS.rawValue { return nil }
    try check(rc, "look up blob \(prefix)")
    defer { git_object_free(object) }
    return ObjectID(git_object_id(object).pointee)
  }

  /// Three-way merge of file contents; conflicts come back with markers.
  package func mergeFile(ancestor: Data, ours: Data, theirs: Data, path: String) throws -> MergeResult {
    var result = git_merge_file_result()
    var options = git_merge_file_options()
    try check(git_merge_file_options_init(&options, UInt32(GIT_MERGE_FILE_OPTIONS_VERSION)), "merge options")
    let rc: Int32 = ancestor.withUnsafeBytes { a in
      ours.withUnsafeBytes { o in
        theirs.withUnsafeBytes { t in
          path.withCString { cPath in
            func input(_ bytes: UnsafeRawBufferPointer) -> git_merge_file_input {
              var value = git_merge_file_input()
              git_merge_file_input_init(&value, UInt32(GIT_MERGE_FILE_INPUT_VERSION))
              value.ptr = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
              value.size = bytes.count
              value.path = cPath
              value.mode = 0o100644
              return value
            }
            var ancestorInput = input(a)
            var oursInput = input(o)
            var theirsInput = input(t)
            return git_merge_file(&result, &ancestorInput, &oursInput, &theirsInput, &options)
          }
        }
      }
    }
    try check(rc, "merge \(path)")
    defer { git_merge_file_result_free(&result) }
    let content = result.ptr.map { Data(bytes: $0, count: result.len) } ?? Data()
    return MergeResult(content: content, clean: result.automergeable == 1)
  }

  /// `tree` with `path` set to `blob` (the file must exist; its mode is kept).
  package func replacing(_ path: String, with blob: ObjectID, in tree: ObjectID) throws -> ObjectID {
    let treeHandle = try lookupTree(tree)
    defer { git_tree_free(treeHandle) }
    var index: OpaquePointer?
    try check(git_index_new(&index), "new index")
    defer { git_index_free(index) }
    try check(git_index_read_tree(index, treeHandle), "read tree")
    guard let existing = git_index_get_bypath(index, path, 0) else {
      throw GitError(operation: "replace \(path)", code: -1, message: "not in the tree")
    }
    var entry = existing.pointee
    entry.id = blob.raw
    try check(git_index_add(index, &entry), "update \(path)")
    var oid = git_oid()
    try check(git_index_write_tree_to(&oid, index, handle), "write tree")
    return ObjectID(oid)
  }
}

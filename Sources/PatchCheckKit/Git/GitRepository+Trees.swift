// Building a tree from (path, blob, mode) entries through an in-memory index: how a
// tarball becomes a commit without a working directory.

import CGit2
import Foundation

package struct TreeEntry: Sendable {
  package enum Mode: UInt32, Sendable {
    case file = 0o100644
    case executable = 0o100755
    case symlink = 0o120000
  }
  package var path: String
  package var blob: ObjectID
  package var mode: Mode

  package init(path: String, blob: ObjectID, mode: Mode) {
    self.path = path
    self.blob = blob
    self.mode = mode
  }
}

extension GitRepository {
  package func writeTree(_ entries: [TreeEntry]) throws -> ObjectID {
    try writeTree(raw: entries.map { ($0.path, $0.blob, $0.mode.rawValue) })
  }

  /// A tree from (path, blob, git file mode) entries, any mode git has.
  package func writeTree(raw entries: [(path: String, blob: ObjectID, mode: UInt32)]) throws -> ObjectID {
    var index: OpaquePointer?
    try check(git_index_new(&index), "new index")
    defer { git_index_free(index) }
    for item in entries {
      var entry = git_index_entry()
      entry.mode = item.mode
      entry.id = item.blob.raw
      try item.path.withCString { path in
        entry.path = path
        try check(git_index_add(index, &entry), "add \(item.path) to index")
      }
    }
    var oid = git_oid()
    try check(git_index_write_tree_to(&oid, index, handle), "write tree")
    return ObjectID(oid)
  }

  /// Paths of every blob in a tree (recursive), for checks and listings.
  package func treePaths(_ tree: ObjectID) throws -> [String] {
    let handleTree = try lookupTree(tree)
    defer { git_tree_free(handleTree) }
    final class Box { var paths: [String] = [] }
    let box = Box()
    let rc = withExtendedLifetime(box) {
      git_tree_walk(
        handleTree, GIT_TREEWALK_PRE,
        { root, entry, payload in
          guard let entry, let payload, git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
          let box = Unmanaged<Box>.fromOpaque(payload).takeUnretainedValue()
          let prefix = root.map { String(cString: $0) } ?? ""
          box.paths.append(prefix + String(cString: git_tree_entry_name(entry)))
          return 0
        }, Unmanaged.passUnretained(box).toOpaque())
    }
    try check(rc, "walk tree")
    return box.paths
  }
}

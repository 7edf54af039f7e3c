// Ancestry questions for bisection: merge bases and "is A an ancestor of B".

import CGit2
import Foundation

extension GitRepository {
  /// The best common ancestor of `a` and `b`, or nil when they share no history.
  package func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? {
    var out = git_oid()
    var x = a.raw
    var y = b.raw
    let rc = git_merge_base(&out, handle, &x, &y)
    if rc == GIT_ENOTFOUND.rawValue { return nil }
    try check(rc, "merge base of \(a.short) and \(b.short)")
    return ObjectID(out)
  }

  /// Whether `ancestor` is `commit` or one of its ancestors.
  package func isAncestor(_ ancestor: ObjectID, of commit: ObjectID) throws -> Bool {
    if ancestor == commit { return true }
    var x = commit.raw
    var y = ancestor.raw
    return try check(git_graph_descendant_of(handle, &x, &y), "ancestry of \(ancestor.short)") == 1
  }

  /// A commit's first message line.
  package func subject(of commit: ObjectID) throws -> String {
    String(try commitInfo(commit).message.split(separator: "\n", maxSplits: 1).first ?? "")
  }
}

extension GitRepository {
  /// How many files differ between two commits' trees: what a checkout moving from one to
  /// the other rewrites.
  package func changedFileCount(from a: ObjectID, to b: ObjectID) throws -> Int {
    try withDiff(from: a, to: b) { git_diff_num_deltas($0) }
  }

  /// Every path (before and after) of a file that differs between two commits' trees.
  package func changedPaths(from a: ObjectID, to b: ObjectID) throws -> [String] {
    try withDiff(from: a, to: b) { diff in
      var paths = Set<String>()
      for index in 0..<git_diff_num_deltas(diff) {
        guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
        if let path = delta.old_file.path { paths.insert(String(cString: path)) }
        if let path = delta.new_file.path { paths.insert(String(cString: path)) }
      }
      return paths.sorted()
    }
  }
}

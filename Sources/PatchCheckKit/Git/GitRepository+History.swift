// A commit found by its subject in a revision's history: how a patch that does not apply is
// recognised as merged already (its subject is a commit of the tree), with libgit2's revwalk.

import CGit2
import Foundation

/// What a search of the history for a subject found, and how far it looked.
package struct SubjectSearch: Sendable, Codable, Equatable {
  /// The newest commit whose subject is the one searched for, and its subject as written.
  package var commit: String?
  package var subject: String?
  /// Commits read; `complete` when that was the whole history (not cut at the limit).
  package var searched: Int
  package var complete: Bool
}

extension GitRepository {
  /// The newest commit reachable from `tip` whose first message line is `subject` (compared
  /// with runs of white space as one space), reading at most `limit` commits.
  package func findSubject(_ subject: String, from tip: ObjectID, limit: Int = 50_000) throws -> SubjectSearch {
    let wanted = Self.squeezed(subject)
    var walk: OpaquePointer?
    try check(git_revwalk_new(&walk, handle), "start revwalk")
    defer { git_revwalk_free(walk) }
    git_revwalk_sorting(walk, GIT_SORT_TIME.rawValue)
    var raw = tip.raw
    try check(git_revwalk_push(walk, &raw), "revwalk push")
    var oid = git_oid()
    var searched = 0
    while searched < limit {
      guard git_revwalk_next(&oid, walk) == 0 else { return SubjectSearch(searched: searched, complete: true) }
      searched += 1
      let id = ObjectID(oid)
      let found = try self.subject(of: id)
      if !wanted.isEmpty, Self.squeezed(found) == wanted {
        return SubjectSearch(commit: id.description, subject: found, searched: searched, complete: false)
      }
    }
    return SubjectSearch(searched: searched, complete: false)
  }

  private static func squeezed(_ text: String) -> String {
    text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }
}

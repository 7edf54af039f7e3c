// A working tree's state against its HEAD: whether it has changes not committed (for the
// commit `patchcheck --version` names), and which paths the index tracks (what a copy of
// the checkout holds).

import CGit2
import Foundation

extension GitRepository {
  /// Whether the working tree or the index differs from HEAD, or holds files git does not
  /// ignore and does not track. Ignored folders (.build/) are not walked, untracked folders
  /// are not entered: a few milliseconds on this project's checkout.
  package func hasUncommittedChanges() throws -> Bool {
    var options = git_status_options()
    try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "status options")
    options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
    var list: OpaquePointer?
    try check(git_status_list_new(&list, handle, &options), "status of \(workdir ?? gitDirectory)")
    defer { git_status_list_free(list) }
    return git_status_list_entrycount(list) > 0
  }

  /// The paths the index tracks, in index order.
  package func indexPaths() throws -> [String] {
    var index: OpaquePointer?
    try check(git_repository_index(&index, handle), "open the index")
    defer { git_index_free(index) }
    return (0..<git_index_entrycount(index)).compactMap { position in
      git_index_get_byindex(index, position).map { String(cString: $0.pointee.path) }
    }
  }
}

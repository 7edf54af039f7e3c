// `patchcheck tree checkout`: an imported version in a folder of the user's own, a libgit2
// worktree on a branch patchcheck/checkout/NAME of the tree repository.

import Foundation
import PatchCheckBase

package struct TreeCheckout: Sendable, Encodable {
  /// The folder made, absolute.
  package var folder: String
  package var commit: String

  /// Checks `revision` out into `folder`, which must not exist yet.
  package static func run(_ revision: String, into folder: URL, repository: GitRepository) throws -> TreeCheckout {
    guard let commit = try repository.commit(for: revision) else {
      throw PatchCheckError(.baseMissing, "'\(revision)' is not in the tree", hint: "'patchcheck tree list' shows the imported tags")
    }
    let url = folder.standardizedFileURL
    guard !FileManager.default.fileExists(atPath: url.path) else {
      throw PatchCheckError(.usage, "\(url.path) exists", hint: "give a folder that does not exist yet")
    }
    let name = worktreeName(for: url)
    let branch = "refs/heads/patchcheck/checkout/\(name)"
    try repository.setReference(branch, to: commit, log: "patchcheck: tree checkout \(revision)")
    _ = try repository.worktree(named: "checkout-\(name)", at: url, branch: branch)
    return TreeCheckout(folder: url.path, commit: commit.description)
  }

  /// Moves a folder `run` made to `revision`, writing only the files that differ (what
  /// `git checkout` does in a worktree; what the build worktree does between runs). Edits in
  /// the folder are kept; a revision that would overwrite one is refused.
  package static func move(_ folder: URL, to revision: String, repository: GitRepository) throws -> TreeCheckout {
    guard let commit = try repository.commit(for: revision) else {
      throw PatchCheckError(.baseMissing, "'\(revision)' is not in the tree", hint: "'patchcheck tree list' shows the imported tags")
    }
    let url = folder.standardizedFileURL
    let branch = "refs/heads/patchcheck/checkout/\(worktreeName(for: url))"
    guard FileManager.default.fileExists(atPath: url.appendingPathComponent(".git").path),
      let worktree = try? GitRepository(path: url.path), worktree.commonDirectory == repository.commonDirectory,
      (try? repository.commit(for: branch)) != nil
    else {
      throw PatchCheckError(
        .usage, "\(url.path) is not a folder 'patchcheck tree checkout' made", hint: "check out into it first, without --move")
    }
    try worktree.checkout(commit, branch: branch, keepingEdits: true)
    return TreeCheckout(folder: url.path, commit: commit.description)
  }

  /// Named after the folder and its full path, so two folders called alike never collide.
  package static func worktreeName(for folder: URL) -> String {
    let url = folder.standardizedFileURL
    return "\(url.lastPathComponent)-\(SHA256Hex.of(Data(url.path.utf8)).prefix(8))"
  }
}

// Where patchcheck keeps what it makes: the tree repository, build folders, ccache, downloads.
// `$PATCHCHECK_HOME`, else `~/.cache/patchcheck`. The project's own data (kernel-configs/,
// patches/) is found next to the sources, or at `$PATCHCHECK_DATA`.

import Foundation

package struct PatchCheckHome: Sendable {
  package let root: URL

  package init(root: URL? = nil) {
    if let root {
      self.root = root
    } else if let env = ProcessInfo.processInfo.environment["PATCHCHECK_HOME"], !env.isEmpty {
      self.root = URL(fileURLWithPath: env)
    } else {
      self.root = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/patchcheck")
    }
  }

  package var treeRepository: URL { root.appendingPathComponent("linux.git") }
  package var worktrees: URL { root.appendingPathComponent("worktrees") }
  package var builds: URL { root.appendingPathComponent("build") }
  package var ccache: URL { root.appendingPathComponent("ccache") }
  /// The compiler command kbuild runs: ccache, except for sources that `.incbin` a file.
  package var compilerWrapper: URL { root.appendingPathComponent("bin/patchcheck-cc") }
  package var debs: URL { root.appendingPathComponent("debs") }
  package var patches: URL { root.appendingPathComponent("patches") }
  package var guest: URL { root.appendingPathComponent("guest") }
  /// Verdicts already reached, one file per commit and set of inputs (see VerdictCache).
  package var verdicts: URL { root.appendingPathComponent("verdicts") }
  /// The results database `ci`, `history` and `report` share.
  package var database: URL { root.appendingPathComponent("results.sqlite") }
}

package enum ProjectData {
  /// The repository checkout this binary was built from (holds kernel-configs/ and patches/).
  package static var root: URL {
    if let env = ProcessInfo.processInfo.environment["PATCHCHECK_DATA"], !env.isEmpty {
      return URL(fileURLWithPath: env)
    }
    // Sources/PatchCheckKit/Base/Paths.swift -> four levels up.
    return URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
  }
  package static var kernelConfigs: URL { root.appendingPathComponent("kernel-configs") }
  package static var manifests: URL { root.appendingPathComponent("patches") }
  /// `../shared/patches` beside the checkout: where posted series are kept.
  package static var sharedPatches: URL {
    root.deletingLastPathComponent().appendingPathComponent("shared/patches")
  }
}

extension FileManager {
  package func ensureDirectory(_ url: URL) throws {
    try createDirectory(at: url, withIntermediateDirectories: true)
  }
}

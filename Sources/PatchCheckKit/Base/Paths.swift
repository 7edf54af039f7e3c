// Where patchcheck keeps what it makes: the tree repository, build folders, ccache, downloads.
// `$PATCHCHECK_HOME`, else `~/.cache/patchcheck`. The project's own data (kernel-configs/,
// patches/) is found next to the sources, or at `$PATCHCHECK_DATA`.

import Foundation

public struct PatchCheckHome: Sendable {
  public let root: URL

  public init(root: URL? = nil) {
    if let root {
      self.root = root
    } else if let env = ProcessInfo.processInfo.environment["PATCHCHECK_HOME"], !env.isEmpty {
      self.root = URL(fileURLWithPath: env)
    } else {
      self.root = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/patchcheck")
    }
  }

  public var treeRepository: URL { root.appendingPathComponent("linux.git") }
  public var worktrees: URL { root.appendingPathComponent("worktrees") }
  public var builds: URL { root.appendingPathComponent("build") }
  public var ccache: URL { root.appendingPathComponent("ccache") }
  public var debs: URL { root.appendingPathComponent("debs") }
  public var patches: URL { root.appendingPathComponent("patches") }
  public var guest: URL { root.appendingPathComponent("guest") }
  /// Verdicts already reached, one file per commit and set of inputs (see VerdictCache).
  public var verdicts: URL { root.appendingPathComponent("verdicts") }
  /// The results database `ci`, `history` and `report` share.
  public var database: URL { root.appendingPathComponent("results.sqlite") }
}

public enum ProjectData {
  /// The repository checkout this binary was built from (holds kernel-configs/ and patches/).
  public static var root: URL {
    if let env = ProcessInfo.processInfo.environment["PATCHCHECK_DATA"], !env.isEmpty {
      return URL(fileURLWithPath: env)
    }
    // Sources/PatchCheckKit/Base/Paths.swift -> four levels up.
    return URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
  }
  public static var kernelConfigs: URL { root.appendingPathComponent("kernel-configs") }
  public static var manifests: URL { root.appendingPathComponent("patches") }
  /// `../shared/patches` beside the checkout: where posted series are kept.
  public static var sharedPatches: URL {
    root.deletingLastPathComponent().appendingPathComponent("shared/patches")
  }
}

extension FileManager {
  func ensureDirectory(_ url: URL) throws {
    try createDirectory(at: url, withIntermediateDirectories: true)
  }
}

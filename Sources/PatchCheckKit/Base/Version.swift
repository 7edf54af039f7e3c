// Which patchcheck this is: the version (one constant), the build id every report records
// (`tools.patchcheck`, also the verdict cache's key) and the commit the binary was built from,
// which `patchcheck --version` prints.
//
// The binary cannot run git, and SwiftPM has no way to stamp a commit into it at build time
// without a plugin running git. So the commit is read when asked: in a checkout, HEAD of the
// checkout the binary was compiled from, through libgit2; installed, from
// `PREFIX/share/patchcheck/BUILD`, which scripts/install.sh writes by running the binary it
// installs, in its checkout, with `--version`. That file also names the build id it was written
// for: a binary swapped without reinstalling says its commit is unknown rather than another
// build's.

import Foundation

package enum PatchCheckVersion {
  /// The version, in this one place.
  package static let current = "0.1.0"

  /// The version and a hash of the running executable: the real build, so verdicts cached
  /// by one build of patchcheck (its analyzer, its runner, its judge) are never taken for
  /// another's.
  package static let build: String = {
    guard
      let data = FileManager.default.contents(atPath: "/proc/self/exe")
        ?? CommandLine.arguments.first.flatMap({
          FileManager.default.contents(atPath: $0)
        })
    else { return "\(current)+unknown-\(UUID().uuidString.prefix(8))" }
    return "\(current)+\(SHA256Hex.of(data).prefix(16))"
  }()

  /// What `--version` prints about the running binary.
  package static func info() -> BuildInfo {
    BuildInfo.of(executable: ProjectData.runningExecutable, checkout: ProjectData.sourceCheckout, build: build)
  }
}

/// `patchcheck --version`'s line, and the BUILD file's: `patchcheck 0.1.0 (commit <40 hex>[,
/// uncommitted changes]; build 0.1.0+<16 hex>)`, or `(commit unknown: <why>; build …)`.
package struct BuildInfo: Sendable, Equatable {
  package enum Commit: Sendable, Equatable {
    /// `dirty`: the checkout had changes not committed when it was read.
    case known(String, dirty: Bool)
    case unknown(String)
  }

  package var version: String
  package var commit: Commit
  package var build: String

  /// The file in `PREFIX/share/patchcheck` that says what an installed binary was built from.
  package static let fileName = "BUILD"

  package var line: String {
    switch commit {
    case .known(let id, let dirty):
      return "patchcheck \(version) (commit \(id)\(dirty ? ", uncommitted changes" : ""); build \(build))"
    case .unknown(let why):
      return "patchcheck \(version) (commit unknown: \(why); build \(build))"
    }
  }

  package init(version: String = PatchCheckVersion.current, commit: Commit, build: String) {
    self.version = version
    self.commit = commit
    self.build = build
  }

  /// Reads a line `line` wrote (nil for anything else, an unknown commit included).
  package init?(line: String) {
    let pattern = #/^patchcheck (\S+) \(commit ([0-9a-f]{40})(, uncommitted changes)?; build (\S+)\)$/#
    guard let match = line.trimmingCharacters(in: .whitespacesAndNewlines).wholeMatch(of: pattern) else { return nil }
    self.init(
      version: String(match.output.1), commit: .known(String(match.output.2), dirty: match.output.3 != nil),
      build: String(match.output.4))
  }

  /// The binary at `executable` (build id `build`), compiled from `checkout`: installed when
  /// `share/patchcheck` is beside its folder (the same test that finds its data), then BUILD
  /// says; else the checkout's HEAD.
  package static func of(executable: URL?, checkout: URL, build: String) -> BuildInfo {
    if let executable {
      let installed = ProjectData.installedData(beside: executable)
      if FileManager.default.fileExists(atPath: installed.path) {
        return recorded(in: installed.appendingPathComponent(fileName), build: build)
      }
    }
    return BuildInfo(commit: head(of: checkout), build: build)
  }

  static func recorded(in file: URL, build: String) -> BuildInfo {
    guard let data = FileManager.default.contents(atPath: file.path) else {
      return BuildInfo(commit: .unknown("no \(file.path) (scripts/install.sh writes it)"), build: build)
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let found = BuildInfo(line: String(text.split(separator: "\n").first ?? "")) else {
      return BuildInfo(commit: .unknown("\(file.path) holds no commit"), build: build)
    }
    guard found.build == build else {
      return BuildInfo(commit: .unknown("\(file.path) is for build \(found.build), not this binary"), build: build)
    }
    return BuildInfo(commit: found.commit, build: build)
  }

  static func head(of checkout: URL) -> Commit {
    guard FileManager.default.fileExists(atPath: checkout.appendingPathComponent(".git").path) else {
      return .unknown("not installed, and \(checkout.path) is not a git checkout")
    }
    do {
      let repo = try GitRepository(path: checkout.path)
      guard let head = try repo.headCommit() else { return .unknown("\(checkout.path) has no commit yet") }
      return .known(head.description, dirty: try repo.hasUncommittedChanges())
    } catch {
      return .unknown("\(checkout.path): \(error)")
    }
  }
}

// Where patchcheck keeps what it makes: the tree repository, build folders, ccache, downloads.
// `$PATCHCHECK_HOME`, else `~/.cache/patchcheck`. And where it finds what it reads: the
// project's own data (kernel-configs/, scenarios/, patches/, guest/), installed, in the checkout, or at
// `$PATCHCHECK_DATA`.

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

/// The project's own data the binary reads at run time: `kernel-configs/`, `scenarios/`,
/// `patches/` (the series manifests) and `guest/` (the guest's shell programs). One way to find it, for every command:
///
/// 1. `$PATCHCHECK_DATA`, when set;
/// 2. `<the running executable's folder>/../share/patchcheck`, symlinks resolved, when it
///    exists: the installed layout `scripts/install.sh` makes (`PREFIX/bin/patchcheck`,
///    `PREFIX/share/patchcheck/`);
/// 3. the source checkout the binary was compiled from (`#filePath`): `swift run`, the tests,
///    `.build/debug/patchcheck`.
///
/// Plain files under `PREFIX/share`, not SwiftPM resources (`Bundle.module`): the data is
/// folders a user reads, edits and points `PATCHCHECK_DATA` at (a copy of `scenarios/` with a
/// scenario more), the same in a checkout and installed; a resource bundle would be a second
/// layout found a second way, copied beside the binary under a generated name, and
/// `Bundle.module` stops the program when the bundle is missing instead of letting it say
/// what to do.
package enum ProjectData {
  /// How the data folder was found.
  package enum Origin: String, Sendable {
    case environment = "PATCHCHECK_DATA"
    case installed
    case checkout
  }

  package struct Location: Sendable, Equatable {
    package var root: URL
    package var origin: Origin
  }

  /// Where the data is, found once per process: one run reads all of it from one place.
  package static let location: Location = locate(
    environment: ProcessInfo.processInfo.environment["PATCHCHECK_DATA"], executable: runningExecutable,
    checkout: sourceCheckout)

  /// The rules above, given what they look at.
  package static func locate(environment: String?, executable: URL?, checkout: URL) -> Location {
    if let environment, !environment.isEmpty {
      return Location(root: URL(fileURLWithPath: environment), origin: .environment)
    }
    if let installed = executable.map(installedData(beside:)) {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: installed.path, isDirectory: &isFolder), isFolder.boolValue {
        return Location(root: installed, origin: .installed)
      }
    }
    return Location(root: checkout, origin: .checkout)
  }

  /// `PREFIX/share/patchcheck` for `PREFIX/bin/patchcheck`.
  package static func installedData(beside executable: URL) -> URL {
    executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/patchcheck")
  }

  /// The running executable, symlinks resolved (`/usr/local/bin/patchcheck` may be a link into
  /// an `opt/` folder that holds `share/` beside its `bin/`).
  package static let runningExecutable: URL? = {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return URL(fileURLWithPath: target)
    }
    return Bundle.main.executableURL?.resolvingSymlinksInPath()
  }()

  /// The checkout this binary was compiled from (Sources/PatchCheckKit/Base/Paths.swift, four
  /// levels up). An installed binary still knows this path; it is used only when no installed
  /// data is beside the binary, and for the commit (`patchcheck --version`) only then too.
  package static var sourceCheckout: URL {
    URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
  }

  /// The folder holding kernel-configs/, scenarios/, patches/ and guest/.
  package static var root: URL { location.root }
  package static var kernelConfigs: URL { root.appendingPathComponent("kernel-configs") }
  package static var manifests: URL { root.appendingPathComponent("patches") }
  /// The shell and awk programs: the guest's runner and its parts, the compiler wrapper.
  package static var programs: URL { root.appendingPathComponent("guest") }

  /// The text of one of `programs`, or an error saying where it was looked for.
  package static func program(_ name: String) throws -> String {
    let url = programs.appendingPathComponent(name)
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw PatchCheckError(.infra, "cannot read \(url.path), one of patchcheck's programs", hint: hint)
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// `../shared/patches` beside a source checkout (a folder holding Package.swift, found any
  /// of the three ways): where posted series are kept next to the project. Nil for installed
  /// data and for a bare data folder: `PREFIX/share/shared/patches` means nothing, and a
  /// series found nowhere local is fetched from lore by its manifest's message-id.
  package static var sharedPatches: URL? { sharedPatches(beside: root) }

  package static func sharedPatches(beside root: URL) -> URL? {
    guard FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) else { return nil }
    return root.deletingLastPathComponent().appendingPathComponent("shared/patches")
  }

  /// What to do when a data folder is missing, for the way the data was found.
  package static var hint: String {
    let folders = "a folder holding kernel-configs/, scenarios/, patches/ and guest/"
    switch location.origin {
    case .environment:
      return "$PATCHCHECK_DATA names a folder without it: point it at \(folders), or unset it"
    case .installed:
      return "the installation is incomplete: run scripts/install.sh again, or set PATCHCHECK_DATA to \(folders)"
    case .checkout:
      return
        "nothing is installed beside the binary and its checkout lacks it: install with scripts/install.sh, or set PATCHCHECK_DATA to \(folders)"
    }
  }
}

extension FileManager {
  package func ensureDirectory(_ url: URL) throws {
    try createDirectory(at: url, withIntermediateDirectories: true)
  }
}

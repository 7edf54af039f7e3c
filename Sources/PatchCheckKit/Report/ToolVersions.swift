// The versions of the tools a run used (patchcheck's own build hash, libgit2, compiler,
// QEMU, kernel), kept in the report so results from different builds are never mixed up.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct ToolVersions: Sendable, Codable {
  package var patchcheck = PatchCheckVersion.build
  package var libgit2 = LibGit2.version
  package var compiler: String?
  package var qemu: String?
  package var kernel: String?
}

package enum PatchCheckVersion {
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
}

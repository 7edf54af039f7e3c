// The versions of the tools a run used (patchcheck's own build hash, libgit2, compiler,
// QEMU, kernel), kept in the report so results from different builds are never mixed up.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct ToolVersions: Sendable, Codable {
  /// The build id (`patchcheck --version` prints it too): the version and a hash of the
  /// executable.
  package var patchcheck = PatchCheckVersion.build
  package var libgit2 = LibGit2.version
  package var compiler: String?
  package var qemu: String?
  package var kernel: String?
}

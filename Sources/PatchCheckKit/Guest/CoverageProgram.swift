// The coverage of the series in the guest: the kernel's function profiler (ftrace,
// CONFIG_FUNCTION_PROFILER) filtered to the functions the series changes, enabled once
// before the first scenario and read from trace_stat after each, so the console says how
// often each changed function had run by the end of each scenario (the host takes the
// differences). It is never turned off and on again: on 7.3.4 under TCG, the first call
// through a site after the profiler was re-enabled jumped into freed memory (an Oops in
// sriov_numvfs_store+0x5). Functions the kernel cannot trace (inlined, notrace, not built)
// are named as such, never counted as unreached. The program is guest/coverage.sh, which the
// runner sources when its config says `coverage=1`.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package enum CoverageProgram {
  /// The functions to trace, one name a line, in the initramfs.
  package static let functionsFile = "patchcheck/coverage-functions"
  /// Every line the runner prints about coverage starts with this.
  package static let prefix = "patchcheck-coverage: "
}

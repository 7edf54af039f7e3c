// The coverage of the series in the guest: the kernel's function profiler (ftrace,
// CONFIG_FUNCTION_PROFILER) filtered to the functions the series changes, enabled once
// before the first scenario and read from trace_stat after each, so the console says how
// often each changed function had run by the end of each scenario (the host takes the
// differences). It is never turned off and on again: on 7.3.4 under TCG, the first call
// through a site after the profiler was re-enabled jumped into freed memory (an Oops in
// sriov_numvfs_store+0x5). Functions the kernel cannot trace (inlined, notrace, not built)
// are named as such, never counted as unreached.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package enum CoverageProgram {
  /// The functions to trace, one name a line, in the initramfs.
  package static let functionsFile = "patchcheck-coverage-functions"
  /// Every line the runner prints about coverage starts with this.
  package static let prefix = "patchcheck-coverage: "

  /// Shell functions for the runner: `coverage_start` once before the scenarios, and
  /// `coverage_end N` after scenario N (its line counts are totals since the start).
  ///
  /// A name is traceable when `available_filter_functions` lists it (the count says how
  /// many functions of that name the kernel has: static functions of other files share
  /// names, and ftrace filters by name). With no traceable name the profiler is never
  /// enabled: an empty filter would profile every function of the kernel.
  package static let functions = """
    # Coverage of the series' changed functions (CoverageProgram): the function profiler,
    # filtered to them, around each scenario.
    coverage_start() {
      T=${T:-/sys/kernel/tracing}
      [ -e $T/available_filter_functions ] || mount -t tracefs nodev $T 2>/dev/null
      [ -s /\(functionsFile) ] || return
      if [ ! -e $T/function_profile_enabled ]; then echo "\(prefix)unavailable: this kernel has no function profiler"; return; fi
      grep -Fx -f /\(functionsFile) $T/available_filter_functions | sort | uniq -c > /tmp/coverage.t
      while read -r n f; do echo "\(prefix)traceable $f $n"; done < /tmp/coverage.t
      sed 's/^ *[0-9]* //' /tmp/coverage.t > /tmp/coverage.names
      grep -Fxv -f /tmp/coverage.names /\(functionsFile) | while read -r f; do echo "\(prefix)untraceable $f"; done
      [ -s /tmp/coverage.names ] || return
      # Patching hundreds of call sites under TCG can take minutes: the work runs in the
      # background and the console hears from the runner every 10 s meanwhile (a guest
      # silent for 150 s is stopped).
      # The state appears whole (written aside, then renamed): a reader never sees it empty.
      rm -f /tmp/coverage.state
      ( if cat /tmp/coverage.names > $T/set_ftrace_filter; then
          if echo 1 > $T/function_profile_enabled; then s=on; else s=enable; fi
        else s=filter; fi
        echo $s > /tmp/coverage.state.new && mv /tmp/coverage.state.new /tmp/coverage.state ) &
      n=0
      while [ ! -f /tmp/coverage.state ]; do sleep 1; n=$((n+1)); [ $((n % 10)) -eq 0 ] && echo "\(prefix)starting the profiler on $(wc -l < /tmp/coverage.names) functions ($n s)"; done
      case "$(cat /tmp/coverage.state)" in
        on) coverage=1 ;;
        filter) echo "\(prefix)unavailable: set_ftrace_filter refused the names" ;;
        *) echo "\(prefix)unavailable: the profiler did not start" ;;
      esac
    }
    coverage_end() {
      [ -n "$coverage" ] || return
      cat $T/trace_stat/function[0-9]* 2>/dev/null | awk -v s="$1" '$2 ~ /^[0-9]+$/ { h[$1] += $2 } END { for (f in h) print "\(prefix)total " s " " f " " h[f] }'
      echo "\(prefix)scenario $1 read"
    }

    """
}

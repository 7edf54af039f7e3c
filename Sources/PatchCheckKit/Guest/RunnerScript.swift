// The guest's program: the /init the initramfs runs, generated from the scenarios. It runs
// each step in the background with its own time limit, prints KTAP v1 on the console, names
// the kernel it booted, and at the end waits out any task stuck in D state.

import Foundation
import PatchCheckBase
import PatchCheckSeries

/// The generated /init: mounts, lowers the hung-task timeout, runs the scenarios and prints
/// KTAP v1 on the console, then says it is done and powers off.
package enum RunnerScript {
  package static let startMarker = "patchcheck-runner: start"
  package static let doneMarker = "patchcheck-runner: done"
  /// Followed by `uname -r`: the host checks the guest booted the kernel it built.
  package static let releaseMarker = "patchcheck-runner: kernel "
  /// Followed by `NAME:PID`: a task still in D state after the hung-task period at the end.
  package static let stuckMarker = "patchcheck-runner: task stuck in D state: "

  /// The release on the runner's `releaseMarker` line, if `line` is that line.
  package static func kernelRelease(fromLine line: String) -> String? {
    guard let range = line.range(of: releaseMarker) else { return nil }
    let release = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    return release.isEmpty ? nil : release
  }

  /// The release the runner saw in a whole console log.
  package static func kernelRelease(in console: String) -> String? {
    console.split(separator: "\n").lazy.compactMap { kernelRelease(fromLine: String($0)) }.first
  }

  /// - Parameter lockWitness: trace every lock acquisition during the scenarios and print
  ///   the lock-order edges at the end (`LockWitnessProgram`).
  /// - Parameter coverage: profile the functions the initramfs lists from the first scenario
  ///   on and print the totals after each (`CoverageProgram`).
  package static func generate(
    _ scenarios: [Scenario], hungTaskTimeout: Int = 10, lockWitness: Bool = false, coverage: Bool = false,
    witnessDrainLimit: Int = witnessDrainLimit
  ) -> String {
    // With the witness, the step's subshell names itself to tracefs before it forks the step
    // (event-fork traces a traced task's children from then on).
    let launch =
      lockWitness
      ? #"( if [ -z "$untraced" ]; then read -r me rest < /proc/self/stat; echo "$me" > $T/set_event_pid; "#
        + #"echo 1 > $T/events/lock/lock_acquire/enable; echo 1 > $T/events/lock/lock_release/enable; fi; "#
        + #"sh "$2" > "$o" 2>&1; echo $? > "$m" ) &"#
      : #"( sh "$2" > "$o" 2>&1; echo $? > "$m" ) &"#
    var out = """
      #!/bin/sh
      # patchcheck guest runner (generated). KTAP v1 on the console.
      /bin/busybox --install -s /bin
      export PATH=/bin
      mount -t proc proc /proc
      mount -t sysfs sysfs /sys
      mount -t devtmpfs devtmpfs /dev 2>/dev/null
      mount -t tmpfs tmpfs /tmp
      echo \(hungTaskTimeout) > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
      echo 1 > /proc/sys/kernel/sysrq 2>/dev/null
      echo "\(startMarker)"
      echo "\(releaseMarker)$(uname -r)"
      seq=0
      # step TIMEOUT FILE: runs the snippet in FILE in the background; waits for its marker.
      # Blocked: still running at TIMEOUT, or a hung-task report appeared while it ran (the
      # kernel has then seen a task stuck for the whole hung-task timeout: no need to wait on).
      hung() { dmesg 2>/dev/null | grep -c 'blocked for more than'; }
      # Tasks in uninterruptible sleep (state D), as NAME:PID.
      dtasks() { cat /proc/[0-9]*/stat 2>/dev/null | sed -n 's/^\\([0-9]*\\) (\\(.*\\)) D .*/\\2:\\1/p' | tr ' ' '_'; }
      step() {
        seq=$((seq+1)); m=/tmp/rc.$seq; o=/tmp/out.$seq; h0=$(hung)
        \(launch)
        t=0
        while [ ! -f "$m" ]; do
          if [ $t -ge $(($1*5)) ]; then
            cat "$o" 2>/dev/null | sed 's/^/    /'
            echo "    # step still running after $1 s: blocked"
            return 124
          fi
          if [ $((t % 10)) -eq 9 ] && [ "$(hung)" -gt "$h0" ]; then
            cat "$o" 2>/dev/null | sed 's/^/    /'
            echo "    # step blocked: the kernel reported a hung task after $((t/5)) s"
            reported=1
            return 124
          fi
          sleep 0.2; t=$((t+1))
        done
        sed 's/^/    /' "$o"
        return $(cat "$m")
      }

      """
    if lockWitness {
      out += witnessFunctions(drainLimit: witnessDrainLimit)
      out += "cat > /tmp/witness.awk <<'PATCHCHECK_AWK'\n\(LockWitnessProgram.awk)\nPATCHCHECK_AWK\nwitness_start\n"
    }
    if coverage { out += CoverageProgram.functions + "coverage_start\n" }
    out += "echo 'KTAP version 1'\necho '1..\(scenarios.count)'\n"
    for (index, scenario) in scenarios.enumerated() {
      // A blocked step leaves tasks stuck on the device's locks: later scenarios would only
      // time out behind them.
      out += "if [ -n \"$blocked\" ]; then echo 'ok \(index + 1) \(quoted(scenario.name)) # SKIP a blocked step wedged the device'; else\n"
      out += "echo '    KTAP version 1'\necho '    # scenario \(quoted(scenario.name)): \(quoted(scenario.summary))'\n"
      out += "echo '    1..\(scenario.steps.count)'\n"
      if lockWitness { out += scenario.race ? "witness_pause '\(quoted(scenario.name))'\n" : "untraced=''\n" }
      out += "failed=0; skipped=''\n"
      for (stepIndex, var step) in scenario.steps.enumerated() {
        // Names go inside single quotes, and '#' would start a KTAP directive.
        step.name = quoted(step.name).replacingOccurrences(of: "#", with: "no.")
        let file = "/tmp/step-\(index + 1)-\(stepIndex + 1).sh"
        out += "cat > \(file) <<'PATCHCHECK_STEP'\n\(step.script)\nPATCHCHECK_STEP\n"
        out += """
          if [ $failed -ne 0 ]; then echo '    ok \(stepIndex + 1) \(step.name) # SKIP an earlier step failed'
          else
            \(lockWitness ? "mark '\(quoted(scenario.name)): \(step.name)'; " : "")step \(step.timeout) \(file); rc=$?
            if [ $rc -eq 0 ]; then echo '    ok \(stepIndex + 1) \(step.name)'
            elif [ $rc -eq \(stepSkipExitCode) ]; then echo '    ok \(stepIndex + 1) \(step.name) # SKIP not supported by this kernel'; skipped='\(step.name)'
            elif [ $rc -eq 124 ]; then echo '    not ok \(stepIndex + 1) \(step.name) # TIMEOUT'; failed=1; blocked=1
            else echo '    not ok \(stepIndex + 1) \(step.name) # exit '"$rc"; failed=1; fi
          fi

          """
      }
      out += """
        if [ $failed -ne 0 ]; then echo 'not ok \(index + 1) \(quoted(scenario.name))'
        elif [ -n "$skipped" ]; then echo "ok \(index + 1) \(quoted(scenario.name)) # SKIP step '$skipped' is not supported by this kernel"
        else echo 'ok \(index + 1) \(quoted(scenario.name))'; fi

        """
      if coverage { out += "coverage_end \(index + 1)\n" }
      out += "fi\n"
    }
    if lockWitness { out += "witness_stop\n" }
    out += """
      # The end: a task still in D state (a background writer that deadlocked without
      # blocking a step, or one a blocked step left behind) gets the hung-task detector's
      # full period; what is still stuck then is named, with every blocked task's stack
      # (sysrq w) and every lock held (sysrq d).
      stuck=$(dtasks)
      if [ -n "$stuck" ] && [ -z "$reported" ]; then
        w=0
        while [ -n "$stuck" ] && [ $w -lt \(hungTaskTimeout + 3) ]; do sleep 1; w=$((w+1)); stuck=$(dtasks); done
      fi
      if [ -n "$stuck" ]; then
        for t in $stuck; do echo "\(stuckMarker)$t"; done
        echo w > /proc/sysrq-trigger 2>/dev/null; echo d > /proc/sysrq-trigger 2>/dev/null; sleep 1
      fi

      echo "\(doneMarker)"
      poweroff -f

      """
    return out
  }

  /// How long, in seconds of guest uptime, the runner lets the witness's reader drain the
  /// trace at the end (the boot's time limit allows for it: `RunPlan.bootTimeout`).
  package static let witnessDrainLimit = 600

  package static func witnessFunctions(drainLimit: Int) -> String {
    """
      # The lock-order witness: lock events from tracefs, streamed into awk (see
      # LockWitnessProgram); the reader's own tasks are not traced.
      T=/sys/kernel/tracing
      witness_start() {
        mount -t tracefs nodev $T 2>/dev/null
        if [ ! -e $T/events/lock/lock_acquire/enable ]; then echo "\(LockWitnessProgram.unavailableMarker): this kernel has no lock events"; return; fi
        # awk reads trace_pipe itself: a cat into a pipe would splice, and splicing from
        # trace_pipe holds the pipe's lock while it waits for events (the reader hangs in D).
        awk -f /tmp/witness.awk < $T/trace_pipe > /tmp/witness.out 2>&1 &
        wa=$!
        # Only the steps' own tasks and their children (set_event_pid, set per step, events
        # on from the first step): the kernel paths a scenario drives, not every lock the
        # whole guest takes. Real addresses: lock instances are compared across steps.
        echo 1 > $T/options/event-fork
        echo 0 > $T/options/hash-ptr
        # At the source, leave out what cannot be a sleeping lock's order and would only
        # flood the buffer: acquisitions with interrupts off or in interrupt context
        # (common_flags: irqs-off 0x1, hardirq 0x8, softirq 0x10; spinning locks, which
        # lockdep validates), and the memory-management annotations taken on every
        # allocation and page fault (reclaim, mmap, rmap), which lockdep validates too.
        echo '\(LockWitnessProgram.acquireFilter)' > $T/events/lock/lock_acquire/filter
        echo '\(LockWitnessProgram.releaseFilter)' > $T/events/lock/lock_release/filter
        echo 16384 > $T/buffer_size_kb
        witness=1
      }
      # A race scenario is not traced (Scenario.race): the events go off until the next
      # traced step turns them on again for its own task.
      witness_pause() {
        untraced=1
        [ -n "$witness" ] || return
        echo 0 > $T/events/lock/lock_acquire/enable
        echo 0 > $T/events/lock/lock_release/enable
        echo "    # the lock-order witness does not trace race scenario $1"
      }
      mark() { [ -n "$witness" ] && echo "\(LockWitnessProgram.stepMarkerPrefix)$1" > $T/trace_marker; }
      witness_stop() {
        [ -n "$witness" ] || return
        echo 0 > $T/events/lock/lock_acquire/enable
        echo 0 > $T/events/lock/lock_release/enable
        echo "\(LockWitnessProgram.stepMarkerPrefix)end" > $T/trace_marker
        # awk is still reading what the steps left in the buffer (the sequential scenarios
        # leave 150,000-200,000 events, which a TCG vCPU reads at 1,500-2,000 a second):
        # waited for by the guest's clock (a loop of sleeps and greps runs slower than it
        # counts under TCG) as long as the backlog shrinks, up to \(drainLimit) s, with a line
        # every 10 s so the host, which stops a guest silent for 150 s, knows it is alive. A
        # backlog that has not shrunk in 30 s is a reader that has stopped.
        s=$(cut -d. -f1 /proc/uptime); e=0; said=0; last=-1; still=0
        while ! grep -q '^done' /tmp/witness.out 2>/dev/null && [ $e -lt \(drainLimit) ] && [ $still -lt 3 ]; do
          sleep 1; e=$(($(cut -d. -f1 /proc/uptime) - s))
          if [ $e -ge $((said + 10)) ]; then
            said=$e; left=$(cat $T/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^entries: //p' | awk '{ n += $1 } END { print n + 0 }')
            if [ $last -ge 0 ] && [ $left -ge $last ]; then still=$((still+1)); else still=0; fi
            last=$left
            echo "\(LockWitnessProgram.drainingMarker) ($e s, $left events left)"
          fi
        done
        kill $wa 2>/dev/null
        echo "\(LockWitnessProgram.beginMarker)"
        [ -f /\(LockWitnessProgram.focusFile) ] && sed 's/^/focus\t/' /\(LockWitnessProgram.focusFile)
        cat /tmp/witness.out
        echo "overrun $(cat $T/per_cpu/cpu*/stats 2>/dev/null | sed -n 's/^overrun: //p' | tr '\\n' ' ')"
        echo "\(LockWitnessProgram.endMarker)"
      }

    """
  }

  /// Text safe inside a single-quoted shell word.
  package static func quoted(_ text: String) -> String {
    text.replacingOccurrences(of: "'", with: "'\\''")
  }
}

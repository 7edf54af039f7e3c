// Guest scenarios: the PCI paths a series touches, as steps that the runner executes in the
// guest. Each step is a busybox-sh snippet that exits 0 on success; it runs in the
// background with its own time limit, so one blocked sysfs write cannot stall the run.
// Steps share state through files in /tmp (the PF's sysfs path is in /tmp/pf).

import Foundation

public struct ScenarioStep: Sendable {
  public var name: String
  /// Seconds before the runner gives up on the step (guest time, TCG is slow).
  public var timeout: Int
  public var script: String

  public init(name: String, timeout: Int, script: String) {
    self.name = name
    self.timeout = timeout
    self.script = script
  }
}

public struct Scenario: Sendable {
  public var name: String
  public var summary: String
  public var steps: [ScenarioStep]
}

/// A step's script exits with this when the kernel lacks what it needs: KTAP SKIP.
public let stepSkipExitCode = 77

/// The knobs scenarios are generated with.
public struct ScenarioSettings: Sendable {
  /// Iterations of each race scenario.
  public var iterations: Int
  /// VFs to enable on the PF.
  public var vfs: Int

  public init(iterations: Int = ScenarioLibrary.defaultIterations, vfs: Int = 4) {
    self.iterations = iterations
    self.vfs = vfs
  }
}

public enum ScenarioLibrary {
  /// Every scenario.
  public static func all(_ settings: ScenarioSettings = ScenarioSettings()) -> [Scenario] {
    let n = settings.vfs
    return [
      numvfs(n), pfRemove(n), unbind(n), vfRemove(n), raceNumvfsRemove(settings.iterations, vfs: n),
      raceUnbindRemove(settings.iterations, vfs: n),
    ]
  }

  public static let defaultIterations = 5
  /// Scenarios run when neither the user nor the series' manifest names any.
  public static let defaultNames = ["numvfs", "pf-remove"]

  public static func named(_ names: [String], settings: ScenarioSettings = ScenarioSettings()) throws -> [Scenario] {
    let available = all(settings)
    // No scenario means nothing is checked: such a run must not be able to pass.
    guard !names.isEmpty else { throw noScenario(available) }
    return try names.map { name in
      guard let scenario = available.first(where: { $0.name == name }) else {
        throw PatchCheckError(
          .usage, "no scenario named '\(name)'",
          hint: "choose from: \(available.map(\.name).joined(separator: ", "))")
      }
      return scenario
    }
  }

  /// Scenarios given whole: at least one, each with at least one step.
  public static func checked(_ scenarios: [Scenario]) throws -> [Scenario] {
    guard !scenarios.isEmpty, scenarios.allSatisfy({ !$0.steps.isEmpty }) else { throw noScenario(all()) }
    return scenarios
  }

  static func noScenario(_ available: [Scenario]) -> PatchCheckError {
    PatchCheckError(
      .usage, "no scenario selected: a run with none would check nothing",
      hint: "name at least one of: \(available.map(\.name).joined(separator: ", "))")
  }

  /// The first PCI function with SR-IOV capacity, bound to a driver.
  static let findPF = ScenarioStep(
    name: "find SR-IOV PF", timeout: 30,
    script: """
      for i in $(seq 1 50); do
        for d in /sys/bus/pci/devices/*; do
          [ -f "$d/sriov_totalvfs" ] || continue
          [ "$(cat "$d/sriov_totalvfs")" -gt 0 ] || continue
          [ -e "$d/driver" ] || continue
          echo "$d" > /tmp/pf
          echo "# PF $(basename "$d") driver $(basename "$(readlink "$d/driver")") totalvfs $(cat "$d/sriov_totalvfs")"
          exit 0
        done
        sleep 0.2
      done
      echo "# no PCI device with sriov_totalvfs > 0 and a bound driver"
      exit 1
      """)

  static func enableVFs(_ count: Int) -> ScenarioStep {
    ScenarioStep(
      name: "enable \(count) VFs", timeout: 90,
      script: """
        pf=$(cat /tmp/pf)
        echo \(count) > "$pf/sriov_numvfs" || exit 1
        n=$(ls -d "$pf"/virtfn* 2>/dev/null | wc -l)
        echo "# sriov_numvfs=$(cat "$pf/sriov_numvfs") virtfn links=$n"
        [ "$n" -eq \(count) ]
        """)
  }

  static let vfsBound = ScenarioStep(
    name: "VFs bound to a driver", timeout: 60,
    script: """
      pf=$(cat /tmp/pf)
      for i in $(seq 1 100); do
        missing=0
        for v in "$pf"/virtfn*; do [ -e "$v/driver" ] || missing=$((missing+1)); done
        [ $missing -eq 0 ] && break
        sleep 0.2
      done
      for v in "$pf"/virtfn*; do
        echo "# $(basename "$(readlink "$v")") driver $(basename "$(readlink "$v/driver" 2>/dev/null)" 2>/dev/null)"
      done
      [ $missing -eq 0 ]
      """)

  static let disableVFs = ScenarioStep(
    name: "disable VFs", timeout: 90,
    script: """
      pf=$(cat /tmp/pf)
      echo 0 > "$pf/sriov_numvfs" || exit 1
      n=$(ls -d "$pf"/virtfn* 2>/dev/null | wc -l)
      echo "# sriov_numvfs=$(cat "$pf/sriov_numvfs") virtfn links=$n"
      [ "$n" -eq 0 ]
      """)

  static func numvfs(_ vfs: Int) -> Scenario {
    Scenario(
      name: "numvfs",
      summary: "enable \(vfs) VFs on the PF through sriov_numvfs, check they appear and bind, disable them",
      steps: [findPF, enableVFs(vfs), vfsBound, disableVFs])
  }

  static func pfRemove(_ vfs: Int) -> Scenario {
    Scenario(
      name: "pf-remove",
      summary:
        "with VFs enabled, remove the PF through sysfs (driver .remove -> pci_disable_sriov), rescan, check the PF and its driver are back",
      steps: [
        findPF, enableVFs(vfs),
        ScenarioStep(
          name: "remove PF with VFs enabled", timeout: 90,
          script: """
            pf=$(cat /tmp/pf)
            echo 1 > "$pf/remove" || exit 1
            [ ! -e "$pf" ] || { echo "# $pf still present"; exit 1; }
            left=$(ls -d /sys/bus/pci/devices/* | while read d; do [ -e "$d/physfn" ] && echo "$d"; done | wc -l)
            echo "# PF gone, VFs left: $left"
            [ "$left" -eq 0 ]
            """),
        ScenarioStep(
          name: "rescan brings the PF back with its driver", timeout: 90,
          script: """
            pf=$(cat /tmp/pf)
            echo 1 > /sys/bus/pci/rescan || exit 1
            for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.2; done
            [ -e "$pf" ] || { echo "# $pf did not come back"; exit 1; }
            [ -e "$pf/driver" ] || { echo "# $pf is back without a driver"; exit 1; }
            echo "# $(basename "$pf") back, driver $(basename "$(readlink "$pf/driver")"), sriov_numvfs=$(cat "$pf/sriov_numvfs")"
            """),
      ])
  }
}

extension ScenarioLibrary {
  /// Puts the PF back as a fresh device: present (rescan), bound, SR-IOV off.
  static let restorePF = """
    pf=$(cat /tmp/pf)
    [ -e "$pf" ] || echo 1 > /sys/bus/pci/rescan
    for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
    if [ ! -e "$pf/driver" ] && [ -f /tmp/pfdrv ]; then
      echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" 2>/dev/null
      for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
    fi
    [ -e "$pf/driver" ] || { echo "# $pf has no driver after rescan and bind"; exit 1; }
    [ "$(cat "$pf/sriov_numvfs")" -eq 0 ] || echo 0 > "$pf/sriov_numvfs"
    """

  static let rememberDriver = ScenarioStep(
    name: "remember the PF's driver", timeout: 10,
    script: """
      pf=$(cat /tmp/pf)
      readlink -f "$pf/driver" > /tmp/pfdrv
      echo "# driver $(cat /tmp/pfdrv)"
      """)

  static func unbind(_ vfs: Int) -> Scenario {
    Scenario(
      name: "unbind",
      summary: "with VFs enabled, unbind the PF's driver through sysfs (driver .remove -> pci_disable_sriov), then bind it again",
      steps: [
        findPF, rememberDriver, enableVFs(vfs),
        ScenarioStep(
          name: "unbind the PF's driver with VFs enabled", timeout: 90,
          script: """
            pf=$(cat /tmp/pf)
            echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/unbind" || exit 1
            [ ! -e "$pf/driver" ] || { echo "# still bound"; exit 1; }
            n=$(ls -d "$pf"/virtfn* 2>/dev/null | wc -l)
            echo "# unbound, virtfn links left: $n"
            [ "$n" -eq 0 ]
            """),
        ScenarioStep(
          name: "bind the driver again", timeout: 60,
          script: """
            pf=$(cat /tmp/pf)
            echo "$(basename "$pf")" > "$(cat /tmp/pfdrv)/bind" || exit 1
            for i in $(seq 1 100); do [ -e "$pf/driver" ] && break; sleep 0.1; done
            [ -e "$pf/driver" ] && echo "# bound to $(basename "$(readlink "$pf/driver")")"
            """),
      ])
  }

  static func vfRemove(_ vfs: Int) -> Scenario {
    Scenario(
      name: "vf-remove",
      summary: "with VFs enabled, remove one VF through its sysfs remove, then disable SR-IOV on the PF",
      steps: [
        findPF, enableVFs(vfs),
        ScenarioStep(
          name: "remove one VF", timeout: 60,
          script: """
            pf=$(cat /tmp/pf)
            vf=$(readlink -f "$pf/virtfn0")
            # Kernels that hide hotplug attributes of VFs have no remove there.
            [ -e "$vf/remove" ] || { echo "# $(basename "$vf") has no remove attribute on this kernel"; exit \(stepSkipExitCode); }
            echo 1 > "$vf/remove" || exit 1
            [ ! -e "$vf" ] || { echo "# $vf still present"; exit 1; }
            echo "# removed $(basename "$vf"), virtfn links left: $(ls -d "$pf"/virtfn* 2>/dev/null | wc -l)"
            """),
        disableVFs,
      ])
  }

  /// Small delays between the two sides of a race, in seconds, cycled over iterations.
  static let raceDelays = ["0", "0.01", "0.05", "0.1", "0.2", "0.02", "0.3", "0"]

  /// `iterations` steps, each: put the PF back, then run `a` and, after a delay, `b`, both in
  /// the background; both must finish and the PF must come back afterwards.
  static func race(name: String, summary: String, iterations: Int, vfs: Int, vfsFirst: Bool, a: String, b: String) -> Scenario {
    let steps = (0..<max(1, iterations)).map { i -> ScenarioStep in
      let delay = raceDelays[i % raceDelays.count]
      return ScenarioStep(
        name: "iteration \(i + 1) (delay \(delay) s)", timeout: 40,
        script: """
          \(restorePF)
          \(vfsFirst ? "echo \(i % 2 == 0 ? vfs : 1) > \"$pf/sriov_numvfs\"" : "")
          rm -f /tmp/race.a /tmp/race.b
          ( \(a); echo "$?" > /tmp/race.a ) &
          ( sleep \(delay); \(b); echo "$?" > /tmp/race.b ) &
          wait
          echo "# side a exit $(cat /tmp/race.a), side b exit $(cat /tmp/race.b)"
          \(restorePF)
          echo "# PF back with $(basename "$(readlink "$pf/driver")")"
          """)
    }
    return Scenario(name: name, summary: summary, steps: [findPF, rememberDriver] + steps)
  }

  static func raceNumvfsRemove(_ iterations: Int, vfs: Int) -> Scenario {
    race(
      name: "race-numvfs-remove",
      summary: "write the PF's sriov_numvfs and its remove concurrently, \(iterations) times with varied delays",
      iterations: iterations, vfs: vfs, vfsFirst: false, a: "echo \(vfs) > \"$pf/sriov_numvfs\" 2>/dev/null",
      b: "echo 1 > \"$pf/remove\"")
  }

  static func raceUnbindRemove(_ iterations: Int, vfs: Int) -> Scenario {
    race(
      name: "race-unbind-remove",
      summary: "unbind the PF's driver and write its remove concurrently (VFs enabled), \(iterations) times",
      iterations: iterations, vfs: vfs, vfsFirst: true,
      a: "echo \"$(basename \"$pf\")\" > \"$(cat /tmp/pfdrv)/unbind\" 2>/dev/null",
      b: "echo 1 > \"$pf/remove\"")
  }
}

/// The generated /init: mounts, lowers the hung-task timeout, runs the scenarios and prints
/// KTAP v1 on the console, then says it is done and powers off.
public enum RunnerScript {
  public static let startMarker = "patchcheck-runner: start"
  public static let doneMarker = "patchcheck-runner: done"
  /// Followed by `uname -r`: the host checks the guest booted the kernel it built.
  public static let releaseMarker = "patchcheck-runner: kernel "
  /// Followed by `NAME:PID`: a task still in D state after the hung-task period at the end.
  public static let stuckMarker = "patchcheck-runner: task stuck in D state: "

  /// The release on the runner's `releaseMarker` line, if `line` is that line.
  public static func kernelRelease(fromLine line: String) -> String? {
    guard let range = line.range(of: releaseMarker) else { return nil }
    let release = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    return release.isEmpty ? nil : release
  }

  /// The release the runner saw in a whole console log.
  public static func kernelRelease(in console: String) -> String? {
    console.split(separator: "\n").lazy.compactMap { kernelRelease(fromLine: String($0)) }.first
  }

  public static func generate(_ scenarios: [Scenario], hungTaskTimeout: Int = 10) -> String {
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
        ( sh "$2" > "$o" 2>&1; echo $? > "$m" ) &
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
    out += "echo 'KTAP version 1'\necho '1..\(scenarios.count)'\n"
    for (index, scenario) in scenarios.enumerated() {
      // A blocked step leaves tasks stuck on the device's locks: later scenarios would only
      // time out behind them.
      out += "if [ -n \"$blocked\" ]; then echo 'ok \(index + 1) \(quoted(scenario.name)) # SKIP a blocked step wedged the device'; else\n"
      out += "echo '    KTAP version 1'\necho '    # scenario \(quoted(scenario.name)): \(quoted(scenario.summary))'\n"
      out += "echo '    1..\(scenario.steps.count)'\n"
      out += "failed=0; skipped=''\n"
      for (stepIndex, var step) in scenario.steps.enumerated() {
        // Names go inside single quotes, and '#' would start a KTAP directive.
        step.name = quoted(step.name).replacingOccurrences(of: "#", with: "no.")
        let file = "/tmp/step-\(index + 1)-\(stepIndex + 1).sh"
        out += "cat > \(file) <<'PATCHCHECK_STEP'\n\(step.script)\nPATCHCHECK_STEP\n"
        out += """
          if [ $failed -ne 0 ]; then echo '    ok \(stepIndex + 1) \(step.name) # SKIP an earlier step failed'
          else
            step \(step.timeout) \(file); rc=$?
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
        fi

        """
    }
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

  /// Text safe inside a single-quoted shell word.
  static func quoted(_ text: String) -> String {
    text.replacingOccurrences(of: "'", with: "'\\''")
  }
}

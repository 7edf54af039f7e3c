// Guest scenarios: the PCI paths a series touches, as steps that the runner executes in the
// guest. Each step is a busybox-sh snippet that exits 0 on success; it runs in the
// background with its own time limit, so one blocked sysfs write cannot stall the run.
// Steps share state through files in /tmp (the PF's sysfs path is in /tmp/pf).

import Foundation

package struct ScenarioStep: Sendable {
  package var name: String
  /// Seconds before the runner gives up on the step (guest time, TCG is slow).
  package var timeout: Int
  package var script: String

  package init(name: String, timeout: Int, script: String) {
    self.name = name
    self.timeout = timeout
    self.script = script
  }
}

package struct Scenario: Sendable {
  package var name: String
  package var summary: String
  package var steps: [ScenarioStep]
}

/// A step's script exits with this when the kernel lacks what it needs: KTAP SKIP.
package let stepSkipExitCode = 77

/// The knobs scenarios are generated with.
package struct ScenarioSettings: Sendable {
  /// Iterations of each race scenario.
  package var iterations: Int
  /// VFs to enable on the PF.
  package var vfs: Int

  package init(iterations: Int = ScenarioLibrary.defaultIterations, vfs: Int = 4) {
    self.iterations = iterations
    self.vfs = vfs
  }
}

package enum ScenarioLibrary {
  /// Every scenario.
  package static func all(_ settings: ScenarioSettings = ScenarioSettings()) -> [Scenario] {
    let n = settings.vfs
    return [
      numvfs(n), pfRemove(n), unbind(n), vfRemove(n), raceNumvfsRemove(settings.iterations, vfs: n),
      raceUnbindRemove(settings.iterations, vfs: n),
    ]
  }

  package static let defaultIterations = 5
  /// Scenarios run when neither the user nor the series' manifest names any.
  package static let defaultNames = ["numvfs", "pf-remove"]

  package static func named(_ names: [String], settings: ScenarioSettings = ScenarioSettings()) throws -> [Scenario] {
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
  package static func checked(_ scenarios: [Scenario]) throws -> [Scenario] {
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

// Guest scenarios: the PCI paths a series touches, as steps that the runner executes in the
// guest. Each step is a busybox-sh snippet that exits 0 on success; it runs in the
// background with its own time limit, so one blocked sysfs write cannot stall the run.
// The scenarios themselves are data: `scenarios/*.yaml` (ScenarioFile reads them, and
// ScenarioCatalog adds the user's own).

import Foundation
import PatchCheckBase
import PatchCheckSeries

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
  /// igb PFs the guest must have for the scenario to mean anything.
  package var igbPFs = 0
  /// Its steps race writers against each other (`race: true` in its file). The lock-order
  /// witness does not trace it: tracing every lock event slows the racers several times over,
  /// which moves the very window the race is after, and a few iterations fill the trace
  /// faster than a TCG guest can read it. Its evidence is the kernel's own (hung-task
  /// detector, lockdep); the lock orders of the same writes, one at a time, are the
  /// sequential scenarios' to trace.
  package var race = false

  /// A step asks the host to act on the machine (`patchcheck-host`, guest/host.sh).
  package var hostDriven: Bool { steps.contains { $0.script.contains(Self.hostRequest) } }
  package static let hostRequest = "patchcheck-host "

  package init(name: String, summary: String, steps: [ScenarioStep], igbPFs: Int = 0, race: Bool = false) {
    self.name = name
    self.summary = summary
    self.steps = steps
    self.igbPFs = igbPFs
    self.race = race
  }
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
  /// The order a choice by reach runs them in, each group in its own order: the guest's own
  /// scenarios, then those that ask the host to act on the machine (hot-removal and AER
  /// recovery take lock orders the kernel reports on 7.2 and 7.3 themselves, and lockdep turns
  /// itself off after its first report, blind for the rest of the boot), then the races (one
  /// that hangs wedges the device, and whatever comes after it does not run).
  package static func racesLast(_ scenarios: [Scenario]) -> [Scenario] {
    scenarios.filter { !$0.race && !$0.hostDriven } + scenarios.filter { !$0.race && $0.hostDriven }
      + scenarios.filter(\.race)
  }

  package static let defaultIterations = 5
  /// Scenarios run when neither the user nor the series' manifest names any.
  package static let defaultNames = ["numvfs", "pf-remove"]

  /// Every built-in scenario (`scenarios/*.yaml`), at these knobs.
  package static func all(_ settings: ScenarioSettings = ScenarioSettings()) throws -> [Scenario] {
    try ScenarioCatalog.load().all(settings)
  }

  /// Built-in scenarios by name.
  package static func named(_ names: [String], settings: ScenarioSettings = ScenarioSettings()) throws -> [Scenario] {
    try ScenarioCatalog.load().named(names, settings: settings)
  }

  /// Scenarios given whole: at least one, each with at least one step.
  package static func checked(_ scenarios: [Scenario]) throws -> [Scenario] {
    guard !scenarios.isEmpty, scenarios.allSatisfy({ !$0.steps.isEmpty }) else {
      throw noScenario((try? ScenarioCatalog.load().names) ?? defaultNames)
    }
    return scenarios
  }

  package static func noScenario(_ available: [String]) -> PatchCheckError {
    PatchCheckError(
      .usage, "no scenario selected: a run with none would check nothing",
      hint: "name at least one of: \(available.joined(separator: ", "))")
  }
}

// What a run is asked to do, as the flags say it: the run plan resolves it once
// (`RunPlan.resolve`), with the series' manifest and the defaults.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct RunOptions: Sendable {
  package var series: String?
  /// Which revision of the series' thread, and where lore is (`--revision`, `--lore`, `--refresh`).
  package var seriesQuery = SeriesQuery()
  package var repository: String?
  package var base: String?
  package var variant = "as-posted"
  package var output: URL?
  package var scenarios: [String]?
  /// Folders of the user's own scenario files (`--scenario-dir`), added to the built-in ones.
  package var scenarioDirs: [URL] = []
  /// Scenarios given whole, instead of by name (tests).
  package var scenarioDefinitions: [Scenario]?
  package var fragments: [URL]?
  package var accelerator = Accelerator.auto
  /// The guest's clock under TCG (`GuestClock`).
  package var clock = GuestClock.virtual
  package var bootTimeout: TimeInterval?
  package var json = false
  package var threeWay = false
  /// Skip a patch the tree already has, and apply the rest (--skip-applied).
  package var skipApplied = false
  /// Iterations of each race scenario.
  package var iterations = ScenarioLibrary.defaultIterations
  /// Guest knobs: VFs to enable, igb PFs, vCPUs, memory (MiB), hung-task timeout (s).
  package var vfs = 4
  package var pfs = 1
  package var vcpus = 2
  package var memoryMB = 1024
  package var hungTaskTimeout = 10
  /// Trace lock acquisitions in the guest and report lock-order cycles (`LockWitness`).
  package var lockWitness = true
  /// Profile the series' changed functions in the guest; a run that reaches none of them
  /// is NOT-EXERCISED (`SeriesCoverage`).
  package var coverage = true
  /// Boots of the same build (each title counted over them).
  package var repeatCount = 1
  /// Also run the unpatched base and label each report new, fixed or pre-existing.
  package var compareBase = false
  /// Any kernel report FAILs, whether or not the base shows it too (the base is not asked).
  package var strict = false
  /// Build and boot the base as it is, with no series (bisecting the tree itself).
  package var noSeries = false

  package init() {}
}

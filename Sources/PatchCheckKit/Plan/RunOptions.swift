// What a run is asked to do, as the flags say it: the run plan resolves it once
// (`RunPlan.resolve`), with the series' manifest and the defaults.

import Foundation

public struct RunOptions: Sendable {
  public var series: String?
  public var repository: String?
  public var base: String?
  public var variant = "as-posted"
  public var output: URL?
  public var scenarios: [String]?
  /// Folders of the user's own scenario files (`--scenario-dir`), added to the built-in ones.
  public var scenarioDirs: [URL] = []
  /// Scenarios given whole, instead of by name (tests).
  public var scenarioDefinitions: [Scenario]?
  public var fragments: [URL]?
  public var accelerator = "auto"
  public var bootTimeout: TimeInterval?
  public var json = false
  public var threeWay = false
  /// Iterations of each race scenario.
  public var iterations = ScenarioLibrary.defaultIterations
  /// Guest knobs: VFs to enable, igb PFs, vCPUs, memory (MiB), hung-task timeout (s).
  public var vfs = 4
  public var pfs = 1
  public var vcpus = 2
  public var memoryMB = 1024
  public var hungTaskTimeout = 10
  /// Boots of the same build (each title counted over them).
  public var repeatCount = 1
  /// Also run the unpatched base and label each report new, fixed or pre-existing.
  public var compareBase = false
  /// Build and boot the base as it is, with no series (bisecting the tree itself).
  public var noSeries = false

  public init() {}
}

import ArgumentParser
import Foundation
import PatchCheckKit

/// How a command's --help words the run flags it shares with the others.
protocol RunFlagsHelp {
  static var series: String { get }
  static var scenarios: String { get }
  static var iterations: String { get }
}

/// How a series named by a thread is read: which revision, and where lore is. Shared by every
/// command that takes a series.
struct SeriesQueryFlags: ParsableArguments {
  @Option(
    name: [.customShort("v"), .long],
    help: "The revision of the series' thread to take (default: the newest complete one).")
  var revision: Int?

  @Option(help: "The archive a message-id is fetched from (default $PATCHCHECK_LORE_URL, else https://lore.kernel.org/all).")
  var lore: String?

  @Flag(help: "Fetch a thread named by message-id or URL again, even when the cache folder has it.")
  var refresh = false

  func validate() throws {
    if let revision, revision < 1 { throw ValidationError("--revision takes 1 or more") }
  }

  var query: SeriesQuery { SeriesQuery(revision: revision, lore: lore, refresh: refresh) }
}

/// What a run runs, for every command that runs the series: apply-and-boot, ci, bisect and
/// bisect-run (each with its own wording in --help, `Help`).
struct RunFlags<Help: RunFlagsHelp>: ParsableArguments {
  @Option(help: ArgumentHelp(Help.series))
  var series: String?

  @OptionGroup var seriesQuery: SeriesQueryFlags

  @Option(help: "Variant of the series from its manifest.")
  var variant: String = "as-posted"

  @Option(help: ArgumentHelp(Help.scenarios))
  var scenarios: String?

  @Option(help: "A folder of your own scenario files (*.yaml), added to the built-in ones (repeatable).")
  var scenarioDir: [String] = []

  @Option(help: ArgumentHelp(Help.iterations))
  var iterations: Int = ScenarioLibrary.defaultIterations

  @Option(help: "Config fragment to use instead of kernel-configs/*.config (repeatable).")
  var fragment: [String] = []

  @Option(
    help: ArgumentHelp(
      "The guest's clock under TCG: virtual (QEMU counts instructions and skips the time an idle guest waits: the kernel's sleeps cost nothing) or host (vCPUs in parallel threads, the host's time)."
    ))
  var guestClock = GuestClock.virtual

  @Flag(help: "Do not trace lock acquisitions in the guest (no lock-order witness).")
  var noLockWitness = false

  @Flag(help: "Do not profile the series' changed functions in the guest (no coverage, no NOT-EXERCISED).")
  var noCoverage = false

  @Flag(
    help: ArgumentHelp(
      "Any kernel report FAILs, even one the unpatched base shows too (by default such a report is pre-existing: listed, not a FAIL)."
    ))
  var strict = false

  func validate() throws {
    guard (1...1000).contains(iterations) else { throw ValidationError("--iterations takes 1 to 1000") }
  }

  /// The run these flags ask for; the command adds what only it has.
  func runOptions() -> RunOptions {
    var options = RunOptions()
    options.series = series
    options.seriesQuery = seriesQuery.query
    options.variant = variant
    options.scenarios = scenarios?.split(separator: ",").map(String.init)
    options.scenarioDirs = scenarioDir.map { URL(fileURLWithPath: $0) }
    options.iterations = iterations
    options.fragments = fragment.isEmpty ? nil : fragment.map { URL(fileURLWithPath: $0) }
    options.clock = guestClock
    options.lockWitness = !noLockWitness
    options.coverage = !noCoverage
    options.strict = strict
    return options
  }
}

enum ApplyAndBootHelp: RunFlagsHelp {
  static let series =
    "The series: an mbox, a folder of .patch files, a message-id, a lore URL, or a manifest name (default: the default manifest's series)."
  static var scenarios: String {
    "Comma-separated scenarios (default: the manifest's; 'patchcheck scenarios' lists what is available)."
  }
  static let iterations = "Iterations of each race scenario (each with a different delay between the two sides)."
}

enum CIHelp: RunFlagsHelp {
  static let series = "The series (an mbox, a folder, a message-id, a lore URL or a manifest name; default: the default manifest's)."
  static let scenarios = "Comma-separated scenarios (default: the manifest's)."
  static let iterations = "Iterations of each race scenario."
}

enum BisectHelp: RunFlagsHelp {
  static let series =
    "The series to apply at every step (an mbox, a folder, a message-id, a lore URL or a manifest name); none: the commits alone."
  static let scenarios = "Comma-separated scenarios (default: the manifest's, else numvfs,pf-remove)."
  static let iterations = CIHelp.iterations
}

// The vocabulary's enums parse themselves: the argument parser rejects any other value and
// lists the valid ones in --help.
extension Accelerator: ExpressibleByArgument {}
extension GuestClock: ExpressibleByArgument {}
extension CIEngine: ExpressibleByArgument {}

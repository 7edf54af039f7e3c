import ArgumentParser
import Foundation
import PatchCheckKit

struct BootCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "boot",
    abstract: "Boot a built kernel in QEMU with the igb SR-IOV NIC and run the scenarios (no apply, no build).")

  @Option(help: "The kernel image (bzImage).")
  var kernel: String

  @Option(help: "Comma-separated scenarios to run.")
  var scenarios: String = "numvfs,pf-remove"

  @Option(help: "A folder of your own scenario files (*.yaml), added to the built-in ones (repeatable).")
  var scenarioDir: [String] = []

  @Option(help: "Iterations of each race scenario.")
  var iterations: Int = ScenarioLibrary.defaultIterations

  @Option(help: "The run's folder (default results/<time>-boot).")
  var out: String?

  @Option(help: "Accelerator: auto is KVM only if a probe boots under it, else TCG.")
  var accel = Accelerator.auto

  @Option(help: "The guest's clock under TCG: virtual (idle time skipped) or host.")
  var guestClock = GuestClock.virtual

  @Flag(help: "Boot without the lock-order witness.")
  var noLockWitness = false

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try runReportingErrors {
      var options = RunOptions()
      options.noSeries = true
      options.scenarios = scenarios.split(separator: ",").map(String.init)
      options.scenarioDirs = scenarioDir.map { URL(fileURLWithPath: $0) }
      options.iterations = iterations
      options.accelerator = accel
      options.clock = guestClock
      options.output = out.map { URL(fileURLWithPath: $0) }
      options.json = global.json
      options.lockWitness = !noLockWitness
      let home = global.patchCheckHome
      let plan = try RunPlan.resolve(options, home: home)
      let report = try ApplyAndBoot(home: home, options: options).boot(
        plan, kernel: URL(fileURLWithPath: kernel), tools: try ApplyAndBoot.Tools.locate())
      try endRun(report, json: global.json, folder: out ?? "results/\(report.run)")
    }
  }
}

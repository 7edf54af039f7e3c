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

  @Option(help: "Where to write console.log.")
  var out: String = "."

  @Option(help: "Accelerator: auto is KVM only if a probe boots under it, else TCG.")
  var accel = Accelerator.auto

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try runReportingErrors {
      let home = global.patchCheckHome
      let chosen = try RunPlan.scenarioCatalog(dirs: scenarioDir.map { URL(fileURLWithPath: $0) }, manifest: nil).named(
        scenarios.split(separator: ",").map(String.init), settings: ScenarioSettings(iterations: iterations))
      let outDir = URL(fileURLWithPath: out)
      try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
      let initramfs = outDir.appendingPathComponent("initramfs.cpio")
      try Initramfs.build(
        runner: RunnerScript.generate(chosen), busybox: try Initramfs.findBusybox(), to: initramfs)
      var options = BootOptions(
        kernel: URL(fileURLWithPath: kernel), initramfs: initramfs,
        consoleLog: outDir.appendingPathComponent("console.log"), timeout: 900)
      options.accelerator = accel
      let booter = QemuBooter(qemu: try QemuInfo.locate(), home: home)
      let result = try booter.boot(options, progress: ProgressLine(enabled: !global.json))
      try printJSON(result)
    }
  }
}

import ArgumentParser
import Foundation
import PatchCheckKit

struct ApplyAndBootCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply-and-boot",
    abstract: "Apply the series, build the kernel with lockdep, boot it in QEMU with igb SR-IOV NICs, run the scenarios, judge.",
    discussion: """
      Exit codes: 0 PASS, 1 FAIL, 3 APPLY-FAIL, 4 BUILD-FAIL, 5 INFRA-ERROR, 6 guest never reached \
      the runner, 7 EXPECTATION-UNMET, 32 every patch already in the tree (--skip-applied), \
      130 ABORTED; README.md lists the errors' codes.
      """
  )

  @OptionGroup var runFlags: RunFlags<ApplyAndBootHelp>

  @OptionGroup var tree: TreeOptions

  @Option(help: "Folder for the run's report and logs (default: results/<run>).")
  var out: String?

  @Option(help: "Accelerator: auto is KVM only if a probe boots under it, else TCG.")
  var accel = Accelerator.auto

  @Option(help: "Host-side limit for the boot in seconds (default: enough for every step's own limit).")
  var bootTimeout: Double?

  @Option(help: "VFs to enable on the PF (igb has up to 7).")
  var vfs: Int = 4

  @Option(help: "igb PFs in the guest, each on its own PCIe root port.")
  var pfs: Int = 1

  @Option(help: "Guest vCPUs.")
  var vcpus: Int = 2

  @Option(help: "Guest memory in MiB.")
  var memory: Int = 1024

  @Option(help: "Guest hung-task timeout in seconds.")
  var hungTaskTimeout: Int = 10

  @Option(name: .customLong("repeat"), help: "Boot the same build N times; each kernel report is counted over the boots.")
  var repeatCount: Int = 1

  @Flag(help: "Also run the same scenarios on the unpatched base; label each kernel report new, fixed or pre-existing.")
  var compareBase = false

  @OptionGroup var applyFlags: ApplyFlags

  @OptionGroup var global: GlobalOptions

  func validate() throws {
    guard (1...100).contains(repeatCount) else { throw ValidationError("--repeat takes 1 to 100") }
    guard (1...7).contains(vfs) else { throw ValidationError("--vfs takes 1 to 7 (igb's sriov_totalvfs)") }
    guard (1...8).contains(pfs) else { throw ValidationError("--pfs takes 1 to 8") }
    guard (1...64).contains(vcpus) else { throw ValidationError("--vcpus takes 1 to 64") }
    guard memory >= 256 else { throw ValidationError("--memory takes at least 256 (MiB)") }
    guard (1...600).contains(hungTaskTimeout) else { throw ValidationError("--hung-task-timeout takes 1 to 600") }
  }

  @Option(help: "Run several variants ('all', or a comma-separated list), one after another; one table at the end.")
  var variants: String?

  func run() throws {
    try runReportingErrors {
      if let variants {
        let root = URL(fileURLWithPath: out ?? "results/variants-\(Int(Date().timeIntervalSince1970))")
        let runs = try VariantRuns.run(variants, options: runOptions(), home: global.patchCheckHome, root: root)
        if global.json { try printJSON(runs.reports) } else { runs.table.forEach { print($0) } }
        if runs.exitCode != 0 { throw ExitCode(runs.exitCode) }
        return
      }
      let report = try ApplyAndBoot(home: global.patchCheckHome, options: runOptions()).run()
      try endRun(report, json: global.json, folder: out ?? "results/\(report.run)")
    }
  }

  func runOptions() -> RunOptions {
    var options = runFlags.runOptions()
    options.repository = tree.repo
    options.base = tree.base
    options.output = out.map { URL(fileURLWithPath: $0) }
    options.accelerator = accel
    options.bootTimeout = bootTimeout
    options.json = global.json
    options.threeWay = applyFlags.threeWay
    options.skipApplied = applyFlags.skipApplied
    options.vfs = vfs
    options.repeatCount = repeatCount
    options.compareBase = compareBase
    options.pfs = pfs
    options.vcpus = vcpus
    options.memoryMB = memory
    options.hungTaskTimeout = hungTaskTimeout
    return options
  }

}

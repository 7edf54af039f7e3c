import ArgumentParser
import Foundation
import PatchCheckKit

/// Options shared by `apply` and `apply-and-boot`.
struct SeriesOptions: ParsableArguments {
  @Option(help: "The series: an mbox, a folder of .patch files, or a manifest name (default: the default manifest's series).")
  var series: String?

  @Option(help: "The kernel git repository (default: patchcheck's imported tree).")
  var repo: String?

  @Option(help: "Base revision to apply on (default: the series' base-commit, else the manifest's fallback).")
  var base: String?

  @Option(help: "Variant of the series from its manifest.")
  var variant: String = "as-posted"
}

struct ApplyAndBootCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply-and-boot",
    abstract: "Apply the series, build the kernel with lockdep, boot it in QEMU with igb SR-IOV NICs, run the scenarios, judge.",
    discussion:
      "Exit codes: 0 PASS, 1 FAIL, 3 APPLY-FAIL, 4 BUILD-FAIL, 5 INFRA-ERROR, 6 guest never reached the runner; see README.md for the others."
  )

  @OptionGroup var seriesOptions: SeriesOptions

  @Option(help: "Folder for the run's report and logs (default: results/<run>).")
  var out: String?

  @Option(
    help: "Comma-separated scenarios (default: the manifest's; available: \(ScenarioLibrary.all().map(\.name).joined(separator: ", "))).")
  var scenarios: String?

  @Option(help: "Config fragment to use instead of kernel-configs/*.config (repeatable).")
  var fragment: [String] = []

  @Option(help: "Accelerator: auto (KVM only if a probe boots), kvm or tcg.")
  var accel: String = "auto"

  @Option(help: "Host-side limit for the boot in seconds (default: enough for every step's own limit).")
  var bootTimeout: Double?

  @Option(help: "Iterations of each race scenario (each with a different delay between the two sides).")
  var iterations: Int = ScenarioLibrary.defaultIterations

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

  @Flag(name: .customLong("3way"), help: "When a hunk fails, merge with the patch's preimage blob if the repository has it.")
  var threeWay = false

  @OptionGroup var global: GlobalOptions

  func validate() throws {
    guard ["auto", "kvm", "tcg"].contains(accel) else { throw ValidationError("--accel takes auto, kvm or tcg") }
    guard iterations >= 1, iterations <= 1000 else { throw ValidationError("--iterations takes 1 to 1000") }
    guard (1...100).contains(repeatCount) else { throw ValidationError("--repeat takes 1 to 100") }
    guard (1...7).contains(vfs) else { throw ValidationError("--vfs takes 1 to 7 (igb's sriov_totalvfs)") }
    guard (1...8).contains(pfs) else { throw ValidationError("--pfs takes 1 to 8") }
    guard (1...64).contains(vcpus) else { throw ValidationError("--vcpus takes 1 to 64") }
    guard memory >= 256 else { throw ValidationError("--memory takes at least 256 (MiB)") }
    guard (1...600).contains(hungTaskTimeout) else { throw ValidationError("--hung-task-timeout takes 1 to 600") }
  }

  func run() throws {
    try runReportingErrors {
      var options = RunOptions()
      options.series = seriesOptions.series
      options.repository = seriesOptions.repo
      options.base = seriesOptions.base
      options.variant = seriesOptions.variant
      options.output = out.map { URL(fileURLWithPath: $0) }
      options.scenarios = scenarios?.split(separator: ",").map(String.init)
      options.fragments = fragment.isEmpty ? nil : fragment.map { URL(fileURLWithPath: $0) }
      options.accelerator = accel
      options.bootTimeout = bootTimeout
      options.json = global.json
      options.threeWay = threeWay
      options.iterations = iterations
      options.vfs = vfs
      options.repeatCount = repeatCount
      options.compareBase = compareBase
      options.pfs = pfs
      options.vcpus = vcpus
      options.memoryMB = memory
      options.hungTaskTimeout = hungTaskTimeout
      let report = try ApplyAndBoot(home: global.patchCheckHome, options: options).run()
      if global.json {
        FileHandle.standardOutput.write(try report.jsonData())
        FileHandle.standardOutput.write(Data("\n".utf8))
      } else {
        let folder = options.output?.path ?? "results/\(report.run)"
        print("\(report.verdict.rawValue): \(report.reason)")
        if let comparison = report.baseComparison {
          print("base \(comparison.base): \(comparison.verdict.rawValue): \(comparison.reason)")
          for title in comparison.titles {
            print("  \(title.label.rawValue): \(title.title) (series \(title.seriesBoots), base \(title.baseBoots) boot(s))")
          }
        }
        print("report: \(folder)/summary.md")
      }
      if let error = report.error {
        FileHandle.standardError.write(Data("patchcheck: error: \(error)\n".utf8))
      }
      if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
  }
}

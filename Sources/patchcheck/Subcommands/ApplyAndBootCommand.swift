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
    discussion: """
      Exit codes: 0 PASS, 1 FAIL, 3 APPLY-FAIL, 4 BUILD-FAIL, 5 INFRA-ERROR, 6 guest never reached \
      the runner, 7 EXPECTATION-UNMET, 130 ABORTED; README.md lists the errors' codes.
      """
  )

  @OptionGroup var seriesOptions: SeriesOptions

  @Option(help: "Folder for the run's report and logs (default: results/<run>).")
  var out: String?

  @Option(help: "Comma-separated scenarios (default: the manifest's; 'patchcheck scenarios' lists what is available).")
  var scenarios: String?

  @Option(help: "A folder of your own scenario files (*.yaml), added to the built-in ones (repeatable).")
  var scenarioDir: [String] = []

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

  @Option(help: "Run several variants ('all', or a comma-separated list), one after another; one table at the end.")
  var variants: String?

  func run() throws {
    try runReportingErrors {
      if let variants {
        try runVariants(variants)
        return
      }
      let report = try ApplyAndBoot(home: global.patchCheckHome, options: makeOptions()).run()
      if global.json {
        FileHandle.standardOutput.write(try report.jsonData())
        FileHandle.standardOutput.write(Data("\n".utf8))
      } else {
        printOutcome(report, folder: out ?? "results/\(report.run)")
      }
      if let error = report.error {
        FileHandle.standardError.write(Data("patchcheck: error: \(error)\n".utf8))
      }
      if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
  }

  func makeOptions() -> RunOptions {
    var options = RunOptions()
    options.series = seriesOptions.series
    options.repository = seriesOptions.repo
    options.base = seriesOptions.base
    options.variant = seriesOptions.variant
    options.output = out.map { URL(fileURLWithPath: $0) }
    options.scenarios = scenarios?.split(separator: ",").map(String.init)
    options.scenarioDirs = scenarioDir.map { URL(fileURLWithPath: $0) }
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
    return options
  }

  func printOutcome(_ report: Report, folder: String) {
    print("\(report.verdict.rawValue): \(report.reason)")
    if let comparison = report.baseComparison {
      print("base \(comparison.base): \(comparison.verdict.rawValue): \(comparison.reason)")
      for title in comparison.titles {
        print("  \(title.label.rawValue): \(title.title) (series \(title.seriesBoots), base \(title.baseBoots) boot(s))")
      }
    }
    print("report: \(folder)/summary.md")
  }

  /// Every variant in turn, each in its own folder; a table at the end. Exit 7 when a variant
  /// did not show what its manifest expects, else the first unexpected verdict's code.
  func runVariants(_ list: String) throws {
    let loaded = try SeriesSource.load(seriesOptions.series, home: global.patchCheckHome)
    let names = list == "all" ? SelectedVariant.allNames(of: loaded) : list.split(separator: ",").map(String.init)
    for name in names { _ = try SelectedVariant.select(name, from: loaded) }  // all valid before any run
    let root = URL(fileURLWithPath: out ?? "results/variants-\(Int(Date().timeIntervalSince1970))")
    var reports: [Report] = []
    for name in names {
      var options = makeOptions()
      options.variant = name
      options.output = root.appendingPathComponent(name)
      global.console.say("variant \(name)")
      reports.append(try ApplyAndBoot(home: global.patchCheckHome, options: options).run())
    }
    if global.json {
      FileHandle.standardOutput.write(try JSON.encode(reports))
      FileHandle.standardOutput.write(Data("\n".utf8))
    } else {
      let width = max(7, names.map(\.count).max() ?? 7)
      print("variant".padding(toLength: width, withPad: " ", startingAt: 0) + "  verdict            expected     reason")
      for (name, report) in zip(names, reports) {
        let expected = report.expectation?.expectedVerdict ?? "-"
        let line: String =
          name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
          + report.verdict.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0) + "  "
          + expected.padding(toLength: 11, withPad: " ", startingAt: 0) + "  " + report.reason
        print(line)
      }
      print("reports: \(root.path)/<variant>/summary.md")
    }
    if reports.contains(where: { $0.expectation?.met == false }) { throw ExitCode(Verdict.expectationUnmet.exitCode) }
    if let first = reports.first(where: { $0.expectation == nil && $0.verdict != .pass }) { throw ExitCode(first.exitCode) }
  }

}

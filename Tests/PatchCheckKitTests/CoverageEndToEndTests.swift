import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Series that are not the first one, with no manifest: real changes from the kernel's own
/// history (v7.2.12 -> v7.3.4, both imported), cut into a one-patch series at test time and
/// applied on v7.2.12. What each scenario reaches is measured on the base once (cached),
/// the scenarios are chosen by it, and the coverage says whether the changed code ran.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct CoverageEndToEnd {
  static let home = PatchCheckHome()

  /// The hunks of `file`'s v7.2.12 -> v7.3.4 diff that `keep` picks, as one mail.
  static func cut(_ file: String, subject: String, to url: URL, keep: (Hunk) -> Bool) throws {
    let repo = try GitRepository(path: home.treeRepository.path)
    let old = try #require(try repo.commit(for: "v7.2.12"))
    let new = try #require(try repo.commit(for: "v7.3.4"))
    var files = try UnifiedDiff.parse(try repo.diffText(from: old, to: new, paths: [file]))
    try #require(files.count == 1, "the diff of \(file)")
    files[0].hunks = files[0].hunks.filter(keep)
    try #require(!files[0].hunks.isEmpty, "no hunk of \(file) was kept")
    try patchMail(subject: subject, diff: UnifiedDiff.render(files)).write(to: url, atomically: true, encoding: .utf8)
  }

  static func run(_ mbox: URL, out: URL, compareBase: Bool = false) throws -> Report {
    var options = RunOptions()
    options.compareBase = compareBase
    options.series = mbox.path
    options.base = "v7.2.12"
    options.output = out
    options.accelerator = .tcg
    options.lockWitness = false
    // Each race once: what they reach does not grow with iterations, the suite's time does.
    options.iterations = 1
    options.json = true
    return try ApplyAndBoot(home: home, options: options).run()
  }

  /// v9 on 7.3.4: the functions its hunks change, placed where they landed (no build).
  @Test func v9sChangedFunctions() throws {
    let repo = try GitRepository(path: Self.home.treeRepository.path)
    let applier = Applier(repository: repo, console: Terminal(quiet: true))
    let series = try SeriesParser.read(Shared.v9)
    let base = try applier.resolveBase(requested: "v7.3.4", stated: nil, fallback: nil)
    let outcome = try applier.apply(series, base: base, branch: "refs/heads/patchcheck/test/coverage-v9", check: false)
    #expect(outcome.applied)
    let map = try ChangedFunctions.map(series, applied: outcome.patches, repository: repo)
    // v9 moves the rescan lock out of sriov_numvfs_store into sriov_add_vfs/sriov_del_vfs
    // and makes the lock reentrant; its counter is the one line outside any function.
    #expect(
      map.functions.map { "\($0.file):\($0.name)" } == [
        "drivers/pci/iov.c:sriov_add_vfs", "drivers/pci/iov.c:sriov_del_vfs", "drivers/pci/iov.c:sriov_numvfs_store",
        "drivers/pci/probe.c:pci_lock_rescan_remove", "drivers/pci/probe.c:pci_unlock_rescan_remove",
      ])
    #expect(map.functions.map(\.lines) == [3, 2, 4, 5, 5])
    #expect(map.outside == ["drivers/pci/probe.c": 1])
  }

  /// 7.3's change to probe.c that reads a device's supported link speeds in
  /// set_pcie_port_type(): every PCIe device the scenarios add (VFs, a rescanned PF) goes
  /// through it, so the scenarios that run whole on 7.2.12 and add devices are chosen
  /// (vf-remove is not: 7.2 hides `remove` on VFs), the races last, and the report says they
  /// reached the changed functions. 7.2.12 itself warns when the PF's driver is unbound with
  /// VFs enabled: sriov_del_vfs removes the VFs without pci_rescan_remove_lock, and
  /// pci_stop_and_remove_bus_device's lockdep_assert_held fires (what v9's series is about).
  /// The base shows it too, so it is pre-existing, not the series'. The host-driven races
  /// deadlock 7.2.12 as they do 7.3.4 (docs/scenarios.md); a hang is the series' only when
  /// the base does not show it.
  @Test func aSeriesWithoutAManifestGetsTheScenariosThatReachItsChanges() throws {
    let dir = try TempDir()
    let mbox = dir.path("speeds.mbox")
    try Self.cut("drivers/pci/probe.c", subject: "PCI: Read supported speeds in set_pcie_port_type()", to: mbox) {
      $0.section.contains("set_pcie_port_type") || $0.section.contains("pci_setup_device")
    }
    let report = try Self.run(mbox, out: dir.path("run"), compareBase: true)
    // The WARNING is 7.2.12's own: pre-existing, so the verdict is about the series. A race
    // that hangs on the base too (aer-race does on 7.2.12) did not run whole: SKIP, named.
    #expect([.pass, .skip, .fail].contains(report.verdict), "\(report.reason)")
    #expect(report.verdict != .skip || report.reason.contains("(fails on the base too)"), "\(report.reason)")
    #expect(report.preExisting?.map(\.title).contains("WARNING in pci_stop_and_remove_bus_device") == true, "\(report.reason)")
    let comparison = try #require(report.baseComparison)
    let labels = Dictionary(uniqueKeysWithValues: comparison.titles.map { ($0.title, $0.label) })
    #expect(labels["WARNING in pci_stop_and_remove_bus_device"] == .preExisting, "\(labels)")
    // Nothing new but, at most, a race's hang the base's one boot happened not to show.
    let new = comparison.titles.filter { $0.label == .new }
    #expect(new.allSatisfy { $0.kind == .hungTask && $0.clear != true }, "\(new)")
    #expect(report.verdict != .fail || !new.isEmpty, "\(report.reason)")
    let choice = try #require(report.scenarioChoice)
    #expect(choice.how == .reach)
    let chosen = Set(choice.scenarios)
    #expect(chosen.isSuperset(of: ["numvfs", "pf-remove", "unbind", "hotplug", "port-rescan"]), "\(choice.note)")
    #expect(!chosen.contains("vf-remove"), "\(choice.note)")
    #expect(choice.note.contains("left out, they do not run whole on the base: vf-remove"), "\(choice.note)")
    // The host-driven ones after the guest's own (lockdep turns itself off after the
    // hot-removal's report), the races last (one that hangs wedges the device).
    let raceNames = Set(try ScenarioLibrary.all().filter(\.race).map(\.name))
    let hostDriven = Set(try ScenarioLibrary.all().filter(\.hostDriven).map(\.name))
    #expect(hostDriven.isSuperset(of: ["hotplug", "aer"]) && !hostDriven.contains("numvfs"))
    let firstHost = choice.scenarios.firstIndex { hostDriven.contains($0) && !raceNames.contains($0) } ?? choice.scenarios.count
    #expect(choice.scenarios[..<firstHost].allSatisfy { !hostDriven.contains($0) }, "\(choice.scenarios)")
    // The races run last: one that hangs wedges the device for the rest of the boot.
    let races = raceNames
    let firstRace = choice.scenarios.firstIndex { races.contains($0) } ?? choice.scenarios.count
    #expect(choice.scenarios[firstRace...].allSatisfy { races.contains($0) }, "\(choice.scenarios)")
    #expect(choice.reasons["numvfs"]?.contains("set_pcie_port_type") == true, "\(choice.reasons)")
    #expect(report.scenarios.map(\.name) == choice.scenarios)
    let coverage = try #require(report.coverage)
    #expect(coverage.exercised == true, "\(coverage.note)")
    let changed = Set(coverage.functions.map(\.name))
    #expect(changed == ["set_pcie_port_type", "pci_setup_device"], "\(changed)")
    let speeds = try #require(coverage.functions.first { $0.name == "set_pcie_port_type" })
    #expect((speeds.hits["numvfs"] ?? 0) >= 4, "one call per VF at least: \(speeds.hits)")
    #expect(report.phases[.reach] != nil)
    let summary = try String(contentsOf: dir.path("run/summary.md"), encoding: .utf8)
    #expect(summary.contains("## Coverage of the changed code"))
    #expect(summary.contains("| `set_pcie_port_type` | drivers/pci/probe.c | 1 |"))
    #expect(summary.contains("## Compared with the base v7.2.12"))
    #expect(summary.contains("- pre-existing: WARNING in pci_stop_and_remove_bus_device (series 1/1, base 1/1 boot(s))"), "\(summary)")
  }

  /// 7.3's new quirks for a PLX switch and Samsung SSDs: the guest has neither, so no
  /// scenario reaches them. The run falls back to the default scenarios, they pass, and
  /// the verdict is NOT-EXERCISED (exit 28), never PASS.
  @Test func aSeriesWhoseChangesNoScenarioReachesIsNotExercised() throws {
    let dir = try TempDir()
    let mbox = dir.path("quirks.mbox")
    try Self.cut("drivers/pci/quirks.c", subject: "PCI: Add quirks for PLX PEX 853x ports and Samsung SSDs", to: mbox) {
      hunk in hunk.lines.contains { $0.contains("quirk_plx_pex_no_d3") || $0.contains("quirk_no_imm_ready") }
    }
    let report = try Self.run(mbox, out: dir.path("run"))
    #expect(report.verdict == .notExercised, "\(report.reason)")
    #expect(report.exitCode == 28)
    let choice = try #require(report.scenarioChoice)
    #expect(choice.how == .reach)
    // The races an earlier race's hang left unmeasured on the base are not run in their place.
    #expect(choice.scenarios == ScenarioLibrary.defaultNames, "\(choice.note)")
    #expect(Set(choice.unreached) == ["quirk_plx_pex_no_d3", "quirk_no_imm_ready"], "\(choice.unreached)")
    #expect(report.scenarios.allSatisfy { $0.result == .pass })
    let coverage = try #require(report.coverage)
    #expect(coverage.exercised == false)
    #expect(coverage.functions.allSatisfy { $0.traceable == true && $0.hits.isEmpty }, "\(coverage.functions)")
    #expect(report.reason.hasPrefix("not exercised: none of the 2 traceable changed functions ran"))
    // The same base, config, folder and scenarios as the series before: the reach measured
    // for it is reused, not measured again.
    #expect(!FileManager.default.fileExists(atPath: dir.path("run/reach-console.log").path), "the reach was measured again")
  }
}

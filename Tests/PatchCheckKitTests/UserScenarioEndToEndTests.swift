import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

// In a file of its own: Swift Testing's ids hold the file name, so a filter on
// ScenarioFileTests must not select this suite (a real build and boot).

/// A scenario the user wrote, in a temp folder, run in a real boot: the default series (v9)
/// on v7.3.4, built and booted under TCG, the user's own step in the guest.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct UserScenarioEndToEnd {
  @Test func aScenarioFromATempFolderRunsInARealBoot() throws {
    let dir = try TempDir()
    let folder = dir.path("scenarios")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try ScenarioFileTests.userScenario().write(
      to: folder.appendingPathComponent("vf-config-read.yaml"), atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.scenarioDirs = [folder]
    options.scenarios = ["vf-config-read"]
    options.vfs = 2
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    let report = try ApplyAndBoot(home: EndToEnd.home, options: options).run()
    #expect(report.verdict == .pass, "\(report.reason)")
    #expect(report.scenarios.map(\.name) == ["vf-config-read"])
    #expect(report.scenarios.first?.result == .pass)
    #expect(
      report.scenarios.first?.steps.map(\.name) == ["find SR-IOV PF", "enable 2 VFs", "read each VF's config space", "disable VFs"])
    let console = try String(contentsOf: dir.path("run/console.log"), encoding: .utf8)
    // The user's step ran in the guest: one line per VF.
    #expect(console.components(separatedBy: "# user-scenario ").count - 1 == 2, "\(console.suffix(3000))")
  }
}

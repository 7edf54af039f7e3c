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

/// Text from a guest, a mail or the file system that reaches the user's terminal or a report
/// is shown, never obeyed: every path below puts the escape sequences on the very line it
/// then checks, and checks that they arrive shown (`^[`...), so a path that dropped the line
/// instead would fail too (issue 17).
@Suite struct HostileTextTests {
  /// OSC (set the window title), CSI (clear the screen), BEL, and the one-character C1 CSI.
  static let evil = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}1m"
  /// How VisibleText shows `evil`.
  static let shown = "^[]0;pwned^G^[[2JM-^[1m"

  /// No control character but line breaks and tabs, and the hostile text shown on its line.
  func expectShown(_ text: String, on marker: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let controls = text.unicodeScalars.filter { VisibleText.isControl($0) && $0 != "\n" }
    #expect(controls.isEmpty, "control characters reached the output: \(controls.map { $0.value })", sourceLocation: sourceLocation)
    let line = text.split(separator: "\n").first { $0.contains(marker) }
    #expect(
      line?.contains(Self.shown) == true, "the line with '\(marker)' does not show the escapes: \(line ?? "missing")",
      sourceLocation: sourceLocation)
  }

  /// A console log whose report line, KTAP names and last line carry the escapes.
  static var log: String {
    """
    [    1.000000] WARNING: CPU: 0 PID: 1 at drivers/evil.c:12 evil_probe\(evil)+0x1/0x2
    [    1.000001] Modules linked in: evil\(evil)
    [    1.000002] CPU: 0 PID: 1 Comm: swapper Not tainted 7.3.4 #1
    [    1.000003] RIP: 0010:evil_probe+0x1/0x2
    [    1.000004] Call Trace:
    [    1.000005]  <TASK>
    [    1.000006]  evil_init+0x1/0x2
    [    1.000007]  </TASK>
    [    1.000008] ---[ end trace 0000000000000000 ]---
    KTAP version 1
    1..1
        KTAP version 1
        # Subtest: numvfs
        1..1
        not ok 1 step-\(evil)
    not ok 1 numvfs-\(evil)

    """
  }

  @Test func theAnalyzersTitleAndExcerptShowTheEscapes() throws {
    let splats = ConsoleAnalyzer.analyze(Self.log)
    let splat = try #require(splats.first)
    expectShown(splat.excerpt.joined(separator: "\n"), on: "Modules linked in")
    expectShown(splat.excerpt.joined(separator: "\n"), on: "WARNING: CPU")
    // The title is made from the line holding the escapes.
    #expect(splat.title.contains("evil_probe"), "\(splat.title)")
    #expect(!splat.title.unicodeScalars.contains(where: VisibleText.isControl), "\(splat.title)")
  }

  @Test func ktapNamesShowTheEscapes() throws {
    let scenarios = KTAPParser.parse(Self.log, expected: [])
    let scenario = try #require(scenarios.first)
    expectShown(scenario.name, on: "numvfs-")
    let step = try #require(scenario.steps.first)
    expectShown(step.name, on: "step-")
    expectShown(KTAPParser.extract(Self.log), on: "step-")
  }

  /// A console line of 100,000 characters in a report and a KTAP name: cut where it is
  /// shown, saying how much was left out, and still read (the report found, the step named).
  @Test func aVeryLongConsoleLineIsCutWhereItIsShown() throws {
    let long = String(repeating: "A", count: 100_000)
    let log = Self.log.replacingOccurrences(of: "Modules linked in: evil", with: "Modules linked in: evil\(long)")
      .replacingOccurrences(of: "step-", with: "step-\(long)")
    let splat = try #require(ConsoleAnalyzer.analyze(log).first)
    let modules = try #require(splat.excerpt.first { $0.contains("Modules linked in") })
    #expect(modules.count < 1100 && modules.hasSuffix("more characters)"), "\(modules.count)")
    let step = try #require(KTAPParser.parse(log, expected: []).first?.steps.first)
    #expect(step.name.hasPrefix("step-AAA") && step.name.count < 1100, "\(step.name.count)")
    #expect(KTAPParser.extract(log).split(separator: "\n").allSatisfy { $0.count < 1100 })
  }

  /// The boot's progress line redraws one terminal line; the guest's last line rides on it.
  @Test func theProgressLineShowsTheEscapesAndStaysOneLine() {
    let frame = ProgressLine.frame("boot (tcg): 3 s, 40 console lines, last: \(Self.evil)\n" + String(repeating: "x", count: 5000))
    #expect(frame.hasPrefix("\r\u{1B}[K"))
    let text = String(frame.dropFirst(4))
    expectShown(text, on: "last:")
    #expect(!text.contains("\n") && !text.contains("\r"))
    #expect(text.count < 260, "a long console line made the progress line \(text.count) characters")
  }

  /// A boot that timed out: its last lines go into report.json, the reason and summary.md.
  @Test func aTimedOutBootsLastLinesShowTheEscapes() throws {
    let console =
      (1...30).map { "[   \($0).0] line \($0)" }.joined(separator: "\n") + "\n[   31.0] stuck\(Self.evil)\r\n"
      + String(repeating: "y", count: 200_000) + "\n"
    let last = BootResult.lastLines(of: console)
    #expect(last.count == 15)
    expectShown(last.joined(separator: "\n"), on: "stuck")
    #expect(last.allSatisfy { $0.count < 360 }, "a 200,000-character line was kept whole")
    let boot = BootResult(
      accelerator: .tcg, acceleratorNote: nil, seconds: 600, secondsToRunner: 5, reachedRunner: true, runnerFinished: false,
      timedOut: true, lastLines: [last[13]], exitStatus: 0, command: [])
    let (verdict, reason, _) = Judge.verdict(boot: boot, scenarios: [], splats: [])
    #expect(verdict != .pass)
    expectShown(reason, on: "stuck")
    var report = Report(run: "r", startedAt: Date())
    report.boot = boot
    report.conclude(verdict, reason)
    expectShown(SummaryWriter.markdown(for: report), on: "stuck")
  }

  /// summary.md, junit.xml and the HTML page of a run whose mail subject, console reports,
  /// KTAP names and reason all carry the escapes.
  @Test func theReportsShowTheEscapes() throws {
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    let series = try SeriesParser.parse(Mbox.split(patchMail(subject: "toy: subject\(Self.evil)", diff: diff)), source: "t")
    var report = Report(run: "20261125-000000-toy-as-posted", startedAt: Date(timeIntervalSince1970: 1_790_000_000))
    report.series = SeriesSummary(series, manifest: nil, variant: "as-posted")
    report.scenarios = KTAPParser.parse(Self.log, expected: ["numvfs"])
    report.splats = ConsoleAnalyzer.analyze(Self.log)
    report.boot = BootResult(
      accelerator: .tcg, acceleratorNote: nil, seconds: 10, secondsToRunner: 5, reachedRunner: true, runnerFinished: true,
      timedOut: false, exitStatus: 0, command: [])
    report.conclude(.fail, "because\(Self.evil)")

    let summary = SummaryWriter.markdown(for: report)
    expectShown(summary, on: "because")
    expectShown(summary, on: "toy: subject")
    expectShown(summary, on: "Modules linked in")

    let junit = JUnitWriter.xml(for: report)
    expectShown(junit, on: "numvfs-")
    let parser = XMLParser(data: Data(junit.utf8))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")

    let record = RunRecord(report: report, tag: "v1.0", key: "k", configHash: "c", filesChanged: 1, reportDir: "/r/evil\(Self.evil)")
    let html = HTMLReport.render(runs: [record], title: "results")
    expectShown(html, on: "Modules linked in")
    expectShown(html, on: "/r/evil")
  }

  /// stdout (`series show`, `analyze`), a warning and an error line, through the real binary.
  @Test func theCommandLineShowsTheEscapesOnStdoutAndStderr() throws {
    let dir = try TempDir()
    let cli = CLITests()
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    let mbox = dir.path("evil.mbox")
    try patchMail(subject: "toy: subject\(Self.evil)", diff: diff).write(to: mbox, atomically: true, encoding: .utf8)
    let shown = try cli.run(["series", "show", mbox.path], home: dir.path("home"))
    #expect(shown.status == 0, "\(shown.stderr)")
    expectShown(shown.stdout, on: "toy: subject")

    // A console log with invalid UTF-8 on the report's line.
    var log = Data(Self.log.utf8)
    log.insert(contentsOf: [0xFF, 0xFE, 0xC0], at: try #require(log.firstRange(of: Data("evil_probe".utf8))).lowerBound)
    try log.write(to: dir.path("console.log"))
    let analyzed = try cli.run(["analyze", dir.path("console.log").path], home: dir.path("home"))
    #expect(analyzed.status == 0, "\(analyzed.stderr)")
    expectShown(analyzed.stdout, on: "numvfs-")
    #expect(analyzed.stdout.contains("evil_probe"), "\(analyzed.stdout)")

    // A warning naming a folder whose name carries the escapes (report --merge skips it).
    let results = dir.path("results")
    let folder = results.appendingPathComponent("run\(Self.evil)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data("{".utf8).write(to: folder.appendingPathComponent("report.json"))
    let merged = try cli.run(["report", "--merge", results.path, "--db", dir.path("a.sqlite").path], home: dir.path("home"))
    #expect(merged.status == 0, "\(merged.stderr)")
    expectShown(merged.stderr, on: "warning: skipped")

    // An error line quoting a file name.
    let missing = try cli.run(["series", "show", dir.path("gone\(Self.evil).mbox").path], home: dir.path("home"))
    #expect(missing.status == 12)
    expectShown(missing.stderr, on: "error:")
  }

  /// Every write to stdout or stderr in the sources goes through the escaper or writes only
  /// our own bytes (JSON, which escapes control characters itself; the progress line's
  /// frame; fixed text), and only the executable's `print` calls the standard library's.
  @Test func everyWriteToTheTerminalGoesThroughTheEscaper() throws {
    let root = ProjectData.root.appendingPathComponent("Sources")
    let walker = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
    let ours = [
      "VisibleText", "Self.frame(", "jsonData()", ".write(data)", "Data(\"\\n\".utf8)", "\"\\r\\u{1B}[K\"",
      "interrupted; children stopped",
    ]
    var writes = 0
    for case let url as URL in walker where url.pathExtension == "swift" {
      let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
      for (number, line) in lines.enumerated() {
        if line.contains("Swift.print(") {
          #expect(url.lastPathComponent == "Print.swift", "\(url.lastPathComponent):\(number + 1): \(line)")
        }
        guard line.contains("standardError.write(") || line.contains("standardOutput.write(") else { continue }
        writes += 1
        // A write whose text is on the next line (a multi-line call) is checked there too.
        let text = line + (number + 1 < lines.count ? lines[number + 1] : "")
        #expect(ours.contains { text.contains($0) }, "\(url.lastPathComponent):\(number + 1) writes unescaped text: \(line)")
      }
    }
    #expect(writes >= 8, "found only \(writes) writes")
  }

  /// JSON on stdout (`--json`) and in report.json: control characters are \u escapes, the
  /// C1 ones and DEL too (JSON itself requires only U+0000-U+001F); the value is unchanged.
  @Test func jsonCarriesTheEscapesOnlyAsEscapes() throws {
    let subject = "toy: subject\(Self.evil)\u{7F}"
    let data = try JSON.encode(["title": subject])
    #expect(!data.contains(0x1B) && !data.contains(0x07) && !data.contains(0x7F))
    #expect(data.firstRange(of: Data([0xC2, 0x9B])) == nil, "a raw U+009B in the JSON")
    #expect(try JSONDecoder().decode([String: String].self, from: data)["title"] == subject)
    #expect(JSON.escapingControls(Data("{\"a\": \"caf\u{E9} \u{A0}\"}".utf8)) == Data("{\"a\": \"caf\u{E9} \u{A0}\"}".utf8))

    let dir = try TempDir()
    let mbox = dir.path("evil.mbox")
    try patchMail(subject: subject, diff: HostileTextTests.toyDiff).write(to: mbox, atomically: true, encoding: .utf8)
    let shown = try CLITests().run(["series", "show", "--json", mbox.path], home: dir.path("home"))
    #expect(shown.status == 0, "\(shown.stderr)")
    let bytes = Data(shown.stdout.utf8)
    #expect(!bytes.contains(0x1B) && !bytes.contains(0x7F) && bytes.firstRange(of: Data([0xC2, 0x9B])) == nil)
    #expect(shown.stdout.contains("\\u009b"), "\(shown.stdout.prefix(300))")
  }

  static let toyDiff =
    "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
}

import Foundation
import Testing

@testable import PatchCheckKit

/// Input patchcheck cannot use is refused with a clear error or skipped with a word, never
/// crashed on and never quietly replaced by something else (issue 17).
@Suite struct NoSilentLossTests {
  /// `tree import --debian` with nothing usable: a usage error (exit 2), never a crash (an
  /// empty string and `=` indexed an empty list), and nothing downloaded.
  @Test func aDebianVersionWithNothingUsableIsAUsageError() throws {
    let dir = try TempDir()
    let cli = CLITests()
    for bad in ["", "=", "7.3=", "=7.3.4-1", "7.3.4=7.3.4-1", "seven", "7.3= "] {
      let result = try cli.run(["tree", "import", "--debian", bad], home: dir.path("home"))
      cli.expectOneLineError(result, code: 2, mentioning: "is not a Debian kernel version")
      #expect(!FileManager.default.fileExists(atPath: dir.path("home/debs").path), "'\(bad)' reached the download step")
    }
  }

  @Test func debianVersionsAreReadAsDocumented() throws {
    let newest = try DebianSpec("7.3")
    #expect(newest.series == "7.3" && newest.upstream == nil && newest.exact == nil)
    let release = try DebianSpec("7.2.11")
    #expect(release.series == "7.2" && release.upstream == "7.2.11" && release.exact == nil)
    let exact = try DebianSpec("7.3=7.3.4-1~bpo13+1")
    #expect(exact.series == "7.3" && exact.upstream == nil && exact.exact == "7.3.4-1~bpo13+1")
  }

  /// A report.json that does not decode is one warning line each and counted; the readable
  /// ones are still merged.
  @Test func aMergeSaysWhichReportsItSkippedAndCountsThem() throws {
    let dir = try TempDir()
    let out = dir.path("results")
    for name in ["good", "garbage", "empty", "other-json"] {
      try FileManager.default.createDirectory(at: out.appendingPathComponent(name), withIntermediateDirectories: true)
    }
    var report = Report(run: "20261125-000000-toy-as-posted", startedAt: Date(timeIntervalSince1970: 1_790_000_000))
    report.conclude(.pass, "all scenarios passed")
    try report.jsonData().write(to: out.appendingPathComponent("good/report.json"))
    try Data("{\"verdict\": ".utf8).write(to: out.appendingPathComponent("garbage/report.json"))
    try Data().write(to: out.appendingPathComponent("empty/report.json"))
    try Data("{\"schema\": \"something else\"}".utf8).write(to: out.appendingPathComponent("other-json/report.json"))

    let outcome = try ReportMerger.merge([out], into: try ResultsDatabase(url: dir.path("a.sqlite")), console: Terminal(quiet: true))
    #expect(outcome.added == 1)
    #expect(
      outcome.skipped.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().lastPathComponent }.sorted() == [
        "empty", "garbage", "other-json",
      ])
    #expect(outcome.skipped.allSatisfy { !$0.reason.isEmpty && !$0.reason.contains("\n") })

    // Through the command line: one warning line per skipped file, and the count.
    let cli = CLITests()
    let result = try cli.run(["report", "--merge", out.path, "--db", dir.path("b.sqlite").path], home: dir.path("home"))
    #expect(result.status == 0, "\(result.stderr)")
    let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("patchcheck: warning: skipped ") }
    #expect(warnings.count == 3, "\(result.stderr)")
    for name in ["empty", "garbage", "other-json"] {
      #expect(warnings.contains { $0.contains("/\(name)/report.json") }, "\(result.stderr)")
    }
    #expect(result.stderr.contains("added 1 run(s)") && result.stderr.contains("skipped 3 unreadable report.json"), "\(result.stderr)")
  }

  /// A `splat:` pattern that is not a regular expression is the manifest's error, with its
  /// file and line, when the manifest loads (it used to become a substring match).
  @Test func aSplatPatternThatDoesNotCompileIsAManifestErrorWithItsLine() throws {
    let dir = try TempDir()
    let manifest = dir.path("manifest.yaml")
    try """
    name: toy
    message-id: x@example.com
    variants:
      no-guard:
        description: drops the guard
        expect:
          verdict: FAIL
          splat: "possible deadlock in (pci_iov"

    """.write(to: manifest, atomically: true, encoding: .utf8)
    do {
      _ = try SeriesManifest.load(manifest)
      Issue.record("a splat pattern that does not compile was accepted")
    } catch let error as PatchCheckError {
      #expect(error.kind == .manifest)
      #expect(error.exitCode == 16)
      #expect(error.message.contains("manifest.yaml:8"), "\(error.message)")
      #expect(error.message.contains("no-guard") && error.message.contains("(pci_iov"), "\(error.message)")
      #expect(!error.message.contains("\n"))
    }
    // A pattern that compiles still loads, and matches as a regular expression.
    try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "in (pci_iov", with: "in \\\\(pci_iov|task hung")
      .write(to: manifest, atomically: true, encoding: .utf8)
    let loaded = try SeriesManifest.load(manifest)
    let expectation = try #require(loaded.variants?["no-guard"]?.expect)
    let judged = ExpectationResult.judge(expectation, verdict: .fail, reason: "r", titles: ["INFO: task hung in pci_iov_remove"])
    #expect(judged?.result.met == true)
  }

  /// Judged directly (not through a manifest), a pattern that does not compile matches
  /// nothing, even a title holding it as text, and the reason says why.
  @Test func aSplatPatternThatDoesNotCompileNeverMatchesAsText() throws {
    let expectation = SeriesManifest.Expectation(verdict: "FAIL", splat: "deadlock in (pci")
    let judged = try #require(
      ExpectationResult.judge(expectation, verdict: .fail, reason: "r", titles: ["possible deadlock in (pci_iov_remove)"]))
    #expect(judged.result.met == false)
    #expect(judged.unmetReason?.contains("not a regular expression") == true, "\(judged.unmetReason ?? "")")
  }

  /// Static linkage read from the ELF headers, with or without `file(1)`: the real static
  /// busybox is taken, a real dynamic binary never is.
  @Test func onlyAStaticBusyboxIsTakenWithOrWithoutFile() throws {
    let busybox = "/bin/busybox"
    let dynamic = "/bin/ls"
    try #require(FileManager.default.isExecutableFile(atPath: busybox) && FileManager.default.isExecutableFile(atPath: dynamic))
    #expect(ELFLinkage.of(busybox) == .static)
    #expect(ELFLinkage.of(dynamic) == .dynamic)
    #expect(try Initramfs.findBusybox(candidates: [dynamic, busybox]).path == busybox)
    #expect(throws: PatchCheckError.self, "a dynamic binary was taken as the guest's busybox") {
      try Initramfs.findBusybox(candidates: [dynamic])
    }
    // Not ELF, or cut short: never taken.
    let dir = try TempDir()
    let script = dir.path("busybox")
    try "#!/bin/sh\nexec /bin/busybox \"$@\"\n".write(to: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
    #expect(ELFLinkage.of(script.path) == .unknown)
    let cut = dir.path("cut")
    try FileManager.default.contents(atPath: dynamic)?.prefix(100).write(to: cut)
    #expect(ELFLinkage.of(cut.path) == .unknown)
    #expect(throws: PatchCheckError.self) { try Initramfs.findBusybox(candidates: [script.path, cut.path]) }
  }

  /// A Date that cannot be read still dates the commit (now), and the series and the report
  /// say so: never a silent "now".
  @Test func anUnreadableMailDateIsAWarningTheSeriesAndReportCarry() throws {
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"
    let good = patchMail(subject: "toy: dated", diff: diff)
    let bad = good.replacingOccurrences(of: "Date: Tue, 10 Mar 2026 09:43:02 +0200", with: "Date: the day after tomorrow")
    #expect(bad != good)
    #expect(try SeriesParser.parse(Mbox.split(good), source: "t").warnings == nil)

    let before = Date()
    let series = try SeriesParser.parse(Mbox.split(bad), source: "t")
    #expect(series.patches[0].author.time >= before.addingTimeInterval(-1), "the run goes on, dated now")
    let warnings = try #require(series.warnings)
    #expect(warnings.count == 1)
    #expect(warnings[0].contains("toy: dated") && warnings[0].contains("the day after tomorrow") && warnings[0].contains("dated now"))
    let summary = SeriesSummary(series, manifest: nil, variant: "as-posted")
    #expect(summary.warnings == warnings)
    var report = Report(run: "r", startedAt: Date())
    report.series = summary
    let json = String(decoding: try report.jsonData(), as: UTF8.self)
    #expect(json.contains("the day after tomorrow"))
    #expect(SummaryWriter.markdown(for: report).contains("Warning: patch 1/1 'toy: dated'"))

    // `series show` prints it.
    let dir = try TempDir()
    try bad.write(to: dir.path("bad.mbox"), atomically: true, encoding: .utf8)
    let cli = CLITests()
    let shown = try cli.run(["series", "show", dir.path("bad.mbox").path], home: dir.path("home"))
    #expect(shown.status == 0, "\(shown.stderr)")
    #expect(shown.stdout.contains("warning: patch 1/1 'toy: dated': unreadable Date 'the day after tomorrow'"), "\(shown.stdout)")
  }
}

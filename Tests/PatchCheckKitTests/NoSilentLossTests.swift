import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

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
    let expectation = SeriesManifest.Expectation(verdict: .fail, splat: "deadlock in (pci")
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

  static let toyDiff =
    "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"

  /// A mail of the series without a diff (patch 2/4), a number no mail holds (4/4) and a
  /// reply: each left out with one warning line that names and counts it, in the series,
  /// summary.md, `series show` and `apply`'s stderr. A thread whose only revision has holes
  /// is refused, naming them; asked for with --revision, what is there is still applied.
  @Test func messagesLeftOutOfASeriesAreWarningsThatCountThem() throws {
    func mail(_ subject: String, diff: String?, id: String) -> String {
      let text = patchMail(subject: "x", diff: diff ?? "", messageID: id)
        .replacingOccurrences(of: "[PATCH v2 1/1] x", with: subject)
      return diff == nil ? text.replacingOccurrences(of: " drivers/toy.c | 2 +-\n", with: "") : text
    }
    let mbox = [
      mail("[PATCH 0/4] toy: a series", diff: nil, id: "c@x"),
      mail("[PATCH 1/4] toy: one", diff: Self.toyDiff, id: "p1@x"),
      mail("[PATCH 2/4] toy: two", diff: nil, id: "p2@x"),
      mail("[PATCH 3/4] toy: three", diff: Self.toyDiff.replacingOccurrences(of: "line3 = 3", with: "line3 = 33"), id: "p3@x"),
      mail("Re: [PATCH 1/4] toy: one", diff: nil, id: "r1@x"),
    ].joined(separator: "\n")
    let series = try SeriesParser.parse(Mbox.split(mbox), source: "t")
    #expect(series.patches.map(\.number) == [1, 3])
    let warnings = try #require(series.warnings)
    #expect(warnings.count == 3, "\(warnings)")
    #expect(warnings.contains { $0.contains("patch 2/4 'toy: two' has no diff; skipped") }, "\(warnings)")
    #expect(warnings.contains { $0.hasPrefix("1 of 4 patches not in the series: 4/4") }, "\(warnings)")
    #expect(warnings.contains { $0.hasPrefix("skipped 1 message(s) with no diff") && $0.contains("Re: [PATCH 1/4]") }, "\(warnings)")
    #expect(warnings.allSatisfy { !$0.contains("\n") })
    var report = Report(run: "r", startedAt: Date())
    report.series = SeriesSummary(series, manifest: nil, variant: "as-posted")
    let summary = SummaryWriter.markdown(for: report)
    for warning in warnings { #expect(summary.contains("- Warning: \(warning)")) }

    let dir = try TempDir()
    let file = dir.path("gappy.mbox")
    try mbox.write(to: file, atomically: true, encoding: .utf8)
    let cli = CLITests()
    cli.expectOneLineError(
      try cli.run(["series", "show", file.path], home: dir.path("home")), code: 30, mentioning: "v1 of the thread lacks 2/4, 4/4")
    let shown = try cli.run(["series", "show", file.path, "--revision", "1"], home: dir.path("home"))
    #expect(shown.status == 0, "\(shown.stderr)")
    // The two holes are warnings; the reply is in the thread's line.
    #expect(shown.stdout.split(separator: "\n").filter { $0.hasPrefix("warning: ") }.count == 2, "\(shown.stdout)")
    #expect(shown.stderr.contains("patchcheck: series: v1, 2 patches (missing 2/4, 4/4), asked for; also in the thread: 1 reply"))
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    let applied = try cli.run(
      ["apply", "--repo", toy.repo.gitDirectory, "--series", file.path, "-v", "1", "--base", "v1.0", "--check"], home: dir.path("home"))
    #expect(applied.stderr.split(separator: "\n").filter { $0.hasPrefix("patchcheck: warning: ") }.count == 2, "\(applied.stderr)")
    #expect(applied.stderr.contains("also in the thread: 1 reply"), "\(applied.stderr)")

    // Numbers two mails share are said too.
    let twice = try SeriesParser.parse(
      Mbox.split(
        mail("[PATCH 1/1] toy: a", diff: Self.toyDiff, id: "a@x") + "\n" + mail("[PATCH 1/1] toy: b", diff: Self.toyDiff, id: "b@x")),
      source: "t")
    #expect(twice.warnings == ["two mails are patch 1/1: 'toy: a' and 'toy: b'; both are applied, in that order"])
    // A whole series: nothing to say.
    #expect(try SeriesParser.parse(Mbox.split(mail("[PATCH 1/1] toy: a", diff: Self.toyDiff, id: "a@x")), source: "t").warnings == nil)
  }

  /// A folder series reads *.patch, *.mbox and *.eml; any other file in it is named in a
  /// warning with the count (a `.diff` was left out without a word).
  @Test func filesASeriesFolderDoesNotReadAreNamedAndCounted() throws {
    let dir = try TempDir()
    let folder = dir.path("series")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try patchMail(subject: "toy: one", diff: Self.toyDiff).write(
      to: folder.appendingPathComponent("0001-toy-one.patch"), atomically: true, encoding: .utf8)
    try patchMail(subject: "toy: two", diff: Self.toyDiff).write(
      to: folder.appendingPathComponent("0002-toy-two.diff"), atomically: true, encoding: .utf8)
    try "notes\n".write(to: folder.appendingPathComponent("README"), atomically: true, encoding: .utf8)
    try "x".write(to: folder.appendingPathComponent(".hidden"), atomically: true, encoding: .utf8)
    let series = try SeriesParser.read(folder)
    #expect(series.patches.count == 1)
    #expect(series.warnings == ["ignored 2 file(s) in series/ not named *.patch, *.mbox or *.eml: 0002-toy-two.diff, README"])
  }

  /// A source tarball holding what git cannot store (a FIFO): imported without it, and the
  /// import says so, with the count and the path.
  @Test func aTarballEntryGitCannotHoldIsAWarning() throws {
    let dir = try TempDir()
    let src = dir.path("src/linux-toy")
    try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
    try "VERSION = 9\nPATCHLEVEL = 9\nSUBLEVEL = 7\nEXTRAVERSION =\n".write(
      to: src.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
    try "mainmenu \"toy\"\n".write(to: src.appendingPathComponent("Kconfig"), atomically: true, encoding: .utf8)
    #expect(mkfifo(src.appendingPathComponent("pipe").path, 0o644) == 0)
    let tarball = dir.path("linux-toy.tar.gz")
    #expect(try ProcessRunner.run(["tar", "-czf", tarball.path, "-C", dir.path("src").path, "linux-toy"]).succeeded)
    let cli = CLITests()
    let result = try cli.run(["tree", "import", "--tarball", tarball.path], home: dir.path("home"))
    #expect(result.status == 0, "\(result.stderr)")
    let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("patchcheck: warning: ") }
    #expect(warnings.count == 1 && warnings[0].contains("skipped 1 entry") && warnings[0].contains("pipe"), "\(result.stderr)")
    let repo = try GitRepository(path: PatchCheckHome(root: dir.path("home")).treeRepository.path)
    let commit = try #require(try repo.commit(for: "v9.9.7"))
    #expect(try repo.treePaths(repo.commitInfo(commit).tree).sorted() == ["Kconfig", "Makefile"])
  }

  /// A manifest's mbox is looked for in the patch folders; a file there that cannot be read
  /// (here a folder named like an mbox) may be the one, so the miss names it and counts it.
  @Test func aManifestsMboxSearchNamesWhatItCouldNotRead() throws {
    let dir = try TempDir()
    let manifests = dir.path("manifests")
    try FileManager.default.createDirectory(at: manifests.appendingPathComponent("toy"), withIntermediateDirectories: true)
    try "name: toy\nmessage-id: nowhere@example.com\n".write(
      to: manifests.appendingPathComponent("toy/manifest.yaml"), atomically: true, encoding: .utf8)
    let home = PatchCheckHome(root: dir.path("home"))
    try FileManager.default.createDirectory(at: home.patches.appendingPathComponent("broken.mbox"), withIntermediateDirectories: true)
    // Nowhere local, it is fetched (from a port nothing listens on: never the real lore).
    #expect {
      try SeriesSource.load("toy", home: home, query: SeriesQuery(lore: "http://127.0.0.1:1/all"), manifests: manifests)
    } throws: { error in
      guard let error = error as? PatchCheckError else { return false }
      return error.exitCode == 31 && error.message.contains("1 file(s) there could not be read")
        && error.message.contains("broken.mbox") && !error.message.contains("\n")
    }
  }

  /// A series manifest saved as manifest.yml would be left out of every lookup without a
  /// word: it is a manifest error naming the file.
  @Test func aManifestUnderAnotherNameIsAnErrorNotIgnored() throws {
    let dir = try TempDir()
    let folder = dir.path("manifests/toy")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try "name: toy\nmessage-id: toy@example.com\n".write(
      to: folder.appendingPathComponent("manifest.yml"), atomically: true, encoding: .utf8)
    #expect {
      try SeriesManifest.all(in: dir.path("manifests"))
    } throws: { error in
      guard let error = error as? PatchCheckError else { return false }
      return error.exitCode == 16 && error.message.contains("toy/manifest.yml") && error.hint.contains("manifest.yaml")
    }
    try FileManager.default.moveItem(at: folder.appendingPathComponent("manifest.yml"), to: folder.appendingPathComponent("manifest.yaml"))
    #expect(try SeriesManifest.all(in: dir.path("manifests")).map(\.manifest.name) == ["toy"])
  }

  /// A bare `git diff` saved as .patch beside the mails has no mail headers: it was dropped
  /// without a word and the series applied without it. Now a warning names the file; alone,
  /// it is "no patches" saying why.
  @Test func aPartThatIsNotAMailIsNamedNotDropped() throws {
    let dir = try TempDir()
    let folder = dir.path("series")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try patchMail(subject: "toy: one", diff: Self.toyDiff).write(
      to: folder.appendingPathComponent("0001-toy-one.patch"), atomically: true, encoding: .utf8)
    try Self.toyDiff.write(to: folder.appendingPathComponent("0002-fixup.patch"), atomically: true, encoding: .utf8)
    let series = try SeriesParser.read(folder)
    #expect(series.patches.count == 1)
    let warnings = try #require(series.warnings)
    #expect(warnings.count == 1 && warnings[0].hasPrefix("left out 1 part(s) with no mail headers"), "\(warnings)")
    #expect(warnings[0].contains("0002-fixup.patch ('diff --git a/drivers/toy.c b/drivers/toy.c')"), "\(warnings)")

    let cli = CLITests()
    let alone = try cli.run(["series", "show", folder.appendingPathComponent("0002-fixup.patch").path], home: dir.path("home"))
    cli.expectOneLineError(alone, code: 13, mentioning: "no mail headers")
  }

  /// A misspelt key in a manifest was passed over by the decoder: `verdit: FAIL` made a
  /// negative control that checks nothing. Each place's unknown key is a manifest error with
  /// its line; the shipped manifests load.
  @Test(arguments: [
    ("nmae: toy\nname: toy\nmessage-id: x@y\n", 1, "'nmae'"),
    ("name: toy\nmessage-id: x@y\nvariants:\n  v:\n    expcet: {verdict: FAIL}\n", 5, "'expcet' in variant 'v'"),
    ("name: toy\nmessage-id: x@y\nvariants:\n  v:\n    expect:\n      verdit: FAIL\n", 6, "'verdit' in variant 'v' expect"),
    ("name: toy\nmessage-id: x@y\nvariants:\n  v:\n    edits:\n      - drop: {file: a.c, hnk: 1}\n", 6, "'hnk' in variant 'v' drop"),
    ("name: toy\nmessage-id: x@y\nvariants:\n  v:\n    edits:\n      - dorp: {file: a.c}\n", 6, "'dorp' in variant 'v' edits"),
  ])
  func anUnknownManifestKeyIsAnErrorWithItsLine(_ text: String, line: Int, words: String) throws {
    let dir = try TempDir()
    let url = dir.path("manifest.yaml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    #expect {
      try SeriesManifest.load(url)
    } throws: { error in
      guard let error = error as? PatchCheckError else { return false }
      return error.exitCode == 16 && error.message.contains("manifest.yaml:\(line): unknown key \(words)")
        && !error.message.contains("\n")
    }
  }

  @Test func theShippedManifestsHaveOnlyKnownKeys() throws {
    let all = try SeriesManifest.all(in: ProjectData.manifests)
    #expect(all.count >= 2)
  }
}

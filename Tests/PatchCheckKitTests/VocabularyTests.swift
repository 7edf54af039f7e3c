import Foundation
import GRDB
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Verdicts, accelerators, CI engines, phases and report kinds are enums from the argument
/// parser (or the file they are read from) to the database: a word that is none of them is
/// refused where it enters, with the valid ones, never carried on as a string.
@Suite struct VocabularyTests {
  /// A row whose verdict is no verdict is an error that names the value and the row.
  @Test func anUnknownVerdictInTheDatabaseIsAnErrorWithItsRow() throws {
    let dir = try TempDir()
    let url = dir.path("results.sqlite")
    let database = try ResultsDatabase(url: url)
    try database.insert(CITests.record("v7.3.4", .pass, id: 1))
    try database.insert(CITests.record("v7.3.5", .fail, id: 2))
    #expect(try database.runs().map(\.verdict) == [.pass, .fail])
    // What an older or foreign writer might leave.
    let queue = try DatabaseQueue(path: url.path)
    try queue.write { db in try db.execute(sql: "UPDATE run SET verdict = 'PASSED' WHERE tag = 'v7.3.5'") }
    #expect {
      try database.runs()
    } throws: { error in
      let text = "\(error)"
      return text.contains("PASSED") && text.contains("row 2 (tag v7.3.5)")
    }
  }

  @Test func anUnknownPhaseOrKindInTheDatabaseIsAnError() throws {
    let dir = try TempDir()
    let url = dir.path("results.sqlite")
    let database = try ResultsDatabase(url: url)
    try database.insert(CITests.record("v7.3.4", .fail, id: 1))
    #expect(try database.runs().first?.phases[.build] == 12)
    #expect(try database.runs().first?.splats.first?.kind == .lockdepRecursive)
    let queue = try DatabaseQueue(path: url.path)
    try queue.write { db in try db.execute(sql: #"UPDATE run SET phases = '{"compile": 3}'"#) }
    #expect(throws: (any Error).self) { try database.runs() }
  }

  /// A manifest's expected verdict is read as a verdict: a misspelt one is a manifest error.
  @Test func aManifestsExpectedVerdictIsAVerdict() throws {
    let dir = try TempDir()
    let good = dir.path("good.yaml")
    try "name: toy\nmessage-id: <toy@example.org>\nvariants:\n  control:\n    expect:\n      verdict: APPLY-FAIL\n".write(
      to: good, atomically: true, encoding: .utf8)
    #expect(try SeriesManifest.load(good).variants?["control"]?.expect?.verdict == .applyFail)
    let bad = dir.path("bad.yaml")
    try "name: toy\nmessage-id: <toy@example.org>\nvariants:\n  control:\n    expect:\n      verdict: FAILS\n".write(
      to: bad, atomically: true, encoding: .utf8)
    #expect {
      try SeriesManifest.load(bad)
    } throws: { error in
      let error = error as? PatchCheckError
      return error?.kind == .manifest && error?.message.contains("FAILS") == true
    }
  }

  /// The argument parser refuses an accelerator or an engine it does not know, and --help
  /// lists the valid ones. `ci --accel tgc` once probed KVM instead.
  @Test func theCommandLineTakesOnlyKnownWords() throws {
    let dir = try TempDir()
    let cli = CLITests()
    for arguments in [
      ["apply-and-boot", "--accel", "tgc"], ["ci", "--tags", "v1.0", "--accel", "tgc"], ["boot", "--accel", "kvmm", "k"],
      ["review", "--accel", "TCG"], ["ci", "--tags", "v1.0", "--emit", "gitlab-ci"],
    ] {
      let run = try cli.run(arguments, home: dir.path("home"))
      #expect(run.status == 64, "\(arguments): \(run.status) \(run.stderr)")
      #expect(run.stderr.contains("--accel") || run.stderr.contains("--emit"), "\(arguments): \(run.stderr)")
    }
    let help = try cli.run(["apply-and-boot", "--help"], home: dir.path("home"))
    #expect(help.stdout.contains("auto") && help.stdout.contains("kvm") && help.stdout.contains("tcg"), "\(help.stdout)")
    let ciHelp = try cli.run(["ci", "--help"], home: dir.path("home"))
    #expect(ciHelp.stdout.contains("github-actions") && ciHelp.stdout.contains("gitlab"), "\(ciHelp.stdout)")
  }

  /// The HTML page's legend and colours come from the enum: every verdict is in the legend,
  /// each in a colour of its own (SKIP and NOT-EXERCISED once rendered black).
  @Test func theHTMLLegendHasEveryVerdict() throws {
    var runs: [RunRecord] = []
    for (i, verdict) in Verdict.allCases.enumerated() {
      var run = CITests.record("v7.3.\(i)", verdict, id: i)
      run.id = Int64(i + 1)
      runs.append(run)
    }
    let html = HTMLReport.render(runs: runs, title: "results")
    for verdict in Verdict.allCases {
      #expect(html.contains("<span style=\"background:\(HTMLReport.colour(verdict))\">\(verdict.rawValue)</span>"), "\(verdict)")
      #expect(html.contains("style=\"background:\(HTMLReport.colour(verdict))\" data-tag="), "\(verdict)'s cell")
    }
    #expect(Set(Verdict.allCases.map(HTMLReport.colour)).count == Verdict.allCases.count)
  }

  /// A KVM probe's answer holds for the QEMU and host kernel it was made on, for a day.
  @Test func theKVMProbeIsRememberedWithWhatItWasMadeOnForADay() throws {
    let made = Date(timeIntervalSince1970: 1_790_000_000)
    let memo = KVMProbeMemo(usable: false, detail: "unusable", qemu: "10.0.2", hostKernel: "6.12.0-1", at: made)
    #expect(memo.holds(qemu: "10.0.2", hostKernel: "6.12.0-1", now: made.addingTimeInterval(3600)))
    #expect(!memo.holds(qemu: "10.0.2", hostKernel: "6.12.0-1", now: made.addingTimeInterval(86_400 + 1)), "a day later: probe again")
    #expect(!memo.holds(qemu: "10.1.0", hostKernel: "6.12.0-1", now: made), "another QEMU")
    #expect(!memo.holds(qemu: "10.0.2", hostKernel: "6.13.0-1", now: made), "another host kernel")
    #expect(!memo.holds(qemu: "10.0.2", hostKernel: "6.12.0-1", now: made.addingTimeInterval(-60)), "a clock set back")
    let dir = try TempDir()
    let file = dir.path(KVMProbeMemo.fileName)
    try memo.save(to: file)
    #expect(KVMProbeMemo.load(from: file) == memo)
    // The memo the old code wrote (plain text, per QEMU version, forever) is not taken.
    try "unusable: no kernel output within 15 s".write(to: file, atomically: true, encoding: .utf8)
    #expect(KVMProbeMemo.load(from: file) == nil)
    #expect(!KVMProbeMemo.hostKernelRelease().isEmpty && KVMProbeMemo.hostKernelRelease() != "unknown")
  }

  /// `patchcheck boot` goes through the run plan like apply-and-boot: its folder holds a
  /// report.json with the verdict, the plan's guest program (the witness on unless asked
  /// otherwise), and stdout is the verdict line, JSON only with --json. A file that is no
  /// kernel makes QEMU stop at once: INFRA-ERROR, exit 6 (the guest never reached the runner).
  @Test(.enabled(if: ProcessRunner.which("qemu-system-x86_64") != nil)) func bootGoesThroughTheRunPlan() throws {
    let dir = try TempDir()
    let cli = CLITests()
    try Data("not a kernel".utf8).write(to: dir.path("bzImage"))
    let out = dir.path("run")
    let run = try cli.run(
      ["boot", "--kernel", dir.path("bzImage").path, "--scenarios", "numvfs", "--accel", "tcg", "--out", out.path],
      home: dir.path("home"))
    #expect(run.status == 6, "\(run.stdout) \(run.stderr)")
    #expect(run.stdout.hasPrefix("INFRA-ERROR: "), "\(run.stdout)")
    let report = try JSONDecoder.iso.decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
    #expect(report.verdict == .infraError)
    #expect(report.boot?.accelerator == .tcg)
    for name in ["initramfs.cpio", "console.log", "summary.md", "junit.xml"] {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
    }
    let json = try cli.run(
      [
        "boot", "--kernel", dir.path("bzImage").path, "--scenarios", "numvfs", "--accel", "tcg", "--out", dir.path("run2").path, "--json",
        "--no-lock-witness",
      ],
      home: dir.path("home"))
    #expect(json.stdout.hasPrefix("{"), "\(json.stdout)")
    // The guest program the plan made: the witness on unless asked otherwise (docs/reports.md).
    func config(_ run: URL) throws -> String {
      try ProcessRunner.run(
        [
          "sh", "-c", "cpio -i --quiet --to-stdout \(RunnerScript.dataFolder)/config < \"$0\"",
          run.appendingPathComponent("initramfs.cpio").path,
        ]
      ).output
    }
    let (on, off) = (try config(out), try config(dir.path("run2")))
    #expect(on.contains("witness=1"), "\(on)")
    #expect(off.contains("witness=0"), "\(off)")
  }
}

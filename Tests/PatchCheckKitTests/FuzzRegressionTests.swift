import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Inputs the fuzzers (fuzz/run.sh) found or that were written to probe the parsers' edges,
/// kept under Fixtures/fuzz/<target>/, and the corpus each fuzz run grew, minimised, under
/// fuzz/corpus/<target>/: each goes through the same code the fuzz target runs and must come
/// back (no crash, no trap on overflow) within the fuzzer's own 10 s per-input limit.
@Suite struct FuzzRegressionTests {
  static let perInputLimit: TimeInterval = 10

  static func files(in folder: URL) -> [URL] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
      .filter { !$0.hasPrefix(".") }.map { folder.appendingPathComponent($0) }
  }
  static func inputs(_ target: String) -> [URL] { files(in: Fixtures.url("fuzz/\(target)")) }
  static func corpus(_ target: String) -> [URL] { files(in: ProjectData.root.appendingPathComponent("fuzz/corpus/\(target)")) }

  func timed(_ url: URL, _ body: (Data) -> Void) throws {
    let data = try Data(contentsOf: url)
    let start = Date()
    body(data)
    let seconds = Date().timeIntervalSince(start)
    #expect(seconds < Self.perInputLimit, "\(url.lastPathComponent) took \(seconds) s")
  }

  @Test(arguments: inputs("mbox") + corpus("mbox"))
  func mboxInput(_ url: URL) throws {
    try timed(url) { SeriesParser.exercise($0) }
  }

  @Test(arguments: inputs("console") + corpus("console"))
  func consoleInput(_ url: URL) throws {
    try timed(url) { ConsoleAnalyzer.exercise($0) }
  }

  @Test func thereAreInputsForEachTarget() {
    #expect(Self.inputs("mbox").count >= 4)
    #expect(Self.inputs("console").count >= 3)
    #expect(Self.corpus("mbox").count >= 10, "the kept mbox corpus is missing")
    #expect(Self.corpus("console").count >= 10, "the kept console corpus is missing")
  }

  /// The kept corpus stays small enough to commit: a few dozen inputs, none over 4 KB.
  @Test func theKeptCorpusIsSmall() throws {
    for target in ["mbox", "console"] {
      let files = Self.corpus(target)
      #expect(files.count <= 80, "\(target): \(files.count) inputs")
      for file in files {
        let size = try Data(contentsOf: file).count
        #expect(size <= 4096, "\(file.lastPathComponent): \(size) bytes")
      }
    }
  }

  /// The numbers that overflow an Int are refused as malformed, not trapped on, and not
  /// looped over: each parse runs on a thread of its own and must end within a minute. (A
  /// test time limit measured the test pool instead: with the end-to-end suites holding its
  /// threads, this test once "took" over 60 s while its parses take microseconds.)
  @Test func overflowingHunkCountsAreMalformed() {
    for hunk in ["@@ -1,999999999999999999999 +1 @@", "@@ -99999999999999999999999,1 +1 @@"] {
      final class Outcome: @unchecked Sendable { var error: (any Error)? }
      let outcome = Outcome()
      let done = DispatchSemaphore(value: 0)
      Thread {
        do { _ = try UnifiedDiff.parse("diff --git a/f b/f\n--- a/f\n+++ b/f\n\(hunk)\n-a\n+b\n") } catch { outcome.error = error }
        done.signal()
      }.start()
      guard done.wait(timeout: .now() + 60) == .success else {
        Issue.record("\(hunk): the parse did not end within 60 s")
        continue
      }
      #expect(outcome.error is PatchCheckError, "\(hunk): \(String(describing: outcome.error))")
    }
  }

  /// The fuzz targets still compile from the sources fuzz/run.sh names (they had stopped:
  /// files had moved and `package` access needed -package-name), so a fuzz run can be repeated.
  @Test func theFuzzTargetsTypeCheck() throws {
    let result = try ProcessRunner.run(["fuzz/run.sh", "--typecheck"], cwd: ProjectData.root.path)
    #expect(result.succeeded, "\(result.output.suffix(2000))")
  }

  /// The console target is built without Guest/RunnerScript.swift (it needs the scenario
  /// catalog, libgit2 and Yams); its copy of the one marker it needs must be the runner's.
  @Test func theFuzzTargetsMarkerIsTheRunners() throws {
    let stub = try String(contentsOf: ProjectData.root.appendingPathComponent("fuzz/RunnerScriptMarkers.swift"), encoding: .utf8)
    #expect(stub.contains("static let stuckMarker = \"\(RunnerScript.stuckMarker)\""))
  }

  /// Each suppression names a global initializer (`_WZ`: run once per process), never a
  /// whole module, so a leak per input is still reported.
  @Test func theLeakSuppressionsNameOnlyOncePerProcessInitializers() throws {
    let text = try String(contentsOf: ProjectData.root.appendingPathComponent("fuzz/lsan.supp"), encoding: .utf8)
    let rules = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    #expect(!rules.isEmpty)
    for rule in rules {
      #expect(rule.hasPrefix("leak:") && rule.hasSuffix("_WZ"), "\(rule)")
    }
  }

  /// Every run docs/reliability.md cites is a row of fuzz/results.tsv with the commit (one
  /// this repository has) and the seed to run it again.
  @Test func theDocumentedFuzzRunsAreRecordedWithCommitAndSeed() throws {
    let root = ProjectData.root
    let rows = try String(contentsOf: root.appendingPathComponent("fuzz/results.tsv"), encoding: .utf8)
      .split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    #expect(rows.allSatisfy { $0.count == 9 }, "results.tsv: date commit target seed seconds inputs coverage exit findings")
    let doc = try String(contentsOf: root.appendingPathComponent("docs/reliability.md"), encoding: .utf8)
    let section = try #require(doc.range(of: "## Fuzzing")).upperBound
    let table = doc[section...].split(separator: "\n").prefix { !$0.hasPrefix("## ") }
      .filter { $0.hasPrefix("| mbox") || $0.hasPrefix("| console") }
    #expect(!table.isEmpty, "the fuzz table cites no run")
    let repo = try GitRepository(path: root.path)
    for line in table {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      // | target | commit | seed | seconds | inputs | coverage | findings | ...
      let row = rows.first { $0.count == 9 && $0[2] == cells[0] && $0[1] == cells[1] && $0[3] == cells[2] }
      let found = try #require(row, "not in results.tsv: \(line)")
      #expect(found[4] == cells[3] && found[5] == cells[4].replacingOccurrences(of: ",", with: "") && found[6] == cells[5], "\(line)")
      #expect(found[8] == cells[6].prefix { $0.isNumber }, "\(line)")
      let commit = String(found[1].prefix(12))
      #expect(try repo.commit(for: commit) != nil, "commit \(commit) is not in this repository")
    }
  }
}

import Foundation
import Testing

@testable import PatchCheckKit

/// Inputs the fuzzers (fuzz/run.sh) found or that were written to probe the parsers' edges,
/// kept under Fixtures/fuzz/<target>/: each goes through the same code the fuzz target runs
/// and must come back (no crash, no trap on overflow, no hang).
@Suite struct FuzzRegressionTests {
  static func inputs(_ target: String) -> [URL] {
    let folder = Fixtures.url("fuzz/\(target)")
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
      .filter { !$0.hasPrefix(".") }.map { folder.appendingPathComponent($0) }
  }

  @Test(arguments: inputs("mbox"))
  func mboxInput(_ url: URL) throws {
    SeriesParser.exercise(try Data(contentsOf: url))
  }

  @Test(arguments: inputs("console"))
  func consoleInput(_ url: URL) throws {
    ConsoleAnalyzer.exercise(try Data(contentsOf: url))
  }

  @Test func thereAreInputsForEachTarget() {
    #expect(Self.inputs("mbox").count >= 4)
    #expect(Self.inputs("console").count >= 3)
  }

  /// The numbers that overflow an Int are refused as malformed, not trapped on.
  @Test func overflowingHunkCountsAreMalformed() {
    #expect(throws: PatchCheckError.self) {
      try UnifiedDiff.parse("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,999999999999999999999 +1 @@\n-a\n+b\n")
    }
  }
}

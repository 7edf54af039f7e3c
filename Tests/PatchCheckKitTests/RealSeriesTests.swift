// docs/real-series.md is written by bench/real-series from bench/results/real-series.json (the
// runs of the fourteen real series, issue 32): the page must be what the script writes from
// the committed results, and the share it states must be the results' own.

import Foundation
import Testing

@testable import PatchCheckBase

@Suite struct RealSeriesTests {
  static let root = ProjectData.root
  static let results = root.appendingPathComponent("bench/results/real-series.json")

  @Test func thePageIsWhatTheScriptWritesFromTheResults() throws {
    let dir = try TempDir()
    let page = dir.path("real-series.md")
    let result = try ProcessRunner.run(
      ["python3", Self.root.appendingPathComponent("bench/real-series").path, "page", "--results", Self.results.path, "--page", page.path],
      timeout: 60)
    #expect(result.succeeded, "\(result.output)")
    let written = try String(contentsOf: page, encoding: .utf8)
    let committed = try String(contentsOf: Self.root.appendingPathComponent("docs/real-series.md"), encoding: .utf8)
    #expect(written == committed, "docs/real-series.md is stale: run bench/real-series page")
  }

  /// The share the page states, counted here from the results: changed functions the kernel
  /// can trace, and those a chosen scenario reached; every series has its message-id, tree,
  /// scenarios and verdict, and no mail is in the results (only names and ids).
  @Test func theStatedShareIsTheResultsOwn() throws {
    let data = try Data(contentsOf: Self.results)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let series = try #require(object["series"] as? [String: [String: Any]])
    var traceable = 0
    var reached = 0
    for (name, entry) in series {
      #expect((entry["messageID"] as? String)?.contains("@") == true, "\(name)")
      #expect(["v7.3.4", "v7.2.12", "v6.12.117"].contains(entry["tree"] as? String ?? ""), "\(name)")
      #expect(entry["verdict"] is String, "\(name)")
      for function in entry["functions"] as? [[String: Any]] ?? [] where function["traceable"] as? Bool == true {
        traceable += 1
        if !((function["reachedBy"] as? [String]) ?? []).isEmpty { reached += 1 }
      }
    }
    let page = try String(contentsOf: Self.root.appendingPathComponent("docs/real-series.md"), encoding: .utf8)
    #expect(page.contains("**Reach: \(reached) of the \(traceable) changed functions the kernel can trace"), "\(reached)/\(traceable)")
    #expect(!String(decoding: data, as: UTF8.self).contains("diff --git"))
  }
}

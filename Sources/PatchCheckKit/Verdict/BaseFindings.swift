// What the base shows with a run's scenarios and guest, kept per base commit, config,
// guest program (scenarios, knobs, witness) and patchcheck build: the verdict about a series
// reads its reports through this, so a report the base already has is pre-existing (listed,
// counted, never by itself a FAIL) and only what the series adds can fail it.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct BaseFindings: Sendable, Codable, Equatable {
  package struct Finding: Sendable, Codable, Equatable {
    package var title: String
    package var kind: Splat.Kind
    /// Boots of the base that showed it.
    package var boots: Int
  }

  package var schema = "patchcheck-base-findings/1"
  package var key: String
  /// The base's name (`v7.3.4`) and commit.
  package var base: String
  package var commit: String
  package var scenarios: [String]
  /// Boots of the base the findings come from.
  package var runs: Int
  package var findings: [Finding]
  /// Scenarios that failed or timed out on the base (any of its boots): a race the base
  /// itself deadlocks in fails there with or without the series (nil in findings kept before
  /// they were recorded).
  package var failedScenarios: [String]? = nil
  package var measuredAt: Date
  /// Where this run got them: "measured in this run" or "from the cache (FILE)"; not kept.
  package var source: String?

  /// Findings of `boots` (each boot's reports, a title counted once per boot).
  package init(boots: [[Splat]], key: String, base: String, commit: String, scenarios: [String], measuredAt: Date = Date()) {
    var findings: [Finding] = []
    for splats in boots {
      for title in Set(splats.map(\.title)).sorted() {
        if let i = findings.firstIndex(where: { $0.title == title }) {
          findings[i].boots += 1
        } else {
          findings.append(Finding(title: title, kind: splats.first { $0.title == title }?.kind ?? .other, boots: 1))
        }
      }
    }
    self.key = key
    self.base = base
    self.commit = commit
    self.scenarios = scenarios
    self.runs = boots.count
    self.findings = findings
    self.measuredAt = measuredAt
  }

  package var titles: Set<String> { Set(findings.map(\.title)) }
  package var failures: Set<String> { Set(failedScenarios ?? []) }

  /// Boots of the base that showed `title`, of all its boots.
  package func tally(_ title: String) -> Tally? {
    findings.first { $0.title == title }.map { Tally(hits: $0.boots, runs: runs) }
  }
}

/// The cache folder's `base-findings/`, one file per key.
package struct BaseFindingsCache: Sendable {
  package let folder: URL

  package init(home: PatchCheckHome) { folder = home.root.appendingPathComponent("base-findings") }

  package func file(_ key: String) -> URL { folder.appendingPathComponent("\(key.prefix(32)).json") }

  /// The findings kept for `key`; nil when none (or a file that does not read: measured again).
  package func get(_ key: String) -> BaseFindings? {
    guard let data = FileManager.default.contents(atPath: file(key).path),
      var findings = try? JSON.decoder().decode(BaseFindings.self, from: data), findings.key == key
    else { return nil }
    findings.source = "from the cache (\(file(key).lastPathComponent))"
    return findings
  }

  package func put(_ findings: BaseFindings) throws {
    try FileManager.default.ensureDirectory(folder)
    var kept = findings
    kept.source = nil
    try JSON.encode(kept).write(to: file(findings.key), options: .atomic)
  }
}

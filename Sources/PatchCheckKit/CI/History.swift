// A series' history over tags: the latest verdict per tag (in version order) and the
// transitions a maintainer asks about: where it stopped applying, started failing, was fixed.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package struct History: Codable, Sendable {
  package struct Entry: Codable, Sendable {
    package var tag: String
    package var commit: String
    package var verdict: String
    package var reason: String
    package var titles: [String]
    package var startedAt: Date
    package var reportDir: String
    package var runs: Int
  }

  package struct Transition: Codable, Sendable, Equatable {
    /// stopped-applying, applies-again, stopped-building, builds-again, started-failing, fixed, changed
    package var kind: String
    package var tag: String
    package var from: String
    package var to: String
  }

  package var series: String
  package var variant: String
  package var tags: [Entry]
  package var transitions: [Transition]

  /// From runs of one series and variant (oldest first): the latest run of each tag wins.
  package init(series: String, variant: String, runs: [RunRecord]) {
    self.series = series
    self.variant = variant
    var latest: [String: RunRecord] = [:]
    var counts: [String: Int] = [:]
    for run in runs where run.series == series && run.variant == variant {
      latest[run.tag] = run
      counts[run.tag, default: 0] += 1
    }
    tags = latest.keys.sorted(by: TagOrder.versionOrder).compactMap { tag in
      latest[tag].map {
        Entry(
          tag: tag, commit: $0.commit, verdict: $0.verdict, reason: $0.reason, titles: $0.titles, startedAt: $0.startedAt,
          reportDir: $0.reportDir, runs: counts[tag] ?? 1)
      }
    }
    transitions = zip(tags, tags.dropFirst()).compactMap { previous, current in
      guard previous.verdict != current.verdict,
        let kind = Self.kind(from: previous.verdict, to: current.verdict)
      else { return nil }
      return Transition(kind: kind, tag: current.tag, from: previous.verdict, to: current.verdict)
    }
  }

  package static func kind(from old: String, to new: String) -> String? {
    let apply = Verdict.applyFail.rawValue
    let build = Verdict.buildFail.rawValue
    let pass = Verdict.pass.rawValue
    let fail = Verdict.fail.rawValue
    switch (old, new) {
    case (_, apply): return "stopped-applying"
    case (apply, _): return "applies-again"
    case (_, build): return "stopped-building"
    case (build, _): return "builds-again"
    case (pass, fail): return "started-failing"
    case (fail, pass): return "fixed"
    default: return "changed"
    }
  }

  /// The first tag of each kind of transition, in words.
  package var summary: [String] {
    var seen: Set<String> = []
    var lines: [String] = []
    for t in transitions where !seen.contains(t.kind) {
      seen.insert(t.kind)
      lines.append("\(t.kind.replacingOccurrences(of: "-", with: " ")) at \(t.tag) (\(t.from) -> \(t.to))")
    }
    return lines
  }
}

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
    package var verdict: Verdict
    package var reason: String
    package var titles: [String]
    package var startedAt: Date
    package var reportDir: String
    package var runs: Int
  }

  package struct Transition: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable, CaseIterable {
      case stoppedApplying = "stopped-applying"
      case appliesAgain = "applies-again"
      case stoppedBuilding = "stopped-building"
      case buildsAgain = "builds-again"
      case startedFailing = "started-failing"
      case fixed
      case changed
    }
    package var kind: Kind
    package var tag: String
    package var from: Verdict
    package var to: Verdict
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

  package static func kind(from old: Verdict, to new: Verdict) -> Transition.Kind? {
    switch (old, new) {
    case (_, .applyFail): return .stoppedApplying
    case (.applyFail, _): return .appliesAgain
    case (_, .buildFail): return .stoppedBuilding
    case (.buildFail, _): return .buildsAgain
    case (.pass, .fail): return .startedFailing
    case (.fail, .pass): return .fixed
    default: return .changed
    }
  }

  /// The first tag of each kind of transition, in words.
  package var summary: [String] {
    var seen: Set<Transition.Kind> = []
    var lines: [String] = []
    for t in transitions where !seen.contains(t.kind) {
      seen.insert(t.kind)
      lines.append(
        "\(t.kind.rawValue.replacingOccurrences(of: "-", with: " ")) at \(t.tag) (\(t.from.rawValue) -> \(t.to.rawValue))")
    }
    return lines
  }
}

// What a review found, as review.json holds it (sorted keys, `JSON`): the kernels (the base
// alone, then each prefix of the series), every run (one scenario on one kernel, one or more
// boots, its report folder kept), and the findings by title with hits/runs on each kernel.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

/// One kernel of the review: the base alone (0 patches) or the series' first `patches`.
package struct ReviewKernel: Sendable, Codable, Equatable {
  package var patches: Int
  /// "base", "patch 1/2", "patches 1-2/2".
  package var label: String
  /// The commit built (the applied head; the base's commit for the base).
  package var head: String?
  /// Why it could not be judged (APPLY-FAIL, BUILD-FAIL, ...); nil when it ran.
  package var problem: String?

  package static func label(_ patches: Int, of total: Int) -> String {
    patches == 0 ? "base" : patches == 1 ? "patch 1/\(total)" : "patches 1-\(patches)/\(total)"
  }
}

/// One run of the pipeline: one scenario on one kernel, `boots.count` boots of one build.
package struct ReviewRun: Sendable, Codable, Equatable {
  package var patches: Int
  package var scenario: String
  /// The run's report folder, relative to the review's.
  package var folder: String
  package var verdict: Verdict
  package var reason: String
  /// Per boot, the titles it hit: the kernel's reports, else "scenario NAME failed" when a
  /// step failed with no kernel report. Empty when the kernel never booted (not a run).
  package var boots: [[String]]
  package var seconds: Double

  /// A run from its report: each boot's titles (the report's repeats, else its one boot).
  package init(patches: Int, scenario: String, folder: String, report: Report, seconds: Double) {
    self.patches = patches
    self.scenario = scenario
    self.folder = folder
    verdict = report.verdict
    reason = report.reason
    self.seconds = seconds
    func titles(_ splatTitles: [String], _ verdict: Verdict) -> [String] {
      var seen: [String] = []
      for title in splatTitles where !seen.contains(title) { seen.append(title) }
      return seen.isEmpty && verdict == .fail ? ["scenario \(scenario) failed"] : seen
    }
    switch report.verdict {
    case .applyFail, .buildFail, .infraError, .aborted: boots = []
    default:
      if let repeats = report.repeats, !repeats.isEmpty {
        boots = repeats.map { titles($0.titles, $0.verdict) }
      } else {
        boots = [titles(report.splats.map(\.title), report.verdict)]
      }
    }
  }
}

package struct ReviewFinding: Sendable, Codable, Equatable {
  package enum Label: String, Sendable, Codable {
    /// Seen with the series, never on the base.
    case new
    /// Seen on the base, never with the whole series.
    case fixed
    /// Seen on both.
    case preExisting = "pre-existing"
    /// Seen only with some of the patches: introduced and fixed inside the series.
    case breaksBisection = "breaks-bisection"
  }
  package var title: String
  package var kind: String
  package var label: Label
  /// The scenarios whose boots showed it; hits and runs count their boots.
  package var scenarios: [String]
  package var base: Tally
  package var series: Tally
  /// Per kernel, base first (index = patches applied).
  package var kernels: [Tally]
  /// The patch (number) with which it first appears, and the one with which it is gone.
  package var introducedBy: Int?
  package var fixedBy: Int?
  /// A race scenario showed it, or it did not show in every run of a kernel.
  package var racy: Bool
  /// The claim the numbers support, with its bound.
  package var claim: String
  /// The difference is past chance (one-sided Fisher p ≤ 0.05, `Rates.pastChance`), or it needs no test.
  package var clear: Bool
  package var excerpt: [String]
  /// The run folder the excerpt is from.
  package var evidence: String
  package var deadlock: DeadlockExplanation?
  package var reproduce: String
}

/// A scenario that showed nothing, with how sure that is on each side.
package struct QuietScenario: Sendable, Codable, Equatable {
  package var scenario: String
  package var base: Tally
  package var series: Tally
  package var claim: String
}

package struct ReviewBudget: Sendable, Codable, Equatable {
  /// Boots in all, and minutes in all; the first pass (every kernel, every scenario once)
  /// always runs whole.
  package var maxBoots: Int
  package var maxMinutes: Double
  /// Boots of one build per repeat run of a race scenario.
  package var block: Int

  package init(maxBoots: Int = ReviewBudget.defaultMaxBoots, maxMinutes: Double = ReviewBudget.defaultMaxMinutes, block: Int = 2) {
    self.maxBoots = maxBoots
    self.maxMinutes = maxMinutes
    self.block = block
  }

  /// v9 (2 kernels, 6 scenarios) on 2 cores: the first pass is 12 boots of 15-40 s and two
  /// rebuilds, about 7 minutes; 10 minutes leaves about 3 for the races.
  package static let defaultMaxMinutes = 10.0
  package static let defaultMaxBoots = 60
}

/// The mail a review replies with: headers as review.txt carries them.
package struct ReviewMailHeaders: Sendable, Codable, Equatable {
  package var subject: String
  package var to: [String]
  package var cc: [String]
  package var inReplyTo: String?
  package var references: [String]
}

package struct Review: Sendable, Codable {
  package var schema = "patchcheck-review/1"
  package var startedAt: Date
  package var seconds: Double = 0
  package var series: String
  package var version: Int?
  package var source: String
  package var variant: String
  package var patches: [String]
  package var base: BaseResolution?
  package var repository: String
  package var tool: String
  package var scenarios: [String]
  package var guest: String
  package var budget: ReviewBudget
  /// Why the repeats stopped: "clear", "time budget spent", "boot budget spent".
  package var stopped: String = ""
  package var kernels: [ReviewKernel] = []
  package var runs: [ReviewRun] = []
  package var findings: [ReviewFinding] = []
  package var quiet: [QuietScenario] = []
  package var mail: ReviewMailHeaders?
  /// The command that runs this review again.
  package var command: String = ""
  /// The review's folder (review.txt, review.json, review.html, runs/).
  package var folder: String = ""

  package var boots: Int { runs.reduce(0) { $0 + $1.boots.count } }

  /// Nil when the series brings nothing new; 1 for a new finding or one that breaks
  /// bisection; INFRA-ERROR's when no kernel booted at all.
  package var exitCode: Int32? {
    if boots == 0 { return Verdict.infraError.exitCode }
    return findings.contains { $0.label == .new || $0.label == .breaksBisection } ? Verdict.fail.exitCode : nil
  }
}

// The report takes in its variant's expectation: an unmet one replaces the verdict.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

extension Report {
  /// Checks the run against its variant's expectation. An unmet one replaces the verdict:
  /// a negative control that passes means the scenarios lost their power to find the bug,
  /// and must never read as a PASS. A run that could not judge (INFRA-ERROR) stays as it is.
  /// Only what the series brings can meet a `splat`: a report the base shows too cannot.
  package mutating func check(_ expectation: SeriesManifest.Expectation?) {
    guard let (result, unmet) = ExpectationResult.judge(expectation, verdict: verdict, reason: reason, titles: newSplats.map(\.title))
    else { return }
    self.expectation = result
    if let unmet { conclude(.expectationUnmet, unmet) }
  }
}

// One boot of a build (with --repeat there are several): its console, boot result,
// scenarios, kernel reports and verdict, before the report absorbs them.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

/// One boot: what the guest did and what the console showed.
package struct BootOutcome: Sendable {
  package var index: Int
  package var console: String
  package var boot: BootResult
  package var scenarios: [ScenarioResult]
  package var splats: [Splat]
  package var verdict: Verdict
  package var reason: String
  package var exitCode: Int32?
  /// Reading the console: KTAP, kernel reports, the verdict.
  package var analysisSeconds: Double = 0
  /// What the guest's profiler saw (nil: no coverage lines).
  package var coverage: CoverageObservation?
  /// What else the verdict was decided from, so it can be decided again once the base's
  /// findings are known (`judged(known:)`).
  package var expectedRelease: String?
  package var witnessComplete = true
  /// Trace events the kernel lost while the witness traced (`LockWitnessResult.lost`).
  package var witnessLost = 0
  package var covered: SeriesCoverage?

  /// The boot judged again with `known` (the base's titles) pre-existing, and the scenarios
  /// in `failing` (those that fail on the base too) no failure of the series'.
  package func judged(known: Set<String>, failing: Set<String> = []) -> BootOutcome {
    var outcome = self
    (outcome.verdict, outcome.reason, outcome.exitCode) = Judge.verdict(
      boot: boot, scenarios: scenarios, splats: splats, expectedRelease: expectedRelease, witnessComplete: witnessComplete,
      witnessLost: witnessLost, coverage: covered, known: known, failing: failing)
    for index in outcome.splats.indices where known.contains(outcome.splats[index].title) {
      outcome.splats[index].preExisting = true
    }
    return outcome
  }
}

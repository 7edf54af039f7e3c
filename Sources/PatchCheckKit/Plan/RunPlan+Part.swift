// One part of a planned run: one scenario, on the base alone or with the series' first
// patches, on a base already resolved. `patchcheck review` runs a plan's parts one by one
// (each scenario in a boot of its own, each prefix of the series built in turn); every
// other choice — guest knobs, fragments, iterations, the lock witness — stays the plan's.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

extension RunPlan {
  /// This plan narrowed to `scenario`, with the first `patches` patches of the series (nil:
  /// the base alone), on `base` (a commit id: the base resolved once for every part),
  /// booted `boots` times, its report in `output`.
  package func part(scenario: Scenario, patches: Int?, base: String, boots: Int, output: URL) -> RunPlan {
    var plan = self
    plan.scenarios = [scenario]
    // The review chose the scenario: a part never measures reach again.
    plan.choice = ScenarioChoice(
      how: choice.how == .reach ? .review : choice.how, scenarios: [scenario.name], reasons: choice.reasons,
      note: "one scenario of the review")
    plan.guest.boots = max(1, boots)
    plan.requestedBase = base
    plan.keepsBranch = false
    plan.output = output
    plan.compareBase = false
    // The review labels findings new, fixed or pre-existing against its own base parts.
    plan.strict = true
    // The part is judged by the review, not against the variant's expectation.
    plan.selected.variant.expect = nil
    if let patches {
      plan.noSeries = false
      var series = selected.series
      series.patches = Array(series.patches.prefix(patches))
      // The base is decided: the series' stated base and its warnings were told once.
      series.cover?.baseCommit = nil
      for index in series.patches.indices { series.patches[index].baseCommit = nil }
      series.warnings = nil
      plan.selected.series = series
    } else {
      plan.noSeries = true
      plan.selected.series = .none
      plan.selected.edits = []
    }
    return plan
  }
}

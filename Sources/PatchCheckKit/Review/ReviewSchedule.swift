// What the review repeats once every kernel has run every scenario: the race scenarios whose
// answer is not clear yet (a finding the counts do not yet tell from chance first, then those
// that showed nothing, until 0 hits bound the rate below 10%), each on the base and the whole
// series — and on the prefix that introduced a finding seen only inside the series.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package enum ReviewSchedule {
  /// Runs per side after which a quiet race scenario is clear: 0 hits in 29 runs bound the
  /// rate below 10% at 95% confidence.
  package static let quietRuns = 29

  /// The race scenarios to repeat next, unclear findings first, each with its kernels.
  package static func pending(
    scenarios: [Scenario], runs: [ReviewRun], findings: [ReviewFinding], patchCount: Int, judged: Set<Int>
  ) -> [(scenario: String, kernels: [Int])] {
    var unclear: [(String, [Int])] = []
    var quiet: [(String, [Int])] = []
    let ends = [0, patchCount].filter { judged.contains($0) }
    guard ends.count == 2 || patchCount == 0 else { return [] }
    for scenario in scenarios.filter(\.race).map(\.name) {
      let mine = findings.filter { $0.scenarios.contains(scenario) }
      if mine.isEmpty {
        let boots = { (k: Int) in runs.filter { $0.scenario == scenario && $0.patches == k }.reduce(0) { $0 + $1.boots.count } }
        if ends.contains(where: { boots($0) < quietRuns }) { quiet.append((scenario, ends)) }
        continue
      }
      let open = mine.filter { !$0.clear }
      guard !open.isEmpty else { continue }
      var kernels = ends
      for finding in open where finding.label == .breaksBisection {
        if let k = finding.introducedBy, judged.contains(k), !kernels.contains(k) { kernels.append(k) }
      }
      unclear.append((scenario, kernels.sorted()))
    }
    return (unclear + quiet).map { (scenario: $0.0, kernels: $0.1) }
  }
}

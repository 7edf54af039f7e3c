// How sure a count of hits in runs makes us: one-sided 95% bounds on a rate (Clopper-Pearson,
// exact for the binomial; for 0 hits in n runs the upper bound is 1 - 0.05^(1/n)), and
// Fisher's exact test for "more often on one side than on the other".

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

/// Hits of a finding in runs (boots) of one kernel: the kernel test robot's "3/30".
package struct Tally: Sendable, Codable, Equatable, CustomStringConvertible {
  package var hits: Int
  package var runs: Int

  package init(hits: Int, runs: Int) {
    self.hits = hits
    self.runs = runs
  }

  package var description: String { "\(hits)/\(runs)" }
  package var seen: Bool { hits > 0 }
}

package enum Rates {
  /// The confidence every claim is made at.
  package static let confidence = 0.95

  /// The rate below which the true rate lies at `confidence`, one-sided (1 with no runs).
  package static func upperBound(_ tally: Tally) -> Double {
    let alpha = 1 - confidence
    guard tally.runs > 0, tally.hits < tally.runs else { return 1 }
    if tally.hits == 0 { return 1 - pow(alpha, 1 / Double(tally.runs)) }
    // P(X <= hits | p) falls as p grows: the p where it reaches alpha.
    return solve { atMost(tally.hits, of: tally.runs, rate: $0) - alpha }
  }

  /// The rate above which the true rate lies at `confidence`, one-sided (0 with no hit).
  package static func lowerBound(_ tally: Tally) -> Double {
    let alpha = 1 - confidence
    guard tally.runs > 0, tally.hits > 0 else { return 0 }
    if tally.hits == tally.runs { return pow(alpha, 1 / Double(tally.runs)) }
    // P(X >= hits | p) grows with p: the p where it reaches alpha.
    return solve { alpha - (1 - atMost(tally.hits - 1, of: tally.runs, rate: $0)) }
  }

  /// Whether a one-sided p is past chance: at most 0.05. The sum of exp(lgamma) terms lands
  /// a hair either side of an exact 0.05 (3 of 3 against 0 of 3 is 1/20, computed as
  /// 0.04999999999999998), so the comparison allows for it instead of deciding by rounding.
  package static func pastChance(_ p: Double) -> Bool { p <= 0.05 + 1e-9 }

  /// Fisher's exact test, one-sided: the chance of `more`'s hits being this high or higher
  /// if both sides had the same rate (given the hits of both together).
  package static func fisherOneSided(more: Tally, than less: Tally) -> Double {
    let total = more.runs + less.runs
    let hits = more.hits + less.hits
    guard more.runs > 0, less.runs > 0 else { return 1 }
    var p = 0.0
    for x in more.hits...min(hits, more.runs) where hits - x <= less.runs {
      p += exp(logChoose(hits, x) + logChoose(total - hits, more.runs - x) - logChoose(total, more.runs))
    }
    return min(1, p)
  }

  /// A rate as a percentage for a sentence: "10%", "0.5%".
  package static func percent(_ rate: Double) -> String {
    let value = rate * 100
    if value >= 10 || value == 0 { return "\(Int(value.rounded(.up)))%" }
    return String(format: "%.1f%%", (value * 10).rounded(.up) / 10)
  }

  /// P(X <= k) for X ~ Binomial(n, rate).
  package static func atMost(_ k: Int, of n: Int, rate: Double) -> Double {
    guard k >= 0 else { return 0 }
    guard k < n else { return 1 }
    if rate <= 0 { return 1 }
    if rate >= 1 { return 0 }
    var sum = 0.0
    for i in 0...k {
      sum += exp(logChoose(n, i) + Double(i) * log(rate) + Double(n - i) * log1p(-rate))
    }
    return min(1, sum)
  }

  package static func logChoose(_ n: Int, _ k: Int) -> Double {
    lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
  }

  /// The root in [0, 1] of a function that goes from positive to negative, by bisection.
  package static func solve(_ f: (Double) -> Double) -> Double {
    var low = 0.0
    var high = 1.0
    for _ in 0..<60 {
      let mid = (low + high) / 2
      if f(mid) > 0 { low = mid } else { high = mid }
    }
    return (low + high) / 2
  }
}

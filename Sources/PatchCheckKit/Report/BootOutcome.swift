// One boot of a build (with --repeat there are several): its console, boot result,
// scenarios, kernel reports and verdict, before the report absorbs them.

import Foundation

/// One boot: what the guest did and what the console showed.
public struct BootOutcome: Sendable {
  public var index: Int
  public var console: String
  public var boot: BootResult
  public var scenarios: [ScenarioResult]
  public var splats: [Splat]
  public var verdict: Verdict
  public var reason: String
  public var exitCode: Int32?
  /// Reading the console: KTAP, kernel reports, the verdict.
  public var analysisSeconds: Double = 0
}

// With --repeat: one line of the report per boot (verdict, reason, report titles, console).

import Foundation

public struct RepeatSummary: Sendable, Codable {
  public var index: Int
  public var verdict: Verdict
  public var reason: String
  public var titles: [String]
  public var console: String
}

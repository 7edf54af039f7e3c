// With --repeat: one line of the report per boot (verdict, reason, report titles, console).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct RepeatSummary: Sendable, Codable {
  package var index: Int
  package var verdict: Verdict
  package var reason: String
  package var titles: [String]
  package var console: String
}

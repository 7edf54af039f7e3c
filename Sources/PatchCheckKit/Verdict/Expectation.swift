// A variant's expectation judged against the verdict: a negative control that passes, or a
// backport that stopped applying, must never read as what it was expected to be.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct ExpectationResult: Sendable, Codable {
  package var expectedVerdict: Verdict?
  package var expectedSplat: String?
  package var observed: Verdict
  /// The title that matched `expectedSplat`.
  package var matchedSplat: String?
  package var met: Bool

  /// Judges `verdict` and the report titles against `expectation`; the reason to give
  /// when it is not met. A run that could not judge (INFRA-ERROR) is not judged.
  package static func judge(
    _ expectation: SeriesManifest.Expectation?, verdict: Verdict, reason: String, titles: [String]
  ) -> (result: ExpectationResult, unmetReason: String?)? {
    guard let expectation, verdict != .infraError, verdict != .expectationUnmet else { return nil }
    var matched: String?
    var unusable = false
    if let pattern = expectation.splat {
      // Manifests refuse a pattern that does not compile when they load; one that reaches
      // here anyway matches nothing (never a looser substring match) and the reason says so.
      if let regex = try? Regex(pattern) {
        matched = titles.first { $0.contains(regex) }
      } else {
        unusable = true
      }
    }
    let verdictOK = expectation.verdict.map { $0 == verdict } ?? true
    let splatOK = expectation.splat == nil || matched != nil
    let result = ExpectationResult(
      expectedVerdict: expectation.verdict, expectedSplat: expectation.splat, observed: verdict,
      matchedSplat: matched, met: verdictOK && splatOK)
    guard !result.met else { return (result, nil) }
    let wanted = (expectation.verdict?.rawValue ?? "any verdict") + (expectation.splat.map { " with a report matching '\($0)'" } ?? "")
    let prefix =
      expectation.verdict == .fail && verdict == .pass
      ? "NEGATIVE CONTROL DID NOT FAIL: the scenarios no longer detect what this variant breaks"
      : "EXPECTATION NOT MET"
    let note = unusable ? "; the splat pattern is not a regular expression" : ""
    return (result, "\(prefix): expected \(wanted), got \(verdict.rawValue) (\(reason))\(note)")
  }
}

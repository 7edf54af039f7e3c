// The verdict a run ends with (PASS, FAIL, SKIP, APPLY-FAIL, ...) and the exit code each
// one maps to. The judge (Verdict/Judge.swift) decides it; every report, cache and database
// keeps it. It lives in Base because every layer speaks it, a manifest's expectation first.

import Foundation

package enum Verdict: String, Sendable, Codable, CaseIterable {
  case pass = "PASS"
  case fail = "FAIL"
  /// No kernel report and no scenario failed, but a selected scenario did not run all its
  /// steps (the kernel lacks what it needs): not evidence that the series is good.
  case skip = "SKIP"
  /// No kernel report and no scenario failed, but none of the series' changed functions
  /// that the kernel can trace ran in any scenario: the run says nothing about the series.
  case notExercised = "NOT-EXERCISED"
  case applyFail = "APPLY-FAIL"
  case buildFail = "BUILD-FAIL"
  case infraError = "INFRA-ERROR"
  /// The variant's manifest says what its run must show, and it did not (a negative
  /// control that passed, a backport that stopped applying).
  case expectationUnmet = "EXPECTATION-UNMET"
  /// Interrupted (Ctrl-C, SIGTERM): the report holds what was done until then.
  case aborted = "ABORTED"

  /// Documented in README.md ("Exit codes").
  package var exitCode: Int32 {
    switch self {
    case .pass: 0
    case .fail: 1
    case .skip: 9
    case .notExercised: 28
    case .applyFail: 3
    case .buildFail: 4
    case .infraError: 5
    case .expectationUnmet: 7
    case .aborted: 130
    }
  }
}

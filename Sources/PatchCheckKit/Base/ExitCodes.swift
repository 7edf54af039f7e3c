// Every exit code patchcheck ends with and what it means, from the two enums that decide
// them (a verdict's code, an error's code) and the two the command line sets itself.
// README's "Exit codes" table is this table, generated (`patchcheck exit-codes`); a test
// keeps the two the same, so a new verdict or error cannot go unlisted or be listed wrong.

import Foundation

package enum ExitCodes {
  /// `bisect`: skipped commits left several candidates.
  package static let bisectAmbiguous: Int32 = 8
  /// swift-argument-parser's code for a flag missing, unknown or out of range.
  package static let argumentParser: Int32 = 64

  package struct Row: Equatable, Sendable {
    package var code: Int32
    package var meaning: String
  }

  /// One row per code, in order. Where an error and a verdict share a code (INFRA-ERROR and
  /// an infrastructure error; ABORTED and an interrupt), the verdict's words stand.
  package static var rows: [Row] {
    var rows: [Int32: String] = [
      bisectAmbiguous: "bisect: skipped commits left several candidates (listed)",
      argumentParser: "a flag missing, unknown or out of range (said by the argument parser, with usage)",
    ]
    for kind in PatchCheckError.Kind.allCases { rows[kind.exitCode] = kind.meaning }
    for verdict in Verdict.allCases { rows[verdict.exitCode] = verdict.meaning }
    return rows.keys.sorted().map { Row(code: $0, meaning: rows[$0] ?? "") }
  }

  /// The table as README.md shows it.
  package static var markdown: String {
    (["| code | meaning |", "|---|---|"] + rows.map { "| \($0.code) | \($0.meaning) |" }).joined(separator: "\n") + "\n"
  }
}

extension Verdict {
  /// What the exit code means, in the table's words.
  package var meaning: String {
    switch self {
    case .pass: "PASS (for `apply`: the series applies)"
    case .fail:
      "FAIL: a kernel report the base does not show, a failed step, or a stuck task the base does not have (with `--strict`: any kernel report)"
    case .skip: "SKIP: nothing failed, but a selected scenario did not run whole (the kernel lacks what a step needs)"
    case .notExercised: "NOT-EXERCISED: nothing failed, but no changed function the kernel can trace ran"
    case .applyFail: "APPLY-FAIL"
    case .buildFail: "BUILD-FAIL"
    case .infraError: "INFRA-ERROR"
    case .expectationUnmet: "EXPECTATION-UNMET: the variant did not show what its manifest expects"
    case .aborted: "ABORTED: interrupted (QEMU and make stopped, the partial report and every log kept)"
    }
  }
}

extension PatchCheckError.Kind {
  /// What the exit code means, in the table's words.
  package var meaning: String {
    switch self {
    case .usage: "usage error (unknown scenario or variant)"
    case .infra: "INFRA-ERROR"
    case .guestNoRunner: "INFRA-ERROR: the guest never reached the scenario runner"
    case .notAGitRepository: "not a git repository (or no tree imported yet)"
    case .notAKernelTree: "not a kernel tree"
    case .seriesUnreadable: "series not found or unreadable"
    case .seriesEmpty: "series has no patches"
    case .patchMalformed: "a patch is malformed"
    case .baseMissing: "base revision missing and no fallback"
    case .manifest: "malformed series manifest"
    case .bisectRange: "bisect: the good and bad ends do not bracket a change (the bad end passes, or a merge base is bad)"
    case .bisectLog: "bisect: no log to resume, or the folder holds an unfinished bisect"
    case .scenarioFile: "a scenario file is malformed (named with file:line), or defines a name another one already has"
    case .qemuMissing: "QEMU missing or older than 8.0 (no igb)"
    case .busyboxMissing: "no static busybox"
    case .buildToolsMissing: "kernel build tools missing"
    case .treeImport: "tree import failed (apt download, tarball)"
    case .configFragment: "a config fragment is unreadable or has a line that is not an option"
    case .noSpace: "no space left in the build folder (never reported as BUILD-FAIL)"
    case .noTags: "ci: no tag matches the pattern, or a listed tag is missing"
    case .database: "ci/history/report: the results database is locked by another process, or is not a database"
    case .buildFolderChanged:
      "the build folder changed under the build: its image names another kernel than the one just built (another process wrote there; named)"
    case .seriesRevision:
      "the thread has no such revision (`--revision N`; the ones it has are named), or no revision of it is complete (what is missing is named)"
    case .seriesFetch:
      "a series named by message-id or lore URL could not be fetched (the URL, the HTTP status or network error, and where a local copy was looked for are named); nothing is kept"
    case .seriesAlreadyApplied:
      "with `--skip-applied`: every patch of the series is already in the tree, so nothing is left to test (each patch's finding is named)"
    case .interrupted: "ABORTED: interrupted"
    }
  }
}

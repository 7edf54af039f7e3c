// Every failure a user can cause, with the one-line message and the exit code the CLI uses.
// Verdict exit codes (PASS 0, FAIL 1, APPLY-FAIL 3, BUILD-FAIL 4, INFRA-ERROR 5) live in
// `Verdict`; these are the errors that stop a run before or instead of a verdict.

import Foundation

package struct PatchCheckError: Error, CustomStringConvertible, Sendable {
  package enum Kind: String, Sendable, CaseIterable {
    case usage
    case notAGitRepository
    case notAKernelTree
    case seriesUnreadable
    case seriesEmpty
    case seriesFetch
    case seriesRevision
    case patchMalformed
    case baseMissing
    case qemuMissing
    case busyboxMissing
    case buildToolsMissing
    case treeImport
    case configFragment
    case noSpace
    case noTags
    case database
    case manifest
    case scenarioFile
    case guestNoRunner
    case infra
    case bisectRange
    case bisectLog
    case seriesAlreadyApplied
    case buildFolderChanged
    case interrupted

    /// Documented in README.md ("Exit codes"); keep the two in step.
    package var exitCode: Int32 {
      switch self {
      case .usage: 2
      case .infra: 5
      case .guestNoRunner: 6
      case .notAGitRepository: 10
      case .notAKernelTree: 11
      case .seriesUnreadable: 12
      case .seriesEmpty: 13
      case .patchMalformed: 14
      case .baseMissing: 15
      case .manifest: 16
      case .bisectRange: 17
      case .bisectLog: 18
      case .scenarioFile: 19
      case .qemuMissing: 20
      case .busyboxMissing: 21
      case .buildToolsMissing: 22
      case .treeImport: 23
      case .configFragment: 24
      case .noSpace: 25
      case .noTags: 26
      case .database: 27
      case .buildFolderChanged: 29
      case .seriesRevision: 30
      case .seriesFetch: 31
      case .seriesAlreadyApplied: 32
      case .interrupted: 130
      }
    }
  }

  package let kind: Kind
  /// What failed, in one line.
  package let message: String
  /// What the user can do next, in one line.
  package let hint: String

  package init(_ kind: Kind, _ message: String, hint: String) {
    self.kind = kind
    self.message = message
    self.hint = hint
  }

  package var exitCode: Int32 { kind.exitCode }
  package var description: String { "\(message); \(hint)" }
}

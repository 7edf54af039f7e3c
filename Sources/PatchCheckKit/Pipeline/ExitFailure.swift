// The one place an error becomes how the process ends: a line for stderr and an exit code.
// Whatever the error, the code is never 1 (FAIL's), and for `git bisect run` never below 128
// (which git would read as good, bad or skip).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct ExitFailure: Error, Sendable, Equatable {
  /// Who reads the exit code.
  package enum Reader: Sendable {
    /// A user or a script: the codes README.md lists.
    case user
    /// `git bisect run`: 128 and above stops the bisect.
    case gitBisectRun
  }

  /// The line, without the "patchcheck: error: " before it.
  package var message: String
  package var exitCode: Int32

  package init(message: String, exitCode: Int32) {
    self.message = message
    self.exitCode = exitCode
  }

  /// `error` as `reader` must see it: patchcheck's errors with their own codes, libgit2's and
  /// any unforeseen one as INFRA-ERROR's.
  package init(_ error: Error, for reader: Reader = .user) {
    let infra = PatchCheckError.Kind.infra.exitCode
    switch (error, reader) {
    case (let error as ExitFailure, _):
      self = error
    case (let error as PatchCheckError, .user):
      self.init(message: error.description, exitCode: error.exitCode)
    case (let error as PatchCheckError, .gitBisectRun):
      self.init(message: error.description, exitCode: error.exitCode >= 128 ? error.exitCode : 128 + error.exitCode)
    case (let error as GitError, .user):
      self.init(message: "\(error.description); see the libgit2 message above", exitCode: infra)
    case (let error as GitError, .gitBisectRun):
      self.init(message: error.description, exitCode: 128 + infra)
    case (_, .user):
      self.init(message: "\(error); this is patchcheck's failure, not the series'", exitCode: infra)
    case (_, .gitBisectRun):
      // An unexpected error must stop git bisect, never tell it "bad" (exit 1).
      self.init(message: "\(error); git bisect stops here", exitCode: 128 + infra)
    }
  }
}

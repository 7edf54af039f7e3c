// What patchcheck tells the user on stderr: progress messages (silent in --json mode) and
// warnings (always). Text that may come from a guest or a mail is shown, not obeyed.

import Foundation

/// Informational messages for the user on stderr; silent in --json mode.
package struct Terminal: Sendable {
  package let quiet: Bool
  package init(quiet: Bool) { self.quiet = quiet }
  package func say(_ line: String) {
    guard !quiet else { return }
    FileHandle.standardError.write(Data("patchcheck: \(VisibleText.of(line))\n".utf8))
  }
  /// What the user should know about the input (which revision of a thread was taken): on
  /// stderr in --json mode too, like a warning, but not one.
  package func note(_ line: String) {
    FileHandle.standardError.write(Data("patchcheck: \(VisibleText.of(line))\n".utf8))
  }
  /// Warnings are shown even in --json mode: they are on stderr, not stdout.
  package func warn(_ line: String) {
    FileHandle.standardError.write(Data("patchcheck: warning: \(VisibleText.of(line))\n".utf8))
  }
}

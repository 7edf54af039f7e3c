// What patchcheck tells the user on stderr: progress messages (silent in --json mode) and
// warnings (always). Text that may come from a guest or a mail is shown, not obeyed.

import Foundation

/// Informational messages for the user on stderr; silent in --json mode.
public struct Terminal: Sendable {
  public let quiet: Bool
  public init(quiet: Bool) { self.quiet = quiet }
  public func say(_ line: String) {
    guard !quiet else { return }
    FileHandle.standardError.write(Data("patchcheck: \(VisibleText.of(line))\n".utf8))
  }
  /// Warnings are shown even in --json mode: they are on stderr, not stdout.
  public func warn(_ line: String) {
    FileHandle.standardError.write(Data("patchcheck: warning: \(VisibleText.of(line))\n".utf8))
  }
}

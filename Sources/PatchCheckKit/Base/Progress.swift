// A single progress line for long steps, shown only on a terminal and never in --json mode.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

package final class ProgressLine: @unchecked Sendable {
  private let enabled: Bool
  private var lastDraw = Date.distantPast
  private var drawn = false

  package init(enabled: Bool) {
    self.enabled = enabled && isatty(STDERR_FILENO) == 1
  }

  /// Redraws at most 5 times a second.
  package func update(_ text: String, force: Bool = false) {
    guard enabled else { return }
    let now = Date()
    guard force || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
    lastDraw = now
    drawn = true
    FileHandle.standardError.write(Data(Self.frame(text).utf8))
  }

  /// What one redraw writes: back to the line's start, clear it, the text. The text may carry
  /// guest console output: control characters are shown, not obeyed, and one line stays one
  /// line (cut to 200 characters).
  package static func frame(_ text: String) -> String {
    "\r\u{1B}[K" + VisibleText.of(text, limit: 200)
  }

  package func finish(_ text: String? = nil) {
    guard enabled else { return }
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    if let text { FileHandle.standardError.write(Data("\(VisibleText.of(text))\n".utf8)) }
    drawn = false
  }
}

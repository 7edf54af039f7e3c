// Text from outside (the guest's console, a patch, a file name) made safe to show: control
// characters other than tab become caret notation, so nothing can drive the reader's terminal.

import Foundation

package enum VisibleText {
  /// Control characters other than tab as ^X (ESC as ^[, DEL as ^?), like `cat -v`; the C1
  /// controls (U+0080-U+009F; U+009B is a one-character CSI to some terminals) as M-^X.
  package static func of(_ line: String) -> String {
    guard line.unicodeScalars.contains(where: isControl) else { return line }
    var out = ""
    for scalar in line.unicodeScalars {
      if scalar.value == 0x7F {
        out += "^?"
      } else if (0x80...0x9F).contains(scalar.value) {
        out += "M-^" + String(UnicodeScalar(UInt8(scalar.value - 0x80 + 0x40)))
      } else if scalar.value < 0x20, scalar != "\t" {
        out += "^" + String(UnicodeScalar(UInt8(scalar.value + 0x40)))
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  package static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 && scalar != "\t" || (0x7F...0x9F).contains(scalar.value)
  }

  /// Each line of `text` as `of` shows it; the line breaks stay (summary.md, stdout).
  package static func lines(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0 != "\n" && isControl($0) }) else { return text }
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { of(String($0)) }.joined(separator: "\n")
  }

  /// One line shown (as `of`) and cut to `limit` characters, saying how much was left out:
  /// a console line can be megabytes long.
  package static func of(_ line: String, limit: Int) -> String {
    let shown = of(line)
    guard shown.count > limit else { return shown }
    return String(shown.prefix(limit)) + "... (\(shown.count - limit) more characters)"
  }
}

// Text put inside XML or HTML (junit.xml, the HTML report): the markup characters become
// entities, and control characters, which XML 1.0 forbids and a console log may carry
// (terminal escapes), are shown in caret notation ("^[") instead of passed on.

import Foundation

package enum Escaping {
  /// `text` safe as element text or as an attribute value (quoted with " or ').
  /// `keepingLineBreaks`: "\n" and "\r" stay as they are (multi-line text in junit.xml);
  /// otherwise they show as "^J" and "^M" like any other control character.
  package static func markup(_ text: String, keepingLineBreaks: Bool = false) -> String {
    var out = ""
    var line = ""
    func flush() {
      for scalar in VisibleText.of(line).unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
      }
      line = ""
    }
    for scalar in text.unicodeScalars {
      if keepingLineBreaks, scalar == "\n" || scalar == "\r" {
        flush()
        out.unicodeScalars.append(scalar)
      } else {
        line.unicodeScalars.append(scalar)
      }
    }
    flush()
    return out
  }
}

/// A name for a file or folder made from free text: lower-case letters and digits, runs of
/// anything else one dash, at most 48 characters.
package func slug(_ text: String) -> String {
  let allowed = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
  return String(String(allowed).split(separator: "-").joined(separator: "-").prefix(48))
}

// Text from outside (the guest's console, a patch, a file name) made safe to show: control
// characters other than tab become caret notation, so nothing can drive the reader's terminal.

import Foundation

package enum VisibleText {
  /// Control characters other than tab as ^X (ESC as ^[, DEL as ^?), like `cat -v`.
  package static func of(_ line: String) -> String {
    guard line.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else { return line }
    var out = ""
    for scalar in line.unicodeScalars {
      if scalar.value == 0x7F {
        out += "^?"
      } else if scalar.value < 0x20, scalar != "\t" {
        out += "^" + String(UnicodeScalar(UInt8(scalar.value + 0x40)))
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}

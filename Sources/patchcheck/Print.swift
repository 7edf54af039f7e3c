// Everything the commands print on stdout goes through here: this `print` shadows the
// standard library's in this module. Subjects, titles, reasons and file names come from
// mails, guests and the file system; each line is shown through VisibleText, so no text
// can drive the user's terminal. JSON output (printJSON) escapes control characters itself.

import PatchCheckKit

func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
  Swift.print(VisibleText.lines(items.map { "\($0)" }.joined(separator: separator)), terminator: terminator)
}

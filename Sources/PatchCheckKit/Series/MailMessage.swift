// Mail parsing for patch series: mbox splitting, header unfolding, RFC 2047 encoded words,
// and body transfer decoding. Only what `git format-patch` and list archives produce.

import Foundation
import PatchCheckBase

package struct MailMessage: Sendable {
  package var headers: [(name: String, value: String)]
  package var body: String

  package func header(_ name: String) -> String? {
    headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
  }

  /// The Message-ID without angle brackets.
  package var messageID: String? {
    header("Message-ID").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> \t")) }
  }

  /// Parses one message: headers up to the first blank line, then the body.
  package init(raw: String) {
    let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
    // An mbox separator line is not a header.
    if let first = lines.first, first.hasPrefix("From ") { lines = lines.dropFirst() }
    var headers: [(String, String)] = []
    while let line = lines.first, !line.isEmpty {
      lines = lines.dropFirst()
      if line.first == " " || line.first == "\t", !headers.isEmpty {
        // Folded header: RFC 5322 unfolding keeps the whitespace.
        headers[headers.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces)
        continue
      }
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = String(line[..<colon])
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      headers.append((name, value))
    }
    self.headers = headers.map { ($0.0, RFC2047.decode($0.1)) }
    let rawBody = lines.dropFirst().joined(separator: "\n")
    let encoding = headers.first { $0.0.lowercased() == "content-transfer-encoding" }?.1.lowercased()
    switch encoding {
    case "quoted-printable": body = TransferEncoding.quotedPrintable(rawBody)
    case "base64": body = TransferEncoding.base64(rawBody)
    default: body = rawBody
    }
  }
}

package enum Mbox {
  /// Splits an mbox into messages at `From ` separator lines (mboxrd `>From ` unescaped).
  /// A text with no separator is one message (a single `.patch` file).
  package static func split(_ text: String) -> [MailMessage] { splitCounting(text).messages }

  /// `split`, and the first line of each part that is not a mail (no header before its first
  /// blank line, e.g. a bare `git diff` saved as .patch): left out, so the reader can say so.
  package static func splitCounting(_ text: String) -> (messages: [MailMessage], notMail: [String]) {
    let lines = text.replacingOccurrences(of: "\r\n", with: "\n")
      .split(separator: "\n", omittingEmptySubsequences: false)
    var messages: [[Substring]] = []
    var current: [Substring] = []
    var previousBlank = true
    for line in lines {
      if line.hasPrefix("From "), previousBlank, looksLikeSeparator(line) {
        if current.contains(where: { !$0.isEmpty }) { messages.append(current) }
        current = [line]
      } else if line.hasPrefix(">"), line.drop(while: { $0 == ">" }).hasPrefix("From ") {
        current.append(line.dropFirst())
      } else {
        current.append(line)
      }
      previousBlank = line.isEmpty
    }
    if current.contains(where: { !$0.isEmpty }) { messages.append(current) }
    var mails: [MailMessage] = []
    var notMail: [String] = []
    for lines in messages {
      let message = MailMessage(raw: lines.joined(separator: "\n"))
      if message.headers.isEmpty {
        notMail.append(String(lines.first { !$0.isEmpty && !$0.hasPrefix("From ") } ?? lines.first ?? ""))
      } else {
        mails.append(message)
      }
    }
    return (mails, notMail)
  }

  /// `From <id> <date>`: an address or id, then something like a date.
  private static func looksLikeSeparator(_ line: Substring) -> Bool {
    line.split(separator: " ").count >= 3
  }
}

package enum RFC2047 {
  /// Decodes `=?charset?Q?...?=` and `=?charset?B?...?=` words; whitespace between two
  /// encoded words is dropped, as the RFC says.
  package static func decode(_ value: String) -> String {
    guard value.contains("=?") else { return value }
    let pattern = #/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/#
    var result = ""
    var rest = value[...]
    var lastWasEncoded = false
    while let match = rest.firstMatch(of: pattern) {
      let between = rest[rest.startIndex..<match.range.lowerBound]
      if !(lastWasEncoded && between.allSatisfy(\.isWhitespace)) { result += between }
      let charset = String(match.output.1).lowercased()
      let text = String(match.output.3)
      let bytes: [UInt8]
      if match.output.2.lowercased() == "b" {
        bytes = Data(base64Encoded: padded(text)).map { [UInt8]($0) } ?? Array(text.utf8)
      } else {
        bytes = TransferEncoding.qBytes(text.replacingOccurrences(of: "_", with: " "))
      }
      result += decodeBytes(bytes, charset: charset)
      rest = rest[match.range.upperBound...]
      lastWasEncoded = true
    }
    return result + rest
  }

  package static func decodeBytes(_ bytes: [UInt8], charset: String) -> String {
    switch charset {
    case "iso-8859-1", "latin1", "iso-8859-15", "windows-1252":
      return String(data: Data(bytes), encoding: .isoLatin1) ?? String(decoding: bytes, as: UTF8.self)
    default:
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  private static func padded(_ base64: String) -> String {
    base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
  }
}

package enum TransferEncoding {
  package static func qBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    let utf8 = Array(text.utf8)
    var i = 0
    while i < utf8.count {
      if utf8[i] == UInt8(ascii: "="), i + 2 < utf8.count + 0, i + 2 <= utf8.count - 1,
        let byte = UInt8(String(decoding: utf8[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
      {
        out.append(byte)
        i += 3
      } else {
        out.append(utf8[i])
        i += 1
      }
    }
    return out
  }

  package static func quotedPrintable(_ text: String) -> String {
    // Soft line breaks ("=\n") join lines; then =XX escapes.
    let joined = text.replacingOccurrences(of: "=\n", with: "")
    return String(decoding: qBytes(joined), as: UTF8.self)
  }

  package static func base64(_ text: String) -> String {
    let compact = text.filter { !$0.isWhitespace }
    return Data(base64Encoded: compact).map { String(decoding: $0, as: UTF8.self) } ?? text
  }
}

// A mail's Subject as the list reads it: reply or not, the bracketed tags ([RFC PATCH v3 2/5],
// RESEND) and the title after them. Follows b4's reading (LoreSubject), so that a thread is
// grouped into revisions the way maintainers' tools group it.

import Foundation
import PatchCheckBase

package struct SubjectTags: Sendable, Equatable {
  package var title = ""
  /// `Re:`, `Aw:`, `Fwd:` or any two- or three-letter prefix before a `[`: a reply, never a patch.
  package var reply = false
  package var resend = false
  package var rfc = false
  /// A `PATCH` tag was there.
  package var patch = false
  /// `vN`; nil when the subject has none (then the thread decides, v1 by default).
  package var version: Int?
  /// `k/n`; nil when the subject has none (a lone patch: 1/1).
  package var counter: Int?
  package var expected: Int?

  package init(_ raw: String) {
    var subject = raw.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
      .trimmingCharacters(in: .whitespaces)
    if subject.range(of: #"^(re|aw|fwd):"#, options: [.regularExpression, .caseInsensitive]) != nil
      || subject.range(of: #"^\w{2,3}:\s*\["#, options: .regularExpression) != nil
    {
      reply = true
      subject = subject.replacingOccurrences(of: #"^\w{2,3}:\s*\["#, with: "[", options: .regularExpression)
      // "Re: Re: title" without tags: the prefixes are not part of the title either.
      while let match = subject.range(of: #"^(re|aw|fwd):\s*"#, options: [.regularExpression, .caseInsensitive]) {
        subject.removeSubrange(match)
      }
    }
    // Only a tag that holds a bracket of its own ("[PATCH [net] 1/2]") is flattened: the
    // title after the tags may hold any text, brackets and escapes included.
    if subject.hasPrefix("["), let close = subject.firstIndex(of: "]"),
      subject[subject.index(after: subject.startIndex)..<close].contains("[")
    {
      subject = Self.flattenNestedBrackets(subject)
    }
    while subject.hasPrefix("["), let close = subject.firstIndex(of: "]") {
      let inside = subject[subject.index(after: subject.startIndex)..<close]
      // "[PATCHv3]" is "[PATCH v3]".
      let tags = String(inside).replacingOccurrences(
        of: #"(patch)(v\d+)"#, with: "$1 $2", options: [.regularExpression, .caseInsensitive])
      for word in tags.split(separator: " ") {
        read(tag: word.trimmingCharacters(in: CharacterSet(charactersIn: ",;")))
      }
      subject = String(subject[subject.index(after: close)...]).trimmingCharacters(in: .whitespaces)
    }
    title = subject
  }

  private mutating func read(tag: String) {
    let lower = tag.lowercased()
    let parts = tag.split(separator: "/")
    let digits =
      parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    if digits, let k = Int(parts[0]), let n = Int(parts[1]) {
      counter = k
      expected = n
    } else if lower.hasPrefix("v"), let version = Int(lower.dropFirst()) {
      self.version = version
    } else if lower.hasPrefix("rfc") {
      rfc = true
    } else if lower.hasPrefix("resend") {
      resend = true
    } else if lower.hasPrefix("patch") {
      patch = true
    }
  }

  /// "[PATCH [net] 1/2]" -> "[PATCH net 1/2]", as b4 does before reading the tags.
  private static func flattenNestedBrackets(_ text: String) -> String {
    var subject = text
    while true {
      let before = subject
      subject = subject.replacingOccurrences(of: #"\[([^\]]*)\[([^\[\]]*)\]"#, with: "[$1$2]", options: .regularExpression)
      subject = subject.replacingOccurrences(of: #"\[([^\]]*)\]([^\[\]]*)\]"#, with: "[$1$2]", options: .regularExpression)
      if subject == before { return subject }
    }
  }
}

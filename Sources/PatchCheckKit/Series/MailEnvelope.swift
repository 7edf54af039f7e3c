// Who a series' mail was from and to, and where it sits in its thread: what a reply to the
// series needs (its Subject as posted, the list and people to copy, the thread's ids).

import Foundation
import PatchCheckBase

package struct MailEnvelope: Sendable, Codable, Equatable {
  /// The Subject as posted, tags and all ("[PATCH v9 0/1] PCI/IOV: ...").
  package var subject: String
  /// The mail's sender (the From header, not an in-body From).
  package var from: String?
  package var to: [String]
  package var cc: [String]
  /// The thread's message-ids before this mail (References, else In-Reply-To), without <>.
  package var references: [String]

  package init(subject: String, from: String?, to: [String], cc: [String], references: [String]) {
    self.subject = subject
    self.from = from
    self.to = to
    self.cc = cc
    self.references = references
  }

  package init(_ message: MailMessage) {
    let ids = Self.messageIDs
    let references = ids(message.header("References"))
    self.init(
      subject: message.header("Subject") ?? "", from: message.header("From"),
      to: Self.addresses(message.header("To")), cc: Self.addresses(message.header("Cc")),
      references: references.isEmpty ? ids(message.header("In-Reply-To")) : references)
  }

  /// The message-ids of a References or In-Reply-To header, without <>.
  package static func messageIDs(_ value: String?) -> [String] {
    (value ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map {
      $0.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
    }.filter { !$0.isEmpty }
  }

  /// An address list split at the commas outside quotes and angle brackets.
  package static func addresses(_ value: String?) -> [String] {
    guard let value else { return [] }
    var result: [String] = []
    var current = ""
    var quoted = false
    var angle = false
    for character in value {
      switch character {
      case "\"": quoted.toggle()
      case "<" where !quoted: angle = true
      case ">" where !quoted: angle = false
      case "," where !quoted && !angle:
        result.append(current)
        current = ""
        continue
      default: break
      }
      current.append(character)
    }
    result.append(current)
    return result.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  /// The address alone, lowercased: what two spellings of one mailbox share.
  package static func mailbox(_ address: String) -> String {
    Address.parse(address).1.lowercased()
  }
}

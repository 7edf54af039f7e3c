// A patch series read from an mbox or a folder of .patch files: the cover letter (with its
// base-commit), each patch's author, date, message, trailers, diff, files and diffstat.

import Foundation
import PatchCheckBase

package struct FileStat: Sendable, Codable, Equatable {
  package var path: String
  package var added: Int
  package var removed: Int
}

package struct Patch: Sendable, Codable {
  package var number: Int
  package var total: Int
  package var version: Int?
  package var subject: String
  package var author: Signature
  package var messageID: String?
  /// The commit message as `git am` would record it (subject, blank line, body, trailers).
  package var commitMessage: String
  package var trailers: [Trailer]
  /// The `diff --git` part of the mail, up to the signature separator.
  package var diff: String
  package var files: [FileStat]
  /// `base-commit:` written by `git format-patch --base` into a series without a cover.
  package var baseCommit: String?
  /// The mail's Subject as posted, sender, recipients and thread (nil: not read from a mail).
  package var envelope: MailEnvelope?

  package struct Trailer: Sendable, Codable, Equatable {
    package var key: String
    package var value: String
  }
}

package struct CoverLetter: Sendable, Codable {
  package var subject: String
  package var messageID: String?
  package var baseCommit: String?
  package var body: String
  package var envelope: MailEnvelope?
}

package struct Series: Sendable, Codable {
  /// No series: the base built and booted as it is (bisecting the tree itself).
  package static let none = Series(title: "no series", patches: [], source: "none")

  package init(
    title: String, version: Int? = nil, cover: CoverLetter? = nil, patches: [Patch], source: String,
    warnings: [String]? = nil, thread: ThreadReading? = nil
  ) {
    self.title = title
    self.version = version
    self.cover = cover
    self.patches = patches
    self.source = source
    self.warnings = warnings
    self.thread = thread
  }

  package var title: String
  package var version: Int?
  package var cover: CoverLetter?
  package var patches: [Patch]
  package var source: String
  /// What reading the mails could not do as asked and what was done instead (a Date that
  /// could not be read is dated now): carried by `series show` and the report.
  package var warnings: [String]?
  /// What the thread the series was read from held, and which revision was taken.
  package var thread: ThreadReading?

  /// The base the series says it applies to: the cover letter's `base-commit:`, else the
  /// first patch's.
  package var statedBase: String? { cover?.baseCommit ?? patches.compactMap(\.baseCommit).first }
}

package enum SeriesParser {
  /// Reads an mbox file, a single .patch file, or a folder of .patch/.mbox files: the thread
  /// they hold, and from it the revision asked for (else the newest complete one,
  /// `MailThread`). `messageID` keeps the thread that holds that message.
  package static func read(_ url: URL, revision: Int? = nil, messageID: String? = nil, itsRevision: Bool = false) throws
    -> Series
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw PatchCheckError(
        .seriesUnreadable, "no series at \(url.path)", hint: "give an mbox file or a folder of .patch files")
    }
    var messages: [MailMessage] = []
    var ignored: [String] = []
    var notMail: [String] = []
    func read(_ file: URL) throws {
      let (mails, rest) = Mbox.splitCounting(try readText(file))
      messages += mails
      notMail += rest.map { "\(file.lastPathComponent) ('\($0.prefix(60))')" }
    }
    if isDirectory.boolValue {
      let all = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }.sorted()
      let names = all.filter { $0.hasSuffix(".patch") || $0.hasSuffix(".mbox") || $0.hasSuffix(".eml") }
      ignored = all.filter { !names.contains($0) }
      for name in names { try read(url.appendingPathComponent(name)) }
    } else {
      try read(url)
    }
    var series: Series
    do {
      let (chosen, reading) = try MailThread.select(
        messages, revision: revision, messageID: messageID, itsRevision: itsRevision)
      series = try parse(chosen, source: url.path)
      series.thread = reading
      // The thread's revision (a re-post without a tag, a partial re-roll whose first patch
      // is borrowed from the revision before) over the first patch's own tag.
      if reading.chosen > 1 || series.version != nil { series.version = reading.chosen }
    } catch let error as PatchCheckError where error.kind == .seriesEmpty && !notMail.isEmpty {
      throw PatchCheckError(
        .seriesEmpty, "\(url.path) holds no patches: \(notMail.count) part(s) have no mail headers, e.g. \(notMail[0])",
        hint: "give the mails (git format-patch, b4 mbox), not a bare diff")
    }
    if !notMail.isEmpty {
      let warning = VisibleText.of(
        "left out \(notMail.count) part(s) with no mail headers (not a mail, e.g. a bare diff): "
          + notMail.prefix(3).joined(separator: ", ") + (notMail.count > 3 ? ", ..." : ""))
      series.warnings = [warning] + (series.warnings ?? [])
    }
    if !ignored.isEmpty {
      // A folder from `git format-patch -o` holds only .patch files; anything else was not read.
      let warning = VisibleText.of(
        "ignored \(ignored.count) file(s) in \(url.lastPathComponent)/ not named *.patch, *.mbox or *.eml: "
          + ignored.prefix(5).joined(separator: ", ") + (ignored.count > 5 ? ", ..." : ""))
      series.warnings = [warning] + (series.warnings ?? [])
    }
    return series
  }

  package static func parse(_ messages: [MailMessage], source: String) throws -> Series {
    var cover: CoverLetter?
    var patches: [Patch] = []
    var warnings: [String] = []
    // Messages without a diff that are not the cover letter (replies, notes): not applied,
    // and said so. A numbered patch without one is a gap in the series: said on its own.
    var withoutDiff: [String] = []
    var emptyPatches: Set<Int> = []
    for message in messages {
      let subject = SubjectLine(message.header("Subject") ?? "")
      let body = message.body
      let diff = extractDiff(body)
      if diff == nil, SubjectTags(message.header("Subject") ?? "").reply {
        withoutDiff.append(message.header("Subject") ?? "")
        continue
      }
      if diff == nil {
        if subject.number == 0 || cover == nil && patches.isEmpty && (subject.number ?? 0) == 0 {
          cover = CoverLetter(
            subject: subject.title, messageID: message.messageID, baseCommit: baseCommit(in: body),
            body: body, envelope: MailEnvelope(message))
        } else if let number = subject.number, number > 0 {
          emptyPatches.insert(number)
          warnings.append(
            VisibleText.of(
              "patch \(number)/\(subject.total ?? 0) '\(subject.title)' has no diff; skipped, the series is applied without it"))
        } else {
          withoutDiff.append(subject.title)
        }
        continue
      }
      guard let diff else { continue }
      let (read, dateWarning) = patch(message, subject: subject, diff: diff, position: patches.count + 1)
      if let dateWarning { warnings.append(dateWarning) }
      patches.append(read)
    }
    guard !patches.isEmpty else {
      throw PatchCheckError(
        .seriesEmpty, "\(source) holds no patches (no message with a 'diff --git' part)",
        hint: "check the file is the series' mbox, e.g. from 'b4 mbox'")
    }
    patches.sort { $0.number < $1.number }
    warnings += gaps(in: patches, saidAlready: emptyPatches)
    if !withoutDiff.isEmpty { warnings.append(skippedWarning(withoutDiff)) }
    let version = patches.first?.version
    return Series(
      title: cover?.subject ?? patches[0].subject, version: version, cover: cover,
      patches: patches, source: source, warnings: warnings.isEmpty ? nil : warnings)
  }

  /// The patch a mail with a diff holds (numbered by its `position` in the mbox when its
  /// subject has no number), and a warning when its date cannot be read.
  private static func patch(_ message: MailMessage, subject: SubjectLine, diff: String, position: Int) -> (Patch, String?) {
    let (author, messageText, dateProblem) = authorAndMessage(message: message, subject: subject.title)
    var warning: String?
    if let dateProblem {
      let number = subject.number.map { " \($0)/\(subject.total ?? 0)" } ?? ""
      warning = VisibleText.of("patch\(number) '\(subject.title)': \(dateProblem); its commit is dated now")
    }
    let patch = Patch(
      number: subject.number ?? position, total: subject.total ?? 0,
      version: subject.version, subject: subject.title, author: author,
      messageID: message.messageID, commitMessage: messageText,
      trailers: trailers(in: messageText), diff: diff, files: diffstat(diff),
      baseCommit: baseCommit(in: message.body), envelope: MailEnvelope(message))
    return (patch, warning)
  }

  /// The warning naming the messages that had no diff and were not the cover letter.
  private static func skippedWarning(_ withoutDiff: [String]) -> String {
    VisibleText.of(
      "skipped \(withoutDiff.count) message(s) with no diff (replies or notes): "
        + withoutDiff.prefix(3).map { "'\($0.prefix(80))'" }.joined(separator: ", ") + (withoutDiff.count > 3 ? ", ..." : ""))
  }

  /// Numbers of an "N/M" series that no mail holds, and numbers two mails hold.
  package static func gaps(in patches: [Patch], saidAlready: Set<Int>) -> [String] {
    var warnings: [String] = []
    let totals = Set(patches.map(\.total))
    if totals.count == 1, let total = totals.first, total > 0 {
      let numbers = Set(patches.map(\.number))
      var missing: [Int] = []
      // At most patches.count + 10 steps to find the first ten, whatever `total` claims.
      var number = 1
      while number <= total, missing.count < 10 {
        if !numbers.contains(number), !saidAlready.contains(number) { missing.append(number) }
        number += 1
      }
      let count = total - numbers.union(saidAlready).filter { (1...total).contains($0) }.count
      if count > 0 {
        warnings.append(
          "\(count) of \(total) patches not in the series: "
            + missing.map { "\($0)/\(total)" }.joined(separator: ", ") + (count > missing.count ? ", ..." : "")
            + "; the rest is applied without them")
      }
    }
    var seen: [Int: String] = [:]
    for patch in patches {
      if let first = seen[patch.number] {
        warnings.append(
          VisibleText.of(
            "two mails are patch \(patch.number)/\(patch.total): '\(first)' and '\(patch.subject)'; both are applied, in that order"))
      } else {
        seen[patch.number] = patch.subject
      }
    }
    return warnings
  }

  package static func readText(_ url: URL) throws -> String {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw PatchCheckError(.seriesUnreadable, "cannot read \(url.path)", hint: "check the path and its permissions")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// From the first `diff --git` line to the `-- ` signature separator (or the end).
  package static func extractDiff(_ body: String) -> String? {
    let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.firstIndex(where: { $0.hasPrefix("diff --git ") }) else { return nil }
    var end = lines.endIndex
    if let sig = lines[start...].firstIndex(where: { $0 == "-- " }) { end = sig }
    var diffLines = Array(lines[start..<end])
    while let last = diffLines.last, last.isEmpty { diffLines.removeLast() }
    // A binary patch's data ends with a blank line, which git and libgit2 require.
    if let lastFile = diffLines.lastIndex(where: { $0.hasPrefix("diff --git ") }),
      diffLines[lastFile...].contains("GIT binary patch")
    {
      diffLines.append("")
    }
    return diffLines.joined(separator: "\n") + "\n"
  }

  package static func baseCommit(in body: String) -> String? {
    for line in body.split(separator: "\n") where line.hasPrefix("base-commit:") {
      return line.dropFirst("base-commit:".count).trimmingCharacters(in: .whitespaces)
    }
    return nil
  }

  /// The author from an in-body `From:` line when present (as `git am` does), else the mail's.
  /// The message is the subject, then the body up to the `---` line before the diffstat.
  /// A Date that is missing or cannot be read dates the commit now, and says why.
  package static func authorAndMessage(message: MailMessage, subject: String) -> (Signature, String, dateProblem: String?) {
    var bodyLines = message.body.split(separator: "\n", omittingEmptySubsequences: false)[...]
    var from = message.header("From") ?? "unknown <unknown@unknown>"
    var date = message.header("Date")
    // In-body headers: From:/Date:/Subject: lines at the very top, then a blank line.
    while let first = bodyLines.first {
      if first.hasPrefix("From: ") {
        from = RFC2047.decode(String(first.dropFirst(6)))
      } else if first.hasPrefix("Date: ") {
        date = String(first.dropFirst(6))
      } else if first.hasPrefix("Subject: ") {
        // A different subject in the body wins, as with git am --scissors-free mails.
      } else {
        break
      }
      bodyLines = bodyLines.dropFirst()
    }
    while let first = bodyLines.first, first.trimmingCharacters(in: .whitespaces).isEmpty {
      bodyLines = bodyLines.dropFirst()
    }
    var messageLines: [Substring] = []
    for line in bodyLines {
      if line == "---" || line.hasPrefix("diff --git ") { break }
      messageLines.append(line)
    }
    while let last = messageLines.last, last.trimmingCharacters(in: .whitespaces).isEmpty {
      messageLines.removeLast()
    }
    let (name, email) = Address.parse(from)
    let parsed = date.flatMap(MailDate.parse)
    let problem =
      parsed != nil ? nil : date.map { "unreadable Date '\($0.prefix(80))'" } ?? "no Date header"
    let (time, offset) = parsed ?? (Date(), 0)
    let text = subject + "\n\n" + messageLines.joined(separator: "\n") + "\n"
    return (Signature(name: name, email: email, time: time, offsetMinutes: offset), text, problem)
  }

  /// Trailers: `Key: value` lines of the message's last paragraph.
  package static func trailers(in message: String) -> [Patch.Trailer] {
    let paragraphs = message.components(separatedBy: "\n\n")
    guard paragraphs.count > 1, let last = paragraphs.last else { return [] }
    let pattern = #/^([A-Za-z][A-Za-z0-9-]*): (.+)$/#
    var result: [Patch.Trailer] = []
    for line in last.split(separator: "\n") {
      guard let match = try? pattern.wholeMatch(in: String(line)) else { return [] }
      result.append(Patch.Trailer(key: String(match.output.1), value: String(match.output.2)))
    }
    return result
  }

  /// Lines added and removed per file, as `git apply --numstat` counts them.
  package static func diffstat(_ diff: String) -> [FileStat] {
    var stats: [FileStat] = []
    var inHunk = false
    for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("diff --git ") {
        let path = line.split(separator: " ").last.map { String($0.dropFirst(2)) } ?? ""
        stats.append(FileStat(path: path, added: 0, removed: 0))
        inHunk = false
      } else if line.hasPrefix("+++ "), !inHunk {
        let target = line.dropFirst(4)
        if target != "/dev/null", !stats.isEmpty { stats[stats.count - 1].path = String(target.dropFirst(2)) }
      } else if line.hasPrefix("@@") {
        inHunk = true
      } else if inHunk, !stats.isEmpty {
        if line.hasPrefix("+") { stats[stats.count - 1].added += 1 }
        if line.hasPrefix("-") { stats[stats.count - 1].removed += 1 }
      }
    }
    return stats
  }
}

/// `[PATCH v9 1/3] PCI/IOV: title` -> version 9, number 1, total 3, title (`SubjectTags`).
package struct SubjectLine {
  package var title: String
  package var version: Int?
  package var number: Int?
  package var total: Int?

  package init(_ subject: String) {
    let tags = SubjectTags(subject)
    title = tags.title
    version = tags.version
    number = tags.counter
    total = tags.expected
  }
}

package enum Address {
  /// `Name <email>` (quotes removed) or a bare address.
  package static func parse(_ value: String) -> (String, String) {
    if let open = value.lastIndex(of: "<"), let close = value.lastIndex(of: ">"), open < close {
      let name = value[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
      let email = String(value[value.index(after: open)..<close])
      return (name.isEmpty ? email : name, email)
    }
    let bare = value.trimmingCharacters(in: .whitespaces)
    return (bare, bare)
  }
}

package enum MailDate {
  /// RFC 2822 date and its UTC offset in minutes; nil when unreadable.
  package static func parse(_ value: String) -> (Date, Int)? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    let trimmed = value.replacingOccurrences(of: #"\s*\(.*\)$"#, with: "", options: .regularExpression)
    for format in ["EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm Z"] {
      formatter.dateFormat = format
      if let date = formatter.date(from: trimmed) {
        var offset = 0
        if let zone = trimmed.split(separator: " ").last, zone.count == 5,
          let number = Int(zone.dropFirst())
        {
          offset = (number / 100 * 60 + number % 100) * (zone.first == "-" ? -1 : 1)
        }
        return (date, offset)
      }
    }
    return nil
  }
}

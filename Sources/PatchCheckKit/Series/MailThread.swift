// A thread as the list delivers it (lore's t.mbox.gz, `b4 mbox`, a folder of mails) read into
// the one series to run: messages grouped into revisions as b4 groups them (the `vN` tag, a
// cover's revision carried to the patches below it, an unlabelled re-post by the same author
// being the next revision), the newest complete revision taken unless one is asked for,
// replies never taken whatever they carry, a message seen twice (same Message-ID, or a RESEND
// of the same diff) taken once. What was chosen and what was left is said in one line.

import Foundation
import PatchCheckBase

/// What a thread held and what was taken from it (`series show --json`, the report).
package struct ThreadReading: Sendable, Codable, Equatable {
  package struct Revision: Sendable, Codable, Equatable {
    package var version: Int
    /// Patches present (a cover not counted).
    package var patches: Int
    /// The `n` of `k/n`.
    package var expected: Int
    /// Numbers of `k/n` no mail holds.
    package var missing: [Int]
    /// Places taken from the revision before: a partial re-roll (b4's reading).
    package var borrowed: [Int]?
    package var cover: String?
    /// Message-id of its cover, else of its first patch.
    package var messageID: String?
    package var complete: Bool { missing.isEmpty }
  }

  /// Every revision found, oldest posting first.
  package var revisions: [Revision]
  package var chosen: Int
  /// Why the chosen one: "newest", "asked for", or which newer one was incomplete.
  package var how: String
  package var replies: Int
  /// Replies that carried a diff of their own (a reviewer's "something like this"): left.
  package var repliesWithDiff: Int
  /// Messages read twice (the same Message-ID), kept once.
  package var duplicates: Int
  /// Patches posted again with the same diff (RESEND): the newest posting kept.
  package var resent: Int
  /// Messages neither patch, cover nor reply (notes without a diff).
  package var other: Int

  /// `v10, 2 patches; also in the thread: v9 (1 patch), 2 replies`.
  package var line: String {
    let chosenRevision = revisions.first { $0.version == chosen }
    var text = "v\(chosen), " + Self.count(chosenRevision?.patches ?? 0, "patch", "patches")
    if let missing = chosenRevision?.missing, !missing.isEmpty {
      text += " (missing " + missing.map { "\($0)/\(chosenRevision?.expected ?? 0)" }.joined(separator: ", ") + ")"
    }
    if let borrowed = chosenRevision?.borrowed {
      text +=
        " (" + borrowed.map { "\($0)/\(chosenRevision?.expected ?? 0)" }.joined(separator: ", ")
        + " from v\(chosen - 1): a partial re-roll)"
    }
    if how != "newest" { text += ", \(how)" }
    var also: [String] = []
    for revision in revisions where revision.version != chosen {
      let hole = revision.complete ? "" : ", incomplete"
      also.append("v\(revision.version) (\(Self.count(revision.patches, "patch", "patches"))\(hole))")
    }
    if replies > 0 {
      also.append(
        Self.count(replies, "reply", "replies") + (repliesWithDiff > 0 ? " (\(repliesWithDiff) with a diff, not applied)" : ""))
    }
    if duplicates > 0 { also.append(Self.count(duplicates, "duplicate message", "duplicate messages")) }
    if resent > 0 { also.append(Self.count(resent, "earlier posting of a resent patch", "earlier postings of resent patches")) }
    if other > 0 { also.append(Self.count(other, "other message", "other messages")) }
    return also.isEmpty ? text : text + "; also in the thread: " + also.joined(separator: ", ")
  }

  /// Whether the thread held anything but the series taken (the line is then worth saying).
  package var leftSomething: Bool {
    revisions.count > 1 || replies + duplicates + resent + other > 0 || revisions.contains { !$0.complete }
  }

  package static func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
}

package enum MailThread {
  /// One message as the thread reader sees it.
  package struct Entry {
    package var mail: MailMessage
    package var id: String?
    package var inReplyTo: String?
    package var references: [String]
    package var tags: SubjectTags
    package var sender: String
    package var date: Date
    package var hasDiff: Bool
    package var hasDiffstat: Bool
    package var revision: Int
    package var counter: Int { tags.counter ?? 1 }
    package var expected: Int { max(tags.expected ?? 1, counter) }
    package var countersInferred: Bool { tags.counter == nil }
  }

  /// A revision's patches by position (index 0: the cover).
  package struct Revision {
    package var version: Int
    package var slots: [Entry?] = [nil]
    package var resent = 0
    /// Places filled from the revision before (a partial re-roll: only the changed patches
    /// were posted again, each in reply to the one it replaces).
    package var borrowed: [Int] = []

    package var expected: Int { slots.count - 1 }
    package var present: [Entry] { slots.dropFirst().compactMap { $0 } }
    package var missing: [Int] { (1..<max(slots.count, 1)).filter { slots[$0] == nil } }
    package var firstDate: Date? { present.map(\.date).min() }

    /// b4's add_patch, and a RESEND of the same diff at the same place taken once (the newest).
    package mutating func add(_ entry: Entry) {
      while slots.count < entry.expected + 1 { slots.append(nil) }
      guard let existing = slots[entry.counter] else {
        slots[entry.counter] = entry
        return
      }
      if MailThread.sameDiff(existing, entry) {
        slots[entry.counter] = existing.date > entry.date ? existing : entry
        resent += 1
      } else if existing.countersInferred && !entry.countersInferred {
        slots[entry.counter] = entry
      } else {
        // Two different patches claim one place: both kept, the later-read one first (b4).
        slots.insert(entry, at: entry.counter)
      }
    }
  }

  /// The messages of the chosen revision in order (cover first when there is one), and what
  /// the thread held. `messageID` keeps only the thread that holds it; with `itsRevision`
  /// (a manifest naming its series by one message) the revision that message belongs to is
  /// taken rather than the newest.
  package static func select(_ messages: [MailMessage], revision asked: Int?, messageID: String?, itsRevision: Bool = false) throws
    -> (messages: [MailMessage], reading: ThreadReading)
  {
    var (entries, duplicates) = unique(messages)
    if let messageID, entries.contains(where: { $0.id == messageID }) {
      entries = thread(holding: messageID, in: entries)
    }
    entries.sort { $0.date < $1.date }
    var grouping = Grouping()
    for entry in entries { grouping.add(entry) }
    grouping.fillPartialRerolls()
    let (version, how) =
      if asked == nil, itsRevision, let messageID, let named = grouping.revisionOf[messageID] {
        (named, "the revision of <\(messageID)>")
      } else {
        try grouping.choose(asked)
      }
    // A revision with a hole is taken only when asked for by number, however it was named.
    if asked == nil, let named = grouping.revisions[version], !named.missing.isEmpty {
      let gap = named.missing.map { "\($0)/\(named.expected)" }.joined(separator: ", ")
      throw PatchCheckError(
        .seriesRevision, "v\(version) of the thread lacks \(gap)",
        hint: "save the missing mails into the thread, or run what is there with --revision \(version)")
    }
    guard let revision = grouping.revisions[version] else { throw noPatches(messages.count) }
    var chosen: [MailMessage] = []
    if let cover = grouping.cover(of: revision) { chosen.append(cover.mail) }
    chosen += revision.present.map(\.mail)
    // A numbered mail of this revision without a diff is a hole; the series reader names it.
    chosen += grouping.empty.filter { $0.revision == version }.map(\.mail)
    let reading = ThreadReading(
      revisions: grouping.ordered.map { found in
        ThreadReading.Revision(
          version: found.version, patches: found.present.count, expected: found.expected, missing: found.missing,
          borrowed: found.borrowed.isEmpty ? nil : found.borrowed,
          cover: grouping.cover(of: found).map(\.tags.title),
          messageID: (grouping.cover(of: found) ?? found.present.first)?.id)
      },
      chosen: version, how: how, replies: grouping.replies.count,
      repliesWithDiff: grouping.replies.filter(\.hasDiff).count, duplicates: duplicates,
      resent: revision.resent, other: grouping.other)
    return (chosen, reading)
  }

  package static func noPatches(_ count: Int) -> PatchCheckError {
    PatchCheckError(
      .seriesEmpty, "no patches among the thread's \(count) message(s) (none but replies has a 'diff --git' part)",
      hint: "check the file is the series' thread, e.g. from 'b4 mbox' or lore's t.mbox.gz")
  }

  /// The b4 state: revisions, covers, replies, what is neither.
  package struct Grouping {
    package var revisions: [Int: Revision] = [:]
    package var covers: [Int: Entry] = [:]
    package var replies: [Entry] = []
    package var byID: [String: Entry] = [:]
    /// Numbered mails of a series that carry no diff (not covers, not replies).
    package var empty: [Entry] = []
    /// The revision each patch and cover was put in.
    package var revisionOf: [String: Int] = [:]
    package var other = 0

    /// Revisions in the order they were posted (their first patch's date), as b4 orders them.
    package var ordered: [Revision] {
      revisions.values.sorted { ($0.firstDate ?? .distantPast, $0.version) < ($1.firstDate ?? .distantPast, $1.version) }
    }

    package mutating func add(_ original: Entry) {
      var entry = original
      if let id = entry.id { byID[id] = entry }
      // A follow-up with a trailer and no diff is a reply even without "Re:" (b4).
      let isFollowUp =
        entry.tags.reply
        || (!entry.hasDiff && !entry.references.isEmpty && entry.tags.counter != 0 && Self.hasReviewTrailer(entry.mail.body))
      if isFollowUp {
        replies.append(entry)
        return
      }
      if entry.tags.counter == 0, !entry.countersInferred || entry.hasDiffstat {
        covers[entry.revision] = entry
        if let id = entry.id { revisionOf[id] = entry.revision }
        return
      }
      guard entry.hasDiff else {
        if let counter = entry.tags.counter, counter > 0 { empty.append(entry) } else { other += 1 }
        return
      }
      if revisions[entry.revision] == nil, entry.tags.version == nil, let parent = entry.inReplyTo.flatMap({ byID[$0] }) {
        // An untagged patch below a cover (or below patch 1) belongs to that revision.
        if parent.hasDiffstat && !parent.hasDiff || entry.counter > 0 && parent.hasDiff && parent.counter == 1 {
          entry.revision = parent.revision
        }
      }
      if revisions[entry.revision] == nil { revisions[entry.revision] = Revision(version: entry.revision) }
      // The same author posting an unlabelled patch 1 again, later: the next revision (b4).
      if entry.counter == 1, entry.countersInferred, entry.tags.patch, !entry.tags.resend,
        let earlier = revisions[entry.revision]?.slots[safe: 1] ?? nil, earlier.countersInferred,
        earlier.sender == entry.sender, earlier.date < entry.date, !MailThread.sameDiff(earlier, entry)
      {
        // The next number no revision has (b4 counts revisions, which can name one that exists).
        entry.revision = (revisions.keys.max() ?? 0) + 1
        revisions[entry.revision] = Revision(version: entry.revision)
      }
      revisions[entry.revision, default: Revision(version: entry.revision)].add(entry)
      if let id = entry.id { revisionOf[id] = entry.revision }
    }

    /// b4's partial re-roll: a revision with holes whose every patch answers (up its thread) the
    /// patch of the same k/n in the revision before takes that revision's patches for its holes.
    package mutating func fillPartialRerolls() {
      for version in revisions.keys.sorted() {
        guard let revision = revisions[version], !revision.missing.isEmpty,
          let previous = revisions[version - 1], previous.missing.isEmpty,
          revision.present.allSatisfy({ answersItsPredecessor($0) })
        else { continue }
        var filled = revision
        for place in revision.missing where place < previous.slots.count {
          filled.slots[place] = previous.slots[place]
          filled.borrowed.append(place)
        }
        revisions[version] = filled
      }
    }

    private func answersItsPredecessor(_ patch: Entry) -> Bool {
      var parent = patch.inReplyTo.flatMap { byID[$0] }
      var seen: Set<String> = []
      while let current = parent, let id = current.id, !seen.contains(id) {
        if current.counter == patch.counter && current.expected == patch.expected && current.hasDiff { return true }
        seen.insert(id)
        parent = current.inReplyTo.flatMap { byID[$0] }
      }
      return false
    }

    /// The asked revision, else the newest complete one.
    package func choose(_ asked: Int?) throws -> (Int, String) {
      let found = ordered
      guard let newest = found.last else { throw MailThread.noPatches(byID.count + replies.count + other) }
      let names = found.map { "v\($0.version)" }.joined(separator: ", ")
      if let asked {
        guard revisions[asked] != nil else {
          throw PatchCheckError(
            .seriesRevision, "the thread has no v\(asked) (it has \(names))", hint: "pick one of those with --revision N")
        }
        return (asked, "asked for")
      }
      if newest.missing.isEmpty { return (newest.version, "newest") }
      let gap = newest.missing.map { "\($0)/\(newest.expected)" }.joined(separator: ", ")
      guard let complete = found.last(where: { $0.missing.isEmpty }) else {
        throw PatchCheckError(
          .seriesRevision, "v\(newest.version) of the thread lacks \(gap) and no revision is complete (found \(names))",
          hint: "save the missing mails into the thread, or run what is there with --revision \(newest.version)")
      }
      return (complete.version, "v\(newest.version) lacks \(gap) (--revision \(newest.version) runs it without)")
    }

    /// The revision's cover: a `0/n` of that revision, else the message its first patch
    /// answers when that looks like a cover (b4).
    package func cover(of revision: Revision) -> Entry? {
      if let cover = covers[revision.version] { return cover }
      for patch in revision.present {
        guard let parentID = patch.inReplyTo, let parent = byID[parentID], !parent.hasDiff else { continue }
        if parent.hasDiffstat || parent.inReplyTo == nil && !parent.tags.reply && parent.sender == patch.sender {
          return parent
        }
      }
      return nil
    }

    package static func hasReviewTrailer(_ body: String) -> Bool {
      body.range(
        of: #"(?m)^(Reviewed|Acked|Tested|Reported|Suggested)-by: "#, options: .regularExpression) != nil
    }
  }

  /// Messages with their thread fields; one per Message-ID (the first read).
  package static func unique(_ messages: [MailMessage]) -> ([Entry], duplicates: Int) {
    var seen: Set<String> = []
    var entries: [Entry] = []
    var duplicates = 0
    for mail in messages {
      if let id = mail.messageID {
        if seen.contains(id) {
          duplicates += 1
          continue
        }
        seen.insert(id)
      }
      entries.append(entry(mail))
    }
    return (entries, duplicates)
  }

  package static func entry(_ mail: MailMessage) -> Entry {
    let ids = MailEnvelope.messageIDs
    let tags = SubjectTags(mail.header("Subject") ?? "")
    let body = mail.body
    return Entry(
      mail: mail, id: mail.messageID, inReplyTo: ids(mail.header("In-Reply-To")).first,
      references: ids(mail.header("References")), tags: tags,
      sender: Address.parse(mail.header("From") ?? "").1.lowercased(),
      date: mail.header("Date").flatMap(MailDate.parse)?.0 ?? .distantPast,
      hasDiff: SeriesParser.extractDiff(body) != nil,
      hasDiffstat: body.range(of: #"(?m)^\s*\d+ files? changed"#, options: .regularExpression) != nil,
      revision: tags.version ?? 1)
  }

  /// The messages linked to `id` through In-Reply-To and References, either way.
  package static func thread(holding id: String, in entries: [Entry]) -> [Entry] {
    var links: [String: Set<String>] = [:]
    for entry in entries {
      guard let own = entry.id else { continue }
      for other in entry.references + [entry.inReplyTo].compactMap({ $0 }) where other != own {
        links[own, default: []].insert(other)
        links[other, default: []].insert(own)
      }
    }
    var reached: Set<String> = [id]
    var queue = [id]
    while let next = queue.popLast() {
      for other in links[next] ?? [] where !reached.contains(other) {
        reached.insert(other)
        queue.append(other)
      }
    }
    return entries.filter { $0.id.map(reached.contains) ?? false }
  }

  /// Two postings of one change: the same diff once `index` lines and hunk positions are set aside.
  package static func sameDiff(_ a: Entry, _ b: Entry) -> Bool {
    func normal(_ entry: Entry) -> [Substring] {
      guard let diff = SeriesParser.extractDiff(entry.mail.body) else { return [] }
      return diff.split(separator: "\n").filter { !$0.hasPrefix("index ") }.map { line in
        line.hasPrefix("@@") ? "@@" : line
      }
    }
    let left = normal(a)
    return !left.isEmpty && left == normal(b)
  }
}

extension Array {
  package subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

// Why a patch that does not apply may need no applying: the tree already holds its change
// (a series partly merged upstream, issue 32). A patch is judged hunk by hunk: its result
// (the postimage) stands where the hunk goes, or, in another form (other context around
// it), its added lines stand together in the file and its removed lines are gone from there.

import Foundation
import PatchCheckBase

/// What the applier found of a patch that did not apply: whether the tree has its change,
/// how that was seen, and whether the history has a commit with its subject.
package struct AlreadyInTree: Sendable, Codable, Equatable {
  package enum Evidence: String, Sendable, Codable {
    /// The patch's reverse applies: the tree is exactly what the patch makes.
    case reverseApplies = "reverse-applies"
    /// Each hunk's added lines are in the file where it goes, its removed lines are not.
    case addedLinesPresent = "added-lines-present"
  }

  /// How the change was seen in the tree; nil when it was not (the patch conflicts).
  package var evidence: Evidence?
  /// The patch's added and removed lines that say something (not blank, not only braces,
  /// not moved), and the files they were looked for in.
  package var addedLines: Int
  package var removedLines: Int
  package var files: [String]
  /// When the change is not all there: how many of the added lines stand in the tree
  /// together, with none of the removed ones among them (a later form of the patch, maybe).
  package var addedLinesFound: Int?
  /// Hunks whose change the tree has, as "file#n", when only some of them are in.
  package var hunksIn: [String]?
  /// The base's history searched for the patch's subject.
  package var history: SubjectSearch?

  package var inTree: Bool { evidence != nil }

  /// Most of the added lines are there: worth saying even though the patch is not skipped.
  package var mostlyThere: Bool { (addedLinesFound ?? 0) * 3 >= addedLines * 2 && addedLines > 0 }

  /// One sentence: "patch 2/3 'PCI: foo' is already in the tree: its 12 added lines are in
  /// drivers/pci/iov.c (and its subject is commit abc123def456 'PCI: foo')".
  package func sentence(number: Int, total: Int, subject: String) -> String {
    let name = "patch \(number)/\(total) '\(subject)'"
    let where_ = files.joined(separator: ", ")
    guard let evidence else {
      var clauses: [String] = []
      if mostlyThere, let found = addedLinesFound {
        clauses.append("\(found) of its \(addedLines) added lines stand together in \(where_): a later form of it may be there")
      }
      if let hunksIn {
        clauses.append((hunksIn.count == 1 ? "hunk \(hunksIn[0]) is" : "hunks \(hunksIn.joined(separator: ", ")) are") + " already there")
      }
      let detail = clauses.isEmpty ? "" : " (\(clauses.joined(separator: "; ")))"
      return "\(name) is not in the tree as it makes it\(detail); \(historyClause)"
    }
    let lines =
      addedLines == 0
      ? (removedLines == 1 ? "its 1 removed line is gone from" : "its \(removedLines) removed lines are gone from")
      : (addedLines == 1 ? "its 1 added line is in" : "its \(addedLines) added lines are in")
    let how = evidence == .reverseApplies ? "its reverse applies cleanly" : "in another form"
    return "\(name) is already in the tree: \(lines) \(where_) (\(how); \(historyClause))"
  }

  /// What the history says of the subject.
  var historyClause: String {
    guard let history else { return "the history was not searched" }
    if let commit = history.commit {
      return "its subject is commit \(commit.prefix(12)) '\(history.subject ?? "")'"
    }
    let count = history.searched == 1 ? "1 commit" : "\(history.searched) commits"
    return history.complete
      ? "its subject is not found in the history (\(count), the whole history)"
      : "its subject is not found in the newest \(count) of the history"
  }
}

/// How much of a hunk's change stands in a file.
package struct HunkPresence: Sendable, Equatable {
  /// The whole change is there (the hunk needs no applying).
  package var holds: Bool
  /// The hunk's significant added lines, and how many of them stand together in the file.
  package var added: Int
  package var found: Int
}

/// Whether a hunk's change stands in a file, by its lines.
package enum ChangePresence {
  /// A line that says something: not blank, not only braces, brackets and punctuation.
  package static func significant(_ line: String) -> Bool {
    line.contains { !$0.isWhitespace && !"{}()[];,".contains($0) }
  }

  package static func normalized(_ line: String) -> String {
    line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }

  /// Significant lines of the hunk with one prefix ("+", "-", " "), normalized.
  package static func lines(of hunk: Hunk, _ prefix: Character) -> [String] {
    hunk.lines.filter { $0.first == prefix }.map { normalized(String($0.dropFirst())) }.filter(significant)
  }

  /// Lines a file's hunks both remove and add (moved, re-indented): neither added nor removed.
  package static func moved(in hunks: [Hunk]) -> Set<String> {
    Set(hunks.flatMap { lines(of: $0, "+") }).intersection(hunks.flatMap { lines(of: $0, "-") })
  }

  /// How much of the hunk's result `lines` (a file of the tree) hold: its postimage exactly
  /// near `expected` (1-based), or its added lines together (within the hunk's length of
  /// the first) with none of its removed lines among them.
  package static func presence(of hunk: Hunk, in lines: [String], near expected: Int, moved: Set<String> = []) -> HunkPresence {
    let added = Self.lines(of: hunk, "+").filter { !moved.contains($0) }
    let removed = Set(Self.lines(of: hunk, "-").filter { !moved.contains($0) })
    let postimage = hunk.lines.compactMap { $0.first == " " || $0.first == "+" ? String($0.dropFirst()) : nil }
    if postimage != hunk.preimage, HunkLocator.locate(postimage, in: lines, near: expected) != nil {
      return HunkPresence(holds: true, added: added.count, found: added.count)
    }
    let file = lines.map(normalized)
    guard !added.isEmpty else {
      return HunkPresence(holds: removalHolds(hunk, removed: removed, in: file), added: 0, found: 0)
    }
    let context = Set(Self.lines(of: hunk, " "))
    // A little evidence (one short line added) must have some of its context beside it.
    let slight = added.count < 2 && added.joined().count < 40
    let span = hunk.lines.count + 3
    let wanted = Set(added)
    var best = (found: 0, clean: false, distance: Int.max)
    for anchor in file.indices where wanted.contains(file[anchor]) {
      let window = file[anchor..<min(file.count, anchor + span)]
      let present = Set(window).intersection(wanted)
      let last = window.lastIndex { present.contains($0) } ?? anchor
      let clean = !file[anchor...last].contains(where: removed.contains)
      let near = !slight || file[max(0, anchor - span)..<min(file.count, anchor + span)].contains(where: context.contains)
      let found = added.filter(present.contains).count
      let candidate = (found: found, clean: clean && near, distance: abs(anchor + 1 - expected))
      if (candidate.clean && !best.clean)
        || (candidate.clean == best.clean && (candidate.found, -candidate.distance) > (best.found, -best.distance))
      {
        best = candidate
      }
    }
    return HunkPresence(holds: best.clean && best.found == added.count, added: added.count, found: best.clean ? best.found : 0)
  }

  /// A hunk that only removes: its removed lines are gone from where most of its context
  /// stands (the place holding the most of the context lines).
  static func removalHolds(_ hunk: Hunk, removed: Set<String>, in file: [String]) -> Bool {
    let context = Set(lines(of: hunk, " "))
    guard !removed.isEmpty, !context.isEmpty else { return false }
    let reach = hunk.lines.count + 3
    var best = (present: 0, clean: false)
    for anchor in file.indices where context.contains(file[anchor]) {
      let window = file[max(0, anchor - reach)..<min(file.count, anchor + reach)]
      let present = Set(window).intersection(context).count
      let clean = !window.contains(where: removed.contains)
      if present > best.present || (present == best.present && clean && !best.clean) { best = (present, clean) }
    }
    return best.clean && best.present * 2 >= context.count
  }
}

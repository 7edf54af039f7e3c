// The hunks of a `diff --git` text: what each patch of a series changes, file by file and
// hunk by hunk (read to edit variants and to report where each hunk lands).

import Foundation
import PatchCheckBase

package struct DiffFile: Sendable {
  package var oldPath: String?
  package var newPath: String?
  package var hunks: [Hunk]
  /// The file's lines before its first hunk (`diff --git`, `index`, modes, `---`, `+++`).
  package var header: [String] = []
  package var path: String { newPath ?? oldPath ?? "" }
}

package struct Hunk: Sendable {
  package var oldStart: Int
  package var oldCount: Int
  package var newStart: Int
  package var newCount: Int
  /// The text after the second `@@`: usually the enclosing function.
  package var section: String
  /// Body lines with their ' ', '-', '+' prefix.
  package var lines: [String]

  /// Lines the file must have for the hunk to apply (context and removed lines).
  package var preimage: [String] {
    lines.compactMap { line in
      guard let first = line.first else { return "" }
      return first == " " || first == "-" ? String(line.dropFirst()) : nil
    }
  }

  /// Counts recomputed from the lines (after an edit changed them).
  package mutating func recount() {
    oldCount = lines.filter { $0.first == " " || $0.first == "-" || $0.isEmpty }.count
    newCount = lines.filter { $0.first == " " || $0.first == "+" || $0.isEmpty }.count
  }
}

package enum UnifiedDiff {
  /// The lines each file loses and gains, whatever the context and hunk layout: two diffs
  /// that make the same change have the same change set, even when one was made with other
  /// context or aligned differently.
  package static func changeSet(_ files: [DiffFile]) -> [String: [String]] {
    var result: [String: [String]] = [:]
    for file in files {
      let changes = file.hunks.flatMap(\.lines).filter { $0.first == "+" || $0.first == "-" }
        .map { String($0.prefix(1)) + $0.dropFirst().trimmingCharacters(in: .whitespaces) }
      result[file.path, default: []] += changes
    }
    return result.mapValues { $0.sorted() }.filter { !$0.value.isEmpty }
  }

  /// The context the diff was made with (`-U`): the longest run of context at either end
  /// of a hunk.
  package static func contextLines(of files: [DiffFile]) -> Int {
    var most = 0
    for hunk in files.flatMap(\.hunks) {
      let body = hunk.lines.filter { !$0.hasPrefix("\\") }
      let leading = body.prefix { $0.first == " " || $0.isEmpty }.count
      let trailing = body.reversed().prefix { $0.first == " " || $0.isEmpty }.count
      most = max(most, leading, trailing)
    }
    return most
  }

  package static func parse(_ diff: String) throws -> [DiffFile] {
    var reader = DiffReader()
    for raw in diff.split(separator: "\n", omittingEmptySubsequences: false) {
      try reader.read(String(raw))
    }
    return try reader.finished()
  }
}

/// `UnifiedDiff.parse` line by line: the files read so far, the file and hunk being read, and
/// how many old and new lines that hunk still has to come.
private struct DiffReader {
  var files: [DiffFile] = []
  var current: DiffFile?
  var hunk: Hunk?
  var remainingOld = 0
  var remainingNew = 0

  mutating func closeHunk() {
    if let h = hunk { current?.hunks.append(h) }
    hunk = nil
  }

  mutating func closeFile() {
    closeHunk()
    if let f = current { files.append(f) }
    current = nil
  }

  /// What a line is: a line of the open hunk's body, a marker after its last line, the start
  /// of a file, or a line of the file's header.
  mutating func read(_ line: String) throws {
    if hunk != nil, remainingOld > 0 || remainingNew > 0 {
      try readBody(line)
      return
    }
    if line.hasPrefix("\\"), hunk != nil {
      hunk?.lines.append(line)  // "\ No newline at end of file" after a hunk's last line
      return
    }
    if line.hasPrefix("diff --git ") {
      closeFile()
      let parts = line.split(separator: " ")
      current = DiffFile(
        oldPath: parts.count >= 4 ? String(parts[2].dropFirst(2)) : nil,
        newPath: parts.count >= 4 ? String(parts[3].dropFirst(2)) : nil, hunks: [], header: [line])
      return
    }
    try readHeader(line)
  }

  /// A line inside a hunk: which side(s) it counts for, or that it is malformed.
  mutating func readBody(_ line: String) throws {
    let first = line.first ?? " "
    switch first {
    case " ":
      remainingOld -= 1
      remainingNew -= 1
    case "-": remainingOld -= 1
    case "+": remainingNew -= 1
    case "\\":
      hunk?.lines.append(line)
      return
    default:
      if line.isEmpty {  // an empty context line whose space was stripped by a mailer
        remainingOld -= 1
        remainingNew -= 1
        hunk?.lines.append(" ")
        return
      }
      throw PatchCheckError(
        .patchMalformed, "malformed hunk line '\(line.prefix(60))'",
        hint: "the patch was damaged in transit; fetch it again (e.g. with b4)")
    }
    hunk?.lines.append(line)
  }

  /// A line outside a hunk body: kept in the file's header before its first hunk; `---` and
  /// `+++` name the paths, `@@` opens a hunk.
  mutating func readHeader(_ line: String) throws {
    if hunk == nil, !line.hasPrefix("@@ ") { current?.header.append(line) }
    if line.hasPrefix("--- ") {
      closeHunk()
      let path = line.dropFirst(4)
      current?.oldPath = path == "/dev/null" ? nil : String(path.dropFirst(2))
    } else if line.hasPrefix("+++ ") {
      let path = line.dropFirst(4)
      current?.newPath = path == "/dev/null" ? nil : String(path.dropFirst(2))
    } else if line.hasPrefix("@@ ") {
      closeHunk()
      guard let header = HunkHeader(line) else {
        throw PatchCheckError(
          .patchMalformed, "malformed hunk header '\(line.prefix(60))'",
          hint: "the patch was damaged in transit; fetch it again (e.g. with b4)")
      }
      hunk = Hunk(
        oldStart: header.oldStart, oldCount: header.oldCount, newStart: header.newStart,
        newCount: header.newCount, section: header.section, lines: [])
      remainingOld = header.oldCount
      remainingNew = header.newCount
    }
  }

  /// The files read, once the diff ended; an error when it ended inside a hunk short of an
  /// added or removed line.
  mutating func finished() throws -> [DiffFile] {
    // The diff ended inside a hunk. Short by as many old as new lines, only context can be
    // missing (a mailer strips trailing blank lines too); short unequally, an added or a
    // removed line is missing: the mail was cut, and is not applied as far as it goes.
    if let hunk, remainingOld != remainingNew, remainingOld > 0 || remainingNew > 0 {
      let file = current?.newPath ?? current?.oldPath ?? "?"
      throw PatchCheckError(
        .patchMalformed,
        "the diff ends inside the hunk at \(file):\(hunk.oldStart) (\(max(0, remainingOld)) old and \(max(0, remainingNew)) new line(s) missing): it was cut short",
        hint: "the mail was truncated; fetch it again (e.g. with b4)")
    }
    closeFile()
    return files
  }
}

extension UnifiedDiff {
  /// The diff text of `files`: headers, then each hunk with its header recomputed.
  /// New-side starts shift by what earlier hunks of the same file added or removed.
  package static func render(_ files: [DiffFile]) -> String {
    var out: [String] = []
    for file in files {
      out += file.header
      var delta = 0
      for hunk in file.hunks {
        let section = hunk.section.isEmpty ? "" : " \(hunk.section)"
        let newStart = hunk.oldStart == 0 ? hunk.newStart : hunk.oldStart + delta
        out.append("@@ -\(hunk.oldStart),\(hunk.oldCount) +\(newStart),\(hunk.newCount) @@\(section)")
        out += hunk.lines
        delta += hunk.newCount - hunk.oldCount
      }
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// The diff that undoes `files`: a patch whose reverse applies cleanly is already in the tree.
  package static func reversed(_ files: [DiffFile]) -> String {
    render(
      files.map { file in
        var file = file
        file.header = file.header.compactMap { line in
          if line.hasPrefix("--- ") { return "+++ " + (file.newPath.map { "b/\($0)" } ?? "/dev/null") }
          if line.hasPrefix("+++ ") { return "--- " + (file.oldPath.map { "a/\($0)" } ?? "/dev/null") }
          if line.hasPrefix("new file mode") { return line.replacingOccurrences(of: "new file", with: "deleted file") }
          if line.hasPrefix("deleted file mode") { return line.replacingOccurrences(of: "deleted file", with: "new file") }
          if line.hasPrefix("index ") { return nil }
          return line
        }
        // Keep --- before +++.
        if let minus = file.header.firstIndex(where: { $0.hasPrefix("--- ") }),
          let plus = file.header.firstIndex(where: { $0.hasPrefix("+++ ") }), plus < minus
        {
          file.header.swapAt(minus, plus)
        }
        file.hunks = file.hunks.map { hunk in
          var hunk = hunk
          hunk.lines = hunk.lines.map { line in
            switch line.first {
            case "+": "-" + line.dropFirst()
            case "-": "+" + line.dropFirst()
            default: line
            }
          }
          swap(&hunk.oldStart, &hunk.newStart)
          swap(&hunk.oldCount, &hunk.newCount)
          return hunk
        }
        return file
      })
  }

  /// Rewrites each hunk header to start where the hunk was found (`lines[file][hunk]`,
  /// nil to keep it). libgit2 only searches forward from a hunk's stated line, so a hunk
  /// that moved up (offset < 0) fails there where `git apply` finds it; moving the header
  /// to the located line makes both agree.
  package static func relocate(_ diff: String, to located: [[Int?]]) -> String {
    var fileIndex = -1
    var hunkIndex = 0
    var delta = 0
    var out: [Substring] = []
    var remainingOld = 0
    var remainingNew = 0
    for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
      if remainingOld > 0 || remainingNew > 0 {
        switch line.first {
        case " ", nil:
          remainingOld -= 1
          remainingNew -= 1
        case "-": remainingOld -= 1
        case "+": remainingNew -= 1
        default: break
        }
        out.append(line)
        continue
      }
      if line.hasPrefix("diff --git ") {
        fileIndex += 1
        hunkIndex = 0
        delta = 0
      } else if line.hasPrefix("@@ "), let header = HunkHeader(String(line)) {
        remainingOld = header.oldCount
        remainingNew = header.newCount
        let target =
          fileIndex >= 0 && fileIndex < located.count && hunkIndex < located[fileIndex].count
          ? located[fileIndex][hunkIndex] : nil
        hunkIndex += 1
        if let target, header.oldStart > 0 {
          let newStart = target + delta
          delta += header.newCount - header.oldCount
          let section = header.section.isEmpty ? "" : " \(header.section)"
          out.append("@@ -\(target),\(header.oldCount) +\(newStart),\(header.newCount) @@\(section)")
          continue
        }
        delta += header.newCount - header.oldCount
      }
      out.append(line)
    }
    return out.joined(separator: "\n")
  }
}

package struct HunkHeader {
  package var oldStart, oldCount, newStart, newCount: Int
  package var section: String

  package init?(_ line: String) {
    guard let match = line.firstMatch(of: #/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/#),
      let oldStart = Int(match.output.1), let newStart = Int(match.output.3)
    else { return nil }
    self.oldStart = oldStart
    // An absent count means 1; a count that does not fit an Int is damage, not 1.
    guard let oldCount = match.output.2.map({ Int($0) }) ?? 1, let newCount = match.output.4.map({ Int($0) }) ?? 1 else {
      return nil
    }
    self.oldCount = oldCount
    self.newStart = newStart
    self.newCount = newCount
    self.section = String(match.output.5)
  }
}

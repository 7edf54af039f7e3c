// Variants of a series: named hunk edits applied to the patches' diffs while the series is
// applied (drop hunks, keep only some files, reverse a hunk, rewrite a hunk's context), so
// one posting yields the runs a reviewer needs: as posted, a negative control, backports.
// The tree is never edited by hand: the edited diff is what libgit2 applies.

import Foundation
import PatchCheckBase

/// Which hunks an edit means: a file, and optionally a hunk number (1-based, within that
/// file in that patch) or a function named in the hunk's `@@` line; optionally one patch.
package struct HunkTarget: Sendable, Codable, Equatable {
  package var file: String
  package var hunk: Int?
  package var function: String?
  package var patch: Int?
}

package struct ContextRewrite: Sendable, Codable, Equatable {
  package var file: String
  package var hunk: Int?
  package var function: String?
  package var patch: Int?
  /// A context (or removed) line as the patch has it, and what the target tree has instead.
  package var from: String
  package var to: String

  package var target: HunkTarget { HunkTarget(file: file, hunk: hunk, function: function, patch: patch) }
}

package struct PatchEdit: Sendable, Codable, Equatable {
  package var drop: HunkTarget?
  package var reverse: HunkTarget?
  package var rewriteContext: ContextRewrite?
  package var keepFiles: [String]?
  /// Line of this edit in the manifest, for errors.
  package var line: Int?

  package enum CodingKeys: String, CodingKey {
    case drop, reverse
    case rewriteContext = "rewrite-context"
    case keepFiles = "keep-files"
  }

  package var describe: String {
    if let drop { return "drop \(drop.file)" + (drop.hunk.map { " hunk \($0)" } ?? "") + (drop.function.map { " in \($0)" } ?? "") }
    if let reverse { return "reverse \(reverse.file)" + (reverse.hunk.map { " hunk \($0)" } ?? "") }
    if let rewriteContext { return "rewrite context of \(rewriteContext.file)" }
    if let keepFiles { return "keep only \(keepFiles.joined(separator: ", "))" }
    return "empty edit"
  }
}

/// What an edit did, for the report.
package struct AppliedEdit: Sendable, Codable, Equatable {
  package var edit: String
  package var patch: Int
  package var file: String
  package var hunks: [Int]
}

package enum PatchEditor {
  /// Applies `edits` to every patch of `series`; returns the edited series and what each edit
  /// touched. Every edit must touch something, and no two edits may claim the same hunk in
  /// ways that contradict; otherwise a usage error names the manifest line. Nothing is
  /// applied to any tree here.
  package static func apply(_ edits: [PatchEdit], to series: Series, manifest: String) throws -> (Series, [AppliedEdit]) {
    var session = try EditSession(series: series, manifest: manifest)
    for edit in edits { try session.apply(edit) }
    return session.finished()
  }
}

/// One `PatchEditor.apply`: the series' diffs parsed, which edit claimed which hunk, and what
/// each edit did so far.
private struct EditSession {
  var series: Series
  let manifest: String
  var applied: [AppliedEdit] = []
  var parsed: [[DiffFile]]
  /// (patch, file, hunk) -> the edit that claimed it, for contradiction checks.
  var claims: [String: (kind: String, line: Int?)] = [:]

  init(series: Series, manifest: String) throws {
    self.series = series
    self.manifest = manifest
    parsed = try series.patches.map { try UnifiedDiff.parse($0.diff) }
  }

  func fail(_ edit: PatchEdit, _ message: String) -> PatchCheckError {
    PatchCheckError(
      .usage, "\(manifest)\(edit.line.map { ":\($0)" } ?? ""): \(message)",
      hint: "fix the variant's edits; nothing was applied")
  }

  /// Whether `edit` may claim this hunk: only two context rewrites may share one.
  mutating func claim(_ edit: PatchEdit, kind: String, patch: Int, file: String, hunk: Int) throws {
    let key = "\(patch)/\(file)/\(hunk)"
    if let previous = claims[key], previous.kind != "rewrite" || kind != "rewrite" {
      throw fail(
        edit,
        "'\(edit.describe)' contradicts the edit at line \(previous.line.map(String.init) ?? "?") (\(previous.kind)) on \(file) hunk \(hunk) of patch \(patch)"
      )
    }
    claims[key] = (kind, edit.line)
  }

  /// Indices (patch, file, hunks) a target names; fails when it names nothing.
  func resolve(_ target: HunkTarget, _ edit: PatchEdit) throws -> [(Int, Int, [Int])] {
    var found: [(Int, Int, [Int])] = []
    var fileSeen = false
    for (p, files) in parsed.enumerated() where target.patch == nil || series.patches[p].number == target.patch {
      for (f, file) in files.enumerated() where file.path == target.file || file.oldPath == target.file {
        fileSeen = true
        var hunks = Array(file.hunks.indices)
        if let number = target.hunk {
          guard number >= 1, number <= file.hunks.count else {
            throw fail(
              edit, "\(target.file) has \(file.hunks.count) hunk(s) in patch \(series.patches[p].number); there is no hunk \(number)")
          }
          hunks = [number - 1]
        }
        if let function = target.function {
          hunks = hunks.filter { file.hunks[$0].section.contains(function) }
        }
        if !hunks.isEmpty { found.append((p, f, hunks)) }
      }
    }
    guard fileSeen else {
      let files = Set(parsed.flatMap { $0.map(\.path) }).sorted().joined(separator: ", ")
      throw fail(
        edit, "the series has no file \(target.file)" + (target.patch.map { " in patch \($0)" } ?? "") + " (it touches \(files))")
    }
    guard !found.isEmpty else {
      throw fail(edit, "no hunk of \(target.file) is in a function named \(target.function ?? "")")
    }
    return found
  }

  /// One edit, by its kind; it must name exactly one.
  mutating func apply(_ edit: PatchEdit) throws {
    let kinds = [edit.drop != nil, edit.reverse != nil, edit.rewriteContext != nil, edit.keepFiles != nil].filter { $0 }.count
    guard kinds == 1 else { throw fail(edit, "each edit takes exactly one of drop, reverse, rewrite-context, keep-files") }
    if let target = edit.drop {
      try drop(target, edit)
    } else if let target = edit.reverse {
      try reverse(target, edit)
    } else if let rewrite = edit.rewriteContext {
      try rewriteContext(rewrite, edit)
    } else if let keep = edit.keepFiles {
      try keepFiles(keep, edit)
    }
  }

  /// Which hunks `drop:` removes.
  mutating func drop(_ target: HunkTarget, _ edit: PatchEdit) throws {
    for (p, f, hunks) in try resolve(target, edit) {
      for h in hunks { try claim(edit, kind: "drop", patch: p, file: parsed[p][f].path, hunk: h + 1) }
      applied.append(
        AppliedEdit(edit: edit.describe, patch: series.patches[p].number, file: parsed[p][f].path, hunks: hunks.map { $0 + 1 }))
      // Mark now, remove after all edits so hunk numbers stay those of the posting.
      for h in hunks { parsed[p][f].hunks[h].lines = ["<dropped>"] }
    }
  }

  /// Which hunks `reverse:` turns around (added lines removed, removed ones added).
  mutating func reverse(_ target: HunkTarget, _ edit: PatchEdit) throws {
    for (p, f, hunks) in try resolve(target, edit) {
      for h in hunks {
        try claim(edit, kind: "reverse", patch: p, file: parsed[p][f].path, hunk: h + 1)
        var hunk = parsed[p][f].hunks[h]
        hunk.lines = hunk.lines.map { line in
          switch line.first {
          case "+": "-" + line.dropFirst()
          case "-": "+" + line.dropFirst()
          default: line
          }
        }
        hunk.recount()
        parsed[p][f].hunks[h] = hunk
      }
      applied.append(
        AppliedEdit(edit: edit.describe, patch: series.patches[p].number, file: parsed[p][f].path, hunks: hunks.map { $0 + 1 }))
    }
  }

  /// Which context (or removed) lines `rewrite-context:` rewrites; it must rewrite one.
  mutating func rewriteContext(_ rewrite: ContextRewrite, _ edit: PatchEdit) throws {
    var touched = false
    for (p, f, hunks) in try resolve(rewrite.target, edit) {
      var changed: [Int] = []
      for h in hunks {
        try claim(edit, kind: "rewrite", patch: p, file: parsed[p][f].path, hunk: h + 1)
        let before = parsed[p][f].hunks[h].lines
        parsed[p][f].hunks[h].lines = before.map { line in
          (line.first == " " || line.first == "-") && line.dropFirst() == rewrite.from[...]
            ? String(line.prefix(1)) + rewrite.to : line
        }
        if parsed[p][f].hunks[h].lines != before { changed.append(h + 1) }
      }
      if !changed.isEmpty {
        touched = true
        applied.append(AppliedEdit(edit: edit.describe, patch: series.patches[p].number, file: parsed[p][f].path, hunks: changed))
      }
    }
    guard touched else {
      throw fail(edit, "no context line of \(rewrite.file) reads exactly '\(rewrite.from)'")
    }
  }

  /// Which files `keep-files:` drops: every one it does not name (each name must be a file).
  mutating func keepFiles(_ keep: [String], _ edit: PatchEdit) throws {
    let all = Set(parsed.flatMap { $0.map(\.path) })
    for name in keep where !all.contains(name) {
      throw fail(edit, "keep-files names \(name), which the series does not touch")
    }
    for p in parsed.indices {
      for (f, file) in parsed[p].enumerated() where !keep.contains(file.path) {
        for h in file.hunks.indices {
          try claim(edit, kind: "keep-files", patch: p, file: file.path, hunk: h + 1)
          parsed[p][f].hunks[h].lines = ["<dropped>"]
        }
        applied.append(
          AppliedEdit(edit: edit.describe, patch: series.patches[p].number, file: file.path, hunks: Array(1...max(1, file.hunks.count)))
        )
      }
    }
  }

  /// The edited series: dropped hunks removed, each patch re-rendered, and a patch left with
  /// nothing to apply gone from the variant.
  func finished() -> (Series, [AppliedEdit]) {
    var series = series
    for p in parsed.indices {
      var files: [DiffFile] = []
      for var file in parsed[p] {
        file.hunks.removeAll { $0.lines == ["<dropped>"] }
        if !file.hunks.isEmpty { files.append(file) }
      }
      series.patches[p].diff = files.isEmpty ? "" : UnifiedDiff.render(files)
      series.patches[p].files = SeriesParser.diffstat(series.patches[p].diff)
    }
    // A patch left with nothing to apply is gone from the variant.
    series.patches.removeAll { $0.diff.isEmpty }
    return (series, applied)
  }
}

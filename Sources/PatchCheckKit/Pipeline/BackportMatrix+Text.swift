// The matrix as the terminal shows it: one tree and variant in detail (each patch and hunk,
// what a failed hunk needs and what the tree has), several as one table of per-hunk results.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

extension BackportMatrix {
  /// The detail of a single row, else the table.
  package var text: [String] {
    if rows.count == 1, let row = rows.first { return detail(row) }
    return table
  }

  package func detail(_ row: BackportRow) -> [String] {
    var lines: [String] = []
    let outcome = row.outcome
    lines.append("base: \(outcome.base.used) (\(outcome.base.commit.prefix(12)))  variant: \(row.variant)")
    for edit in row.edits {
      lines.append("edit: \(edit.edit) -> patch \(edit.patch) \(edit.file) hunks \(edit.hunks.map(String.init).joined(separator: ","))")
    }
    for patch in outcome.patches {
      lines.append("[\(patch.result.rawValue)] \(patch.number)/\(total) \(patch.subject)")
      for hunk in patch.hunks {
        let at =
          hunk.line.map { "at line \($0)" + (hunk.offset.map { $0 == 0 ? "" : " (offset \($0))" } ?? "") }
          ?? "expected at line \(hunk.expectedLine)"
        lines.append("    \(hunk.result.rawValue) \(hunk.file) hunk \(hunk.hunk) \(at)  \(hunk.section)")
        if hunk.result == .failed || hunk.result == .conflict, hunk.expected != nil {
          // '!' marks the lines where the tree differs from what the hunk needs.
          let expected = hunk.expected ?? []
          let actual = hunk.actual ?? []
          func mark(_ i: Int) -> String { i < expected.count && i < actual.count && expected[i] == actual[i] ? " " : "!" }
          lines.append("      hunk needs:")
          lines += expected.enumerated().map { "       \(mark($0.offset))|\($0.element)" }
          lines.append("      tree has" + (hunk.closestLine.map { " (closest fit at line \($0))" } ?? "") + ":")
          lines += actual.enumerated().map { "       \(mark($0.offset))|\($0.element)" }
        }
      }
      if let id = patch.patchID {
        lines.append(
          "    patch-id \(id.prefix(12))"
            + (patch.commitPatchID.map { $0 == id ? " (commit agrees)" : " (commit: \($0.prefix(12)))" } ?? ""))
      }
      for conflict in patch.conflicts ?? [] {
        lines.append("    conflict in \(conflict.file):")
        lines += conflict.text.map { "      |\($0)" }
      }
      if let error = patch.error { lines.append("    \(patch.result == .skippedAlreadyApplied ? "note" : "error"): \(error)") }
    }
    if let branch = outcome.branch { lines.append("branch: \(branch) -> \(outcome.head?.prefix(12) ?? "")") }
    if let build = row.build {
      lines.append(build.succeeded ? "build: ok, \(build.objects) objects in \(Int(build.seconds)) s" : "build: FAILED")
      lines += build.errors.prefix(5).map { "    \($0.file):\($0.line): error: \($0.message)" }
    }
    if let expected = row.expectation { lines.append("expected: \(expected.rawValue) (\(row.met ? "met" : "NOT MET"))") }
    if check { lines.append(outcome.applied ? "check: the series applies" : "check: the series does not apply") }
    let skipped = outcome.patches.filter { $0.result == .skippedAlreadyApplied }.map { String($0.number) }
    if !skipped.isEmpty, !outcome.nothingApplied {
      lines.append("skipped as already in the tree (--skip-applied): patch \(skipped.joined(separator: ", "))")
    }
    return lines
  }

  /// One line per tree and variant: the result of each hunk, in order.
  package var table: [String] {
    let treeWidth = max(4, rows.map(\.tree.count).max() ?? 4)
    let variantWidth = max(7, rows.map(\.variant.count).max() ?? 7)
    var lines = [
      "tree".padding(toLength: treeWidth, withPad: " ", startingAt: 0) + "  "
        + "variant".padding(toLength: variantWidth, withPad: " ", startingAt: 0) + "  result       hunks"
    ]
    for row in rows {
      let hunks = row.outcome.patches.flatMap { patch in
        patch.hunks.map { hunk -> String in
          let file = (hunk.file as NSString).lastPathComponent
          switch (patch.result, hunk.result) {
          case (.skippedAlreadyApplied, _): return "\(file)#\(hunk.hunk):already"
          case (.notAttempted, _): return "\(file)#\(hunk.hunk):-"
          case (_, .failed): return "\(file)#\(hunk.hunk):FAIL"
          case (_, .merged): return "\(file)#\(hunk.hunk):3way"
          case (_, .conflict): return "\(file)#\(hunk.hunk):CONFLICT"
          default: return "\(file)#\(hunk.hunk):" + (hunk.offset.map { $0 == 0 ? "ok" : String(format: "%+d", $0) } ?? "ok")
          }
        }
      }
      var result = row.outcome.nothingApplied ? "all-already-in" : row.outcome.applied ? "applies" : "APPLY-FAIL"
      if let build = row.build {
        let firstError: String = build.errors.first.map { " \($0.file):\($0.line)" } ?? ""
        result += build.succeeded ? ", builds" : ", BUILD-FAIL" + firstError
      }
      let tree: String = row.tree.padding(toLength: treeWidth, withPad: " ", startingAt: 0)
      let variant: String = row.variant.padding(toLength: variantWidth, withPad: " ", startingAt: 0)
      let outcome: String = result.padding(toLength: max(11, result.count), withPad: " ", startingAt: 0)
      lines.append("\(tree)  \(variant)  \(outcome)  \(hunks.joined(separator: " "))")
    }
    return lines
  }
}

import ArgumentParser
import Foundation
import PatchCheckKit

struct ApplyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Apply a series with libgit2 onto a branch patchcheck/<series>/<variant>; report each patch and hunk.",
    discussion: """
      Your HEAD, index and working tree are never touched. With --trees, the series (and each
      variant) is tried on several tags and one table of per-hunk results is printed.
      Exit codes: 0 applied (or every variant met its expectation), 3 a patch does not apply,
      7 a variant did not show what its manifest expects.
      """)

  @OptionGroup var seriesOptions: SeriesOptions

  @Option(help: "Comma-separated variants, or 'all' (overrides --variant).")
  var variants: String?

  @Option(help: "Comma-separated revisions to try the series on (a backport check), e.g. v7.3.4,v7.2.12,v6.12.117.")
  var trees: String?

  @Flag(help: "Dry run: report what would apply; make no branch.")
  var check = false

  @Flag(help: "Also build the kernel with the series applied on each tree (and variant); report what breaks.")
  var build = false

  @Flag(name: .customLong("3way"), help: "When a hunk fails, merge with the patch's preimage blob if the repository has it.")
  var threeWay = false

  @OptionGroup var global: GlobalOptions

  struct Row: Encodable {
    var tree: String
    var variant: String
    var outcome: ApplyOutcome
    var edits: [AppliedEdit]
    var expectation: String?
    var met: Bool
    var build: BuildResult?
  }

  func run() throws {
    try runReportingErrors {
      let home = global.patchCheckHome
      let loaded = try SeriesSource.load(seriesOptions.series, home: home)
      let applier = Applier(repository: try Applier.openRepository(seriesOptions.repo, home: home), console: global.console)
      let variantNames =
        variants == "all"
        ? SelectedVariant.allNames(of: loaded)
        : variants?.split(separator: ",").map(String.init) ?? [seriesOptions.variant]
      // Validate every variant before applying anything.
      let selected = try variantNames.map { try SelectedVariant.select($0, from: loaded) }
      let treeList: [String?] = trees?.split(separator: ",").map { String($0) } ?? [seriesOptions.base]
      let name = loaded.manifest?.name ?? "series"

      var rows: [Row] = []
      for tree in treeList {
        for variant in selected {
          let base = try applier.resolveBase(
            requested: tree ?? variant.variant.base, stated: variant.series.statedBase,
            fallback: loaded.manifest?.fallbackBase)
          if let note = base.note, trees == nil { global.console.warn(note) }
          let outcome = try applier.apply(
            variant.series, base: base, branch: trees == nil ? "refs/heads/patchcheck/\(name)/\(variant.name)" : nil,
            check: check || (trees != nil && !build), threeWay: threeWay)
          // With several trees, an expectation about applying is judged on the variant's own base.
          let expected = variant.variant.expect?.verdict
          let judged = tree == nil || tree == variant.variant.base
          var row = Row(tree: base.used, variant: variant.name, outcome: outcome, edits: variant.edits, expectation: expected, met: true)
          if build, outcome.applied, let head = outcome.head.flatMap(ObjectID.init(hex:)) {
            row.build = try buildOnce(head, repository: applier.repository, label: "\(base.used)-\(variant.name)")
          }
          let built = row.build?.succeeded
          switch expected {
          case "APPLY-FAIL": row.met = !judged || !outcome.applied
          case "BUILD-FAIL": row.met = !judged || outcome.applied && built != true
          default: row.met = !judged || outcome.applied && built != false
          }
          rows.append(row)
        }
      }
      if global.json {
        try printJSON(rows)
      } else if rows.count == 1, let row = rows.first {
        printDetail(row, total: loaded.series.patches.count)
      } else {
        printTable(rows)
      }
      if rows.contains(where: { !$0.met }) { throw ExitCode(Verdict.expectationUnmet.exitCode) }
      if rows.contains(where: { !$0.outcome.applied && $0.expectation != "APPLY-FAIL" }) {
        throw ExitCode(Verdict.applyFail.exitCode)
      }
      if rows.contains(where: { $0.build?.succeeded == false && $0.expectation != "BUILD-FAIL" }) {
        throw ExitCode(Verdict.buildFail.exitCode)
      }
    }
  }

  /// Builds `head` in the repository's build slot; the log goes next to the cache's build folder.
  func buildOnce(_ head: ObjectID, repository: GitRepository, label: String) throws -> BuildResult {
    let slot = BuildSlot(home: global.patchCheckHome, repository: repository, console: global.console)
    let lock = try slot.lock()
    defer { withExtendedLifetime(lock) {} }
    _ = try slot.checkout(head)
    let log = slot.buildDirectory.deletingLastPathComponent().appendingPathComponent("\(slot.key)-\(label).log")
    try? FileManager.default.removeItem(at: log)
    global.console.say("building \(label) (log: \(log.path))")
    return try slot.builder(fragments: try KernelConfigFile.defaultFragments()).build(
      log: log, progress: ProgressLine(enabled: !global.json))
  }

  func printDetail(_ row: Row, total: Int) {
    let outcome = row.outcome
    print("base: \(outcome.base.used) (\(outcome.base.commit.prefix(12)))  variant: \(row.variant)")
    for edit in row.edits {
      print("edit: \(edit.edit) -> patch \(edit.patch) \(edit.file) hunks \(edit.hunks.map(String.init).joined(separator: ","))")
    }
    for patch in outcome.patches {
      print("[\(patch.result.rawValue)] \(patch.number)/\(total) \(patch.subject)")
      for hunk in patch.hunks {
        let at =
          hunk.line.map { "at line \($0)" + (hunk.offset.map { $0 == 0 ? "" : " (offset \($0))" } ?? "") }
          ?? "expected at line \(hunk.expectedLine)"
        print("    \(hunk.result.rawValue) \(hunk.file) hunk \(hunk.hunk) \(at)  \(hunk.section)")
        if hunk.result == .failed || hunk.result == .conflict, hunk.expected != nil {
          // '!' marks the lines where the tree differs from what the hunk needs.
          let expected = hunk.expected ?? []
          let actual = hunk.actual ?? []
          func mark(_ i: Int) -> String { i < expected.count && i < actual.count && expected[i] == actual[i] ? " " : "!" }
          print("      hunk needs:")
          expected.enumerated().forEach { print("       \(mark($0.offset))|\($0.element)") }
          print("      tree has" + (hunk.closestLine.map { " (closest fit at line \($0))" } ?? "") + ":")
          actual.enumerated().forEach { print("       \(mark($0.offset))|\($0.element)") }
        }
      }
      if let id = patch.patchID {
        print(
          "    patch-id \(id.prefix(12))"
            + (patch.commitPatchID.map { $0 == id ? " (commit agrees)" : " (commit: \($0.prefix(12)))" } ?? ""))
      }
      for conflict in patch.conflicts ?? [] {
        print("    conflict in \(conflict.file):")
        conflict.text.forEach { print("      |\($0)") }
      }
      if let error = patch.error { print("    \(patch.result == .alreadyApplied ? "note" : "error"): \(error)") }
    }
    if let branch = outcome.branch { print("branch: \(branch) -> \(outcome.head?.prefix(12) ?? "")") }
    if let build = row.build {
      print(build.succeeded ? "build: ok, \(build.objects) objects in \(Int(build.seconds)) s" : "build: FAILED")
      for error in build.errors.prefix(5) { print("    \(error.file):\(error.line): error: \(error.message)") }
    }
    if let expected = row.expectation { print("expected: \(expected) (\(row.met ? "met" : "NOT MET"))") }
    if check { print(outcome.applied ? "check: the series applies" : "check: the series does not apply") }
  }

  /// One line per tree and variant: the result of each hunk, in order.
  func printTable(_ rows: [Row]) {
    let treeWidth = max(4, rows.map(\.tree.count).max() ?? 4)
    let variantWidth = max(7, rows.map(\.variant.count).max() ?? 7)
    print(
      "tree".padding(toLength: treeWidth, withPad: " ", startingAt: 0) + "  "
        + "variant".padding(toLength: variantWidth, withPad: " ", startingAt: 0) + "  result       hunks")
    for row in rows {
      let hunks = row.outcome.patches.flatMap { patch in
        patch.hunks.map { hunk -> String in
          let file = (hunk.file as NSString).lastPathComponent
          switch (patch.result, hunk.result) {
          case (.alreadyApplied, _): return "\(file)#\(hunk.hunk):already"
          case (.notAttempted, _): return "\(file)#\(hunk.hunk):-"
          case (_, .failed): return "\(file)#\(hunk.hunk):FAIL"
          case (_, .merged): return "\(file)#\(hunk.hunk):3way"
          case (_, .conflict): return "\(file)#\(hunk.hunk):CONFLICT"
          default: return "\(file)#\(hunk.hunk):" + (hunk.offset.map { $0 == 0 ? "ok" : String(format: "%+d", $0) } ?? "ok")
          }
        }
      }
      var result = row.outcome.applied ? "applies" : "APPLY-FAIL"
      if let build = row.build {
        let firstError: String = build.errors.first.map { " \($0.file):\($0.line)" } ?? ""
        result += build.succeeded ? ", builds" : ", BUILD-FAIL" + firstError
      }
      let tree: String = row.tree.padding(toLength: treeWidth, withPad: " ", startingAt: 0)
      let variant: String = row.variant.padding(toLength: variantWidth, withPad: " ", startingAt: 0)
      let outcome: String = result.padding(toLength: max(11, result.count), withPad: " ", startingAt: 0)
      print("\(tree)  \(variant)  \(outcome)  \(hunks.joined(separator: " "))")
    }
  }
}

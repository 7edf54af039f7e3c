// `patchcheck apply`: a series (and each variant) applied on one tree or several (a
// backport check), optionally built on each; one row per tree and variant, each judged
// against its variant's expectation, and the exit code the rows call for.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

/// What to apply where.
package struct BackportRequest: Sendable {
  /// The variants, in order (validated before anything is applied).
  package var variants: [String]
  /// Revisions to try the series on; nil: the one base (`base`, else each variant's or the series').
  package var trees: [String]?
  /// The base asked for with one tree (--base).
  package var base: String?
  /// Dry run: no branch is made.
  package var check = false
  /// Also build the kernel on each tree and variant.
  package var build = false
  package var threeWay = false
  /// Skip a patch the tree already has (--skip-applied).
  package var skipApplied = false

  package init(variants: [String], trees: [String]?, base: String?) {
    self.variants = variants
    self.trees = trees
    self.base = base
  }
}

/// One tree and variant: how it applied (and built), and whether that is what the variant expects.
package struct BackportRow: Encodable, Sendable {
  package var tree: String
  package var variant: String
  package var outcome: ApplyOutcome
  package var edits: [AppliedEdit]
  package var expectation: Verdict?
  package var met: Bool
  package var build: BuildResult?
}

package struct BackportMatrix: Sendable {
  package var rows: [BackportRow]
  /// Patches in the series as loaded (the detail view numbers them "n/total").
  package var total: Int
  /// The request was a dry run.
  package var check: Bool

  /// Applies the series' variants on each tree (builds too, with `request.build`).
  package static func run(
    _ loaded: LoadedSeries, _ request: BackportRequest, repository: GitRepository, home: PatchCheckHome, console: Terminal
  ) throws -> BackportMatrix {
    let applier = Applier(repository: repository, console: console)
    // Validate every variant before applying anything.
    let selected = try request.variants.map { try SelectedVariant.select($0, from: loaded) }
    let several = request.trees != nil
    let treeList: [String?] = request.trees ?? [request.base]
    let name = loaded.name
    // What reading the series left out or guessed (a patch without a diff, a missing number,
    // an unreadable Date): said before anything is applied, as apply-and-boot says it.
    if let thread = loaded.series.thread, thread.leftSomething { console.note("series: \(thread.line)") }
    for warning in loaded.series.warnings ?? [] { console.warn(warning) }

    var rows: [BackportRow] = []
    for tree in treeList {
      for variant in selected {
        let base = try applier.resolveBase(
          requested: tree ?? variant.variant.base, stated: variant.series.statedBase, fallback: loaded.manifest?.fallbackBase)
        if let note = base.note, !several { console.warn(note) }
        let outcome = try applier.apply(
          variant.series, base: base,
          branch: several ? nil : SeriesBranch.name(series: name, variant: variant.name, on: base, variantBase: variant.variant.base),
          check: request.check || (several && !request.build),
          mode: ApplyMode(threeWay: request.threeWay, skipApplied: request.skipApplied))
        // One tree whose every patch was skipped leaves nothing to check; among several, the
        // table says so for that tree.
        if !several, let error = outcome.nothingLeftError { throw error }
        var row = BackportRow(
          tree: base.used, variant: variant.name, outcome: outcome, edits: variant.edits, expectation: variant.variant.expect?.verdict,
          met: true)
        if request.build, outcome.applied, let head = outcome.head.flatMap(ObjectID.init(hex:)) {
          row.build = try buildOnce(head, repository: repository, home: home, console: console, label: "\(base.used)-\(variant.name)")
        }
        // With several trees, an expectation about applying is judged on the variant's own base.
        row.met = !(tree == nil || tree == variant.variant.base) || row.meetsExpectation
        rows.append(row)
      }
    }
    return BackportMatrix(rows: rows, total: loaded.series.patches.count, check: request.check)
  }

  /// Builds `head` in its kernel line's build slot; the log goes next to the cache's build folder.
  package static func buildOnce(_ head: ObjectID, repository: GitRepository, home: PatchCheckHome, console: Terminal, label: String) throws
    -> BuildResult
  {
    let slot = BuildSlot(home: home, repository: repository, commit: head, console: console)
    let lock = try slot.lock()
    defer { withExtendedLifetime(lock) {} }
    _ = try slot.checkout(head)
    let log = slot.buildDirectory.deletingLastPathComponent().appendingPathComponent("\(slot.key)-\(label).log")
    try? FileManager.default.removeItem(at: log)
    console.say("building \(label) (log: \(log.path))")
    return try slot.builder(fragments: try KernelConfigFile.defaultFragments()).build(
      log: log, progress: ProgressLine(enabled: !console.quiet))
  }

  /// 7 when a row did not show what its variant expects, else 3 when one does not apply
  /// (unexpectedly), else 4 when one does not build (unexpectedly), else 32 when a tree
  /// already has every patch (--skip-applied skipped them all), else 0.
  package var exitCode: Int32 {
    if rows.contains(where: { !$0.met }) { return Verdict.expectationUnmet.exitCode }
    if rows.contains(where: { !$0.outcome.applied && $0.expectation != .applyFail }) { return Verdict.applyFail.exitCode }
    if rows.contains(where: { $0.build?.succeeded == false && $0.expectation != .buildFail }) { return Verdict.buildFail.exitCode }
    if rows.contains(where: \.outcome.nothingApplied) { return PatchCheckError.Kind.seriesAlreadyApplied.exitCode }
    return 0
  }
}

extension BackportRow {
  /// The outcome against the variant's expected verdict (APPLY-FAIL, BUILD-FAIL, or applies and builds).
  package var meetsExpectation: Bool {
    let built = build?.succeeded
    switch expectation {
    case .applyFail: return !outcome.applied
    case .buildFail: return outcome.applied && built != true
    default: return outcome.applied && built != false
    }
  }
}

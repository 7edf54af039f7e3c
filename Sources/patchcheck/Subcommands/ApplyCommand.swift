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
      7 a variant did not show what its manifest expects, 32 with --skip-applied every patch
      is already in the tree.
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

  @OptionGroup var applyFlags: ApplyFlags

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try runReportingErrors {
      let home = global.patchCheckHome
      let loaded = try SeriesSource.load(seriesOptions.series, home: home, query: seriesOptions.seriesQuery.query)
      var request = BackportRequest(
        variants: variants.map { SelectedVariant.names($0, of: loaded) } ?? [seriesOptions.variant],
        trees: trees?.split(separator: ",").map(String.init), base: seriesOptions.tree.base)
      request.check = check
      request.build = build
      request.threeWay = applyFlags.threeWay
      request.skipApplied = applyFlags.skipApplied
      let matrix = try BackportMatrix.run(
        loaded, request, repository: try Applier.openRepository(seriesOptions.tree.repo, home: home), home: home, console: global.console)
      if global.json { try printJSON(matrix.rows) } else { matrix.text.forEach { print($0) } }
      if matrix.exitCode != 0 { throw ExitCode(matrix.exitCode) }
    }
  }
}

/// What `apply` applies, and where.
struct SeriesOptions: ParsableArguments {
  @Option(
    help:
      "The series: an mbox, a folder of .patch files, a message-id, a lore URL, or a manifest name (default: the default manifest's series)."
  )
  var series: String?

  @OptionGroup var seriesQuery: SeriesQueryFlags

  @OptionGroup var tree: TreeOptions

  @Option(help: "Variant of the series from its manifest.")
  var variant: String = "as-posted"
}

/// What a patch that does not apply may turn to: `apply` and `apply-and-boot`.
struct ApplyFlags: ParsableArguments {
  @Flag(name: .customLong("3way"), help: "When a hunk fails, merge with the patch's preimage blob if the repository has it.")
  var threeWay = false

  @Flag(
    help: ArgumentHelp(
      "Skip a patch the tree already has (its reverse applies, or its added lines are there in another form) and apply the rest on top; a patch that fails otherwise still fails."
    ))
  var skipApplied = false
}

/// The repository and the base a series is applied on: `apply` and `apply-and-boot`.
struct TreeOptions: ParsableArguments {
  @Option(help: "The kernel git repository (default: patchcheck's imported tree).")
  var repo: String?

  @Option(help: "Base revision to apply on (default: the series' base-commit, else the manifest's fallback).")
  var base: String?
}

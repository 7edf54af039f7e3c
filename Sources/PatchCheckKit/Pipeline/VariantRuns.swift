// `apply-and-boot --variants`: every variant in turn, each a whole run in its own folder,
// and one exit code for them all.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct VariantRuns: Sendable {
  package var names: [String]
  /// One per name, in order.
  package var reports: [Report]
  /// Each variant's report is in root/<variant>/.
  package var root: URL

  package init(names: [String], reports: [Report], root: URL) {
    self.names = names
    self.reports = reports
    self.root = root
  }

  /// Runs `options` once per variant of `list` ('all', or comma-separated names), each in
  /// `root/<variant>`; every name is checked before the first run.
  package static func run(_ list: String, options: RunOptions, home: PatchCheckHome, root: URL) throws -> VariantRuns {
    let loaded = try SeriesSource.load(options.series, home: home, query: options.seriesQuery)
    let names = SelectedVariant.names(list, of: loaded)
    for name in names { _ = try SelectedVariant.select(name, from: loaded) }  // all valid before any run
    let console = Terminal(quiet: options.json)
    var reports: [Report] = []
    for name in names {
      var variantOptions = options
      variantOptions.variant = name
      variantOptions.output = root.appendingPathComponent(name)
      console.say("variant \(name)")
      reports.append(try ApplyAndBoot(home: home, options: variantOptions).run())
    }
    return VariantRuns(names: names, reports: reports, root: root)
  }

  /// 7 when a variant did not show what its manifest expects, else the first unexpected
  /// verdict's code (a variant without an expectation that did not pass), else 0.
  package var exitCode: Int32 {
    if reports.contains(where: { $0.expectation?.met == false }) { return Verdict.expectationUnmet.exitCode }
    return reports.first(where: { $0.expectation == nil && $0.verdict != .pass })?.exitCode ?? 0
  }

  /// One line per variant: verdict, expected verdict, reason; then where the reports are.
  package var table: [String] {
    let width = max(7, names.map(\.count).max() ?? 7)
    var lines = ["variant".padding(toLength: width, withPad: " ", startingAt: 0) + "  verdict            expected     reason"]
    for (name, report) in zip(names, reports) {
      let expected = report.expectation?.expectedVerdict?.rawValue ?? "-"
      lines.append(
        name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
          + report.verdict.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0) + "  "
          + expected.padding(toLength: 11, withPad: " ", startingAt: 0) + "  " + report.reason)
    }
    lines.append("reports: \(root.path)/<variant>/summary.md")
    return lines
  }
}

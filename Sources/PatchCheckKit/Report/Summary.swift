// summary.md: what a maintainer reads first. Mail subjects, titles, excerpts and reasons
// come from outside; every line is shown through VisibleText, so `cat summary.md` cannot
// drive the reader's terminal.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package enum SummaryWriter {
  package static func markdown(for report: Report) -> String {
    let sections = [
      "# patchcheck: \(report.verdict.rawValue)\n\n\(report.reason)\n\n", newSection(report), runSection(report),
      patchesSection(report), configSection(report), buildSection(report), scenariosSection(report),
      report.coverage.map(coverageSection) ?? "", comparisonSection(report), reportsSection(report), phasesSection(report),
    ]
    return VisibleText.lines(sections.joined())
  }

  /// What ran: the series, the base, the branch and the boot, where the run got that far.
  private static func runSection(_ report: Report) -> String {
    var out = ""
    if let series = report.series {
      out +=
        "- Series: \(series.title)" + (series.version.map { " (v\($0))" } ?? "")
        + ", \(series.patchCount) patch(es), variant `\(series.variant)`\n"
      for warning in series.warnings ?? [] { out += "- Warning: \(warning)\n" }
    }
    if let base = report.base {
      out += "- Base: `\(base.used)` (\(base.commit.prefix(12)))" + (base.note.map { ": \($0)" } ?? "") + "\n"
    }
    if let branch = report.branch { out += "- Branch: `\(branch)`\n" }
    if let boot = report.boot {
      out +=
        "- Boot: \(boot.accelerator.rawValue), \(String(format: "%.1f", boot.seconds)) s" + (boot.acceleratorNote.map { " (\($0))" } ?? "")
        + "\n"
    }
    return out
  }

  /// Each patch with where its hunks went, then each failed hunk with what it needs and what
  /// the tree has.
  private static func patchesSection(_ report: Report) -> String {
    var out = "\n## Patches\n\n| # | subject | result | hunks |\n|---|---|---|---|\n"
    for patch in report.patches {
      let hunks = patch.hunks.map { h in
        patch.result == .skippedAlreadyApplied
          ? "\(h.file) #\(h.hunk) already in the tree"
          : h.result == .applied
            ? "\(h.file)@\(h.line ?? h.expectedLine)\(h.offset.map { $0 == 0 ? "" : " (\($0 > 0 ? "+" : "")\($0))" } ?? "")"
            : "\(h.file) #\(h.hunk) FAILED"
      }.joined(separator: ", ")
      out += "| \(patch.number) | \(patch.subject) | \(patch.result.rawValue) | \(hunks) |\n"
    }
    for patch in report.patches {
      if let found = patch.alreadyInTree, found.inTree || found.history?.commit != nil || found.mostlyThere || found.hunksIn != nil {
        let sentence = found.sentence(number: patch.number, total: report.patches.count, subject: patch.subject)
        out += "\n\(patch.result == .skippedAlreadyApplied ? "Skipped (--skip-applied)" : "Not applied"): \(sentence).\n"
      }
      for hunk in patch.hunks where hunk.result == .failed && patch.result != .skippedAlreadyApplied {
        out += "\n### Patch \(patch.number), \(hunk.file) hunk \(hunk.hunk) (expected at line \(hunk.expectedLine))\n\n"
        out +=
          "Hunk needs:\n```\n\((hunk.expected ?? []).joined(separator: "\n"))\n```\nTree has:\n```\n\((hunk.actual ?? []).joined(separator: "\n"))\n```\n"
      }
    }
    return out
  }

  /// The config fragment's options checked, and those Kconfig dropped.
  private static func configSection(_ report: Report) -> String {
    guard let config = report.config else { return "" }
    var out = "\n## Config\n\n\(config.checked) fragment options checked"
    out +=
      config.dropped.isEmpty
      ? ", none dropped.\n"
      : "; dropped by Kconfig: " + config.dropped.map { "`\($0.name)` (wanted \($0.wanted), got \($0.actual))" }.joined(separator: ", ")
        + "\n"
    return out
  }

  /// The build's outcome and its errors.
  private static func buildSection(_ report: Report) -> String {
    guard let build = report.build else { return "" }
    var out = "\n## Build\n\n\(build.succeeded ? "ok" : "FAILED"), \(build.objects) objects in \(String(format: "%.0f", build.seconds)) s\n"
    for error in build.errors { out += "- `\(error.file):\(error.line)`: \(error.message)\n" }
    return out
  }

  /// Why these scenarios were chosen, and each scenario's result with its steps.
  private static func scenariosSection(_ report: Report) -> String {
    guard !report.scenarios.isEmpty else { return "" }
    var out = "\n## Scenarios\n\n"
    if let choice = report.scenarioChoice {
      out += "Chosen: \(choice.note).\n\n"
      for name in choice.scenarios { if let why = choice.reasons[name] { out += "- `\(name)`: \(why)\n" } }
      if !choice.reasons.isEmpty { out += "\n" }
    }
    for scenario in report.scenarios {
      out += "- **\(scenario.name)**: \(scenario.result.rawValue)\n"
      for step in scenario.steps { out += "  - \(step.result.rawValue): \(step.name)\n" }
    }
    return out
  }

  /// What the base showed with the same scenarios, when it was compared.
  private static func comparisonSection(_ report: Report) -> String {
    guard let comparison = report.baseComparison else { return "" }
    var out = "\n## Compared with the base \(comparison.base)\n\n\(comparison.verdict.rawValue) on the base: \(comparison.reason)\n"
    if !comparison.titles.isEmpty { out += "\n" }
    for title in comparison.titles { out += "- \(title.sentence)\n" }
    return out
  }

  /// Every kernel report with its excerpt, when the kernel booted.
  private static func reportsSection(_ report: Report) -> String {
    guard report.boot != nil else { return "" }
    var out = "\n## Kernel reports\n\n"
    if report.splats.isEmpty { out += "None.\n" }
    for splat in report.splats {
      out +=
        "### \(splat.title) (\(splat.kind.rawValue), console.log line \(splat.line))"
        + (splat.preExisting == true ? " — pre-existing" : "")
        + "\n\n```\n\(splat.excerpt.prefix(40).joined(separator: "\n"))\n```\n"
    }
    return out
  }

  /// How long each phase took.
  private static func phasesSection(_ report: Report) -> String {
    "\n## Phases (s)\n\n"
      + report.phases.sorted { $0.key < $1.key }.map { "- \($0.key.rawValue): \(String(format: "%.1f", $0.value))" }.joined(separator: "\n")
      + "\n"
  }

  /// What the series brings, first: its new reports and failed scenarios, then what the base
  /// shows too (never hidden), or how the run was judged when the base was not asked.
  package static func newSection(_ report: Report) -> String {
    // Only a run that booted its kernel and ran its scenarios has anything new to say.
    guard report.boot?.reachedRunner == true, ![.infraError, .aborted].contains(report.verdict) else { return "" }
    let failed = report.scenarios.filter { $0.result != .pass && $0.result != .skip }
    var out = "## New with the series\n\n"
    let new = report.newSplats
    if new.isEmpty && failed.isEmpty {
      out +=
        report.preExisting == nil
        ? "Nothing: no kernel report, no failed step.\n" : "Nothing: every kernel report is one the base shows too.\n"
    }
    for splat in new { out += "- \(splat.title) (\(splat.kind.rawValue)\(splat.boots.map { ", \($0) boot(s)" } ?? ""))\n" }
    for scenario in failed { out += "- scenario \(scenario.name): \(scenario.result.rawValue)\n" }
    if let baseline = report.baseline {
      out += "\n## Pre-existing on the base \(baseline.base)\n\n"
      out +=
        "The base \(baseline.base) (\(baseline.commit.prefix(12))) with the same scenarios, \(baseline.runs) boot(s), "
        + "\(baseline.source ?? "kept"): "
        + (baseline.findings.isEmpty
          ? "no kernel reports" : baseline.findings.map { "\($0.title) (\($0.boots)/\(baseline.runs))" }.joined(separator: "; "))
        + ".\n\n"
      for entry in report.preExisting ?? [] { out += "- \(entry.sentence)\n" }
      // What the base shows and this run did not: the series may fix it (or a race missed it).
      let seen = Set(report.splats.map(\.title))
      for finding in baseline.findings where !seen.contains(finding.title) {
        out += "- not seen with the series: \(finding.title) (base \(finding.boots)/\(baseline.runs) boot(s))\n"
      }
    }
    if report.strict == true { out += "\nJudged with --strict: any kernel report fails; the base was not asked.\n" }
    if let note = report.baselineNote { out += "\n\(note).\n" }
    return out + "\n"
  }

  /// Each changed function with the scenarios that reached it and how often.
  package static func coverageSection(_ coverage: SeriesCoverage) -> String {
    var out = "\n## Coverage of the changed code\n\n\(coverage.note)\n"
    if !coverage.functions.isEmpty {
      out += "\n| function | file | patch | reached by (hits) |\n|---|---|---|---|\n"
      for function in coverage.functions {
        let reached: String
        switch function.traceable {
        case false?: reached = "cannot be traced (inlined or notrace)"
        case nil: reached = "not known"
        case true?:
          reached =
            function.hits.isEmpty
            ? "**no scenario**" : function.hits.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        }
        let same = function.sameName.map { " (\($0) functions of this name: counted together)" } ?? ""
        out +=
          "| `\(function.name)` | \(function.file) | \(function.patches.map(String.init).joined(separator: ", ")) | \(reached)\(same) |\n"
      }
    }
    if !coverage.outside.isEmpty {
      out += "\nChanged lines outside any function: "
      out += coverage.outside.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + "\n"
    }
    return out
  }
}

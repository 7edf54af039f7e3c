import ArgumentParser
import Foundation
import PatchCheckKit

struct DatabaseOption: ParsableArguments {
  @Option(help: "The results database (default: results.sqlite in the cache folder).")
  var db: String?

  func open(_ home: PatchCheckHome) throws -> ResultsDatabase {
    try ResultsDatabase(url: db.map { URL(fileURLWithPath: $0) } ?? home.database)
  }
}

struct CICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ci",
    abstract: "Run the series on each tag in turn; record every result in the results database.",
    discussion: """
      For each tag (a glob such as 'v7.2.*' in version order, or a comma-separated list): apply \
      (an APPLY-FAIL is that tag's result), build in the build folder of the tag's kernel \
      line (only what changed since that line's last tag is rebuilt), boot, judge, and record \
      the result at once. A tag already tested with the same series, variant, config and \
      scenarios is skipped unless --force. \
      Exit: the last tag's verdict code, or the code of the first error a tag hit (11 not a \
      kernel tree...); 26 no tag matches; 27 the database is locked or not a database. \
      --emit github-actions|gitlab prints a workflow running one job per tag instead.
      """
  )

  @Option(help: "Tags: a glob ('v7.2.*') or a comma-separated list.")
  var tags: String

  @OptionGroup var runFlags: RunFlags<CIHelp>

  @Option(help: "The kernel git repository (default: patchcheck's imported tree).")
  var repo: String?

  @Option(help: "Folder for each tag's report (OUT/TAG/).")
  var out: String = "results/ci"

  @OptionGroup var database: DatabaseOption

  @Flag(help: "Run tags already recorded with the same inputs again.")
  var force = false

  @Option(help: "Print a workflow for an existing CI engine instead of running.")
  var emit: CIEngine?

  @Option(help: "Accelerator: auto is KVM only if a probe boots under it, else TCG.")
  var accel = Accelerator.auto

  @OptionGroup var global: GlobalOptions

  func validate() throws {
  }

  func run() throws {
    try runReportingErrors {
      let home = global.patchCheckHome
      var run = runFlags.runOptions()
      run.repository = repo
      run.accelerator = accel
      run.json = global.json
      let options = CIOptions(tags: tags, run: run, out: URL(fileURLWithPath: out), force: force)
      if let emit {
        print(try WorkflowEmitter.workflow(emit, options: options, home: home), terminator: "")
        return
      }
      let outcomes = try CIRunner(home: home, options: options, database: try database.open(home)).run()
      if global.json {
        try printJSON(outcomes)
      } else {
        for o in outcomes {
          let files = o.filesChanged.map { ", \($0) files changed" } ?? ""
          let build = o.buildSeconds.map { String(format: ", build %.0f s", $0) } ?? ""
          print("\(o.tag)\t\(o.verdict)\(o.recorded ? " (recorded)" : "")\(files)\(build)\t\(o.reason)")
        }
      }
      if outcomes.exitCode != 0 { throw ExitCode(outcomes.exitCode) }
    }
  }
}

struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "A series' verdicts by tag, and where it stopped applying, started failing or was fixed.")

  @Option(help: "The series (manifest name; default: the one with most runs).")
  var series: String?

  @Option(help: "Variant.")
  var variant: String = "as-posted"

  @OptionGroup var database: DatabaseOption
  @OptionGroup var global: GlobalOptions

  func run() throws {
    try runReportingErrors {
      let db = try database.open(global.patchCheckHome)
      guard let name = try series ?? db.seriesNames().first else {
        throw PatchCheckError(.usage, "the results database has no runs yet", hint: "run 'patchcheck ci --tags ...' first")
      }
      let history = History(series: name, variant: variant, runs: try db.runs(series: name, variant: variant))
      if global.json {
        try printJSON(history)
        return
      }
      print("\(name) (\(variant)): \(history.tags.count) tag(s)")
      for entry in history.tags {
        print("  \(entry.tag)\t\(entry.verdict)\t\(entry.titles.first ?? entry.reason)")
      }
      for line in history.summary { print(line) }
    }
  }
}

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Merge report folders into the results database, and write the HTML report.")

  @Option(name: .customLong("merge"), parsing: .upToNextOption, help: "Report folders to add (searched for report.json).")
  var merge: [String] = []

  @Option(help: "Write the HTML report into this folder (index.html).")
  var html: String?

  @OptionGroup var database: DatabaseOption
  @OptionGroup var global: GlobalOptions

  func validate() throws {
    if merge.isEmpty, html == nil { throw ValidationError("give --merge DIR... and/or --html DIR") }
  }

  func run() throws {
    try runReportingErrors {
      let db = try database.open(global.patchCheckHome)
      if !merge.isEmpty {
        let merged = try ReportMerger.merge(merge.map { URL(fileURLWithPath: $0) }, into: db, console: global.console)
        global.console.say(merged.summary(database: db.url))
      }
      if let html {
        let url = try HTMLReport.write(runs: try db.runs(), to: URL(fileURLWithPath: html))
        if !global.json { print("report: \(url.path)") }
      }
    }
  }
}

import ArgumentParser
import Foundation
import PatchCheckKit

/// When a FAIL is bad: shared by `bisect` and `bisect-run`.
struct StepOptions: ParsableArguments {
  @Flag(help: "Any FAIL is bad (default: only a FAIL sharing a report title with the bad end, or matching --title).")
  var anyFailure = false

  @Option(help: "A FAIL is bad when one of its report titles contains this text.")
  var title: String?

  func validate() throws {
    if anyFailure, title != nil { throw ValidationError("--any-failure and --title exclude each other") }
  }

  /// The request for steps running `options` (which hold the repository).
  func request(good: [String], bad: String, options: RunOptions) -> BisectRequest {
    BisectRequest(good: good, bad: bad, steps: options, anyFailure: anyFailure, title: title)
  }
}

struct BisectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bisect",
    abstract: "Find the first bad commit between good and bad ends, with the series applied at every step.",
    discussion: """
      Each step applies the series (does not apply: skip), builds (fails: skip), boots and judges \
      (PASS: good; FAIL with a report title the bad end has, or any FAIL with --any-failure: bad; \
      another FAIL: skip). Verdicts are cached per commit and inputs; the log (DIR/bisect.json) is \
      written after every step, and --resume continues an interrupted bisect from it. Exit codes: 0 \
      first bad commit found, 8 skips left several candidates, 17 the ends do not bracket a change, \
      18 no log to resume; the others as for apply-and-boot.
      """
  )

  @Option(help: "A good revision (repeatable).")
  var good: [String] = []

  @Option(help: "The bad revision.")
  var bad: String?

  @Option(help: "The kernel git repository (default: patchcheck's imported tree).")
  var repo: String?

  @OptionGroup var runFlags: RunFlags<BisectHelp>

  @OptionGroup var step: StepOptions

  @Option(help: "Folder for the log and each step's report.")
  var out: String = "results/bisect"

  @Flag(help: "Continue the interrupted bisect whose log is in --out.")
  var resume = false

  @OptionGroup var global: GlobalOptions

  func validate() throws {
    if !resume {
      guard !good.isEmpty, bad != nil else { throw ValidationError("give --good REV and --bad REV (or --resume)") }
    }
  }

  func run() throws {
    try runReportingErrors {
      let start: BisectSession.Start
      if resume {
        start = .resume
      } else {
        var options = runFlags.runOptions()
        options.repository = repo
        start = .new(step.request(good: good, bad: bad ?? "", options: options))
      }
      let log = try BisectSession.run(
        start, folder: URL(fileURLWithPath: out), home: global.patchCheckHome, json: global.json, console: global.console)
      if global.json {
        try printJSON(log)
      } else {
        for line in log.summaryLines(logPath: out + "/bisect.json") { print(line) }
      }
      if log.firstBad == nil { throw ExitCode(ExitCodes.bisectAmbiguous) }
    }
  }
}

struct BisectRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bisect-run",
    abstract: "One step for `git bisect run`: judge the repository's HEAD with the series applied.",
    discussion: """
      Usage: git bisect start BAD GOOD && git bisect run patchcheck bisect-run --series S --scenarios X. \
      The work happens in patchcheck's own worktree; the repository's checkout is only read. Exit 0 \
      good, 1 bad, 125 skip (the series does not apply, the kernel does not build, or it fails in \
      another way than --title says). Errors exit 128 plus their usual code, which makes git stop the bisect.
      """
  )

  @Option(help: "The kernel git repository whose HEAD is judged.")
  var repo: String = "."

  @OptionGroup var runFlags: RunFlags<BisectHelp>

  @OptionGroup var step: StepOptions

  @Option(help: "Folder for the step reports (one per commit).")
  var out: String = "results/bisect-run"

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try runReportingErrors(for: .gitBisectRun) {
      var options = runFlags.runOptions()
      options.repository = repo
      let result = try BisectRun.run(
        repository: repo, request: step.request(good: [], bad: "HEAD", options: options), home: global.patchCheckHome,
        json: global.json, out: out)
      if global.json {
        try printJSON(result)
      } else {
        let judgement = result.judgement
        print(
          "\(result.commit.prefix(12)): \(result.call.rawValue) (\(judgement.verdict.rawValue): \(judgement.titles.first ?? judgement.reason))"
        )
      }
      throw ExitCode(result.exitCode)
    }
  }
}

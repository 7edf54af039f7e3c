import ArgumentParser
import Foundation
import PatchCheckKit

/// What each bisect step runs: shared by `bisect` and `bisect-run`.
struct StepOptions: ParsableArguments {
  @Option(help: "The series to apply at every step (an mbox, a folder or a manifest name); none: the commits alone.")
  var series: String?

  @Option(help: "Variant of the series from its manifest.")
  var variant: String = "as-posted"

  @Option(help: "Comma-separated scenarios (default: the manifest's, else numvfs,pf-remove).")
  var scenarios: String?

  @Option(help: "A folder of your own scenario files (*.yaml), added to the built-in ones (repeatable).")
  var scenarioDir: [String] = []

  @Option(help: "Iterations of each race scenario.")
  var iterations: Int = ScenarioLibrary.defaultIterations

  @Option(help: "Config fragment to use instead of kernel-configs/*.config (repeatable).")
  var fragment: [String] = []

  @Flag(help: "Any FAIL is bad (default: only a FAIL sharing a report title with the bad end, or matching --title).")
  var anyFailure = false

  @Option(help: "A FAIL is bad when one of its report titles contains this text.")
  var title: String?

  func validate() throws {
    guard (1...1000).contains(iterations) else { throw ValidationError("--iterations takes 1 to 1000") }
    if anyFailure, title != nil { throw ValidationError("--any-failure and --title exclude each other") }
  }

  var scenarioList: [String]? { scenarios?.split(separator: ",").map(String.init) }
  /// Absolute, so a resumed bisect or git bisect run finds them from any folder.
  var scenarioDirList: [String]? { scenarioDir.isEmpty ? nil : scenarioDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
  var fragmentList: [String]? { fragment.isEmpty ? nil : fragment }
}

extension RunOptions {
  init(bisect request: BisectRequest, json: Bool) {
    self.init()
    series = request.series
    noSeries = request.series == nil
    variant = request.variant
    scenarios = request.scenarios
    scenarioDirs = (request.scenarioDirs ?? []).map { URL(fileURLWithPath: $0) }
    iterations = request.iterations
    repository = request.repository
    fragments = request.fragments?.map { URL(fileURLWithPath: $0) }
    self.json = json
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
      let folder = URL(fileURLWithPath: out)
      let logURL = folder.appendingPathComponent("bisect.json")
      let home = global.patchCheckHome
      var request: BisectRequest
      var earlier: BisectLog?
      if resume {
        let log = try BisectLog.read(logURL)
        if log.finished {
          try finish(log)
          return
        }
        request = log.request
        earlier = log
      } else {
        if FileManager.default.fileExists(atPath: logURL.path) {
          let log = try BisectLog.read(logURL)
          guard log.finished else {
            throw PatchCheckError(
              .bisectLog, "\(out) holds an unfinished bisect (\(log.request.good.joined(separator: ","))..\(log.request.bad))",
              hint: "continue it with --resume, or pass --out DIR for a new one")
          }
          // Keep the earlier bisect beside the new one.
          let aside = URL(fileURLWithPath: out + "." + Self.stamp(log.startedAt))
          try FileManager.default.moveItem(at: folder, to: aside)
          global.console.say("the earlier bisect in \(out) is now in \(aside.path)")
        }
        request = BisectRequest(good: good, bad: bad ?? "")
        request.anyFailure = step.anyFailure
        request.title = step.title
        request.series = step.series
        request.variant = step.variant
        request.scenarios = step.scenarioList
        request.scenarioDirs = step.scenarioDirList
        request.iterations = step.iterations
        request.repository = repo.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        request.fragments = step.fragmentList?.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
      }
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let repository = try Applier.openRepository(request.repository, home: home)
      let judge = try KernelJudge(
        home: home, options: RunOptions(bisect: request, json: global.json),
        stepsFolder: folder.appendingPathComponent("steps"))
      let bisector = Bisector(
        repository: repository, judge: judge, cache: VerdictCache(folder: home.verdicts), logURL: logURL,
        console: global.console)
      try finish(try bisector.run(request, resuming: earlier))
    }
  }

  func finish(_ log: BisectLog) throws {
    if global.json {
      try printJSON(log)
    } else {
      let total = log.steps.filter { !$0.cached }.reduce(0) { $0 + $1.seconds }
      if let first = log.firstBad {
        print("first bad commit: \(first) \(log.firstBadSubject ?? "")")
      } else if let range = log.range {
        print("skipped commits left \(range.count) candidates; the first bad commit is one of:")
        for id in range { print("  \(id)") }
      }
      print(
        String(
          format: "%d bisect step(s) for %d commits (at most %d without skips), %d skip(s); %.0f s judging; log: %@",
          log.bisectSteps, log.candidates, log.maxSteps, log.skips, total, out + "/bisect.json"))
    }
    if log.firstBad == nil { throw ExitCode(8) }
  }

  static func stamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
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

  @OptionGroup var step: StepOptions

  @Option(help: "Folder for the step reports (one per commit).")
  var out: String = "results/bisect-run"

  @OptionGroup var global: GlobalOptions

  func run() throws {
    Interrupts.shared.install()
    do {
      let home = global.patchCheckHome
      let repository = try Applier.openRepository(repo, home: home)
      guard let head = try repository.commit(for: "HEAD") else {
        throw PatchCheckError(.baseMissing, "\(repo) has no HEAD commit", hint: "run it from git bisect run in a kernel tree")
      }
      var request = BisectRequest(good: [], bad: "HEAD")
      request.series = step.series
      request.variant = step.variant
      request.scenarios = step.scenarioList
      request.scenarioDirs = step.scenarioDirList
      request.iterations = step.iterations
      request.repository = URL(fileURLWithPath: repo).standardizedFileURL.path
      request.fragments = step.fragmentList
      let judge = try KernelJudge(
        home: home, options: RunOptions(bisect: request, json: global.json),
        stepsFolder: URL(fileURLWithPath: out))
      let (judgement, _) = try VerdictCache(folder: home.verdicts).judgement(of: head, by: judge, label: head.short)
      let call: Int32
      switch judgement.verdict {
      case .pass: call = 0
      case .fail:
        if let title = step.title, !judgement.titles.contains(where: { $0.contains(title) }) {
          call = 125
        } else {
          call = 1
        }
      case .applyFail, .buildFail, .skip: call = 125
      default:
        throw PatchCheckError(
          .infra, "could not judge \(head.short): \(judgement.verdict.rawValue) (\(judgement.reason))",
          hint: "see \(judgement.report ?? out); git bisect stops here")
      }
      let word = call == 0 ? "good" : call == 1 ? "bad" : "skip"
      if global.json {
        try printJSON(BisectRunResult(commit: head.description, call: word, judgement: judgement))
      } else {
        print("\(head.short): \(word) (\(judgement.verdict.rawValue): \(judgement.titles.first ?? judgement.reason))")
      }
      throw ExitCode(call)
    } catch let error as PatchCheckError {
      FileHandle.standardError.write(Data("patchcheck: error: \(error.description)\n".utf8))
      throw ExitCode(error.exitCode >= 128 ? error.exitCode : 128 + error.exitCode)
    } catch let error as GitError {
      FileHandle.standardError.write(Data("patchcheck: error: \(error.description)\n".utf8))
      throw ExitCode(128 + PatchCheckError.Kind.infra.exitCode)
    } catch let error as ExitCode {
      throw error
    } catch {
      // An unexpected error must stop git bisect, never tell it "bad" (exit 1).
      FileHandle.standardError.write(Data("patchcheck: error: \(error); git bisect stops here\n".utf8))
      throw ExitCode(128 + PatchCheckError.Kind.infra.exitCode)
    }
  }
}

struct BisectRunResult: Encodable {
  var commit: String
  var call: String
  var judgement: Judgement
}

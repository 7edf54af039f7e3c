// `patchcheck bisect` as one library call: a new bisect (an earlier finished one in the
// same folder is moved aside, an unfinished one is refused) or the continuation of an
// interrupted one from its log, judged by the real kernel judge, the log kept after every
// step. The command only parses flags and prints the log this returns.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package enum BisectSession {
  /// What the command asks for: a new bisect with `request`, or `resume` the one in `folder`.
  package enum Start: Sendable {
    case new(BisectRequest)
    case resume
  }

  /// Runs (or finishes) the bisect whose log lives in `folder/bisect.json`.
  package static func run(_ start: Start, folder: URL, home: PatchCheckHome, json: Bool, console: Terminal) throws -> BisectLog {
    let logURL = folder.appendingPathComponent("bisect.json")
    let request: BisectRequest
    var earlier: BisectLog?
    switch start {
    case .resume:
      let log = try BisectLog.read(logURL)
      if log.finished { return log }
      request = log.request
      earlier = log
    case .new(let asked):
      try moveFinishedBisectAside(in: folder, logURL: logURL, console: console)
      request = asked
    }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let repository = try Applier.openRepository(request.repository, home: home)
    let judge = try KernelJudge(
      home: home, options: RunOptions(bisect: request, json: json), stepsFolder: folder.appendingPathComponent("steps"))
    let bisector = Bisector(
      repository: repository, judge: judge, cache: VerdictCache(folder: home.verdicts), logURL: logURL, console: console)
    return try bisector.run(request, resuming: earlier)
  }

  /// A finished bisect in `folder` goes to `folder.<its start time>`; an unfinished one is
  /// the user's to continue or move, never overwritten.
  package static func moveFinishedBisectAside(in folder: URL, logURL: URL, console: Terminal) throws {
    guard FileManager.default.fileExists(atPath: logURL.path) else { return }
    let log = try BisectLog.read(logURL)
    guard log.finished else {
      throw PatchCheckError(
        .bisectLog, "\(folder.path) holds an unfinished bisect (\(log.request.good.joined(separator: ","))..\(log.request.bad))",
        hint: "continue it with --resume, or pass --out DIR for a new one")
    }
    let aside = URL(fileURLWithPath: folder.path + "." + stamp(log.startedAt))
    try FileManager.default.moveItem(at: folder, to: aside)
    console.say("the earlier bisect in \(folder.path) is now in \(aside.path)")
  }

  package static func stamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}

extension BisectLog {
  /// The command's closing lines: the first bad commit (or the candidates skips left) and
  /// the steps' count and time.
  package func summaryLines(logPath: String) -> [String] {
    var lines: [String] = []
    let total = steps.filter { !$0.cached }.reduce(0) { $0 + $1.seconds }
    if let firstBad {
      lines.append("first bad commit: \(firstBad) \(firstBadSubject ?? "")")
    } else if let range {
      lines.append("skipped commits left \(range.count) candidates; the first bad commit is one of:")
      lines += range.map { "  \($0)" }
    }
    lines.append(
      String(
        format: "%d bisect step(s) for %d commits (at most %d without skips), %d skip(s); %.0f s judging; log: %@",
        bisectSteps, candidates, maxSteps, skips, total, logPath))
    return lines
  }
}

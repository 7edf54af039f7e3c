// `patchcheck report --merge`: the report folders the ci jobs uploaded (see
// WorkflowEmitter.swift) into one results database, each run once.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

/// `patchcheck report --merge`: report folders (from ci jobs) into one database.
package enum ReportMerger {
  /// What a merge did: runs added, and the report.json files it could not read (each
  /// warned about as it was met), so a CI merge never loses a tag without a word.
  package struct Outcome: Sendable, Equatable {
    package struct Skipped: Sendable, Equatable {
      package var path: String
      package var reason: String
    }
    package var added: Int
    package var skipped: [Skipped]

    /// The line `report --merge` ends with.
    package func summary(database: URL) -> String {
      "added \(added) run(s) to \(database.path)"
        + (skipped.isEmpty ? "" : "; skipped \(skipped.count) unreadable report.json file(s)")
    }
  }

  /// Every report.json under `folders`; a run already there (same key and start time) is
  /// not added twice. A report.json that cannot be read or decoded is skipped with a
  /// one-line warning and counted in the outcome.
  package static func merge(_ folders: [URL], into database: ResultsDatabase, console: Terminal) throws -> Outcome {
    let decoder = JSON.decoder()
    var outcome = Outcome(added: 0, skipped: [])
    let existing = Set(try database.runs().map { "\($0.key) \(Int($0.startedAt.timeIntervalSince1970))" })
    for folder in folders {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
      else {
        throw PatchCheckError(.usage, "no folder at \(folder.path)", hint: "pass the folders the ci jobs uploaded")
      }
      for case let url as URL in walker where url.lastPathComponent == "report.json" {
        let report: Report
        do {
          guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CocoaError(.fileReadNoPermission)
          }
          report = try decoder.decode(Report.self, from: data)
        } catch {
          let skipped = Outcome.Skipped(path: url.path, reason: reason(error))
          console.warn("skipped \(skipped.path): \(skipped.reason)")
          outcome.skipped.append(skipped)
          continue
        }
        let tag = report.ci?.tag ?? report.base?.used ?? "?"
        let key = report.ci?.key ?? SHA256Hex.of(Data("\(report.head ?? "") \(report.run)".utf8))
        guard !existing.contains("\(key) \(Int(report.startedAt.timeIntervalSince1970))") else { continue }
        try database.insert(
          RunRecord(
            report: report, tag: tag, key: key, configHash: report.ci?.configHash ?? "",
            filesChanged: report.ci?.filesChanged, reportDir: url.deletingLastPathComponent().path))
        outcome.added += 1
      }
    }
    return outcome
  }

  /// Why a report.json was skipped, in a few words on one line.
  package static func reason(_ error: Error) -> String {
    let text: String
    switch error {
    case DecodingError.dataCorrupted(let context): text = "not JSON or not a report (\(context.debugDescription))"
    case DecodingError.keyNotFound(let key, _): text = "not a patchcheck report (no '\(key.stringValue)')"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      text = "not a patchcheck report (\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription))"
    case let error as CocoaError where error.code == .fileReadNoPermission: text = "cannot be read"
    default: text = "\(error)"
    }
    let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return line.count > 200 ? String(line.prefix(200)) + "..." : line
  }
}

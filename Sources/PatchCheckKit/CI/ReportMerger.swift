// `patchcheck report --merge`: the report folders the ci jobs uploaded (see
// WorkflowEmitter.swift) into one results database, each run once.

import Foundation

/// `patchcheck report --merge`: report folders (from ci jobs) into one database.
public enum ReportMerger {
  /// Every report.json under `folders`; returns how many runs were added (a run already
  /// there, same key and start time, is not added twice).
  public static func merge(_ folders: [URL], into database: ResultsDatabase) throws -> Int {
    let decoder = JSON.decoder()
    var added = 0
    let existing = Set(try database.runs().map { "\($0.key) \(Int($0.startedAt.timeIntervalSince1970))" })
    for folder in folders {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
      else {
        throw PatchCheckError(.usage, "no folder at \(folder.path)", hint: "pass the folders the ci jobs uploaded")
      }
      for case let url as URL in walker where url.lastPathComponent == "report.json" {
        guard let data = FileManager.default.contents(atPath: url.path), let report = try? decoder.decode(Report.self, from: data)
        else { continue }
        let tag = report.ci?.tag ?? report.base?.used ?? "?"
        let key = report.ci?.key ?? SHA256Hex.of(Data("\(report.head ?? "") \(report.run)".utf8))
        guard !existing.contains("\(key) \(Int(report.startedAt.timeIntervalSince1970))") else { continue }
        try database.insert(
          RunRecord(
            report: report, tag: tag, key: key, configHash: report.ci?.configHash ?? "",
            filesChanged: report.ci?.filesChanged, reportDir: url.deletingLastPathComponent().path))
        added += 1
      }
    }
    return added
  }
}

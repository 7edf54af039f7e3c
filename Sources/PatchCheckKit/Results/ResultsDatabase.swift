// The results database (SQLite through GRDB): one row per finished run of a series on a
// tree, written in its own transaction the moment its verdict is known, so a crash or a
// Ctrl-C loses only the run in progress. `patchcheck ci` skips what it already holds,
// `history` and `report --html` read it, `report --merge` fills it from report folders.

import Foundation
import GRDB
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
  package static let databaseTableName = "run"

  package var id: Int64?
  /// The tree commit plus every input that decides the verdict (see `KernelJudge.key`).
  package var key: String
  package var startedAt: Date
  package var tag: String
  package var commit: String
  package var series: String
  package var seriesTitle: String
  package var patchIDs: [String]
  package var variant: String
  package var configHash: String
  package var scenarios: [String]
  package var verdict: Verdict
  package var reason: String
  package var exitCode: Int
  package var titles: [String]
  package var scenarioResults: [ScenarioCell]
  package var splats: [SplatCell]
  package var phases: [Phase: Double]
  package var tools: [String: String]
  /// Files that differ from the tree built before this one, and objects compiled.
  package var filesChanged: Int?
  package var objects: Int?
  package var reportDir: String

  package struct ScenarioCell: Codable, Sendable, Equatable {
    package var name: String
    package var result: TestOutcome
  }

  package struct SplatCell: Codable, Sendable, Equatable {
    package var title: String
    package var kind: Splat.Kind
    package var excerpt: [String]
    /// The base shows it too: how often on each side (nil: new, or the base was not asked).
    /// `titles` holds only the new ones.
    package var preExisting: String?
  }

  package mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension RunRecord {
  /// A row from a finished report.
  package init(report: Report, tag: String, key: String, configHash: String, filesChanged: Int?, reportDir: String) {
    self.init(
      id: nil, key: key, startedAt: report.startedAt, tag: tag, commit: report.base?.commit ?? "",
      series: report.series?.manifest ?? report.series.map { slug($0.title) } ?? "none",
      seriesTitle: report.series?.title ?? "", patchIDs: report.patches.compactMap(\.patchID),
      variant: report.series?.variant ?? "as-posted", configHash: configHash,
      scenarios: report.scenarios.map(\.name), verdict: report.verdict,
      reason: report.reason, exitCode: Int(report.exitCode), titles: report.failureTitles,
      scenarioResults: report.scenarios.map { ScenarioCell(name: $0.name, result: $0.result) },
      splats: report.splats.map { splat in
        SplatCell(
          title: splat.title, kind: splat.kind, excerpt: Array(splat.excerpt.prefix(60)),
          preExisting: splat.preExisting == true
            ? (report.preExisting?.first { $0.title == splat.title }?.sentence ?? "pre-existing: \(splat.title)") : nil)
      },
      phases: report.phases,
      tools: [
        "patchcheck": report.tools.patchcheck, "libgit2": report.tools.libgit2, "compiler": report.tools.compiler ?? "",
        "qemu": report.tools.qemu ?? "", "kernel": report.tools.kernel ?? "",
      ],
      filesChanged: filesChanged, objects: report.build?.objects, reportDir: reportDir)
  }
}

package final class ResultsDatabase: @unchecked Sendable {
  package let url: URL
  package let queue: DatabaseQueue

  /// Opens (creating when absent) the database at `url`. Waits up to `busyTimeout` for a
  /// writer in another process; a file that is not a database is never touched.
  package init(url: URL, busyTimeout: TimeInterval = 30) throws {
    self.url = url
    try FileManager.default.ensureDirectory(url.deletingLastPathComponent())
    var configuration = Configuration()
    configuration.busyMode = .timeout(busyTimeout)
    do {
      queue = try DatabaseQueue(path: url.path, configuration: configuration)
      try Self.migrate(queue)
    } catch {
      throw Self.explain(error, url: url)
    }
  }

  /// Brings the schema up to date. GRDB reads which migrations are applied before it takes
  /// the write lock for each, so two processes opening a new file at once (ci runs started
  /// side by side, a run and `history`) can both decide to run v1, and the later one fails
  /// on a table the other just made. The database is then as it should be: only a failure
  /// that leaves a migration not applied is one.
  package static func migrate(_ queue: DatabaseQueue) throws {
    do {
      try migrator.migrate(queue)
    } catch {
      guard try queue.read({ try migrator.hasCompletedMigrations($0) }) else { throw error }
    }
  }

  package static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.create(table: "run") { t in
        t.autoIncrementedPrimaryKey("id")
        t.column("key", .text).notNull().indexed()
        t.column("startedAt", .datetime).notNull()
        t.column("tag", .text).notNull()
        t.column("commit", .text).notNull()
        t.column("series", .text).notNull().indexed()
        t.column("seriesTitle", .text).notNull()
        t.column("patchIDs", .text).notNull()
        t.column("variant", .text).notNull()
        t.column("configHash", .text).notNull()
        t.column("scenarios", .text).notNull()
        t.column("verdict", .text).notNull()
        t.column("reason", .text).notNull()
        t.column("exitCode", .integer).notNull()
        t.column("titles", .text).notNull()
        t.column("scenarioResults", .text).notNull()
        t.column("splats", .text).notNull()
        t.column("phases", .text).notNull()
        t.column("tools", .text).notNull()
        t.column("filesChanged", .integer)
        t.column("objects", .integer)
        t.column("reportDir", .text).notNull()
      }
    }
    return migrator
  }

  /// The latest run with these exact inputs that reached a verdict, if any.
  package func run(key: String) throws -> RunRecord? {
    try guarded {
      try queue.read { db in
        try decode(
          Row.fetchAll(
            db,
            RunRecord.filter(Column("key") == key && Column("verdict") != Verdict.infraError.rawValue).order(Column("id").desc)
              .limit(1))
        ).first
      }
    }
  }

  /// Records a finished run in its own transaction.
  @discardableResult
  package func insert(_ record: RunRecord) throws -> RunRecord {
    var record = record
    try guarded { try queue.write { db in try record.insert(db) } }
    return record
  }

  /// Every run, oldest first; optionally of one series and variant.
  package func runs(series: String? = nil, variant: String? = nil) throws -> [RunRecord] {
    try guarded {
      try queue.read { db in
        var request = RunRecord.all()
        if let series { request = request.filter(Column("series") == series) }
        if let variant { request = request.filter(Column("variant") == variant) }
        return try decode(Row.fetchAll(db, request.order(Column("id"))))
      }
    }
  }

  /// The series recorded, most runs first.
  package func seriesNames() throws -> [String] {
    try guarded {
      try queue.read { db in
        try String.fetchAll(db, sql: "SELECT series FROM run GROUP BY series ORDER BY COUNT(*) DESC, series")
      }
    }
  }

  /// Rows as records. A value that is not of its column's vocabulary (a verdict, phase or
  /// report kind this version does not know) is an error naming the row, not a string
  /// carried on.
  func decode(_ rows: [Row]) throws -> [RunRecord] {
    try rows.map { row in
      do {
        return try RunRecord(row: row)
      } catch {
        let id: Int64? = row["id"]
        let tag: String? = row["tag"]
        let detail =
          (error as? DecodingError).map { error -> String in
            switch error {
            case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
              return context.debugDescription
            @unknown default: return "\(error)"
            }
          } ?? "\(error)"
        throw PatchCheckError(
          .database, "results database \(url.path): row \(id.map(String.init) ?? "?") (tag \(tag ?? "?")) cannot be read: \(detail)",
          hint: "it was written by another version of patchcheck; use that version, or move the file aside")
      }
    }
  }

  /// SQLite's own consistency check: "ok" or what is wrong.
  package func integrity() throws -> String {
    try guarded { try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" } }
  }

  package func guarded<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as PatchCheckError { throw error } catch { throw Self.explain(error, url: url) }
  }

  package static func explain(_ error: Error, url: URL) -> PatchCheckError {
    let code = (error as? DatabaseError)?.resultCode
    switch code {
    case .SQLITE_BUSY?, .SQLITE_LOCKED?:
      return PatchCheckError(
        .database, "the results database \(url.path) is locked by another process",
        hint: "wait for the other patchcheck run to finish, or pass --db with another file")
    case .SQLITE_NOTADB?, .SQLITE_CORRUPT?:
      return PatchCheckError(
        .database, "\(url.path) is not a usable results database (\(code.map { "\($0)" } ?? ""))",
        hint: "move it aside (patchcheck changed nothing in it); the next run starts a new one")
    default:
      return PatchCheckError(
        .database, "results database \(url.path): \(error)", hint: "check the file and its folder's permissions, or pass --db")
    }
  }
}

// The report of a run in progress, shared by the run's thread and the interrupt handler
// (which runs on another queue). The run's thread hands it each phase's report; a signal
// concludes the latest one ABORTED and writes it. Both write under one lock, so once a
// signal has come the last report.json written says ABORTED, never a verdict the run's
// thread reached after it (from a make or a QEMU our kill ended).

import Foundation
import PatchCheckBase
import PatchCheckVerdict

package final class ReportKeeper: @unchecked Sendable {
  private let lock = NSLock()
  private var report: Report
  private var aborted = false
  private let out: URL
  private let write: (Report, URL) throws -> Void

  package init(_ report: Report, out: URL, write: @escaping (Report, URL) throws -> Void) {
    self.report = report
    self.out = out
    self.write = write
  }

  /// What the run has done so far (what an ABORTED report would hold).
  package func update(_ report: Report) {
    lock.withLock { if !aborted { self.report = report } }
  }

  /// The run's own last write. False when a signal came first: the handler's ABORTED report
  /// stands and the caller must leave the exit to it.
  package func finish(_ report: Report) throws -> Bool {
    try lock.withLock {
      guard !aborted, !Interrupts.shared.interrupted else { return false }
      self.report = report
      try write(report, out)
      return true
    }
  }

  /// From the interrupt handler: the latest report, ABORTED, written. When the full write
  /// fails (the junit, KCIDB or summary writer, a folder removed under us), report.json is
  /// written alone; when that fails too, stderr says so in one line.
  package func abort(_ reason: String) {
    lock.withLock {
      aborted = true
      report.conclude(.aborted, reason)
      do {
        try FileManager.default.ensureDirectory(out)
        try write(report, out)
      } catch {
        do {
          try report.jsonData().write(to: out.appendingPathComponent("report.json"), options: .atomic)
        } catch {
          let line = "could not write the ABORTED report to \(out.path): \(error)"
          FileHandle.standardError.write(Data("patchcheck: \(VisibleText.of(line))\n".utf8))
        }
      }
    }
  }

  /// The report as it stands (tests).
  package var current: Report { lock.withLock { report } }
}

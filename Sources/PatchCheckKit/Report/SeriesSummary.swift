// The series as the report names it: title, version, source, message-id, manifest,
// variant and patch count.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct SeriesSummary: Sendable, Codable {
  package var title: String
  package var version: Int?
  package var source: String
  package var messageID: String?
  package var manifest: String?
  package var variant: String
  package var patchCount: Int
  /// The series' reading warnings (e.g. a Date dated now because it could not be read).
  package var warnings: [String]?
  /// Which revision of the thread was taken and what else it held (`ThreadReading.line`).
  package var thread: String?

  package init(_ series: Series, manifest: SeriesManifest?, variant: String) {
    title = series.title
    version = series.version
    source = series.source
    messageID = series.cover?.messageID ?? series.patches.first?.messageID
    self.manifest = manifest?.name
    self.variant = variant
    patchCount = series.patches.count
    warnings = series.warnings
    thread = series.thread.map(\.line)
  }
}

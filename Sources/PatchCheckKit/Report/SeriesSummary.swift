// The series as the report names it: title, version, source, message-id, manifest,
// variant and patch count.

import Foundation

public struct SeriesSummary: Sendable, Codable {
  public var title: String
  public var version: Int?
  public var source: String
  public var messageID: String?
  public var manifest: String?
  public var variant: String
  public var patchCount: Int
  /// The series' reading warnings (e.g. a Date dated now because it could not be read).
  public var warnings: [String]?

  public init(_ series: Series, manifest: SeriesManifest?, variant: String) {
    title = series.title
    version = series.version
    source = series.source
    messageID = series.cover?.messageID ?? series.patches.first?.messageID
    self.manifest = manifest?.name
    self.variant = variant
    patchCount = series.patches.count
    warnings = series.warnings
  }
}

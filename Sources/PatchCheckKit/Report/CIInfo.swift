// What a ci run adds to a tag's report, so the report can be merged into a results
// database later (`report --merge`).

import Foundation

/// What a ci run adds to a tag's report: enough to merge the report into a database later.
public struct CIInfo: Codable, Sendable {
  public var tag: String
  public var key: String
  public var configHash: String
  public var filesChanged: Int?
}

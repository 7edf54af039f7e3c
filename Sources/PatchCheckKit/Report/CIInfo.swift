// What a ci run adds to a tag's report, so the report can be merged into a results
// database later (`report --merge`).

import Foundation

/// What a ci run adds to a tag's report: enough to merge the report into a database later.
package struct CIInfo: Codable, Sendable {
  package var tag: String
  package var key: String
  package var configHash: String
  package var filesChanged: Int?
}

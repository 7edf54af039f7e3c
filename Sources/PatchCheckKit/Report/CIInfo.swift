// What a ci run adds to a tag's report, so the report can be merged into a results
// database later (`report --merge`).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

/// What a ci run adds to a tag's report: enough to merge the report into a database later.
package struct CIInfo: Codable, Sendable {
  package var tag: String
  package var key: String
  package var configHash: String
  package var filesChanged: Int?

  package init(tag: String, key: String, configHash: String, filesChanged: Int? = nil) {
    self.tag = tag
    self.key = key
    self.configHash = configHash
    self.filesChanged = filesChanged
  }
}

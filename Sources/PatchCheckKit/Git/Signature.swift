// Who wrote a patch and when: from a mail's From and Date, onto a commit's author.

import Foundation

package struct Signature: Sendable, Equatable, Codable {
  package var name: String
  package var email: String
  package var time: Date
  /// Minutes east of UTC.
  package var offsetMinutes: Int

  package init(name: String, email: String, time: Date, offsetMinutes: Int) {
    self.name = name
    self.email = email
    self.time = time
    self.offsetMinutes = offsetMinutes
  }

  package static func patchcheck(at time: Date = Date()) -> Signature {
    Signature(name: "patchcheck", email: "patchcheck@localhost", time: time, offsetMinutes: 0)
  }
}

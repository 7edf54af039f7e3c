// Who wrote a patch and when: from a mail's From and Date, onto a commit's author.

import Foundation

public struct Signature: Sendable, Equatable, Codable {
  public var name: String
  public var email: String
  public var time: Date
  /// Minutes east of UTC.
  public var offsetMinutes: Int

  public init(name: String, email: String, time: Date, offsetMinutes: Int) {
    self.name = name
    self.email = email
    self.time = time
    self.offsetMinutes = offsetMinutes
  }

  public static func patchcheck(at time: Date = Date()) -> Signature {
    Signature(name: "patchcheck", email: "patchcheck@localhost", time: time, offsetMinutes: 0)
  }
}

// libgit2, wrapped tightly: every return code goes through `check`, which reads
// git_error_last() at once; handles are final classes that free in deinit.

import CGit2
import Foundation

package struct GitError: Error, CustomStringConvertible, Sendable {
  package let operation: String
  package let code: Int32
  package let message: String
  package init(operation: String, code: Int32, message: String) {
    self.operation = operation
    self.code = code
    self.message = message
  }
  package var description: String { "\(operation) failed: \(message)" }
  package var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
}

@discardableResult
package func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
  guard rc < 0 else { return rc }
  let message = git_error_last().map { String(cString: $0.pointee.message) } ?? "error \(rc)"
  throw GitError(operation: operation(), code: rc, message: message)
}

package enum LibGit2 {
  private static let initialized: Bool = {
    git_libgit2_init()
    return true
  }()

  package static func initialize() { _ = initialized }

  package static var version: String {
    var major: Int32 = 0
    var minor: Int32 = 0
    var rev: Int32 = 0
    git_libgit2_version(&major, &minor, &rev)
    return "\(major).\(minor).\(rev)"
  }
}

package struct ObjectID: Hashable, Sendable, CustomStringConvertible {
  package var raw: git_oid

  package init(_ raw: git_oid) { self.raw = raw }

  package init?(hex: String) {
    var oid = git_oid()
    guard hex.utf8.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
    raw = oid
  }

  package var description: String {
    var copy = raw
    var buffer = [CChar](repeating: 0, count: 41)
    git_oid_tostr(&buffer, 41, &copy)
    return String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
  package var short: String { String(description.prefix(12)) }

  package static func == (a: ObjectID, b: ObjectID) -> Bool {
    var x = a.raw
    var y = b.raw
    return git_oid_equal(&x, &y) == 1
  }
  package func hash(into hasher: inout Hasher) { hasher.combine(description) }
}

extension Signature {
  package func withHandle<T>(_ body: (UnsafeMutablePointer<git_signature>) throws -> T) throws -> T {
    var sig: UnsafeMutablePointer<git_signature>?
    try check(
      git_signature_new(
        &sig, name, email, git_time_t(time.timeIntervalSince1970), Int32(offsetMinutes)),
      "signature for \(name) <\(email)>")
    guard let sig else { throw GitError(operation: "signature", code: -1, message: "no signature") }
    defer { git_signature_free(sig) }
    return try body(sig)
  }
}

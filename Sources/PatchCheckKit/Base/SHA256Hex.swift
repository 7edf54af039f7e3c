// SHA-256 as lowercase hex, through OpenSSL's libcrypto: patchset hashes, cache keys and
// the executable's own hash in its version.

import CCrypto
import Foundation

package enum SHA256Hex {
  package static func of(_ data: Data) -> String {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    data.withUnsafeBytes { bytes in
      _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &digest)
    }
    return digest.map { String(format: "%02x", $0) }.joined()
  }
}

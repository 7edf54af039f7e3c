// JSON as patchcheck writes it (report.json, kcidb.json, the bisect log and cache, --json
// output): sorted keys, slashes left alone, ISO 8601 dates; pretty-printed unless a site
// asks for compact output. One set-up, so every file a run leaves reads the same way.

import Foundation

package enum JSON {
  package enum Layout: Sendable {
    /// Indented, for files and output people read.
    case pretty
    /// One line, for files only patchcheck reads back (the bisect verdict cache).
    case compact
  }

  package static func encoder(_ layout: Layout = .pretty) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    if layout == .pretty { encoder.outputFormatting.insert(.prettyPrinted) }
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }

  package static func encode<T: Encodable>(_ value: T, _ layout: Layout = .pretty) throws -> Data {
    try encoder(layout).encode(value)
  }

  /// Reads what `encoder` wrote (ISO 8601 dates).
  package static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }
}

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
    escapingControls(try encoder(layout).encode(value))
  }

  /// JSON escapes U+0000-U+001F itself but passes DEL and the C1 controls (U+0080-U+009F;
  /// U+009B is a CSI to some terminals) as they are: written as \u escapes here, so
  /// `cat report.json` or `--json` on a terminal shows text from a mail or a guest, never
  /// obeys it. The same JSON value: they only occur inside strings.
  package static func escapingControls(_ data: Data) -> Data {
    // Looked for in place: most output has nothing to escape and is returned as it is.
    guard data.withUnsafeBytes({ raw in raw.contains { $0 == 0x7F || $0 == 0xC2 } }) else { return data }
    let bytes = [UInt8](data)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 64)
    var i = 0
    while i < bytes.count {
      let byte = bytes[i]
      i += 1
      if byte == 0x7F {
        out.append(contentsOf: "\\u007f".utf8)
      } else if byte == 0xC2, i < bytes.count, (0x80...0x9F).contains(bytes[i]) {
        out.append(contentsOf: String(format: "\\u%04x", Int(bytes[i])).utf8)
        i += 1
      } else {
        out.append(byte)
      }
    }
    return Data(out)
  }

  /// Reads what `encoder` wrote (ISO 8601 dates).
  package static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }
}

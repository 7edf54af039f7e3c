// gunzip through zlib: lore serves a thread as t.mbox.gz (the file is gzip, not a
// Content-Encoding, so the HTTP client hands it over compressed).

import CZlib
import Foundation

package enum Gzip {
  package enum Failure: Error, Equatable {
    /// The data does not start with gzip's magic bytes; `start` is what it starts with.
    case notGzip(start: String)
    /// zlib stopped before the end of the stream (a cut download, damaged data).
    case damaged(String)
  }

  /// Every member of a gzip file, inflated and joined (`gzip -d`).
  package static func decompress(_ data: Data) throws -> Data {
    guard data.count >= 2, data[data.startIndex] == 0x1f, data[data.startIndex + 1] == 0x8b else {
      let start = String(decoding: data.prefix(16), as: UTF8.self)
      throw Failure.notGzip(start: start)
    }
    var output = Data()
    var input = [UInt8](data)
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw Failure.damaged("zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let total = input.count
    var consumed = 0
    try input.withUnsafeMutableBufferPointer { bytes in
      guard let base = bytes.baseAddress else { return }
      stream.next_in = base
      stream.avail_in = uInt(total)
      while true {
        let status = buffer.withUnsafeMutableBufferPointer { out -> Int32 in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(out.count)
          let status = inflate(&stream, Z_NO_FLUSH)
          if let produced = out.baseAddress { output.append(produced, count: out.count - Int(stream.avail_out)) }
          return status
        }
        consumed = total - Int(stream.avail_in)
        switch status {
        case Z_STREAM_END:
          // Another member may follow (`cat a.gz b.gz`).
          guard consumed + 2 <= total, base[consumed] == 0x1f, base[consumed + 1] == 0x8b else { return }
          inflateReset(&stream)
        case Z_OK:
          continue
        case Z_BUF_ERROR where stream.avail_in == 0:
          throw Failure.damaged("the gzip stream ends early, after \(consumed) bytes")
        default:
          let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
          throw Failure.damaged("\(reason) at byte \(consumed)")
        }
      }
    }
    return output
  }
}

// libFuzzer target: an mbox (or single patch mail) through the mail splitter, the header
// and body decoders, the series parser and the unified-diff parser.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMbox(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let messages = Mbox.split(text)
  if let series = try? SeriesParser.parse(messages, source: "fuzz") {
    for patch in series.patches {
      if let files = try? UnifiedDiff.parse(patch.diff) {
        _ = UnifiedDiff.changeSet(files)
        _ = UnifiedDiff.render(files)
      }
    }
  }
  if let files = try? UnifiedDiff.parse(text) { _ = UnifiedDiff.contextLines(of: files) }
  return 0
}

// Everything the tool does with an untrusted mbox short of touching a repository: split,
// decode, parse the series, parse and re-render each diff. The fuzzer (fuzz/MboxTarget.swift)
// and the regression tests for its findings both call this, so they test the same thing.

import Foundation
import PatchCheckBase

extension SeriesParser {
  package static func exercise(_ data: Data) {
    let text = String(decoding: data, as: UTF8.self)
    let messages = Mbox.split(text)
    // The thread reading a real run does first (revisions, replies, duplicates), then the parse.
    if let (chosen, reading) = try? MailThread.select(messages, revision: nil, messageID: messages.first?.messageID) {
      _ = reading.line
      _ = try? parse(chosen, source: "fuzz")
    }
    if let series = try? parse(messages, source: "fuzz") {
      _ = series.statedBase
      for patch in series.patches {
        _ = diffstat(patch.diff)
        if let files = try? UnifiedDiff.parse(patch.diff) {
          _ = UnifiedDiff.changeSet(files)
          _ = UnifiedDiff.render(files)
          _ = UnifiedDiff.reversed(files)
        }
      }
    }
    if let files = try? UnifiedDiff.parse(text) { _ = UnifiedDiff.contextLines(of: files) }
  }
}

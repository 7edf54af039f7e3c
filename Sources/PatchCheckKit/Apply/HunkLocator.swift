// Where a hunk's preimage stands in a file of the tree: libgit2 applies; this says where
// each hunk landed, or why it could not.

import Foundation
import PatchCheckBase

/// Where a hunk's preimage stands in a file: nearest to where the hunk says, first.
package enum HunkLocator {
  /// 1-based line of the match, or nil.
  package static func locate(_ preimage: [String], in file: [String], near expected: Int) -> Int? {
    if preimage.isEmpty { return expected }
    let start = max(0, expected - 1)
    let last = file.count - preimage.count
    guard last >= 0 else { return nil }
    var distance = 0
    while start - distance >= 0 || start + distance <= last {
      for candidate in Set([start + distance, start - distance]).sorted()
      where candidate >= 0 && candidate <= last {
        if matches(preimage, file, at: candidate) { return candidate + 1 }
      }
      distance += 1
    }
    return nil
  }

  /// 0-based start where the most of `preimage`'s lines match, if at least half do.
  package static func closest(_ preimage: [String], in file: [String]) -> Int? {
    guard !preimage.isEmpty, file.count >= preimage.count else { return nil }
    var best = (index: 0, score: -1)
    for index in 0...(file.count - preimage.count) {
      var score = 0
      for (offset, line) in preimage.enumerated() where file[index + offset] == line { score += 1 }
      if score > best.score { best = (index, score) }
    }
    return best.score * 2 >= preimage.count ? best.index : nil
  }

  package static func matches(_ preimage: [String], _ file: [String], at index: Int) -> Bool {
    for (offset, line) in preimage.enumerated() where file[index + offset] != line { return false }
    return true
  }

  package static func lines(of data: Data) -> [String] {
    // Split on bytes: "\r\n" is one Character in Swift, so a String split would miss it.
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
      .map { String(decoding: $0, as: UTF8.self) }
    if lines.last == "" { lines.removeLast() }
    return lines
  }
}

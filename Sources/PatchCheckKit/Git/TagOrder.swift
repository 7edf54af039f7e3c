// The order of tag names as people read them: v7.2.9 before v7.2.11. Used wherever tags are
// listed (ci's tag globs, history, the results page).

import Foundation

package enum TagOrder {
  /// v7.2.9 before v7.2.11: digit runs compare as numbers.
  package static func versionOrder(_ a: String, _ b: String) -> Bool {
    func parts(_ s: String) -> [Either] {
      var out: [Either] = []
      var digits = ""
      var text = ""
      for c in s {
        if c.isNumber {
          if !text.isEmpty { out.append(.text(text)); text = "" }
          digits.append(c)
        } else {
          if !digits.isEmpty { out.append(.number(Int(digits) ?? 0)); digits = "" }
          text.append(c)
        }
      }
      if !digits.isEmpty { out.append(.number(Int(digits) ?? 0)) }
      if !text.isEmpty { out.append(.text(text)) }
      return out
    }
    let (x, y) = (parts(a), parts(b))
    for (p, q) in zip(x, y) where p != q {
      switch (p, q) {
      case (.number(let m), .number(let n)): return m < n
      case (.text(let m), .text(let n)): return m < n
      case (.number, .text): return true
      case (.text, .number): return false
      }
    }
    return x.count < y.count
  }

  package enum Either: Equatable {
    case number(Int)
    case text(String)
  }
}

// What the series changes, by C function: each hunk's added and removed lines placed in the
// file as the patch left it (the patch's own commit), and each placed line named by the
// function whose body holds it. The guest traces these functions (the coverage of the
// series) and the verdict asks whether any of them ran.

import Foundation
import PatchCheckBase

/// One function the series changes.
package struct ChangedFunction: Sendable, Codable, Hashable {
  package var name: String
  package var file: String
  /// The patches (1-based, as posted) that change it.
  package var patches: [Int]
  /// Lines added or removed inside it, over the whole series.
  package var lines: Int
}

/// The series' changes by function, and what changed outside any function.
package struct ChangeMap: Sendable, Codable, Equatable {
  package var functions: [ChangedFunction] = []
  /// Changed lines outside every function body, per file: declarations, macros, data,
  /// and files that are not C (Kconfig, Makefiles, documentation).
  package var outside: [String: Int] = [:]

  package init(functions: [ChangedFunction] = [], outside: [String: Int] = [:]) {
    self.functions = functions
    self.outside = outside
  }

  /// The function names the guest is asked to trace (one per name: ftrace filters by name).
  package var names: [String] { Array(Set(functions.map(\.name))).sorted() }
}

/// A function definition in a C file: its name and the lines (1-based) from the first line
/// of its declarator to its closing brace.
package struct CFunction: Sendable, Equatable {
  package var name: String
  package var lines: ClosedRange<Int>
}

package enum ChangedFunctions {
  /// The functions `series` changes. `patches` are the apply results (each applied patch's
  /// commit and where its hunks landed); a patch without a commit is left out.
  package static func map(_ series: Series, applied patches: [PatchResult], repository: GitRepository) throws -> ChangeMap {
    var byKey: [String: ChangedFunction] = [:]
    var outside: [String: Int] = [:]
    for patch in series.patches {
      guard let result = patches.first(where: { $0.number == patch.number }), let hex = result.commit,
        let commit = ObjectID(hex: hex)
      else { continue }
      for file in try UnifiedDiff.parse(patch.diff) {
        let changed = file.hunks.reduce(0) { $0 + $1.lines.filter { $0.first == "+" || $0.first == "-" }.count }
        guard changed > 0 else { continue }
        guard isC(file.path), file.newPath != nil,
          let data = try repository.file(file.path, in: commit)
        else {
          outside[file.path, default: 0] += changed
          continue
        }
        let lines = Self.lines(of: String(decoding: data, as: UTF8.self))
        let functions = Self.functions(in: lines)
        for (index, hunk) in file.hunks.enumerated() {
          let landed = result.hunks.first { $0.file == file.path && $0.hunk == index + 1 }
          let start = position(of: hunk, in: lines, near: hunk.newStart + (landed?.offset ?? 0))
          for line in changedLines(of: hunk, at: start) {
            guard let function = functions.first(where: { $0.lines.contains(line) }) else {
              outside[file.path, default: 0] += 1
              continue
            }
            let key = file.path + "\u{0}" + function.name
            var entry = byKey[key] ?? ChangedFunction(name: function.name, file: file.path, patches: [], lines: 0)
            if !entry.patches.contains(patch.number) { entry.patches.append(patch.number) }
            entry.lines += 1
            byKey[key] = entry
          }
        }
      }
    }
    let functions = byKey.values.sorted { ($0.file, $0.name) < ($1.file, $1.name) }
    return ChangeMap(functions: functions, outside: outside)
  }

  package static func isC(_ path: String) -> Bool { path.hasSuffix(".c") || path.hasSuffix(".h") }

  /// The first line of the hunk's new side in `lines`: where the apply put it, checked
  /// against the text; else the first place the new side stands whole; else `near`.
  package static func position(of hunk: Hunk, in lines: [String], near: Int) -> Int {
    let newSide = hunk.lines.compactMap { line -> String? in
      guard let first = line.first else { return "" }
      return first == " " || first == "+" ? String(line.dropFirst()) : nil
    }
    func matches(at start: Int) -> Bool {
      guard start >= 1, start - 1 + newSide.count <= lines.count else { return false }
      return zip(lines[(start - 1)...], newSide).allSatisfy { $0 == $1 }
    }
    if newSide.isEmpty || matches(at: near) { return max(1, near) }
    if let found = (1...max(1, lines.count)).first(where: matches) { return found }
    return max(1, near)
  }

  /// The new-side line numbers a hunk changes, its first new-side line being `start`: each
  /// added line, and for removed lines the line they stood before.
  package static func changedLines(of hunk: Hunk, at start: Int) -> [Int] {
    var line = start
    var changed: [Int] = []
    for text in hunk.lines {
      switch text.first {
      case "+":
        changed.append(line)
        line += 1
      case "-":
        changed.append(line)
      case "\\":
        continue
      default:
        line += 1
      }
    }
    return changed
  }

  /// A file's lines, numbered from 1 by their index + 1.
  package static func lines(of text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }

  /// The function definitions of a C file's text (`functions(in:)` on its lines).
  package static func functions(inText text: String) -> [CFunction] { functions(in: lines(of: text)) }

  /// The function definitions of a C file in the kernel's style: a body opens with `{`
  /// alone at the start of a line and closes with `}` at the start of a line; the name is
  /// the identifier before the declarator's first parenthesis (attribute macros skipped).
  package static func functions(in lines: [String]) -> [CFunction] {
    var result: [CFunction] = []
    var index = 0
    while index < lines.count {
      guard lines[index].trimmingTrailingWhitespace == "{" else {
        index += 1
        continue
      }
      let open = index
      var start = open
      while start > 0 {
        let previous = lines[start - 1].trimmingTrailingWhitespace
        if previous.isEmpty || previous.hasPrefix("#") || previous.hasSuffix(";") || previous.hasSuffix("}")
          || previous.hasSuffix("*/") || previous.hasPrefix("//")
        {
          break
        }
        start -= 1
      }
      var end = open + 1
      while end < lines.count, !lines[end].hasPrefix("}") { end += 1 }
      let declarator = lines[start..<open].joined(separator: " ")
      if let name = declaredName(declarator) {
        result.append(CFunction(name: name, lines: (start + 1)...(min(end, lines.count - 1) + 1)))
      }
      index = end + 1
    }
    return result
  }

  /// Attribute and annotation macros that take arguments before a function's name.
  package static let annotations: Set<String> = [
    "__attribute__", "__printf", "__scanf", "__releases", "__acquires", "__must_hold", "__section", "__aligned",
    "__alloc_size", "__diagnose_as", "__nocfi", "__no_sanitize_address", "__cond_acquires", "__cond_releases",
    "__malloc", "__realloc_size", "EXPORT_SYMBOL", "__free",
  ]

  /// The name a declarator declares: the first `identifier (` that is not an annotation.
  package static func declaredName(_ declarator: String) -> String? {
    let scalars = Array(declarator.unicodeScalars)
    var i = 0
    var word = ""
    while i < scalars.count {
      let c = scalars[i]
      if c == "_" || CharacterSet.alphanumerics.contains(c) {
        word.unicodeScalars.append(c)
      } else {
        if !word.isEmpty {
          var j = i
          while j < scalars.count, scalars[j] == " " || scalars[j] == "\t" { j += 1 }
          if j < scalars.count, scalars[j] == "(", !annotations.contains(word), !(word.first?.isNumber ?? true) {
            return word
          }
        }
        word = ""
      }
      i += 1
    }
    return nil
  }
}

extension String {
  package var trimmingTrailingWhitespace: Substring {
    var end = endIndex
    while end > startIndex, let last = self[..<end].last, last == " " || last == "\t" || last == "\r" {
      end = index(before: end)
    }
    return self[..<end]
  }
}

// KTAP v1 results from the console: the runner prints one top-level test per scenario
// with its steps as subtests. Kernel messages interleave on the same console; lines with
// a printk time stamp are not KTAP.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package struct StepResult: Sendable, Codable, Equatable {
  package var number: Int
  package var name: String
  package var result: TestOutcome
  package var directive: String?
  package var diagnostics: [String]
}

package enum TestOutcome: String, Sendable, Codable {
  case pass, fail, skip, timeout
  /// The scenario never reported (the guest stopped first).
  case missing
}

package struct ScenarioResult: Sendable, Codable, Equatable {
  package var name: String
  package var result: TestOutcome
  package var steps: [StepResult]
}

package enum KTAPParser {
  /// The KTAP lines of a console log, from the first version line on.
  package static func extract(_ log: String) -> String {
    let lines = log.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.firstIndex(where: { $0 == "KTAP version 1" }) else { return "" }
    let pattern = #/^\s*(KTAP version 1|\d+\.\.\d+|(not )?ok \d+.*|# .*)$/#
    let kept = lines[start...].filter { (try? pattern.wholeMatch(in: String($0))) != nil }.map {
      VisibleText.of(String($0), limit: ConsoleLine.shownLimit)
    }
    return kept.joined(separator: "\n") + "\n"
  }

  package static func parse(_ log: String, expected: [String] = []) -> [ScenarioResult] {
    var collector = Collector()
    var started = false
    // The serial console ends lines with \r\n, which Swift treats as one Character: split at
    // every \n on the bytes, and drop every \r (what replacing \r\n by \n, splitting and
    // dropping \r did). Most lines are passed over from their bytes (see `KTAPLine`).
    for bytes in KTAPLine.lines(of: log) {
      guard let (line, text, quick) = read(bytes, started: &started) else { continue }
      let nested = line.hasPrefix("    ")
      if nested, text.hasPrefix("# "), !text.hasPrefix("# scenario") {
        collector.diagnostics.append(String(text.dropFirst(2)))
        continue
      }
      guard let parsed = result(text, quick: quick) else { continue }
      collector.add(parsed, nested: nested)
    }
    return collector.finished(expected: expected)
  }

  /// One console line as shown and trimmed, once the KTAP has started; nil for a line that
  /// is not KTAP's (a kernel line, anything before the version line, the version line).
  static func read(_ bytes: ArraySlice<UInt8>, started: inout Bool) -> (line: String, text: String, quick: KTAPLine.Quick)? {
    let quick = KTAPLine.quick(bytes, started: started)
    switch quick {
    case .skip: return nil
    case .version:
      started = true
      return nil
    case .plain(let shown, let trimmed):
      return (String(decoding: shown, as: UTF8.self), String(decoding: trimmed, as: UTF8.self), quick)
    case .read:
      let raw = String(decoding: bytes, as: UTF8.self)
      let line = VisibleText.of(raw.replacingOccurrences(of: "\r", with: ""), limit: ConsoleLine.shownLimit)
      if line.hasPrefix("[") { return nil }
      if line == "KTAP version 1" {
        started = true
        return nil
      }
      guard started else { return nil }
      return (line, line.trimmingCharacters(in: .whitespaces), quick)
    }
  }

  /// An `ok`/`not ok` line's parts; nil for any other line.
  static func result(_ text: String, quick: KTAPLine.Quick) -> KTAPLine.Result? {
    if case .plain(_, let trimmed) = quick { return KTAPLine.result(trimmed) }
    guard let match = try? #/^(not ok|ok) (\d+) ([^#]*?)\s*(?:# (.*))?$/#.wholeMatch(in: text) else { return nil }
    return KTAPLine.Result(
      ok: match.output.1 == "ok", number: String(match.output.2), name: String(match.output.3),
      directive: match.output.4.map(String.init))
  }

  /// The scenarios so far, the steps of the one under way and the diagnostics before the
  /// next step's result.
  struct Collector {
    var scenarios: [ScenarioResult] = []
    var steps: [StepResult] = []
    var diagnostics: [String] = []

    mutating func add(_ parsed: KTAPLine.Result, nested: Bool) {
      let directive = parsed.directive
      let outcome: TestOutcome =
        directive?.hasPrefix("SKIP") == true
        ? .skip
        : directive?.hasPrefix("TIMEOUT") == true ? .timeout : parsed.ok ? .pass : .fail
      if nested {
        steps.append(
          StepResult(
            number: Int(parsed.number) ?? 0, name: parsed.name, result: outcome, directive: directive, diagnostics: diagnostics))
        diagnostics = []
      } else {
        // A scenario that says ok while one of its steps was skipped did not run whole: the
        // runner marks it SKIP itself; older consoles did not.
        let partial = outcome == .pass && steps.contains { $0.result == .skip }
        scenarios.append(ScenarioResult(name: parsed.name, result: partial ? .skip : outcome, steps: steps))
        steps = []
        diagnostics = []
      }
    }

    /// A scenario cut off mid-way (the guest died) reports what it got, as failed; one never
    /// seen is missing.
    func finished(expected: [String]) -> [ScenarioResult] {
      var scenarios = scenarios
      if !steps.isEmpty, let name = expected.first(where: { name in !scenarios.contains { $0.name == name } }) {
        scenarios.append(ScenarioResult(name: name, result: .fail, steps: steps))
      }
      for name in expected where !scenarios.contains(where: { $0.name == name }) {
        scenarios.append(ScenarioResult(name: name, result: .missing, steps: []))
      }
      return scenarios
    }
  }
}

/// The console's lines as bytes, and what `KTAPParser.parse` would do with one, decided from
/// its bytes where that cannot differ from reading it as text: for a line of printable
/// ASCII (tabs and \r aside), which the text would show unchanged.
package enum KTAPLine {
  package enum Quick {
    case skip, version
    /// A line of printable ASCII to read: as shown (no \r), and trimmed of blanks.
    case plain(ArraySlice<UInt8>, trimmed: ArraySlice<UInt8>)
    /// Any other line: read it as text.
    case read
  }

  package struct Result {
    package var ok: Bool
    package var number: String
    package var name: String
    package var directive: String?
  }

  /// `^(not ok|ok) (\d+) ([^#]*?)\s*(?:# (.*))?$` on a trimmed line of printable ASCII, where
  /// \d is 0-9 and \s a blank or a tab: the name is what comes before the first `#` (less
  /// its trailing blanks), which must open `# ` and the directive; a `#` without a blank
  /// after it, or a second number-less form, matches nothing.
  package static func result(_ text: ArraySlice<UInt8>) -> Result? {
    var rest = text
    let ok: Bool
    if rest.starts(with: "not ok ".utf8) {
      ok = false
      rest = rest.dropFirst(7)
    } else if rest.starts(with: "ok ".utf8) {
      ok = true
      rest = rest.dropFirst(3)
    } else {
      return nil
    }
    let digits = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
    guard !digits.isEmpty, rest.dropFirst(digits.count).first == 0x20 else { return nil }
    rest = rest.dropFirst(digits.count + 1)
    var name = rest
    var directive: String?
    if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
      guard rest.index(after: hash) < rest.endIndex, rest[rest.index(after: hash)] == 0x20 else { return nil }
      name = rest[..<hash]
      directive = String(decoding: rest[rest.index(hash, offsetBy: 2)...], as: UTF8.self)
    }
    while name.last == 0x20 || name.last == 0x09 { name = name.dropLast() }
    return Result(
      ok: ok, number: String(decoding: digits, as: UTF8.self), name: String(decoding: name, as: UTF8.self), directive: directive)
  }

  /// Each line without its \n (a line may keep \r bytes).
  package static func lines(of log: String) -> [ArraySlice<UInt8>] {
    let bytes = Array(log.utf8)
    return bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
  }

  package static func quick(_ line: ArraySlice<UInt8>, started: Bool) -> Quick {
    var text = line
    while text.last == 0x0D { text = text.dropLast() }
    // Anything but printable ASCII and tabs (a \r inside the line too) is read as text.
    guard !text.contains(where: { $0 != 0x09 && ($0 < 0x20 || $0 >= 0x7F) }) else { return .read }
    // A line longer than what is shown is cut where it is read as text.
    guard text.count <= ConsoleLine.shownLimit else { return .read }
    if text.first == UInt8(ascii: "[") { return .skip }
    if text.elementsEqual("KTAP version 1".utf8) { return .version }
    guard started else { return .skip }
    // What the rest reads: "# " diagnostics and "ok N"/"not ok N" lines, after blanks.
    var trimmed = text.drop { $0 == 0x20 || $0 == 0x09 }
    guard trimmed.starts(with: "# ".utf8) || trimmed.starts(with: "ok ".utf8) || trimmed.starts(with: "not ok ".utf8) else {
      return .skip
    }
    while trimmed.last == 0x20 || trimmed.last == 0x09 { trimmed = trimmed.dropLast() }
    return .plain(text, trimmed: trimmed)
  }
}

// KTAP v1 results from the console: the runner prints one top-level test per scenario
// with its steps as subtests. Kernel messages interleave on the same console; lines with
// a printk time stamp are not KTAP.

import Foundation

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
    var scenarios: [ScenarioResult] = []
    var steps: [StepResult] = []
    var diagnostics: [String] = []
    var started = false
    let result = #/^(not ok|ok) (\d+) ([^#]*?)\s*(?:# (.*))?$/#
    // The serial console ends lines with \r\n, which Swift treats as one Character.
    let text = log.replacingOccurrences(of: "\r\n", with: "\n")
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = VisibleText.of(raw.replacingOccurrences(of: "\r", with: ""), limit: ConsoleLine.shownLimit)
      if line.hasPrefix("[") { continue }
      if line == "KTAP version 1" {
        started = true
        continue
      }
      guard started else { continue }
      let nested = line.hasPrefix("    ")
      let text = line.trimmingCharacters(in: .whitespaces)
      if nested, text.hasPrefix("# "), !text.hasPrefix("# scenario") {
        diagnostics.append(String(text.dropFirst(2)))
        continue
      }
      guard let match = try? result.wholeMatch(in: text) else { continue }
      let ok = match.output.1 == "ok"
      let directive = match.output.4.map(String.init)
      let outcome: TestOutcome =
        directive?.hasPrefix("SKIP") == true
        ? .skip
        : directive?.hasPrefix("TIMEOUT") == true ? .timeout : ok ? .pass : .fail
      let number = Int(match.output.2) ?? 0
      let name = String(match.output.3)
      if nested {
        steps.append(StepResult(number: number, name: name, result: outcome, directive: directive, diagnostics: diagnostics))
        diagnostics = []
      } else {
        // A scenario that says ok while one of its steps was skipped did not run whole: the
        // runner marks it SKIP itself; older consoles did not.
        let partial = outcome == .pass && steps.contains { $0.result == .skip }
        scenarios.append(ScenarioResult(name: name, result: partial ? .skip : outcome, steps: steps))
        steps = []
        diagnostics = []
      }
    }
    // A scenario cut off mid-way (the guest died) reports what it got, as failed.
    if !steps.isEmpty, let name = expected.first(where: { name in !scenarios.contains { $0.name == name } }) {
      scenarios.append(ScenarioResult(name: name, result: .fail, steps: steps))
    }
    for name in expected where !scenarios.contains(where: { $0.name == name }) {
      scenarios.append(ScenarioResult(name: name, result: .missing, steps: []))
    }
    return scenarios
  }
}

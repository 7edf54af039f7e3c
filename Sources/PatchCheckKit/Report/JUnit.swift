// junit.xml for CI systems: one testsuite per scenario (its steps as test cases), one
// for apply (a case per patch), one for the console (a failing case per kernel report).

import Foundation

struct JUnitCase {
  var name: String
  var className: String
  var failure: String?
  var skipped = false
  var output: String?
}

struct JUnitSuite {
  var name: String
  var cases: [JUnitCase]
}

enum JUnitWriter {
  static func suites(for report: Report) -> [JUnitSuite] {
    var suites: [JUnitSuite] = []
    suites.append(
      JUnitSuite(
        name: "apply",
        cases: report.patches.map { patch in
          let failedHunks = patch.hunks.filter { $0.result == .failed }
            .map { "\($0.file) hunk \($0.hunk) (line \($0.expectedLine))" }
          return JUnitCase(
            name: "\(patch.number): \(patch.subject)", className: "apply",
            failure: patch.result == .applied
              ? nil
              : "\(patch.result.rawValue): \(patch.error ?? "") \(failedHunks.joined(separator: ", "))",
            skipped: patch.result == .notAttempted)
        }))
    if let build = report.build {
      suites.append(
        JUnitSuite(
          name: "build",
          cases: [
            JUnitCase(
              name: "kernel", className: "build",
              failure: build.succeeded
                ? nil
                : build.errors.map { "\($0.file):\($0.line): \($0.message)" }.joined(separator: "\n"))
          ]))
    }
    // One test case per scenario: its steps in system-out, the failing step in the failure,
    // and for races how many iterations ran and passed.
    if !report.scenarios.isEmpty {
      suites.append(
        JUnitSuite(
          name: "scenarios",
          cases: report.scenarios.map { scenario in
            let iterations = scenario.steps.filter { $0.name.hasPrefix("iteration ") }
            let passed = iterations.filter { $0.result == .pass }.count
            let name = iterations.isEmpty ? scenario.name : "\(scenario.name) (\(passed) of \(iterations.count) iterations passed)"
            let failing = scenario.steps.first { $0.result == .fail || $0.result == .timeout }
            let failure: String? =
              switch scenario.result {
              case .pass, .skip: nil
              case .missing: "the scenario never reported (the guest stopped first)"
              default: failing.map { "\($0.name): \($0.directive ?? $0.result.rawValue)" } ?? scenario.result.rawValue
              }
            let steps = scenario.steps.map { step in
              (["\(step.result.rawValue) \(step.name)" + (step.directive.map { " # \($0)" } ?? "")]
                + step.diagnostics.map { "    \($0)" }).joined(separator: "\n")
            }
            return JUnitCase(
              name: name, className: "scenario", failure: failure, skipped: scenario.result == .skip,
              output: steps.joined(separator: "\n"))
          }))
    }
    if report.boot != nil {
      suites.append(
        JUnitSuite(
          name: "console",
          cases: report.splats.isEmpty
            ? [JUnitCase(name: "no kernel reports", className: "console")]
            : report.splats.map {
              JUnitCase(
                name: $0.title, className: "console.\($0.kind.rawValue)",
                failure: $0.excerpt.joined(separator: "\n"))
            }))
    }
    return suites
  }

  static func xml(for report: Report) -> String {
    let all = suites(for: report)
    var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
    let failures = all.reduce(0) { $0 + $1.cases.filter { $0.failure != nil }.count }
    let tests = all.reduce(0) { $0 + $1.cases.count }
    out += #"<testsuites name="patchcheck" tests="\#(tests)" failures="\#(failures)">"# + "\n"
    for suite in all {
      let suiteFailures = suite.cases.filter { $0.failure != nil }.count
      let skipped = suite.cases.filter(\.skipped).count
      out +=
        #"  <testsuite name="\#(Escaping.markup(suite.name, keepingLineBreaks: true))" tests="\#(suite.cases.count)" failures="\#(suiteFailures)" skipped="\#(skipped)">"#
        + "\n"
      for item in suite.cases {
        out +=
          #"    <testcase name="\#(Escaping.markup(item.name, keepingLineBreaks: true))" classname="\#(Escaping.markup(item.className, keepingLineBreaks: true))">"#
        if let failure = item.failure {
          out +=
            #"<failure message="\#(Escaping.markup(String(failure.prefix(200)), keepingLineBreaks: true))">\#(Escaping.markup(failure, keepingLineBreaks: true))</failure>"#
        } else if item.skipped {
          out += "<skipped/>"
        }
        if let output = item.output, !output.isEmpty {
          out += "<system-out>\(Escaping.markup(output, keepingLineBreaks: true))</system-out>"
        }
        out += "</testcase>\n"
      }
      out += "  </testsuite>\n"
    }
    return out + "</testsuites>\n"
  }
}

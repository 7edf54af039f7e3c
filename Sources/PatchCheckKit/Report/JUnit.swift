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
    for scenario in report.scenarios {
      let cases = scenario.steps.map { step in
        JUnitCase(
          name: step.name, className: "scenario.\(scenario.name)",
          failure: step.result == .fail || step.result == .timeout ? step.directive ?? step.result.rawValue : nil,
          skipped: step.result == .skip, output: step.diagnostics.joined(separator: "\n"))
      }
      suites.append(
        JUnitSuite(
          name: "scenario.\(scenario.name)",
          cases: cases.isEmpty
            ? [JUnitCase(name: scenario.name, className: "scenario", failure: "scenario \(scenario.result.rawValue)")]
            : cases))
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
        #"  <testsuite name="\#(escape(suite.name))" tests="\#(suite.cases.count)" failures="\#(suiteFailures)" skipped="\#(skipped)">"#
        + "\n"
      for item in suite.cases {
        out += #"    <testcase name="\#(escape(item.name))" classname="\#(escape(item.className))">"#
        if let failure = item.failure {
          out += #"<failure message="\#(escape(String(failure.prefix(200))))">\#(escape(failure))</failure>"#
        } else if item.skipped {
          out += "<skipped/>"
        }
        if let output = item.output, !output.isEmpty { out += "<system-out>\(escape(output))</system-out>" }
        out += "</testcase>\n"
      }
      out += "  </testsuite>\n"
    }
    return out + "</testsuites>\n"
  }

  static func escape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
      default:
        // XML 1.0 has no control characters: console logs sometimes do.
        if scalar.value < 0x20 { out += "?" } else { out.unicodeScalars.append(scalar) }
      }
    }
    return out
  }
}

// junit.xml for CI systems: one testsuite per scenario (its steps as test cases), one
// for apply (a case per patch), one for the console (a failing case per kernel report).
// The document is modelled here (testsuites, testsuite, testcase, failure, skipped,
// system-out) and written by XMLWriter, which does all the escaping.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct JUnitCase: XMLRepresentable {
  package var name: String
  package var className: String
  package var failure: String?
  package var skipped = false
  package var output: String?

  package var xmlElement: XMLWriter.Element {
    var children: [XMLWriter.Element] = []
    if let failure {
      children.append(XMLWriter.Element("failure", [("message", String(failure.prefix(200)))], text: failure))
    } else if skipped {
      children.append(XMLWriter.Element("skipped"))
    }
    if let output, !output.isEmpty { children.append(XMLWriter.Element("system-out", text: output)) }
    return XMLWriter.Element("testcase", [("name", name), ("classname", className)], children: children)
  }
}

package struct JUnitSuite: XMLRepresentable {
  package var name: String
  package var cases: [JUnitCase]

  package var failures: Int { cases.filter { $0.failure != nil }.count }

  package var xmlElement: XMLWriter.Element {
    XMLWriter.Element(
      "testsuite",
      [("name", name), ("tests", "\(cases.count)"), ("failures", "\(failures)"), ("skipped", "\(cases.filter(\.skipped).count)")],
      children: cases.map(\.xmlElement))
  }
}

/// The document's root: every suite of the run.
package struct JUnitDocument: XMLRepresentable {
  package var name = "patchcheck"
  package var suites: [JUnitSuite]

  package var xmlElement: XMLWriter.Element {
    XMLWriter.Element(
      "testsuites",
      [
        ("name", name), ("tests", "\(suites.reduce(0) { $0 + $1.cases.count })"),
        ("failures", "\(suites.reduce(0) { $0 + $1.failures })"),
      ],
      children: suites.map(\.xmlElement))
  }
}

package enum JUnitWriter {
  package static func suites(for report: Report) -> [JUnitSuite] {
    [applySuite(report), buildSuite(report), scenarioSuite(report), coverageSuite(report), consoleSuite(report)]
      .compactMap { $0 }
  }

  /// A case per patch: failed with its failed hunks, skipped when not attempted or already
  /// in the tree (--skip-applied).
  private static func applySuite(_ report: Report) -> JUnitSuite {
    JUnitSuite(
      name: "apply",
      cases: report.patches.map { patch in
        let failedHunks = patch.hunks.filter { $0.result == .failed }
          .map { "\($0.file) hunk \($0.hunk) (line \($0.expectedLine))" }
        return JUnitCase(
          name: "\(patch.number): \(patch.subject)", className: "apply",
          failure: patch.result == .applied || patch.result == .skippedAlreadyApplied
            ? nil
            : "\(patch.result.rawValue): \(patch.error ?? "") \(failedHunks.joined(separator: ", "))",
          skipped: patch.result == .notAttempted || patch.result == .skippedAlreadyApplied)
      })
  }

  /// The kernel build's case, failed with the compiler's errors; none when nothing was built.
  private static func buildSuite(_ report: Report) -> JUnitSuite? {
    guard let build = report.build else { return nil }
    return JUnitSuite(
      name: "build",
      cases: [
        JUnitCase(
          name: "kernel", className: "build",
          failure: build.succeeded
            ? nil
            : build.errors.map { "\($0.file):\($0.line): \($0.message)" }.joined(separator: "\n"))
      ])
  }

  /// One test case per scenario: its steps in system-out, the failing step in the failure,
  /// and for races how many iterations ran and passed.
  private static func scenarioSuite(_ report: Report) -> JUnitSuite? {
    guard !report.scenarios.isEmpty else { return nil }
    return JUnitSuite(
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
      })
  }

  /// One case per changed function: reached (with the scenarios), not reached when the run
  /// was NOT-EXERCISED, skipped when the kernel cannot trace it.
  private static func coverageSuite(_ report: Report) -> JUnitSuite? {
    guard let coverage = report.coverage, !coverage.functions.isEmpty else { return nil }
    return JUnitSuite(
      name: "coverage",
      cases: coverage.functions.map { function in
        let reached = function.hits.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
        return JUnitCase(
          name: "\(function.file): \(function.name)", className: "coverage",
          failure: function.traceable == true && function.hits.isEmpty && coverage.exercised == false
            ? "no scenario reached it" : nil,
          skipped: function.traceable != true, output: reached.isEmpty ? nil : reached)
      })
  }

  /// A failing case per kernel report (a pre-existing one listed with its counts instead),
  /// or one passing case; none when nothing booted.
  private static func consoleSuite(_ report: Report) -> JUnitSuite? {
    guard report.boot != nil else { return nil }
    return JUnitSuite(
      name: "console",
      cases: report.splats.isEmpty
        ? [JUnitCase(name: "no kernel reports", className: "console")]
        : report.splats.map { splat in
          // A report the base shows too is listed with its counts, not as a failure.
          splat.preExisting == true
            ? JUnitCase(
              name: splat.title, className: "console.pre-existing.\(splat.kind.rawValue)",
              output: ([report.preExisting?.first { $0.title == splat.title }?.sentence ?? "pre-existing"] + splat.excerpt)
                .joined(separator: "\n"))
            : JUnitCase(
              name: splat.title, className: "console.\(splat.kind.rawValue)",
              failure: splat.excerpt.joined(separator: "\n"))
        })
  }

  /// Suites and their elements on lines of their own, a test case's contents on its line.
  package static func xml(for report: Report) -> String {
    XMLWriter.document(JUnitDocument(suites: suites(for: report)), blockDepth: 2)
  }
}

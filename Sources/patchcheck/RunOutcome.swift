// The end of apply-and-boot and boot on the terminal, one way for both.

import ArgumentParser
import Foundation
import PatchCheckKit

/// How a run ends on the command line: the report as JSON with --json, else its outcome in
/// lines; the run's error on stderr; the verdict's exit code.
func endRun(_ report: Report, json: Bool, folder: String) throws {
  if json {
    FileHandle.standardOutput.write(try report.jsonData())
    FileHandle.standardOutput.write(Data("\n".utf8))
  } else {
    printOutcome(report, folder: folder)
  }
  if let error = report.error {
    FileHandle.standardError.write(Data("patchcheck: error: \(VisibleText.of(error))\n".utf8))
  }
  if report.exitCode != 0 { throw ExitCode(report.exitCode) }
}

/// The verdict, how the scenarios were chosen, coverage, what the base shows too, and where
/// the summary is.
func printOutcome(_ report: Report, folder: String) {
  print("\(report.verdict.rawValue): \(report.reason)")
  if let choice = report.scenarioChoice, choice.how == .reach { print("scenarios: \(choice.note)") }
  if let coverage = report.coverage { print("coverage: \(coverage.note)") }
  for entry in report.preExisting ?? [] { print("\(entry.sentence)") }
  if let note = report.baselineNote { print("note: \(note)") }
  if let comparison = report.baseComparison {
    print("base \(comparison.base): \(comparison.verdict.rawValue): \(comparison.reason)")
    for title in comparison.titles {
      print("  \(title.sentence)")
    }
  }
  print("report: \(folder)/summary.md")
}

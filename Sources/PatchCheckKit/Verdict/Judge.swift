// The verdict stage: from what one boot showed (the boot itself, the scenarios' KTAP, the
// kernel's reports) to PASS, FAIL, SKIP or INFRA-ERROR. Fail closed: PASS only when the
// kernel that booted is the one built, the kernel reported nothing the base does not report
// too (`known`: the base's titles; empty under --strict, so any report fails), and every
// selected scenario ran every step and passed.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

package enum Judge {
  /// - Parameter expectedRelease: the kernel release the build produced (`uname -r` of the
  ///   image); when given, a guest that booted any other kernel is an INFRA-ERROR.
  /// - Parameter known: titles the unpatched base shows with the same scenarios: pre-existing,
  ///   listed in the reason, not by themselves a FAIL. A stuck task is a report like any other.
  /// - Parameter witnessLost: trace events the kernel lost while the witness traced (its
  ///   ring buffer's overruns and drops): named in the reason of an incomplete witness.
  package static func verdict(
    boot: BootResult, scenarios: [ScenarioResult], splats allSplats: [Splat], expectedRelease: String? = nil,
    witnessComplete: Bool = true, witnessLost: Int = 0, coverage: SeriesCoverage? = nil, known: Set<String> = [],
    failing: Set<String> = []
  ) -> (Verdict, String, Int32?) {
    let splats = allSplats.filter { !known.contains($0.title) }
    let preExisting = allSplats.filter { known.contains($0.title) }.map(\.title)
    // A scenario that fails on the base too (a race the base deadlocks in) says nothing of
    // the series: it counts as not run whole (SKIP), named, never as the series' failure.
    let failedAsOnBase = scenarios.filter { ($0.result == .fail || $0.result == .timeout) && failing.contains($0.name) }
    let scenarios = scenarios.map { s -> ScenarioResult in
      guard failedAsOnBase.contains(where: { $0.name == s.name }) else { return s }
      var skipped = s
      skipped.result = .skip
      return skipped
    }
    let quiet =
      quietReason(preExisting: preExisting)
      + (failedAsOnBase.isEmpty
        ? "" : "; failing on the base too: " + failedAsOnBase.map(\.name).joined(separator: ", "))
    // Fail closed: each check in turn, the first that finds something decides.
    if let judged = wrongKernel(boot, expectedRelease: expectedRelease) { return judged }
    if let judged = newReport(splats, preExisting: preExisting) { return judged }
    if let judged = runnerNotReached(boot, expectedRelease: expectedRelease) { return judged }
    if let judged = failedScenarios(scenarios) { return judged }
    if let judged = incomplete(boot, witnessComplete: witnessComplete, witnessLost: witnessLost, scenarios: scenarios) {
      return judged
    }
    // Nothing failed: but a run that never reached the changed code is no evidence.
    if let coverage, coverage.exercised == false {
      return (.notExercised, coverage.note + "; \(scenarios.count) scenarios ran, \(quiet)", nil)
    }
    if let judged = skipped(scenarios, quiet: quiet, failingOnBase: Set(failedAsOnBase.map(\.name))) { return judged }
    return (.pass, "\(scenarios.count) scenarios passed, \(quiet)", nil)
  }

  /// A verdict, why, and the exit status it calls for (nil: the verdict's own).
  private typealias Judgement = (Verdict, String, Int32?)

  /// "no kernel reports", or what the base shows too.
  private static func quietReason(preExisting: [String]) -> String {
    preExisting.isEmpty
      ? "no kernel reports"
      : "no new kernel reports (pre-existing, the base shows \(preExisting.count == 1 ? "it" : "them") too: "
        + preExisting.joined(separator: "; ") + ")"
  }

  /// INFRA-ERROR when the guest booted another kernel than the one built.
  private static func wrongKernel(_ boot: BootResult, expectedRelease: String?) -> Judgement? {
    guard let expectedRelease, let booted = boot.kernelRelease, booted != expectedRelease else { return nil }
    return (
      .infraError, "the guest booted kernel \(booted), not the one just built (\(expectedRelease)); see console.log",
      PatchCheckError.Kind.infra.exitCode
    )
  }

  /// FAIL on the first kernel report the base does not show.
  private static func newReport(_ splats: [Splat], preExisting: [String]) -> Judgement? {
    guard let first = splats.first else { return nil }
    let more = splats.count > 1 ? " (+\(splats.count - 1) more)" : ""
    let unknown = first.kind == .unrecognised ? " [a report in a format patchcheck does not know]" : ""
    let new = preExisting.isEmpty ? "" : " [new: the base does not show it]"
    return (.fail, "kernel report: \(first.title)\(unknown)\(new)\(more)", nil)
  }

  /// INFRA-ERROR when the guest never reached the scenario runner, or the runner did not say
  /// which kernel it runs on (when that is checked).
  private static func runnerNotReached(_ boot: BootResult, expectedRelease: String?) -> Judgement? {
    if !boot.reachedRunner {
      let why = boot.wentSilent ? "the guest went silent" : boot.timedOut ? "timed out" : "QEMU exited with status \(boot.exitStatus)"
      return (
        .infraError, "the guest never reached the scenario runner (\(why)); see console.log",
        PatchCheckError.Kind.guestNoRunner.exitCode
      )
    }
    if expectedRelease != nil, boot.kernelRelease == nil {
      return (
        .infraError, "the runner did not say which kernel it runs on, so the boot cannot be tied to this build; see console.log",
        PatchCheckError.Kind.infra.exitCode
      )
    }
    return nil
  }

  /// FAIL when a scenario neither passed nor skipped, naming the step it failed at.
  private static func failedScenarios(_ scenarios: [ScenarioResult]) -> Judgement? {
    let bad = scenarios.filter { $0.result != .pass && $0.result != .skip }
    guard !bad.isEmpty else { return nil }
    let names = bad.map { s -> String in
      let step = s.steps.first { $0.result == .fail || $0.result == .timeout }
      return "\(s.name) \(s.result.rawValue)" + (step.map { " at '\($0.name)' (\($0.result.rawValue))" } ?? "")
    }
    return (.fail, "scenario failed: \(names.joined(separator: "; "))", nil)
  }

  /// INFRA-ERROR when the evidence is incomplete: the runner did not finish, the lock-order
  /// witness did not finish reading, or no scenario ran.
  private static func incomplete(
    _ boot: BootResult, witnessComplete: Bool, witnessLost: Int, scenarios: [ScenarioResult]
  ) -> Judgement? {
    if !boot.runnerFinished {
      let last = boot.lastLines?.last.map { "; last line: \($0.prefix(100))" } ?? ""
      let why = boot.wentSilent ? "the guest went silent" : "timed out after \(Int(boot.seconds)) s"
      return (.infraError, "the runner did not finish (\(why))\(last); see console.log", nil)
    }
    if !witnessComplete {
      let why =
        witnessLost > 0
        ? "lost \(witnessLost) trace events (its ring buffer overran)"
        : "did not get the whole trace (the stream was cut short)"
      return (
        .infraError, "the lock-order witness \(why), so no cycle found means nothing; see console.log and witness.trace",
        PatchCheckError.Kind.infra.exitCode
      )
    }
    if scenarios.isEmpty {
      return (.infraError, "no scenario ran; see console.log", PatchCheckError.Kind.infra.exitCode)
    }
    return nil
  }

  /// SKIP when some scenarios skipped (the rest passed), with why each skipped.
  private static func skipped(_ scenarios: [ScenarioResult], quiet: String, failingOnBase: Set<String> = []) -> Judgement? {
    let skipped = scenarios.filter { $0.result == .skip }
    guard !skipped.isEmpty else { return nil }
    let names = skipped.map { s -> String in
      if failingOnBase.contains(s.name) { return s.name + " (fails on the base too)" }
      let step = s.steps.first { $0.result == .skip }
      let why = step.map { " ('\($0.name)': \($0.directive.map(Self.reason(ofSkip:)) ?? "skipped"))" } ?? ""
      return s.name + why
    }
    let ran = scenarios.count - skipped.count
    return (
      .skip,
      "\(skipped.count) of \(scenarios.count) scenarios skipped: \(names.joined(separator: "; ")); \(ran) ran and passed, \(quiet)",
      nil
    )
  }

  /// "SKIP not supported by this kernel" -> "not supported by this kernel".
  package static func reason(ofSkip directive: String) -> String {
    let text = directive.hasPrefix("SKIP") ? String(directive.dropFirst(4)) : directive
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    return trimmed.isEmpty ? "skipped" : trimmed
  }
}

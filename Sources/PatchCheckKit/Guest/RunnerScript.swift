// The guest's program: guest/runner.sh, the /init the initramfs runs. Swift gives it values as
// data only (`RunnerScript.files`: a config file, and each scenario's name, summary and steps as
// files of their own), never as generated shell text. The markers below are what the runner
// prints and the host reads: runner.sh says the same words, and GuestTests checks both agree.

import Foundation
import PatchCheckBase
import PatchCheckSeries

/// The guest's runner (guest/runner.sh): mounts, lowers the hung-task timeout, runs the
/// scenarios and prints KTAP v1 on the console, then says it is done and powers off.
package enum RunnerScript {
  package static let startMarker = "patchcheck-runner: start"
  package static let doneMarker = "patchcheck-runner: done"
  /// Followed by `uname -r`: the host checks the guest booted the kernel it built.
  package static let releaseMarker = "patchcheck-runner: kernel "
  /// Followed by `NAME:PID`: a task still in D state after the hung-task period at the end.
  package static let stuckMarker = "patchcheck-runner: task stuck in D state: "
  /// Followed by the guest's uptime in seconds: a race's second racer starts its write (the
  /// race scenarios print it on the console, fd 3 of a step): a hang is timed from here.
  package static let racerMarker = "patchcheck-runner: second racer writes at "
  /// Where the runner finds its data in the initramfs (runner.sh's `P`).
  package static let dataFolder = "patchcheck"
  /// The runner's programs in the initramfs, beside the data: sourced when the config asks.
  package static let parts = ["witness.sh", "coverage.sh", "host.sh"]

  /// The release on the runner's `releaseMarker` line, if `line` is that line.
  package static func kernelRelease(fromLine line: String) -> String? {
    guard let range = line.range(of: releaseMarker) else { return nil }
    let release = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    return release.isEmpty ? nil : release
  }

  /// The release the runner saw in a whole console log.
  package static func kernelRelease(in console: String) -> String? {
    console.split(separator: "\n").lazy.compactMap { kernelRelease(fromLine: String($0)) }.first
  }

  /// The runner itself: /init.
  package static func runner() throws -> String { try ProjectData.program("runner.sh") }

  /// What the runner reads, by path in the initramfs: `dataFolder/config` (KEY=VALUE lines)
  /// and per scenario N `dataFolder/scenario-N/`: `name`, `summary`, `steps` (their number),
  /// `race` (present for a race), and per step M `M.name`, `M.timeout` and `M.sh` (its shell).
  /// Plus the runner's parts (`parts`). Names are written as KTAP shows them: one line, and a
  /// step's '#' (which would start a KTAP directive) as "no.".
  /// - Parameter lockWitness: trace every lock acquisition during the scenarios and stream
  ///   the events to the second serial port (`LockWitnessProgram`, `LockTrace`).
  /// - Parameter coverage: profile the functions the initramfs lists from the first scenario
  ///   on and print the totals after each (`CoverageProgram`).
  package static func files(
    _ scenarios: [Scenario], hungTaskTimeout: Int = 10, lockWitness: Bool = false, coverage: Bool = false,
    witnessDrainLimit: Int = witnessDrainLimit, witnessPeriod: Int = witnessPeriod
  ) throws -> [String: String] {
    var files: [String: String] = [:]
    let config: [(String, String)] = [
      ("hung_task_timeout", "\(hungTaskTimeout)"), ("step_skip_code", "\(stepSkipExitCode)"), ("witness", lockWitness ? "1" : "0"),
      ("witness_drain_limit", "\(witnessDrainLimit)"), ("witness_period", "\(witnessPeriod)"), ("coverage", coverage ? "1" : "0"),
      ("scenarios", "\(scenarios.count)"),
    ]
    files["\(dataFolder)/config"] = config.map { "\($0.0)=\($0.1)\n" }.joined()
    if lockWitness {
      files["\(dataFolder)/witness-acquire-filter"] = LockWitnessProgram.acquireFilter + "\n"
      files["\(dataFolder)/witness-release-filter"] = LockWitnessProgram.releaseFilter + "\n"
    }
    for part in parts { files["\(dataFolder)/\(part)"] = try ProjectData.program(part) }
    for (index, scenario) in scenarios.enumerated() {
      let folder = "\(dataFolder)/scenario-\(index + 1)"
      files["\(folder)/name"] = oneLine(scenario.name) + "\n"
      files["\(folder)/summary"] = oneLine(scenario.summary) + "\n"
      files["\(folder)/steps"] = "\(scenario.steps.count)\n"
      if scenario.race { files["\(folder)/race"] = "1\n" }
      for (stepIndex, step) in scenario.steps.enumerated() {
        files["\(folder)/\(stepIndex + 1).name"] = oneLine(step.name).replacingOccurrences(of: "#", with: "no.") + "\n"
        files["\(folder)/\(stepIndex + 1).timeout"] = "\(step.timeout)\n"
        files["\(folder)/\(stepIndex + 1).sh"] = step.script + "\n"
      }
    }
    return files
  }

  /// A name on one KTAP line.
  static func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).joined(separator: " ")
  }

  /// How long, in seconds of guest uptime, the runner lets the witness's stream drain the
  /// trace at the end (the boot's time limit allows for it: `RunPlan.bootTimeout`). It only
  /// copies bytes to a serial port: a stream still behind after this is one that has stopped.
  package static let witnessDrainLimit = 120
  /// How often, in seconds of the guest's clock, the witness's copier empties the trace's
  /// per-CPU buffers (4 MB each) while the scenarios run: a two-scenario boot records about
  /// 1.4 MB a CPU in all. Each emptying starts a reader per CPU; reading them only at the end
  /// would cap what a run can trace at the buffer's size.
  package static let witnessPeriod = 5
}

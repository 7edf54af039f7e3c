import ArgumentParser
import Foundation
import PatchCheckKit

struct AnalyzeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract: "Find kernel reports (lockdep, hung tasks, BUG, WARNING, ...) and KTAP results in a saved console log.")

  @Argument(help: "The console log.")
  var log: String

  @OptionGroup var global: GlobalOptions

  struct Output: Encodable {
    var splats: [Splat]
    var scenarios: [ScenarioResult]
  }

  func run() throws {
    try runReportingErrors {
      guard let data = FileManager.default.contents(atPath: log) else {
        throw PatchCheckError(.usage, "cannot read \(log)", hint: "give the path of a console log")
      }
      let text = String(decoding: data, as: UTF8.self)
      // The lock-order witness's stream of the same boot, when the run's folder has it.
      let stream = RunPlan.witnessStream(beside: URL(fileURLWithPath: log))
      let trace = FileManager.default.contents(atPath: stream.path)
      let (splats, scenarios) = ConsoleAnalyzer.reportsAndResults(in: text, witnessTrace: trace)
      let output = Output(splats: splats, scenarios: scenarios)
      if global.json {
        try printJSON(output)
        return
      }
      if output.splats.isEmpty { print("no kernel reports") }
      for splat in output.splats {
        let times = splat.count > 1 ? " x\(splat.count)" : ""
        print("[\(splat.kind.rawValue)] \(splat.title)\(times)  (line \(splat.line))")
      }
      for scenario in output.scenarios {
        print("\(scenario.result.rawValue.uppercased()) \(scenario.name)")
        for step in scenario.steps { print("  \(step.result.rawValue) \(step.name)") }
      }
    }
  }
}

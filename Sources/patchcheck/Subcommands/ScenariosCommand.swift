import ArgumentParser
import Foundation
import PatchCheckKit

struct ScenariosCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scenarios", abstract: "List the guest scenarios and their steps.")

  @Option(help: "Iterations of each race scenario.")
  var iterations: Int = ScenarioLibrary.defaultIterations

  @OptionGroup var global: GlobalOptions

  struct Entry: Encodable {
    var name: String
    var summary: String
    var steps: [String]
  }

  func run() throws {
    try runReportingErrors {
      let entries = ScenarioLibrary.all(ScenarioSettings(iterations: iterations)).map {
        Entry(name: $0.name, summary: $0.summary, steps: $0.steps.map(\.name))
      }
      if global.json {
        try printJSON(entries)
        return
      }
      for entry in entries {
        print("\(entry.name): \(entry.summary)")
        for (i, step) in entry.steps.enumerated() { print("  \(i + 1). \(step)") }
      }
    }
  }
}

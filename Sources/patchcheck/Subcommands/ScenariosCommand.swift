import ArgumentParser
import Foundation
import PatchCheckKit

struct ScenariosCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scenarios",
    abstract: "List the guest scenarios, where each comes from, and their steps.",
    discussion: """
      The built-in scenarios are the files in the project's scenarios/ folder; --scenario-dir adds \
      a folder of your own, --series adds the files its manifest names (scenario-files). A \
      malformed file exits 19 with its file:line.
      """)

  @Option(help: "A folder of your own scenario files (*.yaml), added to the built-in ones (repeatable).")
  var scenarioDir: [String] = []

  @Option(help: "A series (mbox, folder, message-id, lore URL or manifest name) whose manifest's scenario-files are added.")
  var series: String?

  @OptionGroup var seriesQuery: SeriesQueryFlags

  @Option(help: "Iterations of each race scenario.")
  var iterations: Int = ScenarioLibrary.defaultIterations

  @Option(help: "VFs to enable on the PF.")
  var vfs: Int = 4

  @OptionGroup var global: GlobalOptions

  struct Entry: Encodable {
    var name: String
    var summary: String
    var origin: ScenarioOrigin
    var igbPFs: Int
    var steps: [String]
  }

  func run() throws {
    try runReportingErrors {
      let manifest = try series.flatMap { try SeriesSource.load($0, home: global.patchCheckHome, query: seriesQuery.query).manifest }
      let catalog = try RunPlan.scenarioCatalog(dirs: scenarioDir.map { URL(fileURLWithPath: $0) }, manifest: manifest)
      let settings = ScenarioSettings(iterations: iterations, vfs: vfs)
      let entries = try catalog.definitions.map { definition in
        let scenario = try definition.scenario(settings)
        return Entry(
          name: scenario.name, summary: scenario.summary, origin: definition.origin, igbPFs: scenario.igbPFs,
          steps: scenario.steps.map(\.name))
      }
      if global.json {
        try printJSON(entries)
        return
      }
      for entry in entries {
        print("\(entry.name): \(entry.summary)")
        switch entry.origin.kind {
        case .builtIn: print("  built-in: \(entry.origin.file)")
        case .folder: print("  from --scenario-dir \(entry.origin.via): \(entry.origin.file)")
        case .manifest: print("  from the manifest \(entry.origin.via): \(entry.origin.file)")
        }
        for (i, step) in entry.steps.enumerated() { print("  \(i + 1). \(step)") }
      }
    }
  }
}

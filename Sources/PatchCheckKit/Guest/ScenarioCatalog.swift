// The scenarios a run may choose from: the built-in folder (`scenarios/`), then each folder
// the user gives (`--scenario-dir`), then the files the series' manifest names
// (`scenario-files:`). A name defined twice is an error naming both files: a user scenario
// never replaces a built-in one silently (give it another name).

import Foundation
import PatchCheckBase
import PatchCheckSeries

/// Where scenario files are taken from, besides the built-in folder.
package enum ScenarioSource: Sendable {
  /// Every `*.yaml` / `*.yml` directly in the folder (`--scenario-dir`).
  case folder(URL)
  /// A file (or folder) a series manifest names; `line` is the manifest's line for it.
  case manifestFile(URL, manifest: String, line: Int?)
}

package struct ScenarioCatalog: Sendable {
  /// In the order they were found: the built-in folder's by file name, then each source's.
  package private(set) var definitions: [ScenarioDefinition] = []
  /// The files read, resolved: the same file reached twice is one scenario.
  private var seen = Set<String>()

  package var names: [String] { definitions.map(\.name) }

  package func definition(_ name: String) -> ScenarioDefinition? { definitions.first { $0.name == name } }

  /// The built-in scenarios and those `sources` add.
  package static func load(builtIn: URL = ProjectData.scenarios, sources: [ScenarioSource] = []) throws -> ScenarioCatalog {
    var catalog = ScenarioCatalog()
    // Missing, not unreadable: the data folder was not found where it was looked for.
    guard FileManager.default.fileExists(atPath: builtIn.path) else {
      throw PatchCheckError(.scenarioFile, "no built-in scenarios in \(builtIn.path): it does not exist", hint: ProjectData.hint)
    }
    try catalog.addFolder(builtIn, kind: .builtIn, builtIn: builtIn) {
      PatchCheckError(
        .scenarioFile, "no built-in scenarios in \(builtIn.path)",
        hint: ProjectData.hint)
    }
    for source in sources {
      switch source {
      case .folder(let folder):
        try catalog.addFolder(folder, kind: .folder, builtIn: builtIn) {
          PatchCheckError(
            .scenarioFile, "--scenario-dir \(folder.path) holds no scenario files (*.yaml)",
            hint: "give a folder of scenario files, one per scenario")
        }
      case .manifestFile(let url, let manifest, let line):
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
          throw PatchCheckError(
            .manifest, "\(manifest)\(line.map { ":\($0)" } ?? ""): scenario file \(url.path) does not exist",
            hint: "scenario-files are paths relative to the manifest")
        }
        let files = isFolder.boolValue ? try yamlFiles(in: url) { ScenarioFile.error(url.path, nil, "holds no scenario files") } : [url]
        for file in files {
          try catalog.add(file, ScenarioOrigin(kind: .manifest, file: file.path, via: manifest), builtIn: builtIn)
        }
      }
    }
    return catalog
  }

  package mutating func addFolder(
    _ folder: URL, kind: ScenarioOrigin.Kind, builtIn: URL, orElse empty: () -> PatchCheckError
  ) throws {
    for file in try Self.yamlFiles(in: folder, orElse: empty) {
      try add(file, ScenarioOrigin(kind: kind, file: file.path, via: folder.path), builtIn: builtIn)
    }
  }

  package mutating func add(_ file: URL, _ origin: ScenarioOrigin, builtIn: URL) throws {
    // A manifest naming a file of a --scenario-dir: read once.
    guard seen.insert(file.standardizedFileURL.resolvingSymlinksInPath().path).inserted else { return }
    let definition = try ScenarioFile.load(file, origin: origin, builtIn: builtIn)
    if let earlier = self.definition(definition.name) {
      throw PatchCheckError(
        .scenarioFile,
        "\(file.path):\(definition.line): scenario '\(definition.name)' is already defined by "
          + "\(earlier.origin.file):\(earlier.line) (\(earlier.origin.kind.rawValue))",
        hint: "give it another name: a scenario never replaces another with the same name")
    }
    definitions.append(definition)
  }

  package static func yamlFiles(in folder: URL, orElse empty: () -> PatchCheckError) throws -> [URL] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
      throw PatchCheckError(.scenarioFile, "cannot read the scenario folder \(folder.path)", hint: "check the path")
    }
    let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { folder.appendingPathComponent($0) }
    guard !files.isEmpty else { throw empty() }
    return files
  }

  /// Every scenario at these knobs.
  package func all(_ settings: ScenarioSettings = ScenarioSettings()) throws -> [Scenario] {
    try definitions.map { try $0.scenario(settings) }
  }

  /// The scenarios named, in that order, at these knobs; an unknown name or none is a usage error.
  package func named(_ names: [String], settings: ScenarioSettings = ScenarioSettings()) throws -> [Scenario] {
    // No scenario means nothing is checked: such a run must not be able to pass.
    guard !names.isEmpty else { throw ScenarioLibrary.noScenario(self.names) }
    return try names.map { name in
      guard let found = definition(name) else {
        throw PatchCheckError(
          .usage, "no scenario named '\(name)'",
          hint: "choose from: \(self.names.joined(separator: ", ")) (patchcheck scenarios lists them; --scenario-dir adds a folder)")
      }
      return try found.scenario(settings)
    }
  }
}

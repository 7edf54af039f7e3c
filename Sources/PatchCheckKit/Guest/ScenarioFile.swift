// A scenario file: one scenario as data (YAML), read at run time. The built-in ones are in
// the project's `scenarios/` folder; a user adds more from a folder of their own or from a
// series manifest. The file gives the scenario's name, what it exercises, the guest devices
// it needs and its steps; `{{vfs}}` and `{{iterations}}` are the run's knobs, `repeat:`
// makes one step per race iteration, `include:` names files of shared steps and snippets.
// Any mistake is one error naming the file and line.

import Foundation
import PatchCheckBase
import PatchCheckSeries
import Yams

extension ProjectData {
  /// The built-in scenarios: `scenarios/*.yaml`, shared steps in `scenarios/include/`.
  package static var scenarios: URL { root.appendingPathComponent("scenarios") }
}

/// Where a scenario comes from.
package struct ScenarioOrigin: Sendable, Codable, Equatable {
  package enum Kind: String, Sendable, Codable {
    case builtIn = "built-in"
    case folder
    case manifest
  }
  package var kind: Kind
  /// The scenario's file.
  package var file: String
  /// What added it: the built-in folder, the user's folder (`--scenario-dir`) or the manifest.
  package var via: String
}

/// Text from a scenario file with where it starts, so that an error can name file:line.
package struct LocatedText: Sendable {
  package var text: String
  package var file: String
  /// The line the text's first line is on.
  package var line: Int
}

package struct StepTemplate: Sendable {
  package var name: LocatedText
  package var timeout: Int
  package var shell: LocatedText
}

package enum StepEntry: Sendable {
  case step(StepTemplate)
  /// One step per iteration: `times` expands to a count; each cycle list gives the
  /// iteration's value of its variable (cycled over the iterations).
  case repeated(times: LocatedText, cycle: [(name: String, values: [LocatedText])], step: StepTemplate)
}

/// A scenario as its file defines it, before the run's knobs are filled in.
package struct ScenarioDefinition: Sendable {
  package var name: String
  package var summary: LocatedText
  /// igb PFs the guest must have (`devices: {igb: N}`).
  package var igbPFs: Int
  /// `race: true`: its steps race writers against each other (`Scenario.race`).
  package var race = false
  package var origin: ScenarioOrigin
  /// The line of `name:`, for errors about the scenario as a whole.
  package var line: Int
  package var steps: [StepEntry]
  package var snippets: [String: LocatedText]

  /// The knobs a file may use as `{{NAME}}`.
  package static let knobs = ["vfs", "iterations"]

  /// The scenario at these knobs: what the guest runs.
  package func scenario(_ settings: ScenarioSettings) throws -> Scenario {
    let knobs = ["vfs": "\(settings.vfs)", "iterations": "\(settings.iterations)"]
    var steps: [ScenarioStep] = []
    for entry in self.steps {
      switch entry {
      case .step(let step):
        steps.append(try instance(step, knobs))
      case .repeated(let times, let cycle, let step):
        let expanded = try expand(times, knobs)
        guard let count = Int(expanded.trimmingCharacters(in: .whitespaces)) else {
          throw ScenarioFile.error(times.file, times.line, "'repeat' is '\(expanded)', not a number of iterations")
        }
        for index in 0..<max(1, count) {
          var values = knobs
          values["iteration"] = "\(index + 1)"
          for (name, list) in cycle { values[name] = try expand(list[index % list.count], knobs) }
          steps.append(try instance(step, values))
        }
      }
    }
    return Scenario(name: name, summary: try expand(summary, knobs), steps: steps, igbPFs: igbPFs, race: race)
  }

  package func instance(_ step: StepTemplate, _ values: [String: String]) throws -> ScenarioStep {
    ScenarioStep(name: try expand(step.name, values), timeout: step.timeout, script: try expand(step.shell, values))
  }

  /// `{{NAME}}` replaced by the knob, iteration variable or snippet of that name.
  package func expand(_ located: LocatedText, _ values: [String: String], depth: Int = 0) throws -> String {
    var out = ""
    var rest = Substring(located.text)
    while let open = rest.range(of: "{{") {
      out += rest[..<open.lowerBound]
      let line = located.line + located.text[..<open.lowerBound].filter { $0 == "\n" }.count
      guard let close = rest[open.upperBound...].range(of: "}}") else {
        throw ScenarioFile.error(located.file, line, "'{{' without its '}}'")
      }
      let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
      if let value = values[name] {
        out += value
      } else if let snippet = snippets[name], depth < 8 {
        out += try expand(snippet, values, depth: depth + 1)
      } else {
        let known = (values.keys.sorted() + snippets.keys.sorted()).joined(separator: ", ")
        throw ScenarioFile.error(located.file, line, "unknown '{{\(name)}}' (known here: \(known))")
      }
      rest = rest[close.upperBound...]
    }
    return out + rest
  }
}

/// Reads scenario files.
package enum ScenarioFile {
  package static func error(_ file: String, _ line: Int?, _ message: String) -> PatchCheckError {
    PatchCheckError(
      .scenarioFile, "\(file)\(line.map { ":\($0)" } ?? ""): \(message)",
      hint: "fix the scenario file (docs/scenarios.md, \"Scenario files\", gives the format)")
  }

  /// The scenario in `url`. Includes are looked up beside the file, then in `builtIn`.
  package static func load(_ url: URL, origin: ScenarioOrigin, builtIn: URL = ProjectData.scenarios) throws -> ScenarioDefinition {
    let file = url.path
    let root = try compose(url)
    let keys = try mapping(root, file, allowed: ["name", "summary", "devices", "race", "include", "steps"], what: "a scenario")
    let (name, nameNode) = try scenarioName(keys, root, file)
    guard let summaryNode = keys["summary"] else { throw error(file, root.mark?.line, "no 'summary' (what the scenario exercises)") }
    let summary = try text(summaryNode, file, key: "summary")
    let igb = try igbPFs(keys, file)
    var race = false
    if let node = keys["race"] {
      guard let value = node.bool else { throw error(file, node.mark?.line, "'race' is true or false") }
      race = value
    }
    let shared = try included(keys, beside: url, builtIn: builtIn)
    guard let stepsNode = keys["steps"], let items = stepsNode.sequence, !items.isEmpty else {
      throw error(file, keys["steps"]?.mark?.line ?? root.mark?.line, "no 'steps' (a list of at least one step)")
    }
    let steps = try items.map { try stepEntry($0, file, shared: shared) }
    let definition = ScenarioDefinition(
      name: name, summary: summary, igbPFs: igb, race: race, origin: origin, line: nameNode.mark?.line ?? 1, steps: steps,
      snippets: shared.snippets)
    // Every '{{...}}' must name something: found now, not in the middle of a run.
    _ = try definition.scenario(ScenarioSettings())
    return definition
  }

  /// The scenario's name, which must be there and a plain word; and its node, for its line.
  private static func scenarioName(_ keys: [String: Node], _ root: Node, _ file: String) throws -> (String, Node) {
    guard let nameNode = keys["name"], let name = nameNode.scalar?.string, !name.isEmpty else {
      throw error(file, root.mark?.line, "no 'name'")
    }
    guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), name.allSatisfy(\.isASCII) else {
      throw error(file, nameNode.mark?.line, "name '\(name)' may hold only letters, digits, '-', '_' and '.'")
    }
    return (name, nameNode)
  }

  /// How many igb PFs `devices:` asks for (none when it does not say).
  private static func igbPFs(_ keys: [String: Node], _ file: String) throws -> Int {
    guard let devices = keys["devices"] else { return 0 }
    let entries = try mapping(devices, file, allowed: ["igb"], what: "'devices'")
    guard let node = entries["igb"] else { return 0 }
    guard let count = node.int, count >= 0 else { throw error(file, node.mark?.line, "'igb' is not a count of PFs") }
    return count
  }

  /// The shared steps and snippets of the files `include:` names, each found beside the
  /// scenario file, else among the built-in ones.
  private static func included(_ keys: [String: Node], beside url: URL, builtIn: URL) throws -> Shared {
    let file = url.path
    var shared = Shared()
    guard let include = keys["include"] else { return shared }
    let items = include.sequence.map(Array.init) ?? [include]
    for item in items {
      guard let path = item.scalar?.string else { throw error(file, item.mark?.line, "'include' lists file paths") }
      let beside = url.deletingLastPathComponent().appendingPathComponent(path)
      let found = [beside, builtIn.appendingPathComponent(path)].first { FileManager.default.fileExists(atPath: $0.path) }
      guard let found else {
        throw error(file, item.mark?.line, "include '\(path)' is neither beside this file nor in \(builtIn.path)")
      }
      try shared.add(found)
    }
    return shared
  }

  /// What one item of `steps:` is: a shared step (`use:`), a step repeated (`repeat:`), or a
  /// plain step.
  private static func stepEntry(_ item: Node, _ file: String, shared: Shared) throws -> StepEntry {
    // A plain step's keys are checked by step(_:_:), which names the ones it knows.
    guard let pairs = item.mapping else { throw error(file, item.mark?.line, "a step is a mapping of keys to values") }
    let entry = Dictionary(pairs.compactMap { key, value in key.scalar.map { ($0.string, value) } }) { first, _ in first }
    if let use = entry["use"] {
      guard entry.count == 1, let stepName = use.scalar?.string else {
        throw error(file, use.mark?.line, "a 'use' entry names one shared step and nothing else")
      }
      guard let step = shared.steps[stepName] else {
        let known = shared.steps.keys.sorted().joined(separator: ", ")
        throw error(file, use.mark?.line, "no shared step '\(stepName)' in the included files (they have: \(known))")
      }
      return .step(step)
    } else if let times = entry["repeat"] {
      try only(entry, ["repeat", "cycle", "step"], file, item)
      guard let stepNode = entry["step"] else { throw error(file, item.mark?.line, "a 'repeat' entry needs its 'step'") }
      let cycle = try cycleValues(entry["cycle"], file)
      return .repeated(times: try text(times, file, key: "repeat"), cycle: cycle, step: try step(stepNode, file))
    } else {
      return .step(try step(item, file))
    }
  }

  /// A repeated step's `cycle:`: each name with the values it takes in turn.
  private static func cycleValues(_ cycleNode: Node?, _ file: String) throws -> [(name: String, values: [LocatedText])] {
    var cycle: [(name: String, values: [LocatedText])] = []
    if let cycleNode {
      guard let pairs = cycleNode.mapping else { throw error(file, cycleNode.mark?.line, "'cycle' maps names to lists") }
      for (key, value) in pairs {
        guard let variable = key.scalar?.string, let list = value.sequence, !list.isEmpty else {
          throw error(file, key.mark?.line, "each 'cycle' entry is a name and a list of at least one value")
        }
        cycle.append((variable, try list.map { try text($0, file, key: variable) }))
      }
    }
    return cycle
  }

  /// Steps and snippets from `include:` files.
  package struct Shared {
    package var steps: [String: StepTemplate] = [:]
    package var snippets: [String: LocatedText] = [:]

    package mutating func add(_ url: URL) throws {
      let file = url.path
      let root = try compose(url)
      let keys = try mapping(root, file, allowed: ["steps", "snippets"], what: "an include file")
      if let node = keys["steps"] {
        guard let pairs = node.mapping else { throw error(file, node.mark?.line, "'steps' maps names to steps") }
        for (key, value) in pairs {
          guard let name = key.scalar?.string else { throw error(file, key.mark?.line, "a step's name is text") }
          steps[name] = try step(value, file)
        }
      }
      if let node = keys["snippets"] {
        guard let pairs = node.mapping else { throw error(file, node.mark?.line, "'snippets' maps names to shell text") }
        for (key, value) in pairs {
          guard let name = key.scalar?.string else { throw error(file, key.mark?.line, "a snippet's name is text") }
          guard !ScenarioDefinition.knobs.contains(name) else {
            throw error(file, key.mark?.line, "'\(name)' is a knob's name, not a snippet's")
          }
          snippets[name] = try text(value, file, key: name)
        }
      }
    }
  }

  package static func compose(_ url: URL) throws -> Node {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw error(url.path, nil, "cannot read the file")
    }
    guard let yaml = String(data: data, encoding: .utf8) else { throw error(url.path, nil, "is not UTF-8 text") }
    do {
      guard let node = try Yams.compose(yaml: yaml) else { throw error(url.path, 1, "is empty") }
      return node
    } catch let yamlError as YamlError {
      switch yamlError {
      case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
        throw error(url.path, mark.line, "not valid YAML: \(problem)")
      default:
        throw error(url.path, nil, "not valid YAML: \(yamlError)")
      }
    }
  }

  /// A mapping's entries by key; a key outside `allowed` is an error (a misspelt key would
  /// otherwise be ignored silently).
  package static func mapping(_ node: Node, _ file: String, allowed: Set<String>, what: String) throws -> [String: Node] {
    guard let pairs = node.mapping else { throw error(file, node.mark?.line, "\(what) is a mapping of keys to values") }
    var keys: [String: Node] = [:]
    for (key, value) in pairs {
      guard let name = key.scalar?.string, allowed.contains(name) else {
        throw error(
          file, key.mark?.line, "unknown key '\(key.scalar?.string ?? "?")' in \(what) (known: \(allowed.sorted().joined(separator: ", ")))"
        )
      }
      keys[name] = value
    }
    return keys
  }

  package static func only(_ keys: [String: Node], _ allowed: Set<String>, _ file: String, _ node: Node) throws {
    if let extra = keys.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw error(file, keys[extra]?.mark?.line ?? node.mark?.line, "'\(extra)' does not go with 'repeat'")
    }
  }

  /// A scalar's text with the line its text starts on (a block scalar starts on the line
  /// after its `|`).
  package static func text(_ node: Node, _ file: String, key: String) throws -> LocatedText {
    guard let scalar = node.scalar else { throw error(file, node.mark?.line, "'\(key)' is text") }
    let block = scalar.style == .literal || scalar.style == .folded
    return LocatedText(text: scalar.string, file: file, line: (scalar.mark?.line ?? 0) + (block ? 1 : 0))
  }

  package static func step(_ node: Node, _ file: String) throws -> StepTemplate {
    let keys = try mapping(node, file, allowed: ["name", "timeout", "shell"], what: "a step")
    guard let name = keys["name"] else { throw error(file, node.mark?.line, "a step needs a 'name'") }
    guard let timeoutNode = keys["timeout"] else {
      throw error(file, node.mark?.line, "a step needs a 'timeout' (seconds before the runner gives up on it)")
    }
    guard let timeout = timeoutNode.int, timeout > 0 else {
      throw error(file, timeoutNode.mark?.line, "'timeout' is a number of seconds above 0")
    }
    guard let shell = keys["shell"] else { throw error(file, node.mark?.line, "a step needs its 'shell' (busybox sh)") }
    return StepTemplate(name: try text(name, file, key: "name"), timeout: timeout, shell: try text(shell, file, key: "shell"))
  }
}

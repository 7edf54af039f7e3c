// The kernel configuration: tinyconfig, then the project's fragments merged with the
// kernel's own scripts/kconfig/merge_config.sh, then olddefconfig. Every fragment option is
// checked in the resulting .config, and each one Kconfig dropped is reported by name.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package struct ConfigOption: Sendable, Codable, Equatable {
  package var name: String
  /// "y", "m", a number or string; "n" for `# CONFIG_X is not set`.
  package var wanted: String
  /// What the final .config has ("n" when absent or not set).
  package var actual: String
  package var fragment: String
  package var ok: Bool { wanted == actual }
}

package struct ConfigCheck: Sendable, Codable {
  package var fragments: [String]
  package var checked: Int
  package var dropped: [ConfigOption]
  package var ok: Bool { dropped.isEmpty }
}

package enum KernelConfigFile {
  /// kernel-configs/*.config of the project, in name order.
  package static func defaultFragments() throws -> [URL] {
    let folder = ProjectData.kernelConfigs
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".config") }.sorted() ?? []
    guard !names.isEmpty else {
      throw PatchCheckError(.infra, "no config fragments in \(folder.path)", hint: ProjectData.hint)
    }
    return names.map { folder.appendingPathComponent($0) }
  }

  /// Options in a fragment or .config: `CONFIG_X=v` and `# CONFIG_X is not set` (as "n").
  package static func parse(_ text: String) -> [(name: String, value: String)] {
    var result: [(String, String)] = []
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
        let name = line.dropFirst(2).dropLast(" is not set".count)
        result.append((String(name), "n"))
      } else if line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "=") {
        result.append((String(line[..<eq]), String(line[line.index(after: eq)...])))
      }
    }
    return result
  }

  /// A fragment must be readable text whose every line is an option (`CONFIG_X=v`,
  /// `# CONFIG_X is not set`), a comment or blank: merge_config.sh skips anything else
  /// silently, and a kernel built without the options asked for would be judged anyway.
  package static func validate(fragment url: URL) throws {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw PatchCheckError(.configFragment, "cannot read config fragment \(url.path)", hint: "check the --fragment path")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw PatchCheckError(.configFragment, "\(url.path) is not text", hint: "a fragment holds CONFIG_X=y lines")
    }
    let option = #/^(CONFIG_[A-Za-z0-9_]+=("[^"]*"|[^\s"]*)|# CONFIG_[A-Za-z0-9_]+ is not set)$/#
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || (line.hasPrefix("#") && !line.hasPrefix("# CONFIG_")) { continue }
      guard (try? option.wholeMatch(in: line)) != nil else {
        throw PatchCheckError(
          .configFragment, "\(url.lastPathComponent):\(number + 1): not a config option: '\(VisibleText.of(String(line.prefix(60))))'",
          hint: "write CONFIG_NAME=value or '# CONFIG_NAME is not set' (see kernel-configs/*.config)")
      }
    }
  }

  package static func check(fragments: [URL], config: String) throws -> ConfigCheck {
    var final: [String: String] = [:]
    for (name, value) in parse(config) { final[name] = value }
    var dropped: [ConfigOption] = []
    var checked = 0
    for fragment in fragments {
      let text = try String(contentsOf: fragment, encoding: .utf8)
      for (name, value) in parse(text) {
        checked += 1
        let actual = final[name] ?? "n"
        if actual != value {
          dropped.append(
            ConfigOption(name: name, wanted: value, actual: actual, fragment: fragment.lastPathComponent))
        }
      }
    }
    return ConfigCheck(fragments: fragments.map(\.lastPathComponent), checked: checked, dropped: dropped)
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKit

/// The documented module order is the package's: each layer is a SwiftPM target that depends
/// only on earlier ones, so a call from an earlier stage into a later one does not compile.
/// This checks the target graph (as SwiftPM itself reads Package.swift) against the line
/// "Modules, in stage order: ..." in README.md or docs/.
@Suite struct ArchitectureTests {
  static let library = ProjectData.root.appendingPathComponent("Sources/PatchCheckKit")

  struct Layer: Equatable {
    var module: String
    var folders: [String]
  }

  /// "Modules, in stage order: PatchCheckBase (Base, Git), PatchCheckSeries (Tree, ...), ...".
  static func documentedLayers() throws -> [Layer] {
    let root = ProjectData.root
    let docs = ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)) ?? [])
      .filter { $0.hasSuffix(".md") }.map { root.appendingPathComponent("docs/\($0)") }
    let prefix = "Modules, in stage order: "
    for url in [root.appendingPathComponent("README.md")] + docs {
      let text = try String(contentsOf: url, encoding: .utf8)
      guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { continue }
      let body = line.dropFirst(prefix.count).trimmingCharacters(in: CharacterSet(charactersIn: ". "))
      return body.matches(of: #/(\w+) \(([^)]*)\)/#).map { match in
        Layer(module: String(match.output.1), folders: match.output.2.components(separatedBy: ", "))
      }
    }
    Issue.record("no line starting \"\(prefix)\" in README.md or docs/")
    return []
  }

  /// The package as SwiftPM reads it (a scratch folder of its own, so a running build's lock
  /// on .build does not matter).
  static func manifest() throws -> [String: [String: Any]] {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("patchcheck-dump-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let result = try ProcessRunner.run(
      ["swift", "package", "--scratch-path", scratch.path, "dump-package"], cwd: ProjectData.root.path, timeout: 300)
    try #require(result.status == 0, "\(result.output)")
    let start = try #require(result.output.firstIndex(of: "{"))
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [String: Any])
    let targets = try #require(json["targets"] as? [[String: Any]])
    return Dictionary(uniqueKeysWithValues: targets.map { ($0["name"] as? String ?? "", $0) })
  }

  static func dependencies(_ target: [String: Any]) -> [String] {
    (target["dependencies"] as? [[String: Any]] ?? []).compactMap { dependency in
      (dependency["byName"] as? [Any])?.first as? String
    }
  }

  @Test func targetsFollowTheDocumentedOrder() throws {
    let layers = try Self.documentedLayers()
    try #require(!layers.isEmpty)
    let targets = try Self.manifest()
    let modules = layers.map(\.module)
    // Every stage folder belongs to exactly one layer.
    let folders = try FileManager.default.contentsOfDirectory(atPath: Self.library.path).filter {
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: Self.library.appendingPathComponent($0).path, isDirectory: &isDirectory)
        && isDirectory.boolValue
    }
    #expect(layers.flatMap(\.folders).sorted() == folders.sorted(), "documented folders vs Sources/PatchCheckKit")
    for (index, layer) in layers.enumerated() {
      let target = try #require(targets[layer.module], "\(layer.module) is documented but not a target")
      #expect(target["path"] as? String == "Sources/PatchCheckKit", "\(layer.module)'s path")
      #expect(Set(target["sources"] as? [String] ?? []) == Set(layer.folders), "\(layer.module)'s folders")
      // A layer depends on earlier layers only (and on no later one, directly or not).
      let own = Self.dependencies(target).filter { modules.contains($0) }
      let later = own.filter { modules.firstIndex(of: $0)! >= index }
      #expect(later.isEmpty, "\(layer.module) depends on \(later)")
    }
    // No other target compiles stage code.
    let others = targets.filter { !modules.contains($0.key) && $0.value["path"] as? String == "Sources/PatchCheckKit" }
    #expect(others.isEmpty, "\(others.keys.sorted())")
  }

  /// A file imports only its own layer's earlier modules: an `import` of a later layer would
  /// compile on a warm build folder (the module file is there) though the graph forbids it.
  @Test func importsPointBackwards() throws {
    let layers = try Self.documentedLayers()
    let modules = layers.map(\.module)
    var forward: [String] = []
    for (index, layer) in layers.enumerated() {
      for folder in layer.folders {
        let url = Self.library.appendingPathComponent(folder)
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".swift") {
          let text = try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
          for match in text.matches(of: #/(?m)^(?:@\w+\s+)?import\s+(\w+)/#) {
            let module = String(match.output.1)
            if let other = modules.firstIndex(of: module), other >= index {
              forward.append("\(folder)/\(name) imports \(module)")
            }
          }
        }
      }
    }
    #expect(forward.isEmpty, "\(forward.joined(separator: "\n"))")
  }
}

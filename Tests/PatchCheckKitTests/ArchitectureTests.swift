import Foundation
import Testing

@testable import PatchCheckKit

/// The README's "Layer order" is the code's: no type refers to a type of a later stage.
@Suite struct ArchitectureTests {
  static let library = ProjectData.root.appendingPathComponent("Sources/PatchCheckKit")

  /// The folders in the order the README gives them.
  static func layerOrder() throws -> [String] {
    let readme = try String(contentsOf: ProjectData.root.appendingPathComponent("README.md"), encoding: .utf8)
    let line = try #require(readme.split(separator: "\n").first { $0.hasPrefix("Layer order: ") })
    return line.dropFirst("Layer order: ".count).trimmingCharacters(in: CharacterSet(charactersIn: ". "))
      .components(separatedBy: ", ")
  }

  /// Type names declared in each folder, and each file's text without comments and strings.
  static func scan() throws -> (types: [String: String], files: [(folder: String, name: String, code: String)]) {
    var types: [String: String] = [:]
    var files: [(String, String, String)] = []
    let declaration = #/(?m)^(?:(?:public|package|final|private|fileprivate|internal)\s+)*(?:struct|enum|class|protocol|typealias)\s+(\w+)/#
    for folder in try FileManager.default.contentsOfDirectory(atPath: library.path).sorted() {
      let url = library.appendingPathComponent(folder)
      for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".swift") {
        let text = try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
        for match in text.matches(of: declaration) where types[String(match.output.1)] == nil {
          types[String(match.output.1)] = folder
        }
        let code = text.split(separator: "\n").map { line in
          line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line)
        }.joined(separator: "\n")
        files.append((folder, name, code))
      }
    }
    return (types, files)
  }

  @Test func layersPointOneWay() throws {
    let order = try Self.layerOrder()
    let (types, files) = try Self.scan()
    #expect(Set(order) == Set(files.map(\.folder)), "README's layers \(order) vs folders \(Set(files.map(\.folder)).sorted())")
    var backwards: [String] = []
    for file in files {
      guard let own = order.firstIndex(of: file.folder) else { continue }
      let words = Set(file.code.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
      for word in words {
        guard let folder = types[word], let other = order.firstIndex(of: folder), other > own else { continue }
        backwards.append("\(file.folder)/\(file.name) uses \(word) (\(folder))")
      }
    }
    #expect(backwards.isEmpty, "\(backwards.sorted().joined(separator: "\n"))")
  }
}

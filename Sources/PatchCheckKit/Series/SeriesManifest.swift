// A series manifest (patches/<series>/manifest.yaml): how to find the posted mbox (by
// message-id), the base it states, the base to use when that one is absent, the scenarios
// that exercise it, and its variants. The mbox itself is never committed.

import Foundation
import PatchCheckBase
import Yams

package struct SeriesManifest: Sendable, Codable {
  package var name: String
  package var isDefault: Bool?
  package var messageID: String
  package var lore: String?
  package var statedBase: String?
  package var fallbackBase: String?
  package var scenarios: [String]?
  /// Scenario files (or folders of them) of the series' own, relative to the manifest: added
  /// to the built-in scenarios.
  package var scenarioFiles: [String]?
  package var variants: [String: Variant]?

  package struct Variant: Sendable, Codable {
    package var description: String?
    package var edits: [PatchEdit]?
    /// What a run of this variant must show; a run checks itself against it.
    package var expect: Expectation?
    /// The base for this variant (a backport names its tree), instead of the series'.
    package var base: String?
  }

  package struct Expectation: Sendable, Codable, Equatable {
    /// Any verdict (PASS, FAIL, APPLY-FAIL, ...); another word is a manifest error.
    package var verdict: Verdict?
    /// A regular expression one kernel report's title must match.
    package var splat: String?
  }

  /// The manifest's file, for error messages.
  package var path: String?
  /// The manifest line of each `scenario-files` entry.
  package var scenarioFileLines: [Int] = []

  package enum CodingKeys: String, CodingKey {
    case name
    case isDefault = "default"
    case messageID = "message-id"
    case lore
    case statedBase = "stated-base"
    case fallbackBase = "fallback-base"
    case scenarios
    case scenarioFiles = "scenario-files"
    case variants
  }

  package static func load(_ url: URL) throws -> SeriesManifest {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
      throw PatchCheckError(.manifest, "cannot read manifest \(url.path)", hint: "check the path")
    }
    let manifest: SeriesManifest
    do {
      var decoded = try YAMLDecoder().decode(SeriesManifest.self, from: text)
      decoded.path = url.path
      try decoded.attachLines(from: text)
      manifest = decoded
    } catch let error as DecodingError {
      throw PatchCheckError(
        .manifest, "\(url.path): \(ManifestErrors.describe(error))",
        hint: "fix the manifest (see docs/series.md, \"Series manifests\")")
    } catch {
      throw PatchCheckError(
        .manifest, "\(url.path): \(error)", hint: "fix the manifest's YAML (see docs/series.md, \"Series manifests\")")
    }
    // An empty list would run nothing and pass: a manifest names scenarios or leaves them out.
    if manifest.scenarios?.isEmpty == true {
      let line = (try? Yams.compose(yaml: text))??["scenarios"]?.mark.map { ":\($0.line)" } ?? ""
      throw PatchCheckError(
        .manifest, "\(url.path)\(line): 'scenarios' is an empty list, so the run would check nothing",
        hint: "name at least one scenario (patchcheck scenarios lists them), or drop the key for the defaults")
    }
    try manifest.checkKeys(text: text)
    try manifest.checkSplatPatterns(text: text)
    return manifest
  }

  /// The keys a manifest may have, by where they sit. The decoder passes over any other key,
  /// so a misspelt one (`verdit:` under `expect:`) would be ignored and its check never made.
  package static let knownKeys: [String: [String]] = [
    "": ["name", "default", "message-id", "lore", "stated-base", "fallback-base", "scenarios", "scenario-files", "variants"],
    "variant": ["description", "edits", "expect", "base"],
    "expect": ["verdict", "splat"],
    "edit": ["drop", "reverse", "rewrite-context", "keep-files"],
    "drop": ["file", "hunk", "function", "patch"],
    "reverse": ["file", "hunk", "function", "patch"],
    "rewrite-context": ["file", "hunk", "function", "patch", "from", "to"],
  ]

  /// Every key is one the manifest's format has: an unknown one is a manifest error with its line.
  package func checkKeys(text: String) throws {
    guard let root = try Yams.compose(yaml: text) else { return }
    func check(_ node: Node?, as kind: String, at place: String) throws {
      guard let mapping = node?.mapping, let known = Self.knownKeys[kind] else { return }
      for (key, _) in mapping {
        guard let name = key.string, !known.contains(name) else { continue }
        let line = key.mark.map { ":\($0.line)" } ?? ""
        throw PatchCheckError(
          .manifest,
          "\(path ?? self.name)\(line): unknown key '\(name)'\(place.isEmpty ? "" : " in \(place)") (known: \(known.joined(separator: ", ")))",
          hint: "fix the key's spelling (see docs/series.md, \"Series manifests\"); a key patchcheck does not know would be ignored")
      }
    }
    try check(root, as: "", at: "")
    for (key, variant) in root["variants"]?.mapping ?? [:] {
      let name = key.string ?? "?"
      try check(variant, as: "variant", at: "variant '\(name)'")
      try check(variant["expect"], as: "expect", at: "variant '\(name)' expect")
      for edit in variant["edits"]?.sequence ?? [] {
        try check(edit, as: "edit", at: "variant '\(name)' edits")
        for kind in ["drop", "reverse", "rewrite-context"] {
          try check(edit[kind], as: kind, at: "variant '\(name)' \(kind)")
        }
      }
    }
  }

  /// Every variant's `splat:` expectation compiles as a regular expression (one that does not
  /// would otherwise be judged as something else, or never match): refused at load, with the
  /// manifest's line.
  package func checkSplatPatterns(text: String) throws {
    for (name, variant) in (variants ?? [:]).sorted(by: { $0.key < $1.key }) {
      guard let pattern = variant.expect?.splat else { continue }
      do {
        _ = try Regex(pattern)
      } catch {
        let node = (try? Yams.compose(yaml: text))??["variants"]?[name]?["expect"]?["splat"]
        let line = node?.mark.map { ":\($0.line)" } ?? ""
        let why = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
        throw PatchCheckError(
          .manifest,
          "\(path ?? name)\(line): variant '\(name)': splat pattern '\(pattern)' is not a regular expression (\(why))",
          hint: "fix the pattern, escaping characters such as ( [ { . * + ? | with a backslash to match them as they are")
      }
    }
  }

  /// Every manifest under `folder` (one subfolder per series).
  package static func all(in folder: URL) throws -> [(url: URL, manifest: SeriesManifest)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return try names.sorted().compactMap { name in
      let url = folder.appendingPathComponent(name).appendingPathComponent("manifest.yaml")
      guard FileManager.default.fileExists(atPath: url.path) else {
        // A manifest under another name would be left out without a word.
        for other in ["manifest.yml", "Manifest.yaml", "manifest.yaml.txt"]
        where FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).appendingPathComponent(other).path) {
          throw PatchCheckError(
            .manifest, "\(folder.appendingPathComponent(name).appendingPathComponent(other).path) is not read: a manifest is manifest.yaml",
            hint: "rename it to manifest.yaml")
        }
        return nil
      }
      return (url, try load(url))
    }
  }

  /// The manifest marked `default: true`.
  package static func defaultManifest(in folder: URL) throws -> SeriesManifest {
    guard let found = try all(in: folder).first(where: { $0.manifest.isDefault == true }) else {
      throw PatchCheckError(
        .manifest, "no manifest in \(folder.path) is marked 'default: true'",
        hint: "pass --series FILE or mark one manifest as the default")
    }
    return found.manifest
  }

  /// The manifest for a series, matched by any message-id of its mails.
  package static func matching(_ series: Series, in folder: URL) throws -> SeriesManifest? {
    let ids = Set(([series.cover?.messageID] + series.patches.map(\.messageID)).compactMap { $0 })
    return try all(in: folder).first { ids.contains($0.manifest.messageID) }?.manifest
  }

  /// Looks for the mbox holding this manifest's message-id in the given folders; also the
  /// files it could not read, so a miss can name them (they may hold it).
  package func locateMbox(in folders: [URL]) -> (found: URL?, unreadable: [String]) {
    var unreadable: [String] = []
    for folder in folders {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      for name in names.sorted() where name.hasSuffix(".mbox") || name.hasSuffix(".patch") {
        let url = folder.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
          unreadable.append(url.path)
          continue
        }
        let text = String(decoding: data, as: UTF8.self)
        if Mbox.split(text).contains(where: { $0.messageID == messageID }) { return (url, unreadable) }
      }
    }
    return (nil, unreadable)
  }
}

extension SeriesManifest {
  /// Records the manifest line of each variant edit, so errors can name it.
  package mutating func attachLines(from text: String) throws {
    guard let root = try Yams.compose(yaml: text) else { return }
    scenarioFileLines = root["scenario-files"]?.sequence?.map { $0.mark?.line ?? 0 } ?? []
    guard let variantsNode = root["variants"]?.mapping else { return }
    for (key, value) in variantsNode {
      guard let name = key.string, let edits = value["edits"]?.sequence else { continue }
      for (index, node) in edits.enumerated() where variants?[name]?.edits?.indices.contains(index) == true {
        variants?[name]?.edits?[index].line = node.mark.map { $0.line }
      }
    }
  }

  /// `scenario-files` as paths beside the manifest, each with its manifest line.
  package var scenarioFileURLs: [(url: URL, line: Int?)] {
    let folder = path.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } ?? ProjectData.manifests
    return (scenarioFiles ?? []).enumerated().map { index, file in
      let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : folder.appendingPathComponent(file)
      return (url.standardizedFileURL, scenarioFileLines.indices.contains(index) ? scenarioFileLines[index] : nil)
    }
  }

  /// The variant named `name` ("as-posted" always exists: the series unedited).
  package func variant(_ name: String) throws -> Variant {
    if let found = variants?[name] { return found }
    if name == "as-posted" { return Variant(description: "the series as posted") }
    throw PatchCheckError(
      .usage, "no variant '\(name)' in \(path ?? self.name)",
      hint: "choose from: \((Set(variants?.keys.map { $0 } ?? []).union(["as-posted"])).sorted().joined(separator: ", "))")
  }
}

package enum ManifestErrors {
  package static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, let context):
      return "missing key '\(key.stringValue)'\(where_(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "wrong type\(where_(context)): \(context.debugDescription)"
    case .dataCorrupted(let context):
      return "\(context.debugDescription)\(where_(context))"
    @unknown default:
      return "\(error)"
    }
  }

  private static func where_(_ context: DecodingError.Context) -> String {
    let path = context.codingPath.map(\.stringValue).joined(separator: ".")
    return path.isEmpty ? "" : " at '\(path)'"
  }
}

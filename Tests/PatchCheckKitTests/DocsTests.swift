import Foundation
import Testing

@testable import PatchCheckKit

/// README.md is the front door and docs/ holds the rest: the README stays short, links every
/// page of docs/, and no relative link in either leads nowhere (a file that is not there, or
/// an anchor no heading of the target makes, by GitHub's rules).
@Suite struct DocsTests {
  static let root = ProjectData.root

  /// README.md and every docs/*.md, as paths from the repository root.
  static func pages() throws -> [String] {
    let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
      .filter { $0.hasSuffix(".md") }.sorted()
    return ["README.md"] + docs.map { "docs/\($0)" }
  }

  static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

  /// The lines outside fenced code blocks, with their line numbers (a `# comment` in a YAML
  /// block is not a heading, and a link written in one is not a link).
  static func prose(_ text: String) -> [(number: Int, line: Substring)] {
    var fenced = false
    var lines: [(number: Int, line: Substring)] = []
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
        fenced.toggle()
        continue
      }
      if !fenced { lines.append((index + 1, line)) }
    }
    return lines
  }

  /// The targets of the inline links `[text](target)` on a line.
  static func links(in line: Substring) -> [String] {
    line.matches(of: #/\[[^\]]*\]\(([^)\s`]+)\)/#).map { String($0.output.1) }
  }

  /// GitHub's anchor for a heading: lowercased; letters, marks, digits, `_` and `-` kept,
  /// each space a `-`, everything else dropped; a link in the heading counts by its text.
  static func slug(_ heading: String) -> String {
    let text = heading.replacing(#/\[([^\]]*)\]\([^)]*\)/#) { $0.output.1 }
    var slug = ""
    for scalar in text.lowercased().unicodeScalars {
      switch scalar.properties.generalCategory {
      case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark,
        .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber, .connectorPunctuation:
        slug.unicodeScalars.append(scalar)
      default:
        if scalar == " " || scalar == "-" { slug += "-" }
      }
    }
    return slug
  }

  /// The text of an ATX heading (`## Text`, closing `#`s dropped), or nil for another line.
  static func heading(_ line: Substring) -> String? {
    let level = line.prefix { $0 == "#" }.count
    guard (1...6).contains(level), line.dropFirst(level).first == " " else { return nil }
    var text = line.dropFirst(level).trimmingCharacters(in: .whitespaces)
    while text.hasSuffix("#") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
    return text
  }

  /// The anchors a markdown file's headings make; a repeated one gets `-1`, `-2`, ...
  static func anchors(of url: URL) throws -> Set<String> {
    var seen: [String: Int] = [:]
    var anchors: Set<String> = []
    for (_, line) in prose(try text(url)) {
      guard let title = heading(line) else { continue }
      let anchor = slug(title)
      let count = seen[anchor, default: 0]
      seen[anchor] = count + 1
      anchors.insert(count == 0 ? anchor : "\(anchor)-\(count)")
    }
    return anchors
  }

  /// Where a relative link leads: the file (the page itself for `#anchor`) and the anchor.
  struct Destination {
    let file: URL
    let anchor: String
  }

  /// nil for a link to elsewhere (`https://...`, `mailto:`).
  static func resolve(_ target: String, from page: URL) -> Destination? {
    if target.contains("://") || target.hasPrefix("mailto:") { return nil }
    let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
    let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
    let anchor = parts.count > 1 ? String(parts[1]) : ""
    let file = path.isEmpty ? page : page.deletingLastPathComponent().appendingPathComponent(path)
    return Destination(file: file.standardizedFileURL, anchor: anchor)
  }

  @Test func everyDocsPageIsLinkedFromTheReadme() throws {
    let readme = Self.root.appendingPathComponent("README.md")
    var linked: Set<String> = []
    for (_, line) in Self.prose(try Self.text(readme)) {
      for target in Self.links(in: line) {
        guard let destination = Self.resolve(target, from: readme) else { continue }
        linked.insert(destination.file.path)
      }
    }
    let pages = try Self.pages().dropFirst()
    #expect(pages.count >= 2, "docs/ has \(pages.count) pages")
    for page in pages {
      let path = Self.root.appendingPathComponent(page).standardizedFileURL.path
      #expect(linked.contains(path), "README.md does not link \(page)")
    }
  }

  @Test func everyRelativeLinkLeadsSomewhere() throws {
    var checked = 0
    for page in try Self.pages() {
      let url = Self.root.appendingPathComponent(page).standardizedFileURL
      for (number, line) in Self.prose(try Self.text(url)) {
        for target in Self.links(in: line) {
          guard let destination = Self.resolve(target, from: url) else { continue }
          let (file, anchor) = (destination.file, destination.anchor)
          checked += 1
          guard FileManager.default.fileExists(atPath: file.path) else {
            Issue.record("\(page):\(number): \(target): no such file")
            continue
          }
          guard !anchor.isEmpty else { continue }
          guard file.pathExtension == "md" else {
            Issue.record("\(page):\(number): \(target): an anchor into a file that is not markdown")
            continue
          }
          let anchors = try Self.anchors(of: file)
          #expect(anchors.contains(anchor), "\(page):\(number): \(target): no heading makes that anchor")
        }
      }
    }
    #expect(checked > 20, "read only \(checked) links")
  }

  @Test func theReadmeIsAtMost260Lines() throws {
    let readme = try Data(contentsOf: Self.root.appendingPathComponent("README.md"))
    let lines = readme.filter { $0 == UInt8(ascii: "\n") }.count
    #expect(lines <= 260, "README.md has \(lines) lines: move the detail to a page of docs/")
  }

  /// The anchors are GitHub's: the rule on headings of the kind these pages have.
  @Test func anchorsFollowGitHubsRule() {
    #expect(Self.slug("A verdict about the series") == "a-verdict-about-the-series")
    #expect(Self.slug("Goals (issue 16)") == "goals-issue-16")
    #expect(Self.slug("Failing closed, and no stale state") == "failing-closed-and-no-stale-state")
    #expect(Self.slug("The first run on a fresh machine (bench/first-run)") == "the-first-run-on-a-fresh-machine-benchfirst-run")
    #expect(Self.slug("`patchcheck ci` on [GitLab](https://gitlab.com)") == "patchcheck-ci-on-gitlab")
  }
}

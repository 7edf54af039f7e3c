import Foundation
import Testing

@testable import PatchCheckBase

/// Issue 29: no function in Sources/ is over 60 lines, counted from the line of its `func` or
/// `init` to its closing brace; a longer one is split into parts named by what each decides.
/// The few that stay longer for now are listed with the reason, and an entry goes once its
/// function is short enough, so the list only shrinks.
@Suite struct FunctionLengthTests {
  static let limit = 60

  /// Functions allowed over the limit ("Type.function", overloads together), and why each
  /// stays. None today: a new entry needs its reason, and is taken off once it is split.
  static let allowed: [String: String] = [:]

  static func functions() throws -> [SwiftFunction] {
    let sources = ProjectData.root.appendingPathComponent("Sources")
    let paths = try #require(FileManager.default.subpaths(atPath: sources.path)).filter { $0.hasSuffix(".swift") }.sorted()
    #expect(paths.count > 50, "found only \(paths.count) .swift files under \(sources.path)")
    return try paths.flatMap { path in
      let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
      return SwiftFunction.all(in: text, file: "Sources/\(path)")
    }
  }

  @Test func noFunctionInSourcesIsOverTheLimit() throws {
    let long = try Self.functions().filter { $0.lines > Self.limit && Self.allowed[$0.name] == nil }
    #expect(
      long.isEmpty,
      """
      \(long.count) function(s) over \(Self.limit) lines: split each into parts named by what each decides \
      (or, with a reason, add it to FunctionLengthTests.allowed):
      \(long.map { "  \($0.file):\($0.line) \($0.name): \($0.lines) lines" }.joined(separator: "\n"))
      """)
  }

  @Test func everyAllowedFunctionIsStillOverTheLimit() throws {
    let functions = try Self.functions()
    for (name, reason) in Self.allowed.sorted(by: { $0.key < $1.key }) {
      let found = functions.filter { $0.name == name }
      #expect(!found.isEmpty, "FunctionLengthTests.allowed names \(name) (\(reason)), which Sources/ no longer has")
      let longest = found.map(\.lines).max() ?? 0
      #expect(
        found.isEmpty || longest > Self.limit,
        "\(name) is \(longest) lines now, within the limit: take it off FunctionLengthTests.allowed")
    }
  }

  /// Braces in strings (one-line, multi-line, raw, interpolated), comments and regex literals
  /// are not code; a requirement without a body is not a function to measure.
  @Test func theScannerCountsOnlyCodeBraces() {
    let source = #"""
      protocol Named {
        func name() -> String
        init(name: String)
      }

      enum Outer {
        struct Inner {
          static func strings() -> String {
            let a = "{ not { a brace"
            let b = #"raw { with "quotes" and \(no interpolation {"#
            let c = """
              { multi-line
              "quoted" { \(a.map { "\($0) }" }.joined())
              """
            return a + b + c
          }
          // a comment {
          /* a block { comment /* nested { */ still { */
          func regex(_ line: String) -> Bool {
            line.contains(#/\((.+?)\)\{/#)
          }
        }

        static func generic<T: Equatable>(
          _ value: T
        ) throws
          -> T
        {
          func nested() {}
          return value
        }
      }

      extension Outer.Inner {
        init?(text: String) { nil }
        static func < (a: Self, b: Self) -> Bool { true }
      }
      let x = Outer.Inner.init(text: "")
      """#
    let found = SwiftFunction.all(in: source, file: "test.swift").map { "\($0.name) \($0.line) \($0.lines)" }
    #expect(
      found == [
        "Outer.Inner.strings 8 9",
        "Outer.Inner.regex 19 3",
        "Outer.generic 24 8",
        "Outer.generic.nested 29 1",
        "Outer.Inner.init 35 1",
        "Outer.Inner.< 36 1",
      ])
  }
}

/// A function of a Swift source file, found by reading its tokens: strings, comments and
/// regex literals (`#/.../#`; a bare `/.../` one is not recognised) are skipped.
struct SwiftFunction {
  /// "Type.function", with every enclosing type and function.
  var name: String
  var file: String
  /// The line of `func` or `init`, and how many lines it spans to its closing brace.
  var line: Int
  var lines: Int

  enum Kind: Equatable {
    case word(String)
    case punctuation(UInt8)
    case newline
  }

  struct Token {
    var kind: Kind
    var line: Int
  }

  static let typeKeywords: Set<String> = ["struct", "class", "enum", "extension", "actor", "protocol"]
  static let declarationKeywords: Set<String> = ["func", "var", "let", "init", "subscript", "typealias", "case"]
  /// What may start a line that continues a declaration (its effects, result, where clause, body).
  static let continuations: Set<String> = ["throws", "rethrows", "async", "where"]

  static func all(in text: String, file: String) -> [SwiftFunction] {
    var lexer = Lexer(Array(text.utf8))
    let tokens = lexer.tokens()
    var found: [SwiftFunction] = []
    var scopes: [String?] = []
    var pendingType: String?
    var bodies: [Int: String] = [:]
    for (index, token) in tokens.enumerated() {
      switch token.kind {
      case .word(let word) where typeKeywords.contains(word):
        if let name = typeName(tokens, after: index) { pendingType = name }
      case .word(let word) where word == "func" || word == "init":
        guard let name = functionName(tokens, at: index), let open = bodyStart(tokens, after: index),
          let close = matchingBrace(tokens, from: open)
        else { continue }
        bodies[open] = name
        let qualified = (scopes.compactMap { $0 } + [name]).joined(separator: ".")
        found.append(
          SwiftFunction(name: qualified, file: file, line: token.line, lines: tokens[close].line - token.line + 1))
      case .punctuation(UInt8(ascii: "{")):
        if let name = bodies[index] {
          scopes.append(name)
        } else {
          scopes.append(pendingType)
          pendingType = nil
        }
      case .punctuation(UInt8(ascii: "}")):
        _ = scopes.popLast()
      default:
        break
      }
    }
    return found
  }

  /// The name a type keyword declares ("Outer.Inner" for an extension), or nil when the
  /// keyword is a modifier (`class func`).
  static func typeName(_ tokens: [Token], after index: Int) -> String? {
    guard index + 1 < tokens.count, case .word(let first) = tokens[index + 1].kind, !declarationKeywords.contains(first)
    else { return nil }
    var name = first
    var next = index + 2
    while next + 1 < tokens.count, tokens[next].kind == .punctuation(UInt8(ascii: ".")),
      case .word(let part) = tokens[next + 1].kind
    {
      name += "." + part
      next += 2
    }
    return name
  }

  /// The function's name: the word after `func` (an operator's characters, up to its
  /// parameters), or "init" for an initialiser's declaration (not a call such as `.init(`).
  static func functionName(_ tokens: [Token], at index: Int) -> String? {
    guard case .word(let keyword) = tokens[index].kind, index + 1 < tokens.count else { return nil }
    if keyword == "init" {
      if index > 0, tokens[index - 1].kind == .punctuation(UInt8(ascii: ".")) { return nil }
      switch tokens[index + 1].kind {
      case .punctuation(let c) where "(?!<".utf8.contains(c): return "init"
      default: return nil
      }
    }
    if case .word(let name) = tokens[index + 1].kind { return name }
    var name = ""
    for token in tokens[(index + 1)...] {
      guard case .punctuation(let c) = token.kind, c != UInt8(ascii: "(") else { break }
      name.append(Character(UnicodeScalar(c)))
    }
    return name.isEmpty ? nil : name
  }

  /// The `{` opening the body of the declaration at `index`, or nil for one without a body
  /// (a protocol's requirement).
  static func bodyStart(_ tokens: [Token], after index: Int) -> Int? {
    var depth = 0
    var next = index + 1
    while next < tokens.count {
      switch tokens[next].kind {
      case .punctuation(UInt8(ascii: "(")), .punctuation(UInt8(ascii: "[")): depth += 1
      case .punctuation(UInt8(ascii: ")")), .punctuation(UInt8(ascii: "]")): depth -= 1
      case .punctuation(UInt8(ascii: "{")) where depth == 0: return next
      case .punctuation(UInt8(ascii: "}")) where depth == 0: return nil
      case .newline where depth == 0:
        var after = next + 1
        while after < tokens.count, tokens[after].kind == .newline { after += 1 }
        guard after < tokens.count else { return nil }
        switch tokens[after].kind {
        case .punctuation(UInt8(ascii: "{")), .punctuation(UInt8(ascii: "-")): break
        case .word(let word) where continuations.contains(word): break
        default: return nil
        }
      default: break
      }
      next += 1
    }
    return nil
  }

  static func matchingBrace(_ tokens: [Token], from open: Int) -> Int? {
    var depth = 0
    for index in open..<tokens.count {
      switch tokens[index].kind {
      case .punctuation(UInt8(ascii: "{")): depth += 1
      case .punctuation(UInt8(ascii: "}")):
        depth -= 1
        if depth == 0 { return index }
      default: break
      }
    }
    return nil
  }

  /// Words, punctuation and line ends of Swift source, with comments, string literals and
  /// regex literals left out (lines inside them still counted).
  struct Lexer {
    let bytes: [UInt8]
    var position = 0
    var line = 1

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func at(_ offset: Int) -> UInt8? { position + offset < bytes.count ? bytes[position + offset] : nil }

    func starts(with text: String, at offset: Int = 0) -> Bool {
      var index = position + offset
      for byte in text.utf8 {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
      }
      return true
    }

    /// Moves one byte on, counting lines.
    mutating func advance(_ count: Int = 1) {
      for _ in 0..<count where position < bytes.count {
        if bytes[position] == UInt8(ascii: "\n") { line += 1 }
        position += 1
      }
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
      byte == UInt8(ascii: "_") || byte >= 0x80 || (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    mutating func tokens() -> [Token] {
      var tokens: [Token] = []
      while position < bytes.count {
        let byte = bytes[position]
        if byte == UInt8(ascii: "\n") {
          tokens.append(Token(kind: .newline, line: line))
          advance()
        } else if skipLiteralOrComment() {
          continue
        } else if Self.isWordByte(byte) {
          let start = position
          while position < bytes.count, Self.isWordByte(bytes[position]) { position += 1 }
          tokens.append(Token(kind: .word(String(decoding: bytes[start..<position], as: UTF8.self)), line: line))
        } else {
          if byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t"), byte != UInt8(ascii: "\r") {
            tokens.append(Token(kind: .punctuation(byte), line: line))
          }
          advance()
        }
      }
      return tokens
    }

    /// Skips a comment, string or regex literal starting here; false when none does.
    mutating func skipLiteralOrComment() -> Bool {
      if starts(with: "//") {
        while let byte = at(0), byte != UInt8(ascii: "\n") { advance() }
        return true
      }
      if starts(with: "/*") {
        skipBlockComment()
        return true
      }
      var hashes = 0
      while at(hashes) == UInt8(ascii: "#") { hashes += 1 }
      if at(hashes) == UInt8(ascii: "\"") {
        advance(hashes)
        skipString(hashes: hashes)
        return true
      }
      if hashes > 0, at(hashes) == UInt8(ascii: "/") {
        advance(hashes + 1)
        let close = "/" + String(repeating: "#", count: hashes)
        while position < bytes.count, !starts(with: close) { advance(at(0) == UInt8(ascii: "\\") ? 2 : 1) }
        advance(close.utf8.count)
        return true
      }
      return false
    }

    mutating func skipBlockComment() {
      var depth = 0
      while position < bytes.count {
        if starts(with: "/*") {
          depth += 1
          advance(2)
        } else if starts(with: "*/") {
          depth -= 1
          advance(2)
          if depth == 0 { return }
        } else {
          advance()
        }
      }
    }

    /// A string literal from its opening quote(s), `hashes` being its `#` delimiters; an
    /// interpolation's code is skipped with any strings in it.
    mutating func skipString(hashes: Int) {
      let delimiter = starts(with: "\"\"\"") ? "\"\"\"" : "\""
      advance(delimiter.utf8.count)
      let close = delimiter + String(repeating: "#", count: hashes)
      let escape = "\\" + String(repeating: "#", count: hashes)
      while position < bytes.count {
        if starts(with: escape) {
          advance(escape.utf8.count)
          if at(0) == UInt8(ascii: "(") {
            advance()
            skipInterpolation()
          } else {
            advance()
          }
        } else if starts(with: close) {
          advance(close.utf8.count)
          return
        } else {
          advance()
        }
      }
    }

    /// The code of an interpolation, to its closing parenthesis.
    mutating func skipInterpolation() {
      var depth = 1
      while position < bytes.count {
        if skipLiteralOrComment() { continue }
        let byte = bytes[position]
        advance()
        if byte == UInt8(ascii: "(") { depth += 1 }
        if byte == UInt8(ascii: ")") {
          depth -= 1
          if depth == 0 { return }
        }
      }
    }
  }
}

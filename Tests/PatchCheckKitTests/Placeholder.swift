import Testing
import Foundation
@testable import PatchCheckKit

@Test func debugRip() throws {
  let text = try String(contentsOfFile: "/work/shared/console-corpus/syzkaller/0", encoding: .utf8)
  for s in ConsoleAnalyzer.analyze(text) { print("SPLAT", s.kind, s.function as Any, s.line, s.excerpt.prefix(3)) }
}

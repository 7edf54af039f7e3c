// libFuzzer target: a console log through the analyzer (every rule, dedup, blocked-task
// details, sanitizing) and the KTAP parser and extractor.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConsole(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let splats = ConsoleAnalyzer.analyze(text)
  for splat in splats { _ = ConsoleLine.visible(splat.title) }
  _ = KTAPParser.parse(text, expected: ["numvfs", "pf-remove", "race-numvfs-remove"])
  _ = KTAPParser.extract(text)
  return 0
}

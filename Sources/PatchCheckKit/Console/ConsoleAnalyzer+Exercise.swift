// Everything the tool does with an untrusted console log: the analyzer (rules, dedup,
// blocked-task details, sanitizing) and the KTAP parser and extractor; and with the lock-order
// witness's stream, which the guest writes as freely (the same bytes read as one, and with
// the console's witness block around them). Shared by the fuzzer
// (fuzz/ConsoleTarget.swift) and the regression tests for its findings.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

extension ConsoleAnalyzer {
  package static func exercise(_ data: Data) {
    let text = String(decoding: data, as: UTF8.self)
    for splat in analyze(text) { _ = VisibleText.of(splat.title) }
    _ = KTAPParser.parse(text, expected: ["numvfs", "pf-remove", "race-numvfs-remove"])
    _ = KTAPParser.extract(text)
    _ = LockWitness.reports(in: text, trace: Data(text.utf8))
  }
}

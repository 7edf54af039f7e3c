import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// A second reader of the guest's KTAP: the kernel's own (tools/testing/kunit, taken from
/// the imported 7.3.4 tree with libgit2) reads every real boot's console committed as a
/// fixture, and agrees with patchcheck on each scenario's result and each step's.
@Suite(.enabled(if: EndToEndGate.enabled && ProcessRunner.which("python3") != nil))
struct KUnitParserTests {
  /// kunit.py finds its files by its own path (`.../tools/testing/kunit/kunit.py`), so the
  /// folder is written out at that path under a temporary root.
  static func exportKUnitTool(to root: URL) throws -> URL {
    let repository = try GitRepository(path: PatchCheckHome().treeRepository.path)
    let commit = try #require(try repository.commit(for: "v7.3.4"), "v7.3.4 is imported (scripts/test.sh does)")
    let folder = root.appendingPathComponent("tools/testing/kunit")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in [
      "kunit.py", "kunit_config.py", "kunit_json.py", "kunit_junit.py", "kunit_kernel.py", "kunit_parser.py", "kunit_printer.py",
      "qemu_config.py",
    ] {
      let data = try #require(try repository.file("tools/testing/kunit/\(name)", in: commit), "\(name) at v7.3.4")
      try data.write(to: folder.appendingPathComponent(name))
    }
    return folder
  }

  /// kunit.py's parser over one console: "scenario\tstatus" and "scenario\tstep\tstatus"
  /// lines, in order. kunit.py parse itself must also accept the console (exit 0 or 1, a
  /// summary line), so the parser is driven the way the command drives it.
  static func kunitResults(_ console: URL, tool: URL) throws -> [String] {
    let driver = """
      import sys
      sys.path.insert(0, sys.argv[1])
      import kunit_parser
      import kunit_printer
      lines = open(sys.argv[2], errors='backslashreplace').read().splitlines()
      test = kunit_parser.parse_run_tests(lines, kunit_printer.null_printer)
      for suite in test.subtests:
          print(f"{suite.name}\\t{suite.status.name}", flush=True)
          for case in suite.subtests:
              print(f"{suite.name}\\t{case.name}\\t{case.status.name}", flush=True)
      """
    let result = try ProcessRunner.run(["python3", "-c", driver, tool.path, console.path], timeout: 120, collectLimit: 1 << 20)
    try #require(result.status == 0, "\(result.output.suffix(800))")
    return result.output.split(separator: "\n").map(String.init).filter { line in
      line.split(separator: "\t").count >= 2 && !line.hasPrefix("[")
    }
  }

  /// kunit's statuses in patchcheck's words. A step that timed out is a failure to kunit.
  static func word(_ outcome: TestOutcome) -> String {
    switch outcome {
    case .pass: "SUCCESS"
    case .fail, .timeout: "FAILURE"
    case .skip: "SKIPPED"
    case .missing: "TEST_CRASHED"
    }
  }

  @Test func theKernelsParserAgreesOnEveryRealConsole() throws {
    let dir = try TempDir()
    let tool = try Self.exportKUnitTool(to: dir.url)
    let fixtures = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("").path)
      .filter { $0.hasPrefix("boot-") && $0.hasSuffix(".log") }.sorted()
    try #require(fixtures.count >= 5, "\(fixtures)")
    var compared = 0
    for name in fixtures {
      let console = Fixtures.url(name)
      let text = String(decoding: try Data(contentsOf: console), as: UTF8.self)
      let ours = KTAPParser.parse(text)
      var expected: [String] = []
      for scenario in ours {
        expected.append("\(scenario.name)\t\(Self.word(scenario.result))")
        for step in scenario.steps { expected.append("\(scenario.name)\t\(step.name)\t\(Self.word(step.result))") }
      }
      let theirs = try Self.kunitResults(console, tool: tool)
      #expect(theirs == expected, "\(name): kunit \(theirs) vs patchcheck \(expected)")
      compared += expected.count
    }
    #expect(compared > 50, "only \(compared) results compared")

    // kunit.py parse, the command itself, reads the same console and sums it up.
    let command = try ProcessRunner.run(
      ["python3", tool.appendingPathComponent("kunit.py").path, "parse", Fixtures.url("boot-v7.3.4-v10-all-scenarios.log").path],
      timeout: 120, collectLimit: 1 << 20)
    #expect(command.output.contains("Testing complete. Ran 31 tests: passed: 30, skipped: 1"), "\(command.output.suffix(600))")
  }
}

// kcidb.json: the run as a KCIDB v5.3 document (one checkout with the patchset's hash and
// message-id, one build, a test per scenario step plus boot and console), for submitting to
// KernelCI's database. The schema is checked with kcidb-io in the tests.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package struct KCIDBDocument: Encodable {
  package struct Version: Encodable {
    package var major = 5
    package var minor = 3
  }
  package struct Resource: Encodable {
    package var name: String
    package var url: String
  }
  package struct Checkout: Encodable {
    package var id: String
    package var origin: String
    package var tree_name: String?
    package var git_commit_hash: String?
    package var git_commit_name: String?
    package var patchset_hash: String
    package var patchset_files: [Resource]
    package var message_id: String?
    package var comment: String?
    package var start_time: String
    package var valid: Bool
    package var log_excerpt: String?
  }
  package struct Build: Encodable {
    package var id: String
    package var checkout_id: String
    package var origin: String
    package var architecture = "x86_64"
    package var compiler: String?
    package var config_name = "tinyconfig+patchcheck-lockdep"
    package var start_time: String
    package var duration: Double?
    package var status: String
    package var log_excerpt: String?
  }
  package struct Environment: Encodable {
    package var comment: String
  }
  package struct Test: Encodable {
    package var id: String
    package var build_id: String
    package var origin: String
    package var path: String
    package var status: String
    package var comment: String?
    package var environment: Environment?
    package var log_excerpt: String?
    package var start_time: String
  }

  package var version = Version()
  package var checkouts: [Checkout]
  package var builds: [Build]
  package var tests: [Test]
}

package enum KCIDBWriter {
  package static let origin = "patchcheck"

  /// `patchFiles` are the patches as applied, in order (their files in the run folder).
  package static func document(for report: Report, patchFiles: [URL]) -> KCIDBDocument {
    let time = ISO8601DateFormatter().string(from: report.startedAt)
    let runID = report.run.replacingOccurrences(of: ":", with: "_")
    let checkoutID = "\(origin):\(runID)"
    let hashes = patchFiles.compactMap { FileManager.default.contents(atPath: $0.path) }.map(SHA256Hex.of)
    let applied = !report.patches.isEmpty && report.patches.allSatisfy { $0.result != .failed && $0.result != .notAttempted }
    let checkout = KCIDBDocument.Checkout(
      id: checkoutID, origin: origin, tree_name: report.base?.used, git_commit_hash: report.base?.commit,
      git_commit_name: report.base?.used,
      patchset_hash: hashes.isEmpty ? "" : SHA256Hex.of(Data(hashes.map { $0 + "\n" }.joined().utf8)),
      patchset_files: patchFiles.map { .init(name: $0.lastPathComponent, url: $0.absoluteURL.absoluteString) },
      message_id: report.series?.messageID, comment: report.series.map { "\($0.title) (variant \($0.variant))" },
      start_time: time, valid: applied,
      log_excerpt: applied ? nil : String(report.reason.prefix(16_000)))
    guard applied, let build = report.build else {
      return KCIDBDocument(checkouts: [checkout], builds: [], tests: [])
    }
    let buildID = "\(checkoutID)-build"
    let buildRecord = KCIDBDocument.Build(
      id: buildID, checkout_id: checkoutID, origin: origin, compiler: build.compiler, start_time: time,
      duration: build.seconds, status: build.succeeded ? "PASS" : "FAIL",
      log_excerpt: build.errors.isEmpty ? nil : build.errors.map { "\($0.file):\($0.line): error: \($0.message)" }.joined(separator: "\n"))
    var tests: [KCIDBDocument.Test] = []
    if let boot = report.boot {
      let environment = KCIDBDocument.Environment(comment: "QEMU \(report.tools.qemu ?? "") q35 \(boot.accelerator.rawValue), igb SR-IOV")
      func test(_ path: String, _ status: String, _ comment: String? = nil, excerpt: String? = nil) {
        tests.append(
          KCIDBDocument.Test(
            id: "\(buildID):\(path)", build_id: buildID, origin: origin, path: path, status: status, comment: comment,
            environment: environment, log_excerpt: excerpt.map { String($0.prefix(16_000)) }, start_time: time))
      }
      test("boot", boot.reachedRunner ? "PASS" : "ERROR", boot.reachedRunner ? nil : "the guest never reached the runner")
      for scenario in report.scenarios {
        let base = "sriov.\(pathComponent(scenario.name))"
        test(base, status(scenario.result))
        for step in scenario.steps {
          test("\(base).\(pathComponent(step.name))", status(step.result), step.name, excerpt: step.diagnostics.joined(separator: "\n"))
        }
      }
      // The console fails on what the series brings; what the base shows too is a test of its
      // own that is DONE (ran, no verdict of its own), its counts in the comment.
      let new = report.newSplats
      test(
        "console", new.isEmpty ? "PASS" : "FAIL", new.map(\.title).joined(separator: "; "),
        excerpt: new.first?.excerpt.joined(separator: "\n"))
      for entry in report.preExisting ?? [] {
        test(
          // The title's hash keeps two titles that differ only in punctuation apart.
          "console.pre_existing.\(pathComponent(entry.title))_\(SHA256Hex.of(Data(entry.title.utf8)).prefix(8))", "DONE",
          entry.sentence,
          excerpt: report.splats.first { $0.title == entry.title }?.excerpt.joined(separator: "\n"))
      }
    }
    return KCIDBDocument(checkouts: [checkout], builds: [buildRecord], tests: tests)
  }

  package static func status(_ outcome: TestOutcome) -> String {
    switch outcome {
    case .pass: "PASS"
    case .fail: "FAIL"
    case .skip: "SKIP"
    case .timeout: "ERROR"
    case .missing: "MISS"
    }
  }

  /// KCIDB test paths are dot-separated names: keep letters, digits, '_' and '-'.
  package static func pathComponent(_ text: String) -> String {
    let mapped = text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
    return String(mapped).split(separator: "_").joined(separator: "_")
  }

  package static func json(for report: Report, patchFiles: [URL]) throws -> Data {
    try JSON.encode(document(for: report, patchFiles: patchFiles))
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// `patchcheck review` on the embedded default (v9 on 7.3.4) with a small budget: the base
/// and the one prefix built, each scenario in a boot of its own, then a few race repeats.
/// Pins the shape of the findings table and review.txt's headers; what it finds on v9 is the
/// run's to say (docs/review.md writes it down).
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct ReviewEndToEnd {
  /// A review on the shared cache, TCG, quiet. The budgets are in boots: minutes would count
  /// the time other suites hold the build slot.
  static func review(_ series: String?, _ scenarios: [String], iterations: Int, budget: ReviewBudget, out: URL) throws -> Review {
    var options = RunOptions()
    options.series = series
    options.scenarios = scenarios
    options.iterations = iterations
    options.accelerator = .tcg
    options.output = out
    options.json = true
    return try ReviewRunner(home: EndToEnd.home, options: options, budget: budget).run()
  }

  @Test func reviewsV9WithASmallBudget() throws {
    let dir = try TempDir()
    // The race alone (CI's time): the first pass, then one block of two boots on each side.
    let budget = ReviewBudget(maxBoots: 6, maxMinutes: 60, block: 2)
    let review = try Self.review(nil, ["race-numvfs-remove"], iterations: 3, budget: budget, out: dir.path("review"))

    // Two kernels (the base, patch 1/1), both judged; each scenario ran on each.
    #expect(review.kernels.map(\.label) == ["base", "patch 1/1"])
    #expect(review.kernels.allSatisfy { $0.problem == nil }, "\(review.kernels.compactMap(\.problem))")
    #expect(review.base?.used == "v7.3.4")
    for k in 0...1 {
      #expect(Set(review.runs.filter { $0.patches == k }.map(\.scenario)) == ["race-numvfs-remove"])
      #expect(review.runs.filter { $0.patches == k }.reduce(0) { $0 + $1.boots.count } == 3, "the first pass and a block of two")
    }
    #expect(review.boots <= budget.maxBoots)
    #expect(!review.stopped.isEmpty)
    // Every finding: a label, hits/runs on both sides, a claim, evidence, the command.
    for finding in review.findings {
      #expect(finding.kernels.count == 2)
      #expect(finding.base.runs > 0 && finding.series.runs > 0, "\(finding.title)")
      #expect(finding.claim.hasPrefix(finding.label == .preExisting ? "" : finding.label.rawValue) || finding.claim.hasPrefix("flaky"))
      #expect(!finding.excerpt.isEmpty || finding.kind == "scenario", "\(finding.title)")
      #expect(finding.reproduce.hasPrefix("patchcheck apply-and-boot "))
      #expect(FileManager.default.fileExists(atPath: dir.path("review").appendingPathComponent(finding.evidence).path))
      if finding.kind == Splat.Kind.hungTask.rawValue { #expect(finding.deadlock != nil, "\(finding.title)") }
      if finding.label == .new { #expect(finding.introducedBy == 1) }
    }
    // What docs/review.md "What a review finds" says of v9: its race deadlocks (hung tasks, new with
    // patch 1/1, never on the base), explained as a wait-for cycle.
    let hung = review.findings.filter { $0.kind == Splat.Kind.hungTask.rawValue }
    #expect(!hung.isEmpty, "\(review.findings.map(\.title))")
    #expect(hung.allSatisfy { $0.label == .new && $0.base.hits == 0 && $0.series.hits > 0 && $0.scenarios == ["race-numvfs-remove"] })
    #expect(hung.contains { $0.deadlock?.lines.isEmpty == false }, "\(hung.map { $0.deadlock?.summary ?? "none" })")
    print("review v9: \(review.boots) boots, \(Int(review.seconds)) s, stopped: \(review.stopped)")
    for line in ReviewMail.table(review) { print(line) }
    for finding in review.findings { print("  \(finding.title): \(finding.claim)") }
    for quiet in review.quiet { print("  \(quiet.scenario): \(quiet.claim)") }

    // Every run's report folder is kept; the three outputs are written.
    for run in review.runs {
      #expect(FileManager.default.fileExists(atPath: dir.path("review").appendingPathComponent(run.folder + "/report.json").path))
    }
    let text = try String(contentsOf: dir.path("review/review.txt"), encoding: .utf8)
    let headers = text.components(separatedBy: "\n\n")[0].split(separator: "\n").map(String.init)
    #expect(headers.first?.hasPrefix("Subject: Re: [PATCH v9 0/1] PCI/IOV: Make pci_lock_rescan_remove() reentrant") == true)
    #expect(headers.contains("In-Reply-To: <20260310074303.17480-1-ionut.nechita@windriver.com>"))
    #expect(headers.contains { $0.hasPrefix("To: ") && $0.contains("ionut.nechita@windriver.com") })
    #expect(headers.contains { $0.hasPrefix("Cc: ") && $0.contains("linux-pci@vger.kernel.org") })
    let table = text.split(separator: "\n").contains { $0.hasPrefix("label ") && $0.contains(" introduced ") && $0.hasSuffix(" title") }
    #expect(table || review.findings.isEmpty)
    #expect(text.contains(review.command))
    let decoded = try JSON.decoder().decode(Review.self, from: Data(contentsOf: dir.path("review/review.json")))
    #expect(decoded.findings == review.findings)
    #expect(FileManager.default.fileExists(atPath: dir.path("review/review.html").path))
  }

  /// v10 on its race: the base, patch 1 (v9's locking, the AB-BA deadlock) and patches 1-2
  /// (remove_store's fix), each in a build of its own in the one build folder. A deadlock
  /// patch 1 introduces and patch 2 fixes is neither new nor fixed for the series as a
  /// whole: it breaks bisection, and the review names both patches.
  @Test func reviewsV10PatchByPatch() throws {
    let dir = try TempDir()
    // The first pass only (three boots: CI's time): each kernel is judged by one boot, and
    // eight iterations make a missed race on patch 1 unlikely (v9's was missed in about one
    // boot in six at the default five).
    let review = try Self.review(
      Shared.v10.path, ["race-numvfs-remove"], iterations: 8, budget: ReviewBudget(maxBoots: 3, maxMinutes: 60, block: 2),
      out: dir.path("review"))
    print("review v10: \(review.boots) boots, \(Int(review.seconds)) s, stopped: \(review.stopped)")
    for line in ReviewMail.table(review) { print(line) }
    for finding in review.findings { print("  \(finding.title): \(finding.claim)") }

    #expect(review.kernels.map(\.label) == ["base", "patch 1/2", "patches 1-2/2"])
    #expect(review.kernels.allSatisfy { $0.problem == nil }, "\(review.kernels.compactMap(\.problem))")
    // Each kernel built from the one before: three heads, each prefix's head the parent of the next.
    #expect(Set(review.kernels.compactMap(\.head)).count == 3)
    for k in 0...2 { #expect(review.runs.contains { $0.patches == k && !$0.boots.isEmpty }, "kernel \(k) booted") }
    let hung = review.findings.filter { $0.kind == Splat.Kind.hungTask.rawValue }
    #expect(!hung.isEmpty, "patch 1's deadlock: \(review.findings.map(\.title))")
    for finding in hung {
      #expect(finding.label == .breaksBisection, "\(finding.title): \(finding.label)")
      #expect(finding.introducedBy == 1 && finding.fixedBy == 2, "\(finding.title)")
      #expect(finding.kernels[1].hits > 0 && finding.kernels[0].hits == 0 && finding.kernels[2].hits == 0)
      #expect(finding.deadlock != nil, "\(finding.title)")
    }
    let text = try String(contentsOf: dir.path("review/review.txt"), encoding: .utf8)
    #expect(text.contains("breaks-bisection"))
    // No cover letter in the posting: the reply answers patch 1.
    #expect(text.contains("In-Reply-To: <20260318210316.61975-2-ionut.nechita@windriver.com>"))
    #expect(text.hasPrefix("Subject: Re: [PATCH v10 1/2] PCI/IOV: Make pci_lock_rescan_remove() reentrant"))
  }
}

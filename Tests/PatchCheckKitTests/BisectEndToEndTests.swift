import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// The real bisect: 17 commits on top of the imported v7.3.4, each touching drivers/pci, one
/// of them the no-reentrancy change (v9's iov.c locking without its probe.c reentrancy,
/// taken from the posted mbox at test time). Every step builds and boots for real.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct BisectEndToEnd {
  static let home = PatchCheckHome()
  /// Small files the lockdep config compiles, so each filler commit costs one object.
  static let fillerFiles = [
    "drivers/pci/access.c", "drivers/pci/bus.c", "drivers/pci/remove.c", "drivers/pci/search.c",
    "drivers/pci/rom.c", "drivers/pci/irq.c", "drivers/pci/vpd.c", "drivers/pci/setup-res.c",
  ]

  /// The history; returns (tip, the bad commit). Commit times are fixed, so the ids are the
  /// same on every run.
  static func makeHistory(in repo: GitRepository, base: ObjectID, count: Int, badIndex: Int) throws -> (ObjectID, ObjectID) {
    let loaded = try SeriesSource.load("pci-iov-reentrant-v9", home: home)
    let broken = try SelectedVariant.select("no-reentrancy", from: loaded).series
    let applier = Applier(repository: repo, console: Terminal(quiet: true))
    var tip = base
    var bad: ObjectID?
    for i in 0..<count {
      if i == badIndex {
        let resolution = BaseResolution(
          requested: tip.description, stated: nil, used: tip.short, commit: tip.description, substituted: false, note: nil)
        let outcome = try applier.apply(broken, base: resolution, branch: nil, check: false)
        guard let head = outcome.head.flatMap(ObjectID.init(hex:)) else {
          Issue.record("the no-reentrancy change does not apply: \(outcome.patches.map { $0.error ?? "" })")
          throw PatchCheckError(.infra, "fixture", hint: "")
        }
        tip = head
        bad = head
        continue
      }
      let path = fillerFiles[i % fillerFiles.count]
      let tree = try repo.commitInfo(tip).tree
      var text = try repo.file(path, inTree: tree) ?? Data()
      text.append(Data("/* patchcheck bisect fixture \(i) */\n".utf8))
      let newTree = try repo.replacing(path, with: repo.writeBlob(text), in: tree)
      let sig = Signature(
        name: "Fixture", email: "fixture@example.com", time: Date(timeIntervalSince1970: 1_790_000_000 + Double(i) * 60),
        offsetMinutes: 0)
      tip = try repo.createCommit(
        tree: newTree, parents: [tip], author: sig, committer: sig,
        message: "PCI: bisect fixture \(i): comment in \((path as NSString).lastPathComponent)\n")
    }
    guard let bad else { throw PatchCheckError(.infra, "fixture: no bad commit at \(badIndex)", hint: "badIndex < count") }
    return (tip, bad)
  }

  @Test func bisectNamesTheCommitThatLocksWithoutReentrancy() throws {
    let repo = try GitRepository(path: Self.home.treeRepository.path)
    guard let base = try repo.commit(for: "v7.3.4") else {
      Issue.record("v7.3.4 is not imported; scripts/test.sh imports it")
      return
    }
    let (tip, bad) = try Self.makeHistory(in: repo, base: base, count: 17, badIndex: 10)
    try repo.setReference("refs/heads/patchcheck/test-bisect", to: tip, log: "bisect end-to-end fixture")

    let dir = try TempDir()
    var options = RunOptions()
    options.noSeries = true
    options.scenarios = ["pf-remove"]
    // The bisect's own mechanics; the witness (which sees 7.3.4's own lock-order cycle at
    // every step, and which the good end's judgement takes out) would triple every step's
    // boot. BisectTests.aReportTheGoodEndHasTooIsNotWhatBadMeans covers that rule.
    options.lockWitness = false
    options.accelerator = .tcg
    options.json = true
    let judge = try KernelJudge(home: Self.home, options: options, stepsFolder: dir.path("steps"))
    var request = BisectRequest(good: ["v7.3.4"], bad: tip.description)
    request.scenarios = ["pf-remove"]
    // A verdict cache of its own: every step here is a real build and boot.
    let bisector = Bisector(
      repository: repo, judge: judge, cache: VerdictCache(folder: dir.path("verdicts")), logURL: dir.path("bisect.json"),
      console: Terminal(quiet: true))
    let log = try bisector.run(request)

    #expect(log.firstBad == bad.description, "steps: \(log.steps.map { "\($0.commit.prefix(12)) \($0.call)" })")
    #expect(log.candidates == 17)
    #expect(log.bisectSteps <= BisectGraph.maxSteps(count: 17) + log.skips)
    #expect(log.badTitles.contains { $0.contains("sriov") || $0.contains("hung") }, "\(log.badTitles)")
    // Every step kept its report and console log.
    for step in log.steps {
      let folder = URL(fileURLWithPath: step.report ?? "/nonexistent")
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("console.log").path), "\(step.commit)")
    }
    let times = log.steps.map { String(format: "%@ %.0fs", $0.call.rawValue, $0.seconds) }.joined(separator: ", ")
    print("bisect end-to-end: \(log.bisectSteps) steps for \(log.candidates) commits; per step: \(times)")
  }
}

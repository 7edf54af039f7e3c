// The real bisect judge: one apply-and-boot per commit (series applied on the commit, or
// the commit alone), each with its own report folder, every console log kept.

import Foundation

public struct KernelJudge: BisectJudge {
  public let home: PatchCheckHome
  /// Everything but the base and output folder.
  public let options: RunOptions
  /// Where each step's report folder goes.
  public let stepsFolder: URL
  public let inputsKey: String

  public init(home: PatchCheckHome, options: RunOptions, stepsFolder: URL) throws {
    self.home = home
    self.options = options
    self.stepsFolder = stepsFolder
    inputsKey = try Self.key(options, home: home)
  }

  public func judge(_ commit: ObjectID, label: String) throws -> Judgement {
    var run = options
    run.base = commit.description
    let folder = stepsFolder.appendingPathComponent(label)
    run.output = folder
    let report = try ApplyAndBoot(home: home, options: run).run()
    // A variant's expectation is about the series, not about this commit.
    let verdict = report.expectation?.observed ?? report.verdict
    return Judgement(verdict: verdict, titles: report.failureTitles, reason: report.reason, report: folder.path)
  }

  /// The inputs that decide a verdict, hashed: the patches as they will be applied, the
  /// scenarios and guest knobs, the config fragments' text, and the tool's version.
  static func key(_ options: RunOptions, home: PatchCheckHome) throws -> String {
    var parts = ["patchcheck-verdict/1", PatchCheckVersion.build]
    var scenarios = options.scenarios ?? ScenarioLibrary.defaultNames
    if options.noSeries {
      parts.append("no series")
    } else {
      let loaded = try SeriesSource.load(options.series, home: home)
      let selected = try SelectedVariant.select(options.variant, from: loaded)
      parts.append("variant \(options.variant)")
      parts += selected.series.patches.map { SHA256Hex.of(Data($0.diff.utf8)) }
      scenarios = options.scenarios ?? loaded.manifest?.scenarios ?? scenarios
    }
    // The guest program itself, so a changed scenario is a new question.
    let resolved = try ScenarioLibrary.named(scenarios, settings: ScenarioSettings(iterations: options.iterations, vfs: options.vfs))
    parts.append(SHA256Hex.of(Data(RunnerScript.generate(resolved, hungTaskTimeout: options.hungTaskTimeout).utf8)))
    parts.append(
      "iterations \(options.iterations) vfs \(options.vfs) pfs \(options.pfs) vcpus \(options.vcpus) memory \(options.memoryMB) hung \(options.hungTaskTimeout) repeat \(options.repeatCount)"
    )
    for fragment in try options.fragments ?? ApplyAndBoot.defaultFragments() {
      parts.append(SHA256Hex.of(FileManager.default.contents(atPath: fragment.path) ?? Data()))
    }
    return SHA256Hex.of(Data(parts.joined(separator: "\n").utf8))
  }
}

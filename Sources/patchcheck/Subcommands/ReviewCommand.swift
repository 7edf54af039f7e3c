import ArgumentParser
import Foundation
import PatchCheckKit

enum ReviewHelp: RunFlagsHelp {
  static let series = ApplyAndBootHelp.series
  static var scenarios: String { ApplyAndBootHelp.scenarios + " Each runs in a boot of its own; race-* ones are repeated." }
  static let iterations = "Iterations of each race scenario in one boot."
}

struct ReviewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "review",
    abstract:
      "Review a series: the base and each prefix of the series built and booted, every scenario in a boot of its own, races repeated; findings labelled new, fixed or pre-existing with hits/runs.",
    discussion: """
      Writes review.txt (a plain-text reply to the series), review.json and review.html in --out, \
      with every run's report folder under it. Exit codes: 0 nothing new, 1 a new finding or one \
      that breaks bisection, 5 INFRA-ERROR, 130 ABORTED.
      """
  )

  @OptionGroup var runFlags: RunFlags<ReviewHelp>

  @OptionGroup var tree: TreeOptions

  @Option(help: "Folder for review.txt, review.json, review.html and every run's report (default: results/review-<time>).")
  var out: String?

  @Option(help: "Accelerator: auto is KVM only if a probe boots under it, else TCG.")
  var accel = Accelerator.auto

  @Option(help: "Boots in all (the first pass, every kernel and scenario once, always runs).")
  var maxBoots: Int = ReviewBudget.defaultMaxBoots

  @Option(help: "Minutes in all; race repeats stop before they would overrun it.")
  var maxMinutes: Double = ReviewBudget.defaultMaxMinutes

  @Option(help: "Boots of one build per repeat of a race scenario (fewer rebuilds between base and series).")
  var block: Int = 2

  @OptionGroup var global: GlobalOptions

  func validate() throws {
    guard (1...1000).contains(maxBoots) else { throw ValidationError("--max-boots takes 1 to 1000") }
    guard maxMinutes > 0 else { throw ValidationError("--max-minutes takes a positive number") }
    guard (1...20).contains(block) else { throw ValidationError("--block takes 1 to 20") }
  }

  func run() throws {
    try runReportingErrors {
      var options = runFlags.runOptions()
      options.repository = tree.repo
      options.base = tree.base
      options.output = out.map { URL(fileURLWithPath: $0) }
      options.accelerator = accel
      options.json = global.json
      let budget = ReviewBudget(maxBoots: maxBoots, maxMinutes: maxMinutes, block: block)
      let review = try ReviewRunner(home: global.patchCheckHome, options: options, budget: budget).run()
      if global.json {
        try printJSON(review)
      } else {
        ReviewMail.table(review).forEach { print($0) }
        for finding in review.findings { print("  \(finding.title): \(finding.claim)") }
        for quiet in review.quiet { print("  \(quiet.scenario): \(quiet.claim)") }
        print("review: \(review.folder)/review.txt")
      }
      if let code = review.exitCode { throw ExitCode(code) }
    }
  }
}

// The real bisect judge: one apply-and-boot per commit (series applied on the commit, or
// the commit alone), each with its own report folder, every console log kept.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package struct KernelJudge: BisectJudge {
  package let home: PatchCheckHome
  /// Everything but the base and output folder.
  package let options: RunOptions
  /// Where each step's report folder goes.
  package let stepsFolder: URL
  /// The plan every step runs, with the commit as its base; its key is the cache's.
  package let plan: RunPlan
  package var inputsKey: String { plan.key }

  package init(home: PatchCheckHome, options: RunOptions, stepsFolder: URL) throws {
    self.home = home
    self.options = options
    self.stepsFolder = stepsFolder
    plan = try RunPlan.resolve(options, home: home)
  }

  /// The plan of the step judging `commit`: on that commit, its report in `folder`, and no
  /// branch left behind (the report's `head` names what was built).
  package func step(_ commit: ObjectID, output folder: URL) -> RunPlan {
    var step = plan
    step.requestedBase = commit.description
    step.keepsBranch = false
    step.output = folder
    // Bisect's own base is its good end: what that end fails with is never what makes a
    // commit bad (`BisectRules`), so a step does not boot a base of its own.
    step.strict = true
    return step
  }

  package func judge(_ commit: ObjectID, label: String) throws -> Judgement {
    let folder = stepsFolder.appendingPathComponent(label)
    let step = step(commit, output: folder)
    let report = try ApplyAndBoot(home: home, options: options).run(step, tools: .locate())
    // A variant's expectation is about the series, not about this commit.
    let verdict = report.expectation?.observed ?? report.verdict
    return Judgement(verdict: verdict, titles: report.failureTitles, reason: report.reason, report: folder.path)
  }
}

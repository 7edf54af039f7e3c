// `patchcheck ci --tags`: the series on each tag in turn (apply, build, boot, judge), each
// result recorded in the results database as soon as it is known. A tag already tested with
// the same inputs is not run again (unless forced). One build folder serves every tag, so a
// tag after one already built costs what changed between them.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package struct CIOptions: Sendable {
  /// A glob over tag names (`v7.2.*`) or a comma-separated list (kept in its order).
  package var tags: String
  /// What each tag runs (series, variant, scenarios, iterations, fragments, repository...).
  package var run: RunOptions
  /// Each tag's report goes to `out/<tag>/`.
  package var out: URL
  /// Runs tags already recorded with the same inputs again instead of answering from the record.
  package var force: Bool

  /// `force` has no default: a caller that leaves it out does not compile (the ci command once
  /// parsed --force and never passed it on, so a forced run answered from the database).
  package init(tags: String, run: RunOptions, out: URL, force: Bool) {
    self.tags = tags
    self.run = run
    self.out = out
    self.force = force
  }
}

/// One tag's outcome in a ci run.
package struct CIOutcome: Codable, Sendable {
  package var tag: String
  package var commit: String
  package var verdict: Verdict
  package var reason: String
  /// Taken from the database: this tag was already tested with the same inputs.
  package var recorded: Bool
  package var reportDir: String
  package var filesChanged: Int?
  package var objects: Int?
  package var buildSeconds: Double?
  package var seconds: Double
  /// A user-visible error that stopped this tag's run (not a kernel tree, ...), with its code.
  package var error: String?
  package var exitCode: Int32
}

extension [CIOutcome] {
  /// The code of the first error a tag hit, else the last tag's verdict code.
  package var exitCode: Int32 {
    first(where: { $0.error != nil })?.exitCode ?? last?.exitCode ?? 0
  }
}

package struct CIRunner {
  package let home: PatchCheckHome
  package let options: CIOptions
  package let database: ResultsDatabase
  package let console: Terminal

  package init(home: PatchCheckHome, options: CIOptions, database: ResultsDatabase) {
    self.home = home
    self.options = options
    self.database = database
    console = Terminal(quiet: options.run.json)
  }

  package func run() throws -> [CIOutcome] {
    let repository = try Applier.openRepository(options.run.repository, home: home)
    let tags = try Self.resolveTags(options.tags, in: repository)
    let tools = try ApplyAndBoot.Tools.locate()
    let plan = try RunPlan.resolve(options.run, home: home)
    let inputs = plan.key
    let configHash = plan.configHash
    // A line's slot is held from its first tag run to its last: each tag's checkout moves from
    // the tag before, so a step costs what changed between the two, not a whole build after
    // another run's tree. One slot at a time: moving to another line lets go of the last
    // (two ci runs taking 7.2 and 7.3 in opposite orders never wait for each other).
    var held: (slot: BuildSlot, lock: FileLock)?
    defer { withExtendedLifetime(held) {} }
    var outcomes: [CIOutcome] = []
    for (index, (tag, commit)) in tags.enumerated() {
      let key = SHA256Hex.of(Data((inputs + "\n" + commit.description).utf8))
      let folder = options.out.appendingPathComponent(slug(tag))
      let step = "[\(index + 1)/\(tags.count)] \(tag)"
      if let known = try recordedOutcome(step, tag: tag, commit: commit, key: key) {
        outcomes.append(known)
        continue
      }
      console.say("\(step) (\(commit.short))")
      let slot = try hold(BuildSlot(home: home, repository: repository, commit: commit, console: console), held: &held)
      // What the build worktree holds now: the files a checkout of this tag will rewrite.
      let previous = try? GitRepository(path: slot.worktreePath.path).headCommit()
      var tagPlan = plan
      tagPlan.requestedBase = tag
      tagPlan.output = folder
      let started = Date()
      var report = try ApplyAndBoot(home: home, options: options.run).run(tagPlan, tools: tools)
      let built = report.head.flatMap(ObjectID.init(hex:))
      let changed = try previous.flatMap { prev in try built.map { try repository.changedFileCount(from: prev, to: $0) } }
      report.ci = CIInfo(tag: tag, key: key, configHash: configHash, filesChanged: report.build == nil ? nil : changed)
      try ApplyAndBoot.write(report, to: folder)
      // A verdict reached without the base's findings (they could not be measured) is kept
      // for the history under a key of its own, so the next ci run judges the tag again.
      let recordKey = report.baselineNote == nil ? key : key + "-without-base-findings"
      let record = RunRecord(
        report: report, tag: tag, key: recordKey, configHash: configHash, filesChanged: report.ci?.filesChanged,
        reportDir: folder.path)
      // A run that could not judge (INFRA-ERROR) is kept for the history but not reused.
      try database.insert(record)
      let outcome = CIOutcome(
        tag: tag, commit: commit.description, verdict: record.verdict, reason: report.reason, recorded: false,
        reportDir: folder.path, filesChanged: report.ci?.filesChanged, objects: report.build?.objects,
        buildSeconds: report.phases[.build], seconds: Date().timeIntervalSince(started), error: report.error,
        exitCode: report.exitCode)
      if let error = report.error { console.warn("\(tag): \(error)") }
      console.say(
        "\(tag): \(record.verdict) — \(report.reason)"
          + (outcome.filesChanged.map { "; \($0) files changed since the last build" } ?? ""))
      outcomes.append(outcome)
    }
    return outcomes
  }

  /// The outcome recorded for the same inputs on this tag, said; nil when the tag is to run
  /// (nothing recorded, or --force).
  func recordedOutcome(_ step: String, tag: String, commit: ObjectID, key: String) throws -> CIOutcome? {
    guard !options.force, let known = try database.run(key: key) else { return nil }
    console.say("\(step): \(known.verdict) (recorded \(known.startedAt); --force runs it again)")
    return CIOutcome(
      tag: tag, commit: commit.description, verdict: known.verdict, reason: known.reason, recorded: true,
      reportDir: known.reportDir, filesChanged: known.filesChanged, objects: known.objects,
      buildSeconds: known.phases[.build], seconds: 0, error: nil, exitCode: Int32(known.exitCode))
  }

  /// `slot`, locked: kept when it is the one already held, else the one held before is let go
  /// first (ci holds one slot at a time).
  func hold(_ slot: BuildSlot, held: inout (slot: BuildSlot, lock: FileLock)?) throws -> BuildSlot {
    if held?.slot.key != slot.key {
      held = nil
      held = (slot, try slot.lock())
    }
    return slot
  }

  /// Tags matching a glob (in version order), or a comma-separated list (in its order).
  package static func resolveTags(_ spec: String, in repository: GitRepository) throws -> [(String, ObjectID)] {
    let all = try repository.tagNames()
    let names: [String]
    if spec.contains(where: { "*?[".contains($0) }) {
      names = all.filter { fnmatch(spec, $0, 0) == 0 }.sorted(by: TagOrder.versionOrder)
      guard !names.isEmpty else {
        throw PatchCheckError(
          .noTags, "no tag in \(repository.gitDirectory) matches '\(spec)'",
          hint: "'patchcheck tree list' shows the tags; import more with 'patchcheck tree import --debian 7.2.11'")
      }
    } else {
      names = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      guard !names.isEmpty else { throw PatchCheckError(.noTags, "no tags given", hint: "pass --tags 'v7.2.*' or --tags v7.2.11,v7.2.12") }
      for name in names where !all.contains(name) {
        throw PatchCheckError(
          .noTags, "tag '\(name)' is not in \(repository.gitDirectory)",
          hint: "'patchcheck tree list' shows the tags; import it with 'patchcheck tree import --debian X.Y.Z'")
      }
    }
    return try names.map { name in
      guard let commit = try repository.commit(for: "refs/tags/\(name)") else {
        throw PatchCheckError(.noTags, "tag '\(name)' does not name a commit", hint: "check it with 'patchcheck tree list'")
      }
      return (name, commit)
    }
  }

}

#if canImport(Glibc)
  import Glibc
#endif

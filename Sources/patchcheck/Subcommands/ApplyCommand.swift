import ArgumentParser
import Foundation
import PatchCheckKit

struct ApplyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Apply a series with libgit2 onto a branch patchcheck/<series>/<variant>; report each patch and hunk.",
    discussion: "Your HEAD, index and working tree are never touched. Exit codes: 0 applied, 3 a patch does not apply.")

  @OptionGroup var seriesOptions: SeriesOptions

  @Flag(help: "Dry run: report what would apply; make no branch.")
  var check = false

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try runReportingErrors {
      let home = global.patchCheckHome
      let loaded = try SeriesSource.load(seriesOptions.series, home: home)
      let repoPath = seriesOptions.repo ?? home.treeRepository.path
      guard seriesOptions.repo != nil || FileManager.default.fileExists(atPath: repoPath) else {
        throw PatchCheckError(
          .notAGitRepository, "no kernel tree at \(repoPath)",
          hint: "run 'patchcheck tree import --debian 7.3' or pass --repo PATH")
      }
      let applier = Applier(repository: try Applier.openRepository(repoPath), console: global.console)
      let base = try applier.resolveBase(
        requested: seriesOptions.base, stated: loaded.series.statedBase, fallback: loaded.manifest?.fallbackBase)
      if let note = base.note { global.console.warn(note) }
      let name = loaded.manifest?.name ?? "series"
      let outcome = try applier.apply(
        loaded.series, base: base, branch: "refs/heads/patchcheck/\(name)/\(seriesOptions.variant)", check: check)
      if global.json {
        try printJSON(outcome)
      } else {
        print("base: \(base.used) (\(base.commit.prefix(12)))")
        for patch in outcome.patches {
          print("[\(patch.result.rawValue)] \(patch.number)/\(loaded.series.patches.count) \(patch.subject)")
          for hunk in patch.hunks {
            let at =
              hunk.line.map { "at line \($0)" + (hunk.offset.map { $0 == 0 ? "" : " (offset \($0))" } ?? "") }
              ?? "expected at line \(hunk.expectedLine)"
            print("    \(hunk.result.rawValue) \(hunk.file) hunk \(hunk.hunk) \(at)  \(hunk.section)")
            if hunk.result == .failed {
              print("      hunk needs:")
              (hunk.expected ?? []).forEach { print("        |\($0)") }
              print("      tree has:")
              (hunk.actual ?? []).forEach { print("        |\($0)") }
            }
          }
          if let error = patch.error { print("    error: \(error)") }
        }
        if let branch = outcome.branch { print("branch: \(branch) -> \(outcome.head?.prefix(12) ?? "")") }
        if check { print(outcome.applied ? "check: the series applies" : "check: the series does not apply") }
      }
      if !outcome.applied { throw ExitCode(Verdict.applyFail.exitCode) }
    }
  }
}

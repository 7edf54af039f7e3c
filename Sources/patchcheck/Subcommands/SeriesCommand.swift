import ArgumentParser
import Foundation
import PatchCheckKit

struct SeriesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "series",
    abstract: "Read patch series: from a file, a folder, a message-id or a lore URL.",
    subcommands: [Show.self, Fetch.self])

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a series: the revision taken from its thread, cover letter, base-commit, patches with authors, trailers and diffstat."
    )

    @Argument(help: "An mbox, a folder of .patch files, a message-id, a lore URL, or a manifest name (default: the default series).")
    var file: String?

    @OptionGroup var seriesQuery: SeriesQueryFlags
    @OptionGroup var global: GlobalOptions

    func run() throws {
      try runReportingErrors {
        let loaded = try SeriesSource.load(file, home: global.patchCheckHome, query: seriesQuery.query)
        let series = loaded.series
        if let thread = series.thread, thread.leftSomething { global.console.note("series: \(thread.line)") }
        if global.json {
          try printJSON(series)
          return
        }
        print("\(series.title)" + (series.version.map { " (v\($0))" } ?? ""))
        print("source: \(series.source)")
        if let manifest = loaded.manifest { print("manifest: patches/\(manifest.name)") }
        if let base = series.statedBase { print("base-commit: \(base)") }
        for warning in series.warnings ?? [] { print("warning: \(warning)") }
        for patch in series.patches {
          print("\n[\(patch.number)/\(patch.total)] \(patch.subject)")
          print("  author: \(patch.author.name) <\(patch.author.email)>  \(patch.author.time)")
          for trailer in patch.trailers { print("  \(trailer.key): \(trailer.value)") }
          for file in patch.files { print("  \(file.path) | +\(file.added) -\(file.removed)") }
        }
      }
    }
  }

  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fetch a series' whole thread by message-id or lore URL into the cache folder's patches/.",
      discussion: """
        GET {archive}/{message-id}/t.mbox.gz, as b4 does; the archive is --lore, else
        $PATCHCHECK_LORE_URL, else the URL's own list, else https://lore.kernel.org/all. A thread
        already in the cache folder is not fetched again unless --refresh. Prints the file.
        """)

    @Argument(help: "A message-id (with or without <>) or a lore URL.")
    var id: String

    @Option(help: "The archive to fetch from (default $PATCHCHECK_LORE_URL, else https://lore.kernel.org/all).")
    var lore: String?

    @Flag(help: "Fetch again even when the cache folder has the thread.")
    var refresh = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
      try runReportingErrors {
        guard let reference = LoreReference(id) else {
          throw PatchCheckError(
            .usage, "'\(id)' is neither a message-id nor a lore URL", hint: "give <id@host> or https://lore.kernel.org/LIST/ID/")
        }
        let file = try LoreFetcher.thread(reference, home: global.patchCheckHome, lore: lore, refresh: refresh)
        if global.json {
          try printJSON(["messageID": reference.messageID, "file": file.path])
        } else {
          print(file.path)
        }
      }
    }
  }
}

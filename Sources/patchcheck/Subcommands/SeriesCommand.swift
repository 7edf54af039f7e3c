import ArgumentParser
import Foundation
import PatchCheckKit

struct SeriesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "series",
    abstract: "Read patch series.",
    subcommands: [Show.self])

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a series: cover letter, base-commit, patches with authors, trailers and diffstat.")

    @Argument(help: "An mbox, a folder of .patch files, or a manifest name (default: the default series).")
    var file: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
      try runReportingErrors {
        let loaded = try SeriesSource.load(file, home: global.patchCheckHome)
        let series = loaded.series
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
}

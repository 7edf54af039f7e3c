import ArgumentParser
import Foundation
import PatchCheckKit

struct TreeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tree",
    abstract: "Provision kernel trees: import Debian's kernel sources into a git repository.",
    subcommands: [Import.self, List.self, Path.self, Checkout.self]
  )

  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import a kernel source tarball as a tagged commit (child of the previous import).")

    @Option(help: "Debian kernel series to import from linux-source-X.Y (e.g. 7.3, or 7.3=VERSION).")
    var debian: String?

    @Option(help: "A kernel source tarball to import instead.")
    var tarball: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if (debian == nil) == (tarball == nil) {
        throw ValidationError("give exactly one of --debian X.Y or --tarball FILE")
      }
    }

    func run() throws {
      try runReportingErrors {
        let importer = TreeImporter(home: global.patchCheckHome, console: global.console)
        let result =
          try debian.map { try importer.importDebian($0) }
          ?? importer.importTarball(URL(fileURLWithPath: tarball ?? ""))
        if global.json {
          try printJSON(result)
        } else if result.alreadyPresent {
          print("\(result.tag) already imported (\(result.commit.prefix(12)))")
        } else {
          print(
            String(
              format: "imported %@: %d files in %.1f s (%@)", result.tag, result.files, result.seconds, String(result.commit.prefix(12))))
        }
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the imported versions (tags).")
    @OptionGroup var global: GlobalOptions
    func run() throws {
      try runReportingErrors {
        let tags = try Applier.openRepository(nil, home: global.patchCheckHome).tagNames()
        if global.json { try printJSON(tags) } else { tags.forEach { print($0) } }
      }
    }
  }

  struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check an imported version out into a folder of your own (a libgit2 worktree on patchcheck/checkout/NAME).")

    @Argument(help: "The revision (e.g. v7.3.4).")
    var revision: String

    @Argument(help: "The folder to create.")
    var folder: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
      try runReportingErrors {
        let repository = try Applier.openRepository(nil, home: global.patchCheckHome)
        let made = try TreeCheckout.run(revision, into: URL(fileURLWithPath: folder), repository: repository)
        if global.json {
          try printJSON(made)
        } else {
          print("\(made.folder): \(revision) (\(made.commit.prefix(12)))")
        }
      }
    }
  }

  struct Path: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tree repository's location.")
    @OptionGroup var global: GlobalOptions
    func run() throws { try runReportingErrors { print(global.patchCheckHome.treeRepository.path) } }
  }
}

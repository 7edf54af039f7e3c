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
      abstract: "Check an imported version out into a folder of your own (a libgit2 worktree on patchcheck/checkout/NAME).",
      discussion: """
        With --move, a folder this command made is moved to the revision instead: only the files
        that differ are written; edits are kept, and a revision that would overwrite one is refused.
        """)

    @Argument(help: "The revision (e.g. v7.3.4, or a branch 'patchcheck apply' made).")
    var revision: String

    @Argument(help: "The folder to create (with --move: the folder to move).")
    var folder: String

    @Flag(help: "Move an existing checkout folder to the revision.")
    var move = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
      try runReportingErrors {
        let repository = try Applier.openRepository(nil, home: global.patchCheckHome)
        let url = URL(fileURLWithPath: folder)
        let made =
          move
          ? try TreeCheckout.move(url, to: revision, repository: repository)
          : try TreeCheckout.run(revision, into: url, repository: repository)
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

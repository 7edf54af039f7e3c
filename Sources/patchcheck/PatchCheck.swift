// The patchcheck command line: argument parsing only; the work is in PatchCheckKit.

import ArgumentParser
import Foundation
import PatchCheckKit

@main
struct PatchCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "patchcheck",
    abstract: "Apply a kernel patch series, build it with lockdep, boot it in QEMU with SR-IOV NICs, and judge it.",
    subcommands: [
      ApplyAndBootCommand.self, ApplyCommand.self, TreeCommand.self, SeriesCommand.self,
      AnalyzeCommand.self, BootCommand.self, ScenariosCommand.self, BisectCommand.self, BisectRunCommand.self, CICommand.self,
      HistoryCommand.self, ExitCodesCommand.self,
      ReportCommand.self, ReviewCommand.self,
    ]
  )

  // Not CommandConfiguration(version:): that string is built before every command parses,
  // and this one opens the checkout with libgit2 and hashes the executable.
  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Print the version, the commit patchcheck was built from and its build id (reports' tools.patchcheck).",
      discussion:
        "Installed (scripts/install.sh), the commit is read from PREFIX/share/patchcheck/BUILD; run from a checkout, it is the checkout's HEAD."
    ))
  var version = false

  func run() throws {
    guard version else { throw CleanExit.helpRequest(self) }
    print(PatchCheckVersion.info().line)
  }
}

struct GlobalOptions: ParsableArguments {
  @Flag(name: .long, help: "Print the result as JSON on stdout; no progress output.")
  var json = false

  @Option(name: .long, help: "patchcheck's cache folder (default $PATCHCHECK_HOME or ~/.cache/patchcheck).")
  var home: String?

  var patchCheckHome: PatchCheckHome { PatchCheckHome(root: home.map { URL(fileURLWithPath: $0) }) }
  var console: Terminal { Terminal(quiet: json) }
}

/// Runs `body`; an error it throws becomes one line on stderr and its exit code (`ExitFailure`,
/// for `reader`). The only place the command line maps errors to exit codes.
func runReportingErrors(for reader: ExitFailure.Reader = .user, _ body: () throws -> Void) throws {
  Interrupts.shared.install()
  do {
    try body()
  } catch let error as ExitCode {
    throw error
  } catch let error as CleanExit {
    throw error
  } catch {
    let failure = ExitFailure(error, for: reader)
    // The message may quote a file name, a mail or a guest: shown, not obeyed.
    FileHandle.standardError.write(Data("patchcheck: error: \(VisibleText.of(failure.message))\n".utf8))
    throw ExitCode(failure.exitCode)
  }
}

func printJSON<T: Encodable>(_ value: T) throws {
  let data = try JSON.encode(value)
  FileHandle.standardOutput.write(data)
  FileHandle.standardOutput.write(Data("\n".utf8))
}

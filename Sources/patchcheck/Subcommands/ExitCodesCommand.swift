import ArgumentParser
import Foundation
import PatchCheckKit

struct ExitCodesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exit-codes",
    abstract: "Print every exit code patchcheck ends with and what it means (README's table, generated).")

  @OptionGroup var global: GlobalOptions

  func run() throws {
    if global.json {
      try printJSON(ExitCodes.rows.map { ["code": "\($0.code)", "meaning": $0.meaning] })
    } else {
      print(ExitCodes.markdown, terminator: "")
    }
  }
}

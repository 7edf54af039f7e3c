import Foundation
import Testing

@testable import PatchCheckKit

/// Input patchcheck cannot use is refused with a clear error or skipped with a word, never
/// crashed on and never quietly replaced by something else (issue 17).
@Suite struct NoSilentLossTests {
  /// `tree import --debian` with nothing usable: a usage error (exit 2), never a crash (an
  /// empty string and `=` indexed an empty list), and nothing downloaded.
  @Test func aDebianVersionWithNothingUsableIsAUsageError() throws {
    let dir = try TempDir()
    let cli = CLITests()
    for bad in ["", "=", "7.3=", "=7.3.4-1", "7.3.4=7.3.4-1", "seven", "7.3= "] {
      let result = try cli.run(["tree", "import", "--debian", bad], home: dir.path("home"))
      cli.expectOneLineError(result, code: 2, mentioning: "is not a Debian kernel version")
      #expect(!FileManager.default.fileExists(atPath: dir.path("home/debs").path), "'\(bad)' reached the download step")
    }
  }

  @Test func debianVersionsAreReadAsDocumented() throws {
    let newest = try DebianSpec("7.3")
    #expect(newest.series == "7.3" && newest.upstream == nil && newest.exact == nil)
    let release = try DebianSpec("7.2.11")
    #expect(release.series == "7.2" && release.upstream == "7.2.11" && release.exact == nil)
    let exact = try DebianSpec("7.3=7.3.4-1~bpo13+1")
    #expect(exact.series == "7.3" && exact.upstream == nil && exact.exact == "7.3.4-1~bpo13+1")
  }
}

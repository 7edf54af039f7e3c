// bench/ is read, not tested for its figures (no test asserts on a timing); what the README
// says the scripts do is checked here.

import Foundation
import Testing

@testable import PatchCheckKit

@Suite struct BenchScriptTests {
  /// bench/first-run times what only a machine with none of the tools can give, once. Every
  /// machine this suite runs on has QEMU installed (scripts/test.sh runs setup.sh first), so
  /// here it must refuse with its reason and write no figure, rather than time steps that
  /// have nothing left to do.
  @Test func firstRunRefusesOnAMachineThatIsNotFresh() throws {
    let root = ProjectData.root.path
    let folder = ProjectData.root.appendingPathComponent("bench/results/first-run").path
    let before = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    let result = try ProcessRunner.run(["python3", "\(root)/bench/first-run"], cwd: root, timeout: 60)
    #expect(result.status == 1)
    #expect(result.output.contains("this machine is not fresh (qemu-system-x86_64 on PATH"))
    #expect(result.output.contains("use bench/run --only fresh"))
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []) == before)
  }

  /// bench/ccache-modes builds the cache folder's worktree with its .config (README: the
  /// ccache row); a cache folder no run has built in is refused with what to do, and no
  /// figure is written.
  @Test func ccacheModesRefusesACacheFolderWithNoBuild() throws {
    let root = ProjectData.root.path
    let home = try TempDir()
    let folder = ProjectData.root.appendingPathComponent("bench/results/ccache-modes").path
    let before = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    let result = try ProcessRunner.run(
      ["env", "PATCHCHECK_HOME=\(home.url.path)", "python3", "\(root)/bench/ccache-modes", "--samples", "1"], cwd: root, timeout: 60)
    #expect(result.status == 1)
    #expect(result.output.contains("no build worktree or .config under \(home.url.path): run patchcheck apply-and-boot once first"))
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []) == before)
  }
}

// bench/ is read, not tested for its figures (no test asserts on a timing); what
// docs/benchmarks.md says the scripts do is checked here.

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

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

  /// docs/benchmarks.md "Results files": a run adds to the newest results file only on the same machine
  /// (CPUs, memory, OS, kernel, the tools' versions) and when nothing in it was measured on
  /// uncommitted code; otherwise it starts a file of its own. bench/run's own Results (its package,
  /// bench/benchlib), on a results folder of the test's, at this checkout's commit.
  @Test func aResultsFileIsAddedToOnlyFromTheSameMachine() throws {
    let root = ProjectData.root.path
    let dir = try TempDir()
    let script = """
      import json, pathlib, subprocess, sys
      sys.path.insert(0, "\(root)/bench")
      from benchlib.machine import machine_facts
      from benchlib.results import Results
      head = subprocess.run(["git", "-C", "\(root)", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
      machine = dict(machine_facts(), dirty=False)
      def case(name, old_machine, dirty=False):
          folder = pathlib.Path("\(dir.url.path)") / name
          folder.mkdir()
          figure = {"unit": "s", "samples": [1.0], "median": 1.0, "n": 1, "group": "analyzer", "commit": head,
                    "dirty": dirty, "measured": "2026-01-01T00:00:00+00:00"}
          (folder / "2026-01-01.json").write_text(json.dumps({"machine": old_machine, "commit": head,
              "started": "2026-01-01T00:00:00+00:00", "figures": {"f": figure}}))
          results = Results(folder, machine, head)
          print(name, "adds" if results.path.name == "2026-01-01.json" else "starts")
      case("same", machine)
      case("kernel", dict(machine, host_kernel="another"))
      case("tools", dict(machine, versions=dict(machine["versions"], qemu="QEMU emulator version 9.2.0")))
      case("patchcheck", dict(machine, versions=dict(machine["versions"], patchcheck="0000000")))
      case("dirty", machine, dirty=True)
      """
    let result = try ProcessRunner.run(["python3", "-c", script], cwd: root, timeout: 120)
    #expect(result.status == 0, "\(result.output)")
    let lines = result.output.split(separator: "\n").filter { !$0.hasPrefix("bench:") }.map(String.init)
    #expect(lines == ["same adds", "kernel starts", "tools starts", "patchcheck adds", "dirty starts"], "\(result.output)")
  }

  /// bench/ccache-modes builds the cache folder's worktree with its .config (docs/benchmarks.md,
  /// "ccache's modes"); a cache folder no run has built in is refused with what to do, and no
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

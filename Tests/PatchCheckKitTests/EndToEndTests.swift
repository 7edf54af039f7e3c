import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The real path, end to end: the default series (v9) on the imported v7.3.4 tree, a real
/// lockdep kernel build, a real QEMU boot under TCG, the real console judged. Runs when the
/// tree is imported (scripts/test.sh imports it and sets PATCHCHECK_E2E=1, which makes a
/// missing tree a failure instead of a reason to skip).
enum EndToEndGate {
  static var enabled: Bool {
    ProcessInfo.processInfo.environment["PATCHCHECK_E2E"] == "1"
      || FileManager.default.fileExists(atPath: PatchCheckHome().treeRepository.path)
  }
}

@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct EndToEnd {
  static let home = PatchCheckHome()

  /// The deterministic paths (no races): v9 must pass them.
  /// The deterministic paths (no races), five boots: every step passes, yet the lock-order
  /// witness sees v9's AB-BA in every boot — sriov_numvfs_store holds the PF's &dev->mutex and
  /// takes pci_rescan_remove_lock (v9's new locking in sriov_add_vfs), remove_store holds
  /// pci_rescan_remove_lock and takes the same PF's &dev->mutex — without any race won.
  @Test func v9sSequentialScenariosShowTheLockOrderInversionInEveryBoot() throws {
    let dir = try TempDir()
    var options = RunOptions()
    options.scenarios = ["numvfs", "pf-remove"]
    // The witness's evidence, judged as it was before the base was asked: the 7.3.4 base has
    // the same cycle (v10StillShowsTheLockOrderCycle labels it pre-existing).
    options.strict = true
    options.repeatCount = 5
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    let report = try ApplyAndBoot(home: Self.home, options: options).run()

    #expect(report.verdict == .fail, "\(report.reason)")
    #expect(report.exitCode == 1)
    #expect(report.splats.map(\.kind) == [.lockOrder], "\(report.splats.map(\.title))")
    let cycle = try #require(report.splats.first)
    #expect(cycle.title == "possible circular locking dependency: &dev->mutex -> pci_rescan_remove_lock -> &dev->mutex")
    #expect(cycle.boots == 5, "seen in \(cycle.boots ?? 0) of 5 boots")
    #expect(cycle.lockCycle?.sameInstances == true)
    let steps = Set(cycle.lockCycle?.edges.map(\.step) ?? [])
    #expect(steps.allSatisfy { $0.hasPrefix("numvfs:") || $0.hasPrefix("pf-remove:") }, "\(steps)")
    #expect(report.repeats?.allSatisfy { $0.verdict == .fail && $0.titles == [cycle.title] } == true)
    // The same build booted five times: each boot has its console, and each is counted.
    #expect(report.repeats?.count == 5)
    for n in 2...5 { #expect(FileManager.default.fileExists(atPath: dir.path("run/console-\(n).log").path), "console-\(n).log") }
    // The cycle came from the witness's streams, one file per boot beside its console
    // (issue 30), each whole and with nothing lost (the boots' verdicts would be INFRA-ERROR).
    #expect(report.files["witness"] == "witness.trace", "\(report.files)")
    for n in 2...5 { #expect(report.files["witness-\(n)"] == "witness-\(n).trace", "\(report.files)") }
    let stream = try Data(contentsOf: dir.path("run/witness.trace"))
    #expect(LockTrace.read(stream, focus: ["&dev->mutex"]).reachedEnd)
    // linux-next is not reachable: the stated base is absent and the manifest's is used.
    #expect(report.base?.stated == "c8be6ef92d9bc54f012627375b87b44d3eefe451")
    #expect(report.base?.used == "v7.3.4")
    #expect(report.base?.substituted == true)
    #expect(report.patches.count == 1)
    #expect(report.patches[0].hunks.count == 5)
    #expect(report.patches[0].hunks.allSatisfy { $0.result == .applied })
    #expect(report.config?.dropped.isEmpty == true, "\(report.config?.dropped.map(\.name) ?? [])")
    #expect(report.build?.succeeded == true)
    #expect(report.boot?.accelerator == .tcg)
    #expect(report.boot?.reachedRunner == true)
    // The guest proves which build it booted: the release names the applied head.
    let head = try #require(report.head)
    #expect(report.build?.release == "7.3.4-pc\(head.prefix(12))", "\(report.build?.release ?? "none")")
    #expect(report.boot?.kernelRelease == report.build?.release)
    // The config key follows every Kconfig file the configuration read, listed by Kconfig.
    let built = try #require(ObjectID(hex: head))
    let slot = BuildSlot(
      home: Self.home, repository: try GitRepository(path: Self.home.treeRepository.path), commit: built,
      console: Terminal(quiet: true))
    let listing = try String(
      contentsOf: slot.buildDirectory.appendingPathComponent("include/config/auto.conf.cmd"), encoding: .utf8)
    let inputs = KernelBuilder.kconfigInputs(listing)
    #expect(inputs.count > 300 && inputs.contains("drivers/pci/Kconfig"), "\(inputs.count) Kconfig inputs")
    // Each is a file of the commit built (read from the repository: other suites may move the
    // shared worktree once this run has released it).
    let treeRepo = try GitRepository(path: Self.home.treeRepository.path)
    #expect(try inputs.filter { try treeRepo.file($0, in: built) == nil }.isEmpty)
    #expect(report.scenarios.map(\.name) == ["numvfs", "pf-remove"])
    #expect(report.scenarios.allSatisfy { $0.result == .pass })
    // v9's changed code ran: the five functions it changes, with the scenarios that
    // reached each; the kernel inlines sriov_add_vfs and sriov_del_vfs.
    let coverage = try #require(report.coverage)
    #expect(coverage.exercised == true, "\(coverage.note)")
    #expect(
      coverage.functions.map(\.name) == [
        "sriov_add_vfs", "sriov_del_vfs", "sriov_numvfs_store", "pci_lock_rescan_remove", "pci_unlock_rescan_remove",
      ])
    #expect(Set(coverage.functions.filter { $0.traceable == false }.map(\.name)) == ["sriov_add_vfs", "sriov_del_vfs"])
    for name in ["sriov_numvfs_store", "pci_lock_rescan_remove", "pci_unlock_rescan_remove"] {
      let hits = coverage.functions.first { $0.name == name }?.hits ?? [:]
      #expect((hits["numvfs"] ?? 0) >= 5 && (hits["pf-remove"] ?? 0) >= 5, "\(name): \(hits) over 5 boots")
    }
    for phase in [Phase.apply, .build, .boot, .total] { #expect(report.phases[phase] != nil, "\(phase)") }

    // The files a maintainer and a CI system read.
    let out = dir.path("run")
    for name in ["report.json", "junit.xml", "summary.md", "console.log", "build.log", "initramfs.cpio", "kcidb.json", "bzImage"] {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
    }
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
    #expect(json?["verdict"] as? String == "FAIL")
    #expect((json?["tools"] as? [String: Any])?["libgit2"] != nil)
    #expect(XMLParser(contentsOf: out.appendingPathComponent("junit.xml"))?.parse() == true)
    let kcidb = try validateKCIDB(out.appendingPathComponent("kcidb.json"))
    #expect(kcidb.succeeded, "\(kcidb.output.suffix(400))")
    let console = try String(contentsOf: out.appendingPathComponent("console.log"), encoding: .utf8)
    #expect(console.contains("igbvf"))
    // The branch holds the series as git am would have made it.
    let repo = try GitRepository(path: Self.home.treeRepository.path)
    #expect(try repo.reference("refs/heads/patchcheck/pci-iov-reentrant-v9/as-posted")?.description == report.head)
  }

  /// v10 with every scenario, races included: its second patch fixes the AB-BA deadlock
  /// the races find in v9, so every scenario that can run must pass and the console stay
  /// clean. 7.3.4 hides `remove` on VFs, so vf-remove cannot run whole: the verdict is SKIP
  /// (exit 9), never PASS over a scenario that did not run.
  @Test func v10PassesEveryScenarioIncludingTheRaces() throws {
    let dir = try TempDir()
    var options = RunOptions()
    options.series = Shared.v10.path
    // The races and the scenarios' own results; what the lock-order witness says about v10
    // is the next test's.
    options.lockWitness = false
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    let report = try ApplyAndBoot(home: Self.home, options: options).run()
    #expect(report.verdict == .skip, "\(report.reason)")
    #expect(report.exitCode == 9)
    #expect(report.splats.isEmpty, "\(report.splats.map(\.title))")
    // Nothing to tell apart: the base is not booted.
    #expect(report.baseline == nil && !FileManager.default.fileExists(atPath: dir.path("run/base-console.log").path))
    #expect(report.series?.manifest == "pci-iov-reentrant-v10")
    #expect(report.patches.map(\.result) == [.applied, .applied])
    #expect(report.patches[1].hunks.first?.offset == -1, "pci-sysfs.c lands one line up on 7.3.4")
    #expect(report.scenarios.map(\.name) == ["numvfs", "pf-remove", "unbind", "vf-remove", "race-numvfs-remove", "race-unbind-remove"])
    #expect(report.scenarios.map(\.result) == [.pass, .pass, .pass, .skip, .pass, .pass])
    // What booted is the run's own copy of the image, naming the build's release (the
    // shared build folder may hold another kernel by now).
    let kernel = dir.path("run").appendingPathComponent(try #require(report.files["kernel"]))
    #expect(report.build?.release != nil && KernelImage.release(of: kernel) == report.build?.release)
    #expect(report.boot?.command.contains(kernel.path) == true, "\(report.boot?.command ?? [])")
  }

  /// The lock-order witness on v10: the same class-and-instance cycle as on the base and v9.
  /// v10's remove_store unbinds the driver first, yet pci_stop_dev still takes the (now
  /// driverless) PF's &dev->mutex under pci_rescan_remove_lock, and sriov_numvfs_store still
  /// takes them the other way round; a hang needs numvfs to find a driver bound after the
  /// unbind, which the races never hit on v10. The witness reports the order, as lockdep
  /// would, not the hang. The 7.3.4 base shows the same cycle: the verdict is about v10, so
  /// the cycle is pre-existing (listed, not a FAIL); --strict FAILs on it as before; and a
  /// second run on the same base reads the base's findings from the cache.
  @Test func v10StillShowsTheLockOrderCycle() throws {
    let cycle = "possible circular locking dependency: &dev->mutex -> pci_rescan_remove_lock -> &dev->mutex"
    let dir = try TempDir()
    var options = RunOptions()
    options.series = Shared.v10.path
    options.scenarios = ["numvfs", "pf-remove"]
    options.accelerator = .tcg
    options.json = true
    func run(_ name: String, strict: Bool = false) throws -> Report {
      var run = options
      run.output = dir.path(name)
      run.strict = strict
      return try ApplyAndBoot(home: Self.home, options: run).run()
    }
    let report = try run("run")
    #expect(report.verdict == .pass, "\(report.reason)")
    #expect(report.scenarios.allSatisfy { $0.result == .pass })
    #expect(report.splats.map(\.title) == [cycle], "\(report.splats.map(\.title))")
    #expect(report.splats.first?.preExisting == true)
    #expect(report.preExisting?.map(\.title) == [cycle])
    let baseline = try #require(report.baseline)
    #expect(baseline.base == "v7.3.4" && baseline.titles.contains(cycle), "\(baseline.findings)")
    #expect(report.reason.contains("no new kernel reports (pre-existing"), "\(report.reason)")
    let summary = try String(contentsOf: dir.path("run/summary.md"), encoding: .utf8)
    #expect(summary.contains("## New with the series\n\nNothing: every kernel report is one the base shows too."), "\(summary)")

    let strict = try run("strict", strict: true)
    #expect(strict.verdict == .fail && strict.reason.hasPrefix("kernel report: \(cycle)"), "\(strict.reason)")
    #expect(strict.baseline == nil && strict.strict == true)

    let again = try run("again")
    #expect(again.verdict == .pass, "\(again.reason)")
    #expect(again.baseline?.source?.hasPrefix("from the cache") == true, "\(again.baseline?.source ?? "none")")
    #expect(!FileManager.default.fileExists(atPath: dir.path("again/base-console.log").path))
    #expect(!FileManager.default.fileExists(atPath: dir.path("again/base-build.log").path))
  }

  /// An error nobody foresaw in the middle of a run (here the initramfs cannot be written:
  /// a folder is in its place) ends in a report with INFRA-ERROR and its code, never FAIL.
  @Test func anUnexpectedErrorMidRunIsInfraErrorWithAReport() throws {
    let dir = try TempDir()
    try FileManager.default.createDirectory(at: dir.path("run/initramfs.cpio"), withIntermediateDirectories: true)
    var options = RunOptions()
    options.scenarios = ["numvfs"]
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    let report = try ApplyAndBoot(home: Self.home, options: options).run()
    #expect(report.verdict == .infraError, "\(report.reason)")
    #expect(report.exitCode == 5)
    #expect(report.error?.contains("unexpected error") == true, "\(report.error ?? "")")
    let written = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.path("run/report.json"))) as? [String: Any]
    #expect(written?["verdict"] as? String == "INFRA-ERROR")
  }

  /// A series that does not compile: BUILD-FAIL, with the compiler's first error by file
  /// and line. The patch is made here from the real drivers/pci/iov.c of v7.3.4.
  @Test func aSeriesThatDoesNotCompileIsBuildFail() throws {
    let repo = try GitRepository(path: Self.home.treeRepository.path)
    let base = try #require(try repo.commit(for: "v7.3.4"))
    let lines = HunkLocator.lines(of: try #require(try repo.file("drivers/pci/iov.c", in: base)))
    let context = lines[19..<22]
    var diff = "diff --git a/drivers/pci/iov.c b/drivers/pci/iov.c\n--- a/drivers/pci/iov.c\n+++ b/drivers/pci/iov.c\n"
    diff += "@@ -20,3 +20,4 @@\n" + context.map { " \($0)\n" }.joined() + "+this is not C;\n"
    let dir = try TempDir()
    let mbox = dir.path("broken.mbox")
    try patchMail(subject: "PCI/IOV: break the build", diff: diff).write(to: mbox, atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.series = mbox.path
    options.scenarios = ["numvfs"]
    options.base = "v7.3.4"
    options.output = dir.path("run")
    options.json = true
    let report = try ApplyAndBoot(home: Self.home, options: options).run()
    #expect(report.verdict == .buildFail, "\(report.reason)")
    #expect(report.exitCode == 4)
    let first = try #require(report.build?.errors.first)
    #expect(first.file == "drivers/pci/iov.c")
    #expect(first.line == 23)
    #expect(report.boot == nil)
    #expect(FileManager.default.fileExists(atPath: dir.path("run/build.log").path))
  }
}

/// The negative control, for real: v9 without its reentrancy hunk must deadlock on PF
/// removal, and the console must show it. If this passes as a PASS, the scenarios have lost
/// their power to detect the bug the series fixes.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct NegativeControl {
  @Test func v9WithoutReentrancyIsCaught() throws {
    let dir = try TempDir()
    var options = RunOptions()
    options.variant = "no-reentrancy"
    options.scenarios = ["numvfs", "pf-remove"]
    options.compareBase = true
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    let report = try ApplyAndBoot(home: EndToEnd.home, options: options).run()
    #expect(report.verdict == .fail, "\(report.reason)")
    #expect(report.expectation?.met == true)
    #expect(report.edits.map(\.file) == ["drivers/pci/probe.c"])
    #expect(report.splats.contains { $0.kind == .lockdepRecursive || $0.kind == .hungTask }, "\(report.splats.map(\.title))")
    let pfRemove = try #require(report.scenarios.first { $0.name == "pf-remove" })
    #expect(pfRemove.result == .fail)
    // The scenario before it, which never removes the PF, still passes.
    #expect(report.scenarios.first { $0.name == "numvfs" }?.result == .pass)
    // On the unpatched base every step passes and the deadlock is new with this variant; the
    // base's only report is the lock-order witness's cycle, which 7.3.4 already has
    // (sriov_numvfs_store takes pci_rescan_remove_lock under the PF's device_lock,
    // remove_store takes them the other way round): pre-existing, on both sides.
    let comparison = try #require(report.baseComparison)
    let cycle = "possible circular locking dependency: &dev->mutex -> pci_rescan_remove_lock -> &dev->mutex"
    #expect(comparison.verdict == .fail, "\(comparison.reason)")
    #expect(comparison.reason.contains(cycle), "\(comparison.reason)")
    #expect(comparison.scenarios.allSatisfy { $0.result == .pass })
    #expect(comparison.titles.contains { $0.title == "possible deadlock in sriov_disable" && $0.label == .new })
    #expect(comparison.titles.filter { $0.label != .new }.map(\.title) == [cycle], "\(comparison.titles)")
    #expect(comparison.titles.first { $0.title == cycle }?.label == .preExisting)
    #expect(FileManager.default.fileExists(atPath: dir.path("run/base-console.log").path))
  }
}

/// A deadlock no step waits on: the step starts the PF's removal in the background and
/// returns at once. On the no-reentrancy kernel that writer deadlocks on its own lock; the
/// runner must give it the hung-task period at the end and report it with its stack and held
/// locks (before, the run ended first and the stuck task went unreported).
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct BackgroundDeadlock {
  @Test func aTaskStuckAtTheEndIsReportedWithItsStackAndLocks() throws {
    let dir = try TempDir()
    var options = RunOptions()
    options.variant = "no-reentrancy"
    options.scenarioDefinitions = [
      Scenario(
        name: "background-remove", summary: "remove the PF with VFs enabled, in the background",
        steps: try ScenarioLibrary.all().first { $0.name == "pf-remove" }.map { Array($0.steps.prefix(2)) }.map {
          $0 + [
            ScenarioStep(
              name: "start the removal and return", timeout: 30,
              script: "pf=$(cat /tmp/pf)\n( echo 1 > \"$pf/remove\" ) > /dev/null 2>&1 &\nsleep 1\nexit 0")
          ]
        } ?? [])
    ]
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    let report = try ApplyAndBoot(home: EndToEnd.home, options: options).run()
    #expect(report.verdict == .fail, "\(report.reason)")
    #expect(report.scenarios.map(\.result) == [.pass], "the step itself returned")
    let console = try String(contentsOf: dir.path("run/console.log"), encoding: .utf8)
    #expect(console.contains(RunnerScript.stuckMarker), "the runner did not wait for the stuck writer")
    let hung = try #require(report.splats.first { $0.kind == .hungTask }, "\(report.splats.map(\.title))")
    #expect(hung.blocked?.task.hasPrefix("sh:") == true)
    #expect(hung.blocked?.locks.isEmpty == false, "held locks: \(hung.blocked?.locks ?? [])")
    #expect(hung.excerpt.count > 3, "a stack: \(hung.excerpt)")
  }
}

/// Ctrl-C or SIGTERM in each phase: make and QEMU go with it, the partial report says
/// ABORTED with what was done, every log is kept, the exit code is 130, and the user's
/// repository is as it was.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct Interruption {
  enum Phase: String, CaseIterable, Sendable {
    case apply, build, boot, scenario
  }

  static let binary = ProjectData.root.appendingPathComponent(".build/debug/patchcheck")

  /// Starts a run, waits for `phase` to be under way, sends `signal`, and checks the aftermath.
  @Test(arguments: [(Phase.apply, SIGINT), (.build, SIGTERM), (.boot, SIGINT), (.scenario, SIGTERM)])
  func anInterruptStopsEverythingAndKeepsWhatWasDone(phase: Phase, signal: Int32) throws {
    try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the tool first (swift build)")
    let dir = try TempDir()
    let out = dir.path("run")
    var arguments = ["apply-and-boot", "--scenarios", "numvfs,pf-remove", "--accel", "tcg", "--json", "--out", out.path]
    var toy: ToyRepo?
    if phase == .apply {
      // A long series on a toy tree: 1,500 patches, each changing its own line.
      let repo = try ToyRepo.kernelLike(at: dir.path("user"), source: numberedLines(1...1500), bare: false)
      toy = repo
      // The user's own work in progress, which must survive.
      try FileManager.default.createDirectory(at: dir.path("user/drivers"), withIntermediateDirectories: true)
      try Data("int mine;\n".utf8).write(to: dir.path("user/drivers/toy.c"))
      try Data("notes\n".utf8).write(to: dir.path("user/NOTES"))
      var mbox = ""
      for i in 1...1500 {
        let hunk = "@@ -\(i),1 +\(i),1 @@\n-int line\(i);\n+int line\(i) = \(i);\n"
        let diff = "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n" + hunk
        mbox += patchMail(subject: "line \(i)", diff: diff, messageID: "l\(i)@x").replacingOccurrences(of: "1/1", with: "\(i)/1500") + "\n"
      }
      try mbox.write(to: dir.path("long.mbox"), atomically: true, encoding: .utf8)
      arguments += ["--repo", dir.path("user").path, "--series", dir.path("long.mbox").path, "--base", "v1.0"]
    }
    let before = try toy.map { try RepositorySnapshot($0.repo) }
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    // A build folder that already holds this kernel skips make: have make run, to stop it.
    if phase == .build {
      process.environment = ProcessInfo.processInfo.environment.merging([KernelBuilder.alwaysMakeVariable: "1"]) { $1 }
    }
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    let console = out.appendingPathComponent("console.log")
    let deadline = Date().addingTimeInterval(1200)
    func underway() -> Bool {
      switch phase {
      case .apply: return FileManager.default.fileExists(atPath: out.path)
      case .build: return FileManager.default.fileExists(atPath: out.appendingPathComponent("build.log").path)
      case .boot: return FileManager.default.fileExists(atPath: console.path)
      case .scenario:
        return (try? String(contentsOf: console, encoding: .utf8))?.contains(RunnerScript.startMarker) == true
      }
    }
    while Date() < deadline, process.isRunning, !underway() { Thread.sleep(forTimeInterval: 0.05) }
    try #require(process.isRunning, "the run ended before its \(phase) phase")
    if phase == .apply { Thread.sleep(forTimeInterval: 1) }
    kill(process.processIdentifier, signal)
    process.waitUntilExit()

    #expect(process.terminationStatus == 130)
    let report = try JSONDecoder.iso.decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
    #expect(report.verdict == .aborted)
    switch phase {
    case .apply: #expect(report.build == nil)
    case .build: #expect(report.build == nil, "the build never finished")
    case .boot, .scenario:
      #expect(report.build?.succeeded == true, "what was done stays in the report")
      #expect(FileManager.default.fileExists(atPath: console.path))
    }
    // No make, compiler or QEMU left behind on this run's files or the build folder.
    // (An apply-phase run never reaches the shared build folder, where another suite's
    // build may legitimately be running.)
    // The slot of this run's line (7.3): another suite may build another line meanwhile.
    let repository = try GitRepository(path: EndToEnd.home.treeRepository.path)
    let slot = BuildSlot(home: EndToEnd.home, repository: repository, line: "7.3", console: Terminal(quiet: true))
    for pattern in phase == .apply ? [out.path] : [out.path, slot.buildDirectory.path] {
      let left = try ProcessRunner.run(["pgrep", "-f", pattern])
      #expect(left.status == 1, "still running: \(left.output)")
    }
    if let toy, let before {
      #expect(try RepositorySnapshot(toy.repo) == before, "the user's repository changed")
    }
  }
}

/// A full disk during the build is the machine's problem: exit 25 with a one-line error,
/// never a BUILD-FAIL that would blame the series. The build folder is replaced, in a
/// private mount namespace only, by a 2 MB tmpfs; the real one is not touched.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct NoSpace {
  @Test func aFullBuildFolderIsNoSpaceNotBuildFail() throws {
    let binary = Interruption.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the tool first (swift build)")
    let repo = try GitRepository(path: EndToEnd.home.treeRepository.path)
    // The run's base: its line's build folder is the one filled.
    let base = try #require(try repo.commit(for: "v7.3.4"), "scripts/test.sh imports 7.3")
    let buildDirectory = BuildSlot(home: EndToEnd.home, repository: repo, commit: base, console: Terminal(quiet: true)).buildDirectory
    try FileManager.default.createDirectory(at: buildDirectory, withIntermediateDirectories: true)
    let dir = try TempDir()
    let out = dir.path("run")
    let namespace = getuid() == 0 ? ["unshare", "--mount", "--propagation", "private"] : ["unshare", "-rm"]
    let result = try ProcessRunner.run(
      namespace + [
        "sh", "-c", "mount -t tmpfs -o size=2m tmpfs \"$1\" && shift && exec \"$@\"", "sh", buildDirectory.path, binary.path,
        "apply-and-boot", "--scenarios", "numvfs", "--accel", "tcg", "--out", out.path,
      ], timeout: 600)
    #expect(result.status == 25, "\(result.output.suffix(600))")
    let errors = result.output.split(separator: "\n").filter { $0.hasPrefix("patchcheck: error:") }
    #expect(errors.count == 1 && errors[0].contains("no space left"), "\(result.output.suffix(600))")
    let report = try JSONDecoder.iso.decode(Report.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
    #expect(report.verdict == .infraError)
    #expect(report.exitCode == 25)
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("build.log").path), "the log says where it stopped")
  }
}

/// Two runs on one cache folder at once: the second says it waits for the first and both
/// finish with their own verdicts; the shared worktree and build folder stay usable.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct ConcurrentRuns {
  @Test func aSecondRunWaitsForTheBuildSlot() throws {
    let binary = Interruption.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the tool first (swift build)")
    let dir = try TempDir()
    var processes: [(Process, URL)] = []
    for name in ["first", "second"] {
      let process = Process()
      process.executableURL = binary
      // The slot's lock is the point, not the guest's detectors: the quickest guest there is.
      process.arguments = [
        "apply-and-boot", "--scenarios", "numvfs", "--no-lock-witness", "--no-coverage", "--accel", "tcg", "--out", dir.path(name).path,
      ]
      let log = dir.path("\(name).stderr")
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
      process.standardError = try FileHandle(forWritingTo: log)
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      processes.append((process, log))
      Thread.sleep(forTimeInterval: 0.5)
    }
    for (process, _) in processes { process.waitUntilExit() }
    let logs = try processes.map { try String(contentsOf: $0.1, encoding: .utf8) }
    #expect(processes.allSatisfy { $0.0.terminationStatus == 0 }, "\(logs.map { $0.suffix(300) })")
    #expect(logs.contains { $0.contains("waiting for another patchcheck run") }, "\(logs.map { $0.suffix(300) })")
    for name in ["first", "second"] {
      let report = try JSONDecoder.iso.decode(Report.self, from: Data(contentsOf: dir.path("\(name)/report.json")))
      #expect(report.verdict == .pass, "\(name): \(report.reason)")
    }
  }
}

/// `patchcheck ci` over two tags of the real tree: v7.3.4 and a step tag the test makes on
/// it (two C files the config builds, a comment line added to each). Both are recorded, the
/// step costs what changed (the two files rewritten, a handful of objects rebuilt), a second
/// ci run reuses both results, and history and the HTML page come from the same database.
/// Two real point releases differ in a header most of the kernel includes (v7.2.11 ->
/// v7.2.12 changes include/linux/fs.h), so their step is a near-whole build, which
/// `bench/run`'s tagstep section measures; here it would only repeat the cold build.
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct CIEndToEnd {
  static let stepTag = "v7.3.4-patchcheck-test-step"
  static let stepFiles = ["drivers/pci/quirks.c", "kernel/fork.c"]

  /// The step tag's commit: the same every time (fixed signature time), so a tag left by a
  /// killed run is simply made again.
  static func makeStep(on base: ObjectID, in repo: GitRepository) throws -> ObjectID {
    var tree = try repo.commitInfo(base).tree
    for path in stepFiles {
      var text = try #require(try repo.file(path, in: base))
      text.append(contentsOf: Array("/* patchcheck's ci end-to-end test: a tag step of two files */\n".utf8))
      tree = try repo.replacing(path, with: try repo.writeBlob(text), in: tree)
    }
    let signature = Signature.patchcheck(at: Date(timeIntervalSince1970: 1_790_000_000))
    let commit = try repo.createCommit(
      tree: tree, parents: [base], author: signature, committer: signature, message: "ci end-to-end test: a tag step\n")
    try repo.createLightweightTag(stepTag, at: commit, force: true)
    return commit
  }

  @Test func twoAdjacentTagsAreTestedOnceEach() throws {
    let repo = try GitRepository(path: EndToEnd.home.treeRepository.path)
    let base = try #require(try repo.commit(for: "v7.3.4"), "scripts/test.sh imports 7.3")
    let step = try Self.makeStep(on: base, in: repo)
    let tags = ["v7.3.4", Self.stepTag]
    // Neither the tag nor ci's branch on it stays in the cache's repository for a user's glob to find.
    defer {
      try? repo.deleteReference("refs/tags/\(Self.stepTag)")
      try? repo.deleteReference(SeriesBranch.name(series: "pci-iov-reentrant-v9", variant: "as-posted", chosen: Self.stepTag))
    }
    let dir = try TempDir()
    let database = try ResultsDatabase(url: dir.path("results.sqlite"))
    var run = RunOptions()
    run.scenarios = ["numvfs"]
    run.accelerator = .tcg
    run.json = true
    // What is asserted is the verdict and the step's cost; the witness's trace would add
    // about 40 s to each boot and says nothing here.
    run.lockWitness = false
    let options = CIOptions(tags: tags.joined(separator: ","), run: run, out: dir.path("ci"), force: false)
    let outcomes = try CIRunner(home: EndToEnd.home, options: options, database: database).run()
    #expect(outcomes.map(\.tag) == tags)
    #expect(outcomes.map(\.verdict) == [.pass, .pass], "\(outcomes.map(\.reason))")
    let last = try #require(outcomes.last)
    #expect(try repo.changedPaths(from: base, to: step) == Self.stepFiles)
    #expect(last.filesChanged == Self.stepFiles.count, "the checkout rewrote exactly the files that differ")
    // The two objects, and what is remade at every link (version, kallsyms, the boot image's
    // pieces); a whole build is over a thousand.
    let whole = try objectFiles(in: EndToEnd.home.builds)
    #expect((1...20).contains(last.objects ?? -1), "the tag step rebuilt \(last.objects ?? -1) of \(whole) objects")
    print(
      "ci tag step v7.3.4 -> \(Self.stepTag): \(last.filesChanged ?? -1) files changed, \(last.objects ?? -1) of \(whole) objects, build \(Int(last.buildSeconds ?? -1)) s, total \(Int(last.seconds)) s"
    )

    // Again: both come from the database.
    let again = try CIRunner(home: EndToEnd.home, options: options, database: database).run()
    #expect(again.allSatisfy { $0.recorded })
    let history = History(series: "pci-iov-reentrant-v9", variant: "as-posted", runs: try database.runs())
    #expect(history.tags.map(\.tag) == tags)
    #expect(history.transitions.isEmpty)
    let page = try HTMLReport.write(runs: try database.runs(), to: dir.path("site"))
    #expect(try String(contentsOf: page, encoding: .utf8).contains("data-verdict=\"PASS\""))
  }
}

extension JSONDecoder {
  static var iso: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }
}

/// Variants and backports on the real trees: v9 as posted does not apply to 6.12 (its
/// pci_rescan_remove_lock is static there), the stable-6.12 variant does.
@Suite(.enabled(if: EndToEndGate.enabled))
struct RealTreeVariants {
  @Test func v9VariantsOnRealTrees() throws {
    let repo = try GitRepository(path: EndToEnd.home.treeRepository.path)
    let loaded = try SeriesSource.load(nil, home: EndToEnd.home)
    let applier = Applier(repository: repo, console: Terminal(quiet: true))
    func outcome(_ variant: String, on tag: String) throws -> ApplyOutcome {
      let selected = try SelectedVariant.select(variant, from: loaded)
      let base = try applier.resolveBase(requested: tag, stated: selected.series.statedBase, fallback: nil)
      return try applier.apply(selected.series, base: base, branch: nil, check: true)
    }
    #expect(try outcome("as-posted", on: "v7.3.4").applied)
    let control = try outcome("no-reentrancy", on: "v7.3.4")
    #expect(control.applied)
    #expect(control.patches[0].hunks.allSatisfy { $0.file == "drivers/pci/iov.c" })
    guard try repo.commit(for: "v6.12.117") != nil else {
      #expect(ProcessInfo.processInfo.environment["PATCHCHECK_E2E"] != "1", "scripts/test.sh imports 6.12.117")
      return
    }
    let posted = try outcome("as-posted", on: "v6.12.117")
    #expect(!posted.applied)
    let failed = try #require(posted.patches[0].hunks.first { $0.result == .failed })
    #expect(failed.file == "drivers/pci/probe.c")
    #expect(failed.actual?.contains("static DEFINE_MUTEX(pci_rescan_remove_lock);") == true)
    let backport = try outcome("stable-6.12", on: "v6.12.117")
    #expect(backport.applied, "\(backport.patches.first?.error ?? "")")
    #expect(backport.patches[0].hunks.first { $0.file == "drivers/pci/iov.c" }?.offset == -48)
  }
}

/// The most object files in any one build folder under `builds`.
func objectFiles(in builds: URL) throws -> Int {
  try FileManager.default.contentsOfDirectory(at: builds, includingPropertiesForKeys: nil).map { folder in
    var count = 0
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return 0 }
    for case let url as URL in walker where url.pathExtension == "o" { count += 1 }
    return count
  }.max() ?? 0
}

/// Host-driven races on 7.3.4 (issue 32), ten iterations each, one boot each of v10's build
/// (the EndToEnd suite builds it): the host injects a fatal AER error on the PF's root port
/// while the guest writes the PF's remove; the host hot-removes the PF through pciehp while the
/// guest writes its sriov_numvfs. Each request goes over the control port and is answered
/// through QMP, and the boot ends with a verdict whatever the kernel does: PASS with every
/// iteration run and answered, or FAIL on the kernel's own report of the hang. Measured on
/// 2026-12-06: 7.3.4 (with v10) deadlocks in the first iteration of each, AER recovery
/// (pci_walk_bus, then the PF's device lock in report_error_detected) against the PF's
/// removal (the PF's device lock, then pci_bus_sem to remove its VFs), and pciehp's removal
/// (pci_rescan_remove_lock, then the PF's device lock) against sriov_numvfs_store (the other
/// way round).
@Suite(.serialized, .enabled(if: EndToEndGate.enabled))
struct HostDrivenRaces {
  static func run(_ scenario: String) throws -> Report {
    let dir = try TempDir()
    var options = RunOptions()
    options.series = Shared.v10.path
    options.scenarios = [scenario]
    options.iterations = 10
    options.lockWitness = false
    // The verdict is what this boot shows; no base boot.
    options.strict = true
    options.output = dir.path("run")
    options.accelerator = .tcg
    options.json = true
    return try ApplyAndBoot(home: EndToEnd.home, options: options).run()
  }

  static func check(_ report: Report, request: String) throws {
    #expect(report.verdict == .pass || report.verdict == .fail, "\(report.verdict): \(report.reason)")
    let scenario = try #require(report.scenarios.first)
    let iterations = scenario.steps.filter { $0.name.hasPrefix("iteration ") }
    #expect(iterations.count == 10, "\(scenario.steps.map(\.name))")
    let actions = try #require(report.boot?.hostActions, "no host actions in the report")
    let asked = actions.filter { $0.request == request }
    #expect(!asked.isEmpty, "\(actions)")
    if report.verdict == .pass {
      #expect(iterations.allSatisfy { $0.result == .pass })
      #expect(asked.count == 10 && asked.allSatisfy { $0.answer == "done" }, "\(asked)")
    } else {
      // The hang is the kernel's own report, the blocked iteration the first that failed.
      #expect(report.splats.contains { $0.kind == .hungTask }, "\(report.splats.map(\.title))")
      #expect([.fail, .timeout].contains(iterations.first { $0.result != .pass }?.result), "\(iterations)")
      // Every request was answered: done, or cut short when QEMU stopped at the end.
      #expect(
        asked.allSatisfy { $0.answer == "done" || $0.answer.hasPrefix("failed: QEMU stopped before") }, "\(asked)")
    }
  }

  @Test func aFatalAERErrorDuringRemoveTenTimes() throws {
    try Self.check(try Self.run("aer-race"), request: "aer rp1 DLP")
  }

  @Test func aHotRemovalDuringSriovNumvfsWritesTenTimes() throws {
    try Self.check(try Self.run("hotplug-race"), request: "unplug pf1")
  }
}

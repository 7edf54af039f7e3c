import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

@Suite struct GuestTests {
  /// The archive must be one the kernel can unpack: GNU cpio reads it back.
  @Test func initramfsIsAValidNewcArchive() throws {
    let dir = try TempDir()
    let busybox = try Initramfs.findBusybox()
    let out = dir.path("initramfs.cpio")
    try Initramfs.build(runner: RunnerScript.generate(try ScenarioLibrary.all()), busybox: busybox, to: out)
    let listing = try ProcessRunner.run(["sh", "-c", "cpio -itv < \"$0\"", out.path])
    #expect(listing.succeeded, "\(listing.output)")
    for name in ["init", "bin/busybox", "bin/sh", "dev/console", "proc", "sys"] {
      #expect(listing.output.split(separator: "\n").contains { $0.hasSuffix(" \(name)") || $0.contains(" \(name) ->") }, "\(name) missing")
    }
    #expect(listing.output.contains("crw-------"), "dev/console must be a character device")
  }

  /// The generated runner must be valid for the guest's shell (busybox ash).
  @Test func runnerScriptParsesInBusyboxSh() throws {
    let dir = try TempDir()
    let script = dir.path("init")
    try RunnerScript.generate(try ScenarioLibrary.all()).write(to: script, atomically: true, encoding: .utf8)
    let busybox = try Initramfs.findBusybox()
    let check = try ProcessRunner.run([busybox.path, "sh", "-n", script.path])
    #expect(check.succeeded, "\(check.output)")
    for scenario in try ScenarioLibrary.all() {
      for step in scenario.steps {
        let file = dir.path("step.sh")
        try step.script.write(to: file, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run([busybox.path, "sh", "-n", file.path])
        #expect(result.succeeded, "\(scenario.name)/\(step.name): \(result.output)")
      }
    }
  }

  /// A step that blocks must not stall the runner: it is reported as a TIMEOUT, the rest of
  /// its scenario and the later scenarios (behind the same stuck locks) are skipped, and the
  /// runner finishes. Run the real runner under busybox on the host.
  @Test func aBlockedStepTimesOutAndTheRunnerGoesOn() throws {
    let blocked = Scenario(
      name: "blocker", summary: "a step that never ends",
      steps: [
        ScenarioStep(name: "hang", timeout: 1, script: "sleep 30"),
        ScenarioStep(name: "after", timeout: 5, script: "true"),
      ])
    let fine = Scenario(
      name: "fine", summary: "a step that passes and one the kernel cannot do",
      steps: [ScenarioStep(name: "ok", timeout: 5, script: "exit 0"), ScenarioStep(name: "unsupported", timeout: 5, script: "exit 77")])
    let result = try HostRunner(try TempDir()).run(RunnerScript.generate([fine, blocked, fine], hungTaskTimeout: 0))
    let scenarios = KTAPParser.parse(result.output)
    // A scenario one of whose steps the kernel cannot do did not run whole: SKIP, not ok.
    #expect(scenarios.map(\.result) == [.skip, .fail, .skip], "\(result.output)")
    #expect(result.output.contains("ok 1 fine # SKIP step 'unsupported' is not supported by this kernel"), "\(result.output)")
    #expect(scenarios[0].steps.map(\.result) == [.pass, .skip])
    #expect(scenarios[1].steps.map(\.result) == [.timeout, .skip])
    #expect(result.output.contains(RunnerScript.doneMarker))
  }

  /// A hung-task report while a step runs ends the step at once (a deadlocked step would
  /// otherwise hold the boot for its whole limit), and the runner skips the final wait.
  /// The kernel log is stood in for by a file the step writes to, read instead of dmesg.
  @Test func aHungTaskReportEndsTheStepBeforeItsLimit() throws {
    let deadlock = Scenario(
      name: "deadlock", summary: "a writer the kernel reports as hung",
      steps: [
        ScenarioStep(
          name: "write", timeout: 120,
          script: "echo 'INFO: task sh:142 blocked for more than 10 seconds.' >> @KMSG@; sleep 300")
      ])
    let result = try HostRunner(try TempDir()).run(RunnerScript.generate([deadlock], hungTaskTimeout: 60), timeout: 100)
    #expect(result.output.contains("the kernel reported a hung task"), "\(result.output)")
    #expect(KTAPParser.parse(result.output).first?.steps.map(\.result) == [.timeout])
    #expect(result.output.contains(RunnerScript.doneMarker), "no 2 x 60 s wait after a reported hang")
  }

  /// The guest is cut off: no network backend, no disk, no shared folder, no monitor; the
  /// only host files it gets are the kernel and initramfs, which QEMU reads.
  @Test func theGuestHasNoNetworkAndNothingWritableFromTheHost() throws {
    let qemu = QemuInfo(path: "/usr/bin/qemu-system-x86_64", version: "10.0.2")
    var options = BootOptions(
      kernel: URL(fileURLWithPath: "/k/bzImage"), initramfs: URL(fileURLWithPath: "/k/initramfs.cpio"),
      consoleLog: URL(fileURLWithPath: "/k/console.log"), timeout: 60)
    options.pfs = 3
    let argv = QemuBooter(qemu: qemu, home: PatchCheckHome(root: URL(fileURLWithPath: "/k"))).arguments(options, accelerator: .tcg)
    for forbidden in ["-netdev", "-net", "-drive", "-hda", "-cdrom", "-virtfs", "-fsdev", "-chardev", "-qmp", "-gdb", "-s", "-mem-path"] {
      #expect(!argv.contains(forbidden), "\(forbidden) in \(argv)")
    }
    #expect(argv.contains("-nodefaults"))
    #expect(zip(argv, argv.dropFirst()).contains { $0 == "-nic" && $1 == "none" })
    #expect(zip(argv, argv.dropFirst()).contains { $0 == "-monitor" && $1 == "none" })
    let nics = argv.filter { $0.hasPrefix("igb") }
    #expect(nics.count == 3)
    #expect(nics.allSatisfy { !$0.contains("netdev=") }, "an igb NIC with a network peer: \(nics)")
    // Host paths: only the kernel and the initramfs.
    let paths = argv.dropFirst().filter { $0.hasPrefix("/") }
    #expect(Set(paths) == ["/k/bzImage", "/k/initramfs.cpio"], "\(paths)")
  }

  @Test func missingToolsAreTheirOwnErrors() throws {
    do {
      _ = try QemuInfo.locate(executable: "/nonexistent/qemu-system-x86_64")
      Issue.record("found a QEMU that does not exist")
    } catch let error as PatchCheckError {
      #expect(error.kind == .qemuMissing)
      #expect(error.hint.contains("bookworm-backports"))
    }
    do {
      _ = try Initramfs.findBusybox(candidates: ["/nonexistent/busybox"])
      Issue.record("found a busybox that does not exist")
    } catch let error as PatchCheckError {
      #expect(error.kind == .busyboxMissing)
    }
  }

  @Test func installedQemuHasIgb() throws {
    let qemu = try QemuInfo.locate()
    let devices = try ProcessRunner.run([qemu.path, "-device", "help"], timeout: 30)
    #expect(devices.output.contains("\"igb\""))
  }

  @Test func everyExitCodeIsDistinct() {
    // .infra is INFRA-ERROR itself: the same code on purpose.
    // ABORTED is the verdict of an interrupted run: the same code as the interrupt.
    let codes =
      PatchCheckError.Kind.allCases.filter { $0 != .infra && $0 != .interrupted }.map(\.exitCode)
      + Verdict.allCases.map(\.exitCode)
    #expect(Set(codes).count == codes.count)
  }

  /// README "Exit codes" is the table generated from the enums that decide the codes
  /// (`patchcheck exit-codes`): a row for every code, in the words the code gives them.
  @Test func theReadmesExitCodesAreTheGeneratedTable() throws {
    let readme = try String(contentsOf: ProjectData.root.appendingPathComponent("README.md"), encoding: .utf8)
    let section = try #require(readme.components(separatedBy: "## Exit codes").dropFirst().first?.components(separatedBy: "\n## ").first)
    let table = section.split(separator: "\n").filter { $0.hasPrefix("|") }.joined(separator: "\n") + "\n"
    #expect(table == ExitCodes.markdown, "run `patchcheck exit-codes` and paste its table into README.md")
    let codes = Set(PatchCheckError.Kind.allCases.map(\.exitCode) + Verdict.allCases.map(\.exitCode))
    #expect(codes.isSubset(of: Set(ExitCodes.rows.map(\.code))))
    let cli = try CLITests().run(["exit-codes"], home: try TempDir().url)
    #expect(cli.status == 0 && cli.stdout == ExitCodes.markdown, "\(cli.stdout)")
  }

}

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
    try Initramfs.build(
      runner: try RunnerScript.runner(), busybox: busybox, to: out,
      files: try RunnerScript.files(try ScenarioLibrary.all(), lockWitness: true, coverage: true))
    let listing = try ProcessRunner.run(["sh", "-c", "cpio -itv < \"$0\"", out.path])
    #expect(listing.succeeded, "\(listing.output)")
    // The data's folders are in the archive before their files (the kernel makes none).
    let names = try ProcessRunner.run(["sh", "-c", "cpio -it < \"$0\" 2>/dev/null", out.path]).output.split(separator: "\n").map(
      String.init)
    for name in ["init", "bin/busybox", "bin/sh", "dev/console", "proc", "sys", "patchcheck/config", "patchcheck/witness.sh"] {
      #expect(listing.output.split(separator: "\n").contains { $0.hasSuffix(" \(name)") || $0.contains(" \(name) ->") }, "\(name) missing")
    }
    #expect(listing.output.contains("crw-------"), "dev/console must be a character device")
    for (index, name) in names.enumerated() {
      guard let slash = name.lastIndex(of: "/") else { continue }
      let folder = String(name[..<slash])
      #expect(names[..<index].contains(folder), "\(name) before its folder \(folder)")
    }
  }

  /// What the archive holds is what runs: its /init and its data, unpacked, run under busybox
  /// on the host as the guest runs them, give the scenarios' KTAP.
  @Test func theArchivesOwnRunnerRunsItsScenarios() throws {
    let dir = try TempDir()
    let host = try HostRunner(dir)
    let scenario = Scenario(
      name: "from the archive", summary: "its own files",
      steps: [ScenarioStep(name: "one", timeout: 5, script: "echo here"), ScenarioStep(name: "two", timeout: 5, script: "exit 77")])
    let archive = dir.path("initramfs.cpio")
    try Initramfs.build(
      runner: try RunnerScript.runner(), busybox: try Initramfs.findBusybox(), to: archive, files: try RunnerScript.files([scenario]))
    let root = dir.path("root")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    // Only the runner and its data: device nodes need root, busybox is the host's.
    let unpack = try ProcessRunner.run(
      ["sh", "-c", "cd \"$1\" && cpio -id --quiet init 'patchcheck/*' < \"$0\"", archive.path, root.path])
    #expect(unpack.succeeded, "\(unpack.output)")
    var environment = host.environment
    environment["PATCHCHECK_DATA"] = root.appendingPathComponent(RunnerScript.dataFolder).path
    let result = try ProcessRunner.run(
      [try Initramfs.findBusybox().path, "sh", root.appendingPathComponent("init").path], environment: environment, timeout: 60)
    #expect(result.output.contains("    here\n    ok 1 one\n    ok 2 two # SKIP not supported by this kernel\n"), "\(result.output)")
    #expect(KTAPParser.parse(result.output).map(\.result) == [.skip])
    #expect(result.output.hasSuffix(RunnerScript.doneMarker + "\n"))
  }

  /// The built-in scenarios' steps are valid for the guest's shell (busybox ash).
  @Test func everyStepParsesInBusyboxSh() throws {
    let dir = try TempDir()
    let busybox = try Initramfs.findBusybox()
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
    let result = try HostRunner(try TempDir()).run([fine, blocked, fine], hungTaskTimeout: 0)
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
  /// The kernel log is stood in for by a file the step writes to ($PATCHCHECK_KMSG), read
  /// instead of dmesg.
  @Test func aHungTaskReportEndsTheStepBeforeItsLimit() throws {
    let deadlock = Scenario(
      name: "deadlock", summary: "a writer the kernel reports as hung",
      steps: [
        ScenarioStep(
          name: "write", timeout: 120,
          script: #"echo 'INFO: task sh:142 blocked for more than 10 seconds.' >> "$PATCHCHECK_KMSG"; sleep 300"#)
      ])
    let result = try HostRunner(try TempDir()).run([deadlock], hungTaskTimeout: 60, timeout: 100)
    #expect(result.output.contains("the kernel reported a hung task"), "\(result.output)")
    #expect(KTAPParser.parse(result.output).first?.steps.map(\.result) == [.timeout])
    #expect(result.output.contains(RunnerScript.doneMarker), "no 2 x 60 s wait after a reported hang")
  }

  /// The runner sleeps in `wait` for a step, and its watchdog wakes it with SIGUSR1 when the
  /// step is blocked. A wake-up with no reason behind it (an earlier step's watchdog firing as
  /// that step ended) does not end the step: here the step itself sends one to the runner,
  /// then goes on working and passes; the steps after it run and pass too.
  @Test func aWakeUpWithoutAReasonDoesNotEndAStep() throws {
    // The step's parent is the runner's subshell for it, whose parent is the runner.
    let wake = #"read -r _ _ _ runner _ < /proc/$PPID/stat; kill -USR1 "$runner"; sleep 1; echo '# still here'; exit 0"#
    let scenario = Scenario(
      name: "woken", summary: "a step that wakes the runner",
      steps: [
        ScenarioStep(name: "wake", timeout: 20, script: wake),
        ScenarioStep(name: "after", timeout: 20, script: "exit 0"),
        ScenarioStep(name: "failing", timeout: 20, script: "exit 3"),
      ])
    let result = try HostRunner(try TempDir()).run([scenario])
    let steps = KTAPParser.parse(result.output).first?.steps ?? []
    #expect(steps.map(\.result) == [.pass, .pass, .fail], "\(result.output)")
    #expect(result.output.contains("# still here"))
    #expect(result.output.contains("not ok 3 failing # exit 3"), "\(result.output)")
  }

  /// What Swift gives the runner is data: the config's values and each scenario's and step's
  /// files, the names as KTAP shows them (one line; a step's '#' would start a directive).
  @Test func theRunnersDataIsTheScenariosAndTheKnobs() throws {
    let racing = Scenario(
      name: "it's $(x)", summary: "two\nlines",
      steps: [ScenarioStep(name: "step #1 'a'", timeout: 7, script: "echo \"$pf\"\nexit 0")], race: true)
    let files = try RunnerScript.files([racing], hungTaskTimeout: 12, lockWitness: true, witnessDrainLimit: 30)
    #expect(
      files["patchcheck/config"]
        == "hung_task_timeout=12\nstep_skip_code=\(stepSkipExitCode)\nwitness=1\nwitness_drain_limit=30\nwitness_period=\(RunnerScript.witnessPeriod)\ncoverage=0\nscenarios=1\n"
    )
    #expect(files["patchcheck/scenario-1/name"] == "it's $(x)\n")
    #expect(files["patchcheck/scenario-1/summary"] == "two lines\n")
    #expect(files["patchcheck/scenario-1/steps"] == "1\n")
    #expect(files["patchcheck/scenario-1/race"] == "1\n")
    #expect(files["patchcheck/scenario-1/1.name"] == "step no.1 'a'\n")
    #expect(files["patchcheck/scenario-1/1.timeout"] == "7\n")
    #expect(files["patchcheck/scenario-1/1.sh"] == "echo \"$pf\"\nexit 0\n")
    #expect(files["patchcheck/witness-acquire-filter"] == LockWitnessProgram.acquireFilter + "\n")
    for part in RunnerScript.parts { #expect(files["patchcheck/\(part)"] == (try ProjectData.program(part)), "\(part)") }
    let plain = try RunnerScript.files([racing])
    #expect(plain["patchcheck/witness-acquire-filter"] == nil && plain["patchcheck/config"]?.contains("witness=0\n") == true)
  }

  /// The runner's KTAP for each way a step ends, its output indented under it, and the
  /// markers the host reads, word for word (the host's readers take these constants).
  @Test func theRunnerPrintsKTAPForEachWayAStepEnds() throws {
    let host = try HostRunner(try TempDir())
    let mixed = Scenario(
      name: "mixed", summary: "one of each",
      steps: [
        ScenarioStep(name: "passes", timeout: 5, script: "echo said; exit 0"),
        ScenarioStep(name: "fails", timeout: 5, script: "echo 'why' >&2; exit 3"),
        ScenarioStep(name: "after", timeout: 5, script: "true"),
      ])
    let quoted = Scenario(
      name: "it's \\n $(q)", summary: "names are text: 'a' \"b\" $c \\t",
      steps: [ScenarioStep(name: "%s #x $y", timeout: 5, script: "exit 0")])
    let result = try host.run([mixed, quoted])
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let expected = [
      RunnerScript.startMarker,
      RunnerScript.releaseMarker + (try ProcessRunner.run(["uname", "-r"]).output.trimmingCharacters(in: .newlines)),
      "KTAP version 1", "1..2",
      "    KTAP version 1", "    # scenario mixed: one of each", "    1..3",
      "    said", "    ok 1 passes",
      "    why", "    not ok 2 fails # exit 3",
      "    ok 3 after # SKIP an earlier step failed",
      "not ok 1 mixed",
      "    KTAP version 1", #"    # scenario it's \n $(q): names are text: 'a' "b" $c \t"#, "    1..1",
      "    ok 1 %s no.x $y",
      #"ok 2 it's \n $(q)"#,
      RunnerScript.doneMarker, "",
    ]
    #expect(lines == expected, "\(result.output)")
    let scenarios = KTAPParser.parse(result.output)
    #expect(scenarios.map(\.result) == [.fail, .pass])
    #expect(scenarios.first?.steps.map(\.result) == [.pass, .fail, .skip])
  }

  /// The console protocol has two sides: each marker the host reads is the very text the
  /// guest's programs print (the tests above run most of them; this names every one).
  @Test func everyMarkerTheHostReadsIsInTheGuestsPrograms() throws {
    let runner = try ProjectData.program("runner.sh")
    for marker in [RunnerScript.startMarker, RunnerScript.doneMarker, RunnerScript.releaseMarker, RunnerScript.stuckMarker] {
      #expect(runner.contains(marker), "\(marker)")
    }
    let witness = try ProjectData.program("witness.sh")
    for marker in [
      LockWitnessProgram.beginMarker, LockWitnessProgram.endMarker, LockWitnessProgram.drainingMarker,
      LockWitnessProgram.unavailableMarker, #"echo "\#(LockWitnessProgram.stepMarkerPrefix)$1" > "$T/trace_marker""#,
      #"echo "\#(LockWitnessProgram.stepMarkerPrefix)end" > "$T/trace_marker""#,
    ] {
      #expect(witness.contains(marker), "\(marker)")
    }
    let coverage = try ProjectData.program("coverage.sh")
    #expect(coverage.components(separatedBy: CoverageProgram.prefix).count > 5)
    #expect(coverage.contains(#""$P/\#(URL(fileURLWithPath: CoverageProgram.functionsFile).lastPathComponent)""#))
    #expect(witness.contains(#""$P/\#(URL(fileURLWithPath: LockWitnessProgram.focusFile).lastPathComponent)""#))
    #expect(CoverageProgram.functionsFile.hasPrefix(RunnerScript.dataFolder + "/"))
    #expect(LockWitnessProgram.focusFile.hasPrefix(RunnerScript.dataFolder + "/"))
    #expect(runner.contains("P=${PATCHCHECK_DATA:-/\(RunnerScript.dataFolder)}"))
  }

  /// The runner sets the hung-task detector as README says: the plan's timeout, checked every
  /// second; and sysrq on, for the stacks and locks at the end.
  @Test func theRunnerSetsTheHungTaskDetector() throws {
    let host = try HostRunner(try TempDir())
    _ = try host.run([], hungTaskTimeout: 7)
    func read(_ name: String) throws -> String {
      try String(contentsOf: host.proc.appendingPathComponent("sys/kernel/\(name)"), encoding: .utf8)
    }
    #expect(try read("hung_task_timeout_secs") == "7\n")
    #expect(try read("hung_task_check_interval_secs") == "1\n")
    #expect(try String(contentsOf: host.proc.appendingPathComponent("sys/kernel/sysrq"), encoding: .utf8) == "1\n")
  }

  /// A step's fd 3 is the console: a race's second racer says when it starts its write (the
  /// guest's uptime) as it happens, before the step ends, which is what a hang is timed from.
  @Test func theSecondRacerIsSeenWhenItStarts() throws {
    let host = try HostRunner(try TempDir())
    let race = try ScenarioCatalog.load().named(["race-numvfs-remove"], settings: ScenarioSettings(iterations: 1))[0]
    let iteration = try #require(race.steps.last)
    #expect(iteration.script.contains(#"echo "\#(RunnerScript.racerMarker)$(cut -d' ' -f1 /proc/uptime)" 2>/dev/null >&3"#))
    let other = try ScenarioCatalog.load().named(["race-unbind-remove"], settings: ScenarioSettings(iterations: 1))[0]
    #expect(other.steps.last?.script.contains(RunnerScript.racerMarker) == true)
    let blocking = Scenario(
      name: "racer", summary: "blocks after its marker",
      steps: [
        ScenarioStep(
          name: "write", timeout: 2,
          script: #"( echo "\#(RunnerScript.racerMarker)$(cut -d' ' -f1 /proc/uptime)" 2>/dev/null >&3; sleep 30 ) & wait"#)
      ])
    let result = try host.run([blocking], hungTaskTimeout: 0)
    let lines = result.output.split(separator: "\n").map(String.init)
    let marker = try #require(lines.firstIndex { $0.hasPrefix(RunnerScript.racerMarker) }, "\(result.output)")
    #expect(Double(lines[marker].dropFirst(RunnerScript.racerMarker.count)) != nil, "\(lines[marker])")
    let timeout = try #require(lines.firstIndex { $0.hasSuffix("# TIMEOUT") })
    #expect(marker < timeout, "on the console when it happens, not with the step's output")
  }

  /// Each shell program patchcheck runs is a file in guest/, and shellcheck finds
  /// nothing in the shell ones at warning level, as busybox sh (the guest's shell, and the
  /// wrapper's /bin/sh).
  @Test(.needs("shellcheck")) func theGuestProgramsPassShellcheck() throws {
    let shellcheck = try Peer.require("shellcheck")
    let names = try FileManager.default.contentsOfDirectory(atPath: ProjectData.programs.path).filter { $0.hasSuffix(".sh") }.sorted()
    #expect(names == ["compiler-wrapper.sh", "coverage.sh", "host.sh", "runner.sh", "witness.sh"])
    let result = try ProcessRunner.run(
      [shellcheck, "-S", "warning", "-s", "sh"] + names.map { ProjectData.programs.appendingPathComponent($0).path })
    #expect(result.succeeded, "\(result.output)")
    let busybox = try Initramfs.findBusybox()
    for name in names {
      let parsed = try ProcessRunner.run([busybox.path, "sh", "-n", ProjectData.programs.appendingPathComponent(name).path])
      #expect(parsed.succeeded, "\(name): \(parsed.output)")
    }
  }

  /// The programs stay in their files: lines of shell or awk inside Swift's multi-line string
  /// literals under Sources/ stay under 40 (issue 30: there were 286, the runner, the witness's
  /// reader, the coverage program and the compiler wrapper). Counted: every line of such a
  /// literal, except in the files below, whose literals are documents in other languages
  /// (of which the CI workflows' `run:` commands are shell, and counted); none at all in
  /// Guest/ and Kernel/, where the programs were.
  @Test func noProgramHidesInASwiftString() throws {
    let documents: [String: String] = [
      "PatchCheckKit/CI/WorkflowEmitter.swift": "the CI workflows (YAML)",
      "PatchCheckKit/Results/HTMLReport.swift": "the results page (HTML)",
      "PatchCheckKit/Review/ReviewHTML.swift": "the review page (HTML)",
      "PatchCheckKit/Pipeline/ApplyAndBoot.swift": "a patch as git format-patch writes it (mail)",
    ]
    let sources = ProjectData.sourceCheckout.appendingPathComponent("Sources")
    let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter {
      $0.hasSuffix(".swift")
    }
    for document in documents.keys { #expect(files.contains(document), "\(document) moved: update the list") }
    var counts: [String: Int] = [:]
    for file in files {
      let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
      let lines = Self.multilineLiteralLines(text)
      // Help texts are English (Subcommands/); a document's shell is its `run:` commands.
      let shell =
        file.hasPrefix("patchcheck/Subcommands/")
        ? 0
        : documents[file] == nil
          ? lines.count : lines.filter { $0.contains("run:") || $0.hasPrefix("    ") && $0.contains(".build/") }.count
      if shell > 0 { counts[file] = shell }
    }
    let programFolders = counts.filter { $0.key.contains("/Guest/") || $0.key.contains("/Kernel/") }
    #expect(programFolders.isEmpty, "\(programFolders)")
    let total = counts.values.reduce(0, +)
    #expect(total < 40, "\(total): \(counts.sorted { $0.key < $1.key })")
  }

  /// The lines strictly between the quotes of each `"""` literal (raw or not) in `text`.
  static func multilineLiteralLines(_ text: String) -> [String] {
    var inside = false
    var found: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let quotes = line.components(separatedBy: "\"\"\"").count - 1
      if inside && quotes % 2 == 0 { found.append(String(line)) }
      if quotes % 2 == 1 { inside.toggle() }
    }
    return found
  }

  /// Under TCG the guest's clock is virtual unless asked otherwise (docs/scenarios.md, "The
  /// guest"): QEMU counts instructions and skips idle time. Never under KVM, where QEMU has no
  /// icount; `--guest-clock host` leaves it out.
  @Test func theGuestClockIsVirtualUnderTCGOnly() throws {
    let qemu = QemuInfo(path: "/usr/bin/qemu-system-x86_64", version: "10.0.2")
    var options = BootOptions(
      kernel: URL(fileURLWithPath: "/k/bzImage"), initramfs: URL(fileURLWithPath: "/k/initramfs.cpio"),
      consoleLog: URL(fileURLWithPath: "/k/console.log"), timeout: 60)
    let booter = QemuBooter(qemu: qemu, home: PatchCheckHome(root: URL(fileURLWithPath: "/k")))
    func icount(_ argv: [String]) -> [String] { zip(argv, argv.dropFirst()).filter { $0.0 == "-icount" }.map(\.1) }
    #expect(options.clock == .virtual)
    #expect(icount(booter.arguments(options, accelerator: .tcg)) == ["shift=auto,sleep=off"])
    #expect(icount(booter.arguments(options, accelerator: .kvm)).isEmpty)
    options.clock = .host
    #expect(icount(booter.arguments(options, accelerator: .tcg)).isEmpty)
    // The run's option reaches its boots, and the verdict's key tells the clocks apart (the
    // base findings' key too: BaselineTests.theBaseFindingsKeyAndCache).
    var run = RunOptions()
    run.series = Shared.v10.path
    run.scenarios = ["numvfs"]
    let home = PatchCheckHome(root: try TempDir().url)
    let virtual = try RunPlan.resolve(run, home: home)
    run.clock = .host
    let host = try RunPlan.resolve(run, home: home)
    let console = URL(fileURLWithPath: "/k/console.log")
    #expect(virtual.bootOptions(kernel: console, initramfs: console, consoleLog: console).clock == .virtual)
    #expect(host.bootOptions(kernel: console, initramfs: console, consoleLog: console).clock == .host)
    #expect(virtual.key != host.key)
    // A reach boot keeps the host's clock whatever the run's (docs/scenarios.md: the
    // profiler's start is work, four times longer on one host thread).
    let reach = ApplyAndBoot.reachBootOptions(virtual, kernel: console, initramfs: console, consoleLog: console)
    #expect(reach.clock == .host && icount(booter.arguments(reach, accelerator: .tcg)).isEmpty)
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
    // With the witness, a second serial port (the guest's ttyS1: right after the console's)
    // writes to a file beside the console, which the host reads as text.
    options.witnessStream = RunPlan.witnessStream(beside: options.consoleLog)
    let witnessed = QemuBooter(qemu: qemu, home: PatchCheckHome(root: URL(fileURLWithPath: "/k"))).arguments(options, accelerator: .tcg)
    let serials = zip(witnessed, witnessed.dropFirst()).filter { $0.0 == "-serial" }.map(\.1)
    #expect(serials == ["stdio", "file:/k/witness.trace"], "\(witnessed)")
    // And a virtio-serial port to the same file (a kernel with a virtio console streams there).
    #expect(witnessed.contains("file,id=pcwitness,path=/k/witness.trace"), "\(witnessed)")
    #expect(witnessed.contains("virtserialport,bus=pcvs.0,chardev=pcwitness,name=\(QemuBooter.witnessPortName)"))
    #expect(!witnessed.contains("-qmp"))
    #expect(RunPlan.witnessStream(beside: URL(fileURLWithPath: "/r/console-2.log")).path == "/r/witness-2.trace")
    #expect(RunPlan.witnessStream(beside: URL(fileURLWithPath: "/r/base-console.log")).path == "/r/base-witness.trace")
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

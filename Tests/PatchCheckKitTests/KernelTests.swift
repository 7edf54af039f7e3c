import Foundation
import Synchronization
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

@Suite struct KernelTests {
  /// When apt refuses, its own words reach the user (they say what is wrong: an unknown
  /// version, unreadable lists), not only patchcheck's summary of them.
  @Test(.enabled(if: ProcessRunner.which("apt-get") != nil)) func aptsOwnMessageIsKept() throws {
    let dir = try TempDir()
    let home = PatchCheckHome(root: dir.url)
    try FileManager.default.ensureDirectory(home.debs)
    let importer = TreeImporter(home: home, console: Terminal(quiet: true))
    #expect {
      try importer.downloadDeb(package: "linux-source-7.3", exactVersion: "0.0")
    } throws: { error in
      let message = (error as? PatchCheckError)?.message ?? ""
      return message.contains("apt-get could not download linux-source-7.3=0.0: E: Version '0.0'")
    }
    #expect(TreeImporter.aptMessage("Reading lists\nE: one\nW: two\n") == "E: one; W: two")
    #expect(TreeImporter.aptMessage("just this\n") == "just this")
  }

  @Test func fragmentOptionsKconfigDroppedAreNamed() throws {
    let dir = try TempDir()
    let fragment = dir.path("f.config")
    try "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=10\nCONFIG_TMPFS=y\n".write(to: fragment, atomically: true, encoding: .utf8)
    let config = "CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=10\n# CONFIG_TMPFS is not set\n"
    let check = try KernelConfigFile.check(fragments: [fragment], config: config)
    #expect(check.checked == 4)
    #expect(check.dropped.map(\.name) == ["CONFIG_B", "CONFIG_TMPFS"])
    #expect(check.dropped[1].actual == "n")
  }

  @Test func theProjectFragmentsAskForLockdepAndSRIOV() throws {
    let options = try KernelConfigFile.defaultFragments().flatMap {
      KernelConfigFile.parse(try String(contentsOf: $0, encoding: .utf8)).map(\.name)
    }
    for name in [
      "CONFIG_PROVE_LOCKING", "CONFIG_DEBUG_ATOMIC_SLEEP", "CONFIG_DEBUG_LIST", "CONFIG_DETECT_HUNG_TASK", "CONFIG_PCI_IOV", "CONFIG_IGB",
      "CONFIG_IGBVF", "CONFIG_ACPI", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_BLK_DEV_INITRD",
    ] {
      #expect(options.contains(name), "\(name) missing from kernel-configs/")
    }
  }

  @Test func compilerErrorsComeOutAsFileAndLine() {
    let log = """
        CC      drivers/pci/iov.o
      /root/.cache/patchcheck/worktrees/linux-1/build/drivers/pci/iov.c:640:9: error: implicit declaration of function 'pci_lock_rescan_removed' [-Werror=implicit-function-declaration]
      ../drivers/pci/probe.c:3512:2: error: expected ';' before '}' token
      make[4]: *** [scripts/Makefile.build:287: drivers/pci/iov.o] Error 1
      """
    let errors = KernelBuilder.compilerErrors(in: log)
    #expect(errors.map(\.file) == ["drivers/pci/iov.c", "drivers/pci/probe.c"])
    #expect(errors.map(\.line) == [640, 3512])
  }

  @Test func versionTagsComeFromTheMakefile() throws {
    #expect(try KernelVersion.tag(fromMakefile: "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\nEXTRAVERSION =\n") == "v7.3.4")
    #expect(try KernelVersion.tag(fromMakefile: "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\nEXTRAVERSION = -rc3\n") == "v6.12-rc3")
    #expect(throws: PatchCheckError.self) { try KernelVersion.tag(fromMakefile: "all:\n\ttrue\n") }
  }

  /// A tarball becomes a tagged commit; a second version becomes its child.
  @Test func importsTarballsAsAHistoryOfTaggedCommits() throws {
    let dir = try TempDir()
    let home = PatchCheckHome(root: dir.path("home"))
    let importer = TreeImporter(home: home, console: Terminal(quiet: true))
    for (sub, extra) in [("1", "hello"), ("2", "hello again")] {
      let tarball = try Self.toyTarball(in: dir, sublevel: sub, script: extra)
      let result = try importer.importTarball(tarball)
      #expect(result.tag == "v9.9.\(sub)")
      #expect(result.files == 5, "the .gitignore that ignores everything must not hide files")
    }
    let repo = try GitRepository(path: home.treeRepository.path)
    #expect(try repo.tagNames().sorted() == ["v9.9.1", "v9.9.2"])
    let second = try #require(try repo.commit(for: "v9.9.2"))
    #expect(try repo.commitInfo(second).parents == [try #require(try repo.commit(for: "v9.9.1"))])
    #expect(
      try repo.treePaths(try repo.commitInfo(second).tree).sorted() == [".gitignore", "Kconfig", "Makefile", "link", "scripts/run.sh"])
    // Importing the same version again changes nothing.
    let again = try importer.importTarball(dir.path("linux-toy-2.tar.gz"))
    #expect(again.alreadyPresent)
  }

  /// A tarball of a toy tree whose Makefile says version 9.9.`sublevel`.
  static func toyTarball(in dir: TempDir, sublevel sub: String, script extra: String) throws -> URL {
    let src = dir.path("src-\(sub)/linux-toy")
    try FileManager.default.createDirectory(at: src.appendingPathComponent("scripts"), withIntermediateDirectories: true)
    try "VERSION = 9\nPATCHLEVEL = 9\nSUBLEVEL = \(sub)\nEXTRAVERSION =\n".write(
      to: src.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
    try "mainmenu \"toy\"\n".write(to: src.appendingPathComponent("Kconfig"), atomically: true, encoding: .utf8)
    try "/*\n".write(to: src.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
    try "#!/bin/sh\necho \(extra)\n".write(to: src.appendingPathComponent("scripts/run.sh"), atomically: true, encoding: .utf8)
    chmod(src.appendingPathComponent("scripts/run.sh").path, 0o755)
    try FileManager.default.createSymbolicLink(atPath: src.appendingPathComponent("link").path, withDestinationPath: "Makefile")
    let tarball = dir.path("linux-toy-\(sub).tar.gz")
    #expect(try ProcessRunner.run(["tar", "-czf", tarball.path, "-C", dir.path("src-\(sub)").path, "linux-toy"]).succeeded)
    return tarball
  }

  /// Imports started together all land, as one chain: none loses another's commit as its parent.
  @Test func concurrentImportsFormOneHistory() throws {
    let dir = try TempDir()
    let home = PatchCheckHome(root: dir.path("home"))
    let subs = ["1", "2", "3", "4"]
    let tarballs = try subs.map { try Self.toyTarball(in: dir, sublevel: $0, script: "v\($0)") }
    let failures = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: tarballs.count) { index in
      do { _ = try TreeImporter(home: home, console: Terminal(quiet: true)).importTarball(tarballs[index]) } catch {
        failures.withLock { $0.append("\(error)") }
      }
    }
    #expect(failures.withLock { $0 } == [])
    let repo = try GitRepository(path: home.treeRepository.path)
    #expect(try repo.tagNames().sorted() == subs.map { "v9.9.\($0)" })
    // Walk the imports branch back through first parents: every tag is on it.
    var onBranch: Set<String> = []
    var next = try repo.reference(TreeImporter.importsBranch)
    while let commit = next {
      onBranch.insert(commit.description)
      next = try repo.commitInfo(commit).parents.first
    }
    for sub in subs { #expect(onBranch.contains(try #require(try repo.commit(for: "v9.9.\(sub)")).description)) }
    #expect(onBranch.count == subs.count)
  }

  /// The .config follows the tree: a change to any Kconfig file the last configuration read
  /// (Kconfig's own list, in auto.conf.cmd's format) or to the kernel version makes a new
  /// key, so the config is made again; the same tree and fragments keep it.
  @Test func theConfigKeyFollowsTheKconfigFilesAndTheFragments() throws {
    let dir = try TempDir()
    let source = dir.path("src")
    let build = dir.path("build")
    for (path, text) in [
      ("Makefile", "# SPDX-License-Identifier: GPL-2.0\nVERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\n"),
      ("Kconfig", "source \"drivers/Kconfig\"\n"), ("drivers/Kconfig", "config PCI_IOV\n\tbool \"SR-IOV\"\n"),
    ] {
      let url = source.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    let fragment = dir.path("pci.config")
    try "CONFIG_PCI_IOV=y\n".write(to: fragment, atomically: true, encoding: .utf8)
    let builder = KernelBuilder(source: source, buildDirectory: build, fragments: [fragment], home: PatchCheckHome(root: dir.url))
    let listing = build.appendingPathComponent("include/config/auto.conf.cmd")
    try FileManager.default.createDirectory(at: listing.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "autoconfig := include/config/auto.conf\n\ndeps_config := \\\n\tKconfig \\\n\tdrivers/Kconfig \\\n\n$(autoconfig): $(deps_config)\n"
      .write(to: listing, atomically: true, encoding: .utf8)
    #expect(KernelBuilder.kconfigInputs(try String(contentsOf: listing, encoding: .utf8)) == ["Kconfig", "drivers/Kconfig"])
    let first = try builder.configKey()
    #expect(try builder.configKey() == first, "the same tree keeps its config")
    try "config PCI_IOV\n\tbool \"SR-IOV\"\n\tdefault y\n".write(
      to: source.appendingPathComponent("drivers/Kconfig"), atomically: true, encoding: .utf8)
    let changedKconfig = try builder.configKey()
    #expect(changedKconfig != first, "another tree's Kconfig must not reuse this config")
    try "# SPDX-License-Identifier: GPL-2.0\nVERSION = 7\nPATCHLEVEL = 2\nSUBLEVEL = 12\n".write(
      to: source.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
    #expect(try builder.configKey() != changedKconfig, "another kernel version")
    try "CONFIG_PCI_IOV=y\nCONFIG_LOCKDEP=y\n".write(to: fragment, atomically: true, encoding: .utf8)
    let changedFragment = try builder.configKey()
    try FileManager.default.removeItem(at: listing)
    #expect(try builder.configKey() != changedFragment, "no list yet: made again")
  }

  /// A toy kernel source with the targets the builder calls, its bzImage made by `recipe`
  /// (make lines), and a builder on it building into `build`: real make, no compiler.
  static func toyBuilder(in dir: TempDir, recipe: [String]) throws -> (builder: KernelBuilder, source: URL, fragment: URL) {
    let source = dir.path("src")
    let makefile =
      [
        "VERSION = 7", "PATCHLEVEL = 3", "SUBLEVEL = 4", "tinyconfig olddefconfig:", "\tmkdir -p $(O)/include/config",
        "\techo CONFIG_PCI_IOV=y > $(O)/.config",
        "\tprintf 'deps_config := \\\\\\n\\tKconfig \\\\\\n\\n' > $(O)/include/config/auto.conf.cmd",
        "bzImage:", "\ttest ! -e fail", "\techo run >> $(O)/runs", "\tmkdir -p $(O)/arch/x86/boot",
        "\techo 7.3.4$(LOCALVERSION) > $(O)/include/config/kernel.release",
      ] + recipe.map { "\t" + $0 } + [""]
    for (path, text) in [
      ("Makefile", makefile.joined(separator: "\n")), ("Kconfig", "config PCI_IOV\n\tbool\n"),
      ("scripts/kconfig/merge_config.sh", "#!/bin/sh\n"),
    ] {
      let url = source.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: source.path + "/scripts/kconfig/merge_config.sh")
    let fragment = dir.path("pci.config")
    try "CONFIG_PCI_IOV=y\n".write(to: fragment, atomically: true, encoding: .utf8)
    let builder = KernelBuilder(
      source: source, buildDirectory: dir.path("build"), fragments: [fragment], home: PatchCheckHome(root: dir.url))
    return (builder, source, fragment)
  }

  /// A build folder whose last successful build was of this very commit, config and make
  /// command skips make (its walk of an unchanged tree would rebuild nothing); another commit,
  /// a build that failed, or a source that is no known commit runs it. Real make, on a toy
  /// tree with the targets the builder calls; `runs` counts make's bzImage recipe.
  @Test func aBuildOfTheSameCommitSkipsMake() throws {
    let dir = try TempDir()
    let toy = try Self.toyBuilder(
      in: dir,
      recipe: [
        "echo \"$$CCACHE_DEPEND\" > $(O)/ccache-depend", "echo '$(CC)' > $(O)/cc", "echo image > $(O)/arch/x86/boot/bzImage",
      ])
    var builder = toy.builder
    let (source, fragment, folder) = (toy.source, toy.fragment, builder.buildDirectory)
    let log = dir.path("build.log")
    func runs() -> Int {
      ((try? String(contentsOf: folder.appendingPathComponent("runs"), encoding: .utf8)) ?? "").split(separator: "\n").count
    }
    func make(_ commit: String?) throws -> BuildResult {
      builder.checkedOut = commit
      builder.localVersion = commit.map { "-pc" + $0.prefix(12) }
      try? FileManager.default.removeItem(at: log)
      return try builder.build(log: log, progress: ProgressLine(enabled: false))
    }
    let a = String(repeating: "a", count: 40)
    let b = String(repeating: "b", count: 40)

    let first = try make(a)
    #expect(first.succeeded && first.upToDate == nil && runs() == 1, "\(first)")
    // make runs with ccache in depend mode (docs/configuration.md, "The build").
    #expect(try String(contentsOf: folder.appendingPathComponent("ccache-depend"), encoding: .utf8) == "1\n")
    // and kbuild's compiler is the wrapper that keeps `.incbin` sources out of the cache (docs/configuration.md).
    #expect(ProcessRunner.which("ccache") != nil, "setup.sh installs ccache")
    #expect(try String(contentsOf: folder.appendingPathComponent("cc"), encoding: .utf8) == "\(builder.home.compilerWrapper.path) gcc\n")
    #expect(FileManager.default.isExecutableFile(atPath: builder.home.compilerWrapper.path))
    let again = try make(a)
    #expect(again.succeeded && again.upToDate == true && runs() == 1, "the same commit: make not run")
    #expect(again.image == first.image && again.release == "7.3.4-pcaaaaaaaaaaaa" && again.configCheck != nil)
    #expect(try String(contentsOf: log, encoding: .utf8).contains("make not run"), "the log says why")
    #expect(try make(b).upToDate == nil && runs() == 2, "another commit: make runs")
    #expect(try make(b).upToDate == true && runs() == 2)
    #expect(try make(nil).upToDate == nil && runs() == 3, "a source that is no known commit: make runs")
    // A failed build leaves no stamp: the next build of the last good commit runs make.
    try "x".write(to: source.appendingPathComponent("fail"), atomically: true, encoding: .utf8)
    #expect(try make(a).succeeded == false)
    try FileManager.default.removeItem(at: source.appendingPathComponent("fail"))
    #expect(try make(b).upToDate == nil && runs() == 4, "after a failure: make runs")
    // Another config: made again, so make runs.
    try "CONFIG_PCI_IOV=y\nCONFIG_LOCKDEP=y\n".write(to: fragment, atomically: true, encoding: .utf8)
    #expect(try make(b).upToDate == nil && runs() == 5, "another config: make runs")
    #expect(try make(b).upToDate == true && runs() == 5)
    // PATCHCHECK_ALWAYS_MAKE=1: make runs whatever the stamp says.
    setenv(KernelBuilder.alwaysMakeVariable, "1", 1)
    defer { unsetenv(KernelBuilder.alwaysMakeVariable) }
    #expect(try make(b).upToDate == nil && runs() == 6, "PATCHCHECK_ALWAYS_MAKE=1: make runs")
  }

  /// An x86 boot header as Documentation/arch/x86/boot.rst lays it out (the "HdrS" magic at
  /// 0x202, the protocol version at 0x206, kernel_version at 0x20E pointing 0x200 bytes short
  /// of the string), naming `version`: what a real bzImage starts with.
  static func bootHeader(naming version: String, protocol: UInt16 = 0x020F) -> Data {
    var bytes = [UInt8](repeating: 0, count: 0x400)
    bytes.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
    bytes[0x206] = UInt8(`protocol` & 0xFF)
    bytes[0x207] = UInt8(`protocol` >> 8)
    bytes[0x20E] = 0x00
    bytes[0x20F] = 0x01
    let text = Array(version.utf8)
    bytes.replaceSubrange(0x300..<(0x300 + text.count), with: text)
    return Data(bytes)
  }

  @Test func theImageNamesItsRelease() throws {
    let dir = try TempDir()
    let image = dir.path("bzImage")
    try Self.bootHeader(naming: "7.3.4-pcb6f8aa0cb5ff (patchcheck@patchcheck) #3 SMP PREEMPT 1970-01-01").write(to: image)
    #expect(KernelImage.release(of: image) == "7.3.4-pcb6f8aa0cb5ff")
    // Not an image, a protocol without kernel_version, a missing file: nothing to say.
    try Data("image\n".utf8).write(to: image)
    #expect(KernelImage.release(of: image) == nil)
    try Self.bootHeader(naming: "2.4.0 (x@y) #1", protocol: 0x0105).write(to: image)
    #expect(KernelImage.release(of: image) == nil)
    #expect(KernelImage.release(of: dir.path("absent")) == nil)
  }

  /// Another process writing into the build folder (a make of its own, a run that lost its
  /// lock): an image that no longer names the stamped build makes make run again, and a build
  /// whose image names another kernel when make ends is refused with exit 29, naming both
  /// kernels and what is running there (or make's clock-skew warning), and leaves no stamp. Real make on a toy tree; its
  /// bzImage recipe writes a boot header naming 7.3.4$(LOCALVERSION), or copies `intruder`.
  @Test func anImageAnotherProcessWroteIsNeverThisBuilds() throws {
    let dir = try TempDir()
    let toy = try Self.toyBuilder(
      in: dir,
      recipe: [
        "cp $(CURDIR)/images/7.3.4$(LOCALVERSION) $(O)/arch/x86/boot/bzImage",
        "if [ -e $(O)/intruder ]; then cp $(O)/intruder $(O)/arch/x86/boot/bzImage; fi",
        "@if [ -e $(O)/skewed ]; then echo 'make[1]: warning:  Clock skew detected.  Your build may be incomplete.'; fi",
      ])
    var builder = toy.builder
    let folder = builder.buildDirectory
    let images = toy.source.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    for id in ["aaaaaaaaaaaa", "bbbbbbbbbbbb"] {
      try Self.bootHeader(naming: "7.3.4-pc\(id) (patchcheck@patchcheck) #1 SMP").write(to: images.appendingPathComponent("7.3.4-pc\(id)"))
    }
    let log = dir.path("build.log")
    func runs() -> Int {
      ((try? String(contentsOf: folder.appendingPathComponent("runs"), encoding: .utf8)) ?? "").split(separator: "\n").count
    }
    func make(_ commit: String) throws -> BuildResult {
      builder.checkedOut = commit
      builder.localVersion = "-pc" + commit.prefix(12)
      return try builder.build(log: log, progress: ProgressLine(enabled: false))
    }
    let a = String(repeating: "a", count: 40)
    let image = folder.appendingPathComponent("arch/x86/boot/bzImage")

    #expect(try make(a).release == "7.3.4-pcaaaaaaaaaaaa" && runs() == 1)
    #expect(try make(a).upToDate == true && runs() == 1)
    // Another kernel's image over this build's: the stamp no longer vouches for it.
    try FileManager.default.copyItem(at: images.appendingPathComponent("7.3.4-pcbbbbbbbbbbbb"), to: dir.path("b"))
    try FileManager.default.removeItem(at: image)
    try FileManager.default.copyItem(at: dir.path("b"), to: image)
    let rebuilt = try make(a)
    #expect(rebuilt.upToDate == nil && runs() == 2, "make runs again")
    #expect(KernelImage.release(of: image) == "7.3.4-pcaaaaaaaaaaaa")

    // Another kernel's image written while make runs: refused, naming both and the writer.
    try FileManager.default.copyItem(at: dir.path("b"), to: folder.appendingPathComponent("intruder"))
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/bin/sh")
    writer.arguments = ["-c", "sleep 60 # make O=\(folder.path)"]
    try writer.run()
    defer { writer.terminate() }
    try FileManager.default.removeItem(at: image)
    do {
      _ = try make(a)
      Issue.record("a build whose image names another kernel was taken as this build's")
    } catch let error as PatchCheckError {
      #expect(error.kind == .buildFolderChanged && error.exitCode == 29)
      #expect(error.message.contains("7.3.4-pcbbbbbbbbbbbb's, not this build's (7.3.4-pcaaaaaaaaaaaa)"), "\(error.message)")
      #expect(error.message.contains("running there now: \(writer.processIdentifier) /bin/sh -c sleep 60"), "\(error.message)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".patchcheck-built").path), "no stamp left")
    try FileManager.default.removeItem(at: folder.appendingPathComponent("intruder"))
    #expect(try make(a).upToDate == nil && runs() == 4, "the next build runs make")

    // make itself leaving an earlier build's image (files dated after a clock stepped back):
    // said as that, from make's own warning in the log.
    try FileManager.default.copyItem(at: dir.path("b"), to: folder.appendingPathComponent("intruder"))
    try Data().write(to: folder.appendingPathComponent("skewed"))
    try FileManager.default.removeItem(at: folder.appendingPathComponent(".patchcheck-built"))
    do {
      _ = try make(a)
      Issue.record("an earlier build's image was taken as this build's")
    } catch let error as PatchCheckError {
      #expect(error.exitCode == 29 && error.message.contains("dated in the future"), "\(error.message)")
      #expect(error.message.contains("Clock skew detected") && error.hint.contains("clock"), "\(error.message)")
    }
  }

  /// ccache in depend mode keys an object on its source, its flags and the headers gcc's .d
  /// file lists, never on a file `.incbin` pulls in: two kernels of one compressed size give
  /// one piggy.S text, and the later build got the earlier one's piggy.o, an earlier kernel
  /// under its own boot header. Real gcc and ccache on a piggy.S-like source: through ccache
  /// alone the second payload's build returns the first payload (why the wrapper exists);
  /// through the compiler wrapper kbuild is given, each build holds its own payload, and an
  /// ordinary source still hits the cache.
  @Test func aSourceThatIncludesABinaryIsNeverServedFromTheCache() throws {
    try #require(ProcessRunner.which("ccache") != nil && ProcessRunner.which("gcc") != nil, "setup.sh installs gcc and ccache")
    let dir = try TempDir()
    let builder = KernelBuilder(
      source: dir.url, buildDirectory: dir.path("build"), fragments: [], home: PatchCheckHome(root: dir.path("home")))
    try builder.writeCompilerWrapper()
    let wrapper = builder.home.compilerWrapper.path
    try "input_data:\n.incbin \"payload.bin\"\ninput_data_end:\n".write(to: dir.path("piggy.S"), atomically: true, encoding: .utf8)
    try "int answer(void) { return 42; }\n".write(to: dir.path("plain.c"), atomically: true, encoding: .utf8)
    func compile(_ command: [String], _ source: String) throws -> ProcessResult {
      try ProcessRunner.run(
        command + ["gcc", "-Wp,-MMD,.\(source).d", "-c", "-o", "\(source).o", source], cwd: dir.url.path,
        environment: builder.environment)
    }
    func build(_ payload: String, via command: [String]) throws -> String {
      try Data(payload.utf8).write(to: dir.path("payload.bin"))
      try? FileManager.default.removeItem(at: dir.path("piggy.S.o"))
      let result = try compile(command, "piggy.S")
      #expect(result.succeeded, "\(result.output)")
      let object = try Data(contentsOf: dir.path("piggy.S.o"))
      return ["AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD"].first { object.range(of: Data($0.utf8)) != nil } ?? "none"
    }
    #expect(try build("AAAAAAAA", via: ["ccache"]) == "AAAAAAAA")
    #expect(try build("BBBBBBBB", via: ["ccache"]) == "AAAAAAAA", "ccache alone in depend mode serves the first payload's object")
    #expect(try build("CCCCCCCC", via: [wrapper]) == "CCCCCCCC")
    #expect(try build("DDDDDDDD", via: [wrapper]) == "DDDDDDDD", "through the wrapper each build holds its own payload")
    // An ordinary source goes through ccache: its second compile is a hit.
    for _ in 0..<2 { #expect(try compile([wrapper], "plain.c").succeeded) }
    let stats = try ProcessRunner.run(["ccache", "--print-stats"], environment: builder.environment).output
    let hits = stats.split(separator: "\n").first { $0.hasPrefix("direct_cache_hit\t") }.flatMap { Int($0.split(separator: "\t")[1]) }
    #expect(hits == 2, "the second ccache-alone piggy.S and the second plain.c: \(stats)")
  }

  @Test func theShippedFragmentsAreValid() throws {
    for fragment in try KernelConfigFile.defaultFragments() { try KernelConfigFile.validate(fragment: fragment) }
    let dir = try TempDir()
    try "# a comment\n\nCONFIG_CMDLINE=\"console=ttyS0 a=b\"\n# CONFIG_X is not set\nCONFIG_Y=0x10\n".write(
      to: dir.path("ok.config"), atomically: true, encoding: .utf8)
    try KernelConfigFile.validate(fragment: dir.path("ok.config"))
    try "CONFIG_A=y\nCONFIG_B y\n".write(to: dir.path("bad.config"), atomically: true, encoding: .utf8)
    #expect {
      try KernelConfigFile.validate(fragment: dir.path("bad.config"))
    } throws: { ($0 as? PatchCheckError)?.kind == .configFragment }
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// scripts/install.sh and what it installs: the binary finds its data in PREFIX/share/patchcheck
/// with the checkout it came from gone (and no ../shared beside that), says which commit it
/// was built from, and a failed install leaves the previous one working.
///
/// A release build takes minutes on two cores, so these tests install the build that is
/// already there (`install.sh --binary`): .build/release/patchcheck when no source is newer
/// than it, else .build/debug/patchcheck, which `swift build` (scripts/test.sh) and
/// `swift test` build. install.sh's own `swift build -c release` is the same command
/// scripts/run.sh runs.
@Suite struct InstallTests {
  enum Failure: Error { case noCommit(String) }

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static var checkout: URL { ProjectData.sourceCheckout }

  /// The build to install (see above).
  static func prebuilt() throws -> URL {
    let release = checkout.appendingPathComponent(".build/release/patchcheck").resolvingSymlinksInPath()
    if FileManager.default.isExecutableFile(atPath: release.path), let built = modified(release), newestSource() <= built {
      return release
    }
    let debug = checkout.appendingPathComponent(".build/debug/patchcheck")
    try #require(FileManager.default.isExecutableFile(atPath: debug.path), "build the tool first (swift build)")
    return debug
  }

  static func modified(_ url: URL) -> Date? {
    (try? url.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
  }

  static func newestSource() -> Date {
    var newest = modified(checkout.appendingPathComponent("Package.swift")) ?? .distantFuture
    let walker = FileManager.default.enumerator(at: checkout.appendingPathComponent("Sources"), includingPropertiesForKeys: nil)
    while let url = walker?.nextObject() as? URL {
      newest = max(newest, modified(url) ?? .distantFuture)
    }
    return newest
  }

  /// The checkout's tracked files as they are now (the index's paths, read from the working
  /// tree), copied to `folder`: no .git, no .build, nothing beside it.
  static func copyTrackedFiles(to folder: URL) throws {
    let repo = try GitRepository(path: checkout.path)
    for path in try repo.indexPaths() {
      let source = checkout.appendingPathComponent(path)
      guard FileManager.default.fileExists(atPath: source.path) else { continue }
      let target = folder.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: source, to: target)
    }
  }

  /// Installs `binary` into `dir/prefix` with install.sh from a copy of the checkout at
  /// `dir/src/patchcheck` (so no `shared/` beside it), then deletes the copy.
  static func install(_ binary: URL, in dir: TempDir) throws -> (prefix: URL, run: Run) {
    let source = dir.path("src/patchcheck")
    try copyTrackedFiles(to: source)
    let prefix = dir.path("prefix")
    let run = try Self.run(
      "/bin/bash", [source.appendingPathComponent("scripts/install.sh").path, "--binary", binary.path, prefix.path], in: dir.url)
    try FileManager.default.removeItem(at: dir.path("src"))
    return (prefix, run)
  }

  /// Runs a program in `folder`, with no PATCHCHECK_DATA and a cache folder of the test's own.
  static func run(_ program: String, _ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = folder
    var env = ProcessInfo.processInfo.environment
    env["PATCHCHECK_DATA"] = nil
    env["PATCHCHECK_HOME"] = folder.appendingPathComponent("home").path
    for (key, value) in environment { env[key] = value }
    process.environment = env
    // stderr goes to a file: two pipes read one after the other could stop a chatty child.
    let errors = folder.appendingPathComponent(".stderr-\(UUID().uuidString)")
    try Data().write(to: errors)
    defer { try? FileManager.default.removeItem(at: errors) }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
  }

  /// The build id reports record for `binary`: the version and its bytes' hash.
  static func buildID(_ binary: URL) throws -> String {
    "\(PatchCheckVersion.current)+\(SHA256Hex.of(try Data(contentsOf: binary)).prefix(16))"
  }

  @Test func anInstalledBinaryRunsWithItsCheckoutGone() throws {
    let dir = try TempDir()
    let (prefix, installed) = try Self.install(try Self.prebuilt(), in: dir)
    #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
    let lines = installed.stdout.split(separator: "\n")
    #expect(lines.allSatisfy { $0.hasPrefix("install: ") }, "\(installed.stdout)")
    #expect(lines.contains { $0 == "install: \(prefix.path)/bin/patchcheck" }, "\(installed.stdout)")
    #expect(!FileManager.default.fileExists(atPath: dir.path("src").path))
    let binary = prefix.appendingPathComponent("bin/patchcheck")
    let elsewhere = dir.path("elsewhere")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)

    // --version: BUILD's line, the commit of the checkout it was built from and the build id
    // reports record. (Whether the checkout has changes is left to the test below: another
    // test's file in the checkout may come and go between the install and this.)
    let version = try Self.run(binary.path, ["--version"], in: elsewhere)
    #expect(version.status == 0, "\(version.stderr)")
    let recorded = try String(contentsOf: prefix.appendingPathComponent("share/patchcheck/BUILD"), encoding: .utf8)
    #expect(version.stdout == recorded)
    let shown = try #require(BuildInfo(line: version.stdout), "\(version.stdout)")
    #expect(shown.build == (try Self.buildID(binary)))
    let head = try #require(try GitRepository(path: Self.checkout.path).headCommit())
    guard case .known(let commit, _) = shown.commit else {
      Issue.record("no commit: \(version.stdout)")
      return
    }
    #expect(commit == head.description)

    // Every scenario of the checkout's scenarios/ folder, read from PREFIX/share.
    let listed = try Self.run(binary.path, ["scenarios", "--json"], in: elsewhere)
    #expect(listed.status == 0, "\(listed.stderr)")
    let scenarios = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
    let files = scenarios.compactMap { ($0["origin"] as? [String: Any])?["file"] as? String }
    let folder = prefix.appendingPathComponent("share/patchcheck/scenarios").path
    #expect(files.count == scenarios.count && files.allSatisfy { $0.hasPrefix(folder + "/") }, "\(files)")
    let own = try FileManager.default.contentsOfDirectory(atPath: Self.checkout.appendingPathComponent("scenarios").path)
      .filter { $0.hasSuffix(".yaml") }
    #expect(Set(files.map { URL(fileURLWithPath: $0).lastPathComponent }) == Set(own))
    #expect(scenarios.count == own.count && !own.isEmpty)
    // The guest's programs, as the checkout has them: the runner reads nothing else.
    let programs = try FileManager.default.contentsOfDirectory(atPath: Self.checkout.appendingPathComponent("guest").path)
    #expect(programs.contains("runner.sh"))
    for name in programs {
      let installedProgram = prefix.appendingPathComponent("share/patchcheck/guest/\(name)")
      #expect(
        FileManager.default.contents(atPath: installedProgram.path)
          == FileManager.default.contents(
            atPath: Self.checkout.appendingPathComponent("guest/\(name)").path), "\(name)")
    }

    // The default series: no ../shared beside share/, so the manifest's message-id is fetched;
    // offline, one line (exit 31) that names only the cache folder.
    let offline = try Self.run(
      binary.path, ["series", "show"], in: elsewhere, environment: ["PATCHCHECK_LORE_URL": "http://127.0.0.1:1/all"])
    #expect(offline.status == 31, "\(offline.stderr)")
    let errors = offline.stderr.split(separator: "\n").filter { $0.hasPrefix("patchcheck: error:") }
    #expect(errors.count == 1, "\(offline.stderr)")
    #expect(errors.first?.contains("in \(elsewhere.path)/home/patches, and could not fetch") == true, "\(offline.stderr)")

    // PATCHCHECK_DATA still wins over the installed data.
    let empty = dir.path("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let overridden = try Self.run(binary.path, ["scenarios"], in: elsewhere, environment: ["PATCHCHECK_DATA": empty.path])
    #expect(overridden.status != 0)
    #expect(overridden.stderr.contains("no built-in scenarios in \(empty.path)/scenarios"), "\(overridden.stderr)")
    #expect(overridden.stderr.contains("$PATCHCHECK_DATA names a folder without it"), "\(overridden.stderr)")

    let help = try Self.run(binary.path, ["apply-and-boot", "--help"], in: elsewhere)
    #expect(help.status == 0, "\(help.stderr)")
    #expect(help.stdout.contains("USAGE: patchcheck apply-and-boot"), "\(help.stdout.prefix(300))")
  }

  /// With the imported tree (scripts/test.sh imports it), the installed binary applies v9 to
  /// v7.3.4, finding the series' manifest in its installed data.
  @Test(.enabled(if: EndToEndGate.enabled)) func theInstalledBinaryAppliesASeriesToTheImportedTree() throws {
    let tree = PatchCheckHome().treeRepository
    try #require(FileManager.default.fileExists(atPath: tree.path), "no kernel tree: patchcheck tree import --debian 7.3")
    try #require(FileManager.default.fileExists(atPath: Shared.v9.path), "no \(Shared.v9.path)")
    let dir = try TempDir()
    let series = dir.path("series.mbox")
    try FileManager.default.copyItem(at: Shared.v9, to: series)
    let (prefix, installed) = try Self.install(try Self.prebuilt(), in: dir)
    #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
    let applied = try Self.run(
      prefix.appendingPathComponent("bin/patchcheck").path,
      ["apply", "--check", "--series", series.path, "--base", "v7.3.4", "--repo", tree.path], in: dir.url)
    #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
    #expect(applied.stdout.contains("check: the series applies"), "\(applied.stdout)")
    #expect(applied.stdout.contains("[applied] 1/1 PCI/IOV"), "\(applied.stdout)")
  }

  /// A binary that cannot read the new data is caught before anything is replaced, and the
  /// staging folder and binary are removed.
  @Test func aFailedInstallLeavesThePreviousOneWorking() throws {
    let dir = try TempDir()
    let (prefix, first) = try Self.install(try Self.prebuilt(), in: dir)
    try #require(first.status == 0, "\(first.stdout)\(first.stderr)")
    let binary = prefix.appendingPathComponent("bin/patchcheck")
    let before = try Self.run(binary.path, ["--version"], in: dir.url)

    let broken = dir.path("broken")
    try """
    #!/bin/sh
    case "$1" in --version) echo "patchcheck 9.9.9 (commit unknown: a stand-in; build 9.9.9+0)" ;; *) echo broken >&2; exit 3 ;; esac

    """.write(to: broken, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: broken.path)
    let (_, failed) = try Self.install(broken, in: dir)
    #expect(failed.status != 0)
    #expect(failed.stderr.contains("nothing was replaced"), "\(failed.stderr)")

    let after = try Self.run(binary.path, ["--version"], in: dir.url)
    #expect(after.status == 0 && after.stdout == before.stdout, "\(after.stdout)\(after.stderr)")
    #expect(try Self.run(binary.path, ["scenarios"], in: dir.url).status == 0)
    for folder in ["bin", "share"] {
      let left = try FileManager.default.contentsOfDirectory(atPath: prefix.appendingPathComponent(folder).path)
      #expect(left == ["patchcheck"], "\(folder): \(left)")
    }
  }

  @Test func installHelpSaysWhatItDoes() throws {
    let dir = try TempDir()
    let script = Self.checkout.appendingPathComponent("scripts/install.sh").path
    let help = try Self.run("/bin/bash", [script, "--help"], in: dir.url)
    #expect(help.status == 0)
    #expect(help.stdout.hasPrefix("usage: scripts/install.sh [--binary FILE] [PREFIX]\n"), "\(help.stdout)")
    #expect(help.stdout.contains("sudo"))
    let wrong = try Self.run("/bin/bash", [script, "--bogus"], in: dir.url)
    #expect(wrong.status != 0 && wrong.stderr.contains("unknown option --bogus"), "\(wrong.stderr)")
  }

  /// In a checkout, `--version` names the checkout's HEAD (and whether it has changes).
  @Test func versionInTheCheckoutIsItsHead() throws {
    let binary = Self.checkout.appendingPathComponent(".build/debug/patchcheck")
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the tool first (swift build)")
    let dir = try TempDir()
    let repo = try GitRepository(path: Self.checkout.path)
    let before = try repo.hasUncommittedChanges()
    let version = try Self.run(binary.path, ["--version"], in: dir.url)
    #expect(version.status == 0, "\(version.stderr)")
    let head = try #require(try repo.headCommit())
    let shown = try #require(BuildInfo(line: version.stdout), "\(version.stdout)")
    // Another test's file may come and go in the checkout meanwhile: compare when it did not.
    if try repo.hasUncommittedChanges() == before {
      #expect(shown.commit == .known(head.description, dirty: before))
    } else {
      guard case .known(let commit, _) = shown.commit else { throw Failure.noCommit(version.stdout) }
      #expect(commit == head.description)
    }
    #expect(shown.build == (try Self.buildID(binary)))
    #expect(shown.version == PatchCheckVersion.current)
  }

  /// The rules, without processes: where the data is, what BUILD may say.
  @Test func dataAndCommitAreFoundOneWay() throws {
    let dir = try TempDir()
    let executable = dir.path("prefix/bin/patchcheck")
    let checkout = dir.path("src/patchcheck")
    // No share/ beside the binary: the checkout; with one: the installed data; the variable wins.
    #expect(ProjectData.locate(environment: nil, executable: executable, checkout: checkout).origin == .checkout)
    let share = dir.path("prefix/share/patchcheck")
    try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
    let installed = ProjectData.locate(environment: nil, executable: executable, checkout: checkout)
    #expect(installed.origin == .installed && installed.root.standardizedFileURL.path == share.path)
    #expect(ProjectData.locate(environment: "/data", executable: executable, checkout: checkout).root.path == "/data")
    #expect(ProjectData.locate(environment: "", executable: executable, checkout: checkout).origin == .installed)
    // ../shared only beside a checkout.
    #expect(ProjectData.sharedPatches(beside: share) == nil)
    try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
    try Data().write(to: checkout.appendingPathComponent("Package.swift"))
    #expect(ProjectData.sharedPatches(beside: checkout)?.path == dir.path("src/shared/patches").path)

    // BUILD: read back, checked against the binary's build, explained when it cannot be used.
    let info = BuildInfo(commit: .known(String(repeating: "ab", count: 20), dirty: true), build: "0.1.0+0123456789abcdef")
    #expect(BuildInfo(line: info.line) == info)
    #expect(BuildInfo(line: BuildInfo(commit: .unknown("x"), build: "b").line) == nil)
    let missing = BuildInfo.of(executable: executable, checkout: checkout, build: info.build)
    #expect(missing.line.contains("commit unknown: no \(share.path)/BUILD"), "\(missing.line)")
    try Data((info.line + "\n").utf8).write(to: share.appendingPathComponent("BUILD"))
    #expect(BuildInfo.of(executable: executable, checkout: checkout, build: info.build) == info)
    let other = BuildInfo.of(executable: executable, checkout: checkout, build: "0.1.0+ffffffffffffffff")
    #expect(other.commit == .unknown("\(share.path)/BUILD is for build 0.1.0+0123456789abcdef, not this binary"))
  }

  @Test(.needs("shellcheck")) func scriptsPassShellcheck() throws {
    let shellcheck = try Peer.require("shellcheck")
    let scripts = Self.checkout.appendingPathComponent("scripts")
    let names = try FileManager.default.contentsOfDirectory(atPath: scripts.path).filter { $0.hasSuffix(".sh") }.sorted()
    #expect(names.contains("install.sh") && names.contains("setup.sh"))
    let result = try ProcessRunner.run([shellcheck] + names.map { scripts.appendingPathComponent($0).path })
    #expect(result.succeeded, "\(result.output)")
  }
}

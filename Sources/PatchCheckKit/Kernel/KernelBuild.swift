// Building the kernel out of tree (O= in the cache), -j$(nproc), through ccache when it is
// installed, with a progress line and the full log kept. A failed build yields its first
// compiler errors (file:line).

import Foundation
import PatchCheckBase
import PatchCheckSeries

package struct CompilerError: Sendable, Codable, Equatable {
  package var file: String
  package var line: Int
  package var message: String
}

package struct BuildResult: Sendable, Codable {
  package var succeeded: Bool
  package var seconds: Double
  package var configSeconds: Double
  package var objects: Int
  package var ccache: Bool
  package var image: String?
  package var errors: [CompilerError]
  package var configCheck: ConfigCheck?
  package var compiler: String?
  /// The release the build made (include/config/kernel.release): what `uname -r` must say in
  /// the guest, which ties a boot to this build.
  package var release: String? = nil
  /// make did not run: the build folder holds the image of this very commit, config and make
  /// command (`KernelBuilder.checkedOut`), so its walk of the tree would have rebuilt nothing.
  package var upToDate: Bool? = nil
}

package struct KernelBuilder: Sendable {
  package var source: URL
  package var buildDirectory: URL
  package var fragments: [URL]
  package var home: PatchCheckHome
  package var jobs = ProcessInfo.processInfo.activeProcessorCount
  package var arch = "x86_64"
  /// Appended to the kernel release (make's LOCALVERSION), e.g. "-pc" and the commit's id:
  /// the guest's `uname -r` then names the commit that was built.
  package var localVersion: String?
  /// The commit `source` was just force-checked-out at (every tracked file as the commit has
  /// it), or nil when its files may differ from any commit. With it, a build whose stamp says
  /// the last successful build was of this commit, config and make command skips make.
  package var checkedOut: String?

  package init(source: URL, buildDirectory: URL, fragments: [URL], home: PatchCheckHome) {
    self.source = source
    self.buildDirectory = buildDirectory
    self.fragments = fragments
    self.home = home
  }

  package static let requiredTools = ["make", "gcc", "flex", "bison", "bc"]

  package static func checkTools() throws {
    let missing = requiredTools.filter { ProcessRunner.which($0) == nil }
    guard missing.isEmpty else {
      throw PatchCheckError(
        .buildToolsMissing, "kernel build tools missing: \(missing.joined(separator: ", "))",
        hint: "run scripts/setup.sh (apt-get install gcc make flex bison bc libelf-dev libssl-dev)")
    }
  }

  package var makeBase: [String] {
    var args = ["make", "-C", source.path, "O=\(buildDirectory.path)", "ARCH=\(arch)"]
    if ProcessRunner.which("ccache") != nil { args.append("CC=\(home.compilerWrapper.path) gcc") }
    if let localVersion { args.append("LOCALVERSION=\(localVersion)") }
    return args
  }

  /// The compiler command (guest/compiler-wrapper.sh): `ccache gcc`, or plain `gcc` for a
  /// source that says `.incbin`.
  /// ccache in depend mode keys an object on its source, its flags and the headers gcc's .d
  /// file lists; a file `.incbin` pulls in is none of those. arch/x86/boot/compressed/piggy.S
  /// is the same text for any two kernels whose compressed and uncompressed sizes agree, and
  /// its object holds the whole compressed kernel: from the cache, it was an earlier build's
  /// kernel under this build's boot header (CI booted 7.3.4-pc2d9d2db36669 built as
  /// 7.3.4-pcb3f469d6b7c0). kernel/configs.c and usr/initramfs_data.S are the same kind.
  ///
  /// Writes the compiler wrapper unless it is already there as this version writes it.
  package func writeCompilerWrapper() throws {
    let url = home.compilerWrapper
    let script = try ProjectData.program("compiler-wrapper.sh")
    guard
      (try? String(contentsOf: url, encoding: .utf8)) != script
        || !FileManager.default.isExecutableFile(atPath: url.path)
    else { return }
    try FileManager.default.ensureDirectory(url.deletingLastPathComponent())
    try script.write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
  }

  /// Build environment: reproducible version strings (so ccache can hit init/version.c) and
  /// ccache in the cache folder with paths taken relative to it. ccache runs in depend mode:
  /// in its default mode every miss runs the preprocessor once more to hash the output, and
  /// an empty cache misses on every object. Depend mode takes the headers from the .d file
  /// kbuild asks gcc for, and hits as well (bench/ccache-modes: a cold build 360 s against
  /// 440 s, ccache off 305 s; from a full cache 41 s against 44 s).
  package var environment: [String: String] {
    [
      "KBUILD_BUILD_USER": "patchcheck", "KBUILD_BUILD_HOST": "patchcheck",
      "KBUILD_BUILD_TIMESTAMP": "1970-01-01", "CCACHE_DIR": home.ccache.path,
      "CCACHE_BASEDIR": home.root.path, "CCACHE_NOHASHDIR": "1", "CCACHE_MAXSIZE": "5G",
      "CCACHE_DEPEND": "1", "LC_ALL": "C",
    ]
  }

  package var configKeyFile: URL { buildDirectory.appendingPathComponent(".patchcheck-config-key") }
  package var objectCountFile: URL { buildDirectory.appendingPathComponent(".patchcheck-objects") }
  package var builtStampFile: URL { buildDirectory.appendingPathComponent(".patchcheck-built") }
  package static let alwaysMakeVariable = "PATCHCHECK_ALWAYS_MAKE"

  /// What the last successful build was made of: the commit, the config's key and the make
  /// command and environment. nil when the source is not a known commit, or the config was
  /// just made again (configure removes its key).
  package func builtStamp() -> String? {
    guard let checkedOut, let key = try? String(contentsOf: configKeyFile, encoding: .utf8) else { return nil }
    // make every time, as before the stamp (the interruption test needs a make to stop).
    if ProcessInfo.processInfo.environment[Self.alwaysMakeVariable] == "1" { return nil }
    let environment = self.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return ([checkedOut, key] + makeBase + environment).joined(separator: "\n")
  }

  /// Writes .config unless one made from the same fragments and the same Kconfig files is
  /// already there (regenerating an unchanged config would cost seconds each run for
  /// nothing; reusing one made from another tree would build a kernel nobody asked for).
  package func configure(log: URL) throws -> Double {
    let start = Date()
    try FileManager.default.ensureDirectory(buildDirectory)
    if ProcessRunner.which("ccache") != nil { try writeCompilerWrapper() }
    let key = try configKey()
    let config = buildDirectory.appendingPathComponent(".config")
    let previous = try? String(contentsOf: configKeyFile, encoding: .utf8)
    if previous != key || !FileManager.default.fileExists(atPath: config.path) {
      try run(makeBase + ["tinyconfig"], log: log, what: "make tinyconfig")
      try run(
        [source.appendingPathComponent("scripts/kconfig/merge_config.sh").path, "-m", "-O", buildDirectory.path, config.path]
          + fragments.map(\.path), log: log, what: "merge_config.sh", cwd: buildDirectory.path)
      try run(makeBase + ["olddefconfig"], log: log, what: "make olddefconfig")
      // Kconfig's own list of the files it read is written by the build (syncconfig): the
      // key is stored after the build, from that list.
      try? FileManager.default.removeItem(at: configKeyFile)
    }
    return Date().timeIntervalSince(start)
  }

  /// The fragments' text, the kernel version, and a hash of every Kconfig file the last
  /// configuration read (Kconfig lists them in include/config/auto.conf.cmd) as this tree
  /// has them. Any change to an input of the configuration changes the key.
  package func configKey() throws -> String {
    var parts = try fragments.map { try String(contentsOf: $0, encoding: .utf8) }
    let makefile = (try? String(contentsOf: source.appendingPathComponent("Makefile"), encoding: .utf8)) ?? ""
    parts.append(makefile.split(separator: "\n").prefix(6).joined(separator: "\n"))
    let listing = buildDirectory.appendingPathComponent("include/config/auto.conf.cmd")
    guard let deps = try? String(contentsOf: listing, encoding: .utf8) else { return "no Kconfig list yet" }
    var inputs = Self.kconfigInputs(deps)
    inputs += ["kernel/configs/tiny.config", "kernel/configs/tiny-base.config", "arch/x86/configs/tiny.config"]
    for path in inputs {
      let data = FileManager.default.contents(atPath: source.appendingPathComponent(path).path)
      parts.append("\(path) \(data.map(SHA256Hex.of) ?? "absent")")
    }
    return SHA256Hex.of(Data(parts.joined(separator: "\n--\n").utf8))
  }

  /// The source-relative paths on auto.conf.cmd's `deps_config := \` list.
  package static func kconfigInputs(_ text: String) -> [String] {
    var paths: [String] = []
    var inList = false
    // Each entry ends with a backslash, the last one too; a blank line ends the list.
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if inList, line.isEmpty { break }
      if line.hasPrefix("deps_config :=") {
        inList = true
        continue
      }
      guard inList else { continue }
      let path = line.hasSuffix("\\") ? String(line.dropLast()).trimmingCharacters(in: .whitespaces) : line
      if !path.isEmpty { paths.append(path.hasPrefix("$(srctree)/") ? String(path.dropFirst(11)) : path) }
      if !line.hasSuffix("\\") { break }
    }
    return paths
  }

  private func run(_ command: [String], log: URL, what: String, cwd: String? = nil) throws {
    let result = try ProcessRunner.run(command, cwd: cwd, environment: environment, logFile: log.path, collectLimit: 1 << 16)
    guard result.succeeded else {
      try checkSpace(result.output)
      throw PatchCheckError(
        .infra, "\(what) failed (exit \(result.status)); see \(log.path)",
        hint: "check the kernel tree and the fragments in kernel-configs/")
    }
  }

  /// A full disk is the machine's problem, not the series': never a BUILD-FAIL.
  package func checkSpace(_ output: String) throws {
    guard output.contains("No space left on device") || output.contains("Disk quota exceeded") else { return }
    throw PatchCheckError(
      .noSpace, "no space left in \(buildDirectory.path) during the kernel build",
      hint: "free space there (a build needs about 3 GB), or set PATCHCHECK_HOME to a larger disk")
  }

  /// Builds bzImage. Progress counts compiled objects against the previous build's count.
  package func build(log: URL, progress: ProgressLine) throws -> BuildResult {
    let configSeconds = try configure(log: log)
    let start = Date()
    let image = buildDirectory.appendingPathComponent("arch/x86/boot/bzImage")
    let stamp = builtStamp()
    // The stamp vouches for the image only while the image still names the stamped build.
    if let stamp, (try? String(contentsOf: builtStampFile, encoding: .utf8)) == stamp,
      FileManager.default.fileExists(atPath: image.path), KernelImage.otherRelease(in: image, than: builtRelease()) == nil
    {
      return try upToDate(image: image, log: log, configSeconds: configSeconds, start: start)
    }
    // Whatever make leaves if it fails or is stopped is no known build.
    try? FileManager.default.removeItem(at: builtStampFile)
    let expected = (try? String(contentsOf: objectCountFile, encoding: .utf8)).flatMap {
      Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    final class Counter: @unchecked Sendable { var objects = 0 }
    let counter = Counter()
    let result = try ProcessRunner.run(
      makeBase + ["-j\(jobs)", "bzImage"], environment: environment, logFile: log.path,
      collectLimit: 1 << 20
    ) { line in
      if line.hasPrefix("  CC ") || line.hasPrefix("  AS ") { counter.objects += 1 }
      let elapsed = Int(Date().timeIntervalSince(start))
      let of = expected.map { "/\($0)" } ?? ""
      progress.update("build: \(counter.objects)\(of) objects, \(elapsed / 60):\(String(format: "%02d", elapsed % 60))")
    }
    progress.finish()
    let ok = result.succeeded && FileManager.default.fileExists(atPath: image.path)
    if !ok { try checkSpace((try? String(contentsOf: log, encoding: .utf8)) ?? result.output) }
    // The check reads the .config this build used (the build may have refreshed it).
    let check = try configCheck()
    let release = builtRelease()
    if ok, let release, let named = KernelImage.otherRelease(in: image, than: release) {
      throw changedUnderBuild(image: named, release: release, log: log)
    }
    if ok, let key = try? configKey() { try? key.write(to: configKeyFile, atomically: true, encoding: .utf8) }
    if ok, let stamp = builtStamp() { try? stamp.write(to: builtStampFile, atomically: true, encoding: .utf8) }
    if ok, expected == nil || counter.objects > (expected ?? 0) / 2 {
      // Only a full build tells how many objects a full build has.
      if expected == nil || counter.objects > (expected ?? 0) {
        try? "\(counter.objects)".write(to: objectCountFile, atomically: true, encoding: .utf8)
      }
    }
    return BuildResult(
      succeeded: ok, seconds: Date().timeIntervalSince(start), configSeconds: configSeconds,
      objects: counter.objects, ccache: ProcessRunner.which("ccache") != nil,
      image: ok ? image.path : nil,
      errors: ok ? [] : Self.compilerErrors(in: (try? String(contentsOf: log, encoding: .utf8)) ?? result.output),
      configCheck: check, compiler: nil, release: ok ? release : nil)
  }

  /// The result of a build make was spared: the image, the release and the config check as
  /// the last build left them, and a line in the log saying why make did not run.
  package func upToDate(image: URL, log: URL, configSeconds: Double, start: Date) throws -> BuildResult {
    let note = "patchcheck: \(image.path) is the build of \(checkedOut ?? "?") with this config and make command: make not run\n"
    let before = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    try (before + note).write(to: log, atomically: true, encoding: .utf8)
    return BuildResult(
      succeeded: true, seconds: Date().timeIntervalSince(start), configSeconds: configSeconds, objects: 0,
      ccache: ProcessRunner.which("ccache") != nil, image: image.path, errors: [], configCheck: try configCheck(), compiler: nil,
      release: builtRelease(), upToDate: true)
  }

  /// The build finished, but the image it left names another kernel: another process (a make
  /// of its own, a run that lost its lock) wrote into the build folder meanwhile. Nothing of
  /// it can be booted as this build; the stamp is gone, so the next run builds again.
  package func changedUnderBuild(image named: String, release: String, log: URL? = nil) -> PatchCheckError {
    try? FileManager.default.removeItem(at: builtStampFile)
    // make leaves an earlier build's image in place, with no other writer, when files in the
    // folder are dated after the clock (a clock stepped back): it says so in the log.
    let text = log.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    let skewWarning = { (line: Substring) in
      line.hasPrefix("make")
        && (line.contains("Clock skew detected") || line.contains("modification time") && line.contains("in the future"))
    }
    if let skew = text.split(separator: "\n").first(where: skewWarning) {
      return PatchCheckError(
        .buildFolderChanged,
        "the image in \(buildDirectory.path) is \(named)'s, not this build's (\(release)): make found files dated in the future and took them as up to date (\(skew.trimmingCharacters(in: .whitespaces).prefix(160)))",
        hint: "check the machine's clock, then remove \(buildDirectory.path) and run again")
    }
    let me = ProcessInfo.processInfo.processIdentifier
    let listed = (try? ProcessRunner.run(["pgrep", "-af", buildDirectory.path]))?.output ?? ""
    let others = listed.split(separator: "\n").filter { !$0.hasPrefix("\(me) ") }.prefix(2).map { String($0.prefix(200)) }
    let running = others.isEmpty ? "" : "; running there now: " + others.joined(separator: " | ")
    return PatchCheckError(
      .buildFolderChanged,
      "the image in \(buildDirectory.path) is \(named)'s, not this build's (\(release)): another process wrote into the build folder during the build\(running)",
      hint: "let the other build finish (or stop it), then run again; a make of your own needs another O= folder")
  }

  /// The fragments' options checked in the build folder's .config.
  package func configCheck() throws -> ConfigCheck {
    let text = (try? String(contentsOf: buildDirectory.appendingPathComponent(".config"), encoding: .utf8)) ?? ""
    return try KernelConfigFile.check(fragments: fragments, config: text)
  }

  /// The release the build folder's last build made (include/config/kernel.release).
  package func builtRelease() -> String? {
    (try? String(contentsOf: buildDirectory.appendingPathComponent("include/config/kernel.release"), encoding: .utf8))
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
  }

  /// `path/file.c:12:5: error: message` lines, first ten, paths relative to the source.
  package static func compilerErrors(in log: String, limit: Int = 10) -> [CompilerError] {
    var errors: [CompilerError] = []
    let pattern = #/^(.+?):(\d+):(?:\d+:)? (?:fatal )?error: (.*)$/#
    for line in log.split(separator: "\n") {
      guard let match = try? pattern.wholeMatch(in: String(line)), let number = Int(match.output.2) else { continue }
      var file = String(match.output.1)
      // Out-of-tree builds print ../../source/path or absolute paths: keep the tree-relative part.
      for anchor in [
        "/drivers/", "/kernel/", "/include/", "/arch/", "/fs/", "/net/", "/mm/", "/lib/", "/block/", "/init/", "/security/", "/sound/",
        "/crypto/", "/scripts/", "/tools/",
      ] {
        if let range = file.range(of: anchor) {
          file = String(file[file.index(after: range.lowerBound)...])
          break
        }
      }
      let error = CompilerError(file: file, line: number, message: String(match.output.3))
      if !errors.contains(error) { errors.append(error) }
      if errors.count >= limit { break }
    }
    return errors
  }

  package static func compilerVersion() -> String? {
    (try? ProcessRunner.run(["gcc", "--version"], collectLimit: 4096))?.output
      .split(separator: "\n").first.map(String.init)
  }
}

// Tree provisioning: a kernel source tarball (from Debian's linux-source-X.Y package or a
// file) becomes one commit in patchcheck's tree repository, tagged from its Makefile.
// Each import is a child of the previous one, so several versions form a history.

import Foundation
import PatchCheckBase

#if canImport(Glibc)
  import Glibc
#endif

package struct ImportResult: Sendable, Codable {
  package var tag: String
  package var commit: String
  package var files: Int
  package var seconds: Double
  package var alreadyPresent: Bool
}

package struct TreeImporter: Sendable {
  package static let importsBranch = "refs/heads/patchcheck/imports"
  package let home: PatchCheckHome
  package let console: Terminal

  package init(home: PatchCheckHome, console: Terminal) {
    self.home = home
    self.console = console
  }

  /// Opens the tree repository, creating it (bare) when absent.
  package func openOrCreateRepository() throws -> GitRepository {
    let path = home.treeRepository.path
    // The folder appears before libgit2 has finished making the repository in it: only a
    // repository that opens is taken without the lock.
    if FileManager.default.fileExists(atPath: path), let repo = try? GitRepository(path: path) { return repo }
    try FileManager.default.ensureDirectory(home.root)
    let lock = try importLock {}
    defer { withExtendedLifetime(lock) {} }
    if FileManager.default.fileExists(atPath: path) { return try GitRepository(path: path) }
    let repo = try GitRepository.create(at: path, bare: true)
    try repo.setHead(Self.importsBranch)
    return repo
  }

  /// `version` is `7.3` (newest package), `7.2.11` (the package of that upstream release)
  /// or `7.3=7.3.4-1~bpo13+1` (an exact package version).
  package func importDebian(_ version: String) throws -> ImportResult {
    let spec = try DebianSpec(version)
    let series = spec.series
    let requested = try spec.exact ?? spec.upstream.map { try packageVersion(series: series, upstream: $0) }
    let package = "linux-source-\(series)"
    try FileManager.default.ensureDirectory(home.debs)
    // Already imported? Known without downloading when the upstream release is known.
    let exact = requested ?? (try? packageVersion(series: series, upstream: series + "."))
    if let exact, let upstream = exact.split(whereSeparator: { $0 == "-" || $0 == "+" }).first,
      let commit = try openOrCreateRepository().commit(for: "refs/tags/v\(upstream)")
    {
      return ImportResult(tag: "v\(upstream)", commit: commit.description, files: 0, seconds: 0, alreadyPresent: true)
    }
    let deb = try downloadDeb(package: package, exactVersion: requested)
    let work = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: work) }
    console.say("extracting \(deb.lastPathComponent)")
    // The package carries the tarball; stream it out of the .deb straight into tar.
    let extract = try ProcessRunner.run(
      [
        "sh", "-c",
        "dpkg-deb --fsys-tarfile \"$0\" | tar -xO --wildcards './usr/src/linux-source-*.tar.*' | tar -xJ -C \"$1\"",
        deb.path, work.path,
      ], collectLimit: 8192)
    guard extract.succeeded else {
      throw PatchCheckError(
        .treeImport, "could not extract \(deb.lastPathComponent): \(extract.output.suffix(200))",
        hint: "delete \(deb.path) and run the import again")
    }
    return try importSourceDirectory(
      try singleTopDirectory(work), origin: "Debian package \(deb.lastPathComponent)")
  }

  package func importTarball(_ file: URL) throws -> ImportResult {
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw PatchCheckError(.treeImport, "no tarball at \(file.path)", hint: "check the path")
    }
    let work = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: work) }
    console.say("extracting \(file.lastPathComponent)")
    let result = try ProcessRunner.run(["tar", "-xf", file.path, "-C", work.path], collectLimit: 8192)
    guard result.succeeded else {
      throw PatchCheckError(
        .treeImport, "tar could not read \(file.path): \(result.output.suffix(200))",
        hint: "give a .tar, .tar.gz or .tar.xz of a kernel source tree")
    }
    return try importSourceDirectory(try singleTopDirectory(work), origin: file.lastPathComponent)
  }

  /// Imports the files under `source` as a commit on the imports branch, tagged from its
  /// Makefile. An already imported tag is left as it is.
  package func importSourceDirectory(_ source: URL, origin: String) throws -> ImportResult {
    let start = Date()
    let tag = try KernelVersion.tag(fromMakefileIn: source)
    let repo = try openOrCreateRepository()
    if let existing = try repo.commit(for: "refs/tags/\(tag)") {
      return ImportResult(
        tag: tag, commit: existing.description, files: 0, seconds: 0, alreadyPresent: true)
    }
    console.say("importing \(tag) from \(origin)")
    let entries = try writeBlobs(under: source, repositoryPath: repo.gitDirectory)
    let tree = try repo.writeTree(entries)
    // Blobs may be written by two imports at once; the branch and the tag may not, or one
    // import's commit would lose the other's as its parent.
    let lock = try importLock { console.say("waiting for another tree import to finish") }
    defer { withExtendedLifetime(lock) {} }
    if let existing = try repo.commit(for: "refs/tags/\(tag)") {
      return ImportResult(
        tag: tag, commit: existing.description, files: 0, seconds: 0, alreadyPresent: true)
    }
    let parent = try repo.reference(Self.importsBranch)
    let signature = Signature.patchcheck()
    let commit = try repo.createCommit(
      tree: tree, parents: parent.map { [$0] } ?? [], author: signature, committer: signature,
      message: "Import \(tag) from \(origin)\n\nImported by patchcheck tree import.\n")
    try repo.setReference(Self.importsBranch, to: commit, log: "patchcheck: import \(tag)")
    try repo.createLightweightTag(tag, at: commit)
    return ImportResult(
      tag: tag, commit: commit.description, files: entries.count,
      seconds: Date().timeIntervalSince(start), alreadyPresent: false)
  }

  /// Held while the repository is created and while an import writes its branch and tag.
  private func importLock(onWait: () -> Void) throws -> FileLock {
    try FileLock(home.root.appendingPathComponent("import.lock"), onWait: onWait)
  }

  // MARK: Steps

  /// The Debian version of `linux-source-SERIES` that packages upstream release `upstream`:
  /// from apt's lists, else from a package downloaded before.
  package func packageVersion(series: String, upstream: String) throws -> String {
    let package = "linux-source-\(series)"
    let madison = try? ProcessRunner.run(["apt-cache", "madison", package], collectLimit: 65536)
    let listed = madison?.output ?? ""
    let versions =
      listed.split(separator: "\n").compactMap { line -> String? in
        let fields = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        return fields.count >= 2 ? fields[1] : nil
      }
      + ((try? FileManager.default.contentsOfDirectory(atPath: home.debs.path)) ?? []).compactMap { name -> String? in
        guard name.hasPrefix(package + "_"), name.hasSuffix("_all.deb") else { return nil }
        return String(name.dropFirst(package.count + 1).dropLast("_all.deb".count)).replacingOccurrences(of: "%3a", with: ":")
      }
    // "7.3." asks for the newest of the series (apt lists newest first).
    let matches: (String) -> Bool = {
      upstream.hasSuffix(".") ? $0.hasPrefix(upstream) : $0.hasPrefix(upstream + "-") || $0.hasPrefix(upstream + "+")
    }
    guard let found = versions.first(where: matches) else {
      // apt's own words when apt-cache itself failed (not there, lists unreadable).
      let apt = madison.map { $0.succeeded ? "" : " (apt-cache: \(Self.aptMessage($0.output)))" } ?? " (apt-cache could not be run)"
      throw PatchCheckError(
        .treeImport, "no \(package) package of \(upstream) in apt's lists\(apt)",
        hint: "see 'apt-cache madison \(package)' for the releases Debian has (run scripts/setup.sh to add backports)")
    }
    return found
  }

  /// What apt said, in one line: its E:/W:/N: lines (else its last line), shown safe.
  package static func aptMessage(_ output: String) -> String {
    let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    let said = lines.filter { $0.hasPrefix("E: ") || $0.hasPrefix("W: ") || $0.hasPrefix("N: ") }
    return VisibleText.of((said.isEmpty ? Array(lines.suffix(1)) : said).joined(separator: "; "), limit: 400)
  }

  package func downloadDeb(package: String, exactVersion: String?) throws -> URL {
    let existing = try FileManager.default.contentsOfDirectory(atPath: home.debs.path)
      .filter { $0.hasPrefix("\(package)_") && $0.hasSuffix(".deb") }
    if let exactVersion {
      let encoded = exactVersion.replacingOccurrences(of: ":", with: "%3a")
      if let hit = existing.first(where: { $0 == "\(package)_\(encoded)_all.deb" }) {
        return home.debs.appendingPathComponent(hit)
      }
    }
    console.say("downloading \(package) with apt-get")
    let spec = exactVersion.map { "\(package)=\($0)" } ?? package
    let result = try ProcessRunner.run(
      ["apt-get", "download", "-q", spec], cwd: home.debs.path, collectLimit: 16384)
    let after = try FileManager.default.contentsOfDirectory(atPath: home.debs.path)
      .filter { $0.hasPrefix("\(package)_") && $0.hasSuffix(".deb") }.sorted()
    if !result.succeeded, exactVersion == nil, let cached = pickNewest(after, exact: nil, package: package) {
      // Offline, or the archive moved on: a package downloaded before still imports.
      console.warn("apt-get could not download \(spec); using \(cached) downloaded earlier")
      return home.debs.appendingPathComponent(cached)
    }
    guard result.succeeded, let newest = pickNewest(after, exact: exactVersion, package: package) else {
      throw PatchCheckError(
        .treeImport, "apt-get could not download \(spec): \(Self.aptMessage(result.output))",
        hint: "run scripts/setup.sh (it adds the backports suites), then apt-get update")
    }
    return home.debs.appendingPathComponent(newest)
  }

  private func pickNewest(_ names: [String], exact: String?, package: String) -> String? {
    if let exact {
      let encoded = exact.replacingOccurrences(of: ":", with: "%3a")
      return names.first { $0 == "\(package)_\(encoded)_all.deb" }
    }
    // apt-get download fetched the candidate; it is the newest file by time.
    return names.max { a, b in
      modificationDate(home.debs.appendingPathComponent(a))
        < modificationDate(home.debs.appendingPathComponent(b))
    }
  }

  private func modificationDate(_ url: URL) -> Date {
    (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date)
      ?? .distantPast
  }

  private func temporaryDirectory() throws -> URL {
    let url = home.root.appendingPathComponent("tmp/import-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.ensureDirectory(url)
    return url
  }

  private func singleTopDirectory(_ dir: URL) throws -> URL {
    let items = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    if items.count == 1 {
      let only = dir.appendingPathComponent(items[0])
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: only.path, isDirectory: &isDir), isDir.boolValue {
        return only
      }
    }
    return dir
  }

  /// Writes every file as a blob, two threads at a time (one repository handle each).
  /// Ignore rules do not apply: Debian's tarball has a .gitignore that ignores everything.
  private func writeBlobs(under source: URL, repositoryPath: String) throws -> [TreeEntry] {
    let (files, skipped) = try SourceWalk.files(under: source)
    if !skipped.isEmpty {
      console.warn(
        "skipped \(skipped.count) entr\(skipped.count == 1 ? "y" : "ies") of the source git cannot hold: "
          + skipped.prefix(5).joined(separator: ", ") + (skipped.count > 5 ? ", ..." : ""))
    }
    let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    final class Results: @unchecked Sendable {
      package var entries: [TreeEntry?]
      package var error: Error?
      package let lock = NSLock()
      package init(count: Int) { entries = Array(repeating: nil, count: count) }
    }
    let results = Results(count: files.count)
    DispatchQueue.concurrentPerform(iterations: threads) { worker in
      do {
        let repo = try GitRepository(path: repositoryPath)
        var index = worker
        while index < files.count {
          let file = files[index]
          let data: Data
          if file.mode == .symlink {
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: file.absolute)
            data = Data(target.utf8)
          } else {
            data = try Data(contentsOf: URL(fileURLWithPath: file.absolute), options: .mappedIfSafe)
          }
          let blob = try repo.writeBlob(data)
          results.lock.withLock {
            results.entries[index] = TreeEntry(path: file.relative, blob: blob, mode: file.mode)
          }
          index += threads
        }
      } catch {
        results.lock.withLock { results.error = error }
      }
    }
    if let error = results.error { throw error }
    return results.entries.compactMap { $0 }
  }
}

/// What `tree import --debian` was given, checked before anything runs: `''`, `=` or
/// `7.3=` would otherwise reach an index into an empty list or download the wrong package.
package struct DebianSpec: Equatable {
  /// MAJOR.MINOR, the suffix of `linux-source-`.
  package var series: String
  /// MAJOR.MINOR.PATCH when one upstream release was asked for.
  package var upstream: String?
  /// An exact Debian package version (`7.3=7.3.4-1~bpo13+1`).
  package var exact: String?

  package init(_ version: String) throws {
    let parts = version.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    let left = parts.first ?? ""
    let exact = parts.count > 1 ? parts[1] : nil
    let usage = { (why: String) in
      PatchCheckError(
        .usage, "'\(version)' is not a Debian kernel version: \(why)",
        hint: "give MAJOR.MINOR (e.g. --debian 7.3), MAJOR.MINOR.PATCH (7.2.11) or MAJOR.MINOR=PACKAGE-VERSION (7.3=7.3.4-1~bpo13+1)")
    }
    guard let match = try? #/^(\d+\.\d+)(\.\d+)?$/#.wholeMatch(in: left) else {
      throw usage(left.isEmpty ? "no series before '='" : "'\(left)' is not MAJOR.MINOR")
    }
    if let exact {
      guard !exact.isEmpty, !exact.contains(where: \.isWhitespace) else { throw usage("no package version after '='") }
      guard match.output.2 == nil else { throw usage("give MAJOR.MINOR before '=', not a release") }
    }
    series = String(match.output.1)
    upstream = match.output.2 == nil ? nil : left
    self.exact = exact
  }
}

/// The files of a source folder with their git modes.
package enum SourceWalk {
  package struct File: Sendable {
    package var relative: String
    package var absolute: String
    package var mode: TreeEntry.Mode
  }

  /// The regular files and symlinks under `root`, and what git cannot hold (FIFOs, sockets,
  /// devices) or lstat could not read, by path: the importer says what it left out.
  package static func files(under root: URL) throws -> (files: [File], skipped: [String]) {
    var result: [File] = []
    var skipped: [String] = []
    let base = root.path
    guard let walker = FileManager.default.enumerator(atPath: base) else {
      throw PatchCheckError(.treeImport, "cannot list the unpacked source in \(base)", hint: "check the tarball and the disk")
    }
    while let relative = walker.nextObject() as? String {
      let absolute = base + "/" + relative
      var info = stat()
      guard lstat(absolute, &info) == 0 else {
        skipped.append("\(relative) (unreadable: \(String(cString: strerror(errno))))")
        continue
      }
      switch info.st_mode & S_IFMT {
      case S_IFREG:
        let executable = info.st_mode & 0o111 != 0
        result.append(File(relative: relative, absolute: absolute, mode: executable ? .executable : .file))
      case S_IFLNK:
        result.append(File(relative: relative, absolute: absolute, mode: .symlink))
      case S_IFDIR:
        continue
      default:
        skipped.append("\(relative) (not a file, link or folder)")
      }
    }
    return (result, skipped)
  }
}

package enum KernelVersion {
  /// `v7.3.4` from VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION (`v7.3` when SUBLEVEL is 0).
  package static func tag(fromMakefileIn source: URL) throws -> String {
    let makefile = source.appendingPathComponent("Makefile")
    guard let text = try? String(contentsOf: makefile, encoding: .utf8),
      FileManager.default.fileExists(atPath: source.appendingPathComponent("Kconfig").path)
    else {
      throw PatchCheckError(
        .notAKernelTree, "\(source.path) is not a kernel source tree (no Makefile and Kconfig)",
        hint: "give a tarball of a Linux source tree")
    }
    return try tag(fromMakefile: text)
  }

  package static func tag(fromMakefile text: String) throws -> String {
    let fields = fields(fromMakefile: text)
    guard let major = fields["VERSION"], let minor = fields["PATCHLEVEL"], !major.isEmpty else {
      throw PatchCheckError(
        .notAKernelTree, "the Makefile has no VERSION/PATCHLEVEL lines",
        hint: "give a Linux source tree")
    }
    let sub = fields["SUBLEVEL"] ?? "0"
    let extra = fields["EXTRAVERSION"] ?? ""
    return "v\(major).\(minor)" + (sub == "0" || sub.isEmpty ? "" : ".\(sub)") + extra
  }

  /// The kernel line, VERSION.PATCHLEVEL (`7.3` for v7.3.4 and v7.3-rc2), or nil unless both
  /// are plain numbers: the line names a build folder, so nothing else may get into it.
  package static func line(fromMakefile text: String) -> String? {
    let fields = fields(fromMakefile: text)
    guard let major = fields["VERSION"], let minor = fields["PATCHLEVEL"],
      [major, minor].allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
    else { return nil }
    return "\(major).\(minor)"
  }

  /// `NAME = value` lines among the Makefile's first 20 (where the version is).
  static func fields(fromMakefile text: String) -> [String: String] {
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n").prefix(20) {
      let parts = line.split(separator: "=", maxSplits: 1)
      guard parts.count == 2 else { continue }
      fields[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
    }
    return fields
  }
}

// The guest's userspace: a newc cpio archive written here, holding busybox (static), the
// runner as /init with its data (`RunnerScript.files`), and the few device nodes the kernel
// needs before devtmpfs.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package struct CpioArchive {
  private(set) var data = Data()
  private var inode: UInt32 = 1

  package init() {}

  package mutating func directory(_ path: String) { entry(path, mode: 0o040755, content: Data()) }
  package mutating func file(_ path: String, content: Data, executable: Bool) {
    entry(path, mode: executable ? 0o100755 : 0o100644, content: content)
  }
  package mutating func symlink(_ path: String, target: String) {
    entry(path, mode: 0o120777, content: Data(target.utf8))
  }
  package mutating func characterDevice(_ path: String, major: UInt32, minor: UInt32) {
    entry(path, mode: 0o020600, content: Data(), rdev: (major, minor))
  }

  package mutating func finish() -> Data {
    entry("TRAILER!!!", mode: 0, content: Data())
    return data
  }

  private mutating func entry(
    _ path: String, mode: UInt32, content: Data, rdev: (UInt32, UInt32) = (0, 0)
  ) {
    let name = Data(path.utf8) + Data([0])
    let fields: [UInt32] = [
      inode, mode, 0, 0, mode & 0o040000 != 0 ? 2 : 1, 0, UInt32(content.count), 0, 0, rdev.0,
      rdev.1, UInt32(name.count), 0,
    ]
    inode += 1
    var header = "070701"
    for field in fields { header += String(format: "%08X", field) }
    data.append(Data(header.utf8))
    data.append(name)
    pad()
    data.append(content)
    pad()
  }

  private mutating func pad() {
    let remainder = data.count % 4
    if remainder != 0 { data.append(Data(repeating: 0, count: 4 - remainder)) }
  }
}

package enum Initramfs {
  package static let busyboxCandidates = ["/bin/busybox", "/usr/bin/busybox"]

  /// A static busybox: the guest has no libraries. Read from the ELF headers, not from
  /// `file(1)`: without `file` a dynamic busybox used to be taken, and the guest's /init
  /// then died before the runner said anything.
  package static func findBusybox(candidates: [String] = busyboxCandidates) throws -> URL {
    for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
      if ELFLinkage.of(path) == .static { return URL(fileURLWithPath: path) }
    }
    throw PatchCheckError(
      .busyboxMissing, "no static busybox found (looked at \(candidates.joined(separator: ", ")))",
      hint: "install it: apt-get install busybox-static (scripts/setup.sh does)")
  }

  /// Writes the initramfs: busybox, /init = the runner, and `files` (path: text).
  package static func build(runner: String, busybox: URL, to output: URL, files: [String: String] = [:]) throws {
    guard let busyboxData = FileManager.default.contents(atPath: busybox.path) else {
      throw PatchCheckError(.busyboxMissing, "cannot read \(busybox.path)", hint: "reinstall busybox-static")
    }
    var archive = CpioArchive()
    for dir in ["bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "root"] { archive.directory(dir) }
    archive.characterDevice("dev/console", major: 5, minor: 1)
    archive.characterDevice("dev/null", major: 1, minor: 3)
    archive.file("bin/busybox", content: busyboxData, executable: true)
    archive.symlink("bin/sh", target: "busybox")
    archive.file("init", content: Data(runner.utf8), executable: true)
    // The kernel unpacks an archive in order and makes no folder on its own: each file's
    // folders come first.
    var folders = Set<String>()
    for path in files.keys {
      var parts = path.split(separator: "/").dropLast()
      while !parts.isEmpty {
        folders.insert(parts.joined(separator: "/"))
        parts = parts.dropLast()
      }
    }
    for folder in folders.sorted(by: { $0.count < $1.count || ($0.count == $1.count && $0 < $1) }) { archive.directory(folder) }
    for (path, text) in files.sorted(by: { $0.key < $1.key }) { archive.file(path, content: Data(text.utf8), executable: false) }
    try archive.finish().write(to: output)
  }
}

/// How an executable is linked, from its ELF program headers: a program interpreter
/// (PT_INTERP) or libraries it needs (DT_NEEDED in PT_DYNAMIC) make it dynamic; a static-pie
/// binary has PT_DYNAMIC without either and runs with no libraries.
package enum ELFLinkage: Equatable, Sendable {
  case `static`
  case dynamic
  /// Not an ELF file, or one too damaged to tell.
  case unknown

  package static func of(_ path: String) -> ELFLinkage {
    guard let handle = FileHandle(forReadingAtPath: path) else { return .unknown }
    defer { try? handle.close() }
    func read(_ offset: UInt64, _ count: Int) -> Data? {
      guard count >= 0, count <= 1 << 20, (try? handle.seek(toOffset: offset)) != nil,
        let data = try? handle.read(upToCount: count), data.count == count
      else { return nil }
      return data
    }
    guard let ident = read(0, 64), ident.starts(with: [0x7f, 0x45, 0x4c, 0x46]) else { return .unknown }
    let wide = ident[4] == 2
    let little = ident[5] == 1
    guard ident[4] == 1 || wide, ident[5] == 1 || ident[5] == 2 else { return .unknown }
    func number(_ data: Data, _ at: Int, _ size: Int) -> UInt64 {
      let bytes = data[data.startIndex + at..<data.startIndex + at + size]
      return (little ? bytes.reversed() : Array(bytes)).reduce(0) { $0 << 8 | UInt64($1) }
    }
    let word = wide ? 8 : 4
    let phoff = number(ident, wide ? 32 : 28, word)
    let phentsize = Int(number(ident, wide ? 54 : 42, 2))
    let phnum = Int(number(ident, wide ? 56 : 44, 2))
    guard phentsize >= (wide ? 56 : 32), phnum > 0, let table = read(phoff, phentsize * phnum) else { return .unknown }
    for index in 0..<phnum {
      let header = table.subdata(in: index * phentsize..<(index + 1) * phentsize)
      switch number(header, 0, 4) {
      case 3:  // PT_INTERP
        return .dynamic
      case 2:  // PT_DYNAMIC: a DT_NEEDED (1) entry names a library
        let offset = number(header, wide ? 8 : 4, word)
        let size = Int(clamping: number(header, wide ? 32 : 16, word))
        guard let dynamic = read(offset, min(size, 1 << 20)) else { return .unknown }
        for entry in stride(from: 0, to: dynamic.count - 2 * word + 1, by: 2 * word) {
          let tag = number(dynamic, entry, word)
          if tag == 0 { break }  // DT_NULL
          if tag == 1 { return .dynamic }
        }
      default:
        continue
      }
    }
    return .static
  }
}

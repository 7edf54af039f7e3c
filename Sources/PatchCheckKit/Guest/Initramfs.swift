// The guest's userspace: a newc cpio archive written here, holding busybox (static), the
// generated runner as /init, and the few device nodes the kernel needs before devtmpfs.

import Foundation

public struct CpioArchive {
  private(set) var data = Data()
  private var inode: UInt32 = 1

  public init() {}

  public mutating func directory(_ path: String) { entry(path, mode: 0o040755, content: Data()) }
  public mutating func file(_ path: String, content: Data, executable: Bool) {
    entry(path, mode: executable ? 0o100755 : 0o100644, content: content)
  }
  public mutating func symlink(_ path: String, target: String) {
    entry(path, mode: 0o120777, content: Data(target.utf8))
  }
  public mutating func characterDevice(_ path: String, major: UInt32, minor: UInt32) {
    entry(path, mode: 0o020600, content: Data(), rdev: (major, minor))
  }

  public mutating func finish() -> Data {
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

public enum Initramfs {
  public static let busyboxCandidates = ["/bin/busybox", "/usr/bin/busybox"]

  /// A static busybox: the guest has no libraries.
  public static func findBusybox(candidates: [String] = busyboxCandidates) throws -> URL {
    for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
      let result = try? ProcessRunner.run(["file", "-L", path], collectLimit: 4096)
      if let output = result?.output, output.contains("dynamically linked") { continue }
      return URL(fileURLWithPath: path)
    }
    throw PatchCheckError(
      .busyboxMissing, "no static busybox found (looked at \(candidates.joined(separator: ", ")))",
      hint: "install it: apt-get install busybox-static (scripts/setup.sh does)")
  }

  /// Writes the initramfs: busybox, /init = the runner script.
  public static func build(runner: String, busybox: URL, to output: URL) throws {
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
    try archive.finish().write(to: output)
  }
}

// What a built x86 kernel image says it is, read from the image itself: the boot protocol's
// setup header (Documentation/arch/x86/boot.rst) points at the version string the build
// wrote, "7.3.4-pc1a2b3c4d5e6f (patchcheck@patchcheck) #3 SMP PREEMPT ...". Checking it
// against the build's include/config/kernel.release tells a build folder whose image another
// process replaced from one that holds this build's kernel, before anything boots it.

import Foundation
import PatchCheckBase
import PatchCheckSeries

package enum KernelImage {
  /// The release an x86 bzImage names, or nil when the file is not one (no "HdrS" header,
  /// a protocol older than 2.00, no version string).
  package static func release(of url: URL) -> String? {
    guard let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
    defer { try? handle.close() }
    guard let header = try? handle.read(upToCount: 0x210), header.count >= 0x210 else { return nil }
    let bytes = [UInt8](header)
    guard bytes[0x202..<0x206].elementsEqual("HdrS".utf8) else { return nil }
    let version = UInt16(bytes[0x206]) | UInt16(bytes[0x207]) << 8
    let pointer = Int(UInt16(bytes[0x20E]) | UInt16(bytes[0x20F]) << 8)
    guard version >= 0x0200, pointer != 0 else { return nil }
    guard (try? handle.seek(toOffset: UInt64(pointer + 0x200))) != nil, let text = try? handle.read(upToCount: 256) else {
      return nil
    }
    let string = text.prefix { $0 != 0 }
    guard let release = String(decoding: string, as: UTF8.self).split(separator: " ").first, !release.isEmpty else { return nil }
    return String(release)
  }

  /// The release the image at `url` names when it is not `release`: a build folder's image that
  /// another kernel's build wrote. nil when they agree, or when either cannot be told.
  package static func otherRelease(in url: URL, than release: String?) -> String? {
    guard let release, let named = self.release(of: url), named != release else { return nil }
    return named
  }
}

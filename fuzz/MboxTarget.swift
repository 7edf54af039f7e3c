// libFuzzer target: an mbox through SeriesParser.exercise (split, decode, parse, diffs).

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMbox(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  SeriesParser.exercise(Data(bytes: data, count: size))
  return 0
}

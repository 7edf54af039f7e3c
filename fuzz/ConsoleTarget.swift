// libFuzzer target: a console log through ConsoleAnalyzer.exercise (analyzer and KTAP).

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConsole(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  ConsoleAnalyzer.exercise(Data(bytes: data, count: size))
  return 0
}

// Turns a console log into typed kernel reports. Cheap per line: the log is searched once
// per header literal (memmem over the bytes), and only lines holding one are decoded and
// matched against the formats; a report's own lines are read only around its header.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The log as bytes with its line starts.
package struct ConsoleBuffer {
  package let bytes: [UInt8]
  package let starts: [Int]

  package init(_ log: String) {
    var bytes = Array(log.utf8)
    if bytes.isEmpty { bytes = [] }
    var starts = [0]
    starts.reserveCapacity(bytes.count / 48 + 1)
    bytes.withUnsafeBufferPointer { buf in
      guard let base = buf.baseAddress else { return }
      var pos = 0
      while pos < buf.count, let hit = memchr(base + pos, 0x0A, buf.count - pos) {
        let offset = hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base)
        starts.append(offset + 1)
        pos = offset + 1
      }
    }
    self.bytes = bytes
    self.starts = starts
    // How often each byte occurs in the log's first MB: a search anchors on its needle's
    // rarest byte (what ripgrep does with a fixed table), so memchr stops at few false hits.
    var seen = [Int](repeating: 0, count: 256)
    for byte in bytes.prefix(1 << 20) { seen[Int(byte)] += 1 }
    frequency = seen
  }

  /// Counts of each byte value in the first MB.
  package let frequency: [Int]

  package var count: Int { starts.count }

  /// The printk caller of line `i` (see `Caller`) and the offset where its text starts, read
  /// off the bytes: `[  12.345678]`, optionally `[ T123]`/`[  C1]`, then a blank.
  package func prefix(_ i: Int) -> (caller: Int, text: Int) {
    let start = starts[i]
    let end = i + 1 < starts.count ? starts[i + 1] - 1 : bytes.count
    var p = start
    func digits() -> Int {
      var n = 0
      var seen = false
      while p < end, bytes[p] >= 0x30, bytes[p] <= 0x39 {
        n = n &* 10 &+ Int(bytes[p] - 0x30)
        p += 1
        seen = true
      }
      return seen ? n : -1
    }
    if p < end, bytes[p] == 0x2A {  // "** N printk messages dropped ** ": the slow path
      let whole = line(i)
      let (context, text) = ConsoleLine.split(whole)
      guard let context else { return (Caller.none, start) }
      return (Caller.code(context), start + whole.utf8.count - text.utf8.count)
    }
    if p < end, bytes[p] == 0x3C {  // "<6>"
      p += 1
      guard digits() >= 0, p < end, bytes[p] == 0x3E else { return (Caller.none, start) }
      p += 1
    }
    guard p < end, bytes[p] == 0x5B else { return (Caller.none, start) }
    p += 1
    while p < end, bytes[p] == 0x20 { p += 1 }
    guard digits() >= 0, p < end, bytes[p] == 0x2E else { return (Caller.none, start) }
    p += 1
    guard digits() >= 0, p < end, bytes[p] == 0x5D else { return (Caller.none, start) }
    p += 1
    var caller = Caller.console
    if p < end, bytes[p] == 0x5B {
      var q = p + 1
      while q < end, bytes[q] == 0x20 { q += 1 }
      if q < end, bytes[q] == 0x54 || bytes[q] == 0x43 {
        let isTask = bytes[q] == 0x54
        let save = p
        p = q + 1
        let n = digits()
        if n >= 0, p < end, bytes[p] == 0x5D {
          caller = isTask ? 1 + 2 * n : 2 + 2 * n
          p += 1
        } else {
          p = save
        }
      }
    }
    guard p < end, bytes[p] == 0x20 else { return (Caller.none, start) }
    return (caller, p + 1)
  }

  /// Line `i` from byte `offset` on, without its line end.
  package func text(_ i: Int, from offset: Int) -> Substring {
    var end = i + 1 < starts.count ? starts[i + 1] - 1 : bytes.count
    if end > offset, bytes[end - 1] == 0x0D { end -= 1 }
    return Substring(String(decoding: bytes[offset..<max(offset, end)], as: UTF8.self))
  }

  package func line(_ i: Int) -> String {
    var end = i + 1 < starts.count ? starts[i + 1] - 1 : bytes.count
    if end > starts[i], bytes[end - 1] == 0x0D { end -= 1 }
    return String(decoding: bytes[starts[i]..<end], as: UTF8.self)
  }

  package func lineIndex(ofOffset offset: Int) -> Int {
    var low = 0
    var high = starts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if starts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return low
  }

  /// `lines(containing:)` of each needle; a long log's needles are searched on `cores` cores.
  package func lines(containingEach needles: [String], cores: Int) -> [[Int]] {
    let parts = bytes.count >= 1 << 22 ? min(cores, needles.count) : 1
    guard parts > 1 else { return needles.map(lines(containing:)) }
    var found = [[Int]](repeating: [], count: needles.count)
    found.withUnsafeMutableBufferPointer { out in
      nonisolated(unsafe) let out = out
      DispatchQueue.concurrentPerform(iterations: parts) { part in
        for n in stride(from: part, to: needles.count, by: parts) { out[n] = lines(containing: needles[n]) }
      }
    }
    return found
  }

  /// The lines holding `needle`, each once, in order.
  package func lines(containing needle: String) -> [Int] {
    let pattern = Array(needle.utf8)
    var found: [Int] = []
    bytes.withUnsafeBufferPointer { buf in
      pattern.withUnsafeBufferPointer { pat in
        guard let base = buf.baseAddress, let p = pat.baseAddress else { return }
        guard !pat.isEmpty else { return }
        // memchr for the needle's rarest byte (at `k` in it), memcmp for the whole needle
        // (memmem is not in every libc module).
        let k = pat.indices.min { frequency[Int(pat[$0])] < frequency[Int(pat[$1])] } ?? 0
        var pos = 0
        while pos + pat.count <= buf.count, let hit = memchr(base + pos + k, Int32(pat[k]), buf.count - pos - pat.count + 1) {
          let offset = hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base) - k
          guard memcmp(base + offset, p, pat.count) == 0 else {
            pos = offset + 1
            continue
          }
          let line = lineIndex(ofOffset: offset)
          found.append(line)
          pos = line + 1 < starts.count ? starts[line + 1] : buf.count
        }
      }
    }
    return found
  }
}

/// A printk caller context as a number: none (no time stamp), console (a time stamp alone),
/// a task (`[ T123]`, odd) or a CPU (`[  C1]`, even).
package enum Caller {
  package static let none = -1
  package static let console = 0
  package static func isCPU(_ code: Int) -> Bool { code > 0 && code % 2 == 0 }
  package static func code(_ context: Substring) -> Int {
    guard context != "console", let kind = context.first, let n = Int(context.dropFirst()) else { return console }
    return kind == "T" ? 1 + 2 * n : 2 + 2 * n
  }
}

extension ConsoleLine {
  /// The printk prefix syzkaller reads (`[  12.3][ T123] `, optionally after `<6>` or a
  /// dropped-messages note): the caller context (`T123`, `C1`, or `console` for a time stamp
  /// alone; nil with no stamp) and the text after it.
  package static func split(_ line: String) -> (context: Substring?, text: Substring) {
    var rest = line[...]
    if rest.hasPrefix("** "), let end = rest.range(of: " printk messages dropped ** ") { rest = rest[end.upperBound...] }
    if rest.first == "<", let close = rest.firstIndex(of: ">"), rest[rest.index(after: rest.startIndex)..<close].allSatisfy(\.isNumber) {
      rest = rest[rest.index(after: close)...]
    }
    guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return (nil, line[...]) }
    let stamp = rest[rest.index(after: rest.startIndex)..<close].drop { $0 == " " }
    guard let dot = stamp.firstIndex(of: "."), !stamp[..<dot].isEmpty, stamp[..<dot].allSatisfy(\.isNumber),
      stamp[stamp.index(after: dot)...].allSatisfy(\.isNumber), stamp.index(after: dot) < stamp.endIndex
    else { return (nil, line[...]) }
    rest = rest[rest.index(after: close)...]
    var context: Substring = "console"
    if rest.first == "[", let close2 = rest.firstIndex(of: "]") {
      let caller = rest[rest.index(after: rest.startIndex)..<close2].drop { $0 == " " }
      if let kind = caller.first, kind == "T" || kind == "C", caller.count > 1, caller.dropFirst().allSatisfy(\.isNumber) {
        context = caller
        rest = rest[rest.index(after: close2)...]
      }
    }
    guard rest.first == " " else { return (nil, line[...]) }
    return (context, rest.dropFirst())
  }
}

package struct ReportParser {
  package let buffer: ConsoleBuffer
  package let prefixes: PrefixCache
  /// How many threads a long log is read on (tests compare 1 with more).
  package var cores = ProcessInfo.processInfo.activeProcessorCount

  package init(_ log: String) {
    buffer = ConsoleBuffer(log)
    prefixes = PrefixCache(buffer)
  }

  private init(_ buffer: ConsoleBuffer, prefixes: PrefixCache) {
    self.buffer = buffer
    self.prefixes = prefixes
  }

  /// Each line's printk prefix, read once: reports in a busy log read the same lines. The
  /// table is calloc'd, so a cache that reads a part of the log touches only that part's pages.
  package final class PrefixCache {
    package let buffer: ConsoleBuffer
    /// Per line: 0 not read yet, else the caller + 2 (`Caller.none` is -1).
    private let callers: UnsafeMutablePointer<Int32>
    /// Per line: where its text starts, from the line's start.
    private let offsets: UnsafeMutablePointer<Int32>

    package init(_ buffer: ConsoleBuffer) {
      self.buffer = buffer
      callers = Self.zeroed(buffer.count)
      offsets = Self.zeroed(buffer.count)
    }

    /// calloc's pages stay the kernel's zero page until written.
    package static func zeroed(_ count: Int) -> UnsafeMutablePointer<Int32> {
      guard let raw = calloc(max(1, count), MemoryLayout<Int32>.stride) else { preconditionFailure("out of memory") }
      return raw.assumingMemoryBound(to: Int32.self)
    }

    deinit {
      free(callers)
      free(offsets)
    }

    package func callAsFunction(_ i: Int) -> (caller: Int, text: Int) {
      if callers[i] != 0 { return (Int(callers[i]) - 2, buffer.starts[i] + Int(offsets[i])) }
      let (caller, text) = buffer.prefix(i)
      // A caller number past Int32 (no kernel prints one) or a prefix past 2 GB is read again.
      if let stored = Int32(exactly: caller + 2), stored != 0, let offset = Int32(exactly: text - buffer.starts[i]) {
        callers[i] = stored
        offsets[i] = offset
      }
      return (caller, text)
    }
  }

  package struct Start {
    package var line: Int
    /// Index into ReportTable.all; nil for a cut-here marker with no known header after it.
    package var family: Int?
    /// The printk caller (`Caller`).
    package var context: Int
    /// For a header that introduces an oops (`ReportFamily.introducesOops`): the oops' line.
    package var oops: Int? = nil
  }

  /// The lines a report's header opens: the same printk caller's lines up to the next report.
  package struct Body {
    package var lines: [Int] = []
    /// Stripped text; questionable frames (`? func`) left out.
    package var text: [Substring] = []
    /// Stripped text with questionable frames.
    package var all: [Substring] = []
    package var allLines: [Int] = []
    /// The first line of the next report (the excerpt ends before it).
    package var excerptEnd = Int.max
  }

  package func splats() -> [Splat] {
    let starts = findStarts()
    var splats: [Splat] = []
    // Where each kind and title is in `splats`: a repeat is only counted, so its excerpt and
    // blocked task (the first report's are kept) are never read.
    var seen: [Splat.Kind: [String: Int]] = [:]
    for (n, described) in describeAll(starts).enumerated() {
      guard var splat = described else { continue }
      let start = starts[n]
      if let same = seen[splat.kind]?[splat.title] {
        splats[same].count += 1
        splats[same].otherLines.append(start.line + 1)
        continue
      }
      let body = self.body(of: start, next: starts[(n + 1)...])
      splat.excerpt = excerpt(body)
      if splat.kind == .hungTask {
        // lockdep's "locks held by task/pid:" list, if it follows within 400 lines.
        let lines = start.line..<min(buffer.count, start.line + 400)
        let held = lines.first { buffer.text($0, from: prefixes($0).text).hasPrefix("locks held by ") && isHeldLocks($0, of: start) }
        let window = held.map { ($0..<min(buffer.count, $0 + 33)).map { String(buffer.text($0, from: prefixes($0).text)) } } ?? []
        splat.blocked = ConsoleAnalyzer.blockedTask(body.all.prefix(80).map(String.init), function: splat.function, log: window[...])
      }
      seen[splat.kind, default: [:]][splat.title] = splats.count
      splats.append(splat)
    }
    return splats
  }

  /// Each report's kind and title (no excerpt), in the order of `starts`. Each report is read
  /// alone, so a busy log's reports are read on every core, in contiguous parts; each part
  /// has a prefix cache of its own (the cache is not shared between threads).
  package func describeAll(_ starts: [Start]) -> [Splat?] {
    // More parts than cores, so a core slowed by other work (the KTAP reader) takes fewer.
    let parts = cores > 1 ? min(4 * cores, starts.count / 64) : 1
    guard parts > 1 else { return starts.indices.map { describe(starts[$0], body(of: starts[$0], next: starts[($0 + 1)...])) } }
    var described = [Splat?](repeating: nil, count: starts.count)
    let size = (starts.count + parts - 1) / parts
    // Part 0 alone uses this parser's cache; the others read only `buffer` (immutable).
    nonisolated(unsafe) let this = self
    described.withUnsafeMutableBufferPointer { out in
      nonisolated(unsafe) let out = out
      DispatchQueue.concurrentPerform(iterations: parts) { part in
        let parser = part == 0 ? this : ReportParser(this.buffer, prefixes: PrefixCache(this.buffer))
        for n in part * size..<min(starts.count, (part + 1) * size) {
          out[n] = parser.describe(starts[n], parser.body(of: starts[n], next: starts[(n + 1)...]))
        }
      }
    }
    return described
  }

  /// Whether line `i` lists the locks of the task a hung-task report at `start` names.
  package func isHeldLocks(_ i: Int, of start: Start) -> Bool {
    let header = buffer.text(start.line, from: prefixes(start.line).text)
    guard let task = Match.after("INFO: task ", in: header), let end = task.find(" blocked") else { return false }
    let id = task[..<end.lowerBound]
    guard let colon = id.lastIndex(of: ":") else { return false }
    let who = "locks held by \(id[..<colon])/\(id[id.index(after: colon)...]):"
    return buffer.text(i, from: prefixes(i).text).hasPrefix(who)
  }

  // MARK: Finding reports

  package func findStarts() -> [Start] {
    let needles = ReportTable.all.map(\.header) + [ReportTable.cutHere, ReportTable.endOfTrace]
    let found = buffer.lines(containingEach: needles, cores: cores)
    var candidates = Set<Int>()
    for lines in found.dropLast() { candidates.formUnion(lines) }
    let cutHere = Set(found[found.count - 2])
    let ends = found[found.count - 1]
    var starts: [Start] = []
    var headerLines = Set<Int>()
    for i in candidates.sorted() {
      let (context, offset) = prefixes(i)
      let text = buffer.text(i, from: offset)
      if let family = Self.family(of: text) {
        headerLines.insert(i)
        let f = ReportTable.all[family]
        // The first header of its caller just after a CFI failure is the oops its trap printed.
        if let k = starts.indices.reversed().prefix(while: { i - starts[$0].line <= 12 }).first(where: {
          starts[$0].context == context || context <= Caller.console
        }), let introducing = starts[k].family, ReportTable.all[introducing].introducesOops, starts[k].oops == nil,
          family != introducing
        {
          starts[k].oops = i
          continue
        }
        // A panic, an "invalid opcode" or an arm "Internal error" after a report of the same
        // printk caller is that report going on (other callers' reports may sit in between);
        // die()'s banners only until that report's end marker.
        if f.continuesReport,
          let report = starts.reversed().prefix(while: { i - $0.line <= 200 }).first(where: {
            $0.context == context || context <= Caller.console
          }), !(f.continuesUntilEndOfTrace && hasEnded(report, before: i, ends: ends))
        {
          continue
        }
        if f.header == "Booting the kernel.", !hasKernelOutput(before: i) { continue }
        // RCU prints "self-detected stall on CPU" and "detected stalls on CPUs/tasks" for one
        // stall: the second header is the same report.
        if text.has("INFO: rcu_"), text.has(" stall"),
          starts.reversed().prefix(while: { i - $0.line <= 10 }).contains(where: {
            $0.context == context && $0.family == family
              && prefixes.buffer.text($0.line, from: prefixes($0.line).text).has(" stall")
          })
        {
          continue
        }
        // A lockdep header two lines into its "=====" banner, or a report printed twice.
        starts.append(Start(line: i, family: family, context: context))
      } else if cutHere.contains(i) {
        starts.append(Start(line: i, family: nil, context: context))
      }
    }
    // A cut-here marker is the start of the report whose header follows it.
    return starts.filter { start in
      guard start.family == nil else { return true }
      return !(start.line + 1...start.line + 12).contains { headerLines.contains($0) }
    }
  }

  /// Whether the report at `start` printed its end marker (a line of `ends`, from its printk
  /// caller, or from any when it has none) before line `i`.
  package func hasEnded(_ start: Start, before i: Int, ends: [Int]) -> Bool {
    var low = 0
    var high = ends.count
    while low < high {
      let mid = (low + high) / 2
      if ends[mid] <= start.line { low = mid + 1 } else { high = mid }
    }
    for end in ends[low...] {
      if end >= i { break }
      if start.context <= Caller.console || prefixes(end).caller == start.context { return true }
    }
    return false
  }

  /// The family whose literal the line holds and that does not call it benign, if any.
  package static func family(of text: Substring) -> Int? {
    for (i, family) in ReportTable.all.enumerated() {
      guard let at = text.find(family.header) else { continue }
      if family.wordStart, at.lowerBound > text.startIndex {
        let before = text[text.index(before: at.lowerBound)]
        if before.isLetter || before.isNumber || before == "_" { continue }
      }
      if family.benign.contains(where: { text.has($0) }) { continue }
      if let requires = family.requires, !requires(text) { continue }
      return i
    }
    // "Oops" headers no format knows (continuations of another report are dropped by the caller).
    return nil
  }

  /// "Booting the kernel." after the kernel has printed: an unexpected reboot, not the boot.
  package func hasKernelOutput(before line: Int) -> Bool {
    (max(0, line - 200)..<line).contains { prefixes($0).caller != Caller.none }
  }

  package func body(of start: Start, next: ArraySlice<Start>) -> Body {
    let ownContext = start.context > Caller.console
    // Without a caller id the next report ends this one (its lines cannot be told apart);
    // with one, the caller's lines go on past its next header as in syzkaller, since a report
    // cut by an oops it caused (a lockdep splat, then its GPF) still has its trace further on.
    // The excerpt stops at the next header either way.
    let nextHeader = next.first { !ownContext || $0.context == start.context }.map(\.line) ?? buffer.count
    let limit = ownContext ? buffer.count : nextHeader
    var body = Body()
    body.excerptEnd = nextHeader
    var cpuTraceback = false
    var j = start.line
    // Deep recursions (stack guard page, stalls) need the whole trace to reach an anchor.
    while j < min(limit, start.line + 3000), body.all.count < 1000 {
      defer { j += 1 }
      let (context, offset) = prefixes(j)
      if j != start.line, ownContext, context != start.context, !(cpuTraceback && Caller.isCPU(context)) { continue }
      let text = buffer.text(j, from: offset)
      if j != start.line {
        if text.has("Disabling lock debugging due to kernel taint") { continue }
        if text.has("Sending NMI from CPU") { cpuTraceback = true }
        let minimum = body.text.first?.has("BUG: KMSAN:") == true ? 16 : 22
        if body.text.count > minimum,
          text.has("Kernel panic - not syncing") || text.has("WARNING: possible circular locking dependency detected")
        {
          break
        }
      }
      body.all.append(text)
      body.allLines.append(j)
      if Match.isQuestionable(text) { continue }
      body.text.append(text)
      body.lines.append(j)
    }
    return body
  }

  // MARK: Titles

  /// A report's lines as shown, up to the next report, 80 lines or its end-of-trace line.
  package func excerpt(_ body: Body) -> [String] {
    // Shown, and cut: a guest can print a line of any length (printk's own are under 1024).
    let raw = body.allLines.prefix { $0 < body.excerptEnd }.prefix(80).map {
      VisibleText.of(buffer.line($0), limit: ConsoleLine.shownLimit)
    }
    var excerpt: [String] = []
    for line in raw {
      excerpt.append(line)
      if line.has("---[ end trace") || line.has("---[ end Kernel panic") { break }
    }
    return excerpt
  }

  /// The report's kind and title (its excerpt is left for `excerpt(_:)`). nil: a header of a
  /// family that does not fail closed, in no format of it.
  package func describe(_ start: Start, _ body: Body) -> Splat? {
    guard let index = start.family else {
      // A cut-here marker with no header after it: the next line says what happened.
      let next = body.text.dropFirst().first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
      let title = next.map { "cut here: " + String($0) } ?? "cut here"
      return Self.splat(start, .unrecognised, TitleText.generalise(title), nil, unrecognised: true)
    }
    let family = ReportTable.all[index]
    // A header that introduces an oops (a CFI failure): the oops titles the report when a
    // format knows it, read from its own line on as if the report started there.
    if let oops = start.oops, let at = body.lines.firstIndex(of: oops), let all = body.allLines.firstIndex(of: oops),
      let oopsFamily = Self.family(of: body.text[at]),
      let described = formatted(start, oopsFamily, Array(body.text[at...]), Array(body.all[all...]))
    {
      return described
    }
    if var described = formatted(start, index, body.text, body.all) {
      // Its oops never came: the console lost the rest of the report.
      if family.introducesOops, start.oops == nil { described.corrupted = true }
      return described
    }
    guard family.failClosed else { return nil }
    let headerLine = body.text.first ?? ""
    let header = headerLine.range(of: family.header).map { headerLine[$0.lowerBound...] } ?? headerLine
    return Self.splat(start, family.fallbackKind, TitleText.generalise(String(header)), nil, unrecognised: true, corrupted: true)
  }

  /// The report titled by the first format of family `index` that matches `text` (its first
  /// line is the header line; `all` is `text` with the questionable frames); nil: none does.
  package func formatted(_ start: Start, _ index: Int, _ text: [Substring], _ all: [Substring]) -> Splat? {
    let family = ReportTable.all[index]
    let headerLine = text.first ?? ""
    let header = headerLine.range(of: family.header).map { headerLine[$0.lowerBound...] } ?? headerLine
    for format in family.formats {
      guard var args = format.match(header, text) else { continue }
      var corrupted = format.corrupted
      var frame: String?
      if let stack = format.stack {
        var frames = StackReader.frames(stack, text, allowQuestionable: false)
        if frames.contains("corrupted"), all.count > text.count {
          let guessed = StackReader.frames(stack, all, allowQuestionable: true)
          if !guessed.contains("corrupted") { frames = guessed }
        }
        if frames.contains("corrupted") { corrupted = true }
        frame = frames.last.flatMap { $0 == "corrupted" ? nil : $0 }
        args += frames
      }
      var title = format.template
      for (n, arg) in args.enumerated().reversed() { title = title.replacingOccurrences(of: "{\(n + 1)}", with: arg) }
      title = TitleText.generalise(title)
      // The function is the one the title names (syzkaller's Frame), even when frames were read.
      let function = TitleText.function(in: title) ?? (title.has(" in ") ? nil : frame)
      return Self.splat(start, format.kind, title, function, corrupted: corrupted)
    }
    return nil
  }

  package static func splat(
    _ start: Start, _ kind: Splat.Kind, _ title: String, _ function: String?, unrecognised: Bool = false, corrupted: Bool = false
  ) -> Splat {
    var s = Splat(kind: kind, title: title, function: function, line: start.line + 1, excerpt: [])
    if unrecognised { s.unrecognised = true }
    if corrupted { s.corrupted = true }
    return s
  }
}

/// Reads the function a title names out of a report's lines, following a stack spec.
package enum StackReader {
  /// One entry per stack trace read: the guilty frame, or "corrupted" when none was found.
  package static func frames(_ stack: StackSpec, _ lines: [Substring], allowQuestionable: Bool) -> [String] {
    let first = read(stack.parts, stack, lines, allowQuestionable)
    if !first.contains("corrupted") || stack.parts2.isEmpty { return first }
    return read(stack.parts2, stack, lines, allowQuestionable)
  }

  package static func read(_ parts: [StackPart], _ stack: StackSpec, _ lines: [Substring], _ allowQuestionable: Bool) -> [String] {
    var frames: [String] = []
    var results: [String] = []
    var traces = 0
    var cursor = 0
    var p = 0
    func add(_ names: [String]) {
      for name in names where !stack.skipsFrames || !SkipList.skips(name, stack.skip) { frames.append(SkipList.strip(name)) }
    }
    while true {
      if p == parts.count || (p < parts.count && isTrace(parts[p]) && traces > 0) {
        results.append(SkipList.pick(frames, stack.extractor) ?? "corrupted")
        frames = []
      }
      if p == parts.count { break }
      switch parts[p] {
      case .trace:
        traces += 1
        scan: while cursor < lines.count {
          let line = lines[cursor]
          cursor += 1
          if Match.isCorruptingLine(line) {
            results.append("corrupted")
            break scan
          }
          if Match.startsStack(line) { break scan }
          if p + 1 < parts.count, case .find(let next) = parts[p + 1], let names = next(line) {
            add(names)
            p += 1
            break scan
          }
          add(Match.frames(line, allowQuestionable: allowQuestionable))
        }
      case .find(let accept):
        while cursor < lines.count {
          let line = lines[cursor]
          cursor += 1
          if Match.isCorruptingLine(line) {
            results.append("corrupted")
            break
          }
          if let names = accept(line) {
            add(names)
            break
          }
        }
      }
      p += 1
    }
    return results
  }

  package static func isTrace(_ part: StackPart) -> Bool {
    if case .trace = part { return true }
    return false
  }
}

/// syzkaller's title clean-up: nothing that changes from run to run (pids, addresses, line
/// numbers, offsets, CPU numbers, other numbers) stays in a title.
package enum TitleText {
  nonisolated(unsafe) static let executor = #/syz-executor\.?[0-9]+(?:[/:][0-9]+)?/#
  nonisolated(unsafe) static let syzkaller = #/syzkaller[0-9]+(?:[/:][0-9]+)?/#
  nonisolated(unsafe) static let address = #/([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}/#
  nonisolated(unsafe) static let ip = #/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/#
  nonisolated(unsafe) static let fileLine = #/(\.\w+)(?::[0-9]+)+/#
  nonisolated(unsafe) static let offset = #/([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+\/0x[0-9a-z]+/#
  nonisolated(unsafe) static let cpu = #/CPU#[0-9]+/#
  nonisolated(unsafe) static let number = #/(\W)(\d+)(\W|$)/#
  nonisolated(unsafe) static let longNumber = #/\d{7,}/#

  package static func generalise(_ title: String) -> String {
    var t = title
    if t.contains(where: \.isNumber) {
      t = repeatedly(t) { $0.replacing(executor, with: "syz-executor") }
      t = repeatedly(t) { $0.replacing(syzkaller, with: "syzkaller") }
      t = repeatedly(t) { $0.replacing(address) { "\($0.output.1)ADDR" } }
      t = repeatedly(t) { $0.replacing(ip, with: "IP") }
      t = repeatedly(t) { $0.replacing(fileLine) { "\($0.output.1):LINE" } }
      t = repeatedly(t) { $0.replacing(offset) { String($0.output.1) } }
      t = repeatedly(t) { $0.replacing(cpu, with: "CPU") }
      t = repeatedly(t) { $0.replacing(number) { "\($0.output.1)NUM\($0.output.3)" } }
      t = repeatedly(t) { $0.replacing(longNumber, with: "NUM") }
    }
    return sanitise(t)
  }

  package static func repeatedly(_ s: String, _ step: (String) -> String) -> String {
    var current = s
    for _ in 0..<8 {
      let next = step(current)
      if next == current { break }
      current = next
    }
    return current
  }

  /// At most 120 bytes, tabs as blanks, no control bytes or non-ASCII, single blanks.
  package static func sanitise(_ title: String) -> String {
    var out: [UInt8] = []
    var previous: UInt8 = 0x20
    for (i, var byte) in title.utf8.enumerated() {
      if i >= 120 { break }
      if byte == 0x09 { byte = 0x20 }
      if byte < 0x20 || byte >= 0x7F { continue }
      if byte == 0x20, previous == 0x20 { continue }
      out.append(byte)
      previous = byte
    }
    return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespaces)
  }

  /// The function a title names: the word after its last " in ".
  package static func function(in title: String) -> String? {
    guard let r = title.range(of: " in ", options: .backwards) else { return nil }
    let name = title[r.upperBound...].prefix { $0.asciiValue.map(Match.isIdent) ?? false }
    return name.isEmpty || name == "corrupted" ? nil : String(name)
  }
}

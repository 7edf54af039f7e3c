// The lock-order witness's stream as the guest sends it since issue 30's binary stream: the
// ring buffer's own pages (tracefs's per-CPU trace_pipe_raw), not text the guest formatted.
// The guest (guest/witness.sh) writes, each part padded with NULs to whole pages:
//
//     patchcheck-witness pages 4096              the header: the page size, then tracefs's own
//     header_page:<line>                         descriptions (`grep -H ''` of header_page,
//     lock/lock_acquire/format:<line> ...        header_event and the three events' format
//     <pages of every CPU, as read>              files): the layouts, the events' ids
//     patchcheck-witness end                     the trailer: the end, then saved_cmdlines
//     <pid> <comm> ...                           ("pid comm" per line, the tasks' names)
//
// A page (kernel/trace/ring_buffer.c, `struct buffer_data_page`): a 64-bit time stamp, the
// commit (bytes of events, with RB_MISSED_EVENTS 1<<31 and RB_MISSED_STORED 1<<30: events
// were lost before this page, their count stored after the data), then the events, each with
// a 32-bit header: type_len (5 bits; 1-28 the data's length in words, 0 the length in the next
// word, 29 padding, 30 a time extend, 31 an absolute time stamp) and time_delta (27 bits).
// Each CPU's pages come in order, the CPUs' pages interleaved: the events are put in time
// order across CPUs as trace_pipe does (by time stamp; a tie keeps the stream's order).

import Foundation
import PatchCheckKernel

package enum LockTracePages {
  package static let headerMagic = "patchcheck-witness pages "
  package static let trailerMagic = "patchcheck-witness end"

  /// One decoded event: a step marker (ftrace's print event) or a lock taken or let go.
  struct Record {
    var time: UInt64
    var line: LockTrace.Line
  }

  /// The stream's decoded events in time order; `complete` when the trailer came and no page
  /// says events were lost; `lost` the events the pages say were lost (when the kernel stored
  /// the count; a page that only flags a loss counts one).
  struct Decoded {
    var records: [Record]
    var complete: Bool
    var lost: Int
  }

  /// Whether `bytes` is a stream of pages (the header's first line) rather than text.
  static func isPages(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    LockTrace.starts(bytes, at: 0, end: bytes.count, with: headerMagic)
  }

  /// A field of an event's format file: where it is in the event and how long.
  struct Field {
    var offset: Int
    var size: Int
  }

  struct Layout {
    var page = 4096
    var timestamp = Field(offset: 0, size: 8)
    var commit = Field(offset: 8, size: 8)
    var data = 16
    /// Event id -> name ("lock_acquire", "lock_release", "print") and fields.
    var events: [Int: (name: String, fields: [String: Field])] = [:]
  }

  /// The header's text: tracefs's format files as `grep -H ''` printed them.
  static func layout(_ text: Substring) -> Layout {
    var layout = Layout()
    var ids: [String: Int] = [:]
    var names: [String: String] = [:]
    var fields: [String: [String: Field]] = [:]
    for raw in text.split(separator: "\n") {
      if raw.hasPrefix(headerMagic) {
        layout.page = Int(raw.dropFirst(headerMagic.count).trimmingCharacters(in: .whitespaces)) ?? 4096
        continue
      }
      guard let colon = raw.firstIndex(of: ":") else { continue }
      let file = String(raw[..<colon])
      let line = raw[raw.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("name: ") { names[file] = String(line.dropFirst(6)) }
      if line.hasPrefix("ID: ") { ids[file] = Int(line.dropFirst(4)) }
      // "field:unsigned int flags;	offset:8;	size:4;	signed:0;"
      guard line.hasPrefix("field:") else { continue }
      let parts = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
      guard parts.count >= 3, let offset = Int(parts[1].dropFirst("offset:".count)),
        let size = Int(parts[2].dropFirst("size:".count)),
        let name = parts[0].split(separator: " ").last.map({ String($0.split(separator: "[")[0]) })
      else { continue }
      fields[file, default: [:]][name] = Field(offset: offset, size: size)
    }
    if let page = fields["header_page"] {
      if let field = page["timestamp"] { layout.timestamp = field }
      if let field = page["commit"] { layout.commit = field }
      if let field = page["data"] { layout.data = field.offset }
    }
    for (file, id) in ids { layout.events[id] = (names[file] ?? file, fields[file] ?? [:]) }
    return layout
  }

  /// The stream's bytes, read little-endian (the guest's, x86's).
  struct Bytes {
    let bytes: UnsafeBufferPointer<UInt8>

    func u32(_ at: Int) -> UInt32 {
      UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
    func number(_ at: Int, _ size: Int) -> UInt64 {
      switch size {
      case 1: UInt64(bytes[at])
      case 2: UInt64(bytes[at]) | UInt64(bytes[at + 1]) << 8
      case 4: UInt64(u32(at))
      default: u64(at)
      }
    }
    /// The text from `from` up to its NUL or `to`.
    func text(_ from: Int, _ to: Int) -> Substring {
      var end = from
      while end < to, bytes[end] != 0 { end += 1 }
      return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<end]), as: UTF8.self))
    }
  }

  /// An event found on a page, before its fields are read: its time, its format, and where
  /// its payload is.
  struct Raw {
    var time: UInt64
    var kind: String
    var fields: [String: Field]
    var start: Int
    var end: Int
  }

  static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Decoded {
    let reader = Bytes(bytes: bytes)
    // The header: text up to its first NUL, padded to whole pages.
    var headerEnd = 0
    while headerEnd < bytes.count, bytes[headerEnd] != 0 { headerEnd += 1 }
    let layout = layout(reader.text(0, headerEnd))
    let page = max(layout.page, 64)
    var raws: [Raw] = []
    var lost = 0
    var comms: [Int32: String]?
    var at = (headerEnd + page - 1) / page * page
    while at + page <= bytes.count {
      if LockTrace.starts(bytes, at: at, end: bytes.count, with: trailerMagic) {
        comms = names(reader.text(at, bytes.count))
        break
      }
      lost += events(on: at, reader, layout, into: &raws)
      at += page
    }
    let records = raws.compactMap { record($0, reader, comms ?? [:]) }
    // Time order across CPUs; a stable sort keeps each CPU's own order at equal times.
    let ordered = records.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    return Decoded(records: ordered, complete: comms != nil && lost == 0, lost: lost)
  }

  /// The trailer's saved_cmdlines: "pid comm" per line after its first.
  static func names(_ text: Substring) -> [Int32: String] {
    var comms: [Int32: String] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let parts = line.split(separator: " ", maxSplits: 1)
      if parts.count == 2, let pid = Int32(parts[0]) { comms[pid] = String(parts[1]) }
    }
    return comms
  }

  /// The events of the page at `at`, in its order with their times, added to `raws`; returns
  /// the events the page says were lost before it.
  static func events(on at: Int, _ reader: Bytes, _ layout: Layout, into raws: inout [Raw]) -> Int {
    var time = reader.number(at + layout.timestamp.offset, layout.timestamp.size)
    let commit = reader.number(at + layout.commit.offset, layout.commit.size)
    let length = Int(commit & 0x3FFF_FFFF)
    var lost = 0
    if commit & (1 << 31) != 0 {
      // The count of the lost events sits after the data when the kernel had room for it.
      let stored = commit & (1 << 30) != 0 && layout.data + length + 8 <= layout.page
      lost = stored ? Int(reader.u64(at + layout.data + length)) : 1
    }
    let end = min(at + layout.data + length, at + layout.page)
    var event = at + layout.data
    while event + 4 <= end {
      let head = reader.u32(event)
      let delta = UInt64(head >> 5)
      var dataStart = event + 4
      var dataLength = Int(head & 31) * 4
      switch head & 31 {
      case 29:  // padding: the rest of the page, or a discarded event of array[0] bytes
        guard delta != 0, event + 8 <= end else { return lost }
        event += 4 + Int(reader.u32(event + 4))
        continue
      case 30, 31:  // a time extend, an absolute time stamp
        guard event + 8 <= end else { return lost }
        let value = delta + UInt64(reader.u32(event + 4)) << 27
        time = head & 31 == 30 ? time + value : value
        event += 8
        continue
      case 0:  // the length in the next word
        guard event + 8 <= end else { return lost }
        dataStart = event + 8
        dataLength = Int(reader.u32(event + 4)) - 4
      default:
        break
      }
      time += delta
      event = dataStart + max(dataLength, 0)
      guard event <= end else { return lost }
      // Shorter than the common fields: no event of ours; the page goes on after it.
      if dataLength >= 8, let format = layout.events[Int(reader.number(dataStart, 2))] {
        raws.append(Raw(time: time, kind: format.name, fields: format.fields, start: dataStart, end: event))
      }
    }
    return lost
  }

  /// What an event says: a step's marker (ftrace's print of "patchcheck: ..."), or a lock
  /// taken or let go by a task (named by the trailer's saved_cmdlines, "<...>" when it has
  /// none, as the kernel prints one). Nil for any other, and for the runner's and the copier's.
  static func record(_ raw: Raw, _ reader: Bytes, _ comms: [Int32: String]) -> Record? {
    if raw.kind == "print" {
      guard let field = raw.fields["buf"] else { return nil }
      let message = reader.text(raw.start + field.offset, raw.end).trimmingCharacters(in: .newlines)
      guard message.hasPrefix(LockWitnessProgram.stepMarkerPrefix) else { return nil }
      return Record(time: raw.time, line: .marker(String(message.dropFirst(LockWitnessProgram.stepMarkerPrefix.count))))
    }
    guard raw.kind == "lock_acquire" || raw.kind == "lock_release", let field = raw.fields["lockdep_addr"],
      let location = raw.fields["name"], raw.start + location.offset + 4 <= raw.end
    else { return nil }
    // __data_loc: the string's offset in the low 16 bits, its length in the high 16.
    let loc = reader.u32(raw.start + location.offset)
    let from = min(raw.start + Int(loc & 0xFFFF), raw.end)
    let name = String(reader.text(from, min(from + Int(loc >> 16), raw.end)))
    let pid = Int32(bitPattern: reader.u32(raw.start + 4))
    let comm = comms[pid] ?? "<...>"
    // The runner itself (init) and the stream's own copier are not what a scenario drives.
    if pid == 1 || comm == "dd" { return nil }
    let address = String(reader.number(raw.start + field.offset, field.size), radix: 16)
    let flags = raw.fields["flags"].map { reader.number(raw.start + $0.offset, $0.size) } ?? 0
    let irq = reader.bytes[raw.start + 2]
    // As the kernel prints the context (kernel/trace/trace_output.c): NMI, hard and soft
    // interrupts; a task otherwise.
    let context: Character =
      irq & 0x40 != 0 ? (irq & 0x08 != 0 ? "Z" : "z") : irq & 0x08 != 0 ? (irq & 0x10 != 0 ? "H" : "h") : irq & 0x10 != 0 ? "s" : "t"
    let event = LockTrace.Event(
      acquire: raw.kind == "lock_acquire", task: "\(comm)-\(pid)",
      address: String(repeating: "0", count: max(0, 16 - address.count)) + address, lock: name, trylock: flags & 1 != 0,
      context: context, inAtomic: irq & 0x01 != 0 || context != "t")
    return Record(time: raw.time, line: .lock(event))
  }
}

import Foundation
import Testing

@testable import PatchCheckKit
@testable import PatchCheckVerdict

/// The ring buffer's pages as the kernel writes them (kernel/trace/ring_buffer.c: a page's time
/// stamp and commit, then events with a 32-bit header of type_len and time_delta), with the
/// format files tracefs gave on 7.3.4 (x86-64): the stand-in kernel of the witness's host
/// tests, written here from the kernel's layout, not from patchcheck's reader.
enum StandInPages {
  enum Kind { case acquire, release, marker }

  struct Event {
    var time: UInt64
    var pid: Int32
    var kind: Kind
    var address: UInt64 = 0
    /// The lock's class, or the marker's text.
    var name: String
    /// common_flags: 0x01 interrupts off, 0x08 hard interrupt, 0x10 soft interrupt.
    var irq: UInt8 = 0
    var trylock = false
  }

  /// The fields every event starts with (struct trace_entry), as each format file lists them.
  static let commonFields = """
    \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
    \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
    \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
    \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
    """

  /// tracefs's files as `grep -H ''` prints them from events/ (guest/witness.sh's header).
  static let formats: [String: String] = [
    "header_page": """
    \tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;
    \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;
    \tfield: char overwrite;\toffset:8;\tsize:1;\tsigned:0;
    \tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;

    """,
    "header_event": """
    # compressed entry header
    \ttype_len    :    5 bits
    \ttime_delta  :   27 bits
    \tarray       :   32 bits

    \tpadding     : type == 29
    \ttime_extend : type == 30
    \ttime_stamp : type == 31
    \tdata max type_len  == 28

    """,
    "lock/lock_acquire/format": """
    name: lock_acquire
    ID: 114
    format:
    \(commonFields)

    \tfield:unsigned int flags;\toffset:8;\tsize:4;\tsigned:0;
    \tfield:__data_loc char[] name;\toffset:12;\tsize:4;\tsigned:0;
    \tfield:void * lockdep_addr;\toffset:16;\tsize:8;\tsigned:0;

    print fmt: "%p %s%s%s", REC->lockdep_addr, (REC->flags & 1) ? "try " : "", (REC->flags & 2) ? "read " : "", __get_str(name)

    """,
    "lock/lock_release/format": """
    name: lock_release
    ID: 113
    format:
    \(commonFields)

    \tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;
    \tfield:void * lockdep_addr;\toffset:16;\tsize:8;\tsigned:0;

    print fmt: "%p %s", REC->lockdep_addr, __get_str(name)

    """,
    "ftrace/print/format": """
    name: print
    ID: 5
    format:
    \(commonFields)

    \tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;
    \tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;

    print fmt: "%ps: %s", (void *)REC->ip, REC->buf

    """,
  ]

  static let fileOrder = ["header_page", "header_event", "lock/lock_acquire/format", "lock/lock_release/format", "ftrace/print/format"]

  static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

  /// One event's payload: the common fields, then the event's own (offsets as the formats say).
  static func payload(_ event: Event) -> [UInt8] {
    let id: UInt16 = event.kind == .acquire ? 114 : event.kind == .release ? 113 : 5
    var bytes = le(id) + [event.irq, 1] + le(event.pid)
    let text = Array(event.name.utf8) + [0]
    switch event.kind {
    case .acquire:
      bytes += le(UInt32(event.trylock ? 1 : 0)) + le(UInt32(text.count) << 16 | 24) + le(event.address) + text
    case .release:
      bytes += le(UInt32(text.count) << 16 | 24) + le(UInt32(0)) + le(event.address) + text
    case .marker:
      bytes += le(UInt64(0xffff_ffff_8100_0000)) + Array((event.name + "\n").utf8) + [0]
    }
    while bytes.count % 4 != 0 { bytes.append(0) }
    return bytes
  }

  /// One CPU's events on one page: a time extend where the delta needs more than 27 bits, a
  /// payload over 112 bytes with its length in the next word (type_len 0), and `padding`
  /// bytes of a discarded event after the first event.
  static func page(_ events: [Event], padding: Int = 0, missed: UInt64? = nil, size: Int = 4096) -> [UInt8] {
    let start = events.first?.time ?? 0
    var data: [UInt8] = []
    var last = start
    for (index, event) in events.enumerated() {
      var delta = event.time - last
      if delta >= 1 << 27 {
        data += le(UInt32(30) | UInt32(truncatingIfNeeded: delta & ((1 << 27) - 1)) << 5) + le(UInt32(truncatingIfNeeded: delta >> 27))
        delta = 0
      }
      last = event.time
      let body = payload(event)
      if body.count <= 112 {
        data += le(UInt32(body.count / 4) | UInt32(delta) << 5) + body
      } else {
        data += le(UInt32(delta) << 5) + le(UInt32(body.count + 4)) + body
      }
      if index == 0, padding > 0 {
        data += le(UInt32(29) | 1 << 5) + le(UInt32(padding)) + [UInt8](repeating: 0xAA, count: padding - 4)
      }
    }
    var commit = UInt64(data.count)
    if let missed { commit |= 3 << 30 }
    var page = le(start) + le(commit) + data
    if let missed { page += le(missed) }
    precondition(page.count <= size, "one page's worth")
    return page + [UInt8](repeating: 0, count: size - page.count)
  }

  /// What the guest writes before the pages, padded to a whole page.
  static func header(size: Int = 4096) -> [UInt8] {
    var text = "\(LockTracePages.headerMagic)\(size)\n"
    for file in fileOrder {
      text += formats[file, default: ""].split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "\(file):\($0)\n" }
        .joined()
    }
    return padded(Array(text.utf8), size)
  }

  /// What the guest writes after the pages: the end, then saved_cmdlines.
  static func trailer(_ comms: [Int32: String], size: Int = 4096) -> [UInt8] {
    let text = "\(LockTracePages.trailerMagic)\n" + comms.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
    return padded(Array(text.utf8), size)
  }

  static func padded(_ bytes: [UInt8], _ size: Int) -> [UInt8] {
    bytes + [UInt8](repeating: 0, count: (size - bytes.count % size) % size)
  }

  /// Two steps taking two locks in opposite orders, on two CPUs: cpu0 has the first step's
  /// marker and its task's orders, then (later) a third step's marker; cpu1 has the second
  /// step's marker and its task's orders. Read in the stream's order, the second task's events
  /// would come after the third marker; in time order they are the second step's.
  static let cpu0: [Event] = [
    Event(time: 1_000, pid: 80, kind: .marker, name: "patchcheck: numvfs: enable 4 VFs"),
    Event(time: 1_100, pid: 82, kind: .acquire, address: 0xffff_8880_aaaa_0001, name: "&dev->mutex"),
    Event(time: 1_200, pid: 82, kind: .acquire, address: 0xffff_ffff_bbbb_0001, name: "pci_rescan_remove_lock"),
    Event(time: 1_300, pid: 82, kind: .release, address: 0xffff_ffff_bbbb_0001, name: "pci_rescan_remove_lock"),
    Event(time: 1_400, pid: 82, kind: .release, address: 0xffff_8880_aaaa_0001, name: "&dev->mutex"),
    // An interrupt on the same CPU takes a spinning lock in between: its own context.
    Event(time: 1_500, pid: 82, kind: .acquire, address: 0xffff_8880_cccc_0001, name: "&irq_desc_lock_class", irq: 0x09),
    Event(time: 1_600, pid: 82, kind: .release, address: 0xffff_8880_cccc_0001, name: "&irq_desc_lock_class", irq: 0x09),
    Event(time: 1_000 + 1 << 28, pid: 80, kind: .marker, name: "patchcheck: unbind: " + String(repeating: "a long step name ", count: 8)),
  ]
  static let cpu1: [Event] = [
    Event(time: 2_000, pid: 80, kind: .marker, name: "patchcheck: pf-remove: remove PF with VFs enabled"),
    Event(time: 2_100, pid: 90, kind: .acquire, address: 0xffff_ffff_bbbb_0001, name: "pci_rescan_remove_lock"),
    Event(time: 2_200, pid: 90, kind: .acquire, address: 0xffff_8880_aaaa_0001, name: "&dev->mutex"),
    Event(time: 2_300, pid: 90, kind: .release, address: 0xffff_8880_aaaa_0001, name: "&dev->mutex"),
    Event(time: 2_400, pid: 90, kind: .release, address: 0xffff_ffff_bbbb_0001, name: "pci_rescan_remove_lock"),
    Event(time: 3_000, pid: 80, kind: .marker, name: "patchcheck: end"),
  ]
  static let comms: [Int32: String] = [80: "init", 82: "sh", 90: "sh"]

  /// The whole stream: header, cpu0's page, cpu1's page, trailer.
  static func stream(trailer: Bool = true) -> Data {
    Data(header() + page(cpu0, padding: 12) + page(cpu1) + (trailer ? Self.trailer(comms) : []))
  }
}

@Suite struct LockTracePagesTests {
  /// The pages are decoded with the layout the header gives, the CPUs' events put in time
  /// order, and the tasks named from the trailer: the two orders, each in its own step.
  @Test func thePagesAreReadInTimeOrderAcrossCPUs() throws {
    let read = LockTrace.read(StandInPages.stream(), focus: ["&dev->mutex"])
    #expect(read.reachedEnd && read.lost == 0)
    let edges = read.edges.map { "\($0.held) -> \($0.taken) \($0.count) \($0.task) \($0.step) \($0.instances)" }
    #expect(
      edges == [
        "&dev->mutex -> pci_rescan_remove_lock 1 sh-82 numvfs: enable 4 VFs [\"ffff8880aaaa0001 ffffffffbbbb0001\"]",
        "pci_rescan_remove_lock -> &dev->mutex 1 sh-90 pf-remove: remove PF with VFs enabled [\"ffffffffbbbb0001 ffff8880aaaa0001\"]",
      ], "\(edges)")
    let console = "\(LockWitnessProgram.beginMarker)\nfocus\t&dev->mutex\noverrun 0 0 \ndropped 0 0 \n\(LockWitnessProgram.endMarker)\n"
    let witness = try #require(LockWitness.read(console, trace: StandInPages.stream()))
    #expect(witness.complete && witness.cycles.map(\.classes) == [["&dev->mutex", "pci_rescan_remove_lock"]])
    #expect(witness.cycles.first?.sameInstances == true)
  }

  /// Without the trailer the copier did not read every CPU to its end: the stream is a part.
  @Test func aStreamWithoutItsTrailerIsCutShort() throws {
    let read = LockTrace.read(StandInPages.stream(trailer: false), focus: [])
    #expect(!read.reachedEnd)
    #expect(read.edges.count == 2, "what came is read")
    // The tasks are then named as the kernel names one it has no name for.
    #expect(read.edges.first?.task == "<...>-82")
  }

  /// A page that says events were lost before it (RB_MISSED_EVENTS, with the count stored
  /// after its data): the stream is a part, and the count is said.
  @Test func aPageThatLostEventsMakesTheStreamAPart() throws {
    let stream = Data(
      StandInPages.header() + StandInPages.page(StandInPages.cpu0, missed: 37) + StandInPages.page(StandInPages.cpu1)
        + StandInPages.trailer(StandInPages.comms))
    let read = LockTrace.read(stream, focus: [])
    #expect(read.lost == 37 && !read.reachedEnd)
    let console = "\(LockWitnessProgram.beginMarker)\noverrun 0 0 \ndropped 0 0 \n\(LockWitnessProgram.endMarker)\n"
    #expect(LockWitness.read(console, trace: stream)?.complete == false)
  }

  /// A text stream (a guest of before the pages) is still read as text.
  @Test func aTextStreamIsStillText() throws {
    let text = LockWitnessTests.oppositeOrders.map { $0 + "\n" }.joined()
    #expect(LockTrace.read(text, focus: []).edges.count == 2)
    #expect(LockTrace.read(text, focus: []).reachedEnd)
  }
}

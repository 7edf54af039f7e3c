import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// A thread as lore serves it, built at run time from ../shared's two real postings: v9's cover
/// and 1/1, two review replies (one with a diff of its own, written here), then v10's 1/2 and
/// 2/2 posted in reply to v9's cover. Nothing of the real mail is kept in the repository.
enum LoreStyleThread {
  static let v9Cover = "20260310074303.17480-1-ionut.nechita@windriver.com"
  static let v9Patch = "20260310074303.17480-2-ionut.nechita@windriver.com"
  static let v10First = "20260318210316.61975-2-ionut.nechita@windriver.com"
  static let v10Second = "20260318210316.61975-3-ionut.nechita@windriver.com"

  static func text() throws -> String {
    let v9 = try String(contentsOf: Shared.v9, encoding: .utf8)
    // v10 answered its own (unsaved) cover; here it is posted below v9's, as a re-roll often is.
    let v10 = try String(contentsOf: Shared.v10, encoding: .utf8)
      .replacingOccurrences(of: "In-Reply-To: <20260318210316.61975-1-ionut.nechita@windriver.com>", with: "In-Reply-To: <\(v9Cover)>")
      .replacingOccurrences(
        of: "References: <20260318210316.61975-1-ionut.nechita@windriver.com>", with: "References: <\(v9Cover)>")
    return v9 + "\n" + reply + "\n" + replyWithDiff + "\n" + v10
  }

  static func write(to url: URL) throws {
    try text().write(to: url, atomically: true, encoding: .utf8)
  }

  static let reply = """
    From reviewer-1@example.org Mon Sep 17 00:00:00 2001
    From: Rita Reviewer <rita@example.org>
    Date: Wed, 11 Mar 2026 10:00:00 +0100
    Subject: Re: [PATCH v9 1/1] PCI/IOV: Make pci_lock_rescan_remove() reentrant and
     protect sriov_add_vfs/sriov_del_vfs
    Message-ID: <reviewer-1@example.org>
    In-Reply-To: <\(v9Patch)>
    References: <\(v9Cover)> <\(v9Patch)>

    On Tue, Mar 10, 2026 you wrote:
    > Make pci_lock_rescan_remove() reentrant

    remove_store() still takes the locks in the other order; see below.

    """

  static let replyWithDiff = """
    From reviewer-2@example.org Mon Sep 17 00:00:00 2001
    From: Rita Reviewer <rita@example.org>
    Date: Thu, 12 Mar 2026 10:00:00 +0100
    Subject: Re: [PATCH v9 1/1] PCI/IOV: Make pci_lock_rescan_remove() reentrant and
     protect sriov_add_vfs/sriov_del_vfs
    Message-ID: <reviewer-2@example.org>
    In-Reply-To: <reviewer-1@example.org>
    References: <\(v9Cover)> <\(v9Patch)> <reviewer-1@example.org>

    Something like this (untested):

    diff --git a/drivers/pci/pci-sysfs.c b/drivers/pci/pci-sysfs.c
    --- a/drivers/pci/pci-sysfs.c
    +++ b/drivers/pci/pci-sysfs.c
    @@ -1,3 +1,3 @@
     a
    -b
    +c
     d

    """
}

/// A real HTTP server on 127.0.0.1 with lore's URL layout (Fixtures/lore/lore-server.py),
/// serving every *.mbox in its folder as a thread; stopped when the value goes.
final class LoreServer {
  let root: URL
  let port: Int
  private let process: Process

  init(root: URL) throws {
    self.root = root
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", Fixtures.url("lore/lore-server.py").path, root.path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    self.process = process
    var line = Data()
    while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
      line.append(byte)
    }
    port = Int(String(decoding: line, as: UTF8.self)) ?? 0
  }

  /// SIGKILL: a test process that installed patchcheck's signal handlers ignores SIGTERM,
  /// and a child inherits that.
  deinit {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  var all: String { "http://127.0.0.1:\(port)/all" }
  /// The paths asked for so far.
  var requests: [String] {
    ((try? String(contentsOf: root.appendingPathComponent("requests.log"), encoding: .utf8)) ?? "")
      .split(separator: "\n").map(String.init)
  }
}

@Suite struct ThreadTests {
  @Test func aLoreThreadGivesItsNewestRevisionAndNoReply() throws {
    let dir = try TempDir()
    try LoreStyleThread.write(to: dir.path("thread.mbox"))
    let series = try SeriesParser.read(dir.path("thread.mbox"))
    #expect(series.patches.map(\.number) == [1, 2])
    #expect(series.patches.map(\.messageID) == [LoreStyleThread.v10First, LoreStyleThread.v10Second])
    #expect(series.patches.allSatisfy { !$0.subject.lowercased().hasPrefix("re:") && $0.version == 10 })
    #expect(series.version == 10)
    let thread = try #require(series.thread)
    #expect(thread.revisions.map(\.version) == [9, 10])
    #expect(thread.replies == 2 && thread.repliesWithDiff == 1)
    #expect(thread.line == "v10, 2 patches; also in the thread: v9 (1 patch), 2 replies (1 with a diff, not applied)")
  }

  @Test func revisionNineIsV9sOnePatchWithItsCover() throws {
    let dir = try TempDir()
    try LoreStyleThread.write(to: dir.path("thread.mbox"))
    let series = try SeriesParser.read(dir.path("thread.mbox"), revision: 9)
    #expect(series.patches.map(\.messageID) == [LoreStyleThread.v9Patch])
    #expect(series.cover?.messageID == LoreStyleThread.v9Cover)
    #expect(series.statedBase == "c8be6ef92d9bc54f012627375b87b44d3eefe451")
    #expect(series.thread?.line.hasPrefix("v9, 1 patch, asked for; also in the thread: v10 (2 patches)") == true)
    #expect(throws: PatchCheckError.self) { try SeriesParser.read(dir.path("thread.mbox"), revision: 8) }
    do {
      _ = try SeriesParser.read(dir.path("thread.mbox"), revision: 8)
    } catch let error as PatchCheckError {
      #expect(error.kind == .seriesRevision && error.exitCode == 30)
      #expect(error.message.contains("no v8 (it has v9, v10)"))
    }
  }

  /// A manifest names its series by one message: in a thread of several revisions, the
  /// revision holding that message, not the newest.
  @Test func aManifestsMessageIdNamesItsRevisionInTheThread() throws {
    let dir = try TempDir()
    try LoreStyleThread.write(to: dir.path("thread.mbox"))
    let v9 = try SeriesParser.read(dir.path("thread.mbox"), messageID: LoreStyleThread.v9Cover, itsRevision: true)
    #expect(v9.patches.map(\.messageID) == [LoreStyleThread.v9Patch])
    let v10 = try SeriesParser.read(dir.path("thread.mbox"), messageID: LoreStyleThread.v10First, itsRevision: true)
    #expect(v10.patches.count == 2)
    // The same thread read as a file names the v10 manifest (its 1/2's message-id).
    let manifest = try SeriesManifest.matching(try SeriesParser.read(dir.path("thread.mbox")), in: ProjectData.manifests)
    #expect(manifest?.name == "pci-iov-reentrant-v10")
  }

  @Test func messageIdsAndLoreURLsAreRecognised() {
    #expect(LoreReference("<a.b-1@example.org>")?.messageID == "a.b-1@example.org")
    #expect(LoreReference("a.b-1@example.org")?.archive == nil)
    let url = LoreReference("https://lore.kernel.org/linux-pci/a.b-1@example.org/T/#u")
    #expect(url?.messageID == "a.b-1@example.org")
    #expect(url?.archive?.absoluteString == "https://lore.kernel.org/linux-pci")
    #expect(url?.threadURL(override: nil)?.absoluteString == "https://lore.kernel.org/linux-pci/a.b-1@example.org/t.mbox.gz")
    #expect(
      url?.threadURL(override: "http://127.0.0.1:9/all/")?.absoluteString == "http://127.0.0.1:9/all/a.b-1@example.org/t.mbox.gz")
    #expect(LoreReference("patches/v9.mbox") == nil)
    #expect(LoreReference("pci-iov-reentrant-v9") == nil)
  }

  /// Fetched from a real server on 127.0.0.1 by the cover's id, by a v10 patch's id in <>, and
  /// by a lore URL; kept in the cache folder and read from there the next time.
  @Test func aThreadIsFetchedByMessageIdOrURLAndKept() throws {
    let dir = try TempDir()
    let server = try LoreServer(root: dir.path("lore"))
    try LoreStyleThread.write(to: server.root.appendingPathComponent("thread.mbox"))
    let home = PatchCheckHome(root: dir.path("home"))
    let query = SeriesQuery(lore: server.all)
    for spec in [
      LoreStyleThread.v9Cover, "<\(LoreStyleThread.v10Second)>", "https://lore.kernel.org/linux-pci/\(LoreStyleThread.v10First)/",
    ] {
      let loaded = try SeriesSource.load(spec, home: home, query: query)
      #expect(loaded.series.patches.map(\.messageID) == [LoreStyleThread.v10First, LoreStyleThread.v10Second], "\(spec)")
      #expect(loaded.manifest?.name == "pci-iov-reentrant-v10")
    }
    #expect(server.requests.count == 3)
    #expect(server.requests.first == "/all/\(LoreStyleThread.v9Cover)/t.mbox.gz")
    // Read from the cache folder the next time; fetched again with --refresh.
    _ = try SeriesSource.load(LoreStyleThread.v9Cover, home: home, query: query)
    #expect(server.requests.count == 3)
    let v9 = try SeriesSource.load(LoreStyleThread.v9Cover, home: home, query: SeriesQuery(revision: 9, lore: server.all, refresh: true))
    #expect(server.requests.count == 4)
    #expect(v9.series.patches.count == 1 && v9.manifest?.name == "pci-iov-reentrant-v9")
    let kept = try FileManager.default.contentsOfDirectory(atPath: home.patches.path).sorted()
    #expect(kept == ["\(LoreStyleThread.v10First).mbox", "\(LoreStyleThread.v10Second).mbox", "\(LoreStyleThread.v9Cover).mbox"].sorted())
  }

  /// Each way a fetch fails is one line naming the URL, what went wrong and where a local copy
  /// was looked for; nothing is left in the cache folder.
  @Test func aFailedFetchSaysWhyAndKeepsNothing() throws {
    let dir = try TempDir()
    let server = try LoreServer(root: dir.path("lore"))
    let home = PatchCheckHome(root: dir.path("home"))
    let cases: [(String, String, String)] = [
      ("missing@test", server.all, "HTTP 404"),
      ("cut-short@test", server.all, "bytes remaining to read"),
      ("not-gzip@test", server.all, "not gzip (it starts '<html><body>Anub')"),
      ("offline@test", "http://127.0.0.1:1/all", "connect"),
    ]
    for (id, lore, words) in cases {
      do {
        _ = try SeriesSource.load(id, home: home, query: SeriesQuery(lore: lore))
        Issue.record("\(id) was read")
      } catch let error as PatchCheckError {
        #expect(error.kind == .seriesFetch && error.exitCode == 31, "\(id): \(error)")
        #expect(error.message.contains("\(lore)/\(id)/t.mbox.gz"), "\(error)")
        #expect(error.message.contains(words), "\(id): \(error)")
        #expect(error.message.contains(home.patches.appendingPathComponent("\(id).mbox").path), "\(error)")
        #expect(error.hint.contains("--series FILE"))
      }
    }
    let left = (try? FileManager.default.contentsOfDirectory(atPath: home.patches.path)) ?? []
    #expect(left.isEmpty, "\(left)")
  }

  /// `scripts/run.sh` with no ../shared beside the checkout: the default manifest's series is
  /// fetched by its message-id (the test server standing in for lore), or the run says in one
  /// line what to do.
  @Test func withoutSharedTheDefaultSeriesIsFetchedByItsMessageId() throws {
    let dir = try TempDir()
    let data = dir.path("checkout")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    for folder in ["patches", "kernel-configs", "scenarios"] {
      try FileManager.default.copyItem(
        at: ProjectData.root.appendingPathComponent(folder), to: data.appendingPathComponent(folder))
    }
    let server = try LoreServer(root: dir.path("lore"))
    try LoreStyleThread.write(to: server.root.appendingPathComponent("thread.mbox"))
    let cli = CLITests()
    let env = ["PATCHCHECK_DATA": data.path, "PATCHCHECK_LORE_URL": server.all]
    let shown = try cli.run(["series", "show", "--json"], environment: env, home: dir.path("home"))
    #expect(shown.status == 0, "\(shown.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
    #expect((json["patches"] as? [Any])?.count == 1, "the default manifest is v9's: its revision of the thread")
    #expect(shown.stderr.contains("series: v9, 1 patch, the revision of <\(LoreStyleThread.v9Cover)>"), "\(shown.stderr)")
    #expect(server.requests == ["/all/\(LoreStyleThread.v9Cover)/t.mbox.gz"])
    let offline = try cli.run(
      ["series", "show"], environment: ["PATCHCHECK_DATA": data.path, "PATCHCHECK_LORE_URL": "http://127.0.0.1:1/all"],
      home: dir.path("home2"))
    cli.expectOneLineError(offline, code: 31, mentioning: "http://127.0.0.1:1/all/\(LoreStyleThread.v9Cover)/t.mbox.gz")
  }

  @Test func gzipIsReadWholeOrRefused() throws {
    let text = Data("From x\nSubject: y\n\nbody\n".utf8)
    let dir = try TempDir()
    try text.write(to: dir.path("a"))
    let gzip = try ProcessRunner.run(["gzip", "-k", dir.path("a").path])
    #expect(gzip.succeeded)
    let packed = try Data(contentsOf: dir.path("a.gz"))
    #expect(try Gzip.decompress(packed) == text)
    #expect(try Gzip.decompress(packed + packed) == text + text)
    #expect(throws: Gzip.Failure.self) { try Gzip.decompress(packed.prefix(packed.count - 10)) }
    #expect(throws: Gzip.Failure.notGzip(start: "From x\nSubject: ")) { try Gzip.decompress(text) }
  }
}

/// b4 (the kernel's mail tool, installed by scripts/test.sh) is the peer: on each thread
/// fixture, patchcheck takes the patches `b4 am` takes, in its order. Where the issue asks
/// patchcheck to be stricter than b4, the difference is the test's, named in `Divergence`.
@Suite(.needs("b4")) struct ThreadB4Tests {
  struct Case: CustomStringConvertible {
    var file: String
    var messageID: String?
    var revision: Int?
    var description: String { "\(file) \(messageID ?? "-") v\(revision.map(String.init) ?? "newest")" }
  }

  /// The rows of Fixtures/threads/expected.tsv: each fixture, with and without a message-id
  /// and a revision, as b4 was run on it when the fixtures were written.
  static var cases: [Case] {
    let text = (try? Fixtures.text("threads/expected.tsv")) ?? ""
    return text.split(separator: "\n").dropFirst().map { line in
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      return Case(file: fields[0], messageID: fields[1].isEmpty ? nil : fields[1], revision: Int(fields[2]))
    }
  }

  /// The diffs b4 writes for a case, `index` lines set aside.
  func b4Picks(_ c: Case) throws -> [String] {
    let b4 = try Peer.require("b4")
    let dir = try TempDir()
    var arguments = [b4, "--offline-mode", "am", "-m", Fixtures.url("threads/\(c.file)").path, "-o", dir.url.path]
    if let id = c.messageID { arguments.append(id) }
    if let revision = c.revision { arguments += ["-v", String(revision)] }
    let result = try ProcessRunner.run(arguments)
    #expect(result.succeeded, "b4 failed: \(result.output.suffix(300))")
    let written = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasSuffix(".mbx") }
    let mbx = try #require(written.first, "b4 wrote no .mbx for \(c): \(result.output.suffix(300))")
    return Mbox.split(try String(contentsOf: dir.path(mbx), encoding: .utf8)).compactMap { SeriesParser.extractDiff($0.body) }
      .map(Self.normal)
  }

  static func normal(_ diff: String) -> String {
    diff.split(separator: "\n").filter { !$0.hasPrefix("index ") }.joined(separator: "\n")
  }

  func ours(_ c: Case) throws -> Series {
    try SeriesParser.read(Fixtures.url("threads/\(c.file)"), revision: c.revision, messageID: c.messageID)
  }

  /// The lore-style thread built from ../shared: b4 and patchcheck both take v10's two patches.
  @Test func takesWhatB4TakesFromTheLoreStyleThread() throws {
    let dir = try TempDir()
    try LoreStyleThread.write(to: dir.path("thread.mbox"))
    let b4 = try Peer.require("b4")
    for revision in [nil, 9] as [Int?] {
      let out = dir.path("b4-\(revision ?? 0)")
      var arguments = [b4, "--offline-mode", "am", "-m", dir.path("thread.mbox").path, "-o", out.path, LoreStyleThread.v9Cover]
      if let revision { arguments += ["-v", String(revision)] }
      let result = try ProcessRunner.run(arguments)
      #expect(result.succeeded, "\(result.output.suffix(300))")
      let mbx = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".mbx") })
      let theirs = Mbox.split(try String(contentsOf: out.appendingPathComponent(mbx), encoding: .utf8))
        .compactMap { SeriesParser.extractDiff($0.body) }.map(Self.normal)
      let ours = try SeriesParser.read(dir.path("thread.mbox"), revision: revision, messageID: LoreStyleThread.v9Cover)
      #expect(ours.patches.map { Self.normal($0.diff) } == theirs, "revision \(revision ?? 0)")
      #expect(theirs.count == (revision == nil ? 2 : 1))
    }
  }

  @Test(arguments: cases) func takesWhatB4Takes(_ c: Case) throws {
    let theirs = try b4Picks(c)
    switch (c.file, c.messageID, c.revision) {
    case ("hole.mbox", _, nil):
      // b4 takes v2 without its 1/3; patchcheck takes the newest complete revision and says why.
      let series = try ours(c)
      #expect(series.thread?.chosen == 1)
      #expect(series.thread?.line.contains("v2 lacks 1/3 (--revision 2 runs it without)") == true)
      #expect(try ours(Case(file: c.file, messageID: c.messageID, revision: 2)).patches.map { Self.normal($0.diff) } == theirs)
    case ("no-references.mbox", .some, nil):
      // By the root's id, b4's strict thread holds 1/3 alone: an incomplete revision, refused.
      #expect(theirs.count == 1)
      #expect(throws: PatchCheckError.self) { try ours(c) }
      #expect(try ours(Case(file: c.file, messageID: c.messageID, revision: 1)).patches.map { Self.normal($0.diff) } == theirs)
    case ("resend.mbox", _, _):
      // b4 takes the RESEND and the original, the same diff twice (it does not apply); once here.
      let series = try ours(c)
      #expect(theirs.count == 2 && theirs[0] == theirs[1])
      #expect(series.patches.map { Self.normal($0.diff) } == [theirs[0]])
      #expect(series.patches.first?.envelope?.subject.contains("RESEND") == true, "the newest posting is kept")
      #expect(series.thread?.resent == 1)
    default:
      let series = try ours(c)
      #expect(series.patches.map { Self.normal($0.diff) } == theirs, "\(c): \(series.thread?.line ?? "")")
      #expect(series.patches.allSatisfy { $0.envelope.map { !SubjectTags($0.subject).reply } ?? true })
    }
  }
}

extension ThreadTests {
  /// A follow-up without "Re:" that carries only trailers is a reply (b4's reading), and a
  /// message seen twice counts once.
  @Test func aTrailerOnlyFollowUpIsAReplyAndADuplicateCountsOnce() throws {
    let dir = try TempDir()
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -1,1 +1,1 @@\n-int line1;\n+int line1 = 1;\n"
    let patch = patchMail(subject: "toy: first", diff: diff, messageID: "p1@x")
    let followUp = """
      From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
      From: Rita Reviewer <rita@example.org>
      Date: Wed, 11 Mar 2026 09:43:02 +0200
      Subject: toy: first
      Message-ID: <f1@x>
      In-Reply-To: <p1@x>
      References: <p1@x>

      Reviewed-by: Rita Reviewer <rita@example.org>

      """
    try (patch + "\n" + followUp + "\n" + patch).write(to: dir.path("t.mbox"), atomically: true, encoding: .utf8)
    let series = try SeriesParser.read(dir.path("t.mbox"))
    #expect(series.patches.map(\.messageID) == ["p1@x"])
    #expect(series.thread?.replies == 1 && series.thread?.duplicates == 1 && series.thread?.other == 0)
    #expect(series.thread?.line == "v2, 1 patch; also in the thread: 1 reply, 1 duplicate message")
  }
}

extension ThreadTests {
  /// Subjects from the list are untrusted: a counter that is not a plain number is not one
  /// (a "-1/3" once indexed before the first place).
  @Test func oddCountersAreNotNumbers() throws {
    #expect(SubjectTags("[PATCH -1/3] x").counter == nil)
    #expect(SubjectTags("[PATCH +1/3] x").counter == nil)
    #expect(SubjectTags("[PATCH v2 02/10] x").counter == 2)
    #expect(
      SubjectTags("Re: [PATCH v2 2/3] x")
        == {
          var t = SubjectTags("[PATCH v2 2/3] x"); t.reply = true; return t
        }())
    let dir = try TempDir()
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -1,1 +1,1 @@\n-int line1;\n+int line1 = 1;\n"
    try patchMail(subject: "x", diff: diff).replacingOccurrences(of: "[PATCH v2 1/1]", with: "[PATCH -1/3]")
      .write(to: dir.path("odd.mbox"), atomically: true, encoding: .utf8)
    #expect(try SeriesParser.read(dir.path("odd.mbox")).patches.count == 1)
  }

  /// A manifest's message-id names its revision, but a revision with a hole is still taken
  /// only when asked for by number.
  @Test func aManifestsRevisionWithAHoleIsRefusedUnlessAsked() throws {
    let hole = Fixtures.url("threads/hole.mbox")
    let text = try String(contentsOf: hole, encoding: .utf8)
    let v2 = try #require(Mbox.split(text).first { ($0.header("Subject") ?? "").contains("v2 2/3") }?.messageID)
    #expect(throws: PatchCheckError.self) { try SeriesParser.read(hole, messageID: v2, itsRevision: true) }
    #expect(try SeriesParser.read(hole, revision: 2, messageID: v2, itsRevision: true).patches.count == 2)
  }
}

import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

@Suite struct SeriesTests {
  @Test func readsTheV9PostingWithItsCoverLetter() throws {
    let series = try SeriesParser.read(Shared.v9)
    #expect(series.version == 9)
    #expect(series.cover?.baseCommit == "c8be6ef92d9bc54f012627375b87b44d3eefe451")
    #expect(series.title.hasPrefix("PCI/IOV: Make pci_lock_rescan_remove() reentrant and protect"))
    #expect(series.patches.count == 1)
    let patch = try #require(series.patches.first)
    #expect(patch.number == 1 && patch.total == 1)
    #expect(!patch.subject.contains("[PATCH"))
    // The in-body From: wins over the mail's sender, as with git am.
    #expect(patch.author.email == "ionut_n2001@yahoo.com")
    #expect(patch.author.offsetMinutes == 120)
    #expect(
      patch.files == [
        FileStat(path: "drivers/pci/iov.c", added: 5, removed: 4),
        FileStat(path: "drivers/pci/probe.c", added: 9, removed: 2),
      ])
    #expect(patch.trailers.filter { $0.key == "Fixes" }.count == 3)
    #expect(patch.trailers.last?.key == "Signed-off-by")
    #expect(patch.commitMessage.hasPrefix(patch.subject + "\n\n"))
    #expect(!patch.commitMessage.contains("diff --git"))
  }

  @Test func readsV10WithoutCover() throws {
    let series = try SeriesParser.read(Shared.v10)
    #expect(series.cover == nil)
    #expect(series.statedBase == nil)
    #expect(series.patches.map(\.number) == [1, 2])
    #expect(series.patches[1].files.map(\.path) == ["drivers/pci/pci-sysfs.c"])
  }

  /// b4 (the kernel's own mail tool) is the reference: the same subjects and authors.
  @Test(.needs("b4")) func agreesWithB4OnSubjectsAndAuthors() throws {
    let b4 = try Peer.require("b4")
    let dir = try TempDir()
    let result = try ProcessRunner.run(
      [b4, "--offline-mode", "am", "-m", Shared.v9.path, "-o", dir.url.path, "20260310074303.17480-1-ionut.nechita@windriver.com"],
      timeout: 120)
    #expect(result.succeeded, "b4 failed: \(result.output.suffix(300))")
    let produced = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasSuffix(".mbx") }
    let mbx = try #require(produced.first)
    let fromB4 = try SeriesParser.read(dir.path(mbx))
    let ours = try SeriesParser.read(Shared.v9)
    #expect(fromB4.patches.map(\.subject) == ours.patches.map(\.subject))
    #expect(fromB4.patches.map(\.author.email) == ours.patches.map(\.author.email))
    #expect(fromB4.patches.map(\.files) == ours.patches.map(\.files))
  }

  @Test func decodesEncodedWordsAndFoldedHeaders() {
    let raw = """
      From: =?UTF-8?q?J=C3=B6rg_R=C3=B6del?= <joro@example.org>
      Subject: [PATCH v3 2/5] iommu: a =?utf-8?B?bMOkbmdlcg==?=
       folded subject
      Message-ID: <abc@example.org>

      body
      """
    let message = MailMessage(raw: raw)
    #expect(message.header("From") == "Jörg Rödel <joro@example.org>")
    #expect(message.header("Subject") == "[PATCH v3 2/5] iommu: a länger folded subject")
    #expect(message.messageID == "abc@example.org")
    let subject = SubjectLine(message.header("Subject") ?? "")
    #expect(subject.version == 3 && subject.number == 2 && subject.total == 5)
    #expect(subject.title == "iommu: a länger folded subject")
  }

  @Test func adjacentEncodedWordsJoinWithoutSpace() {
    #expect(RFC2047.decode("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab")
    #expect(RFC2047.decode("x =?ISO-8859-1?Q?caf=E9?= y") == "x café y")
  }

  @Test func readsAFolderOfPatchFiles() throws {
    let dir = try TempDir()
    let diff =
      "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -1,1 +1,1 @@\n-int line1;\n+int line1 = 1;\n"
    try patchMail(subject: "toy: second", diff: diff, messageID: "b@x").replacingOccurrences(of: "1/1", with: "2/2").write(
      to: dir.path("0002-b.patch"), atomically: true, encoding: .utf8)
    try patchMail(subject: "toy: first", diff: diff, messageID: "a@x").replacingOccurrences(of: "1/1", with: "1/2")
      .write(to: dir.path("0001-a.patch"), atomically: true, encoding: .utf8)
    try "not a patch".write(to: dir.path("notes.txt"), atomically: true, encoding: .utf8)
    let series = try SeriesParser.read(dir.url)
    #expect(series.patches.map(\.subject) == ["toy: first", "toy: second"])
    #expect(series.patches[0].author.name == "Ada Lovelace")
  }

  @Test func aFileWithNoPatchesIsItsOwnError() throws {
    let dir = try TempDir()
    try "From: a@b\nSubject: hello\n\njust words\n".write(to: dir.path("x.mbox"), atomically: true, encoding: .utf8)
    #expect(throws: PatchCheckError.self) { try SeriesParser.read(dir.path("x.mbox")) }
    do {
      _ = try SeriesParser.read(dir.path("x.mbox"))
    } catch let error as PatchCheckError {
      #expect(error.kind == .seriesEmpty)
      #expect(error.exitCode == 13)
    }
  }

  @Test func manifestsFindTheirMboxByMessageID() throws {
    let manifest = try SeriesManifest.defaultManifest(in: ProjectData.manifests)
    #expect(manifest.name == "pci-iov-reentrant-v9")
    #expect(
      manifest.locateMbox(in: [Shared.root.appendingPathComponent("patches")]).found?.lastPathComponent == "pci-iov-reentrant-v9.mbox")
    let v10 = try SeriesParser.read(Shared.v10)
    #expect(try SeriesManifest.matching(v10, in: ProjectData.manifests)?.name == "pci-iov-reentrant-v10")
  }

  @Test func aMalformedManifestNamesTheProblem() throws {
    let dir = try TempDir()
    try FileManager.default.createDirectory(at: dir.path("bad"), withIntermediateDirectories: true)
    try "name: bad\nscenarios: [numvfs\n".write(to: dir.path("bad/manifest.yaml"), atomically: true, encoding: .utf8)
    do {
      _ = try SeriesManifest.all(in: dir.url)
      Issue.record("a malformed manifest was accepted")
    } catch let error as PatchCheckError {
      #expect(error.kind == .manifest)
      #expect(error.message.contains("bad/manifest.yaml"))
    }
  }
}

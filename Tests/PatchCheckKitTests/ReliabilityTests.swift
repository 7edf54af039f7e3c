import Foundation
import Testing

@testable import PatchCheckKit

/// Inputs that arrive damaged or unusual from mail: each is read or refused cleanly, and a
/// refused patch leaves the repository as it was.
@Suite struct ReliabilityTests {
  let diff =
    "diff --git a/drivers/toy.c b/drivers/toy.c\n--- a/drivers/toy.c\n+++ b/drivers/toy.c\n@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n+int line3 = 3;\n int line4;\n"

  func apply(_ text: String, in dir: TempDir) throws -> (ToyRepo, ApplyOutcome) {
    let toy = try ToyRepo.kernelLike(at: dir.path("repo.git"), source: numberedLines(1...40))
    let series = try SeriesParser.parse(Mbox.split(text), source: "test")
    let applier = Applier(repository: toy.repo, console: Console(quiet: true))
    return (
      toy,
      try applier.apply(
        series, base: try applier.resolveBase(requested: "v1.0", stated: nil, fallback: nil), branch: "refs/heads/patchcheck/t/as-posted",
        check: false)
    )
  }

  @Test func crlfMailsApply() throws {
    let dir = try TempDir()
    let (_, outcome) = try apply(patchMail(subject: "crlf", diff: diff).replacingOccurrences(of: "\n", with: "\r\n"), in: dir)
    #expect(outcome.applied)
  }

  @Test func quotedPrintableAndBase64BodiesAreDecoded() throws {
    let qp = patchMail(subject: "qp", diff: diff.replacingOccurrences(of: "int line3 = 3;", with: "int line3 =3D 3;"))
      .replacingOccurrences(of: "Message-ID:", with: "Content-Transfer-Encoding: quoted-printable\nMessage-ID:")
    let dir = try TempDir()
    let (_, outcome) = try apply(qp, in: dir)
    #expect(outcome.applied)

    let body = "A change.\n\nSigned-off-by: A <a@b>\n---\n" + diff + "-- \n2.43.0\n"
    let mail =
      "From: A <a@b>\nSubject: [PATCH] b64\nContent-Transfer-Encoding: base64\nMessage-ID: <b@x>\n\n"
      + Data(body.utf8).base64EncodedString(options: .lineLength76Characters) + "\n"
    let series = try SeriesParser.parse(Mbox.split(mail), source: "t")
    #expect(series.patches.first?.files == [FileStat(path: "drivers/toy.c", added: 1, removed: 1)])
  }

  @Test func aTruncatedMailIsRefusedNotApplied() throws {
    let cut = String(patchMail(subject: "cut", diff: diff).prefix(while: { $0 != "@" })) + "@@ -2,3 +2,3 @@\n int line2;\n-int line3;\n"
    let dir = try TempDir()
    do {
      let (toy, outcome) = try apply(cut, in: dir)
      #expect(!outcome.applied)
      #expect(try toy.repo.reference("refs/heads/patchcheck/t/as-posted") == nil)
    } catch let error as PatchCheckError {
      #expect(error.kind == .patchMalformed || error.kind == .seriesEmpty)
    }
  }

  @Test func pathsThatLeaveTheTreeAreRefused() throws {
    for path in ["../outside.c", "/etc/passwd", "drivers/../../outside.c"] {
      let evil = diff.replacingOccurrences(of: "drivers/toy.c", with: path)
      let dir = try TempDir()
      let (toy, outcome) = try apply(patchMail(subject: "evil", diff: evil), in: dir)
      #expect(!outcome.applied, "\(path) applied")
      #expect(try toy.repo.reference("refs/heads/patchcheck/t/as-posted") == nil)
      #expect(!FileManager.default.fileExists(atPath: dir.url.deletingLastPathComponent().appendingPathComponent("outside.c").path))
    }
  }

  @Test func aPatchCreatingAFileThatExistsFails() throws {
    let create =
      "diff --git a/drivers/toy.c b/drivers/toy.c\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/drivers/toy.c\n@@ -0,0 +1 @@\n+int fresh;\n"
    let dir = try TempDir()
    let (_, outcome) = try apply(patchMail(subject: "create", diff: create), in: dir)
    #expect(!outcome.applied)
  }

  @Test func aHugeMboxIsReadInOnePass() throws {
    var text = ""
    for i in 1...10_000 {
      text += patchMail(subject: "patch \(i)", diff: diff, messageID: "m\(i)@x").replacingOccurrences(of: "1/1", with: "\(i)/10000") + "\n"
    }
    let series = try SeriesParser.parse(Mbox.split(text), source: "huge")
    #expect(series.patches.count == 10_000)
    #expect(series.patches.last?.subject == "patch 10000")
  }

  /// Console logs are untrusted: terminal escape sequences in kernel output must not reach
  /// the user's terminal through our summaries.
  @Test func consoleTextCannotCarryTerminalEscapes() throws {
    let log = "[    1.0] WARNING: CPU: 0 PID: 1 at drivers/x.c:1 evil+0x1/0x2\n\u{1B}]0;pwned\u{07}\u{1B}[2J\n"
    let splats = ConsoleAnalyzer.analyze(log)
    #expect(splats.count == 1)
    #expect(!splats[0].excerpt.joined().contains("\u{1B}"))
    #expect(!splats[0].title.contains("\u{1B}"))
  }
}

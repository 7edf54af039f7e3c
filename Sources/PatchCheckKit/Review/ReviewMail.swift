// review.txt: a plain-text mail replying to the series — Subject "Re:" the cover letter's (or
// the first patch's) as posted, In-Reply-To and References its message-id, To its sender and
// the patches' authors, Cc everyone its mails were sent to — with the findings, each with its
// hits/runs, claim, explained deadlock, evidence excerpt and the command that reproduces it.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package enum ReviewMail {
  /// The reply's headers, from the mails of the series.
  package static func headers(for series: Series) -> ReviewMailHeaders {
    let first = series.patches.first
    let replied = series.cover?.envelope ?? first?.envelope
    let messageID = series.cover?.envelope != nil ? series.cover?.messageID : first?.messageID
    let posted = replied?.subject ?? "[PATCH] \(series.title)"
    let subject = posted.lowercased().hasPrefix("re:") ? posted : "Re: \(posted)"
    var seen: Set<String> = []
    func unique(_ addresses: [String]) -> [String] {
      addresses.filter { seen.insert(MailEnvelope.mailbox($0)).inserted }
    }
    let envelopes = ([series.cover?.envelope] + series.patches.map(\.envelope)).compactMap { $0 }
    let to = unique(
      [replied?.from].compactMap { $0 } + envelopes.compactMap(\.from)
        + series.patches.map { "\($0.author.name) <\($0.author.email)>" })
    let cc = unique(envelopes.flatMap { $0.to + $0.cc })
    var references = replied?.references ?? []
    if let messageID, !references.contains(messageID) { references.append(messageID) }
    return ReviewMailHeaders(subject: subject, to: to, cc: cc, inReplyTo: messageID, references: references)
  }

  /// The whole mail: headers, a blank line, the body.
  package static func text(_ review: Review) -> String {
    var lines: [String] = []
    if let mail = review.mail {
      lines.append("Subject: \(mail.subject)")
      if !mail.to.isEmpty { lines.append("To: \(mail.to.joined(separator: ", "))") }
      if !mail.cc.isEmpty { lines.append("Cc: \(mail.cc.joined(separator: ", "))") }
      if let reply = mail.inReplyTo { lines.append("In-Reply-To: <\(reply)>") }
      if !mail.references.isEmpty { lines.append("References: \(mail.references.map { "<\($0)>" }.joined(separator: " "))") }
    }
    lines += ["Content-Type: text/plain; charset=utf-8", ""]
    lines += body(review)
    return lines.map { VisibleText.of($0) }.joined(separator: "\n") + "\n"
  }

  package static func body(_ review: Review) -> [String] {
    let n = review.patches.count
    let baseName = review.base.map { "\($0.used) (\($0.commit.prefix(12)))" } ?? "?"
    var lines = [
      "Hi,", "",
      "patchcheck built and booted this series (\(n) patch\(n == 1 ? "" : "es")) on \(baseName), the base alone and each",
      "prefix of the series, every scenario in a boot of its own, race scenarios repeated with the base",
      "and the series interleaved (\(review.boots) boots in \(Int(review.seconds / 60)) min; repeats stopped: \(review.stopped)).",
      "",
    ]
    lines += table(review)
    for (index, finding) in review.findings.enumerated() {
      // Two hung tasks of one deadlock are two titles: the cycle is spelled out once.
      let same = review.findings[..<index].firstIndex { $0.deadlock != nil && $0.deadlock == finding.deadlock }
      lines += [""] + section(finding, number: index + 1, review: review, sameDeadlockAs: same.map { $0 + 1 })
    }
    if !review.quiet.isEmpty {
      lines += ["", "Nothing seen in:"]
      lines += review.quiet.map { "  \($0.scenario): \($0.claim)" }
    }
    let problems = review.kernels.filter { $0.problem != nil }
    if !problems.isEmpty {
      lines += ["", "Kernels not judged:"]
      lines += problems.map { "  \($0.label): \($0.problem ?? "")" }
    }
    lines += [
      "", "Tree: \(review.repository), base \(baseName)",
      "Guest: \(review.guest); scenarios \(review.scenarios.joined(separator: ", "))",
      "Hits/runs count boots; bounds are one-sided at 95% confidence (0 hits in n runs: rate below 1 - 0.05^(1/n)).",
      "Every run's report is in the review's folder. The whole review again:", "  \(review.command)",
      "", "-- ", "patchcheck \(review.tool)",
    ]
    return lines
  }

  /// The findings table: label, title, base and series hits/runs, introduced and fixed by.
  package static func table(_ review: Review) -> [String] {
    guard !review.findings.isEmpty else { return ["No findings: no kernel report on any kernel."] }
    let n = review.patches.count
    let rows =
      [["label", "base", "series", "introduced", "fixed", "title"]]
      + review.findings.map { f in
        [
          f.label.rawValue, f.base.description, f.series.description, f.introducedBy.map { "patch \($0)/\(n)" } ?? "-",
          f.fixedBy.map { "patch \($0)/\(n)" } ?? "-", f.title,
        ]
      }
    let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      (0..<5).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[5]
    }
  }

  package static func section(_ finding: ReviewFinding, number: Int, review: Review, sameDeadlockAs: Int? = nil) -> [String] {
    let n = review.patches.count
    func patch(_ k: Int) -> String { "patch \(k)/\(n) (\"\(review.patches[k - 1])\")" }
    var lines = ["\(number). [\(finding.label.rawValue)] \(finding.title)"]
    lines.append("   \(finding.claim)")
    let perKernel = finding.kernels.enumerated().map { "\(ReviewKernel.label($0.offset, of: n)) \($0.element)" }
    lines.append("   hits/runs: \(perKernel.joined(separator: ", ")) (scenario \(finding.scenarios.joined(separator: ", ")))")
    if let k = finding.introducedBy, k <= n { lines.append("   introduced by \(patch(k))") }
    if let k = finding.fixedBy, k <= n { lines.append("   fixed by \(patch(k))") }
    if finding.label == .breaksBisection { lines.append("   introduced and fixed inside the series: it breaks bisection") }
    if let earlier = sameDeadlockAs {
      lines.append("   the same \(finding.deadlock?.summary ?? "deadlock") as finding \(earlier) (another task of its cycle)")
    } else if let deadlock = finding.deadlock {
      lines.append("   \(deadlock.summary):")
      lines += deadlock.lines.map { "     \($0)" }
    }
    if !finding.excerpt.isEmpty {
      lines.append("   evidence (\(finding.evidence)):")
      lines += finding.excerpt.prefix(40).map { "     \($0)" }
      if finding.excerpt.count > 40 { lines.append("     [... \(finding.excerpt.count - 40) more lines in the run's console]") }
    }
    lines += ["   reproduce:", "     \(finding.reproduce)"]
    return lines
  }
}

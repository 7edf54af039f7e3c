// review.html: the review's data as one page (every text escaped: titles and excerpts come
// from a guest's console, subjects from mails).

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package enum ReviewHTML {
  package static func page(_ review: Review) -> String {
    func e(_ text: String) -> String { Escaping.markup(text) }
    let n = review.patches.count
    var html = """
      <!doctype html>
      <html><head><meta charset="utf-8"><title>review: \(e(review.series))</title>
      <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
      pre{background:#f6f6f6;padding:8px;overflow-x:auto}.new{color:#b00}.fixed{color:#070}.breaks-bisection{color:#a50}</style></head><body>
      <h1>\(e(review.series))</h1>
      <p>\(e(review.mail?.subject ?? "")) &middot; base \(e(review.base?.used ?? "?")) (\(e(String(review.base?.commit.prefix(12) ?? "")))) &middot; \(review.boots) boots &middot; repeats stopped: \(e(review.stopped))</p>
      <table><tr><th>label</th><th>title</th>
      """
    html += (0...n).map { "<th>\(e(ReviewKernel.label($0, of: n)))</th>" }.joined()
    html += "<th>introduced</th><th>fixed</th><th>claim</th></tr>\n"
    for finding in review.findings {
      html += "<tr><td class=\"\(finding.label.rawValue)\">\(finding.label.rawValue)</td><td>\(e(finding.title))</td>"
      html += finding.kernels.map { "<td>\($0)</td>" }.joined()
      html +=
        "<td>\(finding.introducedBy.map { "patch \($0)/\(n)" } ?? "-")</td><td>\(finding.fixedBy.map { "patch \($0)/\(n)" } ?? "-")</td>"
      html += "<td>\(e(finding.claim))</td></tr>\n"
    }
    html += "</table>\n"
    for finding in review.findings {
      html += "<h2 class=\"\(finding.label.rawValue)\">\(e(finding.title))</h2>\n<p>\(e(finding.claim))</p>\n"
      if let deadlock = finding.deadlock {
        html += "<p><b>\(e(deadlock.summary))</b></p><ul>" + deadlock.lines.map { "<li>\(e($0))</li>" }.joined() + "</ul>\n"
      }
      html += "<p>evidence: <a href=\"\(e(finding.evidence))/\">\(e(finding.evidence))</a></p>\n"
      html += "<pre>\(Escaping.markup(finding.excerpt.joined(separator: "\n"), keepingLineBreaks: true))</pre>\n"
      html += "<p>reproduce: <code>\(e(finding.reproduce))</code></p>\n"
    }
    if !review.quiet.isEmpty {
      html += "<h2>Nothing seen</h2><ul>" + review.quiet.map { "<li>\(e($0.scenario)): \(e($0.claim))</li>" }.joined() + "</ul>\n"
    }
    html += "<h2>Runs</h2><table><tr><th>kernel</th><th>scenario</th><th>verdict</th><th>boots</th><th>report</th></tr>\n"
    for run in review.runs {
      html += "<tr><td>\(e(ReviewKernel.label(run.patches, of: n)))</td><td>\(e(run.scenario))</td><td>\(run.verdict.rawValue)</td>"
      html += "<td>\(run.boots.count)</td><td><a href=\"\(e(run.folder))/summary.md\">\(e(run.folder))</a></td></tr>\n"
    }
    html += "</table>\n<p>again: <code>\(e(review.command))</code></p>\n</body></html>\n"
    return html
  }
}

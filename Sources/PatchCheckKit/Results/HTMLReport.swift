// `patchcheck report --html DIR`: one static page per database (no scripts, no network): a
// matrix of tags (rows) by variant and scenario (columns) coloured by verdict, a bar chart
// of phase times per tag, and each run's kernel reports one click away. Every string from
// a console or a mail is escaped.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict

package enum HTMLReport {
  package static let verdictColors: [String: String] = [
    "PASS": "#2e7d32", "FAIL": "#c62828", "APPLY-FAIL": "#ef6c00", "BUILD-FAIL": "#6a1b9a",
    "INFRA-ERROR": "#616161", "EXPECTATION-UNMET": "#ad1457", "ABORTED": "#9e9e9e",
  ]
  package static let resultColors: [String: String] = [
    "pass": "#a5d6a7", "fail": "#ef9a9a", "timeout": "#e57373", "skip": "#e0e0e0", "missing": "#fafafa",
  ]
  package static let phases = ["apply", "checkout", "configure", "build", "initramfs", "boot", "analysis"]
  package static let phaseColors = ["#90caf9", "#80deea", "#ffe082", "#ffab91", "#ce93d8", "#a5d6a7", "#bcaaa4"]

  /// Writes DIR/index.html for every series in `runs` (latest run per tag and variant).
  package static func write(runs: [RunRecord], to folder: URL, title: String = "patchcheck results") throws -> URL {
    try FileManager.default.ensureDirectory(folder)
    let url = folder.appendingPathComponent("index.html")
    try render(runs: runs, title: title).write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  package static func render(runs: [RunRecord], title: String) -> String {
    var body = "<h1>\(Escaping.markup(title))</h1>\n"
    let seriesNames = Array(Set(runs.map(\.series))).sorted()
    if seriesNames.isEmpty { body += "<p>No runs recorded yet.</p>\n" }
    for series in seriesNames {
      body += section(series: series, runs: runs.filter { $0.series == series })
    }
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>\(Escaping.markup(title))</title>
      <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212121; }
      table.matrix { border-collapse: collapse; margin: 12px 0 24px; }
      table.matrix th, table.matrix td { border: 1px solid #bdbdbd; padding: 6px 10px; text-align: center; }
      table.matrix th.tag { text-align: left; }
      td.verdict a { color: #fff; font-weight: 600; text-decoration: none; display: block; }
      td.scenario a { color: #212121; text-decoration: none; display: block; }
      .legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; color: #fff; border-radius: 3px; }
      section.run { border-left: 4px solid #bdbdbd; padding: 4px 12px; margin: 12px 0; }
      section.run:target { border-left-color: #1565c0; background: #e3f2fd; }
      pre { background: #f5f5f5; padding: 8px; overflow-x: auto; font-size: 12px; }
      </style></head>
      <body>
      \(body)
      </body></html>

      """
  }

  package static func section(series: String, runs: [RunRecord]) -> String {
    // The latest run per (tag, variant).
    var latest: [String: RunRecord] = [:]
    for run in runs { latest[run.tag + "\u{0}" + run.variant] = run }
    let tags = Array(Set(runs.map(\.tag))).sorted(by: TagOrder.versionOrder)
    let variants = Array(Set(runs.map(\.variant))).sorted { a, b in a == "as-posted" ? b != "as-posted" : b == "as-posted" ? false : a < b }
    var scenarios: [String: [String]] = [:]
    for variant in variants {
      var names: [String] = []
      for run in runs where run.variant == variant {
        for s in run.scenarioResults.map(\.name) where !names.contains(s) { names.append(s) }
      }
      scenarios[variant] = names
    }
    let seriesTitle = runs.last?.seriesTitle ?? series
    var html = "<h2>\(Escaping.markup(seriesTitle))</h2>\n<p>series <code>\(Escaping.markup(series))</code>, \(runs.count) run(s)</p>\n"
    html +=
      "<p class=\"legend\">"
      + ["PASS", "FAIL", "APPLY-FAIL", "BUILD-FAIL", "INFRA-ERROR"].map {
        "<span style=\"background:\(verdictColors[$0] ?? "#000")\">\($0)</span>"
      }.joined() + "</p>\n"
    html += "<table class=\"matrix\" data-series=\"\(Escaping.markup(series))\"><thead><tr><th rowspan=\"2\" class=\"tag\">tag</th>"
    for variant in variants {
      html += "<th colspan=\"\(1 + (scenarios[variant]?.count ?? 0))\">\(Escaping.markup(variant))</th>"
    }
    html += "</tr><tr>"
    for variant in variants {
      html += "<th>verdict</th>" + (scenarios[variant] ?? []).map { "<th>\(Escaping.markup($0))</th>" }.joined()
    }
    html += "</tr></thead><tbody>\n"
    for tag in tags {
      html += "<tr><th class=\"tag\">\(Escaping.markup(tag))</th>"
      for variant in variants {
        guard let run = latest[tag + "\u{0}" + variant] else {
          html += "<td class=\"verdict empty\" data-tag=\"\(Escaping.markup(tag))\" data-variant=\"\(Escaping.markup(variant))\"></td>"
          html += String(repeating: "<td></td>", count: scenarios[variant]?.count ?? 0)
          continue
        }
        let anchor = "run-\(run.id ?? 0)"
        html +=
          "<td class=\"verdict\" style=\"background:\(verdictColors[run.verdict] ?? "#000")\" data-tag=\"\(Escaping.markup(tag))\" data-variant=\"\(Escaping.markup(variant))\" data-verdict=\"\(Escaping.markup(run.verdict))\" title=\"\(Escaping.markup(run.reason))\"><a href=\"#\(anchor)\">\(Escaping.markup(run.verdict))</a></td>"
        for name in scenarios[variant] ?? [] {
          let result = run.scenarioResults.first { $0.name == name }?.result ?? ""
          html +=
            "<td class=\"scenario\" style=\"background:\(resultColors[result] ?? "#fff")\" data-tag=\"\(Escaping.markup(tag))\" data-variant=\"\(Escaping.markup(variant))\" data-scenario=\"\(Escaping.markup(name))\" data-result=\"\(Escaping.markup(result))\"><a href=\"#\(anchor)\">\(Escaping.markup(result))</a></td>"
        }
      }
      html += "</tr>\n"
    }
    html += "</tbody></table>\n"
    html += chart(tags: tags, latest: tags.compactMap { tag in variants.lazy.compactMap { latest[tag + "\u{0}" + $0] }.first })
    html += "<h3>Runs</h3>\n"
    for tag in tags {
      for variant in variants {
        guard let run = latest[tag + "\u{0}" + variant] else { continue }
        html +=
          "<section class=\"run\" id=\"run-\(run.id ?? 0)\"><h4>\(Escaping.markup(tag)) · \(Escaping.markup(variant)) · \(Escaping.markup(run.verdict))</h4>"
        html += "<p>\(Escaping.markup(run.reason))</p><p>commit <code>\(Escaping.markup(String(run.commit.prefix(12))))</code>"
        if let changed = run.filesChanged { html += ", \(changed) files changed since the previous build" }
        if let objects = run.objects { html += ", \(objects) objects compiled" }
        html += ". Report: <code>\(Escaping.markup(run.reportDir))</code></p>\n"
        for splat in run.splats {
          // What the base shows too is listed, closed, with its counts: not what failed.
          let known = splat.preExisting.map { " <small>— \(Escaping.markup($0))</small>" } ?? ""
          html +=
            "<details\(splat.preExisting == nil ? " open" : "")><summary>\(Escaping.markup(splat.title)) <small>(\(Escaping.markup(splat.kind)))</small>\(known)</summary><pre>"
          html += splat.excerpt.map { Escaping.markup($0) }.joined(separator: "\n") + "</pre></details>\n"
        }
        html += "</section>\n"
      }
    }
    return html
  }

  /// Horizontal stacked bars: each tag's phase times (seconds).
  package static func chart(tags: [String], latest: [RunRecord]) -> String {
    guard !latest.isEmpty else { return "" }
    let totals = latest.map { run in phases.reduce(0.0) { $0 + (run.phases[$1] ?? 0) } }
    let most = max(totals.max() ?? 1, 1)
    let rowHeight = 26
    let labelWidth = 110
    let barWidth = 600
    let height = rowHeight * latest.count + 40
    var svg =
      "<h3>Phase times per tag</h3>\n<svg class=\"chart\" width=\"\(labelWidth + barWidth + 80)\" height=\"\(height)\" role=\"img\" aria-label=\"phase times per tag\">"
    for (row, run) in latest.enumerated() {
      let y = row * rowHeight + 4
      svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(Escaping.markup(run.tag))</text>"
      var x = Double(labelWidth)
      for (i, phase) in phases.enumerated() {
        let w = (run.phases[phase] ?? 0) / most * Double(barWidth)
        guard w > 0 else { continue }
        svg += String(
          format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%@\"><title>%@ %.1f s</title></rect>", x, y, w,
          phaseColors[i], phase, run.phases[phase] ?? 0)
        x += w
      }
      svg += String(format: "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%.0f s</text>", x + 4, y + 15, totals[row])
    }
    var lx = labelWidth
    let ly = rowHeight * latest.count + 24
    for (i, phase) in phases.enumerated() {
      svg += "<rect x=\"\(lx)\" y=\"\(ly - 10)\" width=\"10\" height=\"10\" fill=\"\(phaseColors[i])\"></rect>"
      svg += "<text x=\"\(lx + 14)\" y=\"\(ly)\" font-size=\"11\">\(phase)</text>"
      lx += 90
    }
    return svg + "</svg>\n"
  }
}

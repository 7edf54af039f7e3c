// `patchcheck report --html DIR`: one static page per database (no scripts, no network): a
// matrix of tags (rows) by variant and scenario (columns) coloured by verdict, a bar chart
// of phase times per tag, and each run's kernel reports one click away.
//
// The page's structure is built with Plot. Its escaping is not used for what a console or a
// mail wrote: Plot writes attribute values as they are and passes `&name;` in text through
// as an entity, so every such string goes in through `Escaping.markup` (entities, and
// control characters shown) as raw text.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckSeries
import PatchCheckVerdict
import Plot

package enum HTMLReport {
  /// Every verdict's colour: a switch, so a new verdict cannot go without one.
  package static func colour(_ verdict: Verdict) -> String {
    switch verdict {
    case .pass: "#2e7d32"
    case .fail: "#c62828"
    case .skip: "#00838f"
    case .notExercised: "#5d4037"
    case .applyFail: "#ef6c00"
    case .buildFail: "#6a1b9a"
    case .infraError: "#616161"
    case .expectationUnmet: "#ad1457"
    case .aborted: "#9e9e9e"
    }
  }

  package static func colour(_ result: TestOutcome?) -> String {
    switch result {
    case .pass: "#a5d6a7"
    case .fail: "#ef9a9a"
    case .timeout: "#e57373"
    case .skip: "#e0e0e0"
    case .missing: "#fafafa"
    case nil: "#fff"
    }
  }

  /// The phases the chart stacks (the parts of a run's time; not `total`, nor the base's).
  package static let phases: [Phase] = [.apply, .checkout, .configure, .build, .initramfs, .boot, .analysis]
  package static let phaseColors = ["#90caf9", "#80deea", "#ffe082", "#ffab91", "#ce93d8", "#a5d6a7", "#bcaaa4"]

  static let css = """
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
    """

  /// Writes DIR/index.html for every series in `runs` (latest run per tag and variant).
  package static func write(runs: [RunRecord], to folder: URL, title: String = "patchcheck results") throws -> URL {
    try FileManager.default.ensureDirectory(folder)
    let url = folder.appendingPathComponent("index.html")
    try render(runs: runs, title: title).write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  package static func render(runs: [RunRecord], title: String) -> String {
    let seriesNames = Array(Set(runs.map(\.series))).sorted()
    let page = HTML(
      .lang(.english),
      .head(.encoding(.utf8), .element(named: "title", nodes: [text(title)]), .style(css)),
      .body(
        .h1(text(title)),
        seriesNames.isEmpty ? .p("No runs recorded yet.") : .empty,
        .group(seriesNames.map { series in section(series: series, runs: runs.filter { $0.series == series }) })
      )
    )
    return page.render(indentedBy: .spaces(1)) + "\n"
  }

  /// What a console, a mail or the user wrote, as element text.
  static func text<Context>(_ value: String) -> Node<Context> { .raw(Escaping.markup(value)) }
  /// The same, as an attribute value.
  static func attribute<Context>(_ name: String, _ value: String) -> Node<Context> {
    .attribute(named: name, value: Escaping.markup(value), ignoreIfValueIsEmpty: false)
  }

  /// One series: its legend, its matrix, its chart and its runs.
  package static func section(series: String, runs: [RunRecord]) -> Node<HTML.BodyContext> {
    let matrix = Matrix(runs: runs)
    return .group(
      .h2(text(runs.last?.seriesTitle ?? series)),
      .p("series ", .code(text(series)), .text(", \(runs.count) run(s)")),
      .p(
        .class("legend"),
        .group(Verdict.allCases.map { verdict in .span(.style("background:\(colour(verdict))"), .text(verdict.rawValue)) })),
      table(matrix, series: series),
      chart(latest: matrix.tags.compactMap { tag in matrix.variants.lazy.compactMap { matrix.run(tag: tag, variant: $0) }.first }),
      .h3("Runs"),
      .group(
        matrix.tags.flatMap { tag in matrix.variants.compactMap { matrix.run(tag: tag, variant: $0) } }.map(runSection))
    )
  }

  /// The latest run of each (tag, variant), the tags in version order, the variants with
  /// as-posted first, and each variant's scenarios in the order the runs name them.
  struct Matrix {
    struct Key: Hashable {
      var tag: String
      var variant: String
    }
    var latest: [Key: RunRecord] = [:]
    var tags: [String]
    var variants: [String]
    var scenarios: [String: [String]] = [:]

    init(runs: [RunRecord]) {
      for run in runs { latest[Key(tag: run.tag, variant: run.variant)] = run }
      tags = Array(Set(runs.map(\.tag))).sorted(by: TagOrder.versionOrder)
      variants = Array(Set(runs.map(\.variant))).sorted { a, b in
        a == "as-posted" ? b != "as-posted" : b == "as-posted" ? false : a < b
      }
      for variant in variants {
        var names: [String] = []
        for run in runs where run.variant == variant {
          for s in run.scenarioResults.map(\.name) where !names.contains(s) { names.append(s) }
        }
        scenarios[variant] = names
      }
    }

    func run(tag: String, variant: String) -> RunRecord? { latest[Key(tag: tag, variant: variant)] }
  }

  static func table(_ matrix: Matrix, series: String) -> Node<HTML.BodyContext> {
    let variantHeads: [Node<HTML.TableRowContext>] = matrix.variants.map { variant in
      .th(.attribute(named: "colspan", value: "\(1 + (matrix.scenarios[variant]?.count ?? 0))"), text(variant))
    }
    let columnHeads: [Node<HTML.TableRowContext>] = matrix.variants.flatMap { variant in
      [.th("verdict")] + (matrix.scenarios[variant] ?? []).map { .th(text($0)) }
    }
    return .table(
      .class("matrix"), attribute("data-series", series),
      .thead(
        .tr(.th(.attribute(named: "rowspan", value: "2"), .class("tag"), "tag"), .group(variantHeads)),
        .tr(.group(columnHeads))),
      .tbody(.group(matrix.tags.map { tag in .tr(.th(.class("tag"), text(tag)), .group(cells(matrix, tag: tag))) }))
    )
  }

  /// One tag's cells: per variant, its verdict and each scenario's result, linked to the run.
  static func cells(_ matrix: Matrix, tag: String) -> [Node<HTML.TableRowContext>] {
    matrix.variants.flatMap { variant -> [Node<HTML.TableRowContext>] in
      let names = matrix.scenarios[variant] ?? []
      guard let run = matrix.run(tag: tag, variant: variant) else {
        return [.td(.class("verdict empty"), attribute("data-tag", tag), attribute("data-variant", variant))]
          + names.map { _ in .td() }
      }
      let anchor = "#run-\(run.id ?? 0)"
      let verdict: Node<HTML.TableRowContext> = .td(
        .class("verdict"), .style("background:\(colour(run.verdict))"), attribute("data-tag", tag),
        attribute("data-variant", variant), attribute("data-verdict", run.verdict.rawValue), attribute("title", run.reason),
        .a(.href(anchor), .text(run.verdict.rawValue)))
      return [verdict]
        + names.map { name in
          let result = run.scenarioResults.first { $0.name == name }?.result
          return .td(
            .class("scenario"), .style("background:\(colour(result))"), attribute("data-tag", tag),
            attribute("data-variant", variant), attribute("data-scenario", name),
            attribute("data-result", result?.rawValue ?? ""), .a(.href(anchor), .text(result?.rawValue ?? "")))
        }
    }
  }

  /// A run's verdict, reason, where its report is, and its kernel reports (what the base
  /// shows too is listed closed, with its counts: not what failed).
  static func runSection(_ run: RunRecord) -> Node<HTML.BodyContext> {
    var facts = "commit <code>\(Escaping.markup(String(run.commit.prefix(12))))</code>"
    if let changed = run.filesChanged { facts += ", \(changed) files changed since the previous build" }
    if let objects = run.objects { facts += ", \(objects) objects compiled" }
    facts += ". Report: <code>\(Escaping.markup(run.reportDir))</code>"
    return .section(
      .class("run"), .id("run-\(run.id ?? 0)"),
      .h4(text("\(run.tag) · \(run.variant) · \(run.verdict.rawValue)")),
      .p(text(run.reason)),
      .p(.raw(facts)),
      .group(
        run.splats.map { splat in
          .details(
            splat.preExisting == nil ? .open(true) : .empty,
            .summary(
              text(splat.title), .text(" "), .small(.text("(\(splat.kind.rawValue))")),
              splat.preExisting.map { .small(.raw(" — \(Escaping.markup($0))")) } ?? .empty),
            .element(
              named: "pre", nodes: [Node<HTML.DetailsContext>.raw(splat.excerpt.map { Escaping.markup($0) }.joined(separator: "\n"))]))
        })
    )
  }

  /// Horizontal stacked bars: each tag's phase times (seconds), an SVG drawn here (Plot has
  /// no SVG elements; they are named ones).
  static func chart(latest: [RunRecord]) -> Node<HTML.BodyContext> {
    guard !latest.isEmpty else { return .empty }
    let totals = latest.map { run in phases.reduce(0.0) { $0 + (run.phases[$1] ?? 0) } }
    let most = max(totals.max() ?? 1, 1)
    let (rowHeight, labelWidth, barWidth) = (26, 110, 600)
    func svg(_ name: String, _ attributes: [(String, String)], _ children: [Node<HTML.BodyContext>] = []) -> Node<HTML.BodyContext> {
      .element(named: name, nodes: attributes.map { .attribute(named: $0.0, value: $0.1) } + children)
    }
    var shapes: [Node<HTML.BodyContext>] = []
    for (row, run) in latest.enumerated() {
      let y = row * rowHeight + 4
      shapes.append(svg("text", [("x", "0"), ("y", "\(y + 15)"), ("font-size", "12")], [text(run.tag)]))
      var x = Double(labelWidth)
      for (i, phase) in phases.enumerated() {
        let seconds = run.phases[phase] ?? 0
        let w = seconds / most * Double(barWidth)
        guard w > 0 else { continue }
        shapes.append(
          svg(
            "rect",
            [
              ("x", String(format: "%.1f", x)), ("y", "\(y)"), ("width", String(format: "%.1f", w)), ("height", "18"),
              ("fill", phaseColors[i]),
            ],
            [svg("title", [], [.text(String(format: "%@ %.1f s", phase.rawValue, seconds))])]))
        x += w
      }
      shapes.append(
        svg(
          "text", [("x", String(format: "%.1f", x + 4)), ("y", "\(y + 15)"), ("font-size", "12")],
          [.text(String(format: "%.0f s", totals[row]))]))
    }
    let ly = rowHeight * latest.count + 24
    for (i, phase) in phases.enumerated() {
      let lx = labelWidth + 90 * i
      shapes.append(svg("rect", [("x", "\(lx)"), ("y", "\(ly - 10)"), ("width", "10"), ("height", "10"), ("fill", phaseColors[i])]))
      shapes.append(svg("text", [("x", "\(lx + 14)"), ("y", "\(ly)"), ("font-size", "11")], [.text(phase.rawValue)]))
    }
    return .group(
      .h3("Phase times per tag"),
      svg(
        "svg",
        [
          ("class", "chart"), ("width", "\(labelWidth + barWidth + 80)"), ("height", "\(rowHeight * latest.count + 40)"), ("role", "img"),
          ("aria-label", "phase times per tag"),
        ], shapes))
  }
}

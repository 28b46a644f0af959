/// A whole self-contained HTML report: the llmplan marker on the first line (so `ReportFile`
/// recognises and may regenerate it), a Content-Security-Policy that forbids every network
/// request and every script, inline CSS for screen and print, and the body. Nothing is loaded
/// from anywhere: the file reads the same offline, and the CSP makes a browser refuse (and
/// report) any fetch a future change might add.
enum HTMLDocument {
  /// No source allowed but the document's own inline styles and `data:` images.
  static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

  static func render(title: String, body: [HTMLFragment]) -> String {
    let head = HTMLFragment.element(
      "head",
      [
        .lines([
          .void("meta", ["charset": "utf-8"]),
          .void("meta", ["http-equiv": "Content-Security-Policy", "content": contentSecurityPolicy]),
          .void("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"]),
          .void("meta", ["name": "generator", "content": "llmplan"]),
          .element("title", text: title),
          .element("style", [HTMLFragment(raw: HTMLStyle.css)]),
        ])
      ])
    let main = HTMLFragment.element("main", [.lines(body)])
    return ReportFile.marker + "\n<!DOCTYPE html>\n<html lang=\"en\">\n" + head.markup + "\n<body>\n" + main.markup
      + "\n</body>\n</html>\n"
  }

  /// A section with a heading (`h2`) and its content; `id` makes it linkable from the contents.
  static func section(_ id: String, _ heading: String, _ content: [HTMLFragment]) -> HTMLFragment {
    .element("section", ["id": id], [.lines([.element("h2", [HTMLFragment.prose(heading)])] + content)])
  }

  static func paragraph(_ text: String) -> HTMLFragment { .element("p", [HTMLFragment.prose(text)]) }

  static func list(_ items: [String]) -> HTMLFragment {
    .element("ul", [.lines(items.map { .element("li", [HTMLFragment.prose($0)]) })])
  }

  /// Links to the sections, for a long report on screen (hidden in print).
  static func contents(_ entries: [(id: String, title: String)]) -> HTMLFragment {
    .element(
      "nav", ["class": "contents", "aria-label": "Contents"],
      [.element("ul", [.lines(entries.map { .element("li", [.element("a", ["href": "#" + $0.id], text: $0.title)]) })])]
    )
  }
}

/// The report's stylesheet: readable on a laptop (a 1200 px column, tables that scroll
/// sideways inside their box rather than the page), and on paper (A4/Letter margins, tables
/// that wrap instead of being clipped, headings kept with what follows, charts not split).
/// No `<` or `&` in it, so the document stays well-formed XML.
enum HTMLStyle {
  static let css = """
    :root { color-scheme: light; }
    body { margin: 0; background: #ffffff; color: #1b1b1b;
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
    h1 { font-size: 1.7em; margin: 0.2em 0 0.4em; }
    h2 { font-size: 1.3em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #dddddd; }
    h3 { font-size: 1.08em; margin: 1.3em 0 0.4em; }
    code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
      font-size: 0.88em; }
    code { background: #f3f3f3; padding: 0 0.25em; border-radius: 3px; overflow-wrap: anywhere; }
    pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 12px; overflow-x: auto; white-space: pre-wrap;
      overflow-wrap: anywhere; }
    pre code { background: none; padding: 0; }
    .callout { border-left: 5px solid #0072B2; background: #eef5fb; padding: 10px 16px; margin: 1em 0; }
    .callout.warn { border-left-color: #D55E00; background: #fdf1ea; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0.5em 0; }
    dl.facts dt { font-weight: 600; }
    dl.facts dd { margin: 0; }
    nav.contents ul { list-style: none; padding: 0; margin: 0.5em 0 1em; display: flex; flex-wrap: wrap; gap: 4px 18px; }
    nav.contents a { color: #0b5cad; text-decoration: none; }
    .table-wrap { overflow-x: auto; width: fit-content; max-width: 100%; margin: 0.6em 0 1em;
      border: 1px solid #e3e3e3; border-radius: 4px; }
    table { border-collapse: collapse; font-size: 0.9em; }
    td:last-child:not(.num) { min-width: 14em; }
    caption { text-align: left; font-weight: 600; padding: 6px 8px; }
    th, td { padding: 5px 8px; border-bottom: 1px solid #ececec; vertical-align: top; text-align: left; }
    thead th { background: #f4f6f8; border-bottom: 2px solid #d0d7de; white-space: nowrap; }
    tbody th { font-weight: 600; white-space: nowrap; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    tr.chosen { background: #eef5fb; }
    tr.fails { color: #6b6b6b; }
    .flag { color: #b34700; font-weight: 600; }
    figure.chart-figure { margin: 1em 0 1.6em; }
    figure.chart-figure svg { display: block; width: 100%; max-width: 880px; height: auto; }
    figcaption { font-size: 0.9em; color: #444444; max-width: 880px; }
    svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #222222; }
    svg .tick { font-size: 11px; fill: #555555; }
    svg .axis-label { font-size: 12px; }
    svg .legend { font-size: 11.5px; }
    svg .ref { font-size: 11px; fill: #555555; }
    .hashes code { font-size: 0.8em; }
    footer { margin-top: 3em; font-size: 0.85em; color: #666666; }
    @media print {
      @page { margin: 14mm 12mm; }
      body { font-size: 10.5pt; }
      main { max-width: none; padding: 0; }
      nav.contents { display: none; }
      h2, h3 { break-after: avoid; page-break-after: avoid; }
      section { break-before: auto; }
      .table-wrap { overflow: visible; border: none; width: auto; }
      table { font-size: 8pt; table-layout: auto; width: 100%; }
      td:last-child:not(.num) { min-width: 8em; }
      figure.chart-figure svg { max-width: 16cm; }
      thead { display: table-header-group; }
      tr, figure, .callout, pre { break-inside: avoid; page-break-inside: avoid; }
      thead th, tbody th, .num { white-space: normal; }
      th, td { padding: 3px 4px; overflow-wrap: break-word; }
      thead th { overflow-wrap: anywhere; }
      pre { white-space: pre-wrap; }
      a { color: inherit; text-decoration: none; }
    }
    """
}

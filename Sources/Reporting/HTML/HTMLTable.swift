/// A table for the HTML report: a caption, a header row, body rows, numeric columns aligned
/// right in tabular figures. The first `keyColumns` cells of a row are row headers (`<th>`),
/// so a screen reader names the row. Wrapped in a scrolling box on screen; print CSS lets it
/// wrap instead, so nothing is clipped on paper.
struct HTMLTable {
  enum Alignment { case left, right }

  var headers: [String]
  var alignments: [Alignment]
  var keyColumns: Int
  var caption: String?
  private(set) var rows: [(cells: [HTMLFragment], className: String?)] = []

  init(_ headers: [String], alignments: [Alignment]? = nil, keyColumns: Int = 1, caption: String? = nil) {
    self.headers = headers
    self.alignments = alignments ?? headers.map { _ in .left }
    self.keyColumns = keyColumns
    self.caption = caption
  }

  /// The same table as a Markdown report builds it (headers, alignments, row headers, cells), so
  /// a section's figures are computed once for both formats; `rowClasses[i]` styles row i.
  init(_ table: MarkdownTable, rowClasses: [String?] = [], caption: String? = nil) {
    self.init(
      table.headers, alignments: table.alignments.map { $0 == .right ? .right : .left }, keyColumns: table.keyColumns,
      caption: caption)
    for (index, row) in table.rows.enumerated() {
      append(row, className: index < rowClasses.count ? rowClasses[index] : nil)
    }
  }

  /// Adds a row of text cells (escaped); short rows are padded, long ones cut.
  mutating func append(_ cells: [String], className: String? = nil) {
    append(fragments: cells.map { HTMLFragment(text: $0) }, className: className)
  }

  mutating func append(fragments: [HTMLFragment], className: String? = nil) {
    var row = Array(fragments.prefix(headers.count))
    while row.count < headers.count { row.append(.empty) }
    rows.append((row, className))
  }

  func cellAttributes(_ column: Int) -> [(String, String)] {
    alignments[column] == .right ? [("class", "num")] : []
  }

  var rendered: HTMLFragment {
    var parts: [HTMLFragment] = []
    if let caption { parts.append(.element("caption", text: caption)) }
    let head = headers.indices.map { column in
      HTMLFragment.element(
        "th", attributes: cellAttributes(column) + [("scope", "col")], [HTMLFragment(text: headers[column])])
    }
    parts.append(.element("thead", [.element("tr", head)]))
    let body = rows.map { row -> HTMLFragment in
      let cells = row.cells.indices.map { column -> HTMLFragment in
        column < keyColumns
          ? .element("th", attributes: cellAttributes(column) + [("scope", "row")], [row.cells[column]])
          : .element("td", attributes: cellAttributes(column), [row.cells[column]])
      }
      return .element("tr", attributes: row.className.map { [("class", $0)] } ?? [], cells)
    }
    parts.append(.element("tbody", [HTMLFragment.lines(body)]))
    return .element("div", ["class": "table-wrap"], [.element("table", [HTMLFragment.lines(parts)])])
  }
}

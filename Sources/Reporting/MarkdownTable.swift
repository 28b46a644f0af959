/// A GitHub-flavoured Markdown table whose columns are padded to equal width, so it reads as
/// well in a terminal as it renders on GitHub. Every row has one cell per column; `|` inside a
/// cell is escaped and newlines become spaces.
///
/// A table whose lines would be wider than `maxLineWidth` characters is rendered as several
/// tables, one after the other, that each repeat the first `keyColumns` columns (the row's
/// key, e.g. the layout) and take as many of the other columns, in order, as fit. A single
/// column wider than the limit on its own still gets a table of its own with the key.
public struct MarkdownTable: Sendable {
  public enum Alignment: Sendable { case left, right }

  /// Widest table line the reports print, in characters: a terminal of 120 columns shows
  /// every row on one line.
  public static let maxLineWidth = 120

  public var headers: [String]
  public var alignments: [Alignment]
  /// Leading columns repeated in every part of a split table.
  public var keyColumns: Int
  public private(set) var rows: [[String]] = []

  public init(_ headers: [String], alignments: [Alignment]? = nil, keyColumns: Int = 1) {
    self.headers = headers
    self.alignments = alignments ?? headers.map { _ in .left }
    self.keyColumns = min(max(keyColumns, 0), headers.count)
  }

  /// Adds a row; short rows are padded with empty cells and long ones cut, so the table stays
  /// well-formed whatever the caller passes.
  public mutating func append(_ cells: [String]) {
    var row = Array(cells.prefix(headers.count))
    while row.count < headers.count { row.append("") }
    rows.append(row.map(MarkdownTable.escape))
  }

  static func escape(_ cell: String) -> String {
    cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  /// Padded width of each column: its widest cell, at least 3 (the rule needs "--:").
  var columnWidths: [Int] {
    let header = headers.map(MarkdownTable.escape)
    return header.indices.map { column in
      max(3, ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0)
    }
  }

  /// Width of a line holding `columns`: "| " + cells joined by " | " + " |".
  static func lineWidth(_ columns: [Int], widths: [Int]) -> Int {
    columns.reduce(0) { $0 + widths[$1] } + 3 * max(columns.count - 1, 0) + 4
  }

  /// The column sets of the parts: the key columns, then the others in order, a new part
  /// starting whenever the next column would push a line past `maxWidth`.
  func parts(maxWidth: Int) -> [[Int]] {
    let widths = columnWidths
    let key = Array(0..<keyColumns)
    let rest = Array(keyColumns..<headers.count)
    guard MarkdownTable.lineWidth(key + rest, widths: widths) > maxWidth, !rest.isEmpty else { return [key + rest] }
    var parts: [[Int]] = []
    var current = key
    for column in rest {
      if current.count > key.count, MarkdownTable.lineWidth(current + [column], widths: widths) > maxWidth {
        parts.append(current)
        current = key
      }
      current.append(column)
    }
    parts.append(current)
    return parts
  }

  /// The table, split into parts no wider than `maxLineWidth` where it can be.
  public var rendered: String { text(maxWidth: MarkdownTable.maxLineWidth) }

  /// The table, split into parts no wider than `maxWidth` where it can be.
  public func text(maxWidth: Int) -> String {
    let widths = columnWidths
    return parts(maxWidth: maxWidth).map { part(columns: $0, widths: widths) }.joined(separator: "\n\n")
  }

  func part(columns: [Int], widths: [Int]) -> String {
    let header = headers.map(MarkdownTable.escape)
    func line(_ cells: [String]) -> String {
      let padded = columns.map { column -> String in
        let cell = cells[column]
        let fill = String(repeating: " ", count: widths[column] - cell.count)
        return alignments[column] == .right ? fill + cell : cell + fill
      }
      return "| " + padded.joined(separator: " | ") + " |"
    }
    let rule = columns.map { column -> String in
      let dashes = String(repeating: "-", count: widths[column])
      return alignments[column] == .right ? String(dashes.dropLast()) + ":" : dashes
    }
    var lines = [line(header), "| " + rule.joined(separator: " | ") + " |"]
    lines += rows.map(line)
    return lines.joined(separator: "\n")
  }
}

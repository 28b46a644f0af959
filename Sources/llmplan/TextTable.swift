import PlanCore

/// A plain-text table with aligned columns, for listings people read in a terminal.
struct TextTable {
  enum Alignment { case left, right }

  struct Column {
    var title: String
    var alignment: Alignment
    init(_ title: String, _ alignment: Alignment = .left) {
      self.title = title
      self.alignment = alignment
    }
  }

  var columns: [Column]
  var rows: [[String]] = []

  init(_ columns: [Column]) { self.columns = columns }

  mutating func append(_ row: [String]) {
    precondition(row.count == columns.count, "a table row needs one cell per column")
    rows.append(row)
  }

  /// Header, a rule, then the rows; two spaces between columns, no trailing blanks.
  var rendered: String {
    let widths = columns.indices.map { index in
      ([columns[index].title] + rows.map { $0[index] }).map(\.count).max() ?? 0
    }
    func line(_ cells: [String]) -> String {
      var text = ""
      for (index, cell) in cells.enumerated() {
        let padding = String(repeating: " ", count: widths[index] - cell.count)
        if index > 0 { text += "  " }
        text += columns[index].alignment == .left ? cell + padding : padding + cell
      }
      while text.hasSuffix(" ") { text.removeLast() }
      return text
    }
    var lines = [line(columns.map(\.title)), line(widths.map { String(repeating: "-", count: $0) })]
    lines += rows.map(line)
    return lines.joined(separator: "\n")
  }
}

extension TextTable {
  // Free-form rows (first row = header), for tables built cell by cell.
  /// Pads every column to its widest cell; columns in `rightAligned` are right-aligned.
  static func render(_ rows: [[String]], rightAligned: Set<Int> = [], indent: String = "") -> String {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return rows.map { row in
      var cells: [String] = []
      for (index, cell) in row.enumerated() {
        let pad = String(repeating: " ", count: widths[index] - cell.count)
        cells.append(rightAligned.contains(index) ? pad + cell : cell + pad)
      }
      var line = cells.joined(separator: "  ")
      while line.hasSuffix(" ") { line.removeLast() }
      return indent + line
    }.joined(separator: "\n")
  }

  /// "1.23 G", "456 k", "0": a plain count with a decimal prefix.
  static func count(_ value: Double) -> String {
    guard value.isFinite else { return "n/a" }
    for (scale, prefix) in [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(value) >= scale {
      return Units.threeSignificant(value / scale) + " " + prefix
    }
    return Units.threeSignificant(value)
  }
}

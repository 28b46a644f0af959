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

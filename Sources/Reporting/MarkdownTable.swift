/// A GitHub-flavoured Markdown table whose columns are padded to equal width, so it reads as
/// well in a terminal as it renders on GitHub. Every row has one cell per column; `|` inside a
/// cell is escaped and newlines become spaces.
public struct MarkdownTable: Sendable {
  public enum Alignment: Sendable { case left, right }

  public var headers: [String]
  public var alignments: [Alignment]
  public private(set) var rows: [[String]] = []

  public init(_ headers: [String], alignments: [Alignment]? = nil) {
    self.headers = headers
    self.alignments = alignments ?? headers.map { _ in .left }
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

  public var rendered: String {
    let header = headers.map(MarkdownTable.escape)
    let widths = header.indices.map { column in
      max(3, ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0)
    }
    func line(_ cells: [String]) -> String {
      let padded = cells.enumerated().map { column, cell -> String in
        let fill = String(repeating: " ", count: widths[column] - cell.count)
        return alignments[column] == .right ? fill + cell : cell + fill
      }
      return "| " + padded.joined(separator: " | ") + " |"
    }
    let rule = widths.indices.map { column -> String in
      let dashes = String(repeating: "-", count: widths[column])
      return alignments[column] == .right ? String(dashes.dropLast()) + ":" : dashes
    }
    var lines = [line(header), "| " + rule.joined(separator: " | ") + " |"]
    lines += rows.map(line)
    return lines.joined(separator: "\n")
  }
}

import Foundation

extension ScenarioReport {
  /// The check table as aligned plain text: one row per check (expected vs got), then each
  /// check's derivation by number, the notes, and the headline figures.
  public func renderedText(includeFigures: Bool = true) -> String {
    var lines: [String] = []
    let failed = failedChecks.count
    let verdict = failed == 0 ? "all \(checks.count) checks pass" : "\(failed) of \(checks.count) checks FAIL"
    lines.append("\(scenario): \(title) [\(size), seeds \(seeds.map(String.init).joined(separator: ","))]: \(verdict)")
    lines.append("")
    var table: [[String]] = [["#", "check", "expected", "got", "result", "from"]]
    for (index, check) in checks.enumerated() {
      table.append([
        String(index + 1), check.name, check.expected, check.got, check.passed ? "pass" : "FAIL", check.source.rawValue,
      ])
    }
    lines += Self.aligned(table, rightAligned: [0, 2, 3])
    lines.append("")
    lines.append("Where the expectations come from:")
    var firstWith: [String: Int] = [:]
    for (index, check) in checks.enumerated() {
      if let first = firstWith[check.derivation] {
        lines.append("  \(index + 1). as \(first)")
      } else {
        firstWith[check.derivation] = index + 1
        lines.append("  \(index + 1). \(check.derivation)")
      }
    }
    if !notes.isEmpty {
      lines.append("")
      lines.append("Notes:")
      for note in notes { lines.append("  - \(note)") }
    }
    if includeFigures && !figures.isEmpty {
      lines.append("")
      lines.append("Key figures:")
      var figureTable: [[String]] = []
      for figure in figures {
        figureTable.append([figure.name, Self.formatted(figure), figure.source.rawValue])
      }
      lines += Self.aligned(figureTable, rightAligned: [1]).map { "  " + $0 }
    }
    return lines.joined(separator: "\n")
  }

  static func formatted(_ figure: ScenarioFigure) -> String {
    switch figure.unit {
    case "×": return ValueFormat.times.format(figure.value)
    case "s": return ValueFormat.seconds.format(figure.value)
    case "fraction": return ValueFormat.percent.format(figure.value)
    case "B": return ValueFormat.bytes.format(figure.value)
    default: return ValueFormat.number(figure.unit).format(figure.value)
    }
  }

  /// Columns padded to their widest cell; the listed columns right-aligned; no trailing blanks.
  static func aligned(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return rows.map { row in
      var text = row.enumerated().map { index, cell in
        let pad = String(repeating: " ", count: widths[index] - cell.count)
        return rightAligned.contains(index) ? pad + cell : cell + pad
      }.joined(separator: "  ")
      while text.hasSuffix(" ") { text.removeLast() }
      return text
    }
  }
}

import Foundation

/// A measurement file that cannot be used, naming the file, the line (1-based, as an editor
/// shows it), the column and the reason: `runs.csv:14: column "seconds": "abc" is not a number`.
public struct MeasurementFileError: Error, CustomStringConvertible, Equatable, Sendable {
  public let file: String
  /// 1-based line number; 0 when the problem concerns the whole file.
  public let line: Int
  /// Column name (from the header), or "" when the problem concerns the whole row or file.
  public let column: String
  public let reason: String

  public init(file: String, line: Int, column: String = "", reason: String) {
    self.file = file
    self.line = line
    self.column = column
    self.reason = reason
  }

  public var description: String {
    let place = line > 0 ? "\(file):\(line)" : file
    return column.isEmpty ? "\(place): \(reason)" : "\(place): column \"\(column)\": \(reason)"
  }
}

/// A comma-separated table with a header row, as measurement files are written.
///
/// Supports RFC 4180 quoting (`"a,b"`, `""` for a quote inside quotes), blank lines and whole-line
/// `#` comments. Every row remembers its line number so errors can point at it.
public struct CSVTable: Sendable {
  public struct Row: Sendable {
    /// 1-based line number in the file.
    public let line: Int
    public let fields: [String]
  }

  public let file: String
  public let header: [String]
  public let rows: [Row]
  /// Column index by (trimmed) header name.
  public let columnIndex: [String: Int]

  /// Parses `text`; `file` is used in error messages only.
  public init(text: String, file: String) throws {
    self.file = file
    var parsed: [(line: Int, fields: [String])] = []
    var lineNumber = 0
    // Split on any line break: Swift reads "\r\n" as ONE Character, so splitting on "\n" alone
    // would leave a Windows (CRLF) file as a single line.
    for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      lineNumber += 1
      let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      parsed.append((lineNumber, try CSVTable.split(rawLine, file: file, line: lineNumber)))
    }
    guard let first = parsed.first else {
      throw MeasurementFileError(file: file, line: 0, reason: "the file has no header row")
    }
    header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
    var index: [String: Int] = [:]
    for (position, name) in header.enumerated() where !name.isEmpty {
      guard index[name] == nil else {
        throw MeasurementFileError(
          file: file, line: first.line, column: name, reason: "the header names this column twice")
      }
      index[name] = position
    }
    columnIndex = index
    var rows: [Row] = []
    for entry in parsed.dropFirst() {
      guard entry.fields.count == header.count else {
        throw MeasurementFileError(
          file: file, line: entry.line,
          reason: "the row has \(entry.fields.count) fields, the header has \(header.count)")
      }
      rows.append(Row(line: entry.line, fields: entry.fields))
    }
    self.rows = rows
  }

  /// Reads and parses the file at `path`.
  public static func read(path: String) throws -> CSVTable {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw MeasurementFileError(file: path, line: 0, reason: "cannot read the file (missing or unreadable)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw MeasurementFileError(file: path, line: 0, reason: "the file is not UTF-8 text")
    }
    return try CSVTable(text: text, file: path)
  }

  public func has(_ column: String) -> Bool { columnIndex[column] != nil }

  /// The trimmed text of `column` in `row`, or nil when the column is absent or the cell empty.
  public func text(_ row: Row, _ column: String) -> String? {
    guard let position = columnIndex[column] else { return nil }
    let value = row.fields[position].trimmingCharacters(in: .whitespaces)
    return value.isEmpty ? nil : value
  }

  public func error(_ row: Row, _ column: String, _ reason: String) -> MeasurementFileError {
    MeasurementFileError(file: file, line: row.line, column: column, reason: reason)
  }

  /// A required text cell.
  public func string(_ row: Row, _ column: String) throws -> String {
    guard let value = text(row, column) else { throw error(row, column, "missing value") }
    return value
  }

  /// A finite number, or nil when the cell is empty.
  public func optionalDouble(_ row: Row, _ column: String) throws -> Double? {
    guard let value = text(row, column) else { return nil }
    guard let number = Double(value), number.isFinite else {
      throw error(row, column, "\"\(value)\" is not a finite number")
    }
    return number
  }

  public func double(_ row: Row, _ column: String) throws -> Double {
    guard let value = try optionalDouble(row, column) else { throw error(row, column, "missing value") }
    return value
  }

  /// A whole number (written as `8` or `8.0`), or nil when the cell is empty.
  public func optionalInt(_ row: Row, _ column: String) throws -> Int? {
    guard let value = try optionalDouble(row, column) else { return nil }
    guard value == value.rounded(), abs(value) < 1e15 else {
      throw error(row, column, "\(value) is not a whole number")
    }
    return Int(value)
  }

  /// A whole number ≥ 1.
  public func positiveInt(_ row: Row, _ column: String) throws -> Int {
    guard let value = try optionalInt(row, column) else { throw error(row, column, "missing value") }
    guard value >= 1 else { throw error(row, column, "must be at least 1, found \(value)") }
    return value
  }

  /// `true`/`false` in any case, or 1/0.
  public func bool(_ row: Row, _ column: String) throws -> Bool {
    let value = try string(row, column)
    switch value.lowercased() {
    case "true", "1", "yes": return true
    case "false", "0", "no": return false
    default: throw error(row, column, "\"\(value)\" is not true or false")
    }
  }

  /// Splits one line into fields, honouring double quotes.
  static func split(_ line: Substring, file: String, line number: Int) throws -> [String] {
    var fields: [String] = []
    var current = ""
    var quoted = false
    var index = line.startIndex
    while index < line.endIndex {
      let character = line[index]
      if quoted {
        if character == "\"" {
          let next = line.index(after: index)
          if next < line.endIndex && line[next] == "\"" {
            current.append("\"")
            index = next
          } else {
            quoted = false
          }
        } else {
          current.append(character)
        }
      } else if character == "\"" {
        quoted = true
      } else if character == "," {
        fields.append(current)
        current = ""
      } else {
        current.append(character)
      }
      index = line.index(after: index)
    }
    guard !quoted else { throw MeasurementFileError(file: file, line: number, reason: "a quoted field is not closed") }
    fields.append(current)
    return fields
  }
}

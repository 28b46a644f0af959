/// A dense real matrix stored column-major, the layout LAPACK expects.
///
/// `Matrix` is a value type: copies are independent, and every LAPACK call in this module
/// works on a private copy so that callers' matrices are never overwritten.
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
  public let rows: Int
  public let columns: Int
  /// Entries in column-major order: element (i, j) is at `storage[i + j * rows]`.
  public internal(set) var storage: [Double]

  /// A `rows × columns` matrix filled with `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.storage = Array(repeating: value, count: rows * columns)
  }

  /// A matrix from its rows, as written on paper: `Matrix([[1, 2], [3, 4]])`.
  /// Throws `dimensionMismatch` when the rows differ in length.
  public init(_ rowsOfEntries: [[Double]]) throws {
    let rowCount = rowsOfEntries.count
    let columnCount = rowsOfEntries.first?.count ?? 0
    for (index, row) in rowsOfEntries.enumerated() where row.count != columnCount {
      throw LinearAlgebraError.dimensionMismatch(
        "row \(index) has \(row.count) entries, row 0 has \(columnCount)")
    }
    self.init(rows: rowCount, columns: columnCount)
    for i in 0..<rowCount {
      for j in 0..<columnCount { self[i, j] = rowsOfEntries[i][j] }
    }
  }

  /// The identity matrix of size `n`.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, columns: n)
    for i in 0..<n { m[i, i] = 1 }
    return m
  }

  public subscript(row: Int, column: Int) -> Double {
    get { storage[row + column * rows] }
    set { storage[row + column * rows] = newValue }
  }

  /// The matrix-vector product `self · x`.
  public func multiply(_ x: [Double]) throws -> [Double] {
    guard x.count == columns else {
      throw LinearAlgebraError.dimensionMismatch(
        "matrix has \(columns) columns, vector has \(x.count) entries")
    }
    var y = [Double](repeating: 0, count: rows)
    for j in 0..<columns {
      let xj = x[j]
      if xj == 0 { continue }
      let base = j * rows
      for i in 0..<rows { y[i] += storage[base + i] * xj }
    }
    return y
  }

  /// The transpose.
  public var transposed: Matrix {
    var t = Matrix(rows: columns, columns: rows)
    for i in 0..<rows {
      for j in 0..<columns { t[j, i] = self[i, j] }
    }
    return t
  }

  /// True when every entry is finite (no NaN or infinity).
  public var isFinite: Bool { storage.allSatisfy(\.isFinite) }

  public var description: String {
    (0..<rows).map { i in
      (0..<columns).map { j in String(self[i, j]) }.joined(separator: " ")
    }.joined(separator: "\n")
  }
}

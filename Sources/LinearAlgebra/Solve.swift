import CLAPACK

/// Solves the square system `A x = b` by LU factorisation with partial pivoting (LAPACK `dgesv`).
///
/// - Throws: `dimensionMismatch` for non-square `A` or a wrong-length `b`, `notFinite` for
///   NaN/∞ input, `singular` when a pivot is exactly zero or the reciprocal condition number
///   falls below `rcondThreshold` (so a nearly singular system does not return garbage).
public func solve(_ a: Matrix, _ b: [Double], rcondThreshold: Double = 1e-14) throws -> [Double] {
  let x = try solve(a, columns: [b], rcondThreshold: rcondThreshold)
  return x[0]
}

/// Solves `A X = B` for several right-hand sides at once, factoring `A` a single time.
/// `columns[k]` is the k-th right-hand side; the result has the same shape.
public func solve(_ a: Matrix, columns: [[Double]], rcondThreshold: Double = 1e-14) throws -> [[Double]] {
  guard a.rows == a.columns else {
    throw LinearAlgebraError.dimensionMismatch("A is \(a.rows)×\(a.columns), not square")
  }
  guard a.rows > 0 else { throw LinearAlgebraError.illPosed("empty system") }
  for (k, column) in columns.enumerated() where column.count != a.rows {
    throw LinearAlgebraError.dimensionMismatch(
      "right-hand side \(k) has \(column.count) entries, A has \(a.rows) rows")
  }
  try requireFinite(a.storage, "matrix A")
  for column in columns { try requireFinite(column, "right-hand side") }

  var n = Int32(a.rows)
  var lu = a.storage
  var ipiv = [Int32](repeating: 0, count: a.rows)
  var info: Int32 = 0
  var lda = n
  dgetrf_(&n, &n, &lu, &lda, &ipiv, &info)
  if info > 0 { throw LinearAlgebraError.singular(pivot: Int(info)) }
  if info < 0 { throw LinearAlgebraError.lapackFailure(routine: "dgetrf", info: Int(info)) }

  // Reject numerically singular systems: the LU may succeed with a tiny pivot and
  // return a meaningless, huge solution.
  var norm: CChar = CChar(UInt8(ascii: "1"))
  var anorm = oneNorm(a)
  var rcond = 0.0
  var work = [Double](repeating: 0, count: 4 * a.rows)
  var iwork = [Int32](repeating: 0, count: a.rows)
  dgecon_(&norm, &n, &lu, &lda, &anorm, &rcond, &work, &iwork, &info)
  if info != 0 { throw LinearAlgebraError.lapackFailure(routine: "dgecon", info: Int(info)) }
  if !(rcond >= rcondThreshold) { throw LinearAlgebraError.singular(pivot: 0) }

  var nrhs = Int32(columns.count)
  var rhs = columns.flatMap { $0 }
  var ldb = n
  var trans: CChar = CChar(UInt8(ascii: "N"))
  dgetrs_(&trans, &n, &nrhs, &lu, &lda, &ipiv, &rhs, &ldb, &info)
  if info != 0 { throw LinearAlgebraError.lapackFailure(routine: "dgetrs", info: Int(info)) }
  try requireFinite(rhs, "solution")
  return (0..<columns.count).map { k in Array(rhs[(k * a.rows)..<((k + 1) * a.rows)]) }
}

func oneNorm(_ a: Matrix) -> Double {
  var best = 0.0
  for j in 0..<a.columns {
    var sum = 0.0
    for i in 0..<a.rows { sum += abs(a[i, j]) }
    best = max(best, sum)
  }
  return best
}

/// Solves a tridiagonal system (LAPACK `dgtsv`): `sub[i]` is A(i+1, i), `diagonal[i]` is
/// A(i, i), `sup[i]` is A(i, i+1). O(n) time and memory: the solver for birth–death chains.
public func solveTridiagonal(
  sub: [Double], diagonal: [Double], sup: [Double], rhs: [Double]
) throws -> [Double] {
  let n = diagonal.count
  guard n > 0 else { throw LinearAlgebraError.illPosed("empty system") }
  guard sub.count == n - 1, sup.count == n - 1, rhs.count == n else {
    throw LinearAlgebraError.dimensionMismatch(
      "tridiagonal: diagonal \(n), sub \(sub.count), sup \(sup.count), rhs \(rhs.count)")
  }
  try requireFinite(sub + diagonal + sup, "tridiagonal matrix")
  try requireFinite(rhs, "right-hand side")
  var dl = sub.isEmpty ? [0] : sub
  var d = diagonal
  var du = sup.isEmpty ? [0] : sup
  var b = rhs
  var nn = Int32(n)
  var nrhs: Int32 = 1
  var ldb = Int32(n)
  var info: Int32 = 0
  dgtsv_(&nn, &nrhs, &dl, &d, &du, &b, &ldb, &info)
  if info > 0 { throw LinearAlgebraError.singular(pivot: Int(info)) }
  if info < 0 { throw LinearAlgebraError.lapackFailure(routine: "dgtsv", info: Int(info)) }
  try requireFinite(b, "solution")
  return b
}

/// A square band matrix with `lower` sub-diagonals and `upper` super-diagonals.
public struct BandMatrix: Sendable {
  public let size: Int
  public let lower: Int
  public let upper: Int
  /// LAPACK band storage for `dgbsv` (with `lower` extra rows for fill-in):
  /// A(i, j) lives at row `lower + upper + i - j` of column `j`.
  var storage: [Double]
  var leadingDimension: Int { 2 * lower + upper + 1 }

  public init(size: Int, lower: Int, upper: Int) {
    precondition(size >= 0 && lower >= 0 && upper >= 0)
    self.size = size
    self.lower = lower
    self.upper = upper
    self.storage = [Double](repeating: 0, count: (2 * lower + upper + 1) * size)
  }

  /// True when (row, column) lies inside the band.
  public func contains(_ row: Int, _ column: Int) -> Bool {
    row >= 0 && column >= 0 && row < size && column < size
      && row - column <= lower && column - row <= upper
  }

  public subscript(row: Int, column: Int) -> Double {
    get { contains(row, column) ? storage[(lower + upper + row - column) + column * leadingDimension] : 0 }
    set {
      precondition(contains(row, column), "(\(row), \(column)) is outside the band")
      storage[(lower + upper + row - column) + column * leadingDimension] = newValue
    }
  }
}

/// Solves a banded system (LAPACK `dgbsv`): for chains whose transitions jump a few states.
public func solveBanded(_ a: BandMatrix, _ b: [Double]) throws -> [Double] {
  guard a.size > 0 else { throw LinearAlgebraError.illPosed("empty system") }
  guard b.count == a.size else {
    throw LinearAlgebraError.dimensionMismatch("band matrix is \(a.size)², rhs has \(b.count)")
  }
  try requireFinite(a.storage, "band matrix")
  try requireFinite(b, "right-hand side")
  var n = Int32(a.size)
  var kl = Int32(a.lower)
  var ku = Int32(a.upper)
  var nrhs: Int32 = 1
  var ab = a.storage
  var ldab = Int32(a.leadingDimension)
  var ipiv = [Int32](repeating: 0, count: a.size)
  var x = b
  var ldb = n
  var info: Int32 = 0
  dgbsv_(&n, &kl, &ku, &nrhs, &ab, &ldab, &ipiv, &x, &ldb, &info)
  if info > 0 { throw LinearAlgebraError.singular(pivot: Int(info)) }
  if info < 0 { throw LinearAlgebraError.lapackFailure(routine: "dgbsv", info: Int(info)) }
  try requireFinite(x, "solution")
  return x
}

import CLAPACK

/// The answer of a linear least-squares fit `min ‖A x − b‖₂`.
public struct LeastSquaresSolution: Sendable, Equatable {
  /// The fitted coefficients (minimum-norm when `A` is rank-deficient).
  public let coefficients: [Double]
  /// `A x − b` for each observation.
  public let residuals: [Double]
  /// Effective rank of `A` found by the SVD.
  public let rank: Int
  /// Singular values of `A`, largest first.
  public let singularValues: [Double]

  /// ‖A x − b‖₂.
  public var residualNorm: Double { residuals.reduce(0) { $0 + $1 * $1 }.squareRoot() }
  /// True when every column of `A` contributed (no coefficient is undetermined).
  public var isFullRank: Bool { rank == coefficients.count }
}

/// Linear least squares by SVD (LAPACK `dgelsd`). Works for over- and under-determined and
/// rank-deficient systems; singular values below `rcond × σ_max` are treated as zero.
public func leastSquares(_ a: Matrix, _ b: [Double], rcond: Double = 1e-12) throws -> LeastSquaresSolution {
  guard a.rows == b.count else {
    throw LinearAlgebraError.dimensionMismatch("A has \(a.rows) rows, b has \(b.count) entries")
  }
  guard a.rows > 0, a.columns > 0 else { throw LinearAlgebraError.illPosed("empty system") }
  try requireFinite(a.storage, "matrix A")
  try requireFinite(b, "observations b")

  var m = Int32(a.rows)
  var n = Int32(a.columns)
  var nrhs: Int32 = 1
  var work = a.storage
  var lda = m
  let ldbCount = max(a.rows, a.columns)
  var rhs = b + [Double](repeating: 0, count: ldbCount - a.rows)
  var ldb = Int32(ldbCount)
  var s = [Double](repeating: 0, count: min(a.rows, a.columns))
  var rc = rcond
  var rank: Int32 = 0
  var info: Int32 = 0

  // Workspace query first, as LAPACK recommends.
  var lwork: Int32 = -1
  var optimal = [Double](repeating: 0, count: 1)
  var iworkQuery = [Int32](repeating: 0, count: 1)
  dgelsd_(&m, &n, &nrhs, &work, &lda, &rhs, &ldb, &s, &rc, &rank, &optimal, &lwork, &iworkQuery, &info)
  if info != 0 { throw LinearAlgebraError.lapackFailure(routine: "dgelsd", info: Int(info)) }
  lwork = Int32(optimal[0])
  var workspace = [Double](repeating: 0, count: Int(lwork))
  var iwork = [Int32](repeating: 0, count: max(1, Int(iworkQuery[0])))
  dgelsd_(&m, &n, &nrhs, &work, &lda, &rhs, &ldb, &s, &rc, &rank, &workspace, &lwork, &iwork, &info)
  if info > 0 { throw LinearAlgebraError.lapackFailure(routine: "dgelsd (SVD did not converge)", info: Int(info)) }
  if info < 0 { throw LinearAlgebraError.lapackFailure(routine: "dgelsd", info: Int(info)) }

  let x = Array(rhs[0..<a.columns])
  try requireFinite(x, "fitted coefficients")
  let fitted = try a.multiply(x)
  let residuals = zip(fitted, b).map { $0 - $1 }
  return LeastSquaresSolution(coefficients: x, residuals: residuals, rank: Int(rank), singularValues: s)
}

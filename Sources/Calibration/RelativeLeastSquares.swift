import LinearAlgebra

/// Weighted linear least squares on relative error, solved with LAPACK (`dgelsd` via
/// `LinearAlgebra.leastSquares`).
///
/// Each observation `i` has a design row `g_i` (the time per unit of each parameter), a fixed
/// part `c_i` (time from parameters held constant) and a measured time `t_i`. The model is
/// `t̂_i = c_i + g_i · x`; we minimise `Σ ((t̂_i − t_i) / t_i)²`, i.e. the system with rows
/// `g_i / t_i` and right-hand side `(t_i − c_i) / t_i`. Dividing by `t_i` makes a 5 µs kernel and
/// a 5 ms one count alike. Optional weights `w_i` multiply each squared term (IRLS). Columns are scaled to unit norm before the solve so that the rank
/// test compares like with like (a FLOP-count column and a ramp column differ by 10¹⁵).
struct RelativeLeastSquares {
  struct Outcome {
    /// Fitted values of the active columns, in the order given.
    var coefficients: [Double]
    /// Numerical rank of the scaled system.
    var rank: Int
    /// Singular-value ratio σ_min / σ_max of the scaled system (0 when rank-deficient).
    var inverseCondition: Double
  }

  /// Solves for the parameters in `active` (indices into the design rows). Returns nil when
  /// there are fewer observations than active parameters.
  static func solve(
    design: [[Double]], fixed: [Double], measured: [Double], weights: [Double]? = nil, active: [Int],
    rcond: Double = 1e-9
  ) throws -> Outcome? {
    let n = measured.count
    guard n >= active.count, !active.isEmpty else { return nil }
    var matrix = Matrix(rows: n, columns: active.count)
    var rhs = [Double](repeating: 0, count: n)
    for i in 0..<n {
      // Row weight √w on top of the relative scaling (IRLS passes w = 1 / |r|).
      let rowScale = (weights?[i] ?? 1).squareRoot() / measured[i]
      for (j, column) in active.enumerated() { matrix[i, j] = design[i][column] * rowScale }
      rhs[i] = (measured[i] - fixed[i]) * rowScale
    }
    var scale = [Double](repeating: 1, count: active.count)
    for j in 0..<active.count {
      var norm = 0.0
      for i in 0..<n { norm += matrix[i, j] * matrix[i, j] }
      norm = norm.squareRoot()
      guard norm > 0 else { return Outcome(coefficients: [], rank: 0, inverseCondition: 0) }
      scale[j] = norm
      for i in 0..<n { matrix[i, j] /= norm }
    }
    let solution = try leastSquares(matrix, rhs, rcond: rcond)
    let values = zip(solution.coefficients, scale).map { $0 / $1 }
    let sigma = solution.singularValues
    let inverseCondition = solution.isFullRank && (sigma.first ?? 0) > 0 ? (sigma.last ?? 0) / sigma[0] : 0
    return Outcome(coefficients: values, rank: solution.rank, inverseCondition: inverseCondition)
  }
}

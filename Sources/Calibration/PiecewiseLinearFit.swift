import LinearAlgebra

@inline(__always) private func pow2(_ x: Double) -> Double { x * x }

/// Fits parameters of a model whose prediction is piecewise linear (affine) in them: within a
/// region (here, which roofline bound each kernel hits) `t̂_i(θ) = c_i + g_i · θ`, and the
/// region depends on θ. Each round reads the design rows `g_i` off the model by finite
/// differences at the current θ (exact inside a region), solves the relative least-squares
/// problem with LAPACK, and repeats with the regions the new θ implies, until θ stops moving.
/// The model is never re-implemented here: the rows come from the model itself.
struct PiecewiseLinearFit {
  /// Model seconds of point `index` at parameters `theta`.
  let evaluate: (_ index: Int, _ theta: [Double]) throws -> Double
  let measured: [Double]
  /// Typical magnitude of each parameter, for finite-difference steps where a value is 0.
  let scales: [Double]
  /// Parameters dropped (held at `prior`) first when the data cannot separate all of them.
  let rampColumns: [Int]
  /// Values of parameters the data do not determine.
  let prior: [Double]
  /// Parameters never fitted (held at `prior`).
  var frozen: Set<Int> = []
  var maxRounds = 40

  struct Outcome {
    var theta: [Double]
    /// Which parameters the data determined (the others hold `prior`).
    var fitted: [Bool]
    /// `predicted / measured − 1` per point at `theta`.
    var relativeErrors: [Double]
    var rounds: Int
    var converged: Bool
    /// Standard error of each fitted parameter (nil for held ones): `s · √diag((AᵀA)⁻¹)` of the
    /// relative system at the solution, with `s² = Σ r² / (n − p)`.
    var standardErrors: [Double?] = []
    /// Set when a round produced values the model cannot take (a non-positive efficiency or a
    /// negative ramp): the fit stops there and reports them.
    var stoppedOutside: String?
  }

  enum Failure: Error, CustomStringConvertible {
    case notIdentifiable(String)
    var description: String {
      switch self { case .notIdentifiable(let why): return why }
    }
  }

  /// `isUsable(θ)` returns nil when the model can be evaluated at θ, else why not.
  func run(start: [Double], isUsable: ([Double]) -> String?) throws -> Outcome {
    let n = measured.count
    let p = start.count
    var theta = start
    var best: Outcome?
    var bestObjective = Double.infinity
    for round in 1...maxRounds {
      // Design rows at θ.
      var design = [[Double]](repeating: [Double](repeating: 0, count: p), count: n)
      var offset = [Double](repeating: 0, count: n)
      for i in 0..<n {
        let base = try evaluate(i, theta)
        var dot = 0.0
        for j in 0..<p {
          let step = 1e-6 * max(abs(theta[j]), scales[j])
          var probe = theta
          probe[j] += step
          design[i][j] = (try evaluate(i, probe) - base) / step
          dot += design[i][j] * theta[j]
        }
        offset[i] = base - dot
      }
      var active = (0..<p).filter { j in !frozen.contains(j) && design.contains { $0[j] != 0 } }
      var outcome = try solve(design: design, offset: offset, active: active, theta: theta)
      if outcome == nil {
        active.removeAll { rampColumns.contains($0) }
        outcome = try solve(design: design, offset: offset, active: active, theta: theta)
      }
      guard let next = outcome else {
        throw Failure.notIdentifiable("the measurements cannot separate the parameters (too few points or too narrow a size range)")
      }
      let fitted = (0..<p).map { active.contains($0) }
      if let reason = isUsable(next) {
        let errors = (try? predictions(next).map { $0 }) ?? [Double](repeating: .nan, count: n)
        return Outcome(theta: next, fitted: fitted, relativeErrors: errors, rounds: round, converged: false, stoppedOutside: reason)
      }
      let errors = try predictions(next)
      let objective = errors.reduce(0) { $0 + $1 * $1 }
      let moved = zip(next, theta).contains { abs($0 - $1) > 1e-10 * max(abs($0), abs($1), 1e-300) }
      var current = Outcome(theta: next, fitted: fitted, relativeErrors: errors, rounds: round, converged: !moved, stoppedOutside: nil)
      current.standardErrors = standardErrors(design: design, active: active, errors: errors)
      if objective < bestObjective || !moved {
        best = current
        bestObjective = objective
      }
      if !moved { return current }
      theta = next
    }
    return best!
  }

  /// Standard errors of the active parameters from the relative design at the solution.
  private func standardErrors(design: [[Double]], active: [Int], errors: [Double]) -> [Double?] {
    let n = measured.count
    let p = active.count
    var result = [Double?](repeating: nil, count: design.first?.count ?? 0)
    guard n > p, p > 0 else { return result }
    // Normal matrix of the scaled relative system (scaling keeps it well conditioned).
    var scale = [Double](repeating: 0, count: p)
    for (k, j) in active.enumerated() {
      scale[k] = (0..<n).reduce(0) { $0 + pow2(design[$1][j] / measured[$1]) }.squareRoot()
    }
    var normal = Matrix(rows: p, columns: p)
    for a in 0..<p {
      for b in 0..<p {
        var sum = 0.0
        for i in 0..<n { sum += design[i][active[a]] * design[i][active[b]] / pow2(measured[i]) }
        normal[a, b] = sum / (scale[a] * scale[b])
      }
    }
    let identity = (0..<p).map { k in (0..<p).map { $0 == k ? 1.0 : 0.0 } }
    guard let inverse = try? LinearAlgebra.solve(normal, columns: identity) else { return result }
    let variance = errors.reduce(0) { $0 + $1 * $1 } / Double(n - p)
    for (k, j) in active.enumerated() where inverse[k][k] >= 0 {
      result[j] = (variance * inverse[k][k]).squareRoot() / scale[k]
    }
    return result
  }

  /// Relative errors at θ.
  func predictions(_ theta: [Double]) throws -> [Double] {
    try (0..<measured.count).map { try evaluate($0, theta) / measured[$0] - 1 }
  }

  /// One LAPACK solve over `active`; nil when the scaled system is rank-deficient.
  private func solve(design: [[Double]], offset: [Double], active: [Int], theta: [Double]) throws -> [Double]? {
    var next = theta
    for j in 0..<theta.count where !active.contains(j) { next[j] = prior[j] }
    guard !active.isEmpty else { return next }
    let fixed = (0..<measured.count).map { i in
      offset[i] + (0..<theta.count).filter { !active.contains($0) }.reduce(0) { $0 + design[i][$1] * next[$1] }
    }
    guard
      let outcome = try RelativeLeastSquares.solve(design: design, fixed: fixed, measured: measured, active: active),
      outcome.rank == active.count
    else { return nil }
    for (k, j) in active.enumerated() { next[j] = outcome.coefficients[k] }
    return next
  }
}

import LinearAlgebra

@inline(__always) private func pow2(_ x: Double) -> Double { x * x }

/// Fits parameters of a model whose prediction is piecewise linear (affine) in them: within a
/// region (here, which roofline bound each kernel hits) `t̂_i(θ) = c_i + g_i · θ`, and the
/// region depends on θ. The design rows `g_i` are read off the model by finite differences at
/// the current θ (exact inside a region); each round solves the relative least-squares problem
/// with LAPACK; the rows are read again whenever the new θ moves a point to another region.
/// The model is never re-implemented here: the rows come from the model itself.
///
/// With `robust`, the rounds are iteratively reweighted least squares (weights 1 / max(|r|, 1 %))
/// and converge to the least *absolute* relative error: the median error a user reads in
/// `llmplan accuracy` is what gets minimised, and points that no smooth law can follow (cache
/// effects, tile quantisation) do not drag the fit.
struct PiecewiseLinearFit {
  /// Model seconds of every point at parameters `theta` (one call per parameter vector, so
  /// the model can share work between points: one cost model per shape, one curve per group).
  let evaluateAll: (_ theta: [Double]) throws -> [Double]
  let measured: [Double]
  /// Typical magnitude of each parameter, for finite-difference steps where a value is 0.
  let scales: [Double]
  /// Groups of parameters dropped (held at `prior`), one group more at a time, when the data
  /// cannot separate all of them (e.g. a GPU file without an L2 size or points that all fit
  /// in L2: the L2 saving first, then the ramps).
  let droppable: [[Int]]
  /// Values of parameters the data do not determine.
  let prior: [Double]
  /// Parameters never fitted (held at `prior`).
  var frozen: Set<Int> = []
  var robust = true
  var maxRounds = 200

  struct Outcome {
    var theta: [Double]
    /// Which parameters the data determined (the others hold `prior`).
    var fitted: [Bool]
    /// `predicted / measured − 1` per point at `theta`.
    var relativeErrors: [Double]
    var rounds: Int
    var converged: Bool
    /// Standard error of each fitted parameter (nil for held ones): `s · √diag((AᵀWA)⁻¹)` of the
    /// (weighted) relative system at the solution, `s² = Σ w r² / (n − p)`.
    var standardErrors: [Double?] = []
    /// Set when a round produced values the model cannot take (a non-positive efficiency or a
    /// negative ramp): the fit stops there and reports them.
    var stoppedOutside: String?
  }

  enum Failure: Error, CustomStringConvertible {
    case notIdentifiable(String)
    var description: String {
      switch self {
      case .notIdentifiable(let why): return why
      }
    }
  }

  /// Design rows and offsets at θ.
  private func probe(_ theta: [Double]) throws -> (design: [[Double]], offset: [Double]) {
    let n = measured.count
    let p = theta.count
    var design = [[Double]](repeating: [Double](repeating: 0, count: p), count: n)
    let base = try evaluateAll(theta)
    for j in 0..<p {
      let step = 1e-6 * max(abs(theta[j]), scales[j])
      var shifted = theta
      shifted[j] += step
      let moved = try evaluateAll(shifted)
      for i in 0..<n { design[i][j] = (moved[i] - base[i]) / step }
    }
    let offset = (0..<n).map { i in base[i] - (0..<p).reduce(0) { $0 + design[i][$1] * theta[$1] } }
    return (design, offset)
  }

  /// `isUsable(θ)` returns nil when the model can be evaluated at θ, else why not.
  func run(start: [Double], isUsable: ([Double]) -> String?) throws -> Outcome {
    let n = measured.count
    let p = start.count
    var theta = start
    var (design, offset) = try probe(theta)
    var weights = [Double](repeating: 1, count: n)
    var last: Outcome?
    for round in 1...maxRounds {
      var active = (0..<p).filter { j in !frozen.contains(j) && design.contains { $0[j] != 0 } }
      func attempt() throws -> [Double]? {
        guard Self.distinctRows(design, active) > active.count else { return nil }
        return try solve(design: design, offset: offset, weights: weights, active: active, theta: theta)
      }
      var outcome = try attempt()
      for group in droppable where outcome == nil {
        active.removeAll { group.contains($0) }
        outcome = try attempt()
      }
      guard let solved = outcome else {
        let distinct = Self.distinctRows(design, active)
        throw Failure.notIdentifiable(
          "the measurements cannot determine the law: \(n) timing(s) at \(distinct) distinct shape(s) for "
            + "\(active.count) parameter(s); a fit needs more distinct shapes than parameters, so that its error "
            + "band rests on a residual (too few points, repeated rows, or too narrow a size range)")
      }
      let fitted = (0..<p).map { active.contains($0) }
      var next = solved
      if let reason = isUsable(solved) {
        // Step only part of the way, staying where the model can be evaluated (θ always is).
        // When the step has shrunk to nothing the fit is pinned at the edge of the physical
        // region, pushing out: report where it wants to go.
        var fraction = 0.5
        var damped: [Double]?
        for _ in 0..<40 {
          let candidate = zip(theta, solved).map { $0 + fraction * ($1 - $0) }
          if isUsable(candidate) == nil {
            damped = candidate
            break
          }
          fraction *= 0.5
        }
        guard let damped, fraction > 1e-6 else {
          let errors = (try? predictions(solved)) ?? [Double](repeating: .nan, count: n)
          var stopped = Outcome(
            theta: solved, fitted: fitted, relativeErrors: errors, rounds: round, converged: false,
            stoppedOutside: reason)
          stopped.standardErrors = [Double?](repeating: nil, count: p)
          return stopped
        }
        next = damped
      }
      let model = try evaluateAll(next)
      let errors = (0..<n).map { model[$0] / measured[$0] - 1 }
      // Did any point change region? Then the linear rows no longer describe it.
      var regionsChanged = false
      for i in 0..<n {
        let linear = offset[i] + (0..<p).reduce(0) { $0 + design[i][$1] * next[$1] }
        if abs(linear - model[i]) > 1e-7 * abs(model[i]) {
          regionsChanged = true
          break
        }
      }
      let tolerance = robust ? 1e-7 : 1e-10
      let moved = zip(next, theta).contains { abs($0 - $1) > tolerance * max(abs($0), abs($1), 1e-300) }
      var current = Outcome(
        theta: next, fitted: fitted, relativeErrors: errors, rounds: round, converged: false, stoppedOutside: nil)
      current.standardErrors = standardErrors(design: design, weights: weights, active: active, errors: errors)
      last = current
      if !moved && !regionsChanged {
        current.converged = true
        return current
      }
      theta = next
      if robust { weights = errors.map { 1 / max(abs($0), 0.01) } }
      if regionsChanged { (design, offset) = try probe(theta) }
    }
    return last!
  }

  /// How many different design rows the points have over `active`: repeated timings of one
  /// shape are one row. A law of p parameters is determined, with a residual left to estimate
  /// its error band, only when there are more than p of them; with p or fewer it passes through
  /// every point exactly (zero error, however wrong) or is not unique.
  static func distinctRows(_ design: [[Double]], _ active: [Int]) -> Int {
    Set(design.map { row in active.map { row[$0] } }).count
  }

  /// Standard errors of the active parameters from the weighted relative design.
  private func standardErrors(design: [[Double]], weights: [Double], active: [Int], errors: [Double]) -> [Double?] {
    let n = measured.count
    let p = active.count
    var result = [Double?](repeating: nil, count: design.first?.count ?? 0)
    guard n > p, p > 0 else { return result }
    // Normal matrix of the scaled relative system (scaling keeps it well conditioned).
    var scale = [Double](repeating: 0, count: p)
    for (k, j) in active.enumerated() {
      scale[k] = (0..<n).reduce(0) { $0 + weights[$1] * pow2(design[$1][j] / measured[$1]) }.squareRoot()
    }
    var normal = Matrix(rows: p, columns: p)
    for a in 0..<p {
      for b in 0..<p {
        var sum = 0.0
        for i in 0..<n { sum += weights[i] * design[i][active[a]] * design[i][active[b]] / pow2(measured[i]) }
        normal[a, b] = sum / (scale[a] * scale[b])
      }
    }
    let identity = (0..<p).map { k in (0..<p).map { $0 == k ? 1.0 : 0.0 } }
    guard let inverse = try? LinearAlgebra.solve(normal, columns: identity) else { return result }
    let variance = (0..<n).reduce(0) { $0 + weights[$1] * errors[$1] * errors[$1] } / Double(n - p)
    for (k, j) in active.enumerated() where inverse[k][k] >= 0 {
      result[j] = (variance * inverse[k][k]).squareRoot() / scale[k]
    }
    return result
  }

  /// Relative errors at θ.
  func predictions(_ theta: [Double]) throws -> [Double] {
    let model = try evaluateAll(theta)
    return (0..<measured.count).map { model[$0] / measured[$0] - 1 }
  }

  /// One LAPACK solve over `active`; nil when the scaled system is rank-deficient.
  private func solve(
    design: [[Double]], offset: [Double], weights: [Double], active: [Int], theta: [Double]
  ) throws -> [Double]? {
    var next = theta
    for j in 0..<theta.count where !active.contains(j) { next[j] = prior[j] }
    guard !active.isEmpty else { return next }
    let held = (0..<theta.count).filter { !active.contains($0) }
    let fixed = (0..<measured.count).map { i in offset[i] + held.reduce(0) { $0 + design[i][$1] * next[$1] } }
    guard
      let outcome = try RelativeLeastSquares.solve(
        design: design, fixed: fixed, measured: measured, weights: weights, active: active),
      outcome.rank == active.count
    else { return nil }
    for (k, j) in active.enumerated() { next[j] = outcome.coefficients[k] }
    return next
  }
}

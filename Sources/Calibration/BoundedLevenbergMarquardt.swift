import LinearAlgebra

/// Levenberg–Marquardt on a residual vector with box bounds (projected steps), for small
/// non-linear fits such as the collective protocol laws, whose time is a minimum of affine
/// laws and so only piecewise smooth. Each step solves the damped Gauss–Newton system
/// `[J; √λ·D] δ = [−r; 0]` by LAPACK least squares (`dgelsd`); the Jacobian is taken by
/// forward differences. Deterministic.
struct BoundedLevenbergMarquardt {
  var lower: [Double]
  var upper: [Double]
  var maximumIterations = 200

  struct Outcome {
    var parameters: [Double]
    var cost: Double
    var iterations: Int
  }

  func clamp(_ x: [Double]) -> [Double] {
    x.indices.map { min(max(x[$0], lower[$0]), upper[$0]) }
  }

  func run(start: [Double], residuals: ([Double]) -> [Double]) throws -> Outcome {
    var x = clamp(start)
    var r = residuals(x)
    var cost = r.reduce(0) { $0 + $1 * $1 }
    var lambda = 1e-3
    var iterations = 0
    while iterations < maximumIterations {
      iterations += 1
      let m = r.count
      let n = x.count
      var jacobian = Matrix(rows: m + n, columns: n)
      var scale = [Double](repeating: 0, count: n)
      for j in 0..<n {
        var probe = x
        var h = 1e-6 * max(abs(x[j]), 1e-3)
        if probe[j] + h > upper[j] { h = -h }
        probe[j] += h
        let shifted = residuals(probe)
        for i in 0..<m {
          let derivative = (shifted[i] - r[i]) / h
          jacobian[i, j] = derivative
          scale[j] += derivative * derivative
        }
      }
      var improved = false
      for _ in 0..<12 {
        var system = jacobian
        for j in 0..<n { system[m + j, j] = (lambda * max(scale[j], 1e-12)).squareRoot() }
        let rhs = r.map { -$0 } + [Double](repeating: 0, count: n)
        let step = try leastSquares(system, rhs, rcond: 1e-12).coefficients
        let candidate = clamp(zip(x, step).map { $0 + $1 })
        let candidateResiduals = residuals(candidate)
        let candidateCost = candidateResiduals.reduce(0) { $0 + $1 * $1 }
        if candidateCost.isFinite && candidateCost < cost {
          let gain = (cost - candidateCost) / max(cost, 1e-300)
          x = candidate
          r = candidateResiduals
          cost = candidateCost
          lambda = max(lambda / 3, 1e-12)
          improved = gain > 1e-10
          break
        }
        lambda *= 4
      }
      if !improved { break }
    }
    return Outcome(parameters: x, cost: cost, iterations: iterations)
  }
}

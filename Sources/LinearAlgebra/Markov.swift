import Foundation

/// Stationary distribution π of a continuous-time Markov chain with generator `q`
/// (`q[i, j]` is the rate i → j for i ≠ j; rows sum to zero): solves `π Q = 0, Σ π = 1`.
///
/// The balance equations are rank-deficient by one; we replace the last equation by the
/// normalisation, which gives a non-singular system for an irreducible chain (LAPACK `dgesv`).
/// - Throws: `illPosed` if rows do not sum to ~0 or a rate is negative; `singular` if the
///   chain is reducible (no unique stationary distribution).
public func stationaryDistribution(generator q: Matrix) throws -> [Double] {
  guard q.rows == q.columns, q.rows > 0 else {
    throw LinearAlgebraError.dimensionMismatch("generator must be square and non-empty")
  }
  try requireFinite(q.storage, "generator")
  let n = q.rows
  for i in 0..<n {
    var sum = 0.0
    var scale = 0.0
    for j in 0..<n {
      if i != j && q[i, j] < 0 { throw LinearAlgebraError.illPosed("negative rate q[\(i),\(j)]") }
      sum += q[i, j]
      scale = max(scale, abs(q[i, j]))
    }
    if abs(sum) > 1e-9 * max(scale, 1) {
      throw LinearAlgebraError.illPosed("row \(i) of the generator sums to \(sum), not 0")
    }
  }
  if n == 1 { return [1] }
  // πQ = 0  ⇔  Qᵀ πᵀ = 0. Replace the last row of Qᵀ by ones (Σπ = 1).
  var a = q.transposed
  for j in 0..<n { a[n - 1, j] = 1 }
  var b = [Double](repeating: 0, count: n)
  b[n - 1] = 1
  let pi = try solve(a, b)
  // Round-off can leave tiny negative entries; anything materially negative is a bug.
  if let worst = pi.min(), worst < -1e-9 {
    throw LinearAlgebraError.illPosed("stationary distribution has a negative entry \(worst)")
  }
  return pi.map { max($0, 0) }
}

/// Stationary distribution of a birth–death chain on states 0…n, with `birth[k]` the rate
/// k → k+1 (k < n) and `death[k]` the rate k+1 → k. Solved as a tridiagonal system
/// (LAPACK `dgtsv`), O(n): the chain behind a single queue with state-dependent service.
public func birthDeathStationaryDistribution(birth: [Double], death: [Double]) throws -> [Double] {
  guard birth.count == death.count else {
    throw LinearAlgebraError.dimensionMismatch("birth has \(birth.count) rates, death \(death.count)")
  }
  try requireFinite(birth, "birth rates")
  try requireFinite(death, "death rates")
  if let bad = (birth + death).first(where: { $0 <= 0 }) {
    throw LinearAlgebraError.illPosed("birth–death rates must be positive (found \(bad))")
  }
  let n = birth.count + 1
  if n == 1 { return [1] }
  // Cut equations (flow across the cut between k and k+1 balances): birth[k] π[k] =
  // death[k] π[k+1]. Together with one anchor π[m] = 1 they form a tridiagonal system.
  // The anchor is the most likely state m (found from the running sum of log ratios), so
  // every other π[k] ≤ 1 and long chains cannot overflow; we normalise afterwards.
  var logRatio = 0.0
  var best = 0.0
  var anchor = 0
  for k in 0..<(n - 1) {
    logRatio += log(birth[k]) - log(death[k])
    if logRatio > best {
      best = logRatio
      anchor = k + 1
    }
  }
  var sub = [Double](repeating: 0, count: n - 1)
  var diag = [Double](repeating: 0, count: n)
  var sup = [Double](repeating: 0, count: n - 1)
  var rhs = [Double](repeating: 0, count: n)
  for k in 0..<n {
    if k == anchor {
      diag[k] = 1
      rhs[k] = 1
    } else if k < anchor {
      // Row k: birth[k] π[k] − death[k] π[k+1] = 0.
      diag[k] = birth[k]
      sup[k] = -death[k]
    } else {
      // Row k: birth[k-1] π[k-1] − death[k-1] π[k] = 0.
      sub[k - 1] = birth[k - 1]
      diag[k] = -death[k - 1]
    }
  }
  var pi = try solveTridiagonal(sub: sub, diagonal: diag, sup: sup, rhs: rhs)
  let total = pi.reduce(0, +)
  guard total.isFinite, total > 0 else {
    throw LinearAlgebraError.illPosed("birth–death chain does not normalise (rates too extreme)")
  }
  for k in 0..<n { pi[k] = max(pi[k], 0) / total }
  return pi
}

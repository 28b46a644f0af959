import Foundation

// Poisson probabilities for the waiting-time distribution. An Erlang(m, ν) wait exceeds t
// exactly when fewer than m departures happen in t, a Poisson(νt) count:
//   P(Erlang(m, ν) > t) = P(Poisson(νt) ≤ m − 1).

/// P(Poisson(x) = k).
@inline(__always)
func poissonProbability(_ k: Int, mean x: Double) -> Double {
  if x <= 0 { return k == 0 ? 1 : 0 }
  let kd = Double(k)
  return exp(-x + kd * log(x) - lgamma(kd + 1))
}

/// P(Poisson(x) ≤ k), summed outward from k on whichever side the terms shrink: beyond the
/// mean (k ≥ x) we add the upper tail and return 1 − tail (ratios x/i < 1); below it we add
/// the lower sum directly (ratios i/x < 1). Each side converges geometrically, so a call costs
/// a few terms when k is far from x and O(√x) terms near it — never a sum over all k.
func poissonCumulative(_ k: Int, mean x: Double) -> Double {
  if k < 0 { return 0 }
  if x <= 0 { return 1 }
  let kd = Double(k)
  var term = exp(-x + kd * log(x) - lgamma(kd + 1))
  if kd >= x {
    var tail = 0.0
    var i = kd
    while true {
      i += 1
      term *= x / i
      tail += term
      if term <= 1e-17 * tail || term == 0 { break }
    }
    return max(0, 1 - tail)
  } else {
    var sum = term
    var i = kd
    while i > 0 {
      term *= i / x
      i -= 1
      sum += term
      if term <= 1e-17 * sum { break }
    }
    return min(1, sum)
  }
}

/// Calls `body(i, P(Poisson(x) = i))` for i = 0, 1, … < `count`, stopping early once past the
/// mean the probabilities are negligible (< 1e-20). Starts from e^{−x} when that does not
/// underflow, otherwise walks the logarithm.
@inline(__always)
func forEachPoissonProbability(count: Int, mean x: Double, _ body: (Int, Double) -> Void) {
  guard count > 0 else { return }
  if x <= 0 {
    body(0, 1)
    return
  }
  if x < 700 {
    var p = exp(-x)
    for i in 0..<count {
      body(i, p)
      p *= x / Double(i + 1)
      if Double(i) > x && p < 1e-20 { return }
    }
  } else {
    let logX = log(x)
    var logP = -x
    for i in 0..<count {
      let p = exp(logP)
      body(i, p)
      logP += logX - log(Double(i + 1))
      if Double(i) > x && p < 1e-20 { return }
    }
  }
}

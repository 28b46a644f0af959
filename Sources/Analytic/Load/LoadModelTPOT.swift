import Foundation

// The per-request TPOT distribution under load (see `LoadModel.tpotWithinSLOProbability`).

extension LoadModel {
  /// P(TPOT ≤ `sloSeconds`) for a request of the mean size in a replica under load.
  ///
  /// **Why TPOT varies.** Without chunked prefill (vLLM V0) an iteration with prefills runs no
  /// decodes, so every prompt admitted while a request decodes stalls it for one prefill p. A
  /// request with N − 1 decode tokens at step d spends T = (N − 1)·d + K·p between its first
  /// and last token, TPOT = d + K·p/(N − 1), where K counts the prompts admitted during T. K is
  /// not Poisson(λT) with T fixed: each stall lengthens T by p, during which Poisson(λp) more
  /// prompts arrive, each stalling it again. K is the number of customers of an M/D/1 busy
  /// period started by the work x = (N − 1)·d with service p (a Galton–Watson tree with
  /// Poisson(η) offspring, η = λp): the generalized Poisson law GP(θ, η) with θ = λx,
  ///
  ///     P(K = k) = θ (θ + kη)^{k−1} e^{−θ−kη} / k!,   mean θ/(1 − η), variance θ/(1 − η)³
  ///
  /// (Consul & Jain 1973; Takács's busy-period formula). η < 1 always holds in a stable replica:
  /// λ < μ(B) = B/(B·p + (N − 1)·d(B)) < 1/p. With η → 0 it is Poisson(θ); the Poisson law
  /// with the same mean has a far thinner tail (e.g. mean 14, η = 0.6: P(K > 30) is 1e−4 for
  /// Poisson, 6 % for GP), and the tail is what misses the SLO.
  ///
  /// **Parameters.** d = d(b̄), the decode step at the mean running batch. The mean is taken
  /// from the load model's Little's-law TPOT τ̄ so the distribution agrees with the reported
  /// mean: E[K] = (τ̄ − d)·(N − 1)/p (0 when τ̄ ≤ d: no stalls left to account for), and
  /// θ = E[K]·(1 − η). TPOT ≤ slo exactly when K ≤ k* = ⌊(slo − d)·(N − 1)/p⌋, so the answer
  /// is the GP cumulative at k* (0 when d > slo: even without stalls the decode steps miss it).
  /// With p = 0 nothing stalls and TPOT = τ̄ for every request: 1 when τ̄ ≤ slo, else 0.
  ///
  /// Not modelled: spread of prompt and output lengths around the means (only the mean
  /// request is evaluated), and prompts admitted together in one prefill iteration (the same
  /// total stall, so the same K·p).
  ///
  /// - Parameters:
  ///   - decodeStepSeconds: d(b̄) > 0.
  ///   - meanTPOTSeconds: τ̄, the Little's-law mean TPOT.
  ///   - prefillSeconds: p ≥ 0, one mean prompt's prefill.
  ///   - decodeTokens: N − 1 > 0.
  ///   - arrivalRatePerSecond: admitted requests per second of this replica, λ < 1/p.
  ///   - sloSeconds: slo.tpot > 0.
  static func tpotWithinSLOProbability(
    decodeStepSeconds d: Double, meanTPOTSeconds meanTPOT: Double, prefillSeconds p: Double, decodeTokens: Double,
    arrivalRatePerSecond lambda: Double, sloSeconds slo: Double
  ) -> Double {
    if p <= 0 { return meanTPOT <= slo ? 1 : 0 }
    if d > slo { return 0 }
    let eta = lambda * p
    let meanStalls = max(0, (meanTPOT - d) * decodeTokens / p)
    // k* beyond 2^52 is a count no stable replica reaches (its mean would be ~1e15 stalls);
    // the cap only keeps the conversion to Int exact.
    let kStar = Int(min(((slo - d) * decodeTokens / p).rounded(.down), 0x1p52))
    return generalizedPoissonCumulative(kStar, theta: meanStalls * (1 - eta), eta: eta)
  }

  /// d(b̄): the decode step at a mean running batch b̄, linear between the table's integer
  /// batches. A decoding request is itself in the batch, so b̄ is taken as at least 1 (and at
  /// most B, the table's end).
  static func decodeStepSeconds(atMeanBatch batch: Double, table: [Double]) -> Double {
    let b = min(max(batch, 1), Double(table.count))
    let low = Int(b.rounded(.down))  // 1…B
    if low >= table.count { return table[table.count - 1] }
    let fraction = b - Double(low)
    return table[low - 1] + fraction * (table[low] - table[low - 1])
  }
}

/// log P(K = k) for K ~ GP(θ, η), θ > 0, 0 ≤ η < 1 (see `LoadModel.tpotWithinSLOProbability`).
@inline(__always)
func generalizedPoissonLogProbability(_ k: Int, theta: Double, eta: Double) -> Double {
  if k == 0 { return -theta }
  let kd = Double(k)
  return log(theta) + (kd - 1) * log(theta + kd * eta) - theta - kd * eta - lgamma(kd + 1)
}

/// P(K ≤ k) for K ~ GP(θ, η) (θ ≥ 0, 0 ≤ η < 1; θ = 0 is K ≡ 0, η = 0 is Poisson(θ)).
///
/// The law is unimodal with its mode at or below its mean θ/(1 − η). Like `poissonCumulative`,
/// it sums outward from k on the side where the terms shrink: for k below the mean the lower
/// sum from k down, for k at or above it 1 − the upper tail from k + 1 up, so a call costs a
/// few standard deviations of terms, not k of them. Far in the tail successive terms fall by
/// the ratio r → ρ = η·e^{1−η} < 1 (Stirling on the pmf), monotonically from one side, so after
/// a term t with ratio r the rest is at most t·r̂/(1 − r̂), r̂ = max(r, ρ). For η close to 1 (ρ
/// close to 1) the tail falls slowly; after 16 384 terms the rest is replaced by that bound,
/// so the result is then a lower bound on P(K ≤ k), low by at most the bound.
func generalizedPoissonCumulative(_ k: Int, theta: Double, eta: Double) -> Double {
  if k < 0 { return 0 }
  if theta <= 0 { return 1 }
  if eta <= 0 { return poissonCumulative(k, mean: theta) }
  let mean = theta / (1 - eta)
  var term = exp(generalizedPoissonLogProbability(k, theta: theta, eta: eta))
  if Double(k) < mean {
    var sum = term
    var i = k
    while i > 0 {
      i -= 1
      term = exp(generalizedPoissonLogProbability(i, theta: theta, eta: eta))
      sum += term
      if term <= 1e-17 * sum { break }
    }
    return min(1, sum)
  }
  let rho = eta * exp(1 - eta)
  var tail = 0.0
  var previous = term
  var bound = 1.0
  var i = k
  for _ in 0..<16_384 {
    i += 1
    term = exp(generalizedPoissonLogProbability(i, theta: theta, eta: eta))
    tail += term
    if term <= 1e-17 * tail || term == 0 { return max(0, 1 - tail) }
    bound = max(previous > 0 ? term / previous : 1, rho)
    if bound < 1 && term * bound / (1 - bound) <= 1e-17 { return max(0, 1 - tail) }
    previous = term
  }
  let rest = bound < 1 ? term * bound / (1 - bound) : 1 - tail
  return max(0, 1 - tail - rest)
}

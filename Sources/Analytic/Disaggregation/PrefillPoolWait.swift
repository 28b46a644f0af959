import Foundation

/// The wait of a prompt for a prefill instance, and the prefill pool's TTFT = wait + prefill.
///
/// Prefill times are nearly deterministic (one prompt's prefill is fixed by its length; the mix
/// of lengths gives a small c_s²), so the chain's exponential service (M/M/1 per instance, or
/// M/M/x pooled) over-states the wait. The two-moment G/G/c approximation of Allen and Cunneen
/// rescales the exponential-service wait by the variability of arrivals and service:
///
///     E[W_q] ≈ E[W_q(chain)] · (c_a² + c_s²) / (c_chain² + 1),
///
/// where c_chain² is the arrival variability the chain itself modelled (1 for the Poisson
/// chain, cv² for the hyperexponential one) and 1 its exponential service's c_s². For Poisson
/// arrivals at one instance (c_a² = 1, c_chain² = 1) this is exactly the Pollaczek–Khinchine
/// mean wait of M/G/1, E[W_q] = ρ/(1 − ρ) · (1 + c_s²)/2 · E[S] (L. Kleinrock, *Queueing
/// Systems, Vol. 1: Theory*, Wiley 1975, ch. 5); with c_a² ≠ 1 it is Kingman's heavy-traffic
/// G/G/1 form ρ/(1 − ρ) · (c_a² + c_s²)/2 · E[S] (J. F. C. Kingman, "The single server queue in
/// heavy traffic", Proc. Cambridge Phil. Soc. 57 (1961) 902–904); for a pooled queue of x
/// instances, Allen–Cunneen's E[W_q(M/M/x)] · (c_a² + c_s²)/2 (A. O. Allen, *Probability,
/// Statistics, and Queueing Theory*, 2nd ed., Academic Press 1990, §6 on G/G/c approximations).
/// c_a² is the gaps' at one instance: round-robin over x instances of a Poisson stream hands
/// each every x-th arrival, Erlang-x gaps, c_a² = 1/x (`LoadModel.admissionArrivalVariability`).
///
/// **Distribution** (for p50/p90). An atom at zero and an exponential tail:
/// P(W > w) = π · e^{−w/m}, with π = P(W > 0) kept from the chain (ρ for one instance, exact
/// for M/G/1 by PASTA; the Erlang-C probability for a pooled queue) and m = E[W_q]/π the
/// conditional mean that matches the mean above. Waiting-time tails of M/G/1 and GI/G/c queues
/// are asymptotically exponential (Cramér–Lundberg; H. C. Tijms, *A First Course in Stochastic
/// Models*, Wiley 2003, §2.5 and ch. 5), and the atom-plus-exponential form with the exact
/// atom and mean is the usual two-moment fit to them (exact for M/M/c). For regular arrivals
/// (c_a² < 1) the true P(W > 0) is below ρ, so the atom errs conservative.
public struct PrefillPoolWait: Sendable, Hashable {
  /// π = P(an admitted prompt waits at all).
  public let probabilityOfWaiting: Double
  /// m = E[W | W > 0], seconds (0 when nobody waits).
  public let conditionalMeanSeconds: Double

  public init(probabilityOfWaiting: Double, conditionalMeanSeconds: Double) {
    let waits = probabilityOfWaiting > 0 && conditionalMeanSeconds > 0
    self.probabilityOfWaiting = waits ? min(probabilityOfWaiting, 1) : 0
    self.conditionalMeanSeconds = waits ? conditionalMeanSeconds : 0
  }

  /// Rescales the wait of the exponential-service chain (π, E[W]) to service of variability
  /// c_s² and arrivals of variability c_a², the chain having been fed arrivals of c_chain².
  /// - Parameters:
  ///   - chainProbabilityOfWaiting: π of the chain.
  ///   - chainMeanSeconds: E[W] of the chain over all admitted arrivals (zeros included).
  public static func allenCunneen(
    chainProbabilityOfWaiting pi: Double, chainMeanSeconds: Double, chainArrivalSquaredCV chainCa2: Double,
    arrivalSquaredCV ca2: Double, serviceSquaredCV cs2: Double
  ) -> PrefillPoolWait {
    guard pi > 0, chainMeanSeconds > 0 else {
      return PrefillPoolWait(probabilityOfWaiting: 0, conditionalMeanSeconds: 0)
    }
    let factor = (ca2 + cs2) / (chainCa2 + 1)
    return PrefillPoolWait(probabilityOfWaiting: pi, conditionalMeanSeconds: chainMeanSeconds / pi * factor)
  }

  /// E[W] over all admitted prompts, seconds: π · m.
  public var meanSeconds: Double { probabilityOfWaiting * conditionalMeanSeconds }

  /// P(W > w).
  public func survival(seconds w: Double) -> Double {
    guard w >= 0 else { return 1 }
    guard probabilityOfWaiting > 0 else { return 0 }
    return probabilityOfWaiting * exp(-w / conditionalMeanSeconds)
  }

  /// P(TTFT ≤ t) for TTFT = W + S, the wait independent of the prompt's own prefill S:
  /// Σᵢ wᵢ · P(W ≤ t − sᵢ).
  public func ttftCumulativeProbability(seconds t: Double, prefill: PrefillTimeMix) -> Double {
    var total = 0.0
    for (s, weight) in zip(prefill.seconds, prefill.weights) where t >= s {
      total += weight * (1 - survival(seconds: t - s))
    }
    return min(total, 1)
  }

  /// The q-quantile of TTFT (0 < q < 1), to 1e-10 relative, by bisection between the shortest
  /// prefill and the longest prefill plus the wait's own q-quantile (where every point already
  /// holds q of its mass).
  public func ttftQuantileSeconds(_ q: Double, prefill: PrefillTimeMix) -> Double {
    let shortest = prefill.seconds.min() ?? 0
    let longest = prefill.seconds.max() ?? 0
    // W's q-quantile: 0 when the atom holds q, else m · ln(π / (1 − q)).
    let waitQuantile =
      probabilityOfWaiting > 1 - q ? conditionalMeanSeconds * log(probabilityOfWaiting / (1 - q)) : 0
    var low = shortest
    var high = longest + waitQuantile
    if ttftCumulativeProbability(seconds: low, prefill: prefill) >= q { return low }
    for _ in 0..<200 where high - low > 1e-10 * high {
      let middle = (low + high) / 2
      if ttftCumulativeProbability(seconds: middle, prefill: prefill) >= q { high = middle } else { low = middle }
    }
    return high
  }
}

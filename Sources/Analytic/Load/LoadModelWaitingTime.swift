import Foundation

/// How long an admitted request waits for a batch slot (first come, first served).
///
/// An arrival that finds `n ≥ S` requests (all `S` slots busy) starts when `m = n − S + 1`
/// requests have left. With every slot busy departures come at the constant rate ν, so that
/// wait is Erlang(m, ν); an arrival that finds a free slot does not wait. The wait is therefore
/// an atom at zero plus a mixture of Erlangs over the depth `m` an arrival sees:
///
///     P(W > t) = P(wait) · Σ_m w_m · P(Poisson(νt) ≤ m − 1).
///
/// For Poisson arrivals the depth weights are geometric, w_m ∝ ρ^{m−1} (ρ = λ/ν), cut at the
/// waiting room Q; then (summing the geometric series inside the Poisson sum)
///
///     G(t) = [e^{−ν(1−ρ)t} · C(Q−1, ρνt) − ρ^Q · C(Q−1, νt)] / (1 − ρ^Q),
///
/// with C(k, x) = P(Poisson(x) ≤ k), and for an unbounded queue G(t) = e^{−ν(1−ρ)t} (the
/// M/M/c result). Other arrival processes give tabulated weights. Quantiles invert G by a
/// bracketed Newton iteration to 1e-14 relative (closed form when the queue is unbounded).
public struct WaitingTimeDistribution: Sendable, Hashable {
  /// P(an admitted request waits at all).
  public let probabilityOfWaiting: Double
  /// ν: departures per second with every slot busy (the rate the queue moves up).
  public let advanceRatePerSecond: Double
  /// Mean wait over all admitted requests (those that do not wait count as zero), seconds.
  public let meanSeconds: Double
  let shape: Shape
  /// The wait of an arrival that finds a free batch slot for the engine to schedule its prompt
  /// (`LoadModel.admissionWait`); nil: scheduled at once.
  public internal(set) var admission: AdmissionWait? = nil

  /// An atom at zero; given a wait, the residual R of what stage 0 is doing — uniform on
  /// [0, p₀] (a prompt) with probability `prefillShare`, else uniform on [0, d₀] (a decode
  /// iteration) — plus, with probability `queueProbability`, an exponential of mean
  /// `queueMeanSeconds` for the prompts queued ahead of it or admitted with it.
  public struct AdmissionWait: Sendable, Hashable {
    /// P(an admitted request waits for the engine), over all admitted requests.
    public var probability: Double
    public var prefillShare: Double
    public var prefillResidualSpanSeconds: Double
    public var decodeResidualSpanSeconds: Double
    public var queueProbability: Double
    public var queueMeanSeconds: Double

    /// Mean of the wait given it happens, seconds.
    public var meanSeconds: Double {
      prefillShare * prefillResidualSpanSeconds / 2 + (1 - prefillShare) * decodeResidualSpanSeconds / 2
        + queueProbability * queueMeanSeconds
    }

    /// P(wait > t | wait).
    func conditionalSurvival(_ t: Double) -> Double {
      prefillShare * residualPlusQueueSurvival(t, span: prefillResidualSpanSeconds) + (1 - prefillShare)
        * residualPlusQueueSurvival(t, span: decodeResidualSpanSeconds)
    }

    /// P(U + X > t), U uniform on [0, L], X = 0 with probability 1 − q, else exponential of
    /// mean m: (1 − q)·(1 − t/L)⁺ + q·P(U + E > t), where P(U + E > t) is
    /// 1 − t/L + (1 − e^{−t/m})·m/L for t ≤ L and e^{−t/m}(e^{L/m} − 1)·m/L beyond.
    func residualPlusQueueSurvival(_ t: Double, span l: Double) -> Double {
      let q = queueProbability
      let m = queueMeanSeconds
      let uniform = l > 0 ? max(0, 1 - t / l) : 0
      guard q > 0, m > 0 else { return uniform }
      let withQueue: Double
      if l <= 0 {
        withQueue = exp(-t / m)
      } else if t <= l {
        withQueue = 1 - t / l - expm1(-t / m) * m / l
      } else {
        withQueue = exp(-(t - l) / m) * (-expm1(-l / m)) * m / l
      }
      return (1 - q) * uniform + q * min(max(withQueue, 0), 1)
    }
  }

  /// Mean wait for a slot plus the admission wait, over all admitted requests, seconds.
  public var totalMeanSeconds: Double { meanSeconds + (admission.map { $0.probability * $0.meanSeconds } ?? 0) }

  /// This wait for a slot, with `admission` added for the arrivals that find a free slot.
  func withAdmission(_ admission: AdmissionWait?) -> WaitingTimeDistribution {
    var result = self
    result.admission = admission
    return result
  }

  enum Shape: Sendable, Hashable {
    /// w_m ∝ ratio^{m−1}, m = 1…length (nil: unbounded, ratio < 1). Used only when
    /// length·(1 − ratio) ≥ 1 so the closed form has no cancellation.
    case truncatedGeometric(ratio: Double, length: Int?)
    /// exceedance[i] = P(m > i | wait), i = 0…M−1 (exceedance[0] = 1).
    case tabulated(exceedance: [Double])
  }

  /// No request ever waits.
  static func none(advanceRatePerSecond: Double) -> WaitingTimeDistribution {
    WaitingTimeDistribution(
      probabilityOfWaiting: 0, advanceRatePerSecond: advanceRatePerSecond, meanSeconds: 0,
      shape: .truncatedGeometric(ratio: 0, length: nil))
  }

  /// Geometric depth weights (Poisson arrivals). `meanDepth` is E[m | wait].
  static func geometric(
    probabilityOfWaiting: Double, advanceRatePerSecond nu: Double, ratio rho: Double, length: Int?,
    meanDepth: Double
  ) -> WaitingTimeDistribution {
    if probabilityOfWaiting <= 0 { return .none(advanceRatePerSecond: nu) }
    let mean = probabilityOfWaiting * meanDepth / nu
    if let length, Double(length) * (1 - rho) < 1 {
      // Near-critical finite room: the closed form would divide by a small 1 − ρ^Q; tabulate.
      var weights = [Double](repeating: 0, count: length)
      var power = 1.0
      var total = 0.0
      for i in 0..<length {
        weights[i] = power
        total += power
        power *= rho
      }
      return tabulated(
        probabilityOfWaiting: probabilityOfWaiting, advanceRatePerSecond: nu,
        depthWeights: weights.map { $0 / total }, meanSeconds: mean)
    }
    return WaitingTimeDistribution(
      probabilityOfWaiting: probabilityOfWaiting, advanceRatePerSecond: nu, meanSeconds: mean,
      shape: .truncatedGeometric(ratio: rho, length: length))
  }

  /// Explicit depth weights: `depthWeights[m − 1]` = P(depth m | wait), summing to 1.
  /// `meanSeconds` nil: computed from the weights.
  static func tabulated(
    probabilityOfWaiting: Double, advanceRatePerSecond nu: Double, depthWeights: [Double],
    meanSeconds: Double? = nil
  ) -> WaitingTimeDistribution {
    if probabilityOfWaiting <= 0 || depthWeights.isEmpty { return .none(advanceRatePerSecond: nu) }
    var exceedance = [Double](repeating: 0, count: depthWeights.count)
    var remaining = 1.0
    var meanDepth = 0.0
    for i in 0..<depthWeights.count {
      exceedance[i] = max(remaining, 0)
      meanDepth += exceedance[i]  // E[m] = Σ_{i ≥ 0} P(m > i)
      remaining -= depthWeights[i]
    }
    return WaitingTimeDistribution(
      probabilityOfWaiting: probabilityOfWaiting, advanceRatePerSecond: nu,
      meanSeconds: meanSeconds ?? probabilityOfWaiting * meanDepth / nu,
      shape: .tabulated(exceedance: exceedance))
  }

  /// P(W > t), t in seconds (1 for t < 0).
  public func survival(seconds t: Double) -> Double {
    if t < 0 { return 1 }
    let admitted = admission.map { $0.probability * $0.conditionalSurvival(t) } ?? 0
    if probabilityOfWaiting <= 0 { return admitted }
    return probabilityOfWaiting * conditional(t).survival + admitted
  }

  /// P(W ≤ t).
  public func cumulativeProbability(seconds t: Double) -> Double { 1 - survival(seconds: t) }

  /// The `p`-quantile of the wait, seconds: the smallest t with P(W ≤ t) ≥ p.
  /// - Throws: `LoadModelError` unless 0 < p < 1.
  public func quantileSeconds(_ p: Double) throws -> Double {
    guard p > 0 && p < 1 else { throw LoadModelError("quantile level must lie in (0, 1) (got \(p))") }
    let tail = 1 - p
    if let admission { return try quantileWithAdmission(tail: tail, admission) }
    if probabilityOfWaiting <= tail { return 0 }
    let target = tail / probabilityOfWaiting  // conditional survival to reach, in (0, 1)
    let nu = advanceRatePerSecond
    var guess: Double
    switch shape {
    case .truncatedGeometric(let rho, let length):
      guess = -log(target) / (nu * (1 - rho))
      if length == nil { return guess }  // e^{−ν(1−ρ)t} = target, exactly
    case .tabulated:
      guess = -log(target) * (meanSeconds / probabilityOfWaiting)
    }
    // Bracket [lo, hi] with G(lo) > target ≥ G(hi), then Newton, falling back to bisection.
    var lo = 0.0
    var hi = max(guess, 1e-300)
    var doublings = 0
    while conditional(hi).survival > target && doublings < 2000 {
      lo = hi
      hi *= 2
      doublings += 1
    }
    var t = min(max(guess, lo), hi)
    for _ in 0..<200 {
      let (g, density) = conditional(t)
      let f = g - target
      if f == 0 { return t }
      if f > 0 { lo = t } else { hi = t }
      var next = t + f / max(density, .leastNormalMagnitude)
      if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
      if abs(next - t) <= 1e-14 * next || hi - lo <= 1e-14 * hi { return next }
      t = next
    }
    return t
  }

  /// The smallest t with P(W > t) ≤ `tail`, by bisection on the survival (monotone), to 1e-13
  /// relative.
  func quantileWithAdmission(tail: Double, _ admission: AdmissionWait) throws -> Double {
    if survival(seconds: 0) <= tail { return 0 }
    var lo = 0.0
    var hi = max(
      admission.meanSeconds, admission.prefillResidualSpanSeconds, admission.decodeResidualSpanSeconds,
      meanSeconds / max(probabilityOfWaiting, 1e-300), 1e-9)
    var doublings = 0
    while survival(seconds: hi) > tail {
      lo = hi
      hi *= 2
      doublings += 1
      guard doublings < 2000 else { throw LoadModelError("waiting-time quantile did not bracket") }
    }
    for _ in 0..<200 where hi - lo > 1e-13 * hi {
      let middle = 0.5 * (lo + hi)
      if survival(seconds: middle) > tail { lo = middle } else { hi = middle }
    }
    return hi
  }

  /// G(t) = P(W > t | wait) and its density −G′(t).
  func conditional(_ t: Double) -> (survival: Double, density: Double) {
    let nu = advanceRatePerSecond
    switch shape {
    case .truncatedGeometric(let rho, let length):
      let decay = exp(-nu * (1 - rho) * t)
      guard let q = length else { return (decay, nu * (1 - rho) * decay) }
      let rhoQ = pow(rho, Double(q))
      let norm = 1 - rhoQ
      let head = poissonCumulative(q - 1, mean: rho * nu * t)
      let survival = (decay * head - rhoQ * poissonCumulative(q - 1, mean: nu * t)) / norm
      // −G′ = ν Σ_m w_m P(Poisson(νt) = m−1) = ν(1−ρ) e^{−ν(1−ρ)t} C(Q−1, ρνt) / (1 − ρ^Q).
      return (min(max(survival, 0), 1), nu * (1 - rho) * decay * head / norm)
    case .tabulated(let exceedance):
      var survival = 0.0
      var density = 0.0
      let count = exceedance.count
      forEachPoissonProbability(count: count, mean: nu * t) { i, p in
        survival += p * exceedance[i]
        let next = i + 1 < count ? exceedance[i + 1] : 0
        density += p * (exceedance[i] - next)  // P(Poisson = m−1) · w_m, m = i + 1
      }
      return (min(max(survival, 0), 1), nu * density)
    }
  }
}

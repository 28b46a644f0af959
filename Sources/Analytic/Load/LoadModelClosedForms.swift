import Foundation

/// Textbook closed forms of the classic Markovian queues (e.g. Kleinrock, *Queueing Systems*
/// vol. 1, 1975, ch. 3; Gross & Harris, *Fundamentals of Queueing Theory*), written out
/// independently of the chain solvers so that tests can hold the solvers to them.
public enum QueueingFormulas {
  /// Stationary figures of a closed-form queue.
  public struct Result: Sendable, Hashable {
    /// ρ = λ / (c μ).
    public let utilisation: Double
    /// P(an admitted arrival waits).
    public let probabilityOfWaiting: Double
    /// P(an arrival is turned away).
    public let blockingProbability: Double
    public let meanInSystem: Double
    public let meanInQueue: Double
    /// Mean wait of an admitted request, seconds.
    public let meanWaitingSeconds: Double
    /// When the wait given waiting is exponential (unbounded M/M/c), its rate c μ − λ.
    public let waitingDecayRatePerSecond: Double?

    /// p-quantile of the wait when it is an atom at 0 plus an exponential tail:
    /// P(W > t) = P(wait) e^{−rate·t}  ⇒  t_p = ln(P(wait) / (1 − p)) / rate, or 0.
    /// nil when the wait has no exponential tail or p is outside (0, 1).
    public func waitingQuantileSeconds(_ p: Double) -> Double? {
      guard let rate = waitingDecayRatePerSecond, p > 0, p < 1 else { return nil }
      return max(0, log(probabilityOfWaiting / (1 - p)) / rate)
    }
  }

  /// M/M/1: π_k = (1 − ρ) ρ^k, L = ρ/(1 − ρ), W_q = ρ/(μ − λ), P(W > t) = ρ e^{−(μ−λ)t}.
  public static func mm1(arrivalRatePerSecond lambda: Double, serviceRatePerSecond mu: Double) throws -> Result {
    try mmc(arrivalRatePerSecond: lambda, serviceRatePerSecond: mu, servers: 1)
  }

  /// M/M/c (Erlang C). The Erlang B loss probability by the stable recursion
  /// B(0) = 1, B(k) = a B(k−1) / (k + a B(k−1)) with a = λ/μ; then
  /// C = B / (1 − ρ (1 − B)), W_q = C / (c μ − λ), L_q = λ W_q, L = L_q + a.
  public static func mmc(
    arrivalRatePerSecond lambda: Double, serviceRatePerSecond mu: Double, servers c: Int
  ) throws
    -> Result
  {
    try check(lambda, mu)
    guard c >= 1 else { throw LoadModelError("servers must be ≥ 1 (got \(c))") }
    let a = lambda / mu
    let rho = a / Double(c)
    guard rho < 1 else { throw LoadModelError("M/M/c with ρ = \(rho) ≥ 1 is unstable") }
    var erlangB = 1.0
    for k in 1...c { erlangB = a * erlangB / (Double(k) + a * erlangB) }
    let erlangC = erlangB / (1 - rho * (1 - erlangB))
    let rate = Double(c) * mu - lambda
    let wait = erlangC / rate
    return Result(
      utilisation: rho, probabilityOfWaiting: erlangC, blockingProbability: 0, meanInSystem: lambda * wait + a,
      meanInQueue: lambda * wait, meanWaitingSeconds: wait, waitingDecayRatePerSecond: rate)
  }

  /// M/M/1/K (K places in all, one in service): π_n = π_0 ρ^n with π_0 = (1 − ρ)/(1 − ρ^{K+1})
  /// (1/(K+1) when ρ = 1); blocking π_K; L = ρ/(1 − ρ) − (K+1) ρ^{K+1}/(1 − ρ^{K+1});
  /// L_q = L − (1 − π_0); W_q = L_q / (λ (1 − π_K)) by Little's law on admitted requests.
  public static func mm1k(
    arrivalRatePerSecond lambda: Double, serviceRatePerSecond mu: Double, capacity k: Int
  ) throws
    -> Result
  {
    try check(lambda, mu)
    guard k >= 1 else { throw LoadModelError("M/M/1/K needs K ≥ 1 (got \(k))") }
    let rho = lambda / mu
    let kd = Double(k)
    let p0: Double
    let pK: Double
    let l: Double
    if rho == 1 {
      p0 = 1 / (kd + 1)
      pK = p0
      l = kd / 2
    } else {
      let top = pow(rho, kd + 1)
      p0 = (1 - rho) / (1 - top)
      pK = p0 * pow(rho, kd)
      l = rho / (1 - rho) - (kd + 1) * top / (1 - top)
    }
    let lq = l - (1 - p0)
    return Result(
      utilisation: rho, probabilityOfWaiting: (1 - p0 - pK) / (1 - pK), blockingProbability: pK, meanInSystem: l,
      meanInQueue: lq, meanWaitingSeconds: lambda > 0 ? lq / (lambda * (1 - pK)) : 0, waitingDecayRatePerSecond: nil)
  }

  private static func check(_ lambda: Double, _ mu: Double) throws {
    guard lambda.isFinite, lambda >= 0 else {
      throw LoadModelError("arrival rate must be finite and ≥ 0 (got \(lambda))")
    }
    guard mu.isFinite, mu > 0 else { throw LoadModelError("service rate must be positive and finite (got \(mu))") }
  }
}

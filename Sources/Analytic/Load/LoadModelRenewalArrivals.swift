import Foundation
import LinearAlgebra

/// Gaps between arrivals drawn from a mixture of exponentials: with probability α_i the next
/// gap is exponential with rate c_i. One phase is the Poisson process; two phases (H2) give
/// any coefficient of variation ≥ 1, i.e. bursty traffic.
public struct InterarrivalDistribution: Sendable, Hashable {
  /// α_i, summing to 1.
  public let phaseProbabilities: [Double]
  /// c_i, per second.
  public let phaseRatesPerSecond: [Double]

  /// Exponential gaps: a Poisson process of rate λ.
  public static func exponential(ratePerSecond lambda: Double) throws -> InterarrivalDistribution {
    guard lambda.isFinite, lambda > 0 else {
      throw LoadModelError("arrival rate must be positive and finite (got \(lambda))")
    }
    return InterarrivalDistribution(phaseProbabilities: [1], phaseRatesPerSecond: [lambda])
  }

  /// Two-phase hyperexponential gaps with mean 1/λ and coefficient of variation `cv` ≥ 1,
  /// fitted with balanced means (each phase carries half the mean, α_i / c_i = 1/(2λ)):
  /// α_1 = ½ (1 + √((cv² − 1)/(cv² + 1))), α_2 = 1 − α_1, c_i = 2 α_i λ
  /// (the "balanced means" two-moment fit, e.g. H. C. Tijms, *A First Course in Stochastic
  /// Models*, Wiley 2003, appendix on fitting phase-type distributions).
  /// Then E[X²] = (1/λ²)/(2 α_1 α_2) = (1 + cv²)/λ², so the fit reproduces the mean and cv².
  public static func hyperexponential(
    ratePerSecond lambda: Double, coefficientOfVariation cv: Double
  ) throws
    -> InterarrivalDistribution
  {
    guard lambda.isFinite, lambda > 0 else {
      throw LoadModelError("arrival rate must be positive and finite (got \(lambda))")
    }
    guard cv.isFinite, cv >= 1 else {
      throw LoadModelError("a hyperexponential needs a coefficient of variation ≥ 1 (got \(cv))")
    }
    let c2 = cv * cv
    let p1 = 0.5 * (1 + ((c2 - 1) / (c2 + 1)).squareRoot())
    let p2 = 1 - p1
    guard p2 > 0 else { throw LoadModelError("coefficient of variation \(cv) is too large to fit") }
    return InterarrivalDistribution(
      phaseProbabilities: [p1, p2], phaseRatesPerSecond: [2 * p1 * lambda, 2 * p2 * lambda])
  }

  /// Mean gap, seconds: Σ α_i / c_i.
  public var meanSeconds: Double { zip(phaseProbabilities, phaseRatesPerSecond).reduce(0) { $0 + $1.0 / $1.1 } }
  /// λ = 1 / mean gap.
  public var ratePerSecond: Double { 1 / meanSeconds }
  /// cv² = E[X²]/E[X]² − 1, with E[X²] = Σ 2 α_i / c_i².
  public var squaredCoefficientOfVariation: Double {
    let m = meanSeconds
    let second = zip(phaseProbabilities, phaseRatesPerSecond).reduce(0) { $0 + 2 * $1.0 / ($1.1 * $1.1) }
    return second / (m * m) - 1
  }
  /// Laplace–Stieltjes transform E[e^{−sX}] = Σ α_i c_i / (c_i + s).
  public func laplaceTransform(_ s: Double) -> Double {
    zip(phaseProbabilities, phaseRatesPerSecond).reduce(0) { $0 + $1.0 * $1.1 / ($1.1 + s) }
  }
}

/// Renewal (non-Poisson) arrivals into a queue with state-dependent exponential service: the
/// GI/M/c-type queue behind a replica fed by bursty traffic.
///
/// The state is (n, phase of the gap in progress), so the chain is not birth–death: it is
/// solved as a band system (LAPACK `dgbsv`) or, for cross-checks, densely (`dgesv`). Ordering
/// states n·m + i puts every transition within 2m − 1 below and m above the diagonal of Qᵀ.
/// Arrivals do not see time averages here; the distribution an arrival sees weights π(n, i)
/// by the arrival rate c_i of phase i.
public struct RenewalArrivalQueue: Sendable, Hashable {
  public let arrivals: InterarrivalDistribution
  /// μ(1)…μ(S): departure rate with n in the system; μ(n) = μ(S) for n > S.
  public let serviceRatesPerSecond: [Double]
  /// Q waiting places (nil: unbounded, truncated where the tail mass drops below 1e−18).
  public let waitingRoom: Int?

  public init(arrivals: InterarrivalDistribution, serviceRatesPerSecond: [Double], waitingRoom: Int?) throws {
    guard !serviceRatesPerSecond.isEmpty else { throw LoadModelError("a queue needs at least one service rate") }
    if let bad = serviceRatesPerSecond.first(where: { !($0.isFinite && $0 > 0) }) {
      throw LoadModelError("service rates must be positive and finite (found \(bad))")
    }
    if let waitingRoom, waitingRoom < 0 { throw LoadModelError("waiting room must be ≥ 0 (got \(waitingRoom))") }
    self.arrivals = arrivals
    self.serviceRatesPerSecond = serviceRatesPerSecond
    self.waitingRoom = waitingRoom
  }

  /// ρ = λ / μ(S).
  public var tailLoad: Double { arrivals.ratePerSecond / serviceRatesPerSecond[serviceRatesPerSecond.count - 1] }

  /// σ in (0, 1): the root of σ = A*(ν(1 − σ)) (A* the gap transform, ν = μ(S)). Above S the
  /// distribution arrivals see decays like σ^j (the GI/M/c geometric tail), which sets where an
  /// unbounded queue is truncated. Found by bisection: f(σ) = A*(ν(1−σ)) − σ is positive below
  /// the root and negative between it and the trivial root 1 when ρ < 1.
  public func tailDecayRatio() throws -> Double {
    guard tailLoad < 1 else { throw LoadModelError("λ ≥ μ(S): the queue has no geometric tail (ρ = \(tailLoad))") }
    let nu = serviceRatesPerSecond[serviceRatesPerSecond.count - 1]
    func f(_ sigma: Double) -> Double { arrivals.laplaceTransform(nu * (1 - sigma)) - sigma }
    var delta = 0.5
    while f(1 - delta) >= 0 {
      delta *= 0.5
      if delta < 1e-15 { throw LoadModelError("tail decay ratio is indistinguishable from 1 (ρ = \(tailLoad))") }
    }
    var lo = 0.0
    var hi = 1 - delta
    for _ in 0..<200 where hi - lo > 1e-16 {
      let mid = 0.5 * (lo + hi)
      if f(mid) > 0 { lo = mid } else { hi = mid }
    }
    return 0.5 * (lo + hi)
  }

  /// Solves the (n, phase) chain with `.lapackBanded` (default) or `.lapackDense`.
  /// - Throws: `LoadModelError` for an unbounded queue with ρ ≥ 1, an unsupported solver, or a
  ///   chain too large for the solver; LAPACK errors pass through.
  public func solve(_ solver: ChainSolver = .lapackBanded) throws -> QueueSolution {
    guard solver == .lapackBanded || solver == .lapackDense else {
      throw LoadModelError(
        "renewal arrivals make a chain that is not birth–death: solve it with lapackBanded or lapackDense")
    }
    let servers = serviceRatesPerSecond.count
    let nu = serviceRatesPerSecond[servers - 1]
    let lambda = arrivals.ratePerSecond
    if waitingRoom == nil && tailLoad >= 1 {
      throw LoadModelError("unbounded queue with λ ≥ μ(S) (ρ = \(tailLoad)) has no stationary distribution")
    }
    let room = try waitingRoom ?? truncatedRoom(tailRatio: tailDecayRatio())
    let top = servers + room
    let phases = arrivals.phaseProbabilities.count
    let size = (top + 1) * phases
    guard size <= (solver == .lapackDense ? denseStateLimit : lapackStateLimit) else {
      throw LoadModelError("\(size) states is too many for the \(solver.rawValue) solver")
    }
    let alpha = arrivals.phaseProbabilities
    let c = arrivals.phaseRatesPerSecond
    // Every transition (from → to, rate), in one place for both matrix layouts.
    func forEachTransition(_ body: (Int, Int, Double) -> Void) {
      for n in 0...top {
        for i in 0..<phases {
          let from = n * phases + i
          for j in 0..<phases {
            let to = n < top ? (n + 1) * phases + j : n * phases + j  // full: the arrival is turned away
            if to != from { body(from, to, c[i] * alpha[j]) }
          }
          if n > 0 { body(from, (n - 1) * phases + i, serviceRatesPerSecond[min(n, servers) - 1]) }
        }
      }
    }
    var pi: [Double]
    if solver == .lapackDense {
      var q = Matrix(rows: size, columns: size)
      forEachTransition { from, to, rate in
        q[from, to] += rate
        q[from, from] -= rate
      }
      pi = try stationaryDistribution(generator: q)
    } else {
      // Qᵀ π = 0 with the balance equation of one state replaced by π_anchor = 1 (non-singular
      // for an irreducible chain, and it keeps the band). The anchor is the most likely state of
      // the Poisson chain with the same rates, so no other entry is astronomically larger.
      var a = BandMatrix(size: size, lower: 2 * phases - 1, upper: phases)
      forEachTransition { from, to, rate in
        a[to, from] += rate
        a[from, from] -= rate
      }
      let anchor = modeOfPoissonChain(lambda: lambda, top: top) * phases
      for column in max(0, anchor - a.lower)...min(size - 1, anchor + a.upper) { a[anchor, column] = 0 }
      a[anchor, anchor] = 1
      var rhs = [Double](repeating: 0, count: size)
      rhs[anchor] = 1
      pi = try solveBanded(a, rhs)
      let largest = pi.max() ?? 0
      if let worst = pi.min(), worst < -1e-9 * largest {
        throw LoadModelError("banded solve returned a negative probability \(worst)")
      }
      let total = pi.reduce(0) { $0 + max($1, 0) }
      guard total.isFinite, total > 0 else { throw LoadModelError("renewal-arrival chain does not normalise") }
      pi = pi.map { max($0, 0) / total }
    }
    var stationary = [Double](repeating: 0, count: top + 1)
    var seen = [Double](repeating: 0, count: top + 1)
    var arrivalFlow = 0.0
    for n in 0...top {
      for i in 0..<phases {
        stationary[n] += pi[n * phases + i]
        seen[n] += pi[n * phases + i] * c[i]
      }
      arrivalFlow += seen[n]
    }
    seen = seen.map { $0 / arrivalFlow }
    return explicitQueueSolution(
      stationary: stationary, arrivalSeen: seen, arrivalRate: lambda, servers: servers, waitingRoom: waitingRoom,
      tailRate: nu, solver: solver)
  }

  /// argmax_n of λ^n / Π_{k ≤ n} μ(min(k, S)) over 0…top, by a running log.
  private func modeOfPoissonChain(lambda: Double, top: Int) -> Int {
    guard top > 0 else { return 0 }
    var logWeight = 0.0
    var best = 0.0
    var mode = 0
    let logLambda = log(lambda)
    for n in 1...top {
      logWeight += logLambda - log(serviceRatesPerSecond[min(n, serviceRatesPerSecond.count) - 1])
      if logWeight > best {
        best = logWeight
        mode = n
      }
    }
    return mode
  }
}

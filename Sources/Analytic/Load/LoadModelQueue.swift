import Foundation
import LinearAlgebra

/// The method that produced a queue's stationary distribution.
public enum ChainSolver: String, Sendable, Codable, CaseIterable {
  /// Exact product form of a birth–death chain's balance equations (π_{n} = π_{n−1} λ/μ(n)),
  /// with the geometric tail above the last service level summed in closed form. No LAPACK:
  /// O(S) time, no allocation. Agreement with the LAPACK routes is tested to 1e-10.
  case productForm
  /// The same birth–death chain solved as a tridiagonal system (LAPACK `dgtsv`).
  case lapackTridiagonal
  /// A chain with phases (non-Poisson arrivals) solved as a band system (LAPACK `dgbsv`).
  case lapackBanded
  /// Any chain solved densely, `πQ = 0, Σπ = 1` by LU (LAPACK `dgesv`). O(n³): small chains.
  case lapackDense
}

/// Stationary figures of one queue: Poisson or renewal arrivals, state-dependent service with
/// `servers` levels (rate μ(n) with n in the system, μ(n) = μ(S) for n ≥ S), first come first
/// served, a waiting room of Q places (arrivals finding S + Q in the system are turned away).
public struct QueueSolution: Sendable, Hashable {
  /// λ offered to the queue, per second.
  public let arrivalRatePerSecond: Double
  /// S: occupancy from which the service rate stops growing (batch slots; servers of M/M/c).
  public let servers: Int
  /// Q: waiting places; nil = unbounded.
  public let waitingRoom: Int?
  /// π_0: probability the system is empty (time average).
  public let probabilityEmpty: Double
  /// Fraction of arrivals turned away because S + Q are already in the system.
  public let blockingProbability: Double
  /// Admitted (= completed, in steady state) requests per second: λ (1 − blocking).
  public let throughputPerSecond: Double
  /// Time-average number in the system (served + waiting).
  public let meanInSystem: Double
  /// Time-average number being served, E[min(n, S)].
  public let meanBusyServers: Double
  /// Time-average number waiting, E[max(n − S, 0)].
  public let meanInQueue: Double
  /// Wait of an admitted request before service starts.
  public let waiting: WaitingTimeDistribution
  /// States whose probabilities the solver handled explicitly (the product form sums the
  /// geometric tail in closed form; LAPACK routes count every state they solved, including a
  /// truncated tail for an unbounded queue).
  public let statesSolved: Int
  public let solver: ChainSolver
}

/// Departure rates of a birth–death queue by occupancy, read by the product-form loop.
protocol DepartureRateProfile {
  /// S: rates are given for occupancies 1…S; above S the rate stays at `rate(S)`.
  var servers: Int { get }
  /// μ(n), n in 1…S.
  func rate(_ n: Int) -> Double
  /// Calls `body(n, 1/μ(n))` for n = 1…S in order: the product-form loop walks the chain
  /// once, so a profile can produce its rates incrementally (no per-state integer division).
  func forEachInverseRate(_ body: (Int, Double) -> Void)
}

/// Rates from tables.
struct TabulatedDepartureRates: DepartureRateProfile {
  let rates: [Double]
  let inverses: [Double]
  var servers: Int { rates.count }
  @inline(__always) func rate(_ n: Int) -> Double { rates[n - 1] }
  @inline(__always) func forEachInverseRate(_ body: (Int, Double) -> Void) {
    inverses.withUnsafeBufferPointer { table in
      for n in 1...table.count { body(n, table[n - 1]) }
    }
  }
}

extension DepartureRateProfile {
  /// μ(1)…μ(S) as an array (for the LAPACK routes, which build explicit chains).
  var rateTable: [Double] { (1...servers).map { rate($0) } }
}

/// Poisson arrivals into a queue with state-dependent exponential service.
public struct BirthDeathQueue: Sendable, Hashable {
  public let arrivalRatePerSecond: Double
  /// μ(1)…μ(S): departure rate with n in the system; μ(n) = μ(S) for n > S.
  public let serviceRatesPerSecond: [Double]
  /// Q waiting places (nil: unbounded).
  public let waitingRoom: Int?
  let inverseRates: [Double]

  /// - Throws: `LoadModelError` for a negative or non-finite arrival rate, an empty or
  ///   non-positive rate table, or a negative waiting room.
  public init(arrivalRatePerSecond: Double, serviceRatesPerSecond: [Double], waitingRoom: Int?) throws {
    guard arrivalRatePerSecond.isFinite, arrivalRatePerSecond >= 0 else {
      throw LoadModelError("arrival rate must be finite and ≥ 0 (got \(arrivalRatePerSecond))")
    }
    guard !serviceRatesPerSecond.isEmpty else { throw LoadModelError("a queue needs at least one service rate") }
    if let bad = serviceRatesPerSecond.first(where: { !($0.isFinite && $0 > 0) }) {
      throw LoadModelError("service rates must be positive and finite (found \(bad))")
    }
    if let waitingRoom, waitingRoom < 0 { throw LoadModelError("waiting room must be ≥ 0 (got \(waitingRoom))") }
    self.arrivalRatePerSecond = arrivalRatePerSecond
    self.serviceRatesPerSecond = serviceRatesPerSecond
    self.waitingRoom = waitingRoom
    self.inverseRates = serviceRatesPerSecond.map { 1 / $0 }
  }

  /// M/M/c/(c+Q): `servers` servers of rate `serviceRatePerSecond` each, μ(n) = n μ.
  public static func multiServer(
    arrivalRatePerSecond: Double, serviceRatePerSecond: Double, servers: Int, waitingRoom: Int?
  ) throws -> BirthDeathQueue {
    guard servers >= 1 else { throw LoadModelError("servers must be ≥ 1 (got \(servers))") }
    return try BirthDeathQueue(
      arrivalRatePerSecond: arrivalRatePerSecond,
      serviceRatesPerSecond: (1...servers).map { Double($0) * serviceRatePerSecond }, waitingRoom: waitingRoom)
  }

  /// ρ = λ / μ(S): the load of the tail. An unbounded queue is stable only when ρ < 1.
  public var tailLoad: Double { arrivalRatePerSecond / serviceRatesPerSecond[serviceRatesPerSecond.count - 1] }

  /// Solves the chain. With no `solver`, the product form when it applies (ρ < 1), else the
  /// LAPACK tridiagonal route (a finite room with ρ ≥ 1).
  /// - Throws: `LoadModelError` when the queue is unbounded and ρ ≥ 1 (no stationary
  ///   distribution: it never settles), when `.productForm` is asked for with ρ ≥ 1, or when
  ///   the chain is too large for the dense solver; LAPACK errors pass through.
  public func solve(_ solver: ChainSolver? = nil) throws -> QueueSolution {
    let rates = TabulatedDepartureRates(rates: serviceRatesPerSecond, inverses: inverseRates)
    let rho = tailLoad
    if waitingRoom == nil && rho >= 1 {
      throw LoadModelError("unbounded queue with λ ≥ μ(S) (ρ = \(rho)) has no stationary distribution")
    }
    switch solver ?? (rho < 1 ? .productForm : .lapackTridiagonal) {
    case .productForm:
      guard
        let solution = productFormSolution(arrivalRate: arrivalRatePerSecond, rates: rates, waitingRoom: waitingRoom)
      else {
        throw LoadModelError("product form needs ρ = λ/μ(S) < 1 (got \(rho)); use a LAPACK solver")
      }
      return solution
    case .lapackTridiagonal, .lapackDense:
      return try lapackBirthDeathSolution(
        arrivalRate: arrivalRatePerSecond, serviceRates: serviceRatesPerSecond, waitingRoom: waitingRoom,
        dense: solver == .lapackDense)
    case .lapackBanded:
      if arrivalRatePerSecond == 0 {
        return idleQueueSolution(
          servers: rates.servers, waitingRoom: waitingRoom, tailRate: rates.rate(rates.servers), solver: .lapackBanded)
      }
      let arrivals = try InterarrivalDistribution.exponential(ratePerSecond: arrivalRatePerSecond)
      return try RenewalArrivalQueue(
        arrivals: arrivals, serviceRatesPerSecond: serviceRatesPerSecond, waitingRoom: waitingRoom
      )
      .solve(.lapackBanded)
    }
  }
}

/// The trivial solution of a queue nobody arrives at.
func idleQueueSolution(servers: Int, waitingRoom: Int?, tailRate: Double, solver: ChainSolver) -> QueueSolution {
  QueueSolution(
    arrivalRatePerSecond: 0, servers: servers, waitingRoom: waitingRoom, probabilityEmpty: 1,
    blockingProbability: 0, throughputPerSecond: 0, meanInSystem: 0, meanBusyServers: 0, meanInQueue: 0,
    waiting: .none(advanceRatePerSecond: tailRate), statesSolved: 1, solver: solver)
}

/// Sums of the geometric tail above state S, relative to π_S: A0 = Σ_{j=0}^{Q} ρ^j,
/// A1 = Σ_{j=0}^{Q} j ρ^j, and ρ^Q (Q = nil: infinite sums, 0). Needs ρ < 1.
/// Closed forms when Q(1 − ρ) ≥ 1 (then 1 − ρ^Q(1 + Q(1−ρ)) ≥ 1 − 2/e, no cancellation),
/// a direct O(Q) sum otherwise (ρ^Q ≈ 1: the closed forms would divide by ~0).
@inline(__always)
func geometricTailSums(_ rho: Double, _ waitingRoom: Int?) -> (a0: Double, a1: Double, rhoQ: Double) {
  let oneMinus = 1 - rho
  guard let q = waitingRoom else { return (1 / oneMinus, rho / (oneMinus * oneMinus), 0) }
  if q == 0 { return (1, 0, 1) }
  let qd = Double(q)
  if qd * oneMinus >= 1 {
    let rhoQ = pow(rho, qd)
    let a0 = (1 - rhoQ * rho) / oneMinus
    // Σ_{j=1}^{Q} j ρ^j = ρ (1 − (Q+1)ρ^Q + Qρ^{Q+1}) / (1−ρ)² = ρ (1 − ρ^Q (1 + Q(1−ρ))) / (1−ρ)².
    let a1 = rho * (1 - rhoQ * (1 + qd * oneMinus)) / (oneMinus * oneMinus)
    return (a0, a1, rhoQ)
  }
  var power = 1.0
  var a0 = 1.0
  var a1 = 0.0
  for j in 1...q {
    power *= rho
    a0 += power
    a1 += Double(j) * power
  }
  return (a0, a1, power)
}

/// Exact stationary figures of a birth–death queue by its product form, or nil when the tail
/// load ρ = λ/μ(S) is ≥ 1 (the geometric tail sums need ρ < 1).
///
/// Balance across the cut between n−1 and n gives π_n = π_{n−1} · λ / μ(n): one multiply per
/// state up to S (a replica's inverse rates are precomputed in `ReplicaServiceModel`; the
/// pooled chain divides once per state), running sums for the normaliser and
/// the mean, and a rescale by 1e−200 whenever the unnormalised weight passes 1e200 so that
/// many-server chains (a^c/c! for c in the thousands) cannot overflow. Above S the weights are
/// π_S ρ^j, summed in closed form (`geometricTailSums`). No allocation.
func productFormSolution<R: DepartureRateProfile>(
  arrivalRate lambda: Double, rates: R, waitingRoom: Int?
) -> QueueSolution? {
  let servers = rates.servers
  let nu = rates.rate(servers)
  let rho = lambda / nu
  guard rho < 1 else { return nil }
  if lambda == 0 {
    return idleQueueSolution(servers: servers, waitingRoom: waitingRoom, tailRate: nu, solver: .productForm)
  }
  var weight = 1.0  // unnormalised π_n, π_0 ≡ 1 (times `emptyWeight` after rescales)
  var total = 1.0  // Σ_{n ≤ S} weight
  var moment = 0.0  // Σ_{n ≤ S} n · weight
  var emptyWeight = 1.0
  rates.forEachInverseRate { n, inverse in
    weight *= lambda * inverse
    total += weight
    moment += Double(n) * weight
    if weight > 1e200 {
      weight *= 1e-200
      total *= 1e-200
      moment *= 1e-200
      emptyWeight *= 1e-200
    }
  }
  let top = weight  // unnormalised π_S
  let (a0, a1, rhoQ) = geometricTailSums(rho, waitingRoom)
  let s = Double(servers)
  let z = total + top * (a0 - 1)
  let blocking = waitingRoom == nil ? 0 : top * rhoQ / z
  let admitted = 1 - blocking
  // States S…K−1 make an arrival wait; their mass is π_S Σ_{j<Q} ρ^j = π_S (A0 − ρ^Q).
  let waitMass = top * (a0 - rhoQ) / z
  let probabilityOfWaiting = waitMass / admitted
  // E[depth | wait] = Σ_{j<Q} (j+1) ρ^j / Σ_{j<Q} ρ^j, with Σ_{j<Q} j ρ^j = A1 − Qρ^Q.
  let roomTimesRhoQ = waitingRoom.map { Double($0) * rhoQ } ?? 0
  let meanDepth = a0 - rhoQ > 0 ? (a1 - roomTimesRhoQ + a0 - rhoQ) / (a0 - rhoQ) : 1
  let waiting = WaitingTimeDistribution.geometric(
    probabilityOfWaiting: probabilityOfWaiting, advanceRatePerSecond: nu, ratio: rho, length: waitingRoom,
    meanDepth: meanDepth)
  return QueueSolution(
    arrivalRatePerSecond: lambda, servers: servers, waitingRoom: waitingRoom,
    probabilityEmpty: emptyWeight / z, blockingProbability: blocking, throughputPerSecond: lambda * admitted,
    meanInSystem: (moment + top * (s * (a0 - 1) + a1)) / z,
    meanBusyServers: (moment + top * s * (a0 - 1)) / z,
    meanInQueue: top * a1 / z,
    waiting: waiting, statesSolved: servers + 1, solver: .productForm)
}

/// Largest chain the LAPACK routes build (states); the dense route is O(n³) and much smaller.
let lapackStateLimit = 5_000_000
let denseStateLimit = 3_000

/// Waiting places kept when a LAPACK route truncates an unbounded queue whose tail decays
/// like `ratio^j`: the mass cut off is below 1e−18 of the tail's.
func truncatedRoom(tailRatio ratio: Double) throws -> Int {
  guard ratio > 0 else { return 1 }
  let places = (log(1e-18) / log(ratio)).rounded(.up)
  guard places.isFinite, places < Double(lapackStateLimit) else {
    throw LoadModelError("tail decays too slowly (ratio \(ratio)) to truncate an unbounded queue for a LAPACK solve")
  }
  return max(1, Int(places))
}

/// Solves the birth–death queue as an explicit chain with LAPACK: tridiagonal (`dgtsv`, through
/// `birthDeathStationaryDistribution`) or dense (`dgesv`, through `stationaryDistribution`).
/// An unbounded queue (ρ < 1) is truncated where the tail mass drops below 1e−18.
func lapackBirthDeathSolution(
  arrivalRate lambda: Double, serviceRates: [Double], waitingRoom: Int?, dense: Bool
) throws -> QueueSolution {
  let servers = serviceRates.count
  let nu = serviceRates[servers - 1]
  let solver: ChainSolver = dense ? .lapackDense : .lapackTridiagonal
  if lambda == 0 { return idleQueueSolution(servers: servers, waitingRoom: waitingRoom, tailRate: nu, solver: solver) }
  let room = try waitingRoom ?? truncatedRoom(tailRatio: lambda / nu)
  let top = servers + room  // K
  guard top + 1 <= (dense ? denseStateLimit : lapackStateLimit) else {
    throw LoadModelError("\(top + 1) states is too many for the \(solver.rawValue) solver")
  }
  let death = (1...top).map { serviceRates[min($0, servers) - 1] }  // rate k+1 → k
  let pi: [Double]
  if dense {
    var q = Matrix(rows: top + 1, columns: top + 1)
    for k in 0..<top {
      q[k, k + 1] = lambda
      q[k + 1, k] = death[k]
    }
    for k in 0...top { q[k, k] = -((k < top ? lambda : 0) + (k > 0 ? death[k - 1] : 0)) }
    pi = try stationaryDistribution(generator: q)
  } else {
    pi = try birthDeathStationaryDistribution(birth: [Double](repeating: lambda, count: top), death: death)
  }
  // Poisson arrivals see time averages (PASTA): the arrival-seen distribution is π.
  return explicitQueueSolution(
    stationary: pi, arrivalSeen: pi, arrivalRate: lambda, servers: servers, waitingRoom: waitingRoom,
    tailRate: nu, solver: solver)
}

/// Queue figures from an explicit stationary vector over states 0…K (`stationary`, time
/// averages) and the distribution arrivals see (`arrivalSeen`; equal to `stationary` for
/// Poisson arrivals). Used by every LAPACK route: a second, independent computation of what
/// `productFormSolution` gets in closed form. `waitingRoom` nil: the chain is a truncation of
/// an unbounded queue, so blocking is reported as 0 (the truncated mass is below 1e−18).
func explicitQueueSolution(
  stationary pi: [Double], arrivalSeen seen: [Double], arrivalRate lambda: Double, servers: Int,
  waitingRoom: Int?, tailRate nu: Double, solver: ChainSolver
) -> QueueSolution {
  let top = pi.count - 1
  var meanInSystem = 0.0
  var meanBusy = 0.0
  var meanQueue = 0.0
  for n in 0...top {
    meanInSystem += Double(n) * pi[n]
    meanBusy += Double(min(n, servers)) * pi[n]
    meanQueue += Double(max(n - servers, 0)) * pi[n]
  }
  let blocking = waitingRoom == nil ? 0 : seen[top]
  let admittedSeen = waitingRoom == nil ? 1 : 1 - seen[top]
  let last = waitingRoom == nil ? top : top - 1  // highest state an admitted arrival can see
  var waitMass = 0.0
  var depthWeights: [Double] = []
  if last >= servers {
    depthWeights = Array(seen[servers...last])
    waitMass = depthWeights.reduce(0, +)
  }
  let waiting: WaitingTimeDistribution =
    waitMass > 0
    ? .tabulated(
      probabilityOfWaiting: waitMass / admittedSeen, advanceRatePerSecond: nu,
      depthWeights: depthWeights.map { $0 / waitMass })
    : .none(advanceRatePerSecond: nu)
  return QueueSolution(
    arrivalRatePerSecond: lambda, servers: servers, waitingRoom: waitingRoom, probabilityEmpty: pi[0],
    blockingProbability: blocking, throughputPerSecond: lambda * (1 - blocking), meanInSystem: meanInSystem,
    meanBusyServers: meanBusy, meanInQueue: meanQueue, waiting: waiting, statesSolved: pi.count, solver: solver)
}

import Foundation
import PlanCore

/// The queueing model of a deployment under load: one continuous-time Markov chain per replica
/// (or one pooled chain, see `RouterPolicy`), whose stationary distribution gives utilisation,
/// blocking, waiting-time and TTFT quantiles, TPOT under load, success rate and goodput.
///
/// **Chain.** State n = requests in the replica (running + waiting), n = 0…B + Q. Arrivals at
/// rate λ while n < B + Q (beyond: turned away); departures at μ(min(n, B)) with μ from
/// `ReplicaServiceModel`. It is a birth–death chain, solved by its exact product form
/// (`ChainSolver.productForm`: O(B) per replica chain, O(dp·B) for a pooled one, no
/// allocation — the layout-search hot path). The same chain
/// can be solved with LAPACK (`lapackTridiagonal`: `dgtsv`; `lapackDense`: `dgesv`), which the
/// tests check agrees to 1e-10. Bursty arrivals (gamma, cv > 1) add an arrival phase to the
/// state, the chain stops being birth–death and is solved with LAPACK (`lapackBanded`:
/// `dgbsv`), see `RenewalArrivalQueue`.
///
/// **Routers.**
/// - `roundRobin`: each replica is a separate chain fed λ/dp. Every dp-th arrival of a Poisson
///   stream is Erlang-dp spaced, more regular than Poisson, so feeding the chain Poisson
///   arrivals over-states waiting (conservative). A renewal stream of gap cv² keeps cv²/dp.
/// - `leastOutstanding`, `leastKVLoad`: modelled as one pooled queue in front of all replicas:
///   state n = requests in the deployment, the running ones spread as evenly as possible
///   (n = q·dp + r: r replicas run q+1, the others q), departure rate
///   r·μ(q+1) + (dp−r)·μ(q) up to n = dp·B, dp·μ(B) above, dp·Q waiting places. This is
///   the join-the-shortest-queue ideal: no replica idles while another has a queue. All
///   requests have the same mean size here, so least-KV balances exactly like
///   least-outstanding.
///
/// **Arrival processes.** `.poisson` exactly; `.gamma(cv)` with cv > 1 by a two-phase
/// hyperexponential with the same mean and cv (banded LAPACK chain); `.gamma(cv ≤ 1)`,
/// `.constant` and `.trace` as Poisson, an upper bound on waiting (more regular arrivals
/// wait less in a GI/M/c queue).
///
/// **Figures.** Waiting time: an admitted arrival that finds n ≥ B waits n − B + 1 departures
/// at μ(B) (Erlang mixture, `WaitingTimeDistribution`); one that finds a free slot waits for
/// the engine instead: the running iteration's residual and the prompts queued ahead of it
/// (`admissionWait`, an M/G/1 queue of prompts with decode iterations as vacations). TTFT =
/// wait + prefill of a mean prompt, quantiles from the mixture of the two waits. TPOT under load
/// from Little's law on the running batch: a request stays R = E[running]/throughput in it,
/// of which its own prefill is p and the rest spreads over N − 1 decode tokens, so
/// TPOT = (R − p)/(N − 1) — d(1) for a lone request, d(B) + (B − 1)p/(N − 1) with the batch
/// always full (the others' prefills stall it). A request's own TPOT varies around that mean
/// with the number of prompts admitted while it decodes (a generalized Poisson count, see
/// `tpotWithinSLOProbability`). Success = P(admitted) · P(TTFT ≤ slo.ttft) · P(TPOT ≤ slo.tpot),
/// treating the TTFT and TPOT of a request as independent (both grow with the load, so they
/// are positively correlated and the product errs low).
public enum LoadModel {
  /// Evaluates the deployment at one arrival rate.
  ///
  /// - Parameters:
  ///   - rateRequestsPerSecond: λ offered to the whole deployment (≥ 0). λ = 0 gives a stable,
  ///     idle prediction: no wait, TTFT = prefill, TPOT = d(1) — what a lone request sees —
  ///     and zero throughput and goodput.
  ///   - replicas: dp ≥ 1 identical replicas.
  ///   - router: how requests are spread over the replicas.
  ///   - service: one replica's service model.
  ///   - slo: the latency bounds for the success rate.
  ///   - arrivals: the arrival process (Poisson by default).
  ///   - solver: force a solver (nil: the fastest exact one for the chain).
  /// - Returns: an unstable prediction with no steady state when λ ≥ dp · μ(B).
  /// - Throws: `LoadModelError` for a negative or non-finite rate, dp < 1, a non-positive or
  ///   non-finite SLO bound or arrival cv, or a solver that cannot solve the chain.
  public static func evaluate(
    rateRequestsPerSecond lambda: Double, replicas: Int, router: RouterPolicy, service: ReplicaServiceModel, slo: SLO,
    arrivals: ArrivalProcess = .poisson, solver: ChainSolver? = nil
  ) throws -> LoadPrediction {
    guard slo.ttftSeconds.isFinite, slo.ttftSeconds > 0, slo.tpotSeconds.isFinite, slo.tpotSeconds > 0 else {
      throw LoadModelError(
        "SLO bounds must be positive and finite (ttft \(slo.ttftSeconds) s, tpot \(slo.tpotSeconds) s)")
    }
    let chainArrivals = try chainArrivalProcess(arrivals, router: router, replicas: replicas, lambda: lambda)
    let dp = Double(replicas)
    let capacity = dp * service.capacityRequestsPerSecond
    let service = service.atRate(lambda / dp)
    var prediction = LoadPrediction(
      arrivalRateRequestsPerSecond: lambda, replicas: replicas, router: router,
      perReplicaArrivalRateRequestsPerSecond: lambda / dp, arrivalModel: chainArrivals.model,
      chainArrivalCoefficientOfVariation: chainArrivals.coefficientOfVariation, capacityRequestsPerSecond: capacity,
      utilisation: lambda / capacity, verdict: .stable,
      successRateUpperBound: lambda > capacity ? capacity / lambda : 1,
      steadyState: nil, solver: nil)
    if lambda >= capacity || lambda / dp >= service.departureRatesPerSecond[service.maxConcurrentSequences - 1] {
      prediction.verdict = .unstable(.arrivalRateAtOrAboveCapacity)
      return prediction
    }
    let queue = try solveQueue(
      lambda: lambda, replicas: replicas, router: router, service: service, arrivals: chainArrivals, solver: solver)
    prediction.solver = queue.solver
    prediction.steadyState = try steadyState(
      queue: queue, lambda: lambda, replicas: replicas, router: router, service: service, slo: slo,
      arrivalVariability: admissionArrivalVariability(arrivals, router: router, replicas: replicas))
    return prediction
  }

  /// The queue the prediction is read from: one replica's chain (round-robin) or the pooled
  /// chain of the whole deployment (least-outstanding, least-KV). For figures the prediction
  /// does not carry (other quantiles, the full waiting-time distribution).
  /// - Throws: as `evaluate`, and when λ ≥ capacity (an unstable queue has no solution).
  public static func queue(
    rateRequestsPerSecond lambda: Double, replicas: Int, router: RouterPolicy, service: ReplicaServiceModel,
    arrivals: ArrivalProcess = .poisson, solver: ChainSolver? = nil
  ) throws -> QueueSolution {
    let chainArrivals = try chainArrivalProcess(arrivals, router: router, replicas: replicas, lambda: lambda)
    let service = service.atRate(lambda / Double(replicas))
    guard lambda < Double(replicas) * service.capacityRequestsPerSecond,
      lambda < Double(replicas) * service.departureRatesPerSecond[service.maxConcurrentSequences - 1]
    else {
      throw LoadModelError(
        "λ = \(lambda)/s is at or above the capacity \(Double(replicas) * service.capacityRequestsPerSecond)/s: no steady state"
      )
    }
    return try solveQueue(
      lambda: lambda, replicas: replicas, router: router, service: service, arrivals: chainArrivals, solver: solver)
  }

  // MARK: - Internals

  struct ChainArrivals {
    var model: ChainArrivalModel
    var coefficientOfVariation: Double
  }

  /// Validates λ and dp, and decides what arrivals the chain sees.
  static func chainArrivalProcess(
    _ arrivals: ArrivalProcess, router: RouterPolicy, replicas: Int, lambda: Double
  ) throws
    -> ChainArrivals
  {
    guard lambda.isFinite, lambda >= 0 else {
      throw LoadModelError("arrival rate must be finite and ≥ 0 requests/s (got \(lambda))")
    }
    guard replicas >= 1 else { throw LoadModelError("replicas must be ≥ 1 (got \(replicas))") }
    switch arrivals {
    case .poisson, .constant, .trace:
      return ChainArrivals(model: .poisson, coefficientOfVariation: 1)
    case .gamma(let cv):
      guard cv.isFinite, cv >= 0 else {
        throw LoadModelError("arrival coefficient of variation must be finite and ≥ 0 (got \(cv))")
      }
      // Round-robin hands each replica every dp-th arrival: a sum of dp gaps, cv² / dp.
      let squared = router == .roundRobin ? cv * cv / Double(replicas) : cv * cv
      if squared > 1 { return ChainArrivals(model: .hyperexponential, coefficientOfVariation: squared.squareRoot()) }
      return ChainArrivals(model: .poisson, coefficientOfVariation: 1)
    }
  }

  static func solveQueue(
    lambda: Double, replicas: Int, router: RouterPolicy, service: ReplicaServiceModel, arrivals: ChainArrivals,
    solver: ChainSolver?
  ) throws -> QueueSolution {
    if router == .roundRobin || replicas == 1 {
      let rates = TabulatedDepartureRates(rates: service.departureRatesPerSecond, inverses: service.secondsPerDeparture)
      return try solveChain(
        lambda: lambda / Double(replicas), rates: rates, waitingRoom: service.queueCapacity,
        arrivals: arrivals, solver: solver)
    }
    let rates = PooledDepartureRates(perReplica: service.departureRatesPerSecond, replicas: replicas)
    return try solveChain(
      lambda: lambda, rates: rates, waitingRoom: service.queueCapacity.map { $0 * replicas },
      arrivals: arrivals, solver: solver)
  }

  static func solveChain<R: DepartureRateProfile>(
    lambda: Double, rates: R, waitingRoom: Int?, arrivals: ChainArrivals, solver: ChainSolver?
  ) throws -> QueueSolution {
    switch arrivals.model {
    case .poisson:
      switch solver ?? .productForm {
      case .productForm:
        guard let solution = productFormSolution(arrivalRate: lambda, rates: rates, waitingRoom: waitingRoom) else {
          throw LoadModelError("product form needs λ below the tail service rate")
        }
        return solution
      case .lapackTridiagonal, .lapackDense:
        return try lapackBirthDeathSolution(
          arrivalRate: lambda, serviceRates: rates.rateTable, waitingRoom: waitingRoom, dense: solver == .lapackDense)
      case .lapackBanded:
        if lambda == 0 {
          return idleQueueSolution(
            servers: rates.servers, waitingRoom: waitingRoom, tailRate: rates.rate(rates.servers), solver: .lapackBanded
          )
        }
        return try RenewalArrivalQueue(
          arrivals: .exponential(ratePerSecond: lambda), serviceRatesPerSecond: rates.rateTable,
          waitingRoom: waitingRoom
        ).solve(.lapackBanded)
      }
    case .hyperexponential:
      let chosen = solver ?? .lapackBanded
      guard chosen == .lapackBanded || chosen == .lapackDense else {
        throw LoadModelError("bursty arrivals make a chain that is not birth–death: use lapackBanded or lapackDense")
      }
      if lambda == 0 {
        return idleQueueSolution(
          servers: rates.servers, waitingRoom: waitingRoom, tailRate: rates.rate(rates.servers), solver: chosen)
      }
      return try RenewalArrivalQueue(
        arrivals: .hyperexponential(ratePerSecond: lambda, coefficientOfVariation: arrivals.coefficientOfVariation),
        serviceRatesPerSecond: rates.rateTable, waitingRoom: waitingRoom
      ).solve(chosen)
    }
  }

  static func steadyState(
    queue: QueueSolution, lambda: Double, replicas: Int, router: RouterPolicy, service: ReplicaServiceModel, slo: SLO,
    arrivalVariability: Double = 1
  ) throws -> LoadSteadyState {
    // A round-robin queue is one replica's; a pooled one is the whole deployment's.
    let copies = (router == .roundRobin || replicas == 1) ? Double(replicas) : 1
    let prefill = service.prefillSeconds
    // Per replica: a pooled queue holds the whole deployment's batch and arrivals.
    let perReplica = (router == .roundRobin || replicas == 1) ? 1 : Double(replicas)
    let occupancy = decodeStepSeconds(
      atMeanBatch: queue.meanBusyServers / perReplica, table: service.prefillOccupancySecondsByBatch)
    let decodeTokens = service.meanOutputTokens - 1
    let tpot: Double?
    if decodeTokens <= 0 {
      tpot = nil
    } else if queue.throughputPerSecond > 0 {
      let residence = queue.meanBusyServers / queue.throughputPerSecond  // Little's law on the batch
      tpot = (residence - occupancy) / decodeTokens
    } else {
      tpot = service.decodeStepSecondsByBatch[0]  // idle: a lone request decodes at batch 1
    }
    let waiting = queue.waiting
    let admission = admissionWait(
      queue: queue, service: service, perReplica: perReplica, arrivalVariability: arrivalVariability)
    let firstToken = waiting.withAdmission(admission)
    let ttftSlack = slo.ttftSeconds - prefill
    let ttftWithin = ttftSlack < 0 ? 0 : firstToken.cumulativeProbability(seconds: ttftSlack)
    let tpotWithin = tpot.map { $0 <= slo.tpotSeconds } ?? true
    let tpotProbability =
      tpot.map { meanTPOT in
        tpotWithinSLOProbability(
          decodeStepSeconds: decodeStepSeconds(
            atMeanBatch: queue.meanBusyServers / perReplica, table: service.decodeStepSecondsByBatch),
          meanTPOTSeconds: meanTPOT, prefillSeconds: occupancy, decodeTokens: decodeTokens,
          arrivalRatePerSecond: queue.throughputPerSecond / perReplica, sloSeconds: slo.tpotSeconds)
      } ?? 1
    // TTFT and TPOT treated as independent (both grow with load, so the product errs low).
    let success = (1 - queue.blockingProbability) * ttftWithin * tpotProbability
    let running = copies * queue.meanBusyServers
    let p50 = try waiting.quantileSeconds(0.5)
    let p90 = try waiting.quantileSeconds(0.9)
    let firstP50 = try firstToken.quantileSeconds(0.5)
    let firstP90 = try firstToken.quantileSeconds(0.9)
    let throughput = copies * queue.throughputPerSecond
    return LoadSteadyState(
      blockingProbability: queue.blockingProbability, throughputRequestsPerSecond: throughput,
      outputTokensPerSecond: throughput * service.meanOutputTokens,
      meanRequestsInSystem: copies * queue.meanInSystem, meanRunningRequests: running,
      meanWaitingRequests: copies * queue.meanInQueue, meanBatchSizePerReplica: running / Double(replicas),
      waitingProbability: waiting.probabilityOfWaiting, waitingMeanSeconds: waiting.meanSeconds,
      waitingP50Seconds: p50, waitingP90Seconds: p90,
      admissionWaitProbability: admission?.probability ?? 0,
      admissionWaitMeanSeconds: admission.map { $0.probability * $0.meanSeconds } ?? 0,
      ttftMeanSeconds: firstToken.totalMeanSeconds + prefill,
      ttftP50Seconds: firstP50 + prefill, ttftP90Seconds: firstP90 + prefill, tpotMeanSeconds: tpot,
      ttftWithinSLOProbability: ttftWithin, tpotWithinSLO: tpotWithin, tpotWithinSLOProbability: tpotProbability,
      successRate: success,
      goodputRequestsPerSecond: lambda * success, chainStatesSolved: queue.statesSolved)
  }
}

/// Departure rates of the pooled chain of dp replicas (see `LoadModel`, routers): with n
/// requests running, n = q·dp + r, r replicas hold q + 1 and dp − r hold q.
struct PooledDepartureRates: DepartureRateProfile {
  let perReplica: [Double]
  let replicas: Int
  var servers: Int { replicas * perReplica.count }
  @inline(__always) func rate(_ n: Int) -> Double {
    let (q, r) = n.quotientAndRemainder(dividingBy: replicas)
    let low = q == 0 ? 0 : perReplica[q - 1]
    let high = r == 0 ? 0 : perReplica[q]  // r > 0 ⇒ n < dp·B ⇒ q + 1 ≤ B
    return Double(r) * high + Double(replicas - r) * low
  }
  @inline(__always) func forEachInverseRate(_ body: (Int, Double) -> Void) {
    let dp = Double(replicas)
    var n = 0
    perReplica.withUnsafeBufferPointer { mu in
      var low = 0.0
      for q in 0..<mu.count {
        let high = mu[q]
        var r = 1.0
        for _ in 0..<replicas {
          n += 1
          body(n, 1 / (r * high + (dp - r) * low))
          r += 1
        }
        low = high
      }
    }
  }
}

import Foundation
import PlanCore
import Testing

@testable import Analytic

/// |a − b| ≤ tolerance · max(1, |b|).
private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(b))
}

private let looseSLO = SLO(ttftSeconds: 1e6, tpotSeconds: 1e6)

// MARK: - Closed forms checked by hand

@Suite struct QueueingFormulaTests {
  @Test func erlangCMatchesAHandCount() throws {
    // M/M/2, λ = μ = 1 (a = 1): unnormalised π = 1, 1, then ½·(½)^j for n ≥ 2, summing to 1.
    // Total 3, so P(wait) = P(n ≥ 2) = 1/3 and W_q = C/(cμ − λ) = 1/3.
    let r = try QueueingFormulas.mmc(arrivalRatePerSecond: 1, serviceRatePerSecond: 1, servers: 2)
    #expect(close(r.probabilityOfWaiting, 1.0 / 3, 1e-15))
    #expect(close(r.meanWaitingSeconds, 1.0 / 3, 1e-15))
  }

  @Test func mm1kBlockingMatchesAHandCount() throws {
    // M/M/1/2 with ρ = 2: π ∝ 1, 2, 4, so an arrival is blocked with probability 4/7.
    let r = try QueueingFormulas.mm1k(arrivalRatePerSecond: 2, serviceRatePerSecond: 1, capacity: 2)
    #expect(close(r.blockingProbability, 4.0 / 7, 1e-15))
    // Mean in system (0·1 + 1·2 + 2·4)/7 = 10/7.
    #expect(close(r.meanInSystem, 10.0 / 7, 1e-14))
  }
}

// MARK: - Birth–death chains against closed forms

@Suite struct BirthDeathQueueTests {
  @Test func mm1FromTheProductForm() throws {
    let (lambda, mu) = (0.7, 1.0)
    let rho = lambda / mu
    let q = try BirthDeathQueue(arrivalRatePerSecond: lambda, serviceRatesPerSecond: [mu], waitingRoom: nil).solve()
    #expect(q.solver == .productForm)
    #expect(close(q.probabilityEmpty, 1 - rho, 1e-12))  // π_0 = 1 − ρ
    #expect(close(q.meanInSystem, rho / (1 - rho), 1e-12))  // L = ρ/(1 − ρ)
    #expect(close(q.waiting.meanSeconds, rho / (mu - lambda), 1e-12))  // W_q = ρ/(μ − λ)
    #expect(close(q.waiting.probabilityOfWaiting, rho, 1e-12))
    // Wait tail P(W > t) = ρ e^{−(μ−λ)t}: p90 solves it at 0.1, p50 at 0.5.
    #expect(close(try q.waiting.quantileSeconds(0.9), log(rho / 0.1) / (mu - lambda), 1e-12))
    #expect(close(try q.waiting.quantileSeconds(0.5), log(rho / 0.5) / (mu - lambda), 1e-12))
    for t in [0.0, 0.5, 2.0, 10.0] {
      #expect(close(q.waiting.survival(seconds: t), rho * exp(-(mu - lambda) * t), 1e-12))
    }
    for level in [0.0, 1.0, -0.5, .nan] {
      #expect(throws: LoadModelError.self) { try q.waiting.quantileSeconds(level) }
    }
  }

  @Test func mm1FromLAPACKChains() throws {
    // The same M/M/1 solved as explicit chains: tridiagonal (dgtsv) on the chain truncated
    // where ρ^j < 1e−18, and dense (dgesv) with a finite room of 80 (ρ^80 ≈ 8e−25: no
    // measurable difference from the infinite queue).
    let (lambda, mu) = (0.5, 1.0)
    let rho = lambda / mu
    let tri = try BirthDeathQueue(arrivalRatePerSecond: lambda, serviceRatesPerSecond: [mu], waitingRoom: nil)
      .solve(.lapackTridiagonal)
    let dense = try BirthDeathQueue(arrivalRatePerSecond: lambda, serviceRatesPerSecond: [mu], waitingRoom: 80)
      .solve(.lapackDense)
    for q in [tri, dense] {
      #expect(close(q.probabilityEmpty, 1 - rho))
      #expect(close(q.meanInSystem, rho / (1 - rho)))
      #expect(close(q.waiting.meanSeconds, rho / (mu - lambda)))
      #expect(close(try q.waiting.quantileSeconds(0.9), log(rho / 0.1) / (mu - lambda)))
      #expect(close(q.waiting.survival(seconds: 1.5), rho * exp(-(mu - lambda) * 1.5)))
    }
    #expect(tri.solver == .lapackTridiagonal && dense.solver == .lapackDense)
  }

  @Test func erlangCFromTheChain() throws {
    // M/M/4, μ = 1, λ = 3 against Erlang C (computed by the Erlang B recursion, a different
    // algorithm), from the product form and from the truncated tridiagonal chain.
    let (lambda, mu, c) = (3.0, 1.0, 4)
    let expected = try QueueingFormulas.mmc(arrivalRatePerSecond: lambda, serviceRatePerSecond: mu, servers: c)
    let queue = try BirthDeathQueue.multiServer(
      arrivalRatePerSecond: lambda, serviceRatePerSecond: mu, servers: c, waitingRoom: nil)
    for q in [try queue.solve(.productForm), try queue.solve(.lapackTridiagonal)] {
      #expect(close(q.waiting.probabilityOfWaiting, expected.probabilityOfWaiting))
      #expect(close(q.waiting.meanSeconds, expected.meanWaitingSeconds))
      #expect(close(q.meanInSystem, expected.meanInSystem))
      #expect(close(q.meanBusyServers, lambda / mu))  // busy servers = offered load a
      // Given a wait, it is exponential at cμ − λ (all servers busy, geometric depth).
      #expect(close(try q.waiting.quantileSeconds(0.9), try #require(expected.waitingQuantileSeconds(0.9))))
    }
  }

  @Test func erlangCWithAThousandServersDoesNotOverflow() throws {
    // a^c/c! for a = 900, c = 1000 is ~e^900: the product form must rescale as it goes.
    let (lambda, mu, c) = (900.0, 1.0, 1000)
    let expected = try QueueingFormulas.mmc(arrivalRatePerSecond: lambda, serviceRatePerSecond: mu, servers: c)
    let q = try BirthDeathQueue.multiServer(
      arrivalRatePerSecond: lambda, serviceRatePerSecond: mu, servers: c, waitingRoom: nil
    )
    .solve(.productForm)
    #expect(close(q.waiting.probabilityOfWaiting, expected.probabilityOfWaiting))
    #expect(close(q.waiting.meanSeconds, expected.meanWaitingSeconds))
    #expect(close(q.meanInSystem, expected.meanInSystem))
  }

  @Test func mm1kBlockingFromTheChain() throws {
    // K = 5 places in all: S = 1 server + Q = 4 waiting. Below, at and above ρ = 1.
    for lambda in [0.8, 1.0, 2.0] {
      let expected = try QueueingFormulas.mm1k(arrivalRatePerSecond: lambda, serviceRatePerSecond: 1, capacity: 5)
      let queue = try BirthDeathQueue(arrivalRatePerSecond: lambda, serviceRatesPerSecond: [1], waitingRoom: 4)
      var solutions = [try queue.solve(.lapackTridiagonal), try queue.solve(.lapackDense), try queue.solve()]
      if lambda < 1 { solutions.append(try queue.solve(.productForm)) }
      for q in solutions {
        #expect(close(q.blockingProbability, expected.blockingProbability))
        #expect(close(q.meanInSystem, expected.meanInSystem))
        #expect(close(q.waiting.meanSeconds, expected.meanWaitingSeconds))
        #expect(close(q.waiting.probabilityOfWaiting, expected.probabilityOfWaiting))
        #expect(close(q.throughputPerSecond, lambda * (1 - expected.blockingProbability)))
      }
    }
    // ρ = 1: all six states equally likely, blocking 1/6.
    let flat = try BirthDeathQueue(arrivalRatePerSecond: 1, serviceRatesPerSecond: [1], waitingRoom: 4).solve()
    #expect(close(flat.blockingProbability, 1.0 / 6))
  }

  @Test func finiteRoomWaitingDistributionMatchesADirectErlangMixture() throws {
    // M/M/2 with Q = 12 waiting places (K = 14), ρ = λ/(2μ) = 0.9, so Q(1 − ρ) ≥ 1 and the
    // product form uses its closed form with Poisson CDFs; the LAPACK route tabulates the
    // mixture. Both against a direct sum written here:
    // P(W > t) = Σ_{n=2}^{13} π_n/(1 − π_14) Σ_{i=0}^{n−2} e^{−νt}(νt)^i/i!, ν = 2μ.
    let (lambda, mu) = (1.8, 1.0)
    let queue = try BirthDeathQueue.multiServer(
      arrivalRatePerSecond: lambda, serviceRatePerSecond: mu, servers: 2, waitingRoom: 12)
    var weights = [1.0, lambda / mu]
    for _ in 2...14 { weights.append(weights.last! * lambda / (2 * mu)) }
    let total = weights.reduce(0, +)
    let pi = weights.map { $0 / total }
    func direct(_ t: Double) -> Double {
      let x = 2 * mu * t
      var survival = 0.0
      for n in 2...13 {
        var term = exp(-x)
        var sum = term
        if n - 2 >= 1 {
          for i in 1...(n - 2) {
            term *= x / Double(i)
            sum += term
          }
        }
        survival += pi[n] / (1 - pi[14]) * sum
      }
      return survival
    }
    let product = try queue.solve(.productForm)
    let lapack = try queue.solve(.lapackTridiagonal)
    if case .truncatedGeometric(_, let length) = product.waiting.shape {
      #expect(length == 12)
    } else {
      Issue.record("product form should use the closed-form geometric mixture here")
    }
    for t in [0.0, 0.3, 1.0, 2.5, 6.0] {
      #expect(close(product.waiting.survival(seconds: t), direct(t), 1e-12))
      #expect(close(lapack.waiting.survival(seconds: t), direct(t), 1e-10))
    }
    for p in [0.5, 0.9, 0.99] {
      let t = try product.waiting.quantileSeconds(p)
      if t > 0 { #expect(close(direct(t), 1 - p, 1e-12)) }
      #expect(close(try lapack.waiting.quantileSeconds(p), t, 1e-9))
    }
  }

  @Test func nearCriticalFiniteRoomTabulatesInsteadOfCancelling() throws {
    // ρ = 0.9999 with Q = 50 (Q(1−ρ) < 1): the closed form would divide by 1 − ρ^Q ≈ 0.005;
    // the tabulated route must still agree with the LAPACK chain and with Little's law.
    let queue = try BirthDeathQueue(arrivalRatePerSecond: 0.9999, serviceRatesPerSecond: [1], waitingRoom: 50)
    let product = try queue.solve(.productForm)
    let lapack = try queue.solve(.lapackTridiagonal)
    if case .tabulated = product.waiting.shape {} else { Issue.record("expected the tabulated mixture") }
    #expect(close(product.blockingProbability, lapack.blockingProbability))
    #expect(close(try product.waiting.quantileSeconds(0.9), try lapack.waiting.quantileSeconds(0.9)))
    #expect(close(product.waiting.meanSeconds, product.meanInQueue / product.throughputPerSecond, 1e-12))
  }

  @Test func unboundedOverloadedQueueThrows() throws {
    let queue = try BirthDeathQueue(arrivalRatePerSecond: 1.5, serviceRatesPerSecond: [1], waitingRoom: nil)
    #expect(throws: LoadModelError.self) { try queue.solve() }
    #expect(throws: LoadModelError.self) {
      try BirthDeathQueue(arrivalRatePerSecond: .nan, serviceRatesPerSecond: [1], waitingRoom: nil)
    }
    #expect(throws: LoadModelError.self) {
      try BirthDeathQueue(arrivalRatePerSecond: 1, serviceRatesPerSecond: [0], waitingRoom: nil)
    }
  }
}

// MARK: - Renewal arrivals: a chain that is not birth–death

@Suite struct RenewalArrivalTests {
  /// σ of GI/M/1 by fixed-point iteration σ ← A*(μ(1 − σ)) from 0 — an independent method
  /// (the model bisects). It converges monotonically to the root in (0, 1) when ρ < 1.
  private func fixedPointSigma(_ arrivals: InterarrivalDistribution, mu: Double) -> Double {
    var sigma = 0.0
    for _ in 0..<100_000 {
      let next = arrivals.laplaceTransform(mu * (1 - sigma))
      if abs(next - sigma) < 1e-16 { return next }
      sigma = next
    }
    return sigma
  }

  @Test func hyperexponentialFitKeepsMeanAndVariation() throws {
    let h2 = try InterarrivalDistribution.hyperexponential(ratePerSecond: 2, coefficientOfVariation: 3)
    #expect(close(h2.meanSeconds, 0.5, 1e-14))
    #expect(close(h2.squaredCoefficientOfVariation, 9, 1e-12))
  }

  @Test func h2M1MatchesTheGIM1ClosedForm() throws {
    // GI/M/1: arrivals see (1 − σ)σ^n; P(wait) = σ; the wait given waiting is exponential at
    // μ(1 − σ); time-average L = ρ/(1 − σ). H2 gaps with cv = 2, ρ = 0.75.
    let mu = 1.0
    let arrivals = try InterarrivalDistribution.hyperexponential(ratePerSecond: 0.75, coefficientOfVariation: 2)
    let sigma = fixedPointSigma(arrivals, mu: mu)
    let queue = try RenewalArrivalQueue(arrivals: arrivals, serviceRatesPerSecond: [mu], waitingRoom: nil)
    #expect(close(try queue.tailDecayRatio(), sigma, 1e-12))
    for q in [try queue.solve(.lapackBanded), try queue.solve(.lapackDense)] {
      #expect(close(q.waiting.probabilityOfWaiting, sigma))
      #expect(close(q.waiting.meanSeconds, sigma / (mu * (1 - sigma))))
      #expect(close(try q.waiting.quantileSeconds(0.9), log(sigma / 0.1) / (mu * (1 - sigma))))
      #expect(close(q.meanInSystem, 0.75 / (1 - sigma)))
      #expect(close(q.probabilityEmpty, 0.25))  // 1 − ρ for any single-server queue
    }
    // Burstier than Poisson waits longer than M/M/1 at the same load (ρ/(μ−λ) = 3 s).
    #expect(try queue.solve().waiting.meanSeconds > 3)
  }

  @Test func unitVariationIsPoisson() throws {
    // cv = 1: both phases have rate λ, the chain lumps to M/M/c/(c+Q).
    let rates = [1.0, 1.8, 2.4, 2.8]
    let renewal = try RenewalArrivalQueue(
      arrivals: .hyperexponential(ratePerSecond: 2.2, coefficientOfVariation: 1), serviceRatesPerSecond: rates,
      waitingRoom: 12)
    let poisson = try BirthDeathQueue(arrivalRatePerSecond: 2.2, serviceRatesPerSecond: rates, waitingRoom: 12).solve(
      .productForm)
    let q = try renewal.solve()
    #expect(close(q.blockingProbability, poisson.blockingProbability))
    #expect(close(q.meanInSystem, poisson.meanInSystem))
    #expect(close(try q.waiting.quantileSeconds(0.9), try poisson.waiting.quantileSeconds(0.9)))
  }

  @Test func bandedAndDenseAgreeOnAMultiServerChain() throws {
    let rates = (1...6).map { 0.4 * Double($0).squareRoot() + 0.1 * Double($0) }
    let queue = try RenewalArrivalQueue(
      arrivals: .hyperexponential(ratePerSecond: 1.1, coefficientOfVariation: 2.5), serviceRatesPerSecond: rates,
      waitingRoom: 30)
    let banded = try queue.solve(.lapackBanded)
    let dense = try queue.solve(.lapackDense)
    #expect(close(banded.blockingProbability, dense.blockingProbability, 1e-10))
    #expect(close(banded.meanInSystem, dense.meanInSystem, 1e-10))
    #expect(close(banded.waiting.meanSeconds, dense.waiting.meanSeconds, 1e-10))
    // Little's law holds whatever the arrivals: W_q = L_q / admitted rate.
    #expect(close(banded.waiting.meanSeconds, banded.meanInQueue / banded.throughputPerSecond, 1e-10))
    #expect(throws: LoadModelError.self) { try queue.solve(.productForm) }
  }
}

// MARK: - The LLM replica model

@Suite struct LoadModelTests {
  /// A replica with B = 4, prefill 0.1 s, decode step d(b) = 20 ms + 1 ms·b, 101 output tokens.
  private func replica(queueCapacity: Int? = 16, batch: Int = 4) throws -> ReplicaServiceModel {
    try ReplicaServiceModel(
      maxConcurrentSequences: batch, prefillSeconds: 0.1,
      decodeStepSecondsByBatch: (1...batch).map { 0.020 + 0.001 * Double($0) }, meanOutputTokens: 101,
      queueCapacity: queueCapacity)
  }

  @Test func capacityIsEngineTimePerCompletionAtFullBatch() throws {
    // Per completion at b = 4: its prefill 0.1 s + 100 tokens × 24 ms / 4 = 0.7 s ⇒ 4/2.8 req/s.
    let service = try replica()
    #expect(close(service.capacityRequestsPerSecond, 4 / 2.8, 1e-14))
    // At b = 1: 0.1 + 100 × 21 ms = 2.2 s per request.
    #expect(close(service.departureRatesPerSecond[0], 1 / 2.2, 1e-14))
    let p = try LoadModel.evaluate(
      rateRequestsPerSecond: 1, replicas: 3, router: .roundRobin, service: service, slo: looseSLO)
    #expect(close(p.capacityRequestsPerSecond, 3 * 4 / 2.8, 1e-14))
    #expect(close(p.utilisation, 1 / (3 * 4 / 2.8), 1e-14))
  }

  @Test func singleSlotReplicaIsMM1() throws {
    // B = 1 and an unbounded queue: M/M/1 with μ = 1/(p + (N−1)d(1)) = 1/2.2.
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 1, prefillSeconds: 0.1, decodeStepSecondsByBatch: [0.021], meanOutputTokens: 101,
      queueCapacity: nil)
    let mu = 1 / 2.2
    let lambda = 0.3
    let rho = lambda / mu
    let slo = SLO(ttftSeconds: 3, tpotSeconds: 0.05)
    let p = try LoadModel.evaluate(
      rateRequestsPerSecond: lambda, replicas: 1, router: .roundRobin, service: service, slo: slo)
    let s = try #require(p.steadyState)
    #expect(p.verdict == .stable && p.solver == .productForm)
    #expect(close(s.waitingMeanSeconds, rho / (mu - lambda), 1e-12))
    #expect(close(s.ttftP90Seconds, 0.1 + log(rho / 0.1) / (mu - lambda), 1e-12))
    #expect(close(s.ttftP50Seconds, 0.1 + log(rho / 0.5) / (mu - lambda), 1e-12))
    #expect(close(s.ttftMeanSeconds, 0.1 + rho / (mu - lambda), 1e-12))
    // One request at a time decodes at batch 1: TPOT = d(1) exactly.
    #expect(close(try #require(s.tpotMeanSeconds), 0.021, 1e-12))
    // P(TTFT ≤ 3 s) = 1 − ρ e^{−(μ−λ)(3 − 0.1)}; TPOT 21 ms ≤ 50 ms; nothing blocked.
    let within = 1 - rho * exp(-(mu - lambda) * 2.9)
    #expect(close(s.ttftWithinSLOProbability, within, 1e-12))
    #expect(close(s.successRate, within, 1e-12))
    #expect(close(s.goodputRequestsPerSecond, lambda * within, 1e-12))
    #expect(s.blockingProbability == 0)
    #expect(close(s.meanRequestsInSystem, rho / (1 - rho), 1e-12))
  }

  @Test func pooledRouterOverLinearReplicasIsErlangC() throws {
    // No prefill and a flat decode step (d = 50 ms, 11 output tokens): each slot completes at
    // μ = 1/(10 × 0.05) = 2 req/s, independently of the others, so μ(b) = 2b. Three replicas of
    // two slots behind a least-outstanding router pool into M/M/6; round-robin makes three
    // M/M/2 queues fed λ/3.
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 2, prefillSeconds: 0, decodeStepSecondsByBatch: [0.05, 0.05], meanOutputTokens: 11,
      queueCapacity: nil)
    let lambda = 9.0
    let pooled = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 3, router: .leastOutstanding, service: service, slo: looseSLO
      )
      .steadyState)
    let mm6 = try QueueingFormulas.mmc(arrivalRatePerSecond: lambda, serviceRatePerSecond: 2, servers: 6)
    #expect(close(pooled.waitingProbability, mm6.probabilityOfWaiting, 1e-12))
    #expect(close(pooled.waitingMeanSeconds, mm6.meanWaitingSeconds, 1e-12))
    #expect(close(pooled.meanRequestsInSystem, mm6.meanInSystem, 1e-12))
    #expect(close(pooled.waitingP90Seconds, try #require(mm6.waitingQuantileSeconds(0.9)), 1e-12))
    let split = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 3, router: .roundRobin, service: service, slo: looseSLO
      )
      .steadyState)
    let mm2 = try QueueingFormulas.mmc(arrivalRatePerSecond: lambda / 3, serviceRatePerSecond: 2, servers: 2)
    #expect(close(split.waitingMeanSeconds, mm2.meanWaitingSeconds, 1e-12))
    #expect(close(split.meanRequestsInSystem, 3 * mm2.meanInSystem, 1e-12))
    // TPOT: the decode step does not depend on the batch and there is no prefill: 50 ms.
    #expect(close(try #require(pooled.tpotMeanSeconds), 0.05, 1e-12))
    // Pooling never waits longer than splitting.
    #expect(pooled.waitingMeanSeconds < split.waitingMeanSeconds)
  }

  @Test func everySolverGivesTheSameReplicaFigures() throws {
    let service = try replica(queueCapacity: 12, batch: 6)
    let slo = SLO(ttftSeconds: 4, tpotSeconds: 0.04)
    for (router, replicas) in [(RouterPolicy.roundRobin, 2), (.leastOutstanding, 3), (.leastKVLoad, 1)] {
      let lambda = 0.85 * Double(replicas) * service.capacityRequestsPerSecond
      let product = try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: replicas, router: router, service: service, slo: slo)
      let reference = try #require(product.steadyState)
      #expect(product.solver == .productForm)
      for solver in [ChainSolver.lapackTridiagonal, .lapackDense, .lapackBanded] {
        let other = try LoadModel.evaluate(
          rateRequestsPerSecond: lambda, replicas: replicas, router: router, service: service, slo: slo, solver: solver)
        #expect(other.solver == solver)
        let s = try #require(other.steadyState)
        #expect(close(s.blockingProbability, reference.blockingProbability, 1e-10))
        #expect(close(s.meanRequestsInSystem, reference.meanRequestsInSystem, 1e-10))
        #expect(close(s.meanRunningRequests, reference.meanRunningRequests, 1e-10))
        #expect(close(s.waitingMeanSeconds, reference.waitingMeanSeconds, 1e-10))
        #expect(close(s.ttftP50Seconds, reference.ttftP50Seconds, 1e-10))
        #expect(close(s.ttftP90Seconds, reference.ttftP90Seconds, 1e-10))
        #expect(close(try #require(s.tpotMeanSeconds), try #require(reference.tpotMeanSeconds), 1e-10))
        #expect(close(s.successRate, reference.successRate, 1e-10))
      }
      // Little's law on the waiting line, computed two ways inside the product form.
      #expect(
        close(
          reference.waitingMeanSeconds, reference.meanWaitingRequests / reference.throughputRequestsPerSecond, 1e-12))
    }
  }

  @Test func tpotTendsToTheFullBatchFigureNearSaturation() throws {
    // With the batch always full, a request stays B·p + (N−1)d(B) in it; minus its own prefill
    // over N − 1 tokens: d(B) + (B−1)p/(N−1) = 24 ms + 3 × 0.1/100 = 27 ms. Just under
    // capacity with an unbounded queue the batch is almost always full.
    let service = try replica(queueCapacity: nil)
    let p = try LoadModel.evaluate(
      rateRequestsPerSecond: 0.9999 * service.capacityRequestsPerSecond, replicas: 1, router: .roundRobin,
      service: service, slo: looseSLO)
    let tpot = try #require(p.steadyState?.tpotMeanSeconds)
    #expect(abs(tpot - 0.027) < 1e-5)
    #expect(tpot < 0.027)
  }

  @Test func overloadIsUnstableWithNoAverages() throws {
    let service = try replica()
    let capacity = 2 * service.capacityRequestsPerSecond
    for lambda in [capacity, 1.5 * capacity] {
      let p = try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 2, router: .roundRobin, service: service, slo: looseSLO)
      #expect(p.verdict == .unstable(.arrivalRateAtOrAboveCapacity))
      #expect(!p.stable && p.steadyState == nil && p.solver == nil)
      #expect(close(p.successRateUpperBound, capacity / lambda, 1e-14))
      let json = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
      #expect(json.contains("\"status\":\"unstable\""))
      #expect(!json.contains("ttft") && !json.contains("wait"))
    }
    #expect(throws: LoadModelError.self) {
      try LoadModel.queue(rateRequestsPerSecond: capacity, replicas: 2, router: .roundRobin, service: service)
    }
  }

  @Test func zeroRateIsAnIdleStableReplica() throws {
    let service = try replica()
    let p = try LoadModel.evaluate(
      rateRequestsPerSecond: 0, replicas: 2, router: .leastOutstanding, service: service,
      slo: SLO(ttftSeconds: 0.2, tpotSeconds: 0.05))
    let s = try #require(p.steadyState)
    #expect(p.verdict == .stable && p.utilisation == 0)
    #expect(s.ttftP90Seconds == 0.1 && s.ttftMeanSeconds == 0.1)  // prefill only
    #expect(close(try #require(s.tpotMeanSeconds), 0.021, 1e-15))  // d(1)
    #expect(s.successRate == 1 && s.goodputRequestsPerSecond == 0 && s.throughputRequestsPerSecond == 0)
    for solver in ChainSolver.allCases {
      let other = try LoadModel.evaluate(
        rateRequestsPerSecond: 0, replicas: 2, router: .leastOutstanding, service: service,
        slo: SLO(ttftSeconds: 0.2, tpotSeconds: 0.05), solver: solver)
      #expect(other.steadyState == s)
    }
  }

  @Test func badInputThrows() throws {
    let service = try replica()
    for lambda in [-1.0, .nan, .infinity] {
      #expect(throws: LoadModelError.self) {
        try LoadModel.evaluate(
          rateRequestsPerSecond: lambda, replicas: 1, router: .roundRobin, service: service, slo: looseSLO)
      }
    }
    #expect(throws: LoadModelError.self) {
      try LoadModel.evaluate(
        rateRequestsPerSecond: 1, replicas: 0, router: .roundRobin, service: service, slo: looseSLO)
    }
    #expect(throws: LoadModelError.self) {
      try LoadModel.evaluate(
        rateRequestsPerSecond: 1, replicas: 1, router: .roundRobin, service: service,
        slo: SLO(ttftSeconds: .nan, tpotSeconds: 1))
    }
    #expect(throws: LoadModelError.self) {
      try LoadModel.evaluate(
        rateRequestsPerSecond: 1, replicas: 1, router: .roundRobin, service: service, slo: looseSLO,
        arrivals: .gamma(coefficientOfVariation: -2))
    }
    let good = [0.02, 0.021]
    let cases: [(Int, Double, [Double], Double, Int?)] = [
      (0, 0.1, [], 10, nil),  // no batch slot
      (2, 0.1, [0.02], 10, nil),  // table too short
      (2, 0.1, [0.02, .nan], 10, nil),
      (2, 0.1, [0.02, -0.01], 10, nil),
      (2, -0.1, good, 10, nil),
      (2, .infinity, good, 10, nil),
      (2, 0.1, good, 0.5, nil),  // fewer than one output token
      (2, 0.1, good, .nan, nil),
      (2, 0.1, good, 10, -1),
      (2, 0, good, 1, nil),  // takes no time at all
    ]
    for (batch, prefill, table, output, room) in cases {
      #expect(throws: LoadModelError.self) {
        try ReplicaServiceModel(
          maxConcurrentSequences: batch, prefillSeconds: prefill, decodeStepSecondsByBatch: table,
          meanOutputTokens: output, queueCapacity: room)
      }
    }
  }

  @Test func successFallsAndBlockingRisesWithLoad() throws {
    let service = try replica(queueCapacity: 8)
    let slo = SLO(ttftSeconds: 5, tpotSeconds: 0.05)
    let capacity = 2 * service.capacityRequestsPerSecond
    var previous: LoadSteadyState?
    for step in 1...19 {
      let lambda = capacity * Double(step) / 20
      let p = try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 2, router: .roundRobin, service: service, slo: slo)
      let s = try #require(p.steadyState)
      #expect(close(s.goodputRequestsPerSecond, lambda * s.successRate, 1e-14))
      #expect(s.successRate <= 1 - s.blockingProbability)
      #expect(s.ttftP50Seconds <= s.ttftP90Seconds)
      #expect(close(s.throughputRequestsPerSecond, lambda * (1 - s.blockingProbability), 1e-14))
      if let previous {
        #expect(s.successRate <= previous.successRate)
        #expect(s.blockingProbability >= previous.blockingProbability)
        #expect(s.waitingMeanSeconds >= previous.waitingMeanSeconds)
        #expect(s.meanBatchSizePerReplica >= previous.meanBatchSizePerReplica)
      }
      previous = s
    }
  }

  @Test func figuresStayFiniteAndOrderedUpToCapacity() throws {
    // Approaching capacity from below (1 − 10^−k), with bounded and unbounded queues, split
    // and pooled: every figure finite, probabilities in [0, 1], p50 ≤ p90, TTFT ≥ prefill and
    // TPOT ≥ d(1) (d grows with the batch and other prefills only add stalls).
    for room in [nil, 0, 3, 200] as [Int?] {
      let service = try replica(queueCapacity: room, batch: 8)
      for (router, replicas) in [(RouterPolicy.roundRobin, 2), (.leastOutstanding, 3)] {
        for k in 1...12 {
          let lambda = Double(replicas) * service.capacityRequestsPerSecond * (1 - pow(10, -Double(k)))
          let s = try #require(
            try LoadModel.evaluate(
              rateRequestsPerSecond: lambda, replicas: replicas, router: router, service: service,
              slo: SLO(ttftSeconds: 30, tpotSeconds: 0.03)
            ).steadyState)
          let values = [
            s.blockingProbability, s.meanRequestsInSystem, s.waitingMeanSeconds, s.waitingP50Seconds,
            s.waitingP90Seconds, s.ttftMeanSeconds, s.successRate, s.goodputRequestsPerSecond,
          ]
          #expect(values.allSatisfy { $0.isFinite && $0 >= 0 })
          #expect(s.blockingProbability <= 1 && s.waitingProbability <= 1 && s.successRate <= 1)
          #expect(s.waitingP50Seconds <= s.waitingP90Seconds)
          #expect(s.ttftP50Seconds >= 0.1)
          #expect(try #require(s.tpotMeanSeconds) >= service.decodeStepSecondsByBatch[0] * (1 - 1e-12))
          if room == 0 { #expect(s.waitingProbability == 0 && s.waitingP90Seconds == 0) }
        }
      }
    }
  }

  @Test func tpotBoundFailsTheWholeDeployment() throws {
    // Mean TPOT at low load is ~d(1) = 21 ms: an SLO of 20 ms fails every request.
    let service = try replica()
    let p = try LoadModel.evaluate(
      rateRequestsPerSecond: 0.1, replicas: 1, router: .roundRobin, service: service,
      slo: SLO(ttftSeconds: 10, tpotSeconds: 0.020))
    let s = try #require(p.steadyState)
    #expect(!s.tpotWithinSLO && s.successRate == 0 && s.goodputRequestsPerSecond == 0)
  }

  @Test func burstyArrivalsUseTheBandedChainAndWaitLonger() throws {
    let service = try replica(queueCapacity: 32)
    let lambda = 0.7 * 2 * service.capacityRequestsPerSecond
    let poisson = try LoadModel.evaluate(
      rateRequestsPerSecond: lambda, replicas: 2, router: .leastOutstanding, service: service, slo: looseSLO)
    let bursty = try LoadModel.evaluate(
      rateRequestsPerSecond: lambda, replicas: 2, router: .leastOutstanding, service: service, slo: looseSLO,
      arrivals: .gamma(coefficientOfVariation: 2))
    #expect(bursty.arrivalModel == .hyperexponential && bursty.solver == .lapackBanded)
    #expect(close(bursty.chainArrivalCoefficientOfVariation, 2, 1e-14))
    let p = try #require(poisson.steadyState)
    let b = try #require(bursty.steadyState)
    #expect(b.waitingMeanSeconds > p.waitingMeanSeconds)
    #expect(b.blockingProbability > p.blockingProbability)
    // Round-robin over 4 replicas divides cv² = 4 by 4: each replica sees cv 1, i.e. Poisson.
    let split = try LoadModel.evaluate(
      rateRequestsPerSecond: lambda, replicas: 4, router: .roundRobin, service: service, slo: looseSLO,
      arrivals: .gamma(coefficientOfVariation: 2))
    #expect(split.arrivalModel == .poisson && split.solver == .productForm)
    // Forcing a birth–death solver on a chain with phases is refused.
    #expect(throws: LoadModelError.self) {
      try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 2, router: .leastOutstanding, service: service,
        slo: looseSLO, arrivals: .gamma(coefficientOfVariation: 2), solver: .productForm)
    }
  }

  @Test func predictionEncodesWithUnitsInTheKeys() throws {
    let service = try replica()
    let p = try LoadModel.evaluate(
      rateRequestsPerSecond: 1, replicas: 2, router: .leastKVLoad, service: service, slo: looseSLO)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(p), as: UTF8.self)
    #expect(json.contains("\"verdict\":{\"status\":\"stable\"}"))
    #expect(json.contains("\"ttftP90Seconds\"") && json.contains("\"arrivalRateRequestsPerSecond\""))
    #expect(try JSONDecoder().decode(LoadPrediction.self, from: Data(json.utf8)) == p)
  }
}

import Foundation
import PlanCore
import Testing

@testable import Analytic

/// |a − b| ≤ tolerance · max(1, |b|).
private func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(b))
}

/// The per-request TPOT law of the load model: prefill stalls counted by a generalized Poisson
/// law GP(θ, η) (the customers of an M/D/1 busy period), checked by hand, by its moments, by a
/// seeded Monte Carlo of the stall process itself, and through `LoadModel.evaluate`.
@Suite struct LoadModelTPOTTests {
  // MARK: - The generalized Poisson law

  /// θ = 1, η = ½: P(k) = θ(θ + kη)^{k−1} e^{−θ−kη}/k! gives
  /// P(0) = e^{−1}, P(1) = e^{−3/2}, P(2) = 1·2/2·e^{−2} = e^{−2}, P(3) = 1·2.5²/6·e^{−5/2}.
  @Test func cumulativeMatchesAHandSum() {
    let pmf = [exp(-1), exp(-1.5), exp(-2), 6.25 / 6 * exp(-2.5)]
    var sum = 0.0
    for k in 0..<4 {
      sum += pmf[k]
      #expect(close(exp(generalizedPoissonLogProbability(k, theta: 1, eta: 0.5)), pmf[k], 1e-14))
      // Mean θ/(1 − η) = 2: k = 0, 1 take the lower sum, k = 2, 3 one minus the upper tail.
      #expect(close(generalizedPoissonCumulative(k, theta: 1, eta: 0.5), sum, 1e-14))
    }
    #expect(generalizedPoissonCumulative(-1, theta: 1, eta: 0.5) == 0)
    #expect(generalizedPoissonCumulative(0, theta: 0, eta: 0.5) == 1)  // θ = 0: K ≡ 0
  }

  /// η = 0 is Poisson(θ): mean 2, P(K ≤ 3) = e^{−2}(1 + 2 + 2 + 4/3) = 0.857123460498547.
  @Test func withoutBranchingItIsPoisson() {
    let hand = exp(-2.0) * (1 + 2 + 2 + 4.0 / 3)
    #expect(close(hand, 0.857123460498547, 1e-14))
    #expect(close(generalizedPoissonCumulative(3, theta: 2, eta: 0), hand, 1e-14))
  }

  /// Wald's identity on the busy period: E[K] = θ + η·E[K] ⇒ θ/(1 − η); each stall's own
  /// offspring add variance: Var K = θ/(1 − η)³. The pmf sums to 1, and the cumulative agrees
  /// with the direct sum of the pmf on both of its summation paths.
  @Test func momentsAndCumulativeFromThePMF() {
    for (theta, eta) in [(5.0, 0.6), (0.3, 0.2), (40, 0.9), (2, 0.95)] {
      var mass = 0.0, first = 0.0, second = 0.0
      var cumulative: [Double] = []
      for k in 0..<200_000 {
        let p = exp(generalizedPoissonLogProbability(k, theta: theta, eta: eta))
        mass += p
        first += Double(k) * p
        second += Double(k) * Double(k) * p
        if k < 400 { cumulative.append(mass) }
      }
      let mean = theta / (1 - eta)
      #expect(close(mass, 1, 1e-10))
      #expect(close(first, mean, 1e-8))
      #expect(close(second - first * first, theta / pow(1 - eta, 3), 1e-6))
      for k in stride(from: 0, to: 400, by: 7) {
        #expect(abs(generalizedPoissonCumulative(k, theta: theta, eta: eta) - cumulative[k]) <= 1e-12)
      }
    }
  }

  /// The derivation itself: a request decodes for x seconds of its own steps; every arrival
  /// (Poisson, rate λ) while it is still running stalls it by p, which extends the window in
  /// which further arrivals count. A seeded Monte Carlo of exactly that process gives the
  /// GP(λx, λp) cumulative within 5 binomial standard errors — and not the Poisson law with the
  /// same mean, whose tail is far thinner.
  @Test func stallProcessMonteCarloIsGeneralizedPoisson() {
    let (lambda, x, p) = (4.7, 1.1, 0.125)  // θ = 5.17, η = 0.5875: the tp-compute 0.8× point
    var rng = SplitMix(seed: 42)
    let samples = 100_000
    var counts = [Int](repeating: 0, count: 64)
    for _ in 0..<samples {
      var end = x
      var t = 0.0
      var k = 0
      while true {
        t += -log(rng.unitOpen()) / lambda
        if t >= end { break }
        k += 1
        end += p
      }
      counts[min(k, 63)] += 1
    }
    let theta = lambda * x, eta = lambda * p
    var below = 0
    for k in 0..<30 {
      below += counts[k]
      let simulated = Double(below) / Double(samples)
      let law = generalizedPoissonCumulative(k, theta: theta, eta: eta)
      let se = max((law * (1 - law) / Double(samples)).squareRoot(), 1e-5)
      #expect(abs(simulated - law) <= 5 * se, "k = \(k): Monte Carlo \(simulated), GP \(law)")
    }
    // P(K > 25): the GP tail is 8 %; Poisson with the same mean 12.5 gives 6e−4.
    let tail = 1 - generalizedPoissonCumulative(25, theta: theta, eta: eta)
    let poissonTail = 1 - poissonCumulative(25, mean: theta / (1 - eta))
    #expect(tail > 0.02 && poissonTail < 0.002)
  }

  // MARK: - P(TPOT ≤ slo)

  /// Numbers exact in binary: p = ¼ s, λ = 2/s (η = ½), N − 1 = 8 tokens, d = 1/32 s. A mean
  /// TPOT of 3/32 s is 2 stalls on average ((3/32 − 1/32)·8/¼ = 2), so θ = 2·(1 − ½) = 1.
  /// slo = 9/64 s leaves (9/64 − 2/64)·8/¼ = 3.5 stalls: k* = 3, the hand sum of the first test.
  @Test func probabilityIsTheStallCountCumulativeAtKStar() {
    let hand = exp(-1) + exp(-1.5) + exp(-2) + 6.25 / 6 * exp(-2.5)
    let got = LoadModel.tpotWithinSLOProbability(
      decodeStepSeconds: 1.0 / 32, meanTPOTSeconds: 3.0 / 32, prefillSeconds: 0.25, decodeTokens: 8,
      arrivalRatePerSecond: 2, sloSeconds: 9.0 / 64)
    #expect(close(got, hand, 1e-14))
    // With no branching (λ → 0 while the mean count stays 2) it is Poisson(2) at 3.
    let poisson = LoadModel.tpotWithinSLOProbability(
      decodeStepSeconds: 1.0 / 32, meanTPOTSeconds: 3.0 / 32, prefillSeconds: 0.25, decodeTokens: 8,
      arrivalRatePerSecond: 0, sloSeconds: 9.0 / 64)
    #expect(close(poisson, exp(-2.0) * (1 + 2 + 2 + 4.0 / 3), 1e-14))
    // Decode steps alone over the SLO: no request can meet it.
    #expect(
      LoadModel.tpotWithinSLOProbability(
        decodeStepSeconds: 0.05, meanTPOTSeconds: 0.06, prefillSeconds: 0.25, decodeTokens: 8,
        arrivalRatePerSecond: 2, sloSeconds: 0.04) == 0)
  }

  /// p = 0: nothing stalls, every request has the mean TPOT: 1 exactly when it meets the SLO.
  @Test func withoutPrefillTimeTPOTIsDeterministic() throws {
    for (tpot, slo, expected) in [(0.02, 0.05, 1.0), (0.05, 0.05, 1), (0.06, 0.05, 0)] {
      #expect(
        LoadModel.tpotWithinSLOProbability(
          decodeStepSeconds: tpot, meanTPOTSeconds: tpot, prefillSeconds: 0, decodeTokens: 10,
          arrivalRatePerSecond: 3, sloSeconds: slo) == expected)
    }
    // Through the load model: p = 0 and a flat step d = 50 ms make μ(b) = b/((N − 1)·d), so
    // Little's law gives TPOT = d exactly at any load.
    for (slo, expected) in [(0.05, 1.0), (0.049, 0)] {
      let service = try ReplicaServiceModel(
        maxConcurrentSequences: 2, prefillSeconds: 0, decodeStepSecondsByBatch: [0.05, 0.05], meanOutputTokens: 11,
        queueCapacity: nil)
      let s = try #require(
        try LoadModel.evaluate(
          rateRequestsPerSecond: 2, replicas: 1, router: .roundRobin, service: service,
          slo: SLO(ttftSeconds: 1e6, tpotSeconds: slo)
        ).steadyState)
      #expect(s.tpotWithinSLOProbability == expected)
    }
  }

  /// d(b̄) interpolates the table linearly and never leaves batch 1…B.
  @Test func decodeStepAtTheMeanBatch() {
    let table = [0.010, 0.012, 0.016]
    #expect(LoadModel.decodeStepSeconds(atMeanBatch: 0.3, table: table) == 0.010)  // itself at least
    #expect(close(LoadModel.decodeStepSeconds(atMeanBatch: 1.5, table: table), 0.011, 1e-15))
    #expect(close(LoadModel.decodeStepSeconds(atMeanBatch: 2.25, table: table), 0.013, 1e-15))
    #expect(LoadModel.decodeStepSeconds(atMeanBatch: 3, table: table) == 0.016)
    #expect(LoadModel.decodeStepSeconds(atMeanBatch: 7, table: table) == 0.016)
  }

  /// More load: a bigger batch (slower steps), more prompts per second (η = λp up) and a longer
  /// mean TPOT, so while the mean TPOT meets the SLO, P(TPOT ≤ slo) only falls. The SLO (26 ms)
  /// sits between d(1) = 21 ms and the full-batch TPOT d(4) + 3p/(N − 1) = 27 ms, so the
  /// probability really moves: near 1 at low load, well below it before the mean crosses the
  /// SLO. (Past that crossing the model need not be monotone: a full batch pins the mean count
  /// at B − 1 while η keeps rising and widens the law, and with k* below the mean a wider law
  /// puts more mass below k*.) Success is the product of its three factors at every load.
  @Test func tpotProbabilityFallsWithLoad() throws {
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 4, prefillSeconds: 0.1, decodeStepSecondsByBatch: [0.021, 0.022, 0.023, 0.024],
      meanOutputTokens: 101, queueCapacity: nil)
    let slo = SLO(ttftSeconds: 1e6, tpotSeconds: 0.026)
    var previous = 1.0
    var lowestWithMeanWithin = 1.0
    for step in 1...19 {
      let lambda = service.capacityRequestsPerSecond * Double(step) / 20
      let s = try #require(
        try LoadModel.evaluate(
          rateRequestsPerSecond: lambda, replicas: 1, router: .roundRobin, service: service, slo: slo
        )
        .steadyState)
      #expect(s.tpotWithinSLOProbability >= 0 && s.tpotWithinSLOProbability <= 1)
      #expect(
        close(
          s.successRate, (1 - s.blockingProbability) * s.ttftWithinSLOProbability * s.tpotWithinSLOProbability, 1e-15))
      if step == 1 { #expect(s.tpotWithinSLOProbability > 0.99) }
      if s.tpotWithinSLO {
        #expect(s.tpotWithinSLOProbability <= previous + 1e-15)
        lowestWithMeanWithin = min(lowestWithMeanWithin, s.tpotWithinSLOProbability)
      }
      previous = s.tpotWithinSLOProbability
    }
    #expect(lowestWithMeanWithin < 0.8)
  }

  /// Pooled routers: the batch and the prompt rate of one replica, not of the deployment, set
  /// the stalls: the pooled figure is the law evaluated at b̄ = running/dp and λ = throughput/dp.
  /// (With the deployment's rate η would be dp × 0.6·μ(B)·p and the count far wider.)
  @Test func pooledRouterUsesPerReplicaStalls() throws {
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 4, prefillSeconds: 0.1, decodeStepSecondsByBatch: [0.021, 0.022, 0.023, 0.024],
      meanOutputTokens: 101, queueCapacity: nil)
    let slo = SLO(ttftSeconds: 1e6, tpotSeconds: 0.026)
    let replicas = 4
    let lambda = 0.6 * Double(replicas) * service.capacityRequestsPerSecond
    let s = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: replicas, router: .leastOutstanding, service: service, slo: slo
      ).steadyState)
    let perReplica = LoadModel.tpotWithinSLOProbability(
      decodeStepSeconds: LoadModel.decodeStepSeconds(
        atMeanBatch: s.meanBatchSizePerReplica, table: service.decodeStepSecondsByBatch),
      meanTPOTSeconds: try #require(s.tpotMeanSeconds), prefillSeconds: 0.1, decodeTokens: 100,
      arrivalRatePerSecond: s.throughputRequestsPerSecond / Double(replicas), sloSeconds: 0.026)
    #expect(close(s.tpotWithinSLOProbability, perReplica, 1e-14))
    #expect(s.tpotWithinSLOProbability > 0.5 && s.tpotWithinSLOProbability < 1)
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a seeded stream for the Monte Carlo check.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform on (0, 1].
  mutating func unitOpen() -> Double { (Double(next() >> 11) + 1) * 0x1p-53 }
}

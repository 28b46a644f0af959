import Foundation
import PlanCore
import Testing

@testable import Analytic

/// |a − b| ≤ tolerance · max(1e-12, |b|).
private func near(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
  abs(a - b) <= tolerance * max(1e-12, abs(b))
}

/// The analytic model of disaggregated serving, checked against byte counts, closed-form
/// queues and the invariants.
@Suite struct DisaggregatedLoadModelTests {
  // MARK: - KV bytes

  /// Llama-2-7B: 2 (K, V) × 32 layers × 32 KV heads × 128 head dim × 2 bytes = 524,288 B per
  /// token; a 1,000-token prompt hands over 524,288,000 B. An fp8 cache halves it.
  @Test func kvBytesPerRequestArePromptTokensTimesBytesPerToken() {
    let perToken = KVTransferCost.kvBytesPerToken(model: Fixtures.llama2_7b, kvCacheDType: nil)
    #expect(perToken == 2 * 32 * 32 * 128 * 2)
    #expect(KVTransferCost.kvBytes(promptTokens: 1000, kvBytesPerToken: perToken) == 524_288_000)
    #expect(KVTransferCost.kvBytesPerToken(model: Fixtures.llama2_7b, kvCacheDType: .fp8) == perToken / 2)
    // GQA: Llama-3-8B keeps 8 KV heads: 2 × 32 × 8 × 128 × 2 = 131,072 B per token.
    #expect(KVTransferCost.kvBytesPerToken(model: Fixtures.llama3_8b, kvCacheDType: nil) == 131_072)
  }

  /// The transfer between instances cannot beat the raw links: each of the n = max(|P|, |D|)
  /// flows carries bytes/n through one GPU port (300 GB/s NVLink inside the node, a 25 GB/s
  /// HDR NIC across nodes); across nodes it is slower than inside one.
  @Test func transferIsBoundedByTheLinksItCrosses() throws {
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 16)
    let comm = CommModel(cluster: cluster, efficiency: Fixtures.a100_80gb.efficiency)
    let bytes = 524_288_000.0
    let inside = try KVTransferCost(
      comm: comm, prefillInstances: [[0, 1]], decodeInstances: [[2, 3]], bytesPerRequest: bytes,
      prefillSeconds: 0.1, layers: 32, overlap: .none)
    let across = try KVTransferCost(
      comm: comm, prefillInstances: [[0, 1]], decodeInstances: [[8, 9]], bytesPerRequest: bytes,
      prefillSeconds: 0.1, layers: 32, overlap: .none)
    #expect(inside.transferSeconds >= bytes / 2 / 300e9)
    #expect(across.transferSeconds >= bytes / 2 / 25e9)
    #expect(across.transferSeconds > 5 * inside.transferSeconds)
    #expect(inside.crossNodeFraction == 0 && across.crossNodeFraction == 1)
    #expect(across.bottleneckLinkKind == "infiniband")
    #expect(inside.exposedSeconds == inside.transferSeconds)  // no overlap: all of it exposed
  }

  /// Layer-wise overlap: of a transfer T behind a prefill p over L layers, max(T/L, T − p(L−1)/L)
  /// is exposed. T = 10 ms, p = 100 ms, L = 32: the last layer's 0.3125 ms. T = 100 ms,
  /// p = 10 ms: 100 − 10 · 31/32 = 90.3125 ms.
  @Test func layerwiseOverlapHidesTheTransferBehindThePrefill() {
    #expect(
      near(
        KVTransferCost.exposedSeconds(transferSeconds: 0.010, prefillSeconds: 0.100, layers: 32, overlap: .layerwise),
        0.0003125, 1e-12))
    #expect(
      near(
        KVTransferCost.exposedSeconds(transferSeconds: 0.100, prefillSeconds: 0.010, layers: 32, overlap: .layerwise),
        0.0903125, 1e-12))
    #expect(
      KVTransferCost.exposedSeconds(transferSeconds: 0.010, prefillSeconds: 0.100, layers: 32, overlap: .none) == 0.010)
  }

  // MARK: - Pools

  /// A decode table growing with the batch: d(b) = 10 ms + 0.5 ms · b, b = 1…32.
  static let decodeTable = (1...32).map { 0.010 + 0.0005 * Double($0) }

  static func pools(
    prefillInstances: Int, prefillSeconds: Double = 0.1, decodeInstances: Int, table: [Double] = decodeTable,
    outputTokens: Double = 100, transfer: KVTransferCost = .free(bytesPerRequest: 0, overlap: .layerwise)
  ) throws -> DisaggregatedPools {
    DisaggregatedPools(
      prefillInstances: prefillInstances,
      prefillService: try DisaggregatedLoadModel.prefillService(prefillSeconds: prefillSeconds, queueCapacity: nil),
      decodeInstances: decodeInstances,
      decodeService: try DisaggregatedLoadModel.decodeService(
        decodeStepSecondsByBatch: table, meanOutputTokens: outputTokens, queueCapacity: nil),
      transfer: transfer)
  }

  static let slo = SLO(ttftSeconds: 10, tpotSeconds: 1, successRateFloor: 0.5)

  /// Capacity = min(prefill capacity x/p, decode capacity y·B/((N − 1)·d(B))): with x = 2,
  /// p = 0.1 s the prefill pool completes 20/s; one decode instance of B = 32 at d(32) = 26 ms
  /// and N = 100 completes 32/(99 · 0.026) = 12.43/s, so the decode pool bounds it. With x = 1
  /// (10/s) the prefill pool does. Just below the bound the model is stable, just above it is not.
  @Test func capacityIsTheSmallerPoolsCapacity() throws {
    let decodeCapacity = 32 / (99 * 0.026)
    for (x, expected) in [(2, decodeCapacity), (1, 10.0)] {
      let pools = try Self.pools(prefillInstances: x, decodeInstances: 1)
      #expect(near(pools.prefillCapacityRequestsPerSecond, Double(x) / 0.1, 1e-12))
      #expect(near(pools.decodeCapacityRequestsPerSecond, decodeCapacity, 1e-12))
      #expect(near(pools.capacityRequestsPerSecond, expected, 1e-12))
      let below = try DisaggregatedLoadModel.evaluate(
        rateRequestsPerSecond: 0.99 * expected, pools: pools, router: .roundRobin, slo: Self.slo)
      let above = try DisaggregatedLoadModel.evaluate(
        rateRequestsPerSecond: 1.01 * expected, pools: pools, router: .roundRobin, slo: Self.slo)
      #expect(below.stable)
      #expect(!above.stable && above.ttftP90Seconds == nil && above.successRate == nil)
      #expect(near(above.successRateUpperBound, 1 / 1.01, 1e-12))
    }
  }

  /// One prefill instance fed Poisson arrivals, all prompts of one length: an M/D/1 queue.
  /// Pollaczek–Khinchine: E[W] = ρ/(1 − ρ) · (1 + c_s²)/2 · E[S] with c_s² = 0; p = 0.1 s,
  /// λ = 6/s: ρ = 0.6, E[W] = 1.5 · 0.5 · 0.1 = 0.075 s, half the M/M/1 wait ρ/(μ − λ) = 0.15 s.
  /// With P(W > 0) = ρ and an exponential tail of the same mean, E[W | W > 0] = 0.075/0.6 =
  /// 0.125 s and P(W > w) = 0.6 e^{−w/0.125}: TTFT p90 = 0.1 + 0.125 ln(0.6/0.1) = 0.3240 s
  /// (M/M/1 gave 0.1 + ln 6/4 = 0.5479 s), p50 = 0.1 + 0.125 ln(0.6/0.5) = 0.1228 s.
  @Test func prefillPoolIsAnMD1QueueByPollaczekKhinchine() throws {
    let pools = try Self.pools(prefillInstances: 1, decodeInstances: 4)
    let prediction = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 6, pools: pools, router: .roundRobin, slo: Self.slo)
    #expect(near(try #require(prediction.prefillTTFTP90Seconds), 0.1 + 0.125 * log(6.0), 1e-6))
    #expect(near(try #require(prediction.prefillTTFTP50Seconds), 0.1 + 0.125 * log(1.2), 1e-6))
  }

  /// Round-robin over x = 2 instances hands each every other arrival of a Poisson stream of
  /// 12/s: Erlang-2 gaps, c_a² = 1/2, 6/s per instance. Kingman: E[W] = ρ/(1 − ρ) ·
  /// (c_a² + c_s²)/2 · E[S] = 1.5 · 0.25 · 0.1 = 0.0375 s, so E[W | W > 0] = 0.0375/0.6 =
  /// 0.0625 s and TTFT p90 = 0.1 + 0.0625 ln 6 = 0.2120 s.
  @Test func roundRobinMakesPrefillArrivalsErlang() throws {
    let pools = try Self.pools(prefillInstances: 2, decodeInstances: 4)
    let prediction = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 12, pools: pools, router: .roundRobin, slo: Self.slo)
    #expect(near(try #require(prediction.prefillTTFTP90Seconds), 0.1 + 0.0625 * log(6.0), 1e-6))
  }

  /// Evenly spaced arrivals (c_a² = 0) and prompts of one length (c_s² = 0) are a D/D/1 queue:
  /// at ρ = 0.6 no prompt ever waits, the prefill pool's TTFT is the prefill itself.
  @Test func evenlySpacedPromptsOfOneLengthNeverWait() throws {
    let pools = try Self.pools(prefillInstances: 1, decodeInstances: 4)
    let prediction = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 6, pools: pools, router: .roundRobin, slo: Self.slo, arrivals: .constant)
    #expect(try #require(prediction.prefillTTFTP90Seconds) == 0.1)
    #expect(try #require(prediction.prefillTTFTP50Seconds) == 0.1)
  }

  /// A mix of 0.05 s (weight 0.8) and 0.3 s (weight 0.2) prefills: E[S] = 0.04 + 0.06 = 0.1 s,
  /// E[S²] = 0.8 · 0.0025 + 0.2 · 0.09 = 0.02 s², c_s² = 0.02/0.01 − 1 = 1, exponential-like
  /// variability: the rescaled wait is the M/M/1 chain's own, E[W] = ρ/(μ − λ) = 0.6/4 = 0.15 s
  /// at λ = 6/s, and P(W > w) = 0.6 e^{−4w}.
  @Test func serviceOfUnitVariabilityKeepsTheMM1Wait() throws {
    let mix = try PrefillTimeMix(seconds: [0.05, 0.3], weights: [0.8, 0.2])
    #expect(near(mix.meanSeconds, 0.1, 1e-12))
    #expect(near(mix.squaredCoefficientOfVariation, 1, 1e-12))
    #expect(PrefillTimeMix(singleSeconds: 0.1).squaredCoefficientOfVariation == 0)
    let service = try DisaggregatedLoadModel.prefillService(prefillSeconds: mix.meanSeconds, queueCapacity: nil)
    let chain = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: 6, replicas: 1, router: .roundRobin, service: service, slo: Self.slo
      )
      .steadyState)
    let wait = PrefillPoolWait.allenCunneen(
      chainProbabilityOfWaiting: chain.waitingProbability, chainMeanSeconds: chain.waitingMeanSeconds,
      chainArrivalSquaredCV: 1, arrivalSquaredCV: 1, serviceSquaredCV: mix.squaredCoefficientOfVariation)
    #expect(near(wait.meanSeconds, 0.15, 1e-9))
    #expect(near(wait.survival(seconds: 0.2), 0.6 * exp(-0.8), 1e-9))
    // P(TTFT ≤ 0.3) = 0.8 (1 − 0.6 e^{−4 · 0.25}) + 0.2 (1 − 0.6).
    #expect(near(wait.ttftCumulativeProbability(seconds: 0.3, prefill: mix), 0.8 * (1 - 0.6 * exp(-1)) + 0.08, 1e-9))
  }

  /// At a vanishing rate nobody waits and TTFT of the pool is the prompt's own prefill: with the
  /// mix above, p50 is the short prompts' 0.05 s and p90 the long ones' 0.3 s (0.8 of the mass
  /// lies at 0.05 s). Capacity is x/E[S] = 10/s.
  @Test func idlePrefillPoolTTFTIsThePromptMix() throws {
    let mix = try PrefillTimeMix(seconds: [0.05, 0.3], weights: [0.8, 0.2])
    let pools = DisaggregatedPools(
      prefillInstances: 1,
      prefillService: try DisaggregatedLoadModel.prefillService(prefillSeconds: mix.meanSeconds, queueCapacity: nil),
      decodeInstances: 1,
      decodeService: try DisaggregatedLoadModel.decodeService(
        decodeStepSecondsByBatch: Self.decodeTable, meanOutputTokens: 100, queueCapacity: nil),
      transfer: .free(bytesPerRequest: 0, overlap: .layerwise), prefillTimes: mix)
    #expect(near(pools.prefillCapacityRequestsPerSecond, 10, 1e-12))
    let prediction = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 1e-4, pools: pools, router: .roundRobin, slo: Self.slo)
    #expect(near(try #require(prediction.prefillTTFTP50Seconds), 0.05, 1e-6))
    #expect(near(try #require(prediction.prefillTTFTP90Seconds), 0.3, 1e-6))
  }

  /// A mix without points, or with a non-positive time or weight, is refused.
  @Test func badPrefillMixIsRefused() {
    #expect(throws: LoadModelError.self) { try PrefillTimeMix(seconds: [], weights: []) }
    #expect(throws: LoadModelError.self) { try PrefillTimeMix(seconds: [0.1, 0], weights: [0.5, 0.5]) }
    #expect(throws: LoadModelError.self) { try PrefillTimeMix(seconds: [0.1], weights: [-1]) }
    #expect(throws: LoadModelError.self) { try PrefillTimeMix(seconds: [0.1, 0.2], weights: [1]) }
  }

  /// Infinitely fast links and no interference: the disaggregated TPOT is the decode pool's
  /// decode-only TPOT. With a batch-independent d(b) = d it is exactly d at any stable rate;
  /// with d(b) growing it lies between d(1) and d(B), and it is below the TPOT of an aggregated
  /// replica with the same decode table and the prompts' prefills (which stall its decodes) at
  /// the same rate per replica. TTFT is the prefill pool's plus the wait to join a decode batch.
  @Test func disaggregatedTPOTIsDecodeOnlyTPOT() throws {
    let flat = [Double](repeating: 0.020, count: 32)
    for rate in [1.0, 5.0, 9.0] {
      let pools = try Self.pools(prefillInstances: 2, decodeInstances: 1, table: flat)
      let prediction = try DisaggregatedLoadModel.evaluate(
        rateRequestsPerSecond: rate, pools: pools, router: .roundRobin, slo: Self.slo)
      #expect(near(try #require(prediction.tpotMeanSeconds), 0.020, 1e-9))
      let ttft = try #require(prediction.ttftP90Seconds)
      let parts = try #require(prediction.prefillTTFTP90Seconds) + (prediction.decodeJoinWaitP90Seconds ?? -1)
      #expect(near(ttft, parts, 1e-12))
    }
    let pools = try Self.pools(prefillInstances: 2, decodeInstances: 1)
    let aggregated = try ReplicaServiceModel(
      maxConcurrentSequences: 32, prefillSeconds: 0.1, decodeStepSecondsByBatch: Self.decodeTable,
      meanOutputTokens: 100, queueCapacity: nil)
    for rate in [1.0, 3.0, 5.0] {
      let d = try DisaggregatedLoadModel.evaluate(
        rateRequestsPerSecond: rate, pools: pools, router: .roundRobin, slo: Self.slo)
      let tpot = try #require(d.tpotMeanSeconds)
      #expect(tpot >= Self.decodeTable[0] * (1 - 1e-12) && tpot <= Self.decodeTable[31] * (1 + 1e-12))
      let a = try LoadModel.evaluate(
        rateRequestsPerSecond: rate, replicas: 1, router: .roundRobin, service: aggregated, slo: Self.slo)
      #expect(tpot < (try #require(a.steadyState?.tpotMeanSeconds)))
    }
  }

  /// Conservation across the pools: with unbounded queues every request that enters the
  /// prefill pool leaves the decode pool, so output tokens/s = rate × N, nothing is blocked, and
  /// goodput ≤ rate.
  @Test func requestsAreConservedAcrossPools() throws {
    let pools = try Self.pools(prefillInstances: 2, decodeInstances: 2)
    for rate in [0.5, 4.0, 12.0] {
      let p = try DisaggregatedLoadModel.evaluate(
        rateRequestsPerSecond: rate, pools: pools, router: .roundRobin, slo: Self.slo)
      #expect(p.stable)
      #expect(near(try #require(p.outputTokensPerSecond), rate * 100, 1e-9))
      #expect(p.blockingProbability == 0)
      #expect(try #require(p.goodputRequestsPerSecond) <= rate)
    }
  }

  /// The exposed transfer adds to TTFT one for one, and a TTFT bound below it fails every request.
  @Test func exposedTransferAddsToTTFT() throws {
    let slow = KVTransferCost(
      bytesPerRequest: 1e9, transferSeconds: 0.5, exposedSeconds: 0.5, overlap: .none, crossNodeFraction: 1,
      bottleneckLinkKind: "infiniband")
    let free = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 3, pools: try Self.pools(prefillInstances: 1, decodeInstances: 1), router: .roundRobin,
      slo: Self.slo)
    let paid = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 3, pools: try Self.pools(prefillInstances: 1, decodeInstances: 1, transfer: slow),
      router: .roundRobin, slo: Self.slo)
    #expect(near(try #require(paid.ttftP90Seconds) - (try #require(free.ttftP90Seconds)), 0.5, 1e-9))
    let tight = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 3, pools: try Self.pools(prefillInstances: 1, decodeInstances: 1, transfer: slow),
      router: .roundRobin, slo: SLO(ttftSeconds: 0.4, tpotSeconds: 1))
    #expect(tight.successRate == 0)
  }

  /// JSON keeps every key of an unstable prediction, absent figures as null, and reads back.
  @Test func unstablePredictionWritesNullsAndRoundTrips() throws {
    let pools = try Self.pools(prefillInstances: 1, decodeInstances: 1)
    let unstable = try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: 50, pools: pools, router: .roundRobin, slo: Self.slo)
    let data = try JSONEncoder().encode(unstable)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["ttftP90Seconds"] is NSNull && object["tpotMeanSeconds"] is NSNull)
    #expect(try JSONDecoder().decode(DisaggregatedLoadPrediction.self, from: data) == unstable)
  }

  /// One output token leaves a decode pool nothing to do: refused, not NaN.
  @Test func oneOutputTokenIsRefused() {
    #expect(throws: LoadModelError.self) {
      try DisaggregatedLoadModel.decodeService(
        decodeStepSecondsByBatch: [0.01], meanOutputTokens: 1, queueCapacity: nil)
    }
  }
}

import Foundation
import PlanCore

/// The two pools of a disaggregated deployment as the load model sees them.
public struct DisaggregatedPools: Sendable, Hashable {
  /// x prefill instances, each a single server of prompts (`DisaggregatedLoadModel.prefillService`,
  /// whose prefill time is the mean of `prefillTimes`).
  public var prefillInstances: Int
  public var prefillService: ReplicaServiceModel
  /// The prefill times over the prompt-length mix (`PrefillPoolWait` takes their c_s²).
  public var prefillTimes: PrefillTimeMix
  /// y decode instances, each a continuous batch of decodes only (`DisaggregatedLoadModel.decodeService`).
  public var decodeInstances: Int
  public var decodeService: ReplicaServiceModel
  /// The KV handoff of the mean request.
  public var transfer: KVTransferCost

  public init(
    prefillInstances: Int, prefillService: ReplicaServiceModel, decodeInstances: Int,
    decodeService: ReplicaServiceModel, transfer: KVTransferCost, prefillTimes: PrefillTimeMix? = nil
  ) {
    self.prefillInstances = prefillInstances
    self.prefillService = prefillService
    // Default: every prompt of the mean length, a deterministic prefill (c_s² = 0).
    self.prefillTimes = prefillTimes ?? PrefillTimeMix(singleSeconds: prefillService.prefillSeconds)
    self.decodeInstances = decodeInstances
    self.decodeService = decodeService
    self.transfer = transfer
  }

  /// x / p: prompts per second the prefill pool completes when always busy.
  public var prefillCapacityRequestsPerSecond: Double {
    Double(prefillInstances) * prefillService.capacityRequestsPerSecond
  }
  /// y · μ_d(B): requests per second the decode pool completes with every batch full.
  public var decodeCapacityRequestsPerSecond: Double {
    Double(decodeInstances) * decodeService.capacityRequestsPerSecond
  }
  /// A request passes through both pools, so the deployment completes no more than the slower.
  public var capacityRequestsPerSecond: Double {
    min(prefillCapacityRequestsPerSecond, decodeCapacityRequestsPerSecond)
  }
}

/// The load model's answer for a disaggregated deployment at one rate. Every steady-state
/// figure is nil when either pool is unstable.
public struct DisaggregatedLoadPrediction: Sendable, Hashable, Codable {
  public var rateRequestsPerSecond: Double
  public var prefillCapacityRequestsPerSecond: Double
  public var decodeCapacityRequestsPerSecond: Double
  /// min of the two.
  public var capacityRequestsPerSecond: Double
  public var stable: Bool
  /// Prefill pool: wait for an instance + the prompt's prefill over the mix (`PrefillPoolWait`).
  public var prefillTTFTP50Seconds: Double?
  public var prefillTTFTP90Seconds: Double?
  /// Decode pool: wait for a batch slot or the running iteration before the request joins.
  public var decodeJoinWaitP50Seconds: Double?
  public var decodeJoinWaitP90Seconds: Double?
  /// Exposed KV handoff of the mean request.
  public var transferExposedSeconds: Double
  /// prefill TTFT + exposed transfer + decode join wait, quantile by quantile.
  public var ttftP50Seconds: Double?
  public var ttftP90Seconds: Double?
  /// Mean TPOT of the decode pool: decode iterations only, no prefill stalls.
  public var tpotMeanSeconds: Double?
  public var successRate: Double?
  public var goodputRequestsPerSecond: Double?
  public var outputTokensPerSecond: Double?
  public var meanDecodeBatchPerInstance: Double?
  /// Fraction of arrivals turned away by either pool's queue cap.
  public var blockingProbability: Double?
  /// min(1, capacity / rate).
  public var successRateUpperBound: Double

  enum CodingKeys: String, CodingKey {
    case rateRequestsPerSecond, prefillCapacityRequestsPerSecond, decodeCapacityRequestsPerSecond,
      capacityRequestsPerSecond, stable, prefillTTFTP50Seconds, prefillTTFTP90Seconds, decodeJoinWaitP50Seconds,
      decodeJoinWaitP90Seconds, transferExposedSeconds, ttftP50Seconds, ttftP90Seconds, tpotMeanSeconds, successRate,
      goodputRequestsPerSecond, outputTokensPerSecond, meanDecodeBatchPerInstance, blockingProbability,
      successRateUpperBound
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(rateRequestsPerSecond, forKey: .rateRequestsPerSecond)
    try c.encode(prefillCapacityRequestsPerSecond, forKey: .prefillCapacityRequestsPerSecond)
    try c.encode(decodeCapacityRequestsPerSecond, forKey: .decodeCapacityRequestsPerSecond)
    try c.encode(capacityRequestsPerSecond, forKey: .capacityRequestsPerSecond)
    try c.encode(stable, forKey: .stable)
    try c.encode(prefillTTFTP50Seconds, forKey: .prefillTTFTP50Seconds)
    try c.encode(prefillTTFTP90Seconds, forKey: .prefillTTFTP90Seconds)
    try c.encode(decodeJoinWaitP50Seconds, forKey: .decodeJoinWaitP50Seconds)
    try c.encode(decodeJoinWaitP90Seconds, forKey: .decodeJoinWaitP90Seconds)
    try c.encode(transferExposedSeconds, forKey: .transferExposedSeconds)
    try c.encode(ttftP50Seconds, forKey: .ttftP50Seconds)
    try c.encode(ttftP90Seconds, forKey: .ttftP90Seconds)
    try c.encode(tpotMeanSeconds, forKey: .tpotMeanSeconds)
    try c.encode(successRate, forKey: .successRate)
    try c.encode(goodputRequestsPerSecond, forKey: .goodputRequestsPerSecond)
    try c.encode(outputTokensPerSecond, forKey: .outputTokensPerSecond)
    try c.encode(meanDecodeBatchPerInstance, forKey: .meanDecodeBatchPerInstance)
    try c.encode(blockingProbability, forKey: .blockingProbability)
    try c.encode(successRateUpperBound, forKey: .successRateUpperBound)
  }
}

/// Disaggregated serving under load (Splitwise, arXiv:2311.18677; DistServe, arXiv:2401.09670).
///
/// - **Prefill pool**: x instances, each a single server of prompts with no decode work in its
///   way: the load model's chain with one slot and one output token (`prefillService`, p =
///   E[S] over the prompt mix) gives stability, blocking and P(wait), an M/M/1 queue per
///   instance (M/M/x pooled, by the scenario's router). Its exponential service over-states
///   the wait of nearly deterministic prefills, so the wait is rescaled to the mix's c_s² and
///   the router's c_a² (`PrefillPoolWait`: Pollaczek–Khinchine / Kingman / Allen–Cunneen, an
///   atom at zero and an exponential tail). TTFT of the pool = its wait + the prompt's prefill,
///   over the mix (`prefillTimes`).
/// - **Decode pool**: y instances whose batch is bounded by their own KV cache
///   (`LayoutEvaluator.meanHeldBatch` of the decode layout) and whose iterations are decodes
///   only: the load model's chain with p = 0 (`decodeService`), so μ(b) = b / ((N − 1) d(b))
///   and TPOT = (time in batch)/(N − 1), a mean of d(b) over the occupancy, with no prefill
///   stall (interference removed). The prefill pool's departures feed it; departures of an
///   M/M/c queue are Poisson (Burke's theorem), so Poisson arrivals stay Poisson.
/// - **Handoff**: the exposed part of the KV transfer (`KVTransferCost`).
///
/// TTFT = prefill-pool TTFT + exposed transfer + the wait to join a decode batch (the first
/// token comes out of the prefill, as in DistServe and Dynamo; it reaches the client once the
/// decode instance has taken the request over). Quantiles are added level by level (the sum
/// of p90s bounds the p90 of the sum from above for positively dependent parts: conservative).
/// Success = P(admitted by both) · P(prefill TTFT ≤ slo.ttft − transfer − mean join wait) ·
/// P(TPOT ≤ slo.tpot). Capacity = min(prefill capacity, decode capacity).
public enum DisaggregatedLoadModel {
  /// One prefill instance: a chain of one slot whose request is done after its prefill p.
  public static func prefillService(prefillSeconds p: Double, queueCapacity: Int?) throws -> ReplicaServiceModel {
    guard p.isFinite, p > 0 else { throw LoadModelError("prefill time must be positive and finite (got \(p) s)") }
    return try ReplicaServiceModel(
      maxConcurrentSequences: 1, prefillSeconds: p, decodeStepSecondsByBatch: [p], meanOutputTokens: 1,
      queueCapacity: queueCapacity)
  }

  /// One decode instance: B sequences at most, decode iterations d(b) only, N mean output
  /// tokens of which the first came from the prefill instance (N − 1 decode steps).
  /// - Throws: `LoadModelError` when N < 2 (no decode work: nothing to disaggregate) or the table is bad.
  public static func decodeService(
    decodeStepSecondsByBatch: [Double], meanOutputTokens: Double, queueCapacity: Int?
  ) throws -> ReplicaServiceModel {
    guard meanOutputTokens >= 2 else {
      throw LoadModelError(
        "requests of \(meanOutputTokens) output token have no decode steps: a decode pool has nothing to do")
    }
    return try ReplicaServiceModel(
      maxConcurrentSequences: decodeStepSecondsByBatch.count, prefillSeconds: 0,
      decodeStepSecondsByBatch: decodeStepSecondsByBatch, meanOutputTokens: meanOutputTokens,
      queueCapacity: queueCapacity)
  }

  /// Both pools at `rate` requests/s.
  public static func evaluate(
    rateRequestsPerSecond rate: Double, pools: DisaggregatedPools, router: RouterPolicy, slo: SLO,
    arrivals: ArrivalProcess = .poisson
  ) throws -> DisaggregatedLoadPrediction {
    guard pools.prefillInstances >= 1, pools.decodeInstances >= 1 else {
      throw LoadModelError("a disaggregated deployment needs at least one prefill and one decode instance")
    }
    let capacity = pools.capacityRequestsPerSecond
    var result = DisaggregatedLoadPrediction(
      rateRequestsPerSecond: rate, prefillCapacityRequestsPerSecond: pools.prefillCapacityRequestsPerSecond,
      decodeCapacityRequestsPerSecond: pools.decodeCapacityRequestsPerSecond, capacityRequestsPerSecond: capacity,
      stable: false, transferExposedSeconds: pools.transfer.exposedSeconds,
      successRateUpperBound: rate > capacity ? capacity / rate : 1)
    let decode = try LoadModel.evaluate(
      rateRequestsPerSecond: rate, replicas: pools.decodeInstances, router: router, service: pools.decodeService,
      slo: slo, arrivals: arrivals)
    guard let d = decode.steadyState else { return result }
    // The prefill pool's own TTFT bound: what is left of the SLO after the handoff and the join.
    let shift = pools.transfer.exposedSeconds + d.ttftMeanSeconds
    let left = slo.ttftSeconds - shift
    let prefill = try LoadModel.evaluate(
      rateRequestsPerSecond: rate, replicas: pools.prefillInstances, router: router, service: pools.prefillService,
      slo: slo, arrivals: arrivals)
    guard let p = prefill.steadyState else { return result }
    // One slot per instance: no admission wait, the chain's slot wait is the whole wait.
    let chainCV = prefill.chainArrivalCoefficientOfVariation
    let wait = PrefillPoolWait.allenCunneen(
      chainProbabilityOfWaiting: p.waitingProbability, chainMeanSeconds: p.waitingMeanSeconds,
      chainArrivalSquaredCV: chainCV * chainCV,
      arrivalSquaredCV: LoadModel.admissionArrivalVariability(
        arrivals, router: router, replicas: pools.prefillInstances),
      serviceSquaredCV: pools.prefillTimes.squaredCoefficientOfVariation)
    let prefillP50 = wait.ttftQuantileSeconds(0.5, prefill: pools.prefillTimes)
    let prefillP90 = wait.ttftQuantileSeconds(0.9, prefill: pools.prefillTimes)
    result.stable = true
    result.prefillTTFTP50Seconds = prefillP50
    result.prefillTTFTP90Seconds = prefillP90
    // With p = 0 the decode pool's "TTFT" is its join wait alone.
    result.decodeJoinWaitP50Seconds = d.ttftP50Seconds
    result.decodeJoinWaitP90Seconds = d.ttftP90Seconds
    result.ttftP50Seconds = prefillP50 + pools.transfer.exposedSeconds + d.ttftP50Seconds
    result.ttftP90Seconds = prefillP90 + pools.transfer.exposedSeconds + d.ttftP90Seconds
    result.tpotMeanSeconds = d.tpotMeanSeconds
    let admitted = (1 - p.blockingProbability) * (1 - d.blockingProbability)
    let withinTTFT = left > 0 ? wait.ttftCumulativeProbability(seconds: left, prefill: pools.prefillTimes) : 0
    let success = admitted * withinTTFT * d.tpotWithinSLOProbability
    result.successRate = success
    result.goodputRequestsPerSecond = rate * success
    result.outputTokensPerSecond = d.outputTokensPerSecond * (1 - p.blockingProbability)
    result.meanDecodeBatchPerInstance = d.meanBatchSizePerReplica
    result.blockingProbability = 1 - admitted
    return result
  }
}

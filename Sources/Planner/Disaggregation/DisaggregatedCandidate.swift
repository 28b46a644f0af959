import Analytic
import Foundation
import PlanCore

/// One disaggregated layout as the analytic model sees it at the request's target rate.
public struct DisaggregatedCandidate: Sendable, Hashable, Codable {
  public var layout: DisaggregatedLayout
  public var gpus: Int
  /// GPUs of each prefill and decode instance (`Placement` of each pool).
  public var prefillPlacement: Placement
  public var decodePlacement: Placement
  /// Lone prefill of the mean prompt on one prefill instance, seconds.
  public var prefillSeconds: Double
  /// B of a decode instance (its KV cache over the mean sequence, or max_num_seqs) and its
  /// decode iteration at batch 1 and at B.
  public var decodeBatchLimit: Int
  public var decodeStepBatch1Seconds: Double
  public var decodeStepAtLimitSeconds: Double
  /// The KV handoff of the mean request.
  public var transfer: KVTransferCost
  public var load: DisaggregatedLoadPrediction
  /// Largest rate meeting the SLO by the load model (0 when none; computed for the layouts
  /// that meet it at the target rate, 0 otherwise).
  public var maxSustainableRequestsPerSecond: Double
  public var goodputPerGPURequestsPerSecond: Double?
  public var meetsSLO: Bool
  public var reasons: [String]
  /// Position among the disaggregated layouts, 1 = best.
  public var rank: Int

  enum CodingKeys: String, CodingKey {
    case layout, gpus, prefillPlacement, decodePlacement, prefillSeconds, decodeBatchLimit, decodeStepBatch1Seconds,
      decodeStepAtLimitSeconds, transfer, load, maxSustainableRequestsPerSecond, goodputPerGPURequestsPerSecond,
      meetsSLO, reasons, rank
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(layout, forKey: .layout)
    try c.encode(gpus, forKey: .gpus)
    try c.encode(prefillPlacement, forKey: .prefillPlacement)
    try c.encode(decodePlacement, forKey: .decodePlacement)
    try c.encode(prefillSeconds, forKey: .prefillSeconds)
    try c.encode(decodeBatchLimit, forKey: .decodeBatchLimit)
    try c.encode(decodeStepBatch1Seconds, forKey: .decodeStepBatch1Seconds)
    try c.encode(decodeStepAtLimitSeconds, forKey: .decodeStepAtLimitSeconds)
    try c.encode(transfer, forKey: .transfer)
    try c.encode(load, forKey: .load)
    try c.encode(maxSustainableRequestsPerSecond, forKey: .maxSustainableRequestsPerSecond)
    try c.encode(goodputPerGPURequestsPerSecond, forKey: .goodputPerGPURequestsPerSecond)
    try c.encode(meetsSLO, forKey: .meetsSLO)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(rank, forKey: .rank)
  }

  /// Which pool bounds the capacity.
  public var boundingPool: String {
    load.prefillCapacityRequestsPerSecond <= load.decodeCapacityRequestsPerSecond ? "prefill" : "decode"
  }
}

extension LoadFigures {
  /// A disaggregated prediction in the aggregated figures' shape, so the gap table and the
  /// ranking read it as any layout's.
  public init(disaggregated d: DisaggregatedLoadPrediction) {
    rateRequestsPerSecond = d.rateRequestsPerSecond
    capacityRequestsPerSecond = d.capacityRequestsPerSecond
    utilisation = d.capacityRequestsPerSecond > 0 ? d.rateRequestsPerSecond / d.capacityRequestsPerSecond : .infinity
    stable = d.stable
    ttftP50Seconds = d.ttftP50Seconds
    ttftP90Seconds = d.ttftP90Seconds
    tpotMeanSeconds = d.tpotMeanSeconds
    successRate = d.successRate
    successRateUpperBound = d.successRateUpperBound
    goodputRequestsPerSecond = d.goodputRequestsPerSecond
    outputTokensPerSecond = d.outputTokensPerSecond
    blockingProbability = d.blockingProbability
    meanBatchSizePerReplica = d.meanDecodeBatchPerInstance
    // The planner gives the prefill pool the prompt mix's prefill times (`PrefillTimeMix`), so
    // its TTFT quantiles are over the mix, as the aggregated layouts' are.
    ttftOverPromptMix = true
  }
}

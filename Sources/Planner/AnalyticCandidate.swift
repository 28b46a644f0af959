import Analytic
import Foundation
import PlanCore

/// One layout as the analytic model sees it at the request's target rate.
public struct AnalyticCandidate: Sendable, Hashable, Codable {
  public var layout: Layout
  /// Weights and KV-cache precision (nil: the model's own, in a plan that shows no precision).
  public var precision: PlanPrecision?
  public var gpus: Int
  public var family: LayoutFamily
  public var placement: PlacementPlan
  /// Memory per GPU for the mean request (weights, activations, reserve, KV cache per stage).
  public var memory: MemoryReport
  /// Weights, activations and reserve fit with room for KV cache on every GPU.
  public var fits: Bool
  /// Longest request of the workload, prompt + output tokens.
  public var longestRequestTokens: Int
  /// Lone request on an idle replica: prefill of the mean prompt through every stage.
  public var noQueueTTFTSeconds: Double
  /// Decode time per token of a lone sequence.
  public var tpotBatch1Seconds: Double
  /// The same two figures with their p10–p90 error bands (GPU profile's calibration
  /// residuals, or the uncalibrated default), and whether the profile was calibrated.
  public var noQueueTTFTBandSeconds: TimeBand
  public var tpotBatch1BandSeconds: TimeBand
  public var bandsCalibrated: Bool
  /// Saturated throughput with the largest batch the KV cache allows (all replicas).
  public var saturatedOutputTokensPerSecond: Double
  public var saturatedRequestsPerSecond: Double
  /// Load model at the target rate; nil when the layout cannot serve the mean request.
  public var load: LoadFigures?
  /// Largest rate meeting the SLO by the load model (0 when none; nil when it cannot serve).
  public var maxSustainableRequestsPerSecond: Double?
  /// Goodput at the target rate divided by the GPUs (nil when it cannot serve or is unstable).
  public var goodputPerGPURequestsPerSecond: Double?
  public var meetsSLO: Bool
  /// Why the layout does not fit or breaks the SLO (empty when it meets it).
  public var reasons: [String]
  /// Position in the analytic ranking, 1 = best.
  public var rank: Int

  /// Evaluates `probe` at the request's target rate.
  public init(probe: LayoutProbe, request: PlanRequest) throws {
    let layout = probe.layout
    self.layout = layout
    precision = probe.precision
    gpus = layout.totalGPUs
    family = LayoutFamily(layout)
    placement = probe.plan
    memory = probe.evaluator.memory.report(
      promptTokens: request.meanPromptTokens, outputTokens: request.meanOutputTokens)
    fits = probe.summary.fits
    longestRequestTokens = request.scenario.workload.maximumSequenceTokens
    noQueueTTFTSeconds = probe.summary.ttftSeconds
    tpotBatch1Seconds = probe.summary.tpotSeconds
    let uncertainty = probe.evaluator.cost.gpu.efficiency.effectiveUncertainty
    let replica = probe.evaluator.replicas[0]
    noQueueTTFTBandSeconds = replica.lonePrefill(
      promptTokens: request.meanPromptTokens, chunkTokens: probe.evaluator.config.maxBatchedTokens
    ).band(uncertainty, total: probe.summary.ttftSeconds)
    tpotBatch1BandSeconds = replica.decode(
      batch: 1, context: request.meanPromptTokens + request.meanOutputTokens / 2
    ).band(uncertainty, total: probe.summary.tpotSeconds)
    bandsCalibrated = uncertainty.calibrated
    saturatedOutputTokensPerSecond = probe.summary.outputTokensPerSecond
    saturatedRequestsPerSecond = probe.summary.requestsPerSecond
    rank = 0
    var reasons: [String] = []
    if !fits {
      let stage = memory.stages.min { $0.kvPoolBytes < $1.kvPoolBytes }
      let over = stage.map { Units.formatBytes(-$0.kvPoolBytes) } ?? "?"
      reasons.append(
        "does not fit: \(over) over the \(Units.formatBytes(stage?.budgetBytes ?? 0)) budget "
          + "(\(Units.formatBytes(memory.weightBytesPerGPU)) of weights per GPU)")
    } else if probe.service == nil {
      reasons.append(
        "no mean request (\(request.meanPromptTokens + request.meanOutputTokens) tokens) fits the "
          + "\(memory.maxKVTokens)-token KV cache")
    }
    if fits, memory.maxKVTokens < longestRequestTokens {
      reasons.append(
        "the longest requests (\(longestRequestTokens) tokens) exceed the KV cache of a replica "
          + "(\(memory.maxKVTokens) tokens): the engine rejects them")
    }
    let chunked = request.scenario.scheduler.chunkedPrefill ?? false
    let longestPrompt = request.scenario.workload.maximumPromptTokens
    if !chunked, longestPrompt > request.engine.maxBatchedTokens {
      reasons.append(
        "prompts of \(longestPrompt) tokens exceed max_num_batched_tokens (\(request.engine.maxBatchedTokens)) "
          + "without chunked prefill")
    }
    let rate = request.scenario.workload.rateRequestsPerSecond
    if let figures = try probe.load(at: rate) {
      load = figures
      maxSustainableRequestsPerSecond = try probe.maxSustainableRate()
      goodputPerGPURequestsPerSecond = figures.goodputRequestsPerSecond.map { $0 / Double(layout.totalGPUs) }
      reasons += probe.sloViolations(figures)
    } else {
      load = nil
      maxSustainableRequestsPerSecond = nil
      goodputPerGPURequestsPerSecond = nil
    }
    self.reasons = reasons
    meetsSLO = reasons.isEmpty
  }

  enum CodingKeys: String, CodingKey {
    case layout, precision, gpus, family, placement, memory, fits, longestRequestTokens, noQueueTTFTSeconds,
      tpotBatch1Seconds,
      noQueueTTFTBandSeconds, tpotBatch1BandSeconds, bandsCalibrated,
      saturatedOutputTokensPerSecond, saturatedRequestsPerSecond, load, maxSustainableRequestsPerSecond,
      goodputPerGPURequestsPerSecond, meetsSLO, reasons, rank
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(layout, forKey: .layout)
    // Written only when the plan involves precision or experts: dense plans' JSON is unchanged.
    try c.encodeIfPresent(precision, forKey: .precision)
    try c.encode(gpus, forKey: .gpus)
    try c.encode(family, forKey: .family)
    try c.encode(placement, forKey: .placement)
    try c.encode(memory, forKey: .memory)
    try c.encode(fits, forKey: .fits)
    try c.encode(longestRequestTokens, forKey: .longestRequestTokens)
    try c.encode(noQueueTTFTSeconds, forKey: .noQueueTTFTSeconds)
    try c.encode(tpotBatch1Seconds, forKey: .tpotBatch1Seconds)
    try c.encode(noQueueTTFTBandSeconds, forKey: .noQueueTTFTBandSeconds)
    try c.encode(tpotBatch1BandSeconds, forKey: .tpotBatch1BandSeconds)
    try c.encode(bandsCalibrated, forKey: .bandsCalibrated)
    try c.encode(saturatedOutputTokensPerSecond, forKey: .saturatedOutputTokensPerSecond)
    try c.encode(saturatedRequestsPerSecond, forKey: .saturatedRequestsPerSecond)
    try c.encode(load, forKey: .load)
    try c.encode(maxSustainableRequestsPerSecond, forKey: .maxSustainableRequestsPerSecond)
    try c.encode(goodputPerGPURequestsPerSecond, forKey: .goodputPerGPURequestsPerSecond)
    try c.encode(meetsSLO, forKey: .meetsSLO)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(rank, forKey: .rank)
  }
}

extension Workload {
  /// Longest prompt any request can have.
  public var maximumPromptTokens: Int {
    if let trace, !trace.isEmpty { return trace.map(\.promptTokens).max() ?? 0 }
    return profiles.map(\.prompt.maximum).max() ?? 0
  }
}

import PlanCore

/// Everything `llmplan estimate` reports for one layout and one request shape.
///
/// JSON keys are stable camelCase with units; values that do not exist (TPOT at the largest
/// batch when nothing fits) are `null`, never omitted.
public struct LayoutPrediction: Sendable, Encodable {
  public struct Throughput: Sendable, Hashable, Encodable {
    /// Sequences per replica the saturated figures assume (`maxBatch`).
    public var batch: Int
    public var outputTokensPerSecond: Double
    public var requestsPerSecond: Double
    public var outputTokensPerSecondPerReplica: Double
    public var requestsPerSecondPerReplica: Double
    /// Micro-batches in flight per replica (PP pipelining), and the cycle they take.
    public var microBatchesInFlight: Int
    public var cycleSeconds: Double
    public var breakdown: TimeBreakdown
  }

  /// One pipeline stage of the (slowest) replica.
  public struct Stage: Sendable, Hashable, Encodable {
    public var stage: Int
    public var layers: Int
    public var gpus: [Int]
    /// The stage's share of the lone prompt's prefill (all chunks), seconds.
    public var prefillSeconds: Double
    /// The stage's time for one decode iteration of its micro-batch at `batch`, seconds.
    public var decodeSeconds: Double
    /// Activation transfer to the next stage during decode at `batch` (0 for the last stage).
    public var decodeTransferSeconds: Double
    public var weightBytes: Double
    public var kvBytesPerToken: Double
  }

  public var model: String
  public var gpu: String
  public var cluster: String
  public var layout: Layout
  public var gpusTotal: Int
  public var promptTokens: Int
  public var outputTokens: Int
  public var batch: Int
  /// prompt + output ≤ the model's `max_position_embeddings`.
  public var withinContextWindow: Bool

  public var fits: Bool
  public var ttftSeconds: Double
  public var tpotSeconds: Double
  public var maxBatch: Int
  public var tpotAtMaxBatchSeconds: Double?
  public var maxKVTokens: Int
  public var kvCacheBytesPerGPU: Double
  public var weightBytesPerGPU: Double
  public var maxConcurrentSequences: Int

  public var ttftBreakdown: TimeBreakdown
  public var tpotBreakdown: TimeBreakdown
  public var throughput: Throughput
  public var memory: MemoryReport
  public var stages: [Stage]
  /// Distinct replica placements (replicas that cost the same are evaluated once).
  public var distinctReplicaTimings: Int
  /// TTFT and TPOT with their p10–p90 error bands (from the GPU profile's calibration
  /// residuals, or the uncalibrated default).
  public var ttftBand: TimeBand = .zero
  public var tpotBand: TimeBand = .zero
  /// Whether the bands come from this GPU's own measurements, and where they come from.
  public var bandsCalibrated = false
  public var bandsSource = ""

  enum CodingKeys: String, CodingKey {
    case model, gpu, cluster, layout, gpusTotal, promptTokens, outputTokens, batch, withinContextWindow, fits,
      ttftSeconds, tpotSeconds, maxBatch, tpotAtMaxBatchSeconds, maxKVTokens, kvCacheBytesPerGPU,
      weightBytesPerGPU, maxConcurrentSequences, ttftBreakdown, tpotBreakdown, throughput, memory, stages,
      distinctReplicaTimings, ttftBandSeconds, tpotBandSeconds, bandsCalibrated, bandsSource
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(model, forKey: .model)
    try c.encode(gpu, forKey: .gpu)
    try c.encode(cluster, forKey: .cluster)
    try c.encode(layout, forKey: .layout)
    try c.encode(gpusTotal, forKey: .gpusTotal)
    try c.encode(promptTokens, forKey: .promptTokens)
    try c.encode(outputTokens, forKey: .outputTokens)
    try c.encode(batch, forKey: .batch)
    try c.encode(withinContextWindow, forKey: .withinContextWindow)
    try c.encode(fits, forKey: .fits)
    try c.encode(ttftSeconds, forKey: .ttftSeconds)
    try c.encode(tpotSeconds, forKey: .tpotSeconds)
    try c.encode(maxBatch, forKey: .maxBatch)
    try c.encode(tpotAtMaxBatchSeconds, forKey: .tpotAtMaxBatchSeconds)  // null when absent
    try c.encode(maxKVTokens, forKey: .maxKVTokens)
    try c.encode(kvCacheBytesPerGPU, forKey: .kvCacheBytesPerGPU)
    try c.encode(weightBytesPerGPU, forKey: .weightBytesPerGPU)
    try c.encode(maxConcurrentSequences, forKey: .maxConcurrentSequences)
    try c.encode(ttftBreakdown, forKey: .ttftBreakdown)
    try c.encode(tpotBreakdown, forKey: .tpotBreakdown)
    try c.encode(throughput, forKey: .throughput)
    try c.encode(memory, forKey: .memory)
    try c.encode(stages, forKey: .stages)
    try c.encode(distinctReplicaTimings, forKey: .distinctReplicaTimings)
    try c.encode(ttftBand, forKey: .ttftBandSeconds)
    try c.encode(tpotBand, forKey: .tpotBandSeconds)
    try c.encode(bandsCalibrated, forKey: .bandsCalibrated)
    try c.encode(bandsSource, forKey: .bandsSource)
  }
}

extension LayoutEvaluator {
  /// The full prediction (allocates; for reports and the CLI). Latencies and per-stage figures
  /// are those of the slowest replica; throughput sums all replicas.
  public func predict(promptTokens: Int, outputTokens: Int, batch: Int = 1) throws -> LayoutPrediction {
    let summary = try evaluate(promptTokens: promptTokens, outputTokens: outputTokens, batch: batch)
    let context = Self.meanDecodeContext(promptTokens, outputTokens)
    // The slowest replica by lone TTFT + TPOT supplies breakdowns and stages.
    var slowest = replicas[0]
    var slowestSeconds = -1.0
    for replica in replicas {
      let seconds =
        replica.lonePrefill(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens).totalSeconds
        + replica.decode(batch: batch, context: context).totalSeconds
      if seconds > slowestSeconds {
        slowest = replica
        slowestSeconds = seconds
      }
    }
    let ttftBreakdown = slowest.lonePrefill(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens)
    let tpotBreakdown = slowest.decode(batch: batch, context: context)
    let saturated = slowest.saturatedThroughput(
      promptTokens: promptTokens, outputTokens: outputTokens, batch: summary.maxBatch, config: config)

    // Per-stage figures.
    let inFlight = min(ReplicaCostModel.decodeMicroBatches, batch)
    let microBatch = BatchShape.decode(batch: (batch + inFlight - 1) / inFlight, context: context)
    let decodeLayer = slowest.cost.layerTotals(batch: microBatch)
    let prefillByStage = slowest.lonePrefillByStage(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens)
    let stages = (0..<slowest.stageCount).map { stage in
      LayoutPrediction.Stage(
        stage: stage, layers: slowest.stageLayers[stage], gpus: slowest.stageGPUs[stage],
        prefillSeconds: prefillByStage[stage],
        decodeSeconds: slowest.stageTime(stage: stage, batch: microBatch, layer: decodeLayer).totalSeconds,
        decodeTransferSeconds: slowest.transferSeconds(afterStage: stage, batch: microBatch),
        weightBytes: memory.stages[stage].weightBytes, kvBytesPerToken: memory.stages[stage].kvBytesPerToken)
    }
    let memoryReport = memory.report(promptTokens: promptTokens, outputTokens: outputTokens)
    let model = cost.model
    var prediction = LayoutPrediction(
      model: model.name, gpu: cost.gpu.name, cluster: cluster.name, layout: layout, gpusTotal: layout.totalGPUs,
      promptTokens: promptTokens, outputTokens: outputTokens, batch: batch,
      withinContextWindow: promptTokens + outputTokens <= model.maxPositionEmbeddings,
      fits: summary.fits, ttftSeconds: summary.ttftSeconds, tpotSeconds: summary.tpotSeconds,
      maxBatch: summary.maxBatch, tpotAtMaxBatchSeconds: summary.maxBatch >= 1 ? summary.tpotAtMaxBatchSeconds : nil,
      maxKVTokens: memory.maxKVTokens, kvCacheBytesPerGPU: memory.kvCacheBytesPerGPU,
      weightBytesPerGPU: memory.weightBytesPerGPU, maxConcurrentSequences: memoryReport.maxConcurrentSequences,
      ttftBreakdown: ttftBreakdown, tpotBreakdown: tpotBreakdown,
      throughput: LayoutPrediction.Throughput(
        batch: summary.maxBatch, outputTokensPerSecond: summary.outputTokensPerSecond,
        requestsPerSecond: summary.requestsPerSecond,
        outputTokensPerSecondPerReplica: summary.maxBatch >= 1 ? summary.outputTokensPerSecondPerReplica : 0,
        requestsPerSecondPerReplica: summary.maxBatch >= 1 ? summary.requestsPerSecondPerReplica : 0,
        microBatchesInFlight: saturated.inFlight, cycleSeconds: saturated.cycleSeconds,
        breakdown: saturated.breakdown),
      memory: memoryReport, stages: stages, distinctReplicaTimings: replicas.count)
    let uncertainty = cost.gpu.efficiency.effectiveUncertainty
    prediction.ttftBand = ttftBreakdown.band(uncertainty, total: summary.ttftSeconds)
    prediction.tpotBand = tpotBreakdown.band(uncertainty, total: summary.tpotSeconds)
    prediction.bandsCalibrated = uncertainty.calibrated
    prediction.bandsSource = uncertainty.source
    return prediction
  }
}

extension TimeBreakdown {
  /// The error band of a time made of these parts: kernels (compute- and memory-bound) carry
  /// the operator residuals, communication and pipeline transfers the collective residuals,
  /// the fixed per-iteration overhead none. Scaled so the band's centre is `total` (the
  /// figure reported, which may come from a different replica than the breakdown).
  public func band(_ uncertainty: PredictionUncertainty, total: Double) -> TimeBand {
    let raw = uncertainty.band(
      computeSeconds: computeBoundSeconds + memoryBoundSeconds,
      communicationSeconds: communicationSeconds + pipelineSeconds, exactSeconds: overheadSeconds)
    guard raw.seconds > 0 else { return .exact(total) }
    return raw.scaled(total / raw.seconds)
  }
}

import PlanCore

/// The headline numbers of one layout for one request shape, all scalars (the hot path of the
/// layout search returns this without allocating).
public struct PredictionSummary: Sendable, Hashable {
  /// Weights, activations and reserve fit with at least one KV block on every GPU.
  public var fits: Bool
  /// Lone request, no queue: its prefill through every stage and transfer, seconds.
  public var ttftSeconds: Double
  /// Time per output token with `batch` sequences decoding (context prompt + output/2).
  public var tpotSeconds: Double
  public var batch: Int
  /// Sequences a replica runs at once: KV capacity for full-length sequences, capped by the
  /// engine's `maxSequences`.
  public var maxBatch: Int
  /// TPOT with `maxBatch` sequences decoding; 0 when nothing fits.
  public var tpotAtMaxBatchSeconds: Double
  /// Saturated throughput of the whole layout (all DP replicas).
  public var outputTokensPerSecond: Double
  public var requestsPerSecond: Double
  /// Saturated throughput of the slowest replica.
  public var outputTokensPerSecondPerReplica: Double
  public var requestsPerSecondPerReplica: Double
  /// What dominates TTFT and TPOT.
  public var ttftDominant: TimeComponent
  public var tpotDominant: TimeComponent
}

/// What the load (queueing) model needs from one replica, for one request shape.
public struct PredictionLoadInputs: Sendable, Hashable, Codable {
  /// `decodeIterationSeconds[b − 1]`: time between tokens with b sequences decoding, b = 1…maxConcurrentSequences.
  public var decodeIterationSeconds: [Double]
  /// Prefill of one mean-length prompt on an idle replica (its no-queue TTFT), seconds.
  public var prefillSeconds: Double
  /// Sequences a replica runs at once (memory and `maxSequences`).
  public var maxConcurrentSequences: Int
}

/// Evaluates a layout: precomputes per replica everything that does not depend on the request
/// shape (operator dimensions, collective curves, memory), so `evaluate` is O(stages) without
/// allocation.
///
/// Replicas whose placements cost the same are evaluated once; latencies are the worst
/// replica's, the layout's throughput the sum over replicas.
public struct LayoutEvaluator: Sendable {
  public let layout: Layout
  public let placement: Placement
  public let cluster: Cluster
  public let config: EngineConfig
  public let memory: MemoryModel
  /// Distinct replica timings and how many replicas share each.
  public let replicas: [ReplicaCostModel]
  public let replicaCounts: [Int]

  /// - Throws: `LayoutError` (via `Layout.validate`) for a layout that cannot exist,
  ///   `CostModelError` / `CommError` for unusable specs.
  public init(
    model: ModelSpec, gpu: GPUSpec, cluster: Cluster, layout: Layout, placement: Placement? = nil,
    config: EngineConfig = EngineConfig(), comm: CommModel? = nil
  ) throws {
    let isContiguous = placement == nil
    // A contiguous placement is valid by construction once the layout fits the cluster.
    try layout.validate(model: model, cluster: cluster, placement: placement)
    let placement = placement ?? Placement.contiguous(layout)
    // One collective memo for all replicas (and, when the caller passes one, all layouts).
    let comm = comm ?? CommModel(cluster: cluster, efficiency: gpu.efficiency)
    // Contiguous replicas on consecutive identical nodes: replica r starts at GPU r·g, so its
    // shape is fixed by r·g mod S and needs no per-replica key.
    let blockNodeSize = isContiguous ? comm.symmetry?.consecutiveNodeSize : nil
    var blockIndex: [Int: Int] = [:]
    let cost = try CostModel(model: model, gpu: gpu, tp: layout.tp, kvCacheDType: config.kvCacheDType)
    var distinct: [ReplicaCostModel] = []
    var counts: [Int] = []
    // On a node-symmetric cluster, replicas whose GPUs have the same canonical shape (all
    // stages together) have identical timings: build one and count the others (a 1,024-GPU
    // search has layouts with hundreds of replicas).
    var shapeIndex: [[Int]: Int] = [:]
    for (replicaNumber, stages) in placement.gpus.enumerated() {
      let block = blockNodeSize.map { replicaNumber * layout.gpusPerReplica % $0 }
      if let block, let index = blockIndex[block] {
        counts[index] += 1
        continue
      }
      let shape = block == nil ? comm.symmetry?.canonical(stages.flatMap { $0 }) : nil
      if let shape, let index = shapeIndex[shape] {
        counts[index] += 1
        continue
      }
      let replica = try ReplicaCostModel(
        cost: cost, cluster: cluster, stageGPUs: stages, comm: comm,
        iterationOverhead: config.overheadLaw(stageGPUs: layout.tp), allReducePolicy: config.allReduce,
        cudaGraphs: config.cudaGraphs)
      // Same curves and layers ⇒ same timing: compare without the GPU indices.
      let index: Int
      if let found = distinct.firstIndex(where: { $0.hasSameTiming(as: replica) }) {
        index = found
        counts[index] += 1
      } else {
        index = distinct.count
        distinct.append(replica)
        counts.append(1)
      }
      if let shape { shapeIndex[shape] = index }
      if let block { blockIndex[block] = index }
    }
    self.layout = layout
    self.placement = placement
    self.cluster = cluster
    self.config = config
    memory = try MemoryModel(cost: cost, pp: layout.pp, config: config)
    replicas = distinct
    replicaCounts = counts
  }

  public var cost: CostModel { replicas[0].cost }

  func check(promptTokens: Int, outputTokens: Int, batch: Int) throws {
    guard promptTokens >= 1 else { throw CostModelError("prompt must be at least 1 token (got \(promptTokens))") }
    guard outputTokens >= 1 else { throw CostModelError("output must be at least 1 token (got \(outputTokens))") }
    guard batch >= 1 else { throw CostModelError("batch must be at least 1 sequence (got \(batch))") }
    // Bounded before any sum or product of token counts (10⁸ per request, `Plausibility.tokens`).
    let tokens = Plausibility.tokens
    for (what, value) in [("prompt", promptTokens), ("output", outputTokens)] where !tokens.contains(value) {
      throw CostModelError("\(what) of \(value) tokens is outside \(tokens), the range of \(tokens.quantity)")
    }
    guard batch <= Plausibility.maxNumSeqs.upper else {
      throw CostModelError("batch of \(batch) sequences is outside \(Plausibility.maxNumSeqs)")
    }
  }

  /// Sequences a replica runs at once for requests of this shape.
  @inline(__always)
  public func maxBatch(promptTokens: Int, outputTokens: Int) -> Int {
    let (tokens, overflow) = promptTokens.addingReportingOverflow(outputTokens)
    return overflow ? 0 : min(config.maxSequences, memory.maxConcurrentSequences(tokensPerSequence: tokens))
  }

  /// The headline predictions, allocation-free.
  public func evaluate(promptTokens: Int, outputTokens: Int, batch: Int = 1) throws -> PredictionSummary {
    try check(promptTokens: promptTokens, outputTokens: outputTokens, batch: batch)
    let maxBatch = maxBatch(promptTokens: promptTokens, outputTokens: outputTokens)
    var summary = PredictionSummary(
      fits: memory.fits, ttftSeconds: 0, tpotSeconds: 0, batch: batch, maxBatch: maxBatch, tpotAtMaxBatchSeconds: 0,
      outputTokensPerSecond: 0, requestsPerSecond: 0, outputTokensPerSecondPerReplica: .infinity,
      requestsPerSecondPerReplica: .infinity, ttftDominant: .compute, tpotDominant: .compute)
    var worstTTFT = -1.0
    var worstTPOT = -1.0
    for index in 0..<replicas.count {
      let replica = replicas[index]
      let ttft = replica.lonePrefill(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens)
      if ttft.totalSeconds > worstTTFT {
        worstTTFT = ttft.totalSeconds
        summary.ttftDominant = ttft.dominant
      }
      let tpot = replica.decode(batch: batch, context: Self.meanDecodeContext(promptTokens, outputTokens))
      if tpot.totalSeconds > worstTPOT {
        worstTPOT = tpot.totalSeconds
        summary.tpotDominant = tpot.dominant
      }
      if maxBatch >= 1 {
        let atMax = replica.decode(batch: maxBatch, context: Self.meanDecodeContext(promptTokens, outputTokens))
        summary.tpotAtMaxBatchSeconds = max(summary.tpotAtMaxBatchSeconds, atMax.totalSeconds)
      }
      let rate = replica.saturatedThroughput(
        promptTokens: promptTokens, outputTokens: outputTokens, batch: maxBatch, config: config)
      let copies = Double(replicaCounts[index])
      summary.outputTokensPerSecond += copies * rate.outputTokensPerSecond
      summary.requestsPerSecond += copies * rate.requestsPerSecond
      summary.outputTokensPerSecondPerReplica = min(summary.outputTokensPerSecondPerReplica, rate.outputTokensPerSecond)
      summary.requestsPerSecondPerReplica = min(summary.requestsPerSecondPerReplica, rate.requestsPerSecond)
    }
    summary.ttftSeconds = worstTTFT
    summary.tpotSeconds = worstTPOT
    return summary
  }

  /// Mean KV context of a decode step: the step producing token j (2…o) reads prompt + j − 1
  /// tokens, whose mean over j is prompt + o/2.
  @inline(__always)
  static func meanDecodeContext(_ promptTokens: Int, _ outputTokens: Int) -> Int {
    promptTokens + outputTokens / 2
  }

  /// Inputs of the load model for requests of mean shape (`promptTokens`, `outputTokens`):
  /// the slowest replica's decode iteration time for every batch up to the largest, and its
  /// lone prefill time.
  public func loadInputs(promptTokens: Int, outputTokens: Int) throws -> PredictionLoadInputs {
    try check(promptTokens: promptTokens, outputTokens: outputTokens, batch: 1)
    let maxBatch = maxBatch(promptTokens: promptTokens, outputTokens: outputTokens)
    let context = Self.meanDecodeContext(promptTokens, outputTokens)
    var decode = [Double](repeating: 0, count: maxBatch)
    var prefill = 0.0
    for replica in replicas {
      prefill = max(
        prefill, replica.lonePrefill(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens).totalSeconds)
      for b in stride(from: 1, through: maxBatch, by: 1) {
        decode[b - 1] = max(decode[b - 1], replica.decode(batch: b, context: context).totalSeconds)
      }
    }
    return PredictionLoadInputs(
      decodeIterationSeconds: decode, prefillSeconds: prefill, maxConcurrentSequences: maxBatch)
  }
}

/// Saturated throughput of one replica.
public struct ReplicaThroughput: Sendable, Hashable {
  public var outputTokensPerSecond: Double
  public var requestsPerSecond: Double
  /// Time of one round of every in-flight micro-batch's iteration, seconds.
  public var cycleSeconds: Double
  /// Micro-batches in flight (1 without pipeline parallelism).
  public var inFlight: Int
  public var breakdown: TimeBreakdown
}

extension ReplicaCostModel {
  /// Same stage layers and collective curves (the GPU indices may differ).
  func hasSameTiming(as other: ReplicaCostModel) -> Bool {
    stageLayers == other.stageLayers && allReduceCurves == other.allReduceCurves
      && logitsGatherCurve == other.logitsGatherCurve && sendCurves == other.sendCurves
      && receiveGatherCurves == other.receiveGatherCurves && cost == other.cost
      && iterationOverhead == other.iterationOverhead && allReducePolicy == other.allReducePolicy
      && cudaGraphs == other.cudaGraphs
  }

  /// TTFT of a lone request on an idle replica: its prompt prefilled in chunks of at most
  /// `chunkTokens`, each chunk an iteration through every stage and transfer (a request's next
  /// chunk is scheduled only after the previous one returns, so chunks do not overlap).
  public func lonePrefill(promptTokens: Int, chunkTokens: Int) -> TimeBreakdown {
    var total = TimeBreakdown()
    var done = 0
    let chunk = max(1, chunkTokens)
    while done < promptTokens {
      let tokens = min(chunk, promptTokens - done)
      var shape = BatchShape()
      shape.addPrefill(tokens: tokens, cached: done)
      total.add(pass(shape).breakdown)
      done += tokens
    }
    return total
  }

  /// Time per output token with `batch` sequences decoding, each with `context` tokens cached.
  ///
  /// With PP the engine keeps min(PP, batch) micro-batches in flight (vLLM's virtual engines),
  /// each with ⌈batch / in-flight⌉ sequences; a sequence gets one token per cycle, and a cycle is
  /// the longer of one trip through the pipeline and the busiest stage serving every micro-batch.
  public func decode(batch: Int, context: Int) -> TimeBreakdown {
    guard batch >= 1 else { return TimeBreakdown() }
    let inFlight = min(stageCount, batch)
    let perMicroBatch = (batch + inFlight - 1) / inFlight
    return pass(.decode(batch: perMicroBatch, context: context)).cycleBreakdown(inFlight: inFlight)
  }

  /// Saturated throughput with `batch` sequences running, new requests admitted as others finish.
  ///
  /// Steady state: each micro-batch iteration decodes m sequences and admits w = m / (o − 1)
  /// new prompts on average (a request decodes for o − 1 iterations after its prefill produced
  /// the first token), within the token budget m + w·prompt ≤ `maxBatchedTokens`. The average
  /// iteration blends the decode-only iteration with the one carrying a whole prompt, stage by
  /// stage, so the slowest stage of the average iteration bounds the cycle. Each cycle yields
  /// in-flight × (m + w) output tokens and in-flight × w requests.
  public func saturatedThroughput(
    promptTokens: Int, outputTokens: Int, batch: Int, config: EngineConfig
  ) -> ReplicaThroughput {
    var result = ReplicaThroughput(
      outputTokensPerSecond: 0, requestsPerSecond: 0, cycleSeconds: 0, inFlight: 0, breakdown: TimeBreakdown())
    guard batch >= 1, promptTokens >= 1, outputTokens >= 1 else { return result }
    let budget = Double(config.maxBatchedTokens)
    let prompt = Double(promptTokens)
    let inFlight = min(stageCount, batch)
    let whole = BatchShape.prefill(tokens: promptTokens)
    let pipelinePass: PipelinePass
    let requestsPerIteration: Double
    let tokensPerIteration: Double
    if outputTokens == 1 {
      // Prefill only: each iteration packs as many whole prompts as the budget and batch allow.
      let prompts = max(1, min(batch / inFlight, Int(budget / prompt)))
      let shape = BatchShape(
        prefillTokens: prompts * promptTokens, prefillSequences: prompts,
        prefillAttentionPairs: Double(prompts) * whole.prefillAttentionPairs,
        prefillContextTokens: prompts * promptTokens)
      pipelinePass = pass(shape)
      requestsPerIteration = Double(prompts)
      tokensPerIteration = Double(prompts)
    } else {
      let decodeSteps = Double(outputTokens - 1)
      var decoding = batch / inFlight
      // Keep the average iteration within the token budget: m (1 + prompt / (o − 1)) ≤ budget.
      let affordable = Int((budget * decodeSteps / (decodeSteps + prompt)).rounded(.down))
      decoding = max(1, min(decoding, affordable))
      let admitted = Double(decoding) / decodeSteps
      let decodeOnly = BatchShape.decode(batch: decoding, context: promptTokens + outputTokens / 2)
      var withPrompt = decodeOnly
      withPrompt.addPrefill(tokens: promptTokens, cached: 0)
      pipelinePass = blendedPass(decodeOnly, withPrompt, weight: admitted)
      requestsPerIteration = admitted
      tokensPerIteration = Double(decoding) + admitted
    }
    let cycle = pipelinePass.cycleSeconds(inFlight: inFlight)
    guard cycle > 0 else { return result }
    result.cycleSeconds = cycle
    result.inFlight = inFlight
    result.breakdown = pipelinePass.cycleBreakdown(inFlight: inFlight)
    result.outputTokensPerSecond = Double(inFlight) * tokensPerIteration / cycle
    result.requestsPerSecond = Double(inFlight) * requestsPerIteration / cycle
    return result
  }
}

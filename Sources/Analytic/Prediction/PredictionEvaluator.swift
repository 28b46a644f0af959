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
  /// How long one prompt's prefill holds the decode batch back at batch b = 1…max: the whole
  /// prefill with PP = 1; with PP > 1 `ReplicaCostModel.prefillHoldSeconds`, seconds.
  public var prefillOccupancySeconds: [Double]
  /// Stage 0's share of the prefill and, per batch b = 1…max, of one decode iteration: the
  /// stage a newly arrived prompt waits for (`ReplicaServiceModel`, admission wait). Equal to
  /// the prefill and the decode iteration with PP = 1.
  public var admissionPrefillSeconds: Double
  public var admissionDecodeSeconds: [Double]
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
  ///
  /// With expert parallelism each replica is costed with its stages' EP groups
  /// (`ReplicaCostModel.expertGroupGPUs`), and replicas are merged only when their own GPUs and
  /// their groups' have the same shape. `expertImbalance` overrides the closed-form expert load
  /// imbalance (`ExpertImbalance`) of the MoE compute and the all-to-all.
  public init(
    model: ModelSpec, gpu: GPUSpec, cluster: Cluster, layout: Layout, placement: Placement? = nil,
    config: EngineConfig = EngineConfig(), comm: CommModel? = nil, expertImbalance: Double? = nil
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
    let cost = try CostModel(
      model: model, gpu: gpu, tp: layout.tp, ep: layout.ep, kvCacheDType: config.kvCacheDType,
      expertImbalance: ExpertImbalance.costModelFactor(model: model, layout: layout, override: expertImbalance))
    // Replicas of one expert-parallel group (1 without EP): a replica's timing also depends on
    // where its group sits.
    let groupSize = layout.replicasPerExpertGroup
    var distinct: [ReplicaCostModel] = []
    var counts: [Int] = []
    // On a node-symmetric cluster, replicas whose GPUs have the same canonical shape (all
    // stages together) have identical timings: build one and count the others (a 1,024-GPU
    // search has layouts with hundreds of replicas).
    var shapeIndex: [[Int]: Int] = [:]
    for (replicaNumber, stages) in placement.gpus.enumerated() {
      // Contiguous: the group's first replica's offset fixes the group, the position in the group the replica.
      let groupStart = replicaNumber / groupSize * groupSize
      let block = blockNodeSize.map {
        (groupStart * layout.gpusPerReplica % $0) * groupSize + replicaNumber % groupSize
      }
      if let block, let index = blockIndex[block] {
        counts[index] += 1
        continue
      }
      let groups = ReplicaCostModel.expertGroupGPUs(layout: layout, placement: placement, replica: replicaNumber)
      let shape =
        block == nil
        ? comm.symmetry?.canonical(stages.flatMap { $0 } + (groups?.flatMap { $0 } ?? [])) : nil
      if let shape, let index = shapeIndex[shape] {
        counts[index] += 1
        continue
      }
      let replica = try ReplicaCostModel(
        cost: cost, cluster: cluster, stageGPUs: stages, comm: comm,
        iterationOverhead: config.overheadLaw(stageGPUs: layout.tp), allReducePolicy: config.allReduce,
        cudaGraphs: config.cudaGraphs, expertGroupGPUs: groups, expertImbalanceOverride: expertImbalance)
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

  /// Sequences a replica runs at once *on average* under load: the KV cache over the blocks a
  /// running sequence holds averaged over its life. The engine admits a request with blocks for
  /// its prompt and adds one as each block fills, so a sequence holds prompt + j tokens while it
  /// produces token j: prompt + output/2 on average (TPOT roughly constant over a request's
  /// life). Capped by `maxSequences`; 0 when not one full-length sequence fits (the engine
  /// rejects such requests).
  public func meanHeldBatch(promptTokens: Int, outputTokens: Int) -> Int {
    guard maxBatch(promptTokens: promptTokens, outputTokens: outputTokens) >= 1 else { return 0 }
    return min(config.maxSequences, memory.maxConcurrentSequences(tokensPerSequence: promptTokens + outputTokens / 2))
  }

  /// Inputs of the load model for requests of mean shape (`promptTokens`, `outputTokens`):
  /// the slowest replica's decode iteration time for every batch up to the largest the load
  /// model runs (`meanHeldBatch`), and its lone prefill time.
  public func loadInputs(promptTokens: Int, outputTokens: Int) throws -> PredictionLoadInputs {
    try check(promptTokens: promptTokens, outputTokens: outputTokens, batch: 1)
    let maxBatch = meanHeldBatch(promptTokens: promptTokens, outputTokens: outputTokens)
    let context = Self.meanDecodeContext(promptTokens, outputTokens)
    var decode = [Double](repeating: 0, count: maxBatch)
    var firstStageDecode = [Double](repeating: 0, count: maxBatch)
    var occupancy = [Double](repeating: 0, count: maxBatch)
    var prefill = 0.0
    var firstStagePrefill = 0.0
    for replica in replicas {
      let lone = replica.lonePrefill(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens).totalSeconds
      prefill = max(prefill, lone)
      let p0 = replica.lonePrefillByStage(promptTokens: promptTokens, chunkTokens: config.maxBatchedTokens)[0]
      firstStagePrefill = max(firstStagePrefill, p0)
      for b in stride(from: 1, through: maxBatch, by: 1) {
        let seconds = replica.decode(batch: b, context: context).totalSeconds
        decode[b - 1] = max(decode[b - 1], seconds)
        if replica.stageCount == 1 {
          firstStageDecode[b - 1] = max(firstStageDecode[b - 1], seconds)
          occupancy[b - 1] = max(occupancy[b - 1], lone)
        } else {
          let stages = replica.decodeStageSeconds(batch: b, context: context)
          firstStageDecode[b - 1] = max(firstStageDecode[b - 1], stages.first)
          occupancy[b - 1] = max(
            occupancy[b - 1],
            ReplicaCostModel.prefillHoldSeconds(
              prefill: lone, firstStagePrefill: p0, decodePass: seconds, lastStageDecode: stages.last))
        }
      }
    }
    // The slowest replica's prefill bounds every replica's hold.
    for b in occupancy.indices { occupancy[b] = min(occupancy[b], prefill) }
    return PredictionLoadInputs(
      decodeIterationSeconds: decode, prefillSeconds: prefill, maxConcurrentSequences: maxBatch,
      prefillOccupancySeconds: occupancy,
      admissionPrefillSeconds: layout.pp == 1 ? prefill : firstStagePrefill,
      admissionDecodeSeconds: layout.pp == 1 ? decode : firstStageDecode)
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
      && cudaGraphs == other.cudaGraphs && stageExpertLayers == other.stageExpertLayers
      && expertAllToAllCurves == other.expertAllToAllCurves && expertGatherCurves == other.expertGatherCurves
      && replicasPerExpertGroup == other.replicasPerExpertGroup && expertImbalance == other.expertImbalance
  }

  /// Calls `body` with each chunk of a lone prompt of `promptTokens` prefilled at most
  /// `chunkTokens` at a time, each with the tokens before it cached.
  @inline(__always)
  static func forEachPrefillChunk(promptTokens: Int, chunkTokens: Int, _ body: (BatchShape) -> Void) {
    var done = 0
    let chunk = max(1, chunkTokens)
    while done < promptTokens {
      let tokens = min(chunk, promptTokens - done)
      var shape = BatchShape()
      shape.addPrefill(tokens: tokens, cached: done)
      body(shape)
      done += tokens
    }
  }

  /// TTFT of a lone request on an idle replica: its prompt prefilled in chunks of at most
  /// `chunkTokens`, each chunk an iteration through every stage and transfer (a request's next
  /// chunk is scheduled only after the previous one returns, so chunks do not overlap).
  public func lonePrefill(promptTokens: Int, chunkTokens: Int) -> TimeBreakdown {
    var total = TimeBreakdown()
    Self.forEachPrefillChunk(promptTokens: promptTokens, chunkTokens: chunkTokens) { total.add(pass($0).breakdown) }
    return total
  }

  /// Micro-batches a replica's running batch circulates as, in LLMPlan's engine (the
  /// simulator, `Sources/Simulation/Engine.swift`).
  ///
  /// **Why one.** The engine keeps one pool of running sequences per replica and launches a
  /// micro-batch whenever stage 0 is free and fewer than PP are in flight; the micro-batch takes
  /// *every* sequence that is idle at that moment. Sequences whose micro-batch leaves the last
  /// stage while stage 0 is busy wait, and all of them leave together in the next launch:
  /// micro-batches merge. Every prompt makes them merge: without chunked prefill a waiting
  /// prompt takes the next launch alone (prefill first), so the decodes that came back meanwhile
  /// wait for the prompt's stage-0 time — longer than a decode pass — and then leave as one. A
  /// split happens only when a new request's first decode launches alone, and the next prompt
  /// merges it back. So in steady state the running batch is one micro-batch, and a sequence
  /// gets one token per *serial* pass of the whole batch: TPOT(b) = Σ_stages s_j(b) + transfers,
  /// not vLLM's virtual-engine split (b/PP per micro-batch, cycle max(serial, PP · busiest
  /// stage)). Measured on the simulator (Llama-2-13B, TP1·PP4, A100 40GB, 680 + 460 tokens):
  /// TPOT 26.6 / 35.3 / 63.1 ms at 0.2 / 1 / 2 req/s against a serial pass of the mean running
  /// batch (2, 15, 60 sequences) of 25.5 / 34.0 / 63.5 ms; the even split gives 34 ms at 60.
  public static let decodeMicroBatches = 1

  /// Time per output token with `batch` sequences decoding, each with `context` tokens cached:
  /// the cycle of `decodeMicroBatches` micro-batch(es) sharing the batch (see there), i.e. with
  /// one micro-batch its serial pass through every stage and transfer. With PP = 1 every form
  /// is the plain iteration time.
  public func decode(batch: Int, context: Int) -> TimeBreakdown {
    guard batch >= 1 else { return TimeBreakdown() }
    let inFlight = min(Self.decodeMicroBatches, batch)
    let perMicroBatch = (batch + inFlight - 1) / inFlight
    return pass(.decode(batch: perMicroBatch, context: context)).cycleBreakdown(inFlight: inFlight)
  }

  /// Stage 0's time for one decode iteration of `batch` sequences (the stage every launch
  /// waits for: a prompt arriving mid-iteration is scheduled when stage 0 frees).
  public func decodeFirstStageSeconds(batch: Int, context: Int) -> Double {
    decodeStageSeconds(batch: batch, context: context).first
  }

  /// Stage 0's and the last stage's time for one decode iteration of `batch` sequences.
  public func decodeStageSeconds(batch: Int, context: Int) -> (first: Double, last: Double) {
    guard batch >= 1 else { return (0, 0) }
    let shape = BatchShape.decode(batch: batch, context: context)
    let layer = cost.layerTotals(batch: shape)
    return (
      stageTime(stage: 0, batch: shape, layer: layer).totalSeconds,
      stageTime(stage: stageCount - 1, batch: shape, layer: layer).totalSeconds
    )
  }

  /// How long one prompt holds back a running batch of `batch` decoding sequences, seconds.
  ///
  /// With PP = 1 the engine runs the prompt's iteration instead of a decode one: the whole
  /// prefill p. With PP > 1 the prompt runs as its own micro-batch while the decode batch (one
  /// micro-batch, see `decodeMicroBatches`) circulates, and micro-batches pass every stage in
  /// launch order. Prompts go first: a prompt waiting when the decode batch returns is launched
  /// ahead of it, and the batch follows once stage 0 is free (after p₀), trailing the prompt
  /// through the stages. The batch's next pass then ends at the later of its own pass D(b)
  /// after p₀ and the prompt's pass p plus the batch's last stage s_last(b):
  ///
  ///     delay = max(p₀, p + s_last(b) − D(b)).
  ///
  /// A short prompt costs its stage-0 time; a prompt longer than the batch's pass costs most of
  /// its serial prefill (with PP = 1: p₀ = p, s_last = D, so p).
  public static func prefillHoldSeconds(
    prefill p: Double, firstStagePrefill p0: Double, decodePass d: Double, lastStageDecode last: Double
  ) -> Double {
    min(p, max(p0, p + last - d))
  }

  /// A lone prompt's prefill time on each stage (all chunks), seconds.
  public func lonePrefillByStage(promptTokens: Int, chunkTokens: Int) -> [Double] {
    var result = [Double](repeating: 0, count: stageCount)
    Self.forEachPrefillChunk(promptTokens: promptTokens, chunkTokens: chunkTokens) { shape in
      let layer = cost.layerTotals(batch: shape)
      for stage in 0..<stageCount { result[stage] += stageTime(stage: stage, batch: shape, layer: layer).totalSeconds }
    }
    return result
  }

  /// Saturated throughput with `batch` sequences running, new requests admitted as others finish.
  ///
  /// Steady state: each iteration of the running batch (one micro-batch, see
  /// `decodeMicroBatches`) decodes m sequences and admits w = m / (o − 1) new prompts on
  /// average (a request decodes for o − 1 iterations after its prefill produced the first
  /// token), within the token budget m + w·prompt ≤ `maxBatchedTokens`. The cycle is the decode
  /// pass plus w times what one prompt adds to it. With PP = 1 that is the whole prefill (the
  /// average iteration blends decode-only and decode-with-prompt, stage by stage). With PP > 1
  /// the prompt runs as its own micro-batch ahead of the decode batch and holds it back by
  /// `prefillHoldSeconds`: cycle = serial(decode) + w · hold. Each cycle yields m + w output
  /// tokens and w requests.
  public func saturatedThroughput(
    promptTokens: Int, outputTokens: Int, batch: Int, config: EngineConfig
  ) -> ReplicaThroughput {
    var result = ReplicaThroughput(
      outputTokensPerSecond: 0, requestsPerSecond: 0, cycleSeconds: 0, inFlight: 0, breakdown: TimeBreakdown())
    guard batch >= 1, promptTokens >= 1, outputTokens >= 1 else { return result }
    let budget = Double(config.maxBatchedTokens)
    let prompt = Double(promptTokens)
    let inFlight = min(Self.decodeMicroBatches, batch)
    let whole = BatchShape.prefill(tokens: promptTokens)
    let cycle: Double
    var breakdown: TimeBreakdown
    let requestsPerIteration: Double
    let tokensPerIteration: Double
    if outputTokens == 1 {
      // Prefill only: each iteration packs as many whole prompts as the budget and batch allow.
      let prompts = max(1, min(batch / inFlight, Int(budget / prompt)))
      let shape = BatchShape(
        prefillTokens: prompts * promptTokens, prefillSequences: prompts,
        prefillAttentionPairs: Double(prompts) * whole.prefillAttentionPairs,
        prefillContextTokens: prompts * promptTokens)
      let pipelinePass = pass(shape)
      // Prompt-only micro-batches do pipeline: the busiest stage paces them.
      cycle = stageCount > 1 ? pipelinePass.maxStageSeconds : pipelinePass.serialSeconds
      breakdown = pipelinePass.breakdown
      breakdown.pipelineSeconds += cycle - pipelinePass.serialSeconds
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
      let decodePass = pass(decodeOnly)
      if stageCount == 1 {
        let blended = blendedPass(decodeOnly, withPrompt, weight: admitted)
        cycle = blended.serialSeconds
        breakdown = blended.breakdown
      } else {
        // The prompt runs as its own micro-batch ahead of the decode batch and holds it back by
        // `prefillHoldSeconds` (its stage-0 time, or most of its pass when that is longer).
        let promptPass = pass(whole)
        let layer = cost.layerTotals(batch: whole)
        let hold = Self.prefillHoldSeconds(
          prefill: promptPass.serialSeconds,
          firstStagePrefill: stageTime(stage: 0, batch: whole, layer: layer).totalSeconds,
          decodePass: decodePass.serialSeconds,
          lastStageDecode: stageTime(
            stage: stageCount - 1, batch: decodeOnly, layer: cost.layerTotals(batch: decodeOnly)
          )
          .totalSeconds)
        cycle = decodePass.serialSeconds + admitted * hold
        breakdown = decodePass.breakdown
        breakdown.add(
          TimeBreakdown().blended(with: promptPass.breakdown, weight: admitted * hold / promptPass.serialSeconds))
      }
      requestsPerIteration = admitted
      tokensPerIteration = Double(decoding) + admitted
    }
    guard cycle > 0 else { return result }
    result.cycleSeconds = cycle
    result.inFlight = inFlight
    result.breakdown = breakdown
    result.outputTokensPerSecond = Double(inFlight) * tokensPerIteration / cycle
    result.requestsPerSecond = Double(inFlight) * requestsPerIteration / cycle
    return result
  }
}

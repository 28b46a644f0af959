import PlanCore

/// Memory of one GPU of one pipeline stage (every TP rank of a stage holds the same amounts).
public struct StageMemory: Sendable, Hashable, Codable {
  public var stage: Int
  public var layers: Int
  /// Weights: the stage's layers' TP shards, plus the embedding (first stage) and LM head (last).
  public var weightBytes: Double
  /// Activation peak of the largest iteration (`EngineConfig.maxBatchedTokens` tokens).
  public var activationBytes: Double
  /// CUDA context, CUDA graphs, NCCL buffers (see `EngineConfig.reserveBytes`).
  public var reserveBytes: Double
  /// GPU memory × utilisation.
  public var budgetBytes: Double
  /// What is left for the KV cache: budget − weights − activations − reserve (negative: over).
  public var kvPoolBytes: Double
  /// KV bytes per token on this GPU: the stage's layers × 2 × KV heads per GPU × head dim × bytes of
  /// the KV cache's element (`EngineConfig.kvCacheDType`, else the model's dtype); with latent
  /// attention (MLA) the layers × (kv_lora_rank + rope) elements, on every TP rank.
  public var kvBytesPerToken: Double
  /// Whole KV blocks the pool holds on its own.
  public var kvBlocks: Int
}

/// Per-GPU memory of a layout (TP × PP; DP replicas are identical copies).
///
/// Each stage is computed exactly (its layer count, the embedding on the first, the LM head on
/// the last); the engine allocates the same number of KV blocks on every stage — the smallest
/// any stage affords (vLLM takes the minimum over workers) — so that stage decides the replica's
/// KV capacity.
public struct MemoryModel: Sendable, Hashable {
  public let config: EngineConfig
  public let tp: Int
  public let pp: Int
  public let stages: [StageMemory]
  /// KV blocks every stage allocates (the minimum over stages, never negative).
  public let kvBlocks: Int

  /// - Throws: `CostModelError` for an invalid config or PP larger than the layer count.
  public init(cost: CostModel, pp: Int, config: EngineConfig = EngineConfig()) throws {
    try config.validate()
    let model = cost.model
    guard pp >= 1, pp <= model.numLayers else {
      throw CostModelError("PP=\(pp) must lie between 1 and the \(model.numLayers) layers of \(model.name)")
    }
    let layers = ReplicaCostModel.partitionLayers(model.numLayers, stages: pp)
    let budget = cost.gpu.memoryBytes * config.gpuMemoryUtilization
    let reserve = config.reserveBytes(gpusPerReplica: cost.tp * pp)
    let activation = MemoryModel.activationPeakBytes(cost: cost, tokens: config.maxBatchedTokens)
    let logits = MemoryModel.logitsPeakBytes(model: model, sequences: config.maxSequences)
    var stages: [StageMemory] = []
    var firstLayer = 0
    for (stage, count) in layers.enumerated() {
      let first = stage == 0
      let last = stage == pp - 1
      var weights: Double
      if let experts = model.experts {
        // Dense and MoE layers of this stage's layer range, each at its own weight bytes.
        let expertLayers = experts.expertLayerCount(in: firstLayer..<(firstLayer + count))
        weights =
          Double(count - expertLayers) * cost.layerWeightBytesPerGPU + Double(expertLayers)
          * cost.expertLayerWeightBytesPerGPU
      } else {
        weights = Double(count) * cost.layerWeightBytesPerGPU
      }
      firstLayer += count
      if first { weights += cost.embeddingWeightBytesPerGPU }
      if last { weights += cost.lmHeadWeightBytesPerGPU(sharesEmbedding: pp == 1) }
      let stageActivation = last ? max(activation, logits) : activation
      let pool = budget - weights - stageActivation - reserve
      let perToken = Double(count) * cost.kvBytesPerTokenPerLayerPerGPU
      let blockBytes = perToken * Double(config.blockSizeTokens)
      // Whole blocks in the pool. Plausible inputs (a GPU's memory ≤ 1 PB, see `Plausibility`)
      // keep this far below 2⁵³; the bound only guarantees the conversion to Int cannot trap.
      let blocks =
        pool > 0 && blockBytes > 0 ? Int(min((pool / blockBytes).rounded(.down), 9_007_199_254_740_992)) : 0
      stages.append(
        StageMemory(
          stage: stage, layers: count, weightBytes: weights, activationBytes: stageActivation, reserveBytes: reserve,
          budgetBytes: budget, kvPoolBytes: pool, kvBytesPerToken: perToken, kvBlocks: blocks))
    }
    self.config = config
    tp = cost.tp
    self.pp = pp
    self.stages = stages
    kvBlocks = stages.map(\.kvBlocks).min() ?? 0
  }

  /// Convenience: the memory of `layout` for `model` on `gpu` (experts split over `layout.ep`).
  public init(model: ModelSpec, gpu: GPUSpec, layout: Layout, config: EngineConfig = EngineConfig()) throws {
    try self.init(
      cost: CostModel(model: model, gpu: gpu, tp: layout.tp, ep: layout.ep, kvCacheDType: config.kvCacheDType),
      pp: layout.pp, config: config)
  }

  /// Activation peak of one forward pass of `tokens` tokens on one GPU.
  ///
  /// MoE layers: the routed experts' intermediate (tokens × top-k rows of 2 · expert width, then
  /// the product of width, per GPU at its share of rows) replaces the dense MLP's when larger.
  ///
  /// Estimate: the tensors alive together at the widest point of a layer. In the MLP, the
  /// residual stream and the normed input (tokens × hidden each), the up-projection output
  /// (tokens × 2·ffn/TP when gated, ffn/TP otherwise) and the activation output
  /// (tokens × ffn/TP). In attention, the residual, the normed input, the QKV output and the
  /// attention output. FlashAttention never materialises the tokens × tokens score matrix, so
  /// the peak is linear in tokens. The larger of the two, in the model's dtype.
  public static func activationPeakBytes(cost: CostModel, tokens: Int) -> Double {
    let n = Double(tokens)
    let residualAndNormed = 2 * n * cost.hidden
    let mlp = residualAndNormed + n * cost.mlpUpColumns + n * cost.mlpInnerColumns
    let attention = residualAndNormed + n * (cost.queryColumns + 2 * cost.kvColumns) + n * cost.queryColumns
    var experts = 0.0
    if let call = cost.expertCall(tokens: n) {
      experts = residualAndNormed + call.rows * (3 * call.columns + cost.hidden)
    }
    return max(mlp, attention, experts) * cost.elementBytes
  }

  /// Sampling peak on the last stage: logits and probabilities of `sequences` sequences over
  /// the whole vocabulary in fp32 (vLLM gathers the logits to one rank and samples in fp32).
  public static func logitsPeakBytes(model: ModelSpec, sequences: Int) -> Double {
    2 * Double(sequences) * Double(model.vocabSize) * 4
  }

  // MARK: Answers

  /// At least one KV block fits on every stage next to weights, activations and reserve.
  public var fits: Bool { kvBlocks >= 1 }
  /// The smallest KV pool of any stage: how much memory is left for KV cache (negative: how
  /// much the weights, activations and reserve exceed the budget by).
  public var headroomBytes: Double { stages.map(\.kvPoolBytes).min() ?? 0 }
  /// Tokens the KV cache holds (whole blocks).
  public var maxKVTokens: Int { kvBlocks * config.blockSizeTokens }
  /// The largest weight bytes any GPU holds.
  public var weightBytesPerGPU: Double { stages.map(\.weightBytes).max() ?? 0 }
  /// KV-cache bytes allocated on the most loaded GPU (every stage allocates `kvBlocks`).
  public var kvCacheBytesPerGPU: Double {
    stages.map { Double(kvBlocks * config.blockSizeTokens) * $0.kvBytesPerToken }.max() ?? 0
  }

  /// Sequences of `tokensPerSequence` tokens (prompt + output) that fit in the KV cache at
  /// once, each holding whole blocks for its full length (so none is ever preempted). Not
  /// capped by the scheduler's `maxSequences`.
  @inline(__always)
  public func maxConcurrentSequences(tokensPerSequence: Int) -> Int {
    guard tokensPerSequence >= 1 else { return 0 }
    // ⌈tokens / block⌉ without forming tokens + block − 1, which could overflow.
    let blocksPerSequence =
      tokensPerSequence / config.blockSizeTokens + (tokensPerSequence % config.blockSizeTokens == 0 ? 0 : 1)
    return kvBlocks / blocksPerSequence
  }

  /// The memory answer for requests of `promptTokens` + `outputTokens`.
  public func report(promptTokens: Int, outputTokens: Int) -> MemoryReport {
    MemoryReport(
      fits: fits, headroomBytes: headroomBytes, weightBytesPerGPU: weightBytesPerGPU,
      kvCacheBytesPerGPU: kvCacheBytesPerGPU, maxKVTokens: maxKVTokens, kvBlocks: kvBlocks,
      blockSizeTokens: config.blockSizeTokens,
      maxConcurrentSequences: maxConcurrentSequences(tokensPerSequence: promptTokens + outputTokens),
      gpuMemoryUtilization: config.gpuMemoryUtilization, stages: stages)
  }
}

/// The memory answer of a layout, as `estimate` prints it.
public struct MemoryReport: Sendable, Hashable, Codable {
  public var fits: Bool
  public var headroomBytes: Double
  public var weightBytesPerGPU: Double
  public var kvCacheBytesPerGPU: Double
  public var maxKVTokens: Int
  public var kvBlocks: Int
  public var blockSizeTokens: Int
  public var maxConcurrentSequences: Int
  public var gpuMemoryUtilization: Double
  public var stages: [StageMemory]
}

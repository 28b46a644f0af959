import PlanCore

/// Why a cost, memory or prediction request cannot be answered.
public struct CostModelError: Error, CustomStringConvertible, Equatable, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// Operator roofline of one decoder layer (plus embedding and LM head) on one GPU of a
/// tensor-parallel group.
///
/// Each kernel's time is `max(FLOPs / achieved FLOP/s, bytes / achieved bandwidth) + launch`,
/// where "achieved" follows the GPU's `EfficiencyProfile`: small kernels reach a smaller
/// fraction of the datasheet peak than large ones. Tensor parallelism splits attention heads
/// and MLP columns (Megatron-LM: column-parallel QKV and up projections, row-parallel output
/// and down projections); KV heads are split too, but a GPU always holds at least one, so they
/// are replicated when TP exceeds the KV head count (GQA/MQA). Norms and residual adds run
/// replicated on every rank. The vocabulary of the embedding and LM head is split across TP
/// ranks (vocabulary-parallel, as in Megatron-LM and vLLM).
///
/// All dimensions are precomputed per GPU at construction, so costing a `BatchShape` is a
/// fixed number of multiply-adds and divisions, without allocation.
public struct CostModel: Sendable, Hashable {
  public let model: ModelSpec
  public let gpu: GPUSpec
  public let tp: Int
  /// Peak dense FLOP/s of `gpu` for the model's dtype.
  public let peakFLOPSPerSecond: Double
  /// Key/value heads each GPU holds: KV heads / TP, at least one (replicated when TP > KV heads).
  public let kvHeadsPerGPU: Int
  /// Expert-parallel degree of the MoE layers (1: experts tensor-parallel like a dense MLP);
  /// see `Layout.ep`.
  public let ep: Int
  /// Routed tokens the busiest GPU of an expert-parallel group gets, over the mean (≥ 1):
  /// the expert load imbalance the MoE layers are costed at.
  public let expertImbalance: Double

  // Per-GPU dimensions as Doubles (the hot path multiplies them).
  let hidden: Double
  let headDim: Double
  let queryHeadsPerGPU: Double
  let queryColumns: Double
  let kvColumns: Double
  let mlpInnerColumns: Double
  let mlpUpColumns: Double
  let vocabShard: Double
  let elementBytes: Double
  /// Bytes of one KV-cache element: the KV cache's own precision (`EngineConfig.kvCacheDType`,
  /// vLLM `--kv-cache-dtype`) when set, else the model's.
  let kvElementBytes: Double
  let normFLOPsPerElement: Double
  let activationFLOPsPerElement: Double
  let bandwidth: Double
  /// Streaming working sets up to this many bytes are served from L2 (one of its two
  /// partitions: half the GPU's `l2CacheBytes`); 0 when the GPU file gives no L2 size.
  let l2ResidentBytes: Double
  /// Streaming multiprocessors (one GEMM tile each per wave); 0 when unknown.
  let streamingMultiprocessors: Double
  let efficiency: EfficiencyProfile
  /// `efficiency` with each operator's overrides applied (`EfficiencyProfile.operators`, set by
  /// calibration), indexed by `OperatorKind.slot`, so the hot path reads an array.
  let operatorEfficiency: [EfficiencyProfile]
  /// The attention kernels' law (the GPU's, else `AttentionEfficiency.datasheetDefault`) and the
  /// datasheet figures it scales with.
  let attentionLaw: AttentionEfficiency
  let attentionHardware: AttentionHardware
  /// The shortest time of a tensor-core kernel (`EfficiencyProfile.kernelFloorSeconds`).
  let kernelFloorSeconds: Double
  /// Stored precision and compute rate of the linear layers (`ModelSpec.weightQuantization`).
  let linear: LinearPrecision
  /// The fused-MoE law of the experts' kernel family, and the peak it is timed against.
  let expertLaw: ExpertKernelLaw
  let expertPeakFLOPSPerSecond: Double

  /// - Throws: `CostModelError` when TP does not divide the heads, the GPU has no peak rate for
  ///   the model's dtype (or for its w8a8 weights: fp8 on an A100), EP does not divide the routed
  ///   experts, or the efficiency profile has a non-positive fraction.
  public init(
    model: ModelSpec, gpu: GPUSpec, tp: Int, ep: Int = 1, kvCacheDType: DType? = nil, expertImbalance: Double = 1
  ) throws {
    guard tp >= 1 else { throw CostModelError("TP must be at least 1 (got \(tp))") }
    guard ep >= 1 else { throw CostModelError("EP must be at least 1 (got \(ep))") }
    guard expertImbalance >= 1, expertImbalance.isFinite else {
      throw CostModelError("the expert load imbalance must be a finite factor ≥ 1 (got \(expertImbalance))")
    }
    guard model.numHeads % tp == 0 else {
      throw CostModelError("TP=\(tp) does not divide the \(model.numHeads) attention heads of \(model.name)")
    }
    guard model.hiddenSize > 0, model.numLayers > 0, model.numKVHeads > 0, model.headDim > 0,
      model.intermediateSize > 0, model.vocabSize > 0
    else { throw CostModelError("model \(model.name) has a non-positive dimension") }
    guard let peak = gpu.peakFLOPS(model.dtype), peak > 0 else {
      throw CostModelError("GPU \(gpu.name) lists no peak dense FLOP/s for \(model.dtype.rawValue)")
    }
    let e = gpu.efficiency
    guard e.computeMax > 0, e.memoryMax > 0, e.collectiveBandwidthMax > 0, e.computeHalfSaturationFLOPs >= 0,
      e.memoryHalfSaturationBytes >= 0, e.kernelLaunchSeconds >= 0, e.iterationOverheadSeconds >= 0
    else { throw CostModelError("GPU \(gpu.name) has an invalid efficiency profile (fractions must be > 0)") }
    guard gpu.memoryBandwidthBytesPerSecond > 0 else {
      throw CostModelError("GPU \(gpu.name) has no positive memory bandwidth")
    }
    self.model = model
    self.gpu = gpu
    self.tp = tp
    self.ep = ep
    self.expertImbalance = expertImbalance
    peakFLOPSPerSecond = peak
    kvHeadsPerGPU = tp >= model.numKVHeads ? 1 : (model.numKVHeads + tp - 1) / tp
    hidden = Double(model.hiddenSize)
    headDim = Double(model.headDim)
    queryHeadsPerGPU = Double(model.numHeads / tp)
    queryColumns = queryHeadsPerGPU * headDim
    kvColumns = Double(kvHeadsPerGPU) * headDim
    mlpInnerColumns = Double(model.intermediateSize) / Double(tp)
    mlpUpColumns = (model.gatedMLP ? 2 : 1) * mlpInnerColumns
    vocabShard = Double(model.vocabSize) / Double(tp)
    elementBytes = model.dtype.bytes
    kvElementBytes = (kvCacheDType ?? model.dtype).bytes
    // RMSNorm: square, accumulate, scale by 1/rms, multiply by the weight = 4 FLOPs/element.
    // LayerNorm: mean (1), subtract (1), square+accumulate (2), normalise (1), scale+shift (2) = 7.
    normFLOPsPerElement = model.normalization == .rmsNorm ? 4 : 7
    // Gated (SwiGLU): SiLU = negate, exp, add, divide (4) then gate × up (1) = 5 per output.
    // Ungated GELU, tanh form: x³, ×0.044715, +x, ×√(2/π), tanh, +1, ×x, ×0.5 = 8 per output.
    activationFLOPsPerElement = model.gatedMLP ? 5 : 8
    bandwidth = gpu.memoryBandwidthBytesPerSecond
    l2ResidentBytes = (gpu.l2CacheBytes ?? 0) * Self.l2ResidentFraction
    streamingMultiprocessors = Double(gpu.streamingMultiprocessors ?? 0)
    efficiency = e
    if let unknown = e.operators.keys.sorted().first(where: { OperatorKind(rawValue: $0) == nil }) {
      throw CostModelError(
        "GPU \(gpu.name) has efficiency overrides for unknown operator \"\(unknown)\" (known: \(OperatorKind.allCases.map(\.rawValue).joined(separator: ", ")))"
      )
    }
    var perOperator = [EfficiencyProfile](repeating: e, count: OperatorKind.allCases.count)
    // Per-operator memory fractions fitted on one memory family (HBM) are not carried to
    // another (GDDR): those operators then use the profile's own law.
    let fractionsApply = e.operatorFractionsApply(to: gpu.memoryKind)
    for kind in OperatorKind.allCases {
      let resolved = fractionsApply ? e.forOperator(kind.rawValue) : e.forOperator("")
      guard resolved.computeMax > 0, resolved.memoryMax > 0, resolved.computeHalfSaturationFLOPs >= 0,
        resolved.memoryHalfSaturationBytes >= 0
      else { throw CostModelError("GPU \(gpu.name) has an invalid efficiency override for \(kind.rawValue)") }
      perOperator[kind.slot] = resolved
    }
    operatorEfficiency = perOperator
    attentionLaw = e.attention ?? .datasheetDefault
    attentionHardware = AttentionHardware(
      peakFLOPSPerSecond: peak, bandwidthBytesPerSecond: gpu.memoryBandwidthBytesPerSecond,
      streamingMultiprocessors: Double(gpu.streamingMultiprocessors ?? 0))
    kernelFloorSeconds = e.kernelFloorSeconds
    if let moe = model.experts {
      guard moe.routedExperts >= 1, moe.expertsPerToken >= 1, moe.expertsPerToken <= moe.routedExperts,
        moe.expertIntermediateSize >= 1
      else { throw CostModelError("model \(model.name) has an invalid expert configuration") }
      guard moe.routedExperts % ep == 0 else {
        throw CostModelError("EP=\(ep) does not divide the \(moe.routedExperts) routed experts of \(model.name)")
      }
    }
    linear = try LinearPrecision.resolve(model: model, gpu: gpu, modelPeak: peak)
    expertLaw = ExpertKernelLaw.fitted(linear.expertWeights)
    expertPeakFLOPSPerSecond = linear.expertWeights.fp8Compute ? linear.peakFLOPSPerSecond : peak
  }

  // MARK: Roofline

  /// Output tile of a tensor-core GEMM, rows × columns: 128 × 128 is the middle of the tile
  /// shapes cuBLAS uses for large fp16/bf16 GEMMs (NVIDIA, Matrix Multiplication Background
  /// User's Guide, DU-09799-001, §2.3: 256×128, 128×256, 128×128, … down to 64×64).
  static let gemmTileRows = 128.0
  static let gemmTileColumns = 128.0
  /// The share of the L2 a streaming kernel's working set can occupy: A100 and H100 split the
  /// L2 into two partitions, each caching the data its own SMs touch (NVIDIA A100 Tensor Core
  /// GPU Architecture whitepaper, "L2 cache"), so data every SM reads fits in one.
  static let l2ResidentFraction = 0.5

  /// How a kernel's arithmetic is rooflined.
  enum KernelClass {
    /// Tensor-core matrix work (GEMMs, prefill attention): achieved FLOP/s follows the
    /// size-dependent compute-efficiency law, which describes exactly these kernels.
    case matrix
    /// Element-wise and streaming kernels (norms, activation, residual adds, rotary, cache
    /// writes, decode attention, lookups): their arithmetic intensity (≈ 0.5–16 FLOP/byte) lies
    /// far below any ridge point, and their small-size slowdown is the memory law's. Their
    /// FLOPs are timed at `computeMax` × peak without the GEMM saturation term, which would
    /// otherwise add its intercept (half-saturation FLOPs / (peak · computeMax), 12.5 µs on an
    /// A100) to every one-token norm and make it falsely compute-bound.
    case streaming
  }

  /// Books one kernel (or a group of `kernels` kernels with these totals) into `cost`.
  ///
  /// `outputRows` × `outputColumns` is the output matrix of a GEMM (tokens × output features),
  /// for wave quantisation (`EfficiencyProfile.waveQuantization`); 0 for other kernels.
  @inline(__always)
  func book(
    _ cost: inout OperatorCost, flops: Double, bytes: Double, kernels: Int, kind: KernelClass,
    outputRows: Double = 0, outputColumns: Double = 0
  ) {
    let time = Self.kernelTime(
      flops: flops, bytes: bytes, kernels: kernels, kind: kind, outputRows: outputRows, outputColumns: outputColumns,
      efficiency: operatorEfficiency[cost.kind.slot], peak: peakFLOPSPerSecond, bandwidth: bandwidth,
      streamingMultiprocessors: streamingMultiprocessors, l2ResidentBytes: l2ResidentBytes,
      kernelFloorSeconds: kernelFloorSeconds)
    bookTimed(
      &cost, flops: flops, bytes: bytes, kernels: kernels, seconds: time.seconds, computeBound: time.computeBound)
  }

  /// Books a kernel whose time is already known (the attention law's).
  @inline(__always)
  func bookTimed(
    _ cost: inout OperatorCost, flops: Double, bytes: Double, kernels: Int, seconds: Double, computeBound: Bool
  ) {
    if computeBound {
      cost.computeBoundSeconds += seconds
    } else {
      cost.memoryBoundSeconds += seconds
    }
    cost.flops += flops
    cost.bytes += bytes
    cost.kernels += kernels
  }

  /// Seconds of one kernel (or `kernels` kernels with these totals) under `efficiency`:
  /// `max(compute, memory) + kernels × launch`; a tensor-core (matrix) kernel is raised to
  /// `kernelFloorSeconds` (streaming kernels' fixed cost is their launch and ramp, fitted apart).
  @inline(__always)
  static func kernelTime(
    flops: Double, bytes: Double, kernels: Int, kind: KernelClass, outputRows: Double, outputColumns: Double,
    efficiency: EfficiencyProfile, peak peakFLOPSPerSecond: Double, bandwidth: Double,
    streamingMultiprocessors: Double, l2ResidentBytes: Double, kernelFloorSeconds: Double
  ) -> (seconds: Double, computeBound: Bool) {
    let computeSeconds: Double
    if flops <= 0 {
      computeSeconds = 0
    } else if kind == .matrix {
      let beta = efficiency.waveQuantization
      if beta > 0, streamingMultiprocessors > 0, outputRows > 0, outputColumns > 0 {
        // Work as if every tile of every wave were full: waves · SMs · tile area over the
        // output area, times the FLOPs; β of that padding costs time (see waveQuantization).
        let tiles = (outputRows / Self.gemmTileRows).rounded(.up) * (outputColumns / Self.gemmTileColumns).rounded(.up)
        let waves = (tiles / streamingMultiprocessors).rounded(.up)
        let padding =
          waves * streamingMultiprocessors * Self.gemmTileRows * Self.gemmTileColumns / (outputRows * outputColumns)
        let effectiveFLOPs = flops * (1 + beta * (padding - 1))
        computeSeconds =
          (effectiveFLOPs + efficiency.computeHalfSaturationFLOPs) / (peakFLOPSPerSecond * efficiency.computeMax)
      } else {
        computeSeconds = flops / (peakFLOPSPerSecond * efficiency.computeEfficiency(flops: flops))
      }
    } else {
      computeSeconds = flops / (peakFLOPSPerSecond * efficiency.computeMax)
    }
    let memorySeconds: Double
    if bytes <= 0 {
      memorySeconds = 0
    } else if kind == .streaming, efficiency.l2ByteCost != 1, l2ResidentBytes > 0 {
      // Per kernel, the bytes that fit in the L2 partition cost κ each, the rest full price.
      let kernelCount = Double(max(kernels, 1))
      let perKernel = bytes / kernelCount
      let resident = min(perKernel, l2ResidentBytes)
      let effectiveBytes = kernelCount * (efficiency.l2ByteCost * resident + (perKernel - resident))
      memorySeconds =
        (effectiveBytes + efficiency.memoryHalfSaturationBytes) / (bandwidth * efficiency.memoryMax)
    } else {
      memorySeconds = bytes / (bandwidth * efficiency.memoryEfficiency(bytes: bytes))
    }
    let count = Double(kernels)
    let floor = kind == .matrix ? count * kernelFloorSeconds : 0
    let seconds = max(max(computeSeconds, memorySeconds) + count * efficiency.kernelLaunchSeconds, floor)
    return (seconds, computeSeconds > memorySeconds)
  }

  // MARK: Weights per GPU

  /// Weight bytes of one decoder layer on one GPU of the TP group.
  public var layerWeightBytesPerGPU: Double {
    if quantizedLinear || model.latentAttention != nil {
      let mlpElements = hidden * mlpUpColumns + mlpInnerColumns * hidden
      let mlpBiases = model.mlpBias ? mlpUpColumns + hidden : 0
      return attentionAndNormWeightBytesPerGPU + mlpElements * linear.weightElementBytes + mlpBiases * elementBytes
    }
    let d = hidden
    let qkv = d * (queryColumns + 2 * kvColumns) + (model.attentionBias ? queryColumns + 2 * kvColumns : 0)
    let out = queryColumns * d + (model.attentionBias ? d : 0)  // row-parallel bias is replicated
    let up = d * mlpUpColumns + (model.mlpBias ? mlpUpColumns : 0)
    let down = mlpInnerColumns * d + (model.mlpBias ? d : 0)
    let norms = d * (model.normalization == .rmsNorm ? 2 : 4)
    return (qkv + out + up + down + norms) * elementBytes
  }

  /// Weight bytes of one layer's attention block and norms on one GPU (projections in their
  /// stored precision, biases and norms in the model's dtype).
  var attentionAndNormWeightBytesPerGPU: Double {
    let d = hidden
    let norms = d * (model.normalization == .rmsNorm ? 2 : 4) * elementBytes
    if let mla = model.latentAttention {
      return latentAttentionWeightElements(mla) * linear.weightElementBytes + norms
    }
    let projections = d * (queryColumns + 2 * kvColumns) + queryColumns * d
    let biases = model.attentionBias ? queryColumns + 2 * kvColumns + d : 0
    return projections * linear.weightElementBytes + biases * elementBytes + norms
  }

  /// Embedding weight bytes on one GPU of the first stage: the vocabulary shard of the token
  /// embedding, plus the (replicated) learned position embedding where the model has one.
  public var embeddingWeightBytesPerGPU: Double {
    let positions = model.positionEmbedding == .learned ? Double(model.maxPositionEmbeddings) * hidden : 0
    return (vocabShard * hidden + positions) * elementBytes
  }

  /// LM-head weight bytes on one GPU of the last stage: final norm plus the vocabulary shard
  /// of the output projection. A tied projection costs nothing extra only when the same GPU
  /// also holds the embedding (`sharesEmbedding`, i.e. one pipeline stage); with PP > 1 the
  /// last stage keeps its own copy (as vLLM does).
  public func lmHeadWeightBytesPerGPU(sharesEmbedding: Bool) -> Double {
    let norm = hidden * (model.normalization == .rmsNorm ? 1 : 2)
    let projection = model.tieWordEmbeddings && sharesEmbedding ? 0 : vocabShard * hidden
    return (norm + projection) * elementBytes
  }

  /// KV-cache bytes one token occupies in one layer on one GPU: 2 (K and V) × KV heads per GPU
  /// × head dim × dtype bytes.
  /// MLA: the latent and rotary key, (kv_lora_rank + rope) elements, on every TP rank.
  public var kvBytesPerTokenPerLayerPerGPU: Double {
    if let mla = model.latentAttention { return latentKVBytesPerToken(mla) }
    return 2 * kvColumns * kvElementBytes
  }

  // MARK: Operators

  /// The cost of one operator of a decoder layer (or `embedding` / `lm_head`) for `batch`.
  public func cost(_ kind: OperatorKind, batch: BatchShape) -> OperatorCost {
    var cost = OperatorCost(kind: kind)
    let tokens = Double(batch.totalTokens)
    guard tokens > 0 else { return cost }
    let d = hidden
    let b = elementBytes
    switch kind {
    case .inputNorm, .postAttentionNorm:
      // Read and write the hidden states; read the norm weights.
      let normWeights = d * (model.normalization == .rmsNorm ? 1 : 2)
      book(
        &cost, flops: normFLOPsPerElement * tokens * d, bytes: (2 * tokens * d + normWeights) * b, kernels: 1,
        kind: .streaming)

    case .qkvProj where model.latentAttention != nil:
      latentProjections(&cost, batch: batch, mla: model.latentAttention!)

    case .qkvProj where quantizedLinear:
      let columns = queryColumns + 2 * kvColumns
      bookLinear(
        &cost, flops: 2 * tokens * d * columns, weightElements: d * columns,
        activationElements: tokens * (d + columns) + (model.attentionBias ? columns : 0), inputElements: tokens * d,
        outputRows: tokens, outputColumns: columns)

    case .qkvProj:
      let columns = queryColumns + 2 * kvColumns
      let bias = model.attentionBias ? columns : 0
      let flops = 2 * tokens * d * columns + (model.attentionBias ? tokens * columns : 0)
      let bytes = (d * columns + bias + tokens * d + tokens * columns) * b
      book(&cost, flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: tokens, outputColumns: columns)

    case .attention:
      if let mla = model.latentAttention {
        latentAttention(&cost, batch: batch, mla: mla)
      } else {
        attention(&cost, batch: batch)
      }

    case .outProj where model.latentAttention != nil:
      let inputs = queryHeadsPerGPU * Double(model.latentAttention!.vHeadDim)
      bookProjection(&cost, rows: tokens, inputs: inputs, outputs: d)

    case .outProj where quantizedLinear:
      bookLinear(
        &cost, flops: 2 * tokens * queryColumns * d, weightElements: queryColumns * d,
        activationElements: tokens * (queryColumns + d) + (model.attentionBias ? d : 0),
        inputElements: tokens * queryColumns, outputRows: tokens, outputColumns: d)

    case .outProj:
      let bias = model.attentionBias ? d : 0
      let flops = 2 * tokens * queryColumns * d + (model.attentionBias ? tokens * d : 0)
      let bytes = (queryColumns * d + bias + tokens * queryColumns + tokens * d) * b
      book(&cost, flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: tokens, outputColumns: d)

    case .residualAdd:
      // Two adds per layer (after attention, after the MLP): read two tensors, write one.
      book(&cost, flops: 2 * tokens * d, bytes: 2 * 3 * tokens * d * b, kernels: 2, kind: .streaming)

    case .mlpUpProj where quantizedLinear:
      bookLinear(
        &cost, flops: 2 * tokens * d * mlpUpColumns, weightElements: d * mlpUpColumns,
        activationElements: tokens * (d + mlpUpColumns) + (model.mlpBias ? mlpUpColumns : 0),
        inputElements: tokens * d, outputRows: tokens, outputColumns: mlpUpColumns)

    case .mlpUpProj:
      let bias = model.mlpBias ? mlpUpColumns : 0
      let flops = 2 * tokens * d * mlpUpColumns + (model.mlpBias ? tokens * mlpUpColumns : 0)
      let bytes = (d * mlpUpColumns + bias + tokens * d + tokens * mlpUpColumns) * b
      book(
        &cost, flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: tokens, outputColumns: mlpUpColumns)

    case .mlpAct:
      // Gated: read gate and up, write their product. Ungated: read and write one tensor.
      let touched = (model.gatedMLP ? 3 : 2) * tokens * mlpInnerColumns
      book(
        &cost, flops: activationFLOPsPerElement * tokens * mlpInnerColumns, bytes: touched * b, kernels: 1,
        kind: .streaming)

    case .mlpDownProj where quantizedLinear:
      bookLinear(
        &cost, flops: 2 * tokens * mlpInnerColumns * d, weightElements: mlpInnerColumns * d,
        activationElements: tokens * (mlpInnerColumns + d) + (model.mlpBias ? d : 0),
        inputElements: tokens * mlpInnerColumns, outputRows: tokens, outputColumns: d)

    case .mlpDownProj:
      let bias = model.mlpBias ? d : 0
      let flops = 2 * tokens * mlpInnerColumns * d + (model.mlpBias ? tokens * d : 0)
      let bytes = (mlpInnerColumns * d + bias + tokens * mlpInnerColumns + tokens * d) * b
      book(&cost, flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: tokens, outputColumns: d)

    case .embedding:
      // A table lookup: no arithmetic counted for it. The vocabulary-parallel lookup (Megatron /
      // vLLM VocabParallelEmbedding) masks the ids outside the rank's shard to row 0, gathers one
      // row for EVERY token and zero-fills the masked rows of the full tokens × hidden output, so
      // each rank moves 2 · tokens · hidden · dtype bytes whatever TP is (read one row per token,
      // write one row per token). The profiled H100 `emb` times are indeed flat in TP. The TP
      // all-reduce that combines the shards is a collective, costed by the replica.
      book(&cost, flops: 0, bytes: 2 * tokens * d * b, kernels: 1, kind: .streaming)
      if model.positionEmbedding == .learned {
        // Add the learned position row: read two tensors, write one; one FLOP per element.
        book(&cost, flops: tokens * d, bytes: 3 * tokens * d * b, kernels: 1, kind: .streaming)
      }

    case .lmHead:
      // The final norm runs on every token; logits only for the tokens that sample: the last
      // token of each sequence (we count every prefill chunk and every decoding sequence).
      let normWeights = d * (model.normalization == .rmsNorm ? 1 : 2)
      book(
        &cost, flops: normFLOPsPerElement * tokens * d, bytes: (2 * tokens * d + normWeights) * b, kernels: 1,
        kind: .streaming)
      let sampled = Double(batch.prefillSequences + batch.decodeSequences)
      let flops = 2 * sampled * d * vocabShard
      let bytes = (d * vocabShard + sampled * d + sampled * vocabShard) * b
      book(&cost, flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: sampled, outputColumns: vocabShard)

    case .router:
      router(&cost, tokens: tokens)

    case .moeExperts:
      routedExperts(&cost, tokens: tokens)

    case .sharedExperts:
      sharedExperts(&cost, tokens: tokens)
    }
    return cost
  }

  /// The operators of one decoder layer for `batch`, in execution order (for `llmplan ops`).
  public func layerOperators(batch: BatchShape) -> [OperatorCost] {
    OperatorKind.layerOperators.map { cost($0, batch: batch) }
  }

  /// One decoder layer's totals for `batch` on one GPU, without allocating.
  public func layerTotals(batch: BatchShape) -> CostTotals {
    var totals = CostTotals()
    for kind in OperatorKind.layerOperators {
      totals.add(cost(kind, batch: batch))
    }
    return totals
  }

  /// Bytes of one tensor-parallel all-reduce message for `batch`: tokens × hidden × dtype
  /// bytes (Megatron-style: after the attention output projection and after the MLP down
  /// projection, and after the vocabulary-parallel embedding).
  @inline(__always)
  public func allReduceBytes(batch: BatchShape) -> Double {
    Double(batch.totalTokens) * hidden * elementBytes
  }

  /// Bytes of the logits the LM head gathers to TP rank 0: sampled tokens × vocabulary × dtype bytes.
  @inline(__always)
  public func logitsBytes(batch: BatchShape) -> Double {
    Double(batch.prefillSequences + batch.decodeSequences) * Double(model.vocabSize) * elementBytes
  }

  /// Bytes of the activations (hidden states) one stage hands to the next: tokens × hidden × dtype bytes.
  @inline(__always)
  public func activationBytes(batch: BatchShape) -> Double {
    Double(batch.totalTokens) * hidden * elementBytes
  }
}

extension OperatorKind {
  /// Position in `OperatorKind.allCases`, without building the array (hot path).
  @inline(__always)
  var slot: Int {
    switch self {
    case .inputNorm: 0
    case .qkvProj: 1
    case .attention: 2
    case .outProj: 3
    case .residualAdd: 4
    case .postAttentionNorm: 5
    case .mlpUpProj: 6
    case .mlpAct: 7
    case .mlpDownProj: 8
    case .embedding: 9
    case .lmHead: 10
    case .router: 11
    case .moeExperts: 12
    case .sharedExperts: 13
    }
  }
}

import PlanCore

extension CostModel {
  /// Attention of one layer: rotary embedding of Q and K (rotary models), the KV-cache write,
  /// and the attention kernels.
  ///
  /// The kernels follow the attention law (`AttentionEfficiency`, `AttentionLaw`), not the GEMM
  /// law: a prefill call (FlashAttention) is timed from its causal, tile-padded FLOPs, the
  /// longest tile over the SMs, its softmax and its bytes; a decode call from its KV bytes (in
  /// `kvElementBytes`: an fp8 cache halves them), a per-call floor and one cost per wave of
  /// (sequence × KV head) units over the SMs. The batch's prefill chunks (and its decoding
  /// sequences) are costed as one call each with their tokens and contexts spread evenly.
  ///
  /// FLOPs booked: 4 · head dim · query heads per scored pair (QKᵀ and P·V), causal pairs
  /// only (`prefillAttentionPairs`); a decoding sequence scores its whole context.
  @inline(__always)
  func attention(_ cost: inout OperatorCost, batch: BatchShape) {
    let tokens = Double(batch.totalTokens)
    let b = elementBytes
    let kvPerToken = 2 * kvColumns * kvElementBytes
    if model.positionEmbedding == .rotary {
      // Rotate Q and K in place: x·cos + rotate(x)·sin, 3 FLOPs per element; read and write.
      let elements = tokens * (queryColumns + kvColumns)
      book(&cost, flops: 3 * elements, bytes: 2 * elements * b, kernels: 1, kind: .streaming)
    }
    // Write the new tokens' K and V into the paged cache (read them, write them).
    book(&cost, flops: 0, bytes: 2 * tokens * kvPerToken, kernels: 1, kind: .streaming)
    let flopsPerPair = 4 * headDim * queryHeadsPerGPU
    if batch.prefillTokens > 0 {
      let sequences = Double(max(batch.prefillSequences, 1))
      let chunk = Double(batch.prefillTokens) / sequences
      let cached = Double(batch.prefillContextTokens - batch.prefillTokens) / sequences
      let call = attentionCall(.prefill, sequences: max(batch.prefillSequences, 1), query: chunk, context: cached)
      let split = AttentionLaw.prefillSplit(call, law: attentionLaw, hardware: attentionHardware)
      let seconds = max(split.compute + split.memory + split.floor, kernelFloorSeconds)
      bookTimed(
        &cost, flops: flopsPerPair * batch.prefillAttentionPairs, bytes: call.queryOutputBytes + call.kvBytes,
        kernels: 1, seconds: seconds, computeBound: split.compute > split.memory)
    }
    if batch.decodeSequences > 0 {
      let context = Double(batch.decodeContextTokens) / Double(batch.decodeSequences)
      let call = attentionCall(.decode, sequences: batch.decodeSequences, query: 1, context: context)
      let seconds = max(
        AttentionLaw.seconds(call, law: attentionLaw, hardware: attentionHardware), kernelFloorSeconds)
      bookTimed(
        &cost, flops: flopsPerPair * Double(batch.decodeContextTokens), bytes: call.queryOutputBytes + call.kvBytes,
        kernels: 1, seconds: seconds, computeBound: false)
    }
  }

  /// One attention call of this model on one GPU of the TP group.
  @inline(__always)
  func attentionCall(_ phase: AttentionCall.Phase, sequences: Int, query: Double, context: Double) -> AttentionCall {
    AttentionCall(
      phase: phase, sequences: sequences, queryTokens: query, contextTokens: context,
      queryHeads: model.numHeads / tp, kvHeads: kvHeadsPerGPU, headDim: model.headDim,
      queryElementBytes: elementBytes, kvElementBytes: kvElementBytes)
  }

  /// Seconds of one bare attention call under this GPU's attention law (for measurements of
  /// the kernel alone), floor included.
  public static func attentionSeconds(_ call: AttentionCall, gpu: GPUSpec, computeDType: DType) throws -> Double {
    guard let peak = gpu.peakFLOPS(computeDType), peak > 0 else {
      throw CostModelError("GPU \(gpu.name) lists no peak dense FLOP/s for \(computeDType.rawValue)")
    }
    let hardware = AttentionHardware(
      peakFLOPSPerSecond: peak, bandwidthBytesPerSecond: gpu.memoryBandwidthBytesPerSecond,
      streamingMultiprocessors: Double(gpu.streamingMultiprocessors ?? 0))
    let law = gpu.efficiency.attention ?? .datasheetDefault
    return max(AttentionLaw.seconds(call, law: law, hardware: hardware), gpu.efficiency.kernelFloorSeconds)
  }
}

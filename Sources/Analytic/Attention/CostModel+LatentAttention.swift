import PlanCore

/// Multi-head latent attention (DeepSeek-V2/V3, arXiv:2405.04434 §2.1) on one GPU of a TP group,
/// as vLLM runs it:
///
/// - projections: `q_a` (d → q_lora_rank, replicated) and `q_b` (→ heads × (nope + rope), split
///   by heads), or one `q` projection without a q latent; `kv_a` (d → kv_lora_rank + rope,
///   replicated); `kv_b` (kv_lora_rank → heads × (nope + v), split by heads); `o` (heads × v → d,
///   row-parallel). Latent norms after `q_a` and `kv_a`.
/// - KV cache: per token and layer the latent and the rotary key, (kv_lora_rank + rope) elements,
///   the same on every TP rank (vLLM stores the whole latent on each rank).
/// - prefill: `kv_b` expands the latents of the whole context into per-head keys and values;
///   FlashAttention over heads of dimension nope + rope (QKᵀ) and v (P·V).
/// - decode: absorbed attention (`W_UK` folded into the query, `W_UV` into the output: one
///   batched GEMM each per token), scoring the latent directly: per pair and head
///   2 · (kv_lora_rank + rope) FLOPs for QKᵀ and 2 · kv_lora_rank for P·V; the bytes are the
///   latent cache, read once for all heads.
extension CostModel {
  /// Query heads on this GPU.
  @inline(__always) var latentHeadsPerGPU: Double { queryHeadsPerGPU }

  /// KV-cache bytes one token occupies in one layer on one GPU (every rank holds the latent).
  func latentKVBytesPerToken(_ mla: LatentAttention) -> Double {
    Double(mla.cachedElementsPerTokenPerLayer) * kvElementBytes
  }

  /// Weight elements of the attention block of one layer on one GPU (norms of the latents included).
  func latentAttentionWeightElements(_ mla: LatentAttention) -> Double {
    let d = hidden
    let h = latentHeadsPerGPU
    let qk = Double(mla.qkNopeHeadDim + mla.qkRopeHeadDim)
    let kvr = Double(mla.kvLoraRank)
    let query: Double
    if let qr = mla.qLoraRank {
      query = d * Double(qr) + Double(qr) + Double(qr) * h * qk
    } else {
      query = d * h * qk
    }
    let kvA = d * (kvr + Double(mla.qkRopeHeadDim)) + kvr
    let kvB = kvr * h * Double(mla.qkNopeHeadDim + mla.vHeadDim)
    let out = h * Double(mla.vHeadDim) * d
    return query + kvA + kvB + out
  }

  /// Books one projection in the model's dtype or, for a quantized model, its stored precision.
  @inline(__always)
  func bookProjection(_ cost: inout OperatorCost, rows: Double, inputs: Double, outputs: Double) {
    guard rows > 0 else { return }
    if quantizedLinear {
      bookLinear(
        &cost, flops: 2 * rows * inputs * outputs, weightElements: inputs * outputs,
        activationElements: rows * (inputs + outputs), inputElements: rows * inputs, outputRows: rows,
        outputColumns: outputs)
    } else {
      book(
        &cost, flops: 2 * rows * inputs * outputs, bytes: (inputs * outputs + rows * (inputs + outputs)) * elementBytes,
        kernels: 1, kind: .matrix, outputRows: rows, outputColumns: outputs)
    }
  }

  /// The query and latent projections of `batch` (MLA's `qkv_proj`): `q_a`/`q_b` (or `q`) and
  /// `kv_a` for every token, `kv_b` for the context of every prefill chunk, and the absorbed
  /// `W_UK`/`W_UV` batched GEMMs of the decoding tokens.
  func latentProjections(_ cost: inout OperatorCost, batch: BatchShape, mla: LatentAttention) {
    let tokens = Double(batch.totalTokens)
    let h = latentHeadsPerGPU
    let qk = Double(mla.qkNopeHeadDim + mla.qkRopeHeadDim)
    let kvr = Double(mla.kvLoraRank)
    if let qr = mla.qLoraRank {
      bookProjection(&cost, rows: tokens, inputs: hidden, outputs: Double(qr))
      bookProjection(&cost, rows: tokens, inputs: Double(qr), outputs: h * qk)
    } else {
      bookProjection(&cost, rows: tokens, inputs: hidden, outputs: h * qk)
    }
    bookProjection(&cost, rows: tokens, inputs: hidden, outputs: kvr + Double(mla.qkRopeHeadDim))
    bookProjection(
      &cost, rows: Double(batch.prefillContextTokens), inputs: kvr,
      outputs: h * Double(mla.qkNopeHeadDim + mla.vHeadDim))
    let decode = Double(batch.decodeSequences)
    if decode > 0 {
      // Absorption: q_nope (heads × nope) → heads × kv_lora_rank, and the latent output
      // heads × kv_lora_rank → heads × v, one batched GEMM over heads each, reading W_UK and W_UV.
      let flops = 2 * decode * h * kvr * Double(mla.qkNopeHeadDim + mla.vHeadDim)
      let weights = h * kvr * Double(mla.qkNopeHeadDim + mla.vHeadDim)
      let activations = decode * h * (Double(mla.qkNopeHeadDim + mla.vHeadDim) + 2 * kvr)
      book(
        &cost, flops: flops, bytes: (weights + activations) * elementBytes, kernels: 2, kind: .matrix,
        outputRows: decode, outputColumns: h * kvr)
    }
  }

  /// MLA's attention operator: rotary on the query's and key's rope parts, the latent cache write,
  /// and the prefill and decode kernels, timed by the attention law on calls whose bytes and
  /// FLOPs are MLA's (see the type comment).
  func latentAttention(_ cost: inout OperatorCost, batch: BatchShape, mla: LatentAttention) {
    let tokens = Double(batch.totalTokens)
    let h = latentHeadsPerGPU
    let rope = Double(mla.qkRopeHeadDim)
    let kvr = Double(mla.kvLoraRank)
    let rotated = tokens * (h * rope + rope)
    book(&cost, flops: 3 * rotated, bytes: 2 * rotated * elementBytes, kernels: 1, kind: .streaming)
    let latentBytes = latentKVBytesPerToken(mla)
    book(&cost, flops: 0, bytes: 2 * tokens * latentBytes, kernels: 1, kind: .streaming)
    let qk = Double(mla.qkNopeHeadDim + mla.qkRopeHeadDim)
    if batch.prefillTokens > 0 {
      let sequences = max(batch.prefillSequences, 1)
      let chunk = Double(batch.prefillTokens) / Double(sequences)
      let cached = Double(batch.prefillContextTokens - batch.prefillTokens) / Double(sequences)
      // Expanded keys and values: a FlashAttention call over heads of dimension nope + rope.
      let call = AttentionCall(
        phase: .prefill, sequences: sequences, queryTokens: chunk, contextTokens: cached, queryHeads: Int(h),
        kvHeads: Int(h), headDim: Int(qk), queryElementBytes: elementBytes, kvElementBytes: elementBytes)
      let split = AttentionLaw.prefillSplit(call, law: attentionLaw, hardware: attentionHardware)
      let seconds = max(split.compute + split.memory + split.floor, kernelFloorSeconds)
      let flopsPerPair = (2 * qk + 2 * Double(mla.vHeadDim)) * h
      bookTimed(
        &cost, flops: flopsPerPair * batch.prefillAttentionPairs, bytes: call.queryOutputBytes + call.kvBytes,
        kernels: 1, seconds: seconds, computeBound: split.compute > split.memory)
    }
    if batch.decodeSequences > 0 {
      let context = Double(batch.decodeContextTokens) / Double(batch.decodeSequences)
      // One latent "KV head" shared by all query heads. The decode law's bytes are
      // 2 × KV heads × head dim × element bytes per token (K and V); the latent cache has
      // kv_lora_rank + rope elements per token, so the call carries half of them as its head dim.
      let call = AttentionCall(
        phase: .decode, sequences: batch.decodeSequences, queryTokens: 1, contextTokens: context,
        queryHeads: Int(h), kvHeads: 1, headDim: mla.cachedElementsPerTokenPerLayer / 2,
        queryElementBytes: elementBytes, kvElementBytes: kvElementBytes)
      let seconds = max(AttentionLaw.seconds(call, law: attentionLaw, hardware: attentionHardware), kernelFloorSeconds)
      let flopsPerPair = (2 * (kvr + rope) + 2 * kvr) * h
      bookTimed(
        &cost, flops: flopsPerPair * Double(batch.decodeContextTokens),
        bytes: Double(batch.decodeContextTokens) * latentBytes, kernels: 1, seconds: seconds, computeBound: false)
    }
  }
}

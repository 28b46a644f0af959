import PlanCore

extension CostModel {
  /// Attention of one layer: rotary embedding of Q and K (rotary models), the KV-cache write,
  /// and the attention kernels, each rooflined on its own.
  ///
  /// FLOPs: every scored (query, key) pair costs 2·headDim for QKᵀ and 2·headDim for P·V, per
  /// query head, so 4·headDim·heads per pair. Prefill scores the causal pairs
  /// (`prefillAttentionPairs`: n(n+1)/2 for a whole prompt of n tokens, with FlashAttention
  /// skipping the masked half); a decoding sequence scores its whole context. Bytes: prefill
  /// (FlashAttention) reads Q, K and V once and writes O, without materialising the scores;
  /// decode reads the sequence's whole KV cache.
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
      let queries = Double(batch.prefillTokens)
      let bytes = 2 * queries * queryColumns * b + Double(batch.prefillContextTokens) * kvPerToken
      book(&cost, flops: flopsPerPair * batch.prefillAttentionPairs, bytes: bytes, kernels: 1, kind: .matrix)
    }
    if batch.decodeSequences > 0 {
      let queries = Double(batch.decodeSequences)
      let context = Double(batch.decodeContextTokens)
      let bytes = 2 * queries * queryColumns * b + context * kvPerToken
      book(&cost, flops: flopsPerPair * context, bytes: bytes, kernels: 1, kind: .streaming)
    }
  }
}

import PlanCore

/// One call of an attention kernel on one GPU: a prefill (FlashAttention over whole prompts or
/// chunks) or a decode step (one query token per sequence against its KV cache). Every
/// sequence of the call has the same shape (the cost model's batch aggregates are spread evenly).
public struct AttentionCall: Sendable, Hashable {
  public enum Phase: String, Sendable, Hashable, Codable { case prefill, decode }
  public var phase: Phase
  public var sequences: Int
  /// New (query) tokens per sequence: the chunk for a prefill, 1 for a decode.
  public var queryTokens: Double
  /// Tokens per sequence already in the KV cache before this call (prefill), or the context a
  /// decoding token attends to (decode, the new token included).
  public var contextTokens: Double
  /// Query and KV heads on this GPU, and their dimension.
  public var queryHeads: Int
  public var kvHeads: Int
  public var headDim: Int
  /// Bytes of one query/output element (the model dtype) and of one KV-cache element.
  public var queryElementBytes: Double
  public var kvElementBytes: Double

  public init(
    phase: Phase, sequences: Int, queryTokens: Double, contextTokens: Double, queryHeads: Int, kvHeads: Int,
    headDim: Int, queryElementBytes: Double = 2, kvElementBytes: Double = 2
  ) {
    self.phase = phase
    self.sequences = sequences
    self.queryTokens = queryTokens
    self.contextTokens = contextTokens
    self.queryHeads = queryHeads
    self.kvHeads = kvHeads
    self.headDim = headDim
    self.queryElementBytes = queryElementBytes
    self.kvElementBytes = kvElementBytes
  }

  /// True when the KV cache holds fp8 (or int8) elements.
  public var lowPrecisionKV: Bool { kvElementBytes < 2 }

  /// The scored (query, key) pairs of the call, causal mask applied: per prefill sequence
  /// n · (c + (n + 1) / 2) for n new tokens after c cached ones (n(n+1)/2 for a whole prompt);
  /// per decode sequence its context.
  public var causalPairs: Double {
    let b = Double(sequences)
    switch phase {
    case .prefill: return b * queryTokens * (contextTokens + (queryTokens + 1) / 2)
    case .decode: return b * contextTokens
    }
  }

  /// FLOPs of the call: 2 · head dim for QKᵀ and 2 · head dim for P·V per pair and query head.
  public var flops: Double { 4 * Double(headDim) * Double(queryHeads) * causalPairs }

  /// KV-cache bytes the call reads once: context (plus the chunk) × 2 (K and V) × KV heads ×
  /// head dim × KV element bytes, per sequence.
  public var kvBytes: Double {
    let tokens = phase == .prefill ? contextTokens + queryTokens : contextTokens
    return Double(sequences) * tokens * 2 * Double(kvHeads) * Double(headDim) * kvElementBytes
  }

  /// Query and output bytes: read Q, write O.
  public var queryOutputBytes: Double {
    Double(sequences) * queryTokens * 2 * Double(queryHeads) * Double(headDim) * queryElementBytes
  }
}

/// The datasheet figures the attention law scales with.
public struct AttentionHardware: Sendable, Hashable {
  /// Peak dense FLOP/s of the attention's compute dtype (the model's).
  public var peakFLOPSPerSecond: Double
  public var bandwidthBytesPerSecond: Double
  /// Streaming multiprocessors; 0 when unknown (no wave or longest-tile terms then).
  public var streamingMultiprocessors: Double

  public init(peakFLOPSPerSecond: Double, bandwidthBytesPerSecond: Double, streamingMultiprocessors: Double) {
    self.peakFLOPSPerSecond = peakFLOPSPerSecond
    self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
    self.streamingMultiprocessors = streamingMultiprocessors
  }
}

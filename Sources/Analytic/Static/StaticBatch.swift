import PlanCore

/// How a static batch's prompts are prefilled.
public enum StaticPrefillMode: String, Sendable, Hashable, Codable, CaseIterable {
  /// Every micro-batch's prompts in one forward pass (B·L tokens at once): the context phase of
  /// FasterTransformer and of TensorRT-LLM's static `gptSessionBenchmark`, which most published
  /// static-batch tables were measured with. The activation peak grows with B·L.
  case whole
  /// Prompts packed into iterations of at most `max_num_batched_tokens` tokens, the last prompt
  /// of an iteration split (vLLM's chunked prefill). Sequences whose prompt is done already
  /// decode alongside later chunks in vLLM; that is not modelled (at most B tokens an iteration).
  case chunked
}

/// B prompts of L tokens, each generating O tokens, processed together from start to end.
public struct StaticBatchShape: Sendable, Hashable, Codable {
  public var batch: Int
  public var inputTokens: Int
  public var outputTokens: Int
  public var prefill: StaticPrefillMode

  public init(batch: Int, inputTokens: Int, outputTokens: Int, prefill: StaticPrefillMode = .whole) {
    self.batch = batch
    self.inputTokens = inputTokens
    self.outputTokens = outputTokens
    self.prefill = prefill
  }

  /// KV tokens each sequence holds at its end: L + O.
  public var tokensPerSequence: Int { inputTokens + outputTokens }
}

/// How B sequences of L + O tokens compare with the KV cache.
public struct StaticBatchMemory: Sendable, Hashable, Codable {
  /// ⌈(L + O) / block⌉: blocks each sequence holds by its last token.
  public var blocksPerSequence: Int
  /// B × `blocksPerSequence`.
  public var blocksNeeded: Int
  /// KV blocks every stage can allocate (after weights, the activation peak of this batch's
  /// largest iteration, and the runtime reserve).
  public var blocksAvailable: Int
  public var blockSizeTokens: Int
  /// Most sequences of L + O tokens the cache holds at once: ⌊available / per sequence⌋.
  public var maxSequences: Int
  /// Tokens of the largest iteration the activation peak is sized for.
  public var activationTokens: Int

  public var fits: Bool { blocksNeeded <= blocksAvailable }
}

/// What a static batch costs, end to end.
public struct StaticBatchPrediction: Sendable, Hashable, Encodable {
  public var shape: StaticBatchShape
  /// Micro-batches in flight through the pipeline: min(PP, B) (1 without PP).
  public var microBatches: Int
  /// Sequences per micro-batch: ⌈B / micro-batches⌉.
  public var sequencesPerMicroBatch: Int
  /// Forward passes each micro-batch's prefill takes (1 when whole).
  public var prefillIterations: Int
  /// Time to the batch's first tokens: every prompt prefilled, seconds.
  public var prefillSeconds: Double
  /// Decode steps after the prefill: O − 1 (the prefill yields each sequence's first token).
  public var decodeSteps: Int
  /// Time per output token of the first decode step (context L + 1), the mean over steps, and
  /// the last (context L + O − 1); nil when O = 1.
  public var firstStepSeconds: Double?
  public var meanStepSeconds: Double?
  public var lastStepSeconds: Double?
  /// Σ of the decode steps, seconds.
  public var decodeSeconds: Double
  /// Prefill + decode, seconds.
  public var totalSeconds: Double
  /// B·O / total (one replica).
  public var outputTokensPerSecond: Double
  /// B·(L + O) / total (one replica).
  public var totalTokensPerSecond: Double
  /// Output tokens/s of every DP replica running its own batch of B.
  public var layoutOutputTokensPerSecond: Double
  public var prefillBreakdown: TimeBreakdown
  public var decodeBreakdown: TimeBreakdown
  public var memory: StaticBatchMemory
}

/// A static batch that does not fit in the KV cache.
public struct StaticBatchCapacityError: Error, CustomStringConvertible, Sendable, Equatable {
  public let shape: StaticBatchShape
  public let memory: StaticBatchMemory

  public var description: String {
    "\(shape.batch) sequences of \(shape.inputTokens) + \(shape.outputTokens) tokens need "
      + "\(memory.blocksNeeded) KV blocks of \(memory.blockSizeTokens) tokens, but the KV cache holds "
      + "\(memory.blocksAvailable) next to a \(memory.activationTokens)-token pass: at most \(memory.maxSequences) "
      + "such sequences fit"
  }
}

/// What one engine iteration of one replica processes, aggregated so that timing it is O(1)
/// and allocation-free (the simulator calls this for every iteration).
///
/// With continuous batching an iteration mixes prefill chunks and decode steps. GEMM cost
/// depends only on the total token count; attention cost on how many (query, key) pairs are
/// scored and how much KV cache is read, which these sums capture exactly.
public struct BatchShape: Sendable, Hashable {
  /// New prompt tokens processed this iteration (all prefill chunks together).
  public var prefillTokens: Int
  /// Sequences contributing a prefill chunk.
  public var prefillSequences: Int
  /// Σ over prefill chunks of n · (c + (n + 1) / 2), with n the chunk's tokens and c the tokens
  /// already in that sequence's cache: the causal (query, key) pairs attention scores.
  public var prefillAttentionPairs: Double
  /// Σ over prefill chunks of (c + n): KV tokens a chunk's attention reads.
  public var prefillContextTokens: Int
  /// Sequences producing one decode token each.
  public var decodeSequences: Int
  /// Σ over decoding sequences of their current context length (KV tokens read).
  public var decodeContextTokens: Int

  public init(
    prefillTokens: Int = 0, prefillSequences: Int = 0, prefillAttentionPairs: Double = 0,
    prefillContextTokens: Int = 0, decodeSequences: Int = 0, decodeContextTokens: Int = 0
  ) {
    self.prefillTokens = prefillTokens
    self.prefillSequences = prefillSequences
    self.prefillAttentionPairs = prefillAttentionPairs
    self.prefillContextTokens = prefillContextTokens
    self.decodeSequences = decodeSequences
    self.decodeContextTokens = decodeContextTokens
  }

  /// Tokens through the GEMMs: every prefill token plus one per decoding sequence.
  @inline(__always) public var totalTokens: Int { prefillTokens + decodeSequences }
  public var isEmpty: Bool { totalTokens == 0 }

  /// Adds a prefill chunk of `tokens` new tokens to a sequence that already has `cached` tokens.
  @inline(__always)
  public mutating func addPrefill(tokens: Int, cached: Int) {
    prefillTokens += tokens
    prefillSequences += 1
    prefillAttentionPairs += Double(tokens) * (Double(cached) + Double(tokens + 1) / 2)
    prefillContextTokens += cached + tokens
  }

  /// Adds one decoding sequence whose cache holds `context` tokens.
  @inline(__always)
  public mutating func addDecode(context: Int) {
    decodeSequences += 1
    decodeContextTokens += context
  }

  /// One whole prompt of `tokens` tokens, no cache.
  public static func prefill(tokens: Int) -> BatchShape {
    var shape = BatchShape()
    shape.addPrefill(tokens: tokens, cached: 0)
    return shape
  }

  /// `batch` sequences decoding one token each with `context` tokens cached.
  public static func decode(batch: Int, context: Int) -> BatchShape {
    BatchShape(decodeSequences: batch, decodeContextTokens: batch * context)
  }
}

/// Times the iterations of one replica, stage by stage. Implemented by the analytic
/// `ReplicaCostModel`; the simulator depends only on this protocol (and tests may supply
/// their own timings, e.g. deterministic service for M/D/1).
public protocol IterationTiming: Sendable {
  /// Pipeline stages of the replica.
  var stageCount: Int { get }
  /// Seconds stage `stage` is busy computing `batch` (its layers, its TP collectives, and
  /// the embedding / LM head where the stage holds them).
  func stageSeconds(stage: Int, batch: BatchShape) -> Double
  /// Seconds to send the activations of `batch` from `stage` to `stage + 1`.
  func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double
}

/// An `IterationTiming` held by reference. A large timing value (a `ReplicaCostModel` holds its
/// cost model, collective curves and layer split) behind `any IterationTiming` is copied on
/// each call in the simulator's event loop; behind this class the existential holds one
/// pointer and every call reads the value in place.
public final class IterationTimingReference<Timing: IterationTiming>: IterationTiming {
  public let timing: Timing

  public init(_ timing: Timing) { self.timing = timing }

  public var stageCount: Int { timing.stageCount }

  public func stageSeconds(stage: Int, batch: BatchShape) -> Double {
    timing.stageSeconds(stage: stage, batch: batch)
  }

  public func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double {
    timing.transferSeconds(afterStage: stage, batch: batch)
  }
}

/// `timing` behind a reference (`IterationTimingReference`, the existential opened to its
/// concrete type); a timing already held by reference is returned as it is. The simulators
/// store their timings this way.
public func iterationTimingByReference(_ timing: any IterationTiming) -> any IterationTiming {
  func wrap<T: IterationTiming>(_ value: T) -> any IterationTiming {
    T.self is AnyObject.Type ? value : IterationTimingReference<T>(value)
  }
  return wrap(timing)
}

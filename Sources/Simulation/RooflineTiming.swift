import Analytic

/// A small, self-contained roofline `IterationTiming` for tests and benchmarks: NOT the
/// analytic cost model (that is `Analytic.ReplicaCostModel`), just enough physics to make
/// iteration times realistic in shape.
///
/// Per stage (the model's layers split evenly over `stageCount` stages):
///   seconds = overhead + max(memory, compute)
///   memory  = (weight bytes + KV bytes per token × KV tokens read) / bytes per second
///   compute = (FLOP per token × tokens + attention FLOP per pair × (query, key) pairs) / FLOP per second
/// with KV tokens read = prefill context + decode context, pairs = prefill pairs + decode
/// context. A transfer sends hidden-size activations (2 bytes each) per token:
///   seconds = link latency + activation bytes per token × tokens / link bytes per second.
public struct SimpleRooflineTiming: IterationTiming, Hashable {
  public var stageCount: Int
  public var overheadSeconds: Double
  public var weightBytes: Double
  public var kvBytesPerToken: Double
  public var flopsPerToken: Double
  public var attentionFlopsPerPair: Double
  public var flopsPerSecond: Double
  public var bytesPerSecond: Double
  public var activationBytesPerToken: Double
  public var linkBytesPerSecond: Double
  public var linkLatencySeconds: Double

  /// Whole-model figures; each stage gets 1/`stageCount` of the weights, KV and FLOPs.
  public init(
    stageCount: Int, overheadSeconds: Double, weightBytes: Double, kvBytesPerToken: Double, flopsPerToken: Double,
    attentionFlopsPerPair: Double, flopsPerSecond: Double, bytesPerSecond: Double, activationBytesPerToken: Double,
    linkBytesPerSecond: Double, linkLatencySeconds: Double
  ) {
    let stages = Double(stageCount)
    self.stageCount = stageCount
    self.overheadSeconds = overheadSeconds
    self.weightBytes = weightBytes / stages
    self.kvBytesPerToken = kvBytesPerToken / stages
    self.flopsPerToken = flopsPerToken / stages
    self.attentionFlopsPerPair = attentionFlopsPerPair / stages
    self.flopsPerSecond = flopsPerSecond
    self.bytesPerSecond = bytesPerSecond
    self.activationBytesPerToken = activationBytesPerToken
    self.linkBytesPerSecond = linkBytesPerSecond
    self.linkLatencySeconds = linkLatencySeconds
  }

  /// Llama-2-7B (6.74·10⁹ parameters, 32 layers, hidden 4096, fp16) on one A100-80GB:
  /// 312 TFLOP/s dense fp16 at 70 % (≈ 62 µs per prompt token, the figure vLLM reaches on
  /// long prefills), 2.039 TB/s HBM at 80 %, 1 ms per-iteration overhead (scheduler, sampling,
  /// kernel launches). Weights 2 bytes × 6.74·10⁹; KV 2 (K, V) × 32 layers × 4096 × 2 bytes
  /// = 524,288 bytes per token; 2 FLOP per parameter per token; attention 4 × 32 × 4096 FLOP
  /// per (query, key) pair (QKᵀ and AV). Stage links: NVLink 300 GB/s, 5 µs.
  public static func llama2_7B_A100(stages: Int = 1) -> SimpleRooflineTiming {
    SimpleRooflineTiming(
      stageCount: stages, overheadSeconds: 1e-3, weightBytes: 2 * 6.74e9, kvBytesPerToken: 524_288,
      flopsPerToken: 2 * 6.74e9, attentionFlopsPerPair: 4 * 32 * 4096, flopsPerSecond: 0.7 * 312e12,
      bytesPerSecond: 0.8 * 2.039e12, activationBytesPerToken: 2 * 4096, linkBytesPerSecond: 300e9,
      linkLatencySeconds: 5e-6)
  }

  /// KV-cache blocks (16 tokens) of Llama-2-7B on one A100-80GB at 90 % memory use:
  /// (0.9 × 80 GB − 13.48 GB weights − ≈1 GB activations and runtime) / 524,288 bytes per
  /// token ≈ 109,700 tokens ≈ 6,850 blocks.
  public static let llama2_7B_A100_kvCacheBlocks = 6850

  public func stageSeconds(stage: Int, batch: BatchShape) -> Double {
    let kvTokens = Double(batch.prefillContextTokens + batch.decodeContextTokens)
    let pairs = batch.prefillAttentionPairs + Double(batch.decodeContextTokens)
    let memory = (weightBytes + kvBytesPerToken * kvTokens) / bytesPerSecond
    let compute = (flopsPerToken * Double(batch.totalTokens) + attentionFlopsPerPair * pairs) / flopsPerSecond
    return overheadSeconds + max(memory, compute)
  }

  public func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double {
    linkLatencySeconds + activationBytesPerToken * Double(batch.totalTokens) / linkBytesPerSecond
  }
}

import PlanCore

/// The operators of one engine iteration, named as `llmplan ops` prints them.
///
/// A decoder layer runs, in order: `input_norm`, `qkv_proj`, `attention` (rotary, KV-cache
/// write, prefill and decode attention kernels), `out_proj`, `residual_add` (both residual adds
/// of the layer), `post_attention_norm`, `mlp_up_proj` (gate and up fused when the MLP is gated),
/// `mlp_act`, `mlp_down_proj`. The first pipeline stage adds `embedding`, the last `lm_head`
/// (final norm and vocabulary projection). A mixture-of-experts layer replaces the three MLP
/// operators with `router` (gate GEMM, softmax and top-k), `moe_experts` (the fused routed-expert
/// call on this GPU's experts) and `shared_experts` (a dense gated MLP, when the model has them).
public enum OperatorKind: String, CaseIterable, Sendable, Codable {
  case inputNorm = "input_norm"
  case qkvProj = "qkv_proj"
  case attention
  case outProj = "out_proj"
  case residualAdd = "residual_add"
  case postAttentionNorm = "post_attention_norm"
  case mlpUpProj = "mlp_up_proj"
  case mlpAct = "mlp_act"
  case mlpDownProj = "mlp_down_proj"
  case embedding
  case lmHead = "lm_head"
  case router
  case moeExperts = "moe_experts"
  case sharedExperts = "shared_experts"

  /// The operators of one decoder layer, in execution order.
  public static let layerOperators: [OperatorKind] = [
    .inputNorm, .qkvProj, .attention, .outProj, .residualAdd, .postAttentionNorm, .mlpUpProj, .mlpAct,
    .mlpDownProj,
  ]
}

/// Which roofline limit an operator (or part of one) hits.
public enum RooflineBound: String, Sendable, Codable {
  /// FLOPs / achieved FLOP/s exceeds bytes / achieved bandwidth.
  case compute
  /// Bytes / achieved bandwidth is the larger (or equal) time.
  case memory
}

/// Work and time of one operator on one GPU (its TP shard), for one iteration.
///
/// An operator may run several kernels (attention: rotary, cache write, prefill and decode
/// kernels); each kernel is rooflined on its own and its time, launch included, is booked to the
/// bound it hits. `seconds` is their sum.
public struct OperatorCost: Sendable, Hashable {
  public var kind: OperatorKind
  /// Floating-point operations on this GPU.
  public var flops: Double
  /// Bytes moved between HBM and the chip on this GPU (weights, activations, KV cache).
  public var bytes: Double
  /// Kernels launched.
  public var kernels: Int
  /// Seconds of the kernels that were compute-bound, launches included.
  public var computeBoundSeconds: Double
  /// Seconds of the kernels that were memory-bound, launches included.
  public var memoryBoundSeconds: Double

  public init(kind: OperatorKind) {
    self.kind = kind
    flops = 0
    bytes = 0
    kernels = 0
    computeBoundSeconds = 0
    memoryBoundSeconds = 0
  }

  public var name: String { kind.rawValue }
  /// Total seconds of the operator on one GPU.
  @inline(__always) public var seconds: Double { computeBoundSeconds + memoryBoundSeconds }
  /// The bound that accounts for most of the operator's time.
  public var bound: RooflineBound { computeBoundSeconds > memoryBoundSeconds ? .compute : .memory }
}

/// Sums of operator costs (a layer, a stage), allocation-free.
public struct CostTotals: Sendable, Hashable {
  public var flops: Double = 0
  public var bytes: Double = 0
  public var computeBoundSeconds: Double = 0
  public var memoryBoundSeconds: Double = 0

  public init() {}

  @inline(__always) public var seconds: Double { computeBoundSeconds + memoryBoundSeconds }

  @inline(__always)
  public mutating func add(_ cost: OperatorCost) {
    flops += cost.flops
    bytes += cost.bytes
    computeBoundSeconds += cost.computeBoundSeconds
    memoryBoundSeconds += cost.memoryBoundSeconds
  }

  /// This total repeated `count` times (e.g. one layer × the layers of a stage).
  @inline(__always)
  public func scaled(_ count: Double) -> CostTotals {
    var result = self
    result.flops *= count
    result.bytes *= count
    result.computeBoundSeconds *= count
    result.memoryBoundSeconds *= count
    return result
  }
}

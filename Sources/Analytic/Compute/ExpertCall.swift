import PlanCore

/// One call of a fused MoE expert kernel on one GPU (vLLM `fused_experts`: align the routed
/// tokens by expert, the gate-and-up grouped GEMM, SiLU × up, the down grouped GEMM, the
/// weighted sum of each token's top-k outputs): only the experts this GPU holds, only the
/// (token, expert) pairs routed to them. Router, shared experts and the expert-parallel
/// all-to-all are not part of it.
public struct ExpertCall: Sendable, Hashable {
  /// The kernel family the call runs, set by how the expert weights are stored.
  public enum Weights: String, Sendable, Hashable, CaseIterable {
    /// bf16/fp16 weights and activations (vLLM's Triton fused MoE).
    case bf16
    /// fp8 weights with one fp32 scale per 128 × 128 block, fp8 activations (DeepSeek-V3 and
    /// Qwen3 fp8 checkpoints; Triton or FlashInfer CUTLASS grouped GEMMs).
    case fp8Block = "fp8_block"
    /// fp8 weights with one scale per tensor, fp8 activations (ModelOpt checkpoints, FlashInfer CUTLASS).
    case fp8PerTensor = "fp8"
    /// int4 weights with a bf16 scale per group of 128, bf16 activations (Marlin MoE, w4a16).
    case int4 = "int4"

    /// Whether the grouped GEMMs run on the fp8 tensor cores (w8a8).
    public var fp8Compute: Bool { self == .fp8Block || self == .fp8PerTensor }
  }

  public var weights: Weights
  /// Model width d (the input and output of each expert).
  public var hidden: Double
  /// One expert's MLP width on this GPU: its intermediate size, ÷ TP when experts are split by columns.
  public var columns: Double
  /// Experts on this GPU that receive at least one token (only their weights are read).
  public var activeExperts: Double
  /// (token, expert) pairs routed to this GPU's experts: the rows of its grouped GEMMs.
  public var rows: Double
  /// Bytes of one stored weight element, scales included.
  public var weightElementBytes: Double

  public init(
    weights: Weights, hidden: Double, columns: Double, activeExperts: Double, rows: Double, weightElementBytes: Double
  ) {
    self.weights = weights
    self.hidden = hidden
    self.columns = columns
    self.activeExperts = activeExperts
    self.rows = rows
    self.weightElementBytes = weightElementBytes
  }

  /// FLOPs of the two grouped GEMMs of a gated expert: 2 · rows · d · 2f (gate and up) plus
  /// 2 · rows · f · d (down) = 2 · rows · 3 · d · f.
  public var flops: Double { 2 * rows * 3 * hidden * columns }

  /// Weight bytes read: every active expert's gate, up and down matrices (3 · d · f elements).
  public var weightBytes: Double { activeExperts * 3 * hidden * columns * weightElementBytes }

  /// Activation bytes moved, in bf16: per row read x (d), write gate and up (2f), read them
  /// (2f), write the product (f), read it (f), write the output (d): 2d + 6f elements.
  public var activationBytes: Double { rows * (2 * hidden + 6 * columns) * 2 }

  /// Bytes of one stored weight element: bf16 2; fp8 block 1 + one fp32 scale per 128 × 128
  /// block; fp8 per tensor 1; int4 ½ + one bf16 scale per group of 128 (AIConfigurator's
  /// `int4_wo`: symmetric, no zero points).
  public static func elementBytes(_ weights: Weights) -> Double {
    switch weights {
    case .bf16: return 2
    case .fp8Block: return 1 + 4 / (128 * 128)
    case .fp8PerTensor: return 1
    case .int4: return 0.5 + 2.0 / 128
    }
  }
}

/// The time law of a fused MoE expert call, linear in its coefficients (so that it is fitted by
/// one relative least-squares solve, like `AttentionLaw`):
///
/// `floor + perActiveExpert · active experts + weightByteCost · weight bytes / bandwidth
///  + activationByteCost · activation bytes / bandwidth + computeCost · FLOPs / peak`.
///
/// Costs are reciprocal efficiencies against the GPU's datasheet bandwidth and the peak of the
/// call's compute dtype (fp8 for w8a8, else bf16), so the law carries to another GPU's rates.
/// The per-active-expert time stands for what each busy expert adds besides its bytes: its
/// tiles of few rows (tile padding) and its scheduling. A 64-row tile-padded FLOP count was
/// tried as the compute measure and fitted no better on the held-out half (bf16 12.9 % vs
/// 12.8 %) while pulling the weight-byte cost below 1 (faster than the datasheet bandwidth).
public struct ExpertKernelLaw: Sendable, Hashable {
  public var floorSeconds: Double
  public var perActiveExpertSeconds: Double
  public var weightByteCost: Double
  public var activationByteCost: Double
  public var computeCost: Double

  public init(
    floorSeconds: Double, perActiveExpertSeconds: Double, weightByteCost: Double, activationByteCost: Double,
    computeCost: Double
  ) {
    self.floorSeconds = floorSeconds
    self.perActiveExpertSeconds = perActiveExpertSeconds
    self.weightByteCost = weightByteCost
    self.activationByteCost = activationByteCost
    self.computeCost = computeCost
  }

  public init(_ vector: [Double]) {
    self.init(
      floorSeconds: vector[0], perActiveExpertSeconds: vector[1], weightByteCost: vector[2],
      activationByteCost: vector[3], computeCost: vector[4])
  }

  public static let parameterNames = [
    "floor (s)", "per active expert (s)", "weight byte cost", "activation byte cost", "compute cost",
  ]
  public var vector: [Double] {
    [floorSeconds, perActiveExpertSeconds, weightByteCost, activationByteCost, computeCost]
  }

  /// The work measures the coefficients multiply, in `parameterNames` order.
  @inline(__always)
  public static func features(
    _ call: ExpertCall, peakFLOPSPerSecond: Double, bandwidthBytesPerSecond: Double
  )
    -> SIMD8<Double>
  {
    SIMD8(
      1, call.activeExperts, call.weightBytes / bandwidthBytesPerSecond,
      call.activationBytes / bandwidthBytesPerSecond, call.flops / peakFLOPSPerSecond, 0, 0, 0)
  }

  @inline(__always) var coefficients: SIMD8<Double> {
    SIMD8(floorSeconds, perActiveExpertSeconds, weightByteCost, activationByteCost, computeCost, 0, 0, 0)
  }

  /// Seconds of `call`, and whether its compute term exceeds its byte terms.
  @inline(__always)
  public func seconds(
    _ call: ExpertCall, peakFLOPSPerSecond: Double, bandwidthBytesPerSecond: Double
  ) -> (
    seconds: Double, computeBound: Bool
  ) {
    guard call.rows > 0 else { return (0, false) }
    let f = Self.features(
      call, peakFLOPSPerSecond: peakFLOPSPerSecond, bandwidthBytesPerSecond: bandwidthBytesPerSecond)
    let terms = f * coefficients
    return (terms.sum(), terms[4] > terms[2] + terms[3])
  }

  /// The law of each kernel family, fitted on NVIDIA AIConfigurator's H100 SXM `moe_perf` table
  /// under vLLM 0.24 (balanced routing; /work/shared/calibration-data/h100-sxm-vllm/moe.csv,
  /// subset in Models/measurements/h100-sxm-vllm/moe-subset.csv) by iteratively reweighted
  /// relative least squares on the interleaved fit half, with `llmplan accuracy --gpu
  /// h100-80gb-sxm --measurements …/moe.csv --fit-moe`; held-out errors below (`llmplan accuracy
  /// --holdout` on the same file scores them). GPUs without MoE timings use these
  /// costs on their own datasheet rates (as attention uses `AttentionEfficiency.datasheetDefault`).
  public static func fitted(_ weights: ExpertCall.Weights) -> ExpertKernelLaw {
    switch weights {
    case .bf16: return h100BF16
    case .fp8Block: return h100FP8Block
    case .fp8PerTensor: return h100FP8PerTensor
    case .int4: return h100Int4
    }
  }

  // `[floor, per active expert, weight byte cost, activation byte cost, compute cost]`, fitted
  // on the interleaved fit half of all balanced rows of moe.csv; held-out median |error|
  // (all / ≤ 64 tokens / > 64 tokens): bf16 (Triton) 11.0 / 7.6 / 13.3 %, fp8 block (Triton at
  // EP 1, FlashInfer CUTLASS with EP) 7.1 / 4.5 / 8.0 %, fp8 per tensor (FlashInfer CUTLASS)
  // 13.7 / 15.6 / 12.7 %, int4 (Marlin) 11.0 / 2.8 / 17.1 %. The per-tensor fp8 kernel pays
  // 1.3 µs per busy expert and reads weights at 1/4.7 of the datasheet bandwidth in these
  // timings (about 50 µs per 25 MB expert): slower than block-scaled fp8, as measured.
  static let h100BF16 = ExpertKernelLaw([3.899e-05, 6.034e-08, 1.072, 1.871, 1.02])
  static let h100FP8Block = ExpertKernelLaw([3.171e-05, 9.638e-08, 1.105, 2.414, 1.822])
  static let h100FP8PerTensor = ExpertKernelLaw([3.35e-05, 1.303e-06, 4.734, 3.283, 2.205])
  static let h100Int4 = ExpertKernelLaw([4.892e-05, 1.466e-07, 1.133, 3.043, 2.998])
}

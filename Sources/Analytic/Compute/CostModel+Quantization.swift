import PlanCore

/// How the linear layers (attention projections, MLP, experts) of a model run on a GPU: the
/// bytes of a stored weight element and the rate their GEMMs compute at. Embeddings, norms, the
/// router and the LM head stay in the model's dtype (`WeightQuantization`).
struct LinearPrecision: Sendable, Hashable {
  /// Bytes of one stored weight element, scales and zero points included.
  var weightElementBytes: Double
  /// Peak FLOP/s the GEMMs are timed against.
  var peakFLOPSPerSecond: Double
  /// The GEMM law at that peak (fp8/int8 w8a8: `gemm_dtypes`); nil: the per-operator profile.
  var gemmLaw: EfficiencyProfile?
  /// True for w8a8: the activations are quantized by one more streaming kernel per GEMM.
  var quantizesActivations: Bool
  /// The MoE kernel family of the experts.
  var expertWeights: ExpertCall.Weights

  /// Compute rate of weight-only (w4a16, w8a16) GEMMs relative to the same GEMM in bf16/fp16:
  /// the weights are dequantised in registers before the bf16 tensor-core MMA, so memory-bound
  /// (decode) GEMMs gain the byte ratio and compute-bound ones lose a little. Marlin, the kernel
  /// vLLM runs for AWQ/GPTQ on Ampere and Hopper, keeps ~0.9 of FP16 on large-batch
  /// (≥ 1024-token) GEMMs: Frantar et al., "MARLIN: Mixed-Precision Auto-Regressive Parallel
  /// Inference on Large Language Models", arXiv:2408.11743, GEMM benchmarks (large-batch
  /// prefill ~10 % slower than FP16 cuBLAS).
  static let weightOnlyComputeFactor = 0.9

  /// Bytes per stored weight element of `q`: bits / 8, plus a 16-bit scale per group (AWQ,
  /// GPTQ: fp16 scales), plus AWQ's packed zero point per group (bits / 8 per group); fp8
  /// groups are 2-D blocks of groupSize × groupSize with an fp32 scale (DeepSeek-V3's 128 × 128).
  /// nil group: one scale per output row, negligible (≤ 2 bytes per thousands of elements).
  static func weightElementBytes(_ q: WeightQuantization) -> Double {
    let value = Double(q.bits) / 8
    guard let g = q.groupSize, g > 0 else { return value }
    let group = Double(g)
    switch q.method {
    case .fp8: return value + 4 / (group * group)
    case .awq: return value + 2 / group + value / group
    case .gptq, .int8: return value + 2 / group
    }
  }

  /// - Throws: `CostModelError` when the weights need tensor cores the GPU lacks (fp8 w8a8 on an
  ///   A100, int8 w8a8 without an int8 peak) or have an unsupported bit width.
  static func resolve(model: ModelSpec, gpu: GPUSpec, modelPeak: Double) throws -> LinearPrecision {
    let modelBytes = model.dtype.bytes
    guard let q = model.weightQuantization else {
      return LinearPrecision(
        weightElementBytes: modelBytes, peakFLOPSPerSecond: modelPeak, gemmLaw: nil, quantizesActivations: false,
        expertWeights: .bf16)
    }
    guard q.bits == 4 || q.bits == 8 else {
      throw CostModelError(
        "model \(model.name): \(q.bits)-bit \(q.method.rawValue) weights are not modelled (4 or 8 bits)")
    }
    let bytes = weightElementBytes(q)
    if q.quantizedActivations {
      let dtype: DType = q.method == .fp8 ? .fp8 : .int8
      guard q.bits == 8 else {
        throw CostModelError("model \(model.name): \(q.bits)-bit weights with quantized activations are not modelled")
      }
      guard let peak = gpu.peakFLOPS(dtype), peak > 0, let law = gpu.efficiency.gemmLaw(dtype) else {
        throw CostModelError(
          "GPU \(gpu.name) has no \(dtype.rawValue) tensor cores (no peak_dense.\(dtype.rawValue)): \(model.name)'s \(q.method.rawValue) weights with \(dtype.rawValue) activations (w8a8) cannot run there; use weight-only int8 (w8a16) or int4 (AWQ/GPTQ, w4a16) weights instead"
        )
      }
      let experts: ExpertCall.Weights = dtype == .fp8 ? (q.groupSize == nil ? .fp8PerTensor : .fp8Block) : .bf16
      return LinearPrecision(
        weightElementBytes: bytes, peakFLOPSPerSecond: peak, gemmLaw: law, quantizesActivations: true,
        expertWeights: experts)
    }
    return LinearPrecision(
      weightElementBytes: bytes, peakFLOPSPerSecond: modelPeak * weightOnlyComputeFactor, gemmLaw: nil,
      quantizesActivations: false, expertWeights: q.bits == 4 ? .int4 : .bf16)
  }
}

extension CostModel {
  /// Whether the linear layers are stored or computed in another precision than the model's
  /// dtype (then `bookLinear` times them; dense unquantized models keep the original arithmetic).
  @inline(__always) var quantizedLinear: Bool { model.weightQuantization != nil }

  /// Books one projection GEMM of a quantized model: `weightElements` weights in their stored
  /// precision, `activationElements` inputs and outputs in the model's dtype, at the linear
  /// layers' compute rate; w8a8 adds the activation quantisation (read bf16, write fp8).
  @inline(__always)
  func bookLinear(
    _ cost: inout OperatorCost, flops: Double, weightElements: Double, activationElements: Double,
    inputElements: Double,
    outputRows: Double, outputColumns: Double
  ) {
    let bytes = weightElements * linear.weightElementBytes + activationElements * elementBytes
    let time = Self.kernelTime(
      flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: outputRows, outputColumns: outputColumns,
      efficiency: linear.gemmLaw ?? operatorEfficiency[cost.kind.slot], peak: linear.peakFLOPSPerSecond,
      bandwidth: bandwidth, streamingMultiprocessors: streamingMultiprocessors, l2ResidentBytes: l2ResidentBytes,
      kernelFloorSeconds: kernelFloorSeconds)
    bookTimed(&cost, flops: flops, bytes: bytes, kernels: 1, seconds: time.seconds, computeBound: time.computeBound)
    if linear.quantizesActivations {
      book(&cost, flops: 0, bytes: inputElements * (elementBytes + 1), kernels: 1, kind: .streaming)
    }
  }
}

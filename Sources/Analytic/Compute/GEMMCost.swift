import PlanCore

/// A bare GEMM, C[m × n] = A[m × k] · B[k × n], as the cost model times a projection: for
/// measurements of the kernel alone and for per-dtype laws.
public struct GEMMShape: Sendable, Hashable {
  public var m: Int
  public var n: Int
  public var k: Int
  /// Input dtype: fp16/bf16 use the GPU's own GEMM law; fp8 the `gemm_dtypes.fp8` law at the
  /// fp8 peak (per-tensor scaled, bf16 output).
  public var dtype: DType

  public init(m: Int, n: Int, k: Int, dtype: DType) {
    self.m = m
    self.n = n
    self.k = k
    self.dtype = dtype
  }

  public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

  /// Bytes: read A and B in the input dtype, write C in bf16 (fp8 GEMMs dequantise into bf16).
  public var bytes: Double {
    let input = dtype.bytes
    let output = dtype == .fp8 || dtype == .int8 ? 2.0 : dtype.bytes
    return (Double(m) * Double(k) + Double(k) * Double(n)) * input + Double(m) * Double(n) * output
  }
}

extension CostModel {
  /// Seconds of one GEMM on `gpu` for `shape`: the matrix roofline of the projections
  /// (`kernelTime`), with the GEMM law of the input dtype. An fp8 GEMM adds the quantisation of
  /// its activations (vLLM's per-tensor fp8 path: read A in bf16, write it in fp8, one more
  /// kernel, streaming).
  ///
  /// - Throws: `CostModelError` when the GPU has no peak for the dtype (A100: no fp8 tensor
  ///   cores) or no GEMM law for it.
  public static func gemmSeconds(_ shape: GEMMShape, gpu: GPUSpec) throws -> Double {
    guard let peak = gpu.peakFLOPS(shape.dtype), peak > 0 else {
      throw CostModelError(
        "GPU \(gpu.name) lists no peak dense FLOP/s for \(shape.dtype.rawValue): it cannot run \(shape.dtype.rawValue) GEMMs on tensor cores"
      )
    }
    guard let law = gpu.efficiency.gemmLaw(shape.dtype) else {
      throw CostModelError(
        "GPU \(gpu.name) has no GEMM law for \(shape.dtype.rawValue) (efficiency.gemm_dtypes.\(shape.dtype.rawValue))")
    }
    let sms = Double(gpu.streamingMultiprocessors ?? 0)
    let l2 = (gpu.l2CacheBytes ?? 0) * l2ResidentFraction
    var seconds = kernelTime(
      flops: shape.flops, bytes: shape.bytes, kernels: 1, kind: .matrix, outputRows: Double(shape.m),
      outputColumns: Double(shape.n), efficiency: law, peak: peak, bandwidth: gpu.memoryBandwidthBytesPerSecond,
      streamingMultiprocessors: sms, l2ResidentBytes: l2, kernelFloorSeconds: gpu.efficiency.kernelFloorSeconds
    ).seconds
    if shape.dtype == .fp8 {
      let quantise = Double(shape.m) * Double(shape.k) * 3
      seconds +=
        kernelTime(
          flops: 0, bytes: quantise, kernels: 1, kind: .streaming, outputRows: 0, outputColumns: 0,
          efficiency: gpu.efficiency, peak: peak, bandwidth: gpu.memoryBandwidthBytesPerSecond,
          streamingMultiprocessors: sms, l2ResidentBytes: l2, kernelFloorSeconds: gpu.efficiency.kernelFloorSeconds
        ).seconds
    }
    return seconds
  }
}

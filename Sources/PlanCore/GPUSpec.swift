import Foundation

/// How close a kernel or a collective gets to the datasheet peak, as a function of its size.
///
/// Small GEMMs and short messages reach a small fraction of peak; large ones saturate. We use
/// a saturating law, `achieved = peak · maxEfficiency · w / (w + halfSaturation)`, where `w` is
/// the operator's work (FLOPs or bytes). It is linear in its parameters after the transform
/// `1/achieved = 1/(peak·max) + (half/(peak·max)) · 1/w`, which is what calibration fits.
public struct EfficiencyProfile: Sendable, Hashable, Codable {
  /// Highest achieved fraction of peak dense FLOP/s for large GEMMs.
  public var computeMax: Double
  /// FLOPs at which a GEMM reaches half of `computeMax`.
  public var computeHalfSaturationFLOPs: Double
  /// Highest achieved fraction of HBM bandwidth for large streaming kernels.
  public var memoryMax: Double
  /// Bytes at which a memory-bound kernel reaches half of `memoryMax`.
  public var memoryHalfSaturationBytes: Double
  /// Fixed cost of launching one kernel, seconds.
  public var kernelLaunchSeconds: Double
  /// Fraction of link bandwidth a collective achieves on large messages.
  public var collectiveBandwidthMax: Double
  /// Message bytes at which a collective reaches half of `collectiveBandwidthMax`.
  public var collectiveHalfSaturationBytes: Double
  /// Latency of one step of a collective algorithm (a ring step, a tree level), seconds,
  /// on top of the links' own latency.
  public var collectiveStepSeconds: Double
  /// Per engine-iteration CPU/scheduler overhead, seconds.
  public var iterationOverheadSeconds: Double
  /// Where these numbers come from (datasheet law, calibration file, …).
  public var source: String
  /// Per-operator overrides of the compute and memory laws, keyed by the cost model's operator
  /// name (`input_norm`, `qkv_proj`, …); operators without an entry use the fields above.
  /// See `OperatorEfficiency` (Sources/PlanCore/OperatorEfficiency.swift).
  public var operators: [String: OperatorEfficiency] = [:]
  /// How far predictions made with this profile can be trusted (residual quantiles), if known.
  public var uncertainty: PredictionUncertainty? = nil

  public init(
    computeMax: Double, computeHalfSaturationFLOPs: Double, memoryMax: Double,
    memoryHalfSaturationBytes: Double, kernelLaunchSeconds: Double, collectiveBandwidthMax: Double,
    collectiveHalfSaturationBytes: Double, collectiveStepSeconds: Double, iterationOverheadSeconds: Double,
    source: String
  ) {
    self.computeMax = computeMax
    self.computeHalfSaturationFLOPs = computeHalfSaturationFLOPs
    self.memoryMax = memoryMax
    self.memoryHalfSaturationBytes = memoryHalfSaturationBytes
    self.kernelLaunchSeconds = kernelLaunchSeconds
    self.collectiveBandwidthMax = collectiveBandwidthMax
    self.collectiveHalfSaturationBytes = collectiveHalfSaturationBytes
    self.collectiveStepSeconds = collectiveStepSeconds
    self.iterationOverheadSeconds = iterationOverheadSeconds
    self.source = source
  }

  /// Achieved fraction of peak compute for a GEMM of `flops` FLOPs.
  @inline(__always)
  public func computeEfficiency(flops: Double) -> Double {
    computeMax * flops / (flops + computeHalfSaturationFLOPs)
  }

  /// Achieved fraction of HBM bandwidth for a kernel moving `bytes`.
  @inline(__always)
  public func memoryEfficiency(bytes: Double) -> Double {
    memoryMax * bytes / (bytes + memoryHalfSaturationBytes)
  }

  /// Achieved fraction of link bandwidth for a collective of `bytes` per GPU.
  @inline(__always)
  public func collectiveEfficiency(bytes: Double) -> Double {
    collectiveBandwidthMax * bytes / (bytes + collectiveHalfSaturationBytes)
  }
}

/// One GPU model, from its datasheet.
public struct GPUSpec: Sendable, Hashable, Codable {
  public var name: String
  public var displayName: String
  /// Peak dense (no sparsity) FLOP/s per dtype.
  public var peakFLOPSPerSecond: [DType: Double]
  public var memoryBytes: Double
  public var memoryBandwidthBytesPerSecond: Double
  /// Bandwidth of the GPU's own intra-node link per direction (NVLink total), for listing.
  public var intraNodeLinkBytesPerSecond: Double?
  public var intraNodeLinkName: String?
  public var efficiency: EfficiencyProfile
  /// Datasheet citation.
  public var source: String

  public init(
    name: String, displayName: String, peakFLOPSPerSecond: [DType: Double], memoryBytes: Double,
    memoryBandwidthBytesPerSecond: Double, intraNodeLinkBytesPerSecond: Double? = nil,
    intraNodeLinkName: String? = nil, efficiency: EfficiencyProfile, source: String
  ) {
    self.name = name
    self.displayName = displayName
    self.peakFLOPSPerSecond = peakFLOPSPerSecond
    self.memoryBytes = memoryBytes
    self.memoryBandwidthBytesPerSecond = memoryBandwidthBytesPerSecond
    self.intraNodeLinkBytesPerSecond = intraNodeLinkBytesPerSecond
    self.intraNodeLinkName = intraNodeLinkName
    self.efficiency = efficiency
    self.source = source
  }

  /// Peak dense FLOP/s for `dtype`; fp32 falls back to none (we do not guess), fp16/bf16 to each other.
  public func peakFLOPS(_ dtype: DType) -> Double? {
    if let value = peakFLOPSPerSecond[dtype] { return value }
    switch dtype {
    case .fp16: return peakFLOPSPerSecond[.bf16]
    case .bf16: return peakFLOPSPerSecond[.fp16]
    default: return nil
    }
  }
}

extension GPUSpec {
  /// Reads `Models/gpus/NAME.json`.
  ///
  /// ```json
  /// { "name": "a100-80gb-sxm", "display_name": "NVIDIA A100 80GB SXM",
  ///   "peak_dense": {"fp16": "312 TFLOP/s", "bf16": "312 TFLOP/s"},
  ///   "memory": "80 GB", "memory_bandwidth": "2039 GB/s",
  ///   "intra_node_link": {"name": "NVLink 3", "bandwidth": "300 GB/s"},
  ///   "efficiency": { … }, "source": "datasheet URL" }
  /// ```
  public static func load(from reader: FieldReader, name: String) throws -> GPUSpec {
    let peaks = try reader.object("peak_dense")
    var peakTable: [DType: Double] = [:]
    for (key, _) in peaks.object {
      guard let dtype = DType(huggingFace: key) else { throw peaks.error(key, "unknown dtype") }
      let value = try peaks.quantity(key, parse: Units.flopsPerSecond)
      guard value > 0 else { throw peaks.error(key, "must be positive") }
      peakTable[dtype] = value
    }
    guard peakTable[.fp16] != nil || peakTable[.bf16] != nil else {
      throw peaks.error("fp16", "a peak dense fp16 or bf16 rate is required")
    }
    let memory = try reader.quantity("memory", parse: Units.bytes)
    guard memory > 0 else { throw reader.error("memory", "must be positive") }
    let bandwidth = try reader.quantity("memory_bandwidth", parse: Units.bytesPerSecond)
    guard bandwidth > 0 else { throw reader.error("memory_bandwidth", "must be positive") }
    var linkBandwidth: Double?
    var linkName: String?
    if let link = try reader.optionalObject("intra_node_link") {
      linkBandwidth = try link.quantity("bandwidth", parse: Units.bytesPerSecond)
      linkName = try link.optionalString("name")
      if let linkBandwidth, linkBandwidth <= 0 { throw link.error("bandwidth", "must be positive") }
    }
    let efficiency = try EfficiencyProfile.load(from: reader.object("efficiency"))
    return GPUSpec(
      name: name, displayName: try reader.optionalString("display_name") ?? name,
      peakFLOPSPerSecond: peakTable, memoryBytes: memory, memoryBandwidthBytesPerSecond: bandwidth,
      intraNodeLinkBytesPerSecond: linkBandwidth, intraNodeLinkName: linkName, efficiency: efficiency,
      source: try reader.string("source"))
  }
}

extension EfficiencyProfile {
  /// Reads the `efficiency` block; every fraction must lie in (0, 1], every size and time ≥ 0.
  public static func load(from reader: FieldReader) throws -> EfficiencyProfile {
    func fraction(_ key: String) throws -> Double {
      let value = try reader.double(key)
      guard value > 0, value <= 1 else { throw reader.error(key, "must be a fraction in (0, 1], found \(value)") }
      return value
    }
    func nonNegative(_ key: String, parse: (String) throws -> Double) throws -> Double {
      let value = try reader.quantity(key, parse: parse, bareNumberAllowed: true)
      guard value >= 0 else { throw reader.error(key, "must not be negative, found \(value)") }
      return value
    }
    var profile = EfficiencyProfile(
      computeMax: try fraction("compute_max"),
      computeHalfSaturationFLOPs: try nonNegative("compute_half_saturation_flops", parse: Units.flops),
      memoryMax: try fraction("memory_max"),
      memoryHalfSaturationBytes: try nonNegative("memory_half_saturation", parse: Units.bytes),
      kernelLaunchSeconds: try nonNegative("kernel_launch", parse: Units.seconds),
      collectiveBandwidthMax: try fraction("collective_bandwidth_max"),
      collectiveHalfSaturationBytes: try nonNegative("collective_half_saturation", parse: Units.bytes),
      collectiveStepSeconds: try nonNegative("collective_step_latency", parse: Units.seconds),
      iterationOverheadSeconds: try nonNegative("iteration_overhead", parse: Units.seconds),
      source: try reader.optionalString("source") ?? "unspecified")
    try profile.loadOperatorsAndUncertainty(from: reader)
    return profile
  }

  /// The `efficiency` block as written in a GPU file (SI numbers), per-operator overrides and
  /// uncertainty included, for `calibrate --out`.
  public var jsonObject: [String: Any] {
    var object: [String: Any] = [
      "compute_max": computeMax,
      "compute_half_saturation_flops": computeHalfSaturationFLOPs,
      "memory_max": memoryMax,
      "memory_half_saturation": "\(memoryHalfSaturationBytes) B",
      "kernel_launch": "\(kernelLaunchSeconds) s",
      "collective_bandwidth_max": collectiveBandwidthMax,
      "collective_half_saturation": "\(collectiveHalfSaturationBytes) B",
      "collective_step_latency": "\(collectiveStepSeconds) s",
      "iteration_overhead": "\(iterationOverheadSeconds) s",
      "source": source,
    ]
    object.merge(operatorsAndUncertaintyObject) { current, _ in current }
    return object
  }
}

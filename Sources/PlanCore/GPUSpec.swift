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
  /// Wave quantisation of GEMMs, β in [0, 1]: a GEMM's output is cut into 128 × 128 tiles that
  /// run in waves of one tile per SM, so a last, partly filled wave leaves SMs idle. The cost
  /// model times `FLOPs · (1 + β · (padded / FLOPs − 1))`, where `padded` counts every tile of
  /// every wave as full (NVIDIA, Matrix Multiplication Background User's Guide, DU-09799-001,
  /// §3.1 tile and §3.2 wave quantisation). β = 0 (the default) ignores it; β = 1 is the full
  /// staircase; cuBLAS's choice among tile shapes and split-K make real kernels lie between.
  /// Needs the GPU's `sm_count`.
  public var waveQuantization: Double = 0
  /// Cost of a byte of a streaming kernel's working set that fits in L2, relative to a byte
  /// from HBM, κ in (0, 1]. Norms, activations and adds read tensors the previous kernel just
  /// wrote; while the kernel's bytes fit in one L2 partition (half the L2: A100 and H100 split
  /// it in two, each caching for its own SMs), they are served faster than HBM. The cost model
  /// times `κ · min(bytes, L2/2) + max(0, bytes − L2/2)` bytes. κ = 1 (the default) ignores L2.
  /// Needs the GPU's `l2_cache`.
  public var l2ByteCost: Double = 1
  // Kernel laws (Sources/PlanCore/KernelLaws.swift, AttentionEfficiency.swift).
  /// The attention kernels' own law; nil: `AttentionEfficiency.datasheetDefault`.
  public var attention: AttentionEfficiency? = nil
  /// Per-dtype overrides of the GEMM compute law, keyed by dtype name ("fp8"); see `gemmLaw`.
  public var gemmDTypes: [String: OperatorEfficiency] = [:]
  /// The shortest time a tensor-core kernel (a GEMM, an attention call) takes on this GPU,
  /// seconds (0: none): its roofline time plus launch is raised to it.
  public var kernelFloorSeconds: Double = 0
  /// The memory system the per-operator fractions (`operators`) were fitted on; nil: unknown.
  public var operatorsFittedOn: MemoryKind? = nil
  /// The laws fitted on this GPU's own measurements (`lawNames`); the others are datasheet-derived.
  public var fittedLaws: Set<String> = []
  /// NCCL protocol laws, group-size factors and the engines' custom all-reduce
  /// (`CollectiveProtocols`); nil = the single α–β law of the three `collective*` fields above.
  public var collectiveProtocols: CollectiveProtocols? = nil

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
  /// L2 cache size in bytes (datasheet or whitepaper), if given; used with `l2ByteCost`.
  public var l2CacheBytes: Double? = nil
  /// Streaming multiprocessors, if given; used with `waveQuantization`.
  public var streamingMultiprocessors: Int? = nil
  /// The memory system (`memory_kind`), if given; see `EfficiencyProfile.operatorFractionsApply`.
  public var memoryKind: MemoryKind? = nil
  /// Hourly rental price per GPU with its source (the file's `price` block), if given.
  public var price: GPUPrice? = nil

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
    try reader.rejectUnknown(allowed: topLevelKeys)
    let peaks = try reader.object("peak_dense")
    var peakTable: [DType: Double] = [:]
    for key in peaks.object.keys.sorted() {
      guard let dtype = DType(huggingFace: key) else {
        throw peaks.error(
          key, FieldReader.unknownReason(key, known: ["fp16", "bf16", "fp32", "fp8", "int8"], what: "dtype"))
      }
      peakTable[dtype] = try peaks.quantity(key, Plausibility.peakFLOPS)
    }
    guard peakTable[.fp16] != nil || peakTable[.bf16] != nil else {
      throw peaks.error("fp16", "a peak dense fp16 or bf16 rate is required")
    }
    let memory = try reader.quantity("memory", Plausibility.gpuMemory)
    let bandwidth = try reader.quantity("memory_bandwidth", Plausibility.memoryBandwidth)
    var linkBandwidth: Double?
    var linkName: String?
    if let link = try reader.optionalObject("intra_node_link") {
      try link.rejectUnknown(allowed: ["name", "bandwidth", "note"])
      linkBandwidth = try link.quantity("bandwidth", Plausibility.linkBandwidth)
      linkName = try link.optionalString("name")
    }
    let l2 = try reader.optionalQuantity("l2_cache", Plausibility.l2Cache)
    let sms = try reader.optionalCount("sm_count", Plausibility.smCount)
    let efficiency = try EfficiencyProfile.load(from: reader.object("efficiency"))
    var gpu = GPUSpec(
      name: name, displayName: try reader.optionalString("display_name") ?? name,
      peakFLOPSPerSecond: peakTable, memoryBytes: memory, memoryBandwidthBytesPerSecond: bandwidth,
      intraNodeLinkBytesPerSecond: linkBandwidth, intraNodeLinkName: linkName, efficiency: efficiency,
      source: try reader.string("source"))
    gpu.l2CacheBytes = l2
    gpu.streamingMultiprocessors = sms
    if let text = try reader.optionalString("memory_kind") {
      guard let kind = MemoryKind(text: text) else {
        throw reader.error(
          "memory_kind",
          "unknown memory kind \"\(text)\" (known: \(MemoryKind.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      gpu.memoryKind = kind
    }
    gpu.price = try reader.optionalObject("price").map(GPUPrice.load)
    return gpu
  }
}

extension GPUSpec {
  /// The fields a GPU file may have; any other is an error naming the nearest of these.
  static let topLevelKeys: Set<String> = [
    "name", "display_name", "peak_dense", "memory", "memory_bandwidth", "intra_node_link", "l2_cache", "sm_count",
    "efficiency", "source", "note", "memory_kind",
    "price",
  ]
}

extension EfficiencyProfile {
  /// The fields of an `efficiency` block.
  static let keys: Set<String> = Set<String>([
    "compute_max", "compute_half_saturation_flops", "memory_max", "memory_half_saturation", "kernel_launch",
    "collective_bandwidth_max", "collective_half_saturation", "collective_step_latency", "iteration_overhead",
    "wave_quantization", "l2_byte_cost", "operators", "uncertainty", "collective_protocols", "source", "note",
  ]).union(kernelLawKeys)

  /// Reads the `efficiency` block; every value must lie in its plausible range (`Plausibility`).
  public static func load(from reader: FieldReader) throws -> EfficiencyProfile {
    try reader.rejectUnknown(allowed: keys)
    var profile = EfficiencyProfile(
      computeMax: try reader.quantity("compute_max", Plausibility.efficiency),
      computeHalfSaturationFLOPs: try reader.quantity(
        "compute_half_saturation_flops", Plausibility.halfSaturationFLOPs),
      memoryMax: try reader.quantity("memory_max", Plausibility.efficiency),
      memoryHalfSaturationBytes: try reader.quantity("memory_half_saturation", Plausibility.halfSaturationBytes),
      kernelLaunchSeconds: try reader.quantity("kernel_launch", Plausibility.overheadTime),
      collectiveBandwidthMax: try reader.quantity("collective_bandwidth_max", Plausibility.efficiency),
      collectiveHalfSaturationBytes: try reader.quantity(
        "collective_half_saturation", Plausibility.halfSaturationBytes),
      collectiveStepSeconds: try reader.quantity("collective_step_latency", Plausibility.overheadTime),
      iterationOverheadSeconds: try reader.quantity("iteration_overhead", Plausibility.overheadTime),
      source: try reader.optionalString("source") ?? "unspecified")
    if let value = try reader.optionalQuantity("wave_quantization", Plausibility.waveQuantization) {
      profile.waveQuantization = value
    }
    if let value = try reader.optionalQuantity("l2_byte_cost", Plausibility.efficiency) { profile.l2ByteCost = value }
    if let block = try reader.optionalObject("collective_protocols") {
      profile.collectiveProtocols = try CollectiveProtocols.load(from: block)
    }
    try profile.loadOperatorsAndUncertainty(from: reader)
    try profile.loadKernelLaws(from: reader)
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
    // Written only when in use, so files without them read back unchanged.
    if waveQuantization != 0 { object["wave_quantization"] = waveQuantization }
    if l2ByteCost != 1 { object["l2_byte_cost"] = l2ByteCost }
    if let collectiveProtocols { object["collective_protocols"] = collectiveProtocols.jsonObject }
    object.merge(operatorsAndUncertaintyObject) { current, _ in current }
    object.merge(kernelLawsObject) { current, _ in current }
    return object
  }
}

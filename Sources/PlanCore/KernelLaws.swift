import Foundation

/// The GPU's memory system (`memory_kind` in a GPU file). Streaming kernels reach different
/// fractions of the datasheet bandwidth on stacked HBM and on GDDR/LPDDR boards, so per-operator
/// fractions fitted on one family are not carried over to the other (`EfficiencyProfile.forOperator`
/// is bypassed for streaming operators; see `EfficiencyProfile.operatorsFittedOn`).
public enum MemoryKind: String, Sendable, Hashable, Codable, CaseIterable {
  case hbm2 = "HBM2"
  case hbm2e = "HBM2e"
  case hbm3 = "HBM3"
  case hbm3e = "HBM3e"
  case gddr6 = "GDDR6"
  case gddr6x = "GDDR6X"
  case gddr7 = "GDDR7"
  case lpddr5x = "LPDDR5X"

  /// The family a fitted fraction transfers within.
  public enum Family: String, Sendable, Hashable, Codable { case hbm = "HBM", gddr = "GDDR", lpddr = "LPDDR" }

  public var family: Family {
    switch self {
    case .hbm2, .hbm2e, .hbm3, .hbm3e: return .hbm
    case .gddr6, .gddr6x, .gddr7: return .gddr
    case .lpddr5x: return .lpddr
    }
  }

  /// Parses "HBM3", "hbm3e", "GDDR6X" (case-insensitive).
  public init?(text: String) {
    guard let kind = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
      return nil
    }
    self = kind
  }
}

extension EfficiencyProfile {
  /// The keys of the kernel laws in an `efficiency` block (read by `loadKernelLaws`).
  static let kernelLawKeys: Set<String> = [
    "attention", "gemm_dtypes", "kernel_floor", "operators_fitted_on", "fitted_on_this_gpu",
  ]

  /// The dtypes a `gemm_dtypes` table may name.
  public static let gemmDTypeNames: Set<String> = ["fp8"]

  /// Reads `attention`, `gemm_dtypes`, `kernel_floor` and `operators_fitted_on`:
  ///
  /// ```json
  /// "kernel_floor": "5.2 us",
  /// "operators_fitted_on": "HBM3",
  /// "gemm_dtypes": { "fp8": { "compute_max": 0.6, "compute_half_saturation_flops": "9 GFLOP" } },
  /// "attention": { … see AttentionEfficiency … }
  /// ```
  mutating func loadKernelLaws(from reader: FieldReader) throws {
    if let block = try reader.optionalObject("attention") { attention = try AttentionEfficiency.load(from: block) }
    if let value = try reader.optionalQuantity("kernel_floor", Plausibility.overheadTime) {
      kernelFloorSeconds = value
    }
    if let text = try reader.optionalString("operators_fitted_on") {
      guard let kind = MemoryKind(text: text) else {
        throw reader.error(
          "operators_fitted_on",
          "unknown memory kind \"\(text)\" (known: \(MemoryKind.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      operatorsFittedOn = kind
    }
    if let items = try reader.optionalArray("fitted_on_this_gpu") {
      let names = items.compactMap { $0 as? String }
      guard names.count == items.count else {
        throw reader.error(
          "fitted_on_this_gpu", "must be a list of law names (\(Self.lawNames.joined(separator: ", ")))")
      }
      for name in names where !Self.lawNames.contains(name) {
        throw reader.error(
          "fitted_on_this_gpu", "unknown law \"\(name)\" (known: \(Self.lawNames.joined(separator: ", ")))")
      }
      fittedLaws = Set(names)
    }
    if let table = try reader.optionalObject("gemm_dtypes") {
      try table.rejectUnknown(allowed: Self.gemmDTypeNames, what: "GEMM dtype")
      for key in table.object.keys.sorted() {
        let entry = try table.object(key)
        try entry.rejectUnknown(allowed: ["compute_max", "compute_half_saturation_flops", "wave_quantization", "note"])
        gemmDTypes[key] = OperatorEfficiency(
          computeMax: try entry.optionalQuantity("compute_max", Plausibility.efficiency),
          computeHalfSaturationFLOPs: try entry.optionalQuantity(
            "compute_half_saturation_flops", Plausibility.halfSaturationFLOPs),
          waveQuantization: try entry.optionalQuantity("wave_quantization", Plausibility.waveQuantization))
      }
    }
  }

  /// The kernel-law entries of the `efficiency` block (part of `jsonObject`), written only when set.
  var kernelLawsObject: [String: Any] {
    var object: [String: Any] = [:]
    if let attention { object["attention"] = attention.jsonObject }
    if kernelFloorSeconds > 0 { object["kernel_floor"] = "\(kernelFloorSeconds) s" }
    if let operatorsFittedOn { object["operators_fitted_on"] = operatorsFittedOn.rawValue }
    if !fittedLaws.isEmpty { object["fitted_on_this_gpu"] = fittedLaws.sorted() }
    if !gemmDTypes.isEmpty {
      var table: [String: Any] = [:]
      for (name, entry) in gemmDTypes {
        var fields: [String: Any] = [:]
        if let value = entry.computeMax { fields["compute_max"] = value }
        if let value = entry.computeHalfSaturationFLOPs { fields["compute_half_saturation_flops"] = value }
        if let value = entry.waveQuantization { fields["wave_quantization"] = value }
        table[name] = fields
      }
      object["gemm_dtypes"] = table
    }
    return object
  }

  /// The GEMM law for inputs of `dtype`: this profile's own for the model dtypes (fp16/bf16),
  /// with `gemmDTypes[dtype]` applied for others (fp8). Without an entry, another dtype runs with
  /// the profile's own fractions at that dtype's peak (datasheet-derived); whether the GPU has
  /// such a peak at all is the caller's check. Nil for fp32 (no tensor-core GEMM law).
  public func gemmLaw(_ dtype: DType) -> EfficiencyProfile? {
    switch dtype {
    case .fp16, .bf16: return self
    case .fp32: return nil
    case .fp8, .int8:
      var result = self
      result.operators = [:]
      guard let entry = gemmDTypes[dtype.rawValue] else { return result }
      if let value = entry.computeMax { result.computeMax = value }
      if let value = entry.computeHalfSaturationFLOPs { result.computeHalfSaturationFLOPs = value }
      if let value = entry.waveQuantization { result.waveQuantization = value }
      return result
    }
  }

  /// Which laws of this profile were fitted on this GPU's own measurements (the rest are
  /// datasheet-derived), as `llmplan gpus` reports them: "gemm", "operators", "attention",
  /// "gemm_fp8", "kernel_floor", "collectives".
  public static let lawNames = ["gemm", "operators", "attention", "gemm_fp8", "kernel_floor", "collectives"]

  /// Whether the per-operator memory fractions (`operators`) may be used on a GPU with
  /// `memory`: only within the family they were fitted on. A profile that does not say where
  /// they were fitted is taken at its word (old files); a GPU that does not give its memory
  /// kind likewise.
  public func operatorFractionsApply(to memory: MemoryKind?) -> Bool {
    guard let fitted = operatorsFittedOn, let memory else { return true }
    return fitted.family == memory.family
  }
}

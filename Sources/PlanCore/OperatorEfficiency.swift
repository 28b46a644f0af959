import Foundation

/// Overrides of the compute and memory efficiency laws for one operator class (a norm, the
/// activation, a GEMM, …). Kernels differ: a residual add streams at nearly the full HBM rate,
/// a norm (a reduction per row) far below it; one law for all of them misses by a factor of
/// two or three. Fields left nil inherit the profile's own.
public struct OperatorEfficiency: Sendable, Hashable, Codable {
  public var computeMax: Double?
  public var computeHalfSaturationFLOPs: Double?
  public var memoryMax: Double?
  public var memoryHalfSaturationBytes: Double?
  /// See `EfficiencyProfile.waveQuantization`.
  public var waveQuantization: Double?
  /// See `EfficiencyProfile.l2ByteCost`.
  public var l2ByteCost: Double?

  public init(
    computeMax: Double? = nil, computeHalfSaturationFLOPs: Double? = nil, memoryMax: Double? = nil,
    memoryHalfSaturationBytes: Double? = nil, waveQuantization: Double? = nil, l2ByteCost: Double? = nil
  ) {
    self.computeMax = computeMax
    self.computeHalfSaturationFLOPs = computeHalfSaturationFLOPs
    self.memoryMax = memoryMax
    self.memoryHalfSaturationBytes = memoryHalfSaturationBytes
    self.waveQuantization = waveQuantization
    self.l2ByteCost = l2ByteCost
  }

  /// The cost model's operator names (`OperatorKind` in Analytic; a test keeps them equal):
  /// the keys an `operators` table may have.
  public static let operatorNames: Set<String> = [
    "input_norm", "qkv_proj", "attention", "out_proj", "residual_add", "post_attention_norm", "mlp_up_proj",
    "mlp_act", "mlp_down_proj", "embedding", "lm_head", "router", "moe_experts", "shared_experts",
  ]

  static let keys: Set<String> = [
    "compute_max", "compute_half_saturation_flops", "memory_max", "memory_half_saturation", "wave_quantization",
    "l2_byte_cost", "note",
  ]
}

/// Quantiles of `measured / predicted − 1` over a set of calibration points: multiplying a
/// prediction by `1 + p10` and `1 + p90` gives the band in which 80 % of measured times fell.
public struct ResidualQuantiles: Sendable, Hashable, Codable {
  public var p10: Double
  public var p50: Double
  public var p90: Double

  public init(p10: Double, p50: Double, p90: Double) {
    self.p10 = p10
    self.p50 = p50
    self.p90 = p90
  }

  /// The same band made `factor` times wider around its median (for predictions further from
  /// the data, e.g. a GPU nobody measured).
  public func widened(by factor: Double) -> ResidualQuantiles {
    ResidualQuantiles(p10: p50 + (p10 - p50) * factor, p50: p50, p90: p50 + (p90 - p50) * factor)
  }
}

/// How far the predictions of a GPU's profile can be trusted: residual quantiles for operators
/// and collectives, overall and by name, from calibration (or, for an uncalibrated profile,
/// from how well the datasheet law did on measured hardware, widened).
public struct PredictionUncertainty: Sendable, Hashable, Codable {
  /// True when the quantiles come from fitting this GPU's own measurements.
  public var calibrated: Bool
  /// Any operator without an entry in `byName`.
  public var compute: ResidualQuantiles
  /// Any collective without an entry in `byName`.
  public var communication: ResidualQuantiles
  /// By operator name (`qkv_proj`) or collective name (`all_reduce`).
  public var byName: [String: ResidualQuantiles]
  public var source: String

  public init(
    calibrated: Bool, compute: ResidualQuantiles, communication: ResidualQuantiles,
    byName: [String: ResidualQuantiles] = [:], source: String
  ) {
    self.calibrated = calibrated
    self.compute = compute
    self.communication = communication
    self.byName = byName
    self.source = source
  }
}

extension EfficiencyProfile {
  /// The profile an operator runs with: this one with `operators[name]`'s overrides applied.
  public func forOperator(_ name: String) -> EfficiencyProfile {
    guard let entry = operators[name] else { return self }
    var result = self
    if let value = entry.computeMax { result.computeMax = value }
    if let value = entry.computeHalfSaturationFLOPs { result.computeHalfSaturationFLOPs = value }
    if let value = entry.memoryMax { result.memoryMax = value }
    if let value = entry.memoryHalfSaturationBytes { result.memoryHalfSaturationBytes = value }
    if let value = entry.waveQuantization { result.waveQuantization = value }
    if let value = entry.l2ByteCost { result.l2ByteCost = value }
    result.operators = [:]
    return result
  }

  /// Reads the optional `operators` and `uncertainty` entries of an `efficiency` block:
  ///
  /// ```json
  /// "operators": { "input_norm": { "memory_max": 0.3, "memory_half_saturation": "10 MB" } },
  /// "uncertainty": { "calibrated": false, "compute": {"p10": -0.3, "p50": 0, "p90": 0.4},
  ///                  "communication": {"p10": -0.3, "p50": 0, "p90": 0.5},
  ///                  "by_name": {"all_reduce": {"p10": -0.2, "p50": 0, "p90": 0.3}}, "source": "…" }
  /// ```
  mutating func loadOperatorsAndUncertainty(from reader: FieldReader) throws {
    if let table = try reader.optionalObject("operators") {
      var result: [String: OperatorEfficiency] = [:]
      try table.rejectUnknown(allowed: OperatorEfficiency.operatorNames, what: "operator")
      for key in table.object.keys.sorted() {
        let entry = try table.object(key)
        try entry.rejectUnknown(allowed: OperatorEfficiency.keys)
        result[key] = OperatorEfficiency(
          computeMax: try entry.optionalQuantity("compute_max", Plausibility.efficiency),
          computeHalfSaturationFLOPs: try entry.optionalQuantity(
            "compute_half_saturation_flops", Plausibility.halfSaturationFLOPs),
          memoryMax: try entry.optionalQuantity("memory_max", Plausibility.efficiency),
          memoryHalfSaturationBytes: try entry.optionalQuantity(
            "memory_half_saturation", Plausibility.halfSaturationBytes),
          waveQuantization: try entry.optionalQuantity("wave_quantization", Plausibility.waveQuantization),
          l2ByteCost: try entry.optionalQuantity("l2_byte_cost", Plausibility.efficiency))
      }
      operators = result
    }
    if let block = try reader.optionalObject("uncertainty") {
      try block.rejectUnknown(allowed: ["calibrated", "compute", "communication", "by_name", "source", "note"])
      func quantiles(_ reader: FieldReader, _ key: String) throws -> ResidualQuantiles {
        let entry = try reader.object(key)
        try entry.rejectUnknown(allowed: ["p10", "p50", "p90"])
        let p10 = try entry.quantity("p10", Plausibility.residualQuantile)
        let p50 = try entry.optionalQuantity("p50", Plausibility.residualQuantile) ?? 0
        let p90 = try entry.quantity("p90", Plausibility.residualQuantile)
        guard p10 <= p50, p50 <= p90 else { throw entry.error("p90", "quantiles must satisfy p10 ≤ p50 ≤ p90") }
        return ResidualQuantiles(p10: p10, p50: p50, p90: p90)
      }
      var byName: [String: ResidualQuantiles] = [:]
      if let names = try block.optionalObject("by_name") {
        for key in names.object.keys.sorted() { byName[key] = try quantiles(names, key) }
      }
      uncertainty = PredictionUncertainty(
        calibrated: try block.optionalBool("calibrated") ?? false, compute: try quantiles(block, "compute"),
        communication: try quantiles(block, "communication"), byName: byName,
        source: try block.optionalString("source") ?? "unspecified")
    }
  }

  /// The `operators` and `uncertainty` entries of the `efficiency` block (part of `jsonObject`).
  var operatorsAndUncertaintyObject: [String: Any] {
    var object: [String: Any] = [:]
    if !operators.isEmpty {
      var table: [String: Any] = [:]
      for (name, entry) in operators {
        var fields: [String: Any] = [:]
        if let value = entry.computeMax { fields["compute_max"] = value }
        if let value = entry.computeHalfSaturationFLOPs { fields["compute_half_saturation_flops"] = value }
        if let value = entry.memoryMax { fields["memory_max"] = value }
        if let value = entry.memoryHalfSaturationBytes { fields["memory_half_saturation"] = "\(value) B" }
        if let value = entry.waveQuantization { fields["wave_quantization"] = value }
        if let value = entry.l2ByteCost { fields["l2_byte_cost"] = value }
        table[name] = fields
      }
      object["operators"] = table
    }
    if let uncertainty {
      func quantiles(_ q: ResidualQuantiles) -> [String: Any] { ["p10": q.p10, "p50": q.p50, "p90": q.p90] }
      var block: [String: Any] = [
        "calibrated": uncertainty.calibrated, "compute": quantiles(uncertainty.compute),
        "communication": quantiles(uncertainty.communication), "source": uncertainty.source,
      ]
      if !uncertainty.byName.isEmpty { block["by_name"] = uncertainty.byName.mapValues(quantiles) }
      object["uncertainty"] = block
    }
    return object
  }
}

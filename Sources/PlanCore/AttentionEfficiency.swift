import Foundation

/// The attention kernels' own law (FlashAttention prefill, split-KV decode), separate from the
/// GEMM law: attention is not a GEMM. A prefill call scores causal (query, key) pairs in tiles
/// of 128 query rows × 128 keys, one tile per SM at a time, and pays a softmax (exponentials)
/// per pair on top of the two small matrix products; a decode call streams the KV cache and
/// pays a fixed cost per call plus one per wave of (sequence × KV head) work units over the SMs.
///
/// Every coefficient multiplies a work measure the cost model derives from the GPU's own
/// datasheet (peak FLOP/s, HBM bandwidth, SM count), so the law is linear in its parameters and
/// a GPU without measurements inherits only dimensionless costs and time constants. The
/// costs are reciprocal efficiencies (1 = the datasheet rate; 2 = half of it).
///
/// Prefill seconds = `prefillFloorSeconds`
///   + effective FLOPs / peak × (`prefillMatmulCost` (or `…FP8KV`) + `prefillSoftmaxCost` × 128 / head dim)
///   + (Q, K, V, O bytes) / bandwidth × `prefillMemoryCost`
///   + (K, V bytes re-read by every query block) / bandwidth × `prefillKVRereadCost`,
/// where effective FLOPs = max(tile FLOPs, SMs × FLOPs of the longest tile): tile FLOPs count
/// keys in whole 128-key blocks up to the diagonal and rows in whole 128-row blocks except the
/// last, partial one; the last tiles of a causal prompt are the longest, and one SM runs each (a
/// longest-first schedule ends no earlier than its longest job).
///
/// Decode seconds = `decodeFloorSeconds` + `decodeFloorSecondsPer128HeadDim` × head dim / 128
///   + waves × (`decodeWaveSeconds` + `decodeWaveSecondsPer128HeadDim` × head dim / 128)
///   + KV bytes / bandwidth × (`decodeMemoryCost` + `decodeOccupancyCost` / units
///     + `decodeFP8ByteSurcharge` when the cache is fp8),
/// with units = sequences × KV heads on the GPU and waves = ⌈units / SMs⌉: few units leave
/// SMs idle (split-KV recovers only part of it), many units queue in waves.
public struct AttentionEfficiency: Sendable, Hashable, Codable {
  public var prefillFloorSeconds: Double
  public var prefillMatmulCost: Double
  /// `prefillMatmulCost` when the KV cache (and so the FlashAttention-3 inputs) is fp8; still
  /// relative to the model dtype's peak.
  public var prefillMatmulCostFP8KV: Double
  public var prefillSoftmaxCost: Double
  public var prefillMemoryCost: Double
  public var prefillKVRereadCost: Double
  public var decodeFloorSeconds: Double
  public var decodeFloorSecondsPer128HeadDim: Double
  public var decodeWaveSeconds: Double
  public var decodeWaveSecondsPer128HeadDim: Double
  public var decodeMemoryCost: Double
  public var decodeOccupancyCost: Double
  public var decodeFP8ByteSurcharge: Double
  /// True when these numbers were fitted on this GPU's own attention timings.
  public var fittedOnThisGPU: Bool
  public var source: String

  public init(
    prefill: [Double], decode: [Double], fittedOnThisGPU: Bool, source: String
  ) {
    precondition(prefill.count == Self.prefillCount && decode.count == Self.decodeCount)
    prefillFloorSeconds = prefill[0]
    prefillMatmulCost = prefill[1]
    prefillMatmulCostFP8KV = prefill[2]
    prefillSoftmaxCost = prefill[3]
    prefillMemoryCost = prefill[4]
    prefillKVRereadCost = prefill[5]
    decodeFloorSeconds = decode[0]
    decodeFloorSecondsPer128HeadDim = decode[1]
    decodeWaveSeconds = decode[2]
    decodeWaveSecondsPer128HeadDim = decode[3]
    decodeMemoryCost = decode[4]
    decodeOccupancyCost = decode[5]
    decodeFP8ByteSurcharge = decode[6]
    self.fittedOnThisGPU = fittedOnThisGPU
    self.source = source
  }

  public static let prefillCount = 6
  public static let decodeCount = 7

  /// The prefill coefficients in the order of `AttentionWork.prefillFeatures`.
  public var prefillVector: [Double] {
    [
      prefillFloorSeconds, prefillMatmulCost, prefillMatmulCostFP8KV, prefillSoftmaxCost, prefillMemoryCost,
      prefillKVRereadCost,
    ]
  }

  /// The decode coefficients in the order of `AttentionWork.decodeFeatures`.
  public var decodeVector: [Double] {
    [
      decodeFloorSeconds, decodeFloorSecondsPer128HeadDim, decodeWaveSeconds, decodeWaveSecondsPer128HeadDim,
      decodeMemoryCost, decodeOccupancyCost, decodeFP8ByteSurcharge,
    ]
  }

  /// The law for a GPU without attention timings of its own: the dimensionless costs and time
  /// constants of the H100 SXM fit (`llmplan calibrate --holdout` on the AIConfigurator vLLM 0.24
  /// FlashAttention-3 tables, Models/measurements/h100-sxm-vllm; see Models/gpus/h100-80gb-sxm.json),
  /// applied to this GPU's own peak, bandwidth and SM count.
  public static let datasheetDefault = AttentionEfficiency(
    prefill: [12.82e-6, 0.8717, 1.139, 0.4182, 2.534, 0.2216],
    decode: [8.26e-6, 1.103e-6, 1.846e-6, 1.57e-6, 1.05, 1.072, 0.3951],
    fittedOnThisGPU: false,
    source:
      "datasheet-derived: the H100 SXM fit's costs (fractions of peak, time constants) on this GPU's own peak, bandwidth and SMs"
  )
}

extension AttentionEfficiency {
  static let keys: Set<String> = ["prefill", "decode", "fitted_on_this_gpu", "source", "note"]
  static let prefillKeys: Set<String> = [
    "floor", "matmul_cost", "matmul_cost_fp8_kv", "softmax_cost", "memory_cost", "kv_reread_cost", "note",
  ]
  static let decodeKeys: Set<String> = [
    "floor", "floor_per_128_head_dim", "wave", "wave_per_128_head_dim", "memory_cost", "occupancy_cost",
    "fp8_byte_surcharge", "note",
  ]

  /// Reads an `attention` block of an `efficiency` section:
  ///
  /// ```json
  /// "attention": { "prefill": { "floor": "12.8 us", "matmul_cost": 0.87, "matmul_cost_fp8_kv": 1.14,
  ///                             "softmax_cost": 0.42, "memory_cost": 2.53, "kv_reread_cost": 0.22 },
  ///                "decode": { "floor": "8.3 us", "floor_per_128_head_dim": "1.1 us", "wave": "1.8 us",
  ///                            "wave_per_128_head_dim": "1.6 us", "memory_cost": 1.05,
  ///                            "occupancy_cost": 1.07, "fp8_byte_surcharge": 0.40 },
  ///                "fitted_on_this_gpu": true, "source": "…" }
  /// ```
  public static func load(from reader: FieldReader) throws -> AttentionEfficiency {
    try reader.rejectUnknown(allowed: keys)
    let prefill = try reader.object("prefill")
    try prefill.rejectUnknown(allowed: prefillKeys)
    let decode = try reader.object("decode")
    try decode.rejectUnknown(allowed: decodeKeys)
    let cost = Plausibility.attentionCost
    let time = Plausibility.overheadTime
    return AttentionEfficiency(
      prefill: [
        try prefill.quantity("floor", time), try prefill.quantity("matmul_cost", cost),
        try prefill.quantity("matmul_cost_fp8_kv", cost), try prefill.quantity("softmax_cost", cost),
        try prefill.quantity("memory_cost", cost), try prefill.quantity("kv_reread_cost", cost),
      ],
      decode: [
        try decode.quantity("floor", time), try decode.quantity("floor_per_128_head_dim", time),
        try decode.quantity("wave", time), try decode.quantity("wave_per_128_head_dim", time),
        try decode.quantity("memory_cost", cost), try decode.quantity("occupancy_cost", cost),
        try decode.quantity("fp8_byte_surcharge", cost),
      ],
      fittedOnThisGPU: try reader.optionalBool("fitted_on_this_gpu") ?? false,
      source: try reader.optionalString("source") ?? "unspecified")
  }

  /// The block as written in a GPU file (for `calibrate --out`).
  public var jsonObject: [String: Any] {
    [
      "prefill": [
        "floor": "\(prefillFloorSeconds) s", "matmul_cost": prefillMatmulCost,
        "matmul_cost_fp8_kv": prefillMatmulCostFP8KV, "softmax_cost": prefillSoftmaxCost,
        "memory_cost": prefillMemoryCost, "kv_reread_cost": prefillKVRereadCost,
      ],
      "decode": [
        "floor": "\(decodeFloorSeconds) s", "floor_per_128_head_dim": "\(decodeFloorSecondsPer128HeadDim) s",
        "wave": "\(decodeWaveSeconds) s", "wave_per_128_head_dim": "\(decodeWaveSecondsPer128HeadDim) s",
        "memory_cost": decodeMemoryCost, "occupancy_cost": decodeOccupancyCost,
        "fp8_byte_surcharge": decodeFP8ByteSurcharge,
      ],
      "fitted_on_this_gpu": fittedOnThisGPU, "source": source,
    ]
  }
}

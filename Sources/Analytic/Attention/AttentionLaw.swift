import PlanCore

/// The work measures of one attention call that the attention law's coefficients multiply
/// (`AttentionEfficiency`): its time is the dot product of these with the coefficients, so the
/// law is linear in its parameters and calibration is one least-squares solve per phase.
public enum AttentionLaw {
  /// FlashAttention's tile: 128 query rows × 128 keys (FlashAttention-3 on Hopper uses 128-row
  /// query blocks and 128-key blocks for causal head dims 64–256: Shah et al., "FlashAttention-3",
  /// arXiv:2407.08608, §3 and its tile-size table; FlashAttention-2 on Ampere likewise 128 × 64–128).
  public static let tileRows = 128.0
  public static let tileKeys = 128.0

  /// Prefill work measures, in the order of `AttentionEfficiency.prefillVector`:
  /// 1 (the call's floor), effective FLOPs / peak (model-dtype KV), the same for an fp8 KV cache,
  /// effective FLOPs / peak × 128 / head dim (softmax: exponentials per pair, whatever the head
  /// dim), Q/K/V/O bytes / bandwidth, K/V bytes re-read per query block / bandwidth.
  public static func prefillFeatures(_ call: AttentionCall, _ hw: AttentionHardware) -> SIMD8<Double> {
    let b = Double(call.sequences)
    let d = Double(call.headDim)
    let h = Double(call.queryHeads)
    let blocks = (call.queryTokens / tileRows).rounded(.up)
    let cached = (call.contextTokens / tileKeys).rounded(.up) * tileKeys
    // Keys each query block scores, summed over the blocks of one sequence and head: block i
    // (from 0) sees the cache and i + 1 key blocks of the chunk (the diagonal block in full).
    let keysOverBlocks = blocks * cached + tileKeys * blocks * (blocks + 1) / 2
    // (row, key) pairs the tiles compute: full blocks of 128 rows; the last block counts its real
    // rows only (its masked rows are predicated off), which matters for prompts under 128 tokens.
    let lastRows = call.queryTokens - tileRows * (blocks - 1)
    let lastKeys = cached + tileKeys * blocks
    let paddedPairs = tileRows * (keysOverBlocks - lastKeys) + lastRows * lastKeys
    let paddedFLOPs = 4 * d * paddedPairs * h * b
    let longestTileFLOPs = 4 * d * min(call.queryTokens, tileRows) * lastKeys
    let effective = max(paddedFLOPs, hw.streamingMultiprocessors * longestTileFLOPs)
    let computeUnits = effective / hw.peakFLOPSPerSecond
    let bytes = call.queryOutputBytes + call.kvBytes
    let reread = b * Double(call.kvHeads) * keysOverBlocks * 2 * d * call.kvElementBytes
    return SIMD8(
      1, call.lowPrecisionKV ? 0 : computeUnits, call.lowPrecisionKV ? computeUnits : 0, computeUnits * 128 / d,
      bytes / hw.bandwidthBytesPerSecond, reread / hw.bandwidthBytesPerSecond, 0, 0)
  }

  /// Decode work measures, in the order of `AttentionEfficiency.decodeVector`: 1, head dim / 128,
  /// waves, waves × head dim / 128, bytes / bandwidth, bytes / bandwidth / units, and bytes /
  /// bandwidth again when the KV cache is fp8. Units = sequences × KV heads (one work unit
  /// each before any KV split); waves = ⌈units / SMs⌉.
  public static func decodeFeatures(_ call: AttentionCall, _ hw: AttentionHardware) -> SIMD8<Double> {
    let units = Double(call.sequences * call.kvHeads)
    let waves = hw.streamingMultiprocessors > 0 ? (units / hw.streamingMultiprocessors).rounded(.up) : 1
    let dRatio = Double(call.headDim) / 128
    let memoryUnits = (call.kvBytes + call.queryOutputBytes) / hw.bandwidthBytesPerSecond
    return SIMD8(
      1, dRatio, waves, waves * dRatio, memoryUnits, memoryUnits / max(units, 1),
      call.lowPrecisionKV ? memoryUnits : 0, 0)
  }

  /// Seconds of `call` under `law`.
  public static func seconds(_ call: AttentionCall, law: AttentionEfficiency, hardware: AttentionHardware) -> Double {
    switch call.phase {
    case .prefill: return (prefillFeatures(call, hardware) * law.prefillCoefficients).sum()
    case .decode: return (decodeFeatures(call, hardware) * law.decodeCoefficients).sum()
    }
  }

  /// The part of a prefill call's time spent on the matrix products and softmax (compute), and
  /// the part on bytes, for booking the call to its bound.
  public static func prefillSplit(
    _ call: AttentionCall, law: AttentionEfficiency, hardware: AttentionHardware
  )
    -> (compute: Double, memory: Double, floor: Double)
  {
    let f = prefillFeatures(call, hardware)
    let c = law.prefillCoefficients
    return (f[1] * c[1] + f[2] * c[2] + f[3] * c[3], f[4] * c[4] + f[5] * c[5], f[0] * c[0])
  }

  /// The features as an array of the law's length (for fitting).
  public static func features(_ call: AttentionCall, _ hw: AttentionHardware) -> [Double] {
    switch call.phase {
    case .prefill:
      let f = prefillFeatures(call, hw)
      return (0..<AttentionEfficiency.prefillCount).map { f[$0] }
    case .decode:
      let f = decodeFeatures(call, hw)
      return (0..<AttentionEfficiency.decodeCount).map { f[$0] }
    }
  }
}

extension AttentionEfficiency {
  /// `prefillVector` padded to SIMD8 (allocation-free dot products on the hot path).
  @inline(__always) var prefillCoefficients: SIMD8<Double> {
    SIMD8(
      prefillFloorSeconds, prefillMatmulCost, prefillMatmulCostFP8KV, prefillSoftmaxCost, prefillMemoryCost,
      prefillKVRereadCost, 0, 0)
  }
  /// `decodeVector` padded to SIMD8.
  @inline(__always) var decodeCoefficients: SIMD8<Double> {
    SIMD8(
      decodeFloorSeconds, decodeFloorSecondsPer128HeadDim, decodeWaveSeconds, decodeWaveSecondsPer128HeadDim,
      decodeMemoryCost, decodeOccupancyCost, decodeFP8ByteSurcharge, 0)
  }
}

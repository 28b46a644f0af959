/// Bytes of quantized checkpoints: the linear layers' weights at `bits` per weight plus their
/// scales and zero points, everything else (embeddings, LM head, norms, biases, router) in the
/// model's dtype, as AWQ, GPTQ and fp8 checkpoints store them.
extension ModelSpec {
  /// `count` weight matrices of `inputs` × `outputs` (input features × output features).
  public struct LinearWeights: Sendable, Hashable {
    public var inputs: Int
    public var outputs: Int
    public var count: Int

    public var elements: Double { Double(inputs) * Double(outputs) * Double(count) }
  }

  /// Every linear layer a quantized checkpoint quantizes: attention projections, dense MLPs,
  /// routed and shared experts (not the router, embeddings or LM head).
  public var linearWeights: [LinearWeights] {
    let d = hiddenSize
    var attention: [LinearWeights] = []
    if let latent = latentAttention {
      let queryWidth = numHeads * (latent.qkNopeHeadDim + latent.qkRopeHeadDim)
      if let rank = latent.qLoraRank {
        attention += [
          LinearWeights(inputs: d, outputs: rank, count: 1), .init(inputs: rank, outputs: queryWidth, count: 1),
        ]
      } else {
        attention.append(LinearWeights(inputs: d, outputs: queryWidth, count: 1))
      }
      attention += [
        LinearWeights(inputs: d, outputs: latent.kvLoraRank + latent.qkRopeHeadDim, count: 1),
        LinearWeights(
          inputs: latent.kvLoraRank, outputs: numHeads * (latent.qkNopeHeadDim + latent.vHeadDim), count: 1),
        LinearWeights(inputs: numHeads * latent.vHeadDim, outputs: d, count: 1),
      ]
    } else {
      attention = [
        LinearWeights(inputs: d, outputs: queryWidth, count: 1), LinearWeights(inputs: d, outputs: kvWidth, count: 2),
        LinearWeights(inputs: queryWidth, outputs: d, count: 1),
      ]
    }
    func mlp(width: Int, count: Int) -> [LinearWeights] {
      [
        LinearWeights(inputs: d, outputs: width, count: (gatedMLP ? 2 : 1) * count),
        LinearWeights(inputs: width, outputs: d, count: count),
      ]
    }
    var result = attention.map { LinearWeights(inputs: $0.inputs, outputs: $0.outputs, count: $0.count * numLayers) }
    let moeLayers = expertLayerCount
    result += mlp(width: intermediateSize, count: numLayers - moeLayers)
    if let experts, moeLayers > 0 {
      result += mlp(width: experts.expertIntermediateSize, count: experts.routedExperts * moeLayers)
      result += mlp(width: experts.sharedExpertIntermediateSize, count: experts.sharedExperts * moeLayers)
    }
    return result.filter { $0.count > 0 }
  }

  /// Bytes of the checkpoint with its linear layers stored as `q` describes:
  /// `bits`/8 per weight; one scale per `blockRows` × `groupSize` block (per output channel when
  /// there is no group) of 2 bytes (fp16, AWQ and GPTQ) or 4 bytes (fp32, fp8 and int8
  /// checkpoints); a `bits`-wide zero point per group with `zeroPoints`; and for GPTQ its
  /// `g_idx`, one int32 per input feature of each matrix. The other parameters stay in `dtype`.
  public func quantizedWeightBytes(_ q: WeightQuantization) -> Double {
    let linear = linearWeights
    let bytes = linear.reduce(0) { $0 + Double($1.count) * q.bytes(inputs: $1.inputs, outputs: $1.outputs) }
    let unquantized = parameterCount - linear.reduce(0) { $0 + $1.elements }
    return bytes + unquantized * dtype.bytes
  }

  /// The same model with its linear-layer weights stored as `q` (nil: unquantized, in `dtype`),
  /// e.g. for `--weight-dtype` (`WeightPrecision.applied(to:)` also sets a 16-bit dtype).
  public func withWeights(_ q: WeightQuantization?) -> ModelSpec {
    var copy = self
    copy.weightQuantization = q
    return copy
  }

  /// How the weights are stored, for tables: "bf16", "int4-g128", "fp8", "fp8-b128".
  public var weightPrecision: String { weightQuantization?.label ?? dtype.rawValue }
}

extension WeightQuantization {
  /// Bytes of one `inputs` × `outputs` matrix stored this way: `bits`/8 per weight; one scale
  /// per `blockRows` × `groupSize` block (per output channel when there is no group) of 2 bytes
  /// (fp16, AWQ and GPTQ) or 4 bytes (fp32, fp8 and int8 checkpoints); a `bits`-wide zero point
  /// per group with `zeroPoints`; and for GPTQ its `g_idx`, one int32 per input feature.
  public func bytes(inputs: Int, outputs: Int) -> Double {
    let scaleBytes: Double = (method == .awq || method == .gptq) ? 2 : 4
    let inputGroups = groupSize.map { (inputs + $0 - 1) / $0 } ?? 1
    let rows = blockRows.map { (outputs + $0 - 1) / $0 } ?? outputs
    let scales = Double(inputGroups) * Double(rows)
    let groupIndex = method == .gptq ? Double(inputs) * 4 : 0
    return Double(inputs) * Double(outputs) * Double(bits) / 8 + scales * scaleBytes
      + (zeroPoints ? scales * Double(bits) / 8 : 0) + groupIndex
  }
}

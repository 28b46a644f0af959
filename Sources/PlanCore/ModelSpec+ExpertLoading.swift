import Foundation

/// Reading the mixture-of-experts and multi-head latent attention fields of a `config.json`.
extension ModelSpec {
  /// Routing fields that change which experts a token picks but not how many, nor their sizes,
  /// nor the bytes stored: read without effect on the arithmetic. `num_nextn_predict_layers`
  /// describes DeepSeek-V3's multi-token-prediction module, which serving without speculative
  /// decoding does not load, so it is not counted.
  static let routingKeys: Set<String> = [
    "norm_topk_prob", "routed_scaling_factor", "scoring_func", "n_group", "topk_group", "topk_method",
    "aux_loss_alpha", "seq_aux", "ep_size", "router_aux_loss_coef", "output_router_logits", "router_jitter_noise",
    "num_nextn_predict_layers",
  ]

  /// The model's expert layers, or nil when it has none (no expert count, or 0 or 1 expert
  /// without an expert shape: the dense reading).
  static func readExperts(_ reader: FieldReader, layers: Int, denseWidth: Int) throws -> MixtureOfExperts? {
    guard let countKey = expertCountKeys.first(where: reader.has),
      let written = try reader.optionalInt(countKey)
    else { return nil }
    let sharedWritten = try reader.optionalInt("n_shared_experts") ?? 0
    let moeShape = reader.has("moe_intermediate_size") || sharedWritten > 0
    guard written > 1 || (written == 1 && moeShape) else {
      if written < 0 { _ = try reader.count(countKey, Plausibility.experts) }
      return nil
    }
    let count = try reader.count(countKey, Plausibility.experts)
    guard let perTokenKey = reader.firstKey(["num_experts_per_tok", "experts_per_token"]) else {
      throw reader.error(
        "num_experts_per_tok",
        "missing: \(count) experts (\(reader.name(countKey))) need the number each token is routed to")
    }
    let perToken = try reader.count(perTokenKey, Plausibility.experts)
    guard perToken <= count else {
      throw reader.error(perTokenKey, "\(perToken) experts per token, more than the \(count) experts (\(countKey))")
    }
    let width = try reader.optionalCount("moe_intermediate_size", Plausibility.intermediateSize) ?? denseWidth

    var shared = try reader.optionalCount("n_shared_experts", Plausibility.sharedExperts) ?? 0
    var sharedWidth = width
    var sharedGate = false
    if let qwenShared = try reader.optionalInt("shared_expert_intermediate_size"), qwenShared != 0 {
      guard shared == 0 else {
        throw reader.error(
          "shared_expert_intermediate_size",
          "given together with n_shared_experts \(shared): the shared experts' width is ambiguous")
      }
      // Qwen2-MoE: one shared expert of this width, scaled by a sigmoid gate.
      sharedWidth = try reader.count("shared_expert_intermediate_size", Plausibility.intermediateSize)
      shared = 1
      sharedGate = true
    }

    let leading = try reader.optionalCount("first_k_dense_replace", Plausibility.denseLayers) ?? 0
    guard leading <= layers else {
      throw reader.error("first_k_dense_replace", "\(leading) dense layers, more than the model's \(layers) layers")
    }
    let step = try reader.optionalCount("decoder_sparse_step", Plausibility.layers) ?? 1
    guard step <= layers else {
      throw reader.error("decoder_sparse_step", "every \(step)th layer, but the model has \(layers) layers")
    }
    var denseIndices: [Int] = []
    for (position, entry) in (try reader.optionalArray("mlp_only_layers") ?? []).enumerated() {
      guard let index = entry as? Int, !FieldReader.isBoolean(entry), (0..<layers).contains(index) else {
        throw reader.error(
          "mlp_only_layers[\(position)]", "\(entry) is not a layer index (0 … \(layers - 1), whole numbers)")
      }
      denseIndices.append(index)
    }
    let topK = try reader.optionalString("topk_method")
    return MixtureOfExperts(
      routedExperts: count, expertsPerToken: perToken, expertIntermediateSize: width, sharedExperts: shared,
      sharedExpertIntermediateSize: sharedWidth, leadingDenseLayers: leading, layerStep: step,
      denseLayerIndices: denseIndices.sorted(),
      // DeepSeek-V3's auxiliary-loss-free routing adds a learned per-expert score correction.
      routerBias: topK == "noaux_tc", sharedExpertGate: sharedGate)
  }

  /// The model's latent attention, or nil when it has none. Every field but `q_lora_rank` is
  /// required once any is present.
  static func readLatentAttention(_ reader: FieldReader) throws -> LatentAttention? {
    let present = latentAttentionKeys.filter(reader.has)
    guard !present.isEmpty else { return nil }
    func required(_ key: String, _ range: PlausibleCount) throws -> Int {
      guard reader.has(key) else {
        throw reader.error(
          key,
          "missing: multi-head latent attention (\(present.joined(separator: ", "))) needs kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim"
        )
      }
      return try reader.count(key, range)
    }
    return LatentAttention(
      kvLoraRank: try required("kv_lora_rank", Plausibility.latentRank),
      qLoraRank: try reader.optionalCount("q_lora_rank", Plausibility.latentRank),
      qkRopeHeadDim: try required("qk_rope_head_dim", Plausibility.headDim),
      qkNopeHeadDim: try required("qk_nope_head_dim", Plausibility.headDim),
      vHeadDim: try required("v_head_dim", Plausibility.headDim))
  }
}

import Foundation

extension ModelSpec {
  /// Model families whose MLP is gated (SwiGLU/GeGLU) and which use RMSNorm + rotary positions.
  static let llamaLikeFamilies: Set<String> = [
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "internlm2", "yi", "baichuan", "deepseek",
  ]

  /// Reads a HuggingFace `config.json` (Llama-style or GPT-2-style field names) plus our
  /// optional `llmplan` block, and validates it.
  public static func load(from reader: FieldReader, name: String) throws -> ModelSpec {
    let modelType = (try reader.optionalString("model_type"))?.lowercased() ?? ""
    let extra = try reader.optionalObject("llmplan")

    func required(_ keys: [String]) throws -> Int {
      guard let key = reader.firstKey(keys) else {
        throw reader.error(keys[0], "missing (also looked for \(keys.dropFirst().joined(separator: ", ")))")
      }
      return try reader.positiveInt(key)
    }
    let hidden = try required(["hidden_size", "n_embd", "d_model"])
    let layers = try required(["num_hidden_layers", "n_layer", "num_layers"])
    let heads = try required(["num_attention_heads", "n_head"])
    let kvHeads = try reader.firstKey(["num_key_value_heads", "n_kv_head"]).map { try reader.positiveInt($0) } ?? heads
    let vocab = try required(["vocab_size"])
    let positions =
      try reader.firstKey(["max_position_embeddings", "n_positions", "n_ctx"])
      .map { try reader.positiveInt($0) } ?? 2048
    let ffnKey = reader.firstKey(["intermediate_size", "n_inner", "ffn_dim"])
    let ffn = try ffnKey.map { try reader.positiveInt($0) } ?? 4 * hidden

    let activation =
      (try reader.firstKey(["hidden_act", "activation_function"]).map { try reader.string($0) }) ?? "gelu"
    let llamaLike = llamaLikeFamilies.contains(modelType)
    let gated =
      try extra?.optionalBool("gated_mlp")
      ?? (llamaLike || ["silu", "swish", "swiglu"].contains(activation.lowercased()))

    let headDim = try reader.optionalInt("head_dim")
    if let headDim, headDim <= 0 { throw reader.error("head_dim", "must be positive, found \(headDim)") }
    if headDim == nil && hidden % heads != 0 {
      throw reader.error(
        reader.firstKey(["num_attention_heads", "n_head"]) ?? "num_attention_heads",
        "\(heads) does not divide hidden size \(hidden)")
    }
    if heads % kvHeads != 0 {
      throw reader.error(
        reader.firstKey(["num_key_value_heads", "n_kv_head"]) ?? "num_key_value_heads",
        "\(kvHeads) key/value heads do not divide \(heads) attention heads")
    }

    var dtype = DType.fp16
    if let text = try reader.optionalString("torch_dtype") {
      guard let parsed = DType(huggingFace: text) else {
        throw reader.error("torch_dtype", "unknown dtype \"\(text)\" (expected float16, bfloat16, float32)")
      }
      dtype = parsed
    }
    if let text = try extra?.optionalString("dtype") {
      guard let parsed = DType(huggingFace: text) else { throw extra!.error("dtype", "unknown dtype \"\(text)\"") }
      dtype = parsed
    }

    let gptLike = reader.has("n_embd") || modelType.hasPrefix("gpt")
    let tied = try reader.optionalBool("tie_word_embeddings") ?? gptLike
    let normalization: Normalization =
      (reader.has("rms_norm_eps") || llamaLike) ? .rmsNorm : .layerNorm
    let learnedPositions =
      try extra?.optionalBool("learned_position_embeddings")
      ?? (gptLike && !reader.has("rope_theta") && !reader.has("rotary_dim"))
    let attentionBias =
      try reader.optionalBool("attention_bias") ?? (gptLike || !llamaLike && normalization == .layerNorm)
    let mlpBias = try reader.optionalBool("mlp_bias") ?? attentionBias

    let spec = ModelSpec(
      name: name,
      displayName: try extra?.optionalString("display_name") ?? name,
      hiddenSize: hidden, numLayers: layers, numHeads: heads, numKVHeads: kvHeads, headDim: headDim,
      intermediateSize: ffn, vocabSize: vocab, maxPositionEmbeddings: positions, dtype: dtype,
      gatedMLP: gated, activation: activation, tieWordEmbeddings: tied, normalization: normalization,
      positionEmbedding: learnedPositions ? .learned : .rotary, attentionBias: attentionBias, mlpBias: mlpBias,
      publishedParameters: try extra?.optionalDouble("published_parameters"))

    if let published = spec.publishedParameters {
      guard published > 0 else { throw extra!.error("published_parameters", "must be positive") }
      let relative = abs(spec.parameterCount - published) / published
      if relative > 0.015 {
        throw extra!.error(
          "published_parameters",
          String(
            format: "the architecture gives %.4g parameters, %.1f%% away from the published %.4g: check the fields",
            spec.parameterCount, relative * 100, published))
      }
    }
    return spec
  }
}

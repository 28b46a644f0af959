import Foundation

extension ModelSpec {
  /// Model families whose MLP is gated (SwiGLU/GeGLU) and which use RMSNorm + rotary positions;
  /// the mixture-of-experts families among them (`mixtral`, `qwen2_moe`, `qwen3_moe`,
  /// `deepseek_v2`, `deepseek_v3`) have gated experts.
  static let llamaLikeFamilies: Set<String> = [
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "internlm2", "yi", "baichuan", "deepseek",
    "mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3",
  ]

  /// The fields of a `config.json` LLMPlan reads.
  static let readKeys: Set<String> = [
    "model_type", "llmplan", "hidden_size", "n_embd", "d_model", "num_hidden_layers", "n_layer", "num_layers",
    "num_attention_heads", "n_head", "num_key_value_heads", "n_kv_head", "vocab_size", "max_position_embeddings",
    "n_positions", "n_ctx", "intermediate_size", "n_inner", "ffn_dim", "hidden_act", "activation_function",
    "head_dim", "torch_dtype", "tie_word_embeddings", "rms_norm_eps", "rope_theta", "rotary_dim", "attention_bias",
    "mlp_bias",
  ]

  /// HuggingFace `config.json` fields that do not change the cost of serving (token ids,
  /// initialisation, dropout, tokenizer and library bookkeeping): present without a warning.
  static let harmlessHuggingFaceKeys: Set<String> = [
    "_name_or_path", "architectures", "auto_map", "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id",
    "decoder_start_token_id", "initializer_range", "layer_norm_eps", "layer_norm_epsilon", "rope_scaling",
    "pretraining_tp", "use_cache", "transformers_version", "attention_dropout", "hidden_dropout", "dropout",
    "activation_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop", "summary_activation", "summary_first_dropout",
    "summary_proj_to_labels", "summary_type", "summary_use_proj", "task_specific_params", "scale_attn_weights",
    "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "max_window_layers", "tokenizer_class",
    "is_encoder_decoder", "output_attentions", "output_hidden_states",
    "return_dict", "id2label", "label2id", "problem_type", "partial_rotary_factor",
    "rope_type", "original_max_position_embeddings", "bias", "gradient_checkpointing", "do_sample", "temperature",
    "top_p", "top_k", "max_length", "torchscript", "use_return_dict", "tie_encoder_decoder", "num_labels",
  ]

  /// `model_type` values whose dense configs the loader reads correctly: the Llama-like families
  /// above and GPT-2 (GPT-3 is written in its schema). Another type is read only when every
  /// field of its file is one LLMPlan knows, and then with a warning (see `checkModelType`).
  static let knownModelTypes: Set<String> = llamaLikeFamilies.union(["gpt2"])

  /// Families whose `tie_word_embeddings` defaults to true in HuggingFace transformers when the
  /// file leaves it out (GPT-2, Gemma).
  static let tiedByDefaultFamilies: Set<String> = ["gemma", "gemma2"]

  /// Fields of the `llmplan` block; any other is an error.
  static let llmplanKeys: Set<String> = [
    "display_name", "published_parameters", "gated_mlp", "learned_position_embeddings", "dtype", "source", "note",
  ]

  /// Where warnings about a file go: standard error, one line each.
  public static func warnOnStandardError(_ message: String) {
    FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8))
  }

  /// Reads a HuggingFace `config.json` (Llama-style or GPT-2-style field names) plus our
  /// optional `llmplan` block, and validates it. A field neither read nor known to be harmless
  /// is reported through `warn` (not an error: HuggingFace adds fields over time, and a new
  /// one must not stop a plan); unknown fields of the `llmplan` block are errors.
  public static func load(
    from reader: FieldReader, name: String, warn: (String) -> Void = ModelSpec.warnOnStandardError
  ) throws -> ModelSpec {
    let modelType = (try reader.optionalString("model_type"))?.lowercased() ?? ""
    let extra = try reader.optionalObject("llmplan")
    try extra?.rejectUnknown(allowed: llmplanKeys)
    let contextKey = reader.firstKey(["max_position_embeddings", "n_positions", "n_ctx"])
    try rejectUnsupportedFields(
      reader, contextTokens: try contextKey.map { try reader.count($0, Plausibility.tokens) } ?? 2048)
    let unfamiliar = reader.object.keys.sorted().filter {
      !readKeys.contains($0) && !harmlessHuggingFaceKeys.contains($0) && !checkedKeys.contains($0)
    }
    try checkModelType(reader, modelType: modelType, unfamiliar: unfamiliar, warn: warn)
    for key in unfamiliar {
      let hint = FieldReader.nearest(key, in: readKeys).map { "; did you mean \($0)?" } ?? ""
      warn("\(reader.file): \(reader.name(key)): unfamiliar config.json field, ignored\(hint)")
    }

    func required(_ keys: [String], _ range: PlausibleCount) throws -> Int {
      guard let key = reader.firstKey(keys) else {
        throw reader.error(keys[0], "missing (also looked for \(keys.dropFirst().joined(separator: ", ")))")
      }
      return try reader.count(key, range)
    }
    let hidden = try required(["hidden_size", "n_embd", "d_model"], Plausibility.hiddenSize)
    let layers = try required(["num_hidden_layers", "n_layer", "num_layers"], Plausibility.layers)
    let heads = try required(["num_attention_heads", "n_head"], Plausibility.heads)
    let kvHeads =
      try reader.firstKey(["num_key_value_heads", "n_kv_head"]).map { try reader.count($0, Plausibility.heads) }
      ?? heads
    let vocab = try required(["vocab_size"], Plausibility.vocabulary)
    let positions =
      try reader.firstKey(["max_position_embeddings", "n_positions", "n_ctx"])
      .map { try reader.count($0, Plausibility.tokens) } ?? 2048
    let ffnKey = reader.firstKey(["intermediate_size", "n_inner", "ffn_dim"])
    let ffn = try ffnKey.map { try reader.count($0, Plausibility.intermediateSize) } ?? 4 * hidden

    let activation =
      (try reader.firstKey(["hidden_act", "activation_function"]).map { try reader.string($0) }) ?? "gelu"
    let llamaLike = llamaLikeFamilies.contains(modelType)
    let gated =
      try extra?.optionalBool("gated_mlp")
      ?? (llamaLike || ["silu", "swish", "swiglu"].contains(activation.lowercased()))

    let experts = try readExperts(reader, layers: layers, denseWidth: ffn)
    let latent = try readLatentAttention(reader)
    let quantization = try readWeightQuantization(reader, hasExperts: experts != nil)
    // Latent attention's query and key heads are qk_nope_head_dim + qk_rope_head_dim wide.
    let headDim =
      try reader.optionalCount("head_dim", Plausibility.headDim)
      ?? latent.map { $0.qkNopeHeadDim + $0.qkRopeHeadDim }
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
    let tied = try reader.optionalBool("tie_word_embeddings") ?? (gptLike || tiedByDefaultFamilies.contains(modelType))
    let normalization: Normalization =
      (reader.has("rms_norm_eps") || llamaLike) ? .rmsNorm : .layerNorm
    let learnedPositions =
      try extra?.optionalBool("learned_position_embeddings")
      ?? (gptLike && !reader.has("rope_theta") && !reader.has("rotary_dim"))
    let attentionBias =
      try reader.optionalBool("attention_bias") ?? (gptLike || !llamaLike && normalization == .layerNorm)
    // Llama-like families have no MLP biases unless `mlp_bias` says so (transformers' default).
    let mlpBias = try reader.optionalBool("mlp_bias") ?? (llamaLike ? false : attentionBias)

    let spec = ModelSpec(
      name: name,
      displayName: try extra?.optionalString("display_name") ?? name,
      hiddenSize: hidden, numLayers: layers, numHeads: heads, numKVHeads: kvHeads, headDim: headDim,
      intermediateSize: ffn, vocabSize: vocab, maxPositionEmbeddings: positions, dtype: dtype,
      gatedMLP: gated, activation: activation, tieWordEmbeddings: tied, normalization: normalization,
      positionEmbedding: learnedPositions ? .learned : .rotary, attentionBias: attentionBias, mlpBias: mlpBias,
      publishedParameters: try extra?.optionalQuantity("published_parameters", Plausibility.publishedParameters),
      experts: experts, latentAttention: latent, weightQuantization: quantization)

    if let published = spec.publishedParameters {
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

  /// An unknown (or missing) `model_type` is read as a dense decoder only when the file has no
  /// field LLMPlan does not know, and then with a warning; with unfamiliar fields it is refused
  /// with their names, since those fields may change the arithmetic in ways the reading misses.
  static func checkModelType(
    _ reader: FieldReader, modelType: String, unfamiliar: [String], warn: (String) -> Void
  ) throws {
    guard !knownModelTypes.contains(modelType) else { return }
    let stated = modelType.isEmpty ? "no model_type" : "model_type \"\(modelType)\""
    let known = "known: \(knownModelTypes.sorted().joined(separator: ", "))"
    if !unfamiliar.isEmpty {
      let listed = unfamiliar.prefix(8).joined(separator: ", ") + (unfamiliar.count > 8 ? ", …" : "")
      throw reader.error(
        "model_type",
        "\(stated) is not a family LLMPlan reads (\(known)) and the file has fields it does not know (\(listed)): refused rather than read as a dense Llama- or GPT-style model"
      )
    }
    warn(
      "\(reader.file): model_type: \(stated) is not a family LLMPlan knows (\(known)); every field is familiar, so it is read as a dense decoder: check its parameter count"
    )
  }
}

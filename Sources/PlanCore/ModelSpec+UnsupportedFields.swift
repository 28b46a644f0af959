import Foundation

/// `config.json` fields that change the arithmetic of a model in ways LLMPlan does not model
/// yet (sliding-window or mixed attention layers, quantization methods other than AWQ, GPTQ,
/// fp8 and compressed-tensors, nested multimodal configs, MoE layers on a `moe_layer_freq`
/// other than 1). A file whose values make them matter is refused with the field, its value
/// and what is unsupported; a file whose values leave the arithmetic unchanged
/// (`sliding_window: null`, `num_experts_per_tok` without experts, no `quantization_config`)
/// loads as before. Experts, latent attention and the modelled quantization methods are read
/// by `ModelSpec+ExpertLoading.swift` and `ModelSpec+QuantizationLoading.swift`.
extension ModelSpec {
  /// Expert counts as the families spell them (Mixtral, gpt-oss, Llama 4: `num_local_experts`;
  /// Qwen-MoE, OLMoE: `num_experts`; DeepSeek, GLM-4.5: `n_routed_experts`; ERNIE: `moe_num_experts`).
  static let expertCountKeys = ["num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"]

  /// Fields that describe the expert layers; they matter only when there are experts.
  static let expertShapeKeys = [
    "num_experts_per_tok", "experts_per_token", "n_shared_experts", "moe_intermediate_size",
    "shared_expert_intermediate_size", "first_k_dense_replace", "decoder_sparse_step", "mlp_only_layers",
    "moe_layer_freq",
  ]

  /// Multi-head latent attention (DeepSeek-V2/V3): compressed KV and split rotary/non-rotary heads.
  static let latentAttentionKeys = [
    "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim",
  ]

  /// Every field this check reads, so none of them is reported as unfamiliar.
  static let checkedKeys: Set<String> = Set(
    expertCountKeys + expertShapeKeys + latentAttentionKeys + [
      "sliding_window", "use_sliding_window", "layer_types", "quantization_config", "compression_config", "text_config",
    ]
  ).union(routingKeys)

  /// One field that makes the file's arithmetic differ from a dense model's.
  struct UnsupportedField {
    /// The field's dotted name in the file (`text_config.num_local_experts`).
    var field: String
    var reason: String
  }

  /// Throws for the first unsupported field (naming the others on the same line), in the order
  /// of how far off a reading would be: quantized weights, expert layer placement, attention
  /// windows, a nested text model.
  static func rejectUnsupportedFields(_ reader: FieldReader, contextTokens: Int) throws {
    var found = try unsupportedFields(reader, contextTokens: contextTokens)
    if let text = try reader.optionalObject("text_config") {
      let positions =
        try text.firstKey(["max_position_embeddings"]).map { try text.count($0, Plausibility.tokens) }
        ?? contextTokens
      found += try unsupportedFields(text, contextTokens: positions)
      found.append(
        UnsupportedField(
          field: reader.name("text_config"),
          reason:
            "a nested text model (a multimodal checkpoint) is not read: LLMPlan reads flat decoder-only configs"))
    }
    guard let first = found.first else { return }
    let others = found.dropFirst().map(\.field)
    let also = others.isEmpty ? "" : " (also unsupported: \(others.joined(separator: ", ")))"
    throw CatalogError(file: reader.file, field: first.field, reason: first.reason + also)
  }

  static func unsupportedFields(_ reader: FieldReader, contextTokens: Int) throws -> [UnsupportedField] {
    var found: [UnsupportedField] = []
    if let quantization = try quantization(reader) { found.append(quantization) }
    if let frequency = try reader.optionalInt("moe_layer_freq"), frequency != 1 {
      found.append(
        UnsupportedField(
          field: reader.name("moe_layer_freq"),
          reason:
            "\(frequency): expert layers on one layer in \(frequency) (DeepSeek's placement) are not modelled; an expert layer at every layer past first_k_dense_replace (moe_layer_freq 1) is"
        ))
    }
    found += try attentionWindows(reader, contextTokens: contextTokens)
    return found
  }

  /// A quantization method LLMPlan does not model: the reading would count every weight at
  /// `torch_dtype` bytes, or at the wrong width.
  static func quantization(_ reader: FieldReader) throws -> UnsupportedField? {
    // `compression_config`: the name older compressed-tensors checkpoints use.
    guard let key = reader.firstKey(["quantization_config", "compression_config"]),
      let config = try reader.optionalObject(key)
    else { return nil }
    let method = quantMethod(config) ?? "unstated"
    guard !modelledQuantMethods.contains(method) else { return nil }
    var details = ["quant_method \"\(method)\""]
    if let bits = try? config.optionalInt("bits") {
      details.append("bits \(bits)")
    } else if (try? config.optionalBool("load_in_4bit")) == true {
      details.append("load_in_4bit")
    } else if (try? config.optionalBool("load_in_8bit")) == true {
      details.append("load_in_8bit")
    } else if let format = config.object["fmt"] as? String {
      details.append("fmt \"\(format)\"")
    }
    if let group = try? config.optionalInt("group_size") { details.append("group_size \(group)") }
    let stored = (reader.object["torch_dtype"] as? String) ?? "float16"
    let modelled = modelledQuantMethods.sorted().joined(separator: ", ")
    return UnsupportedField(
      field: reader.name(key),
      reason:
        "\(details.joined(separator: ", ")): this quantization method is not modelled (every weight would be counted at torch_dtype \(stored) bytes); modelled: \(modelled), or load the unquantized checkpoint's config.json and choose --weight-dtype"
    )
  }

  /// Sliding-window layers whose window is shorter than the context, or attention kinds other
  /// than full and sliding attention.
  static func attentionWindows(_ reader: FieldReader, contextTokens: Int) throws -> [UnsupportedField] {
    let window = try reader.optionalCount("sliding_window", Plausibility.tokens)
    let windowEnabled = try reader.optionalBool("use_sliding_window") ?? true
    let howToLoad = { (window: Int) in
      "set max_position_embeddings to at most \(window) to plan contexts the window never shortens"
    }
    if let kinds = try reader.optionalArray("layer_types") {
      let names = kinds.map { ($0 as? String) ?? "\($0)" }
      let other = Set(names).subtracting(["full_attention", "sliding_attention"]).sorted()
      if !other.isEmpty {
        return [
          UnsupportedField(
            field: reader.name("layer_types"),
            reason:
              "layers of kind \(other.joined(separator: ", ")): attention other than full and sliding-window attention is not modelled"
          )
        ]
      }
      let sliding = names.filter { $0 == "sliding_attention" }.count
      guard sliding > 0 else { return [] }
      guard let window else {
        return [
          UnsupportedField(
            field: reader.name("layer_types"),
            reason: "\(sliding) sliding-attention layers but no sliding_window is given")
        ]
      }
      guard window < contextTokens else { return [] }
      return [
        UnsupportedField(
          field: reader.name("layer_types"),
          reason:
            "\(sliding) of \(names.count) layers use sliding-window attention over \(window) tokens, shorter than max_position_embeddings \(contextTokens): sliding-window KV is not modelled yet (it would be overcounted); \(howToLoad(window))"
        )
      ]
    }
    guard let window, windowEnabled, window < contextTokens else { return [] }
    return [
      UnsupportedField(
        field: reader.name("sliding_window"),
        reason:
          "\(window) tokens, shorter than max_position_embeddings \(contextTokens): sliding-window attention is not modelled yet (KV beyond the window would be overcounted); \(howToLoad(window))"
      )
    ]
  }

  /// A field's value as written, for a message: `512`, `"yarn"`, a list or an object in brief.
  static func value(_ reader: FieldReader, _ key: String) throws -> String {
    switch reader.object[key] {
    case let text as String: return "\"\(text)\""
    case is [Any]: return "a list"
    case is [String: Any]: return "an object"
    case .some(let raw): return FieldReader.written((raw as? Double) ?? Double((raw as? Int) ?? 0))
    case .none: return "absent"
    }
  }
}

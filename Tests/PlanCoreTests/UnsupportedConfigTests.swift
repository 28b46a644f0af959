import Foundation
import Testing

@testable import PlanCore

/// Configs whose arithmetic LLMPlan does not model yet (attention windows, quantization methods
/// other than AWQ, GPTQ, fp8 and compressed-tensors, mixed precision, nested text models) and
/// incomplete expert or latent-attention fields are refused by field name; values that leave the
/// arithmetic unchanged load as before.
@Suite struct UnsupportedConfigTests {
  /// Loads `text` written as `config.json`; the warnings it raised.
  @discardableResult
  func load(_ text: String, warnings: inout [String]) throws -> ModelSpec {
    let path = try Fixtures.write(text, name: "config.json")
    var collected: [String] = []
    defer { warnings = collected }
    return try ModelSpec.load(from: DataFile.read(path), name: "m", warn: { collected.append($0) })
  }

  /// Requires `text` to be refused for `field`, with every fragment in the reason.
  func expectRefused(
    _ text: String, field: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let path = try Fixtures.write(text, name: "config.json")
    expectCatalogError(file: path, field: field, reasonContains: fragments, sourceLocation: sourceLocation) {
      _ = try ModelSpec.load(from: DataFile.read(path), name: "m", warn: { _ in })
    }
  }

  /// A catalog file with some fields changed, as JSON text.
  func catalogVariant(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
    var object = try Fixtures.catalogObject("llm/\(name).json")
    change(&object)
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  // MARK: Refused, by field

  @Test func latentAttentionWithoutItsHeadWidthsIsRefused() throws {
    let text = try catalogVariant("llama-3-8b") {
      $0["kv_lora_rank"] = 512
      $0["qk_rope_head_dim"] = 64
    }
    try expectRefused(
      text, field: "qk_nope_head_dim",
      ["missing", "multi-head latent attention (kv_lora_rank, qk_rope_head_dim)", "v_head_dim"])
  }

  @Test func expertsWithoutARoutingWidthAreRefused() throws {
    let text = try catalogVariant("llama-3-8b") { $0["num_local_experts"] = 8 }
    try expectRefused(text, field: "num_experts_per_tok", ["missing", "8 experts (num_local_experts)"])
    let tooMany = try catalogVariant("llama-3-8b") {
      $0["num_local_experts"] = 8
      $0["num_experts_per_tok"] = 9
    }
    try expectRefused(tooMany, field: "num_experts_per_tok", ["9 experts per token, more than the 8 experts"])
  }

  @Test func expertLayerFieldsOutsideTheModelAreRefused() throws {
    let leading = try Fixtures.variant(PublishedConfigs.deepSeekV2Lite) { $0["first_k_dense_replace"] = 28 }
    try expectRefused(leading, field: "first_k_dense_replace", ["28 dense layers", "27 layers"])
    let listed = try Fixtures.variant(PublishedConfigs.qwen15MoE) { $0["mlp_only_layers"] = [3, 24] }
    try expectRefused(listed, field: "mlp_only_layers[1]", ["24 is not a layer index (0 … 23"])
    let frequency = try Fixtures.variant(PublishedConfigs.deepSeekV2Lite) { $0["moe_layer_freq"] = 2 }
    try expectRefused(frequency, field: "moe_layer_freq", ["2: expert layers on one layer in 2", "not modelled"])
    let absurd = try Fixtures.variant(PublishedConfigs.qwen15MoE) { $0["num_experts"] = 1e9 }
    try expectRefused(absurd, field: "num_experts", ["a whole number in 1 … 65,536 (an expert count)"])
  }

  @Test func unmodelledQuantizationMethodsAreRefusedNamingTheMethod() throws {
    let nf4 = try catalogVariant("llama-3-8b") {
      $0["quantization_config"] = ["quant_method": "bitsandbytes", "load_in_4bit": true]
    }
    try expectRefused(
      nf4, field: "quantization_config",
      ["quant_method \"bitsandbytes\"", "load_in_4bit", "not modelled", "modelled: awq, compressed-tensors, fp8, gptq"])
    let hqq = try catalogVariant("llama-3-8b") { $0["compression_config"] = ["quant_method": "hqq"] }
    try expectRefused(hqq, field: "compression_config", ["quant_method \"hqq\""])
  }

  @Test func quantizationDetailsLLMPlanCannotCountAreRefusedByField() throws {
    func awq(_ change: @escaping (inout [String: Any]) -> Void) throws -> String {
      try Fixtures.variant(PublishedConfigs.llama31_8B_AWQ) {
        var config = $0["quantization_config"] as? [String: Any] ?? [:]
        change(&config)
        $0["quantization_config"] = config
      }
    }
    try expectRefused(
      try awq { $0["bits"] = 3 }, field: "quantization_config.bits", ["3 bits", "4 bits only"])
    try expectRefused(
      try awq { $0["modules_to_not_convert"] = ["self_attn.o_proj"] },
      field: "quantization_config.modules_to_not_convert",
      ["\"self_attn.o_proj\" stays unquantized", "mixed-precision"])
    // The LM head stays in fp16 anyway: listing it changes nothing.
    var warnings: [String] = []
    let headKept = try load(try awq { $0["modules_to_not_convert"] = ["lm_head"] }, warnings: &warnings)
    #expect(headKept.weightPrecision == "int4-g128" && warnings.isEmpty)
    try expectRefused(
      try awq {
        $0["quant_method"] = "compressed-tensors"
        $0["config_groups"] = [
          "group_0": ["targets": ["Linear"], "weights": ["num_bits": 4, "type": "float"]]
        ]
      }, field: "quantization_config.config_groups.group_0.weights.num_bits", ["4-bit float weights are not modelled"])
    try expectRefused(
      try awq {
        $0["quant_method"] = "compressed-tensors"
        $0["config_groups"] = ["a": ["targets": ["Linear"]], "b": ["targets": ["Linear"]]]
      }, field: "quantization_config.config_groups", ["2 quantization schemes"])
  }

  @Test func gptOssIsRefusedForMXFP4AndNamesItsWindows() throws {
    try expectRefused(
      PublishedConfigs.gptOss120B, field: "quantization_config",
      ["quant_method \"mxfp4\"", "also unsupported: layer_types"])
  }

  @Test func llama4IsRefusedForItsNestedTextModel() throws {
    try expectRefused(PublishedConfigs.llama4Scout, field: "text_config", ["a nested text model", "not read"])
  }

  @Test func mistral7Bv01IsRefusedForItsSlidingWindow() throws {
    try expectRefused(
      PublishedConfigs.mistral7Bv01, field: "sliding_window",
      ["4096 tokens", "max_position_embeddings 32768", "set max_position_embeddings to at most 4096"])
  }

  @Test func layerTypesOtherThanFullOrSlidingAreRefused() throws {
    let text = try catalogVariant("llama-3-8b") {
      $0["layer_types"] = ["linear_attention", "full_attention"]
    }
    try expectRefused(text, field: "layer_types", ["linear_attention", "not modelled"])
  }

  @Test func unknownModelTypeWithUnfamiliarFieldsIsRefusedListingThem() throws {
    try expectRefused(
      PublishedConfigs.falcon7B, field: "model_type",
      ["\"falcon\"", "alibi, multi_query, new_decoder_architecture, parallel_attn", "refused"])
  }

  // MARK: Loadable

  @Test func unknownModelTypeWithOnlyFamiliarFieldsLoadsWithAWarning() throws {
    let text = try catalogVariant("llama-2-7b") { $0["model_type"] = "llama_successor" }
    var warnings: [String] = []
    let model = try load(text, warnings: &warnings)
    #expect(model.parameterCount == 6_738_415_616)
    #expect(warnings.count == 1)
    #expect(warnings.first?.contains("model_type: model_type \"llama_successor\" is not a family") == true)
  }

  @Test func fieldsWhoseValuesChangeNothingStillLoadUnchanged() throws {
    var warnings: [String] = []
    let reference = try Fixtures.catalog.model("llama-3-8b")
    let variants: [(inout [String: Any]) -> Void] = [
      { $0["quantization_config"] = NSNull() },
      { $0["sliding_window"] = NSNull() },
      { $0["sliding_window"] = 131_072 },  // longer than the 8192-token context: never binds
      {
        $0["sliding_window"] = 4096
        $0["use_sliding_window"] = false  // Qwen2's switch
      },
      { $0["num_experts_per_tok"] = 2 },  // routing width without experts
      { $0["num_local_experts"] = NSNull() },
      { $0["layer_types"] = Array(repeating: "full_attention", count: 32) },
    ]
    for change in variants {
      let model = try load(try catalogVariant("llama-3-8b", change), warnings: &warnings)
      #expect(model.parameterCount == reference.parameterCount)
      #expect(model.kvCacheBytesPerToken == reference.kvCacheBytesPerToken)
      #expect(warnings.isEmpty, "\(warnings)")
    }
  }

  @Test func mistralInstructV02WithoutAWindowLoads() throws {
    var warnings: [String] = []
    let model = try load(PublishedConfigs.mistral7BInstructV02, warnings: &warnings)
    #expect(warnings.isEmpty, "\(warnings)")
    // 32·(2·4096² + 2·4096·1024 + 3·4096·14336 + 2·4096) + 2·32000·4096 + 4096 = 7,241,732,096:
    // the "7.24B params" of the Hub's model page.
    #expect(model.parameterCount == 7_241_732_096)
    #expect(model.attentionKind == .gqa)
  }

  @Test func mistralV01WithTheContextCappedAtItsWindowLoads() throws {
    // With max_position_embeddings ≤ the window, every request sees full attention.
    let capped = PublishedConfigs.mistral7Bv01.replacingOccurrences(
      of: "\"max_position_embeddings\": 32768", with: "\"max_position_embeddings\": 4096")
    var warnings: [String] = []
    #expect(try load(capped, warnings: &warnings).parameterCount == 7_241_732_096)
  }

  @Test func gemmaTiesItsEmbeddingsByDefault() throws {
    // Gemma report (arXiv:2403.08295), Table 2: 7B has 786,432,000 embedding and 7,751,248,896
    // non-embedding parameters; the LM head shares the embedding, so it is counted once.
    var warnings: [String] = []
    let model = try load(PublishedConfigs.gemma7B, warnings: &warnings)
    #expect(model.tieWordEmbeddings)
    #expect(model.parameterCount == 786_432_000 + 7_751_248_896)
  }

  @Test func attentionKindFollowsTheHeadCounts() throws {
    #expect(try Fixtures.catalog.model("llama-2-7b").attentionKind == .mha)
    #expect(try Fixtures.catalog.model("llama-2-70b").attentionKind == .gqa)
    var warnings: [String] = []
    let mqa = try load(
      try catalogVariant("llama-2-7b") {
        $0["num_key_value_heads"] = 1
        $0["llmplan"] = nil  // its published count is for the 32 key/value heads of the real model
      }, warnings: &warnings)
    #expect(mqa.attentionKind == .mqa)
  }

  @Test func attentionBiasIsCountedWhenStated() throws {
    // Q, K, V and output biases: 4096 + 2·1024 + 4096 = 10,240 per layer, 32 layers.
    var warnings: [String] = []
    let reference = try Fixtures.catalog.model("llama-3-8b")
    let biased = try load(try catalogVariant("llama-3-8b") { $0["attention_bias"] = true }, warnings: &warnings)
    #expect(biased.parameterCount - reference.parameterCount == 32 * 10_240)
  }
}

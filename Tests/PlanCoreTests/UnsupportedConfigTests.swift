import Foundation
import Testing

@testable import PlanCore

/// Configs whose arithmetic LLMPlan does not model yet (experts, latent attention, quantized
/// weights, attention windows) are refused by field name; values that leave the arithmetic
/// unchanged load as before.
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

  @Test func mixtralIsRefusedForItsExperts() throws {
    // Read as dense it would be a 7.24B model; the real one holds 46.7B parameters.
    try expectRefused(
      PublishedConfigs.mixtral8x7B, field: "num_local_experts",
      ["8 experts, 2 per token", "mixture-of-experts", "not modelled"])
  }

  @Test func qwen3MoEIsRefusedForItsExperts() throws {
    try expectRefused(PublishedConfigs.qwen3_30B_A3B, field: "num_experts", ["128 experts, 8 per token"])
  }

  @Test func deepSeekV3IsRefusedForExpertsAndNamesLatentAttentionAndFP8() throws {
    try expectRefused(
      PublishedConfigs.deepSeekV3, field: "n_routed_experts",
      [
        "256 experts, 8 per token", "also unsupported: kv_lora_rank, q_lora_rank, qk_rope_head_dim",
        "qk_nope_head_dim", "v_head_dim", "quantization_config",
      ])
  }

  @Test func latentAttentionAloneIsRefused() throws {
    let text = try catalogVariant("llama-3-8b") {
      $0["kv_lora_rank"] = 512
      $0["qk_rope_head_dim"] = 64
    }
    try expectRefused(text, field: "kv_lora_rank", ["512", "multi-head latent attention", "not modelled"])
  }

  @Test func awqInt4LlamaIsRefusedNamingMethodAndBits() throws {
    // Read at float16 it would be 16.1 GB of weights; the int4 checkpoint is about a quarter of that.
    try expectRefused(
      PublishedConfigs.llama31_8B_AWQ, field: "quantization_config",
      ["quant_method \"awq\"", "bits 4", "group_size 128", "torch_dtype float16", "not modelled"])
  }

  @Test func fp8AndBitsAndBytesCheckpointsAreRefused() throws {
    let fp8 = try catalogVariant("llama-3-8b") {
      $0["quantization_config"] = ["quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic"]
    }
    try expectRefused(fp8, field: "quantization_config", ["quant_method \"fp8\"", "fmt \"e4m3\""])
    let nf4 = try catalogVariant("llama-3-8b") {
      $0["quantization_config"] = ["quant_method": "bitsandbytes", "load_in_4bit": true]
    }
    try expectRefused(nf4, field: "quantization_config", ["quant_method \"bitsandbytes\"", "load_in_4bit"])
    let compressed = try catalogVariant("llama-3-8b") {
      $0["compression_config"] = ["quant_method": "compressed-tensors"]
    }
    try expectRefused(compressed, field: "compression_config", ["quant_method \"compressed-tensors\""])
  }

  @Test func mistral7Bv01IsRefusedForItsSlidingWindow() throws {
    try expectRefused(
      PublishedConfigs.mistral7Bv01, field: "sliding_window",
      ["4096 tokens", "max_position_embeddings 32768", "set max_position_embeddings to at most 4096"])
  }

  @Test func gptOssIsRefusedForExpertsAndNamesWindowsAndMXFP4() throws {
    try expectRefused(
      PublishedConfigs.gptOss120B, field: "num_local_experts",
      ["128 experts, 4 per token", "quantization_config", "layer_types"])
  }

  @Test func llama4IsRefusedForTheExpertsOfItsNestedTextModel() throws {
    try expectRefused(
      PublishedConfigs.llama4Scout, field: "text_config.num_local_experts", ["16 experts, 1 per token", "text_config"])
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

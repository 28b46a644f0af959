import Foundation
import Testing

/// `llmplan models` lists mixture-of-experts and quantized configs with their real counts, and
/// refuses a config it cannot count with one line naming file and field.
@Suite struct UnsupportedConfigCLITests {
  /// https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json (the fields that
  /// matter, values unchanged).
  static let mixtral = """
    {
      "architectures": ["MixtralForCausalLM"], "hidden_act": "silu", "hidden_size": 4096,
      "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mixtral",
      "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8,
      "num_local_experts": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "sliding_window": null,
      "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 32000
    }
    """

  /// A bitsandbytes 4-bit checkpoint (a method LLMPlan does not model).
  static let nf4 = """
    {
      "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 8192,
      "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
      "quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": true},
      "torch_dtype": "bfloat16", "vocab_size": 128256
    }
    """

  @Test func unmodelledQuantizationExitsOneWithAOneLineError() throws {
    let directory = try CLIRunner.scratch()
    let path = directory.appendingPathComponent("nf4-config.json").path
    try Data(Self.nf4.utf8).write(to: URL(fileURLWithPath: path))
    let run = try CLIRunner.run(["models", path], in: directory)
    #expect(run.status == 1)
    #expect(run.stdout.isEmpty, "nothing is listed: \(run.stdout)")
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(run.stderr)")
    #expect(run.errorLine.contains("\(path): quantization_config: quant_method \"bitsandbytes\""), "\(run.stderr)")
  }

  @Test func mixtralConfigListsAsMoEWithAllItsExperts() throws {
    let directory = try CLIRunner.scratch()
    let path = directory.appendingPathComponent("mixtral-config.json").path
    try Data(Self.mixtral.utf8).write(to: URL(fileURLWithPath: path))
    let run = try CLIRunner.run(["models", path, "--json"], in: directory)
    #expect(run.status == 0, "\(run.stderr)")
    let model = try #require(try run.array().first as? [String: Any])
    #expect(model["architecture"] as? String == "MoE")
    #expect(model["routedExperts"] as? Int == 8 && model["expertsPerToken"] as? Int == 2)
    // 46.7B parameters in all (Mistral's figure), 12.9B per token: not a 7.24B dense model.
    let parameters = try #require(model["parameters"] as? Double)
    let active = try #require(model["activeParameters"] as? Double)
    #expect(abs(parameters - 46.7e9) / 46.7e9 < 0.01 && abs(active - 12.9e9) / 12.9e9 < 0.01)
  }

  @Test func tableShowsExpertsActiveParametersAndQuantizedPrecision() throws {
    let run = try CLIRunner.run(["models", "--catalog", CLIRunner.catalog, "deepseek-v3", "llama-2-7b-awq"])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = run.stdout.split(separator: "\n").map(String.init)
    let header = try #require(lines.first)
    for column in ["EXPERTS", "ACTIVE"] { #expect(header.contains(column)) }
    let deepSeek = try #require(lines.first { $0.hasPrefix("deepseek-v3 ") })
    #expect(deepSeek.contains(" MoE ") && deepSeek.contains(" 256 top-8 +1 shared ") && deepSeek.contains(" MLA "))
    #expect(deepSeek.contains(" fp8-b128 ") && deepSeek.contains(" 70,272 "), "\(deepSeek)")
    let awq = try #require(lines.first { $0.hasPrefix("llama-2-7b-awq ") })
    #expect(awq.contains(" dense ") && awq.contains(" int4-g128 "), "\(awq)")
  }

  @Test func tableShowsArchitectureAttentionKindAndPrecisions() throws {
    let run = try CLIRunner.run(["models", "--catalog", CLIRunner.catalog, "llama-2-70b", "llama-2-7b"])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = run.stdout.split(separator: "\n").map(String.init)
    let header = try #require(lines.first)
    for column in ["ARCH", "ATTN", "PARAMS", "W DTYPE", "KV DTYPE"] { #expect(header.contains(column)) }
    let gqa = try #require(lines.first { $0.hasPrefix("llama-2-70b ") })
    #expect(gqa.contains(" dense ") && gqa.contains(" GQA ") && gqa.contains(" fp16     fp16 "), "\(gqa)")
    let mha = try #require(lines.first { $0.hasPrefix("llama-2-7b ") })
    #expect(mha.contains(" MHA "), "\(mha)")
  }

  @Test func jsonCarriesArchitectureAttentionKindAndPrecisions() throws {
    let run = try CLIRunner.run(["models", "--catalog", CLIRunner.catalog, "llama-3-8b", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let model = try #require(try run.array().first as? [String: Any])
    #expect(model["architecture"] as? String == "dense")
    #expect(model["attentionKind"] as? String == "GQA")  // 32 query heads share 8 key/value heads
    #expect(model["weightDType"] as? String == "bf16")
    #expect(model["kvCacheDType"] as? String == "bf16")
  }
}

import Foundation
import Testing

@testable import PlanCore

/// Mixture-of-experts and latent-attention configs load with the parameter counts their
/// publishers state (sources in each catalog file's `llmplan.source`) and the KV bytes their
/// architecture implies.
@Suite struct MixtureOfExpertsModelTests {
  func load(_ text: String) throws -> ModelSpec {
    let path = try Fixtures.write(text, name: "config.json")
    var warnings: [String] = []
    let model = try ModelSpec.load(from: DataFile.read(path), name: "m", warn: { warnings.append($0) })
    #expect(warnings.isEmpty, "\(warnings)")
    return model
  }

  static func relative(_ value: Double, _ published: Double) -> Double { abs(value - published) / published }

  // MARK: Published totals and active counts

  @Test func mixtral8x7BMatchesMistralsFigures() throws {
    // mistral.ai/news/mixtral-of-experts: 46.7B total, 12.9B per token (Mistral counts the
    // embedding in both).
    let model = try Fixtures.catalog.model("mixtral-8x7b")
    #expect(model.architecture == "MoE" && model.attentionKind == .gqa)
    #expect(Self.relative(model.parameterCount, 46.7e9) < 0.01)
    #expect(Self.relative(model.activeParameterCount, 12.9e9) < 0.01)
    // Per layer: attention 2·4096² + 2·4096·1024, 8 experts of 3·4096·14336, router 4096·8, two
    // norms 2·4096; plus embedding and LM head 2·32000·4096 and the final norm.
    let d = 4096.0
    let attention = 2 * d * d + 2 * d * 1024
    let expert = 3 * d * 14336
    let shared = 32 * (attention + d * 8 + 2 * d) + 2 * 32000 * d + d
    #expect(model.parameterCount == shared + 32 * 8 * expert)
    #expect(model.parameterCount == 46_702_792_704)
    #expect(model.activeParameterCount == shared + 32 * 2 * expert)
    #expect(model.activeParameterCount == 12_879_925_248)
  }

  @Test func qwen3_30B_A3BMatchesTheModelCard() throws {
    // Model card: 30.5B total, 29.9B non-embedding, 3.3B activated.
    let model = try Fixtures.catalog.model("qwen3-30b-a3b")
    #expect(model.experts?.routedExperts == 128 && model.experts?.expertsPerToken == 8)
    #expect(model.expertLayerCount == 48)
    #expect(Self.relative(model.parameterCount, 30.5e9) < 0.01)
    let nonEmbedding = model.parameterCount - model.embeddingParameters - 151_936 * 2048
    #expect(Self.relative(nonEmbedding, 29.9e9) < 0.01)
    // 48·(2·2048·4096 + 2·2048·512 + 8·3·2048·768 + 2048·128 + 2·2048) + 2·151936·2048 + 2048
    // = 3,353,020,416: 1.6 % above the card's two-digit "3.3B" (the same convention gives
    // Qwen3-235B-A22B 22.19B for "22B", 0.9 %); no reading of the architecture gives 3.30B
    // (without the embedding it would be 3.04B), so the card's figure is checked to its rounding.
    #expect(model.activeParameterCount == 3_353_020_416)
    #expect(Self.relative(model.activeParameterCount, 3.3e9) < 0.02)
  }

  @Test func qwen3_235B_A22BMatchesTheModelCard() throws {
    let model = try Fixtures.catalog.model("qwen3-235b-a22b")
    #expect(Self.relative(model.parameterCount, 235e9) < 0.01)
    #expect(Self.relative(model.activeParameterCount, 22e9) < 0.01)
  }

  @Test func deepSeekV3MatchesItsMainModelFigures() throws {
    // DeepSeek-V3 README_WEIGHTS.md: main model 671B, 36.6B activated including the 0.9B output
    // head; DeepSeek counts no embedding in the activated figure. The 14B MTP module is not
    // part of the main model and not counted here.
    let model = try Fixtures.catalog.model("deepseek-v3")
    #expect(model.architecture == "MoE" && model.attentionKind == .mla)
    #expect(model.expertLayerCount == 58)  // 61 layers, the first 3 dense
    #expect(Self.relative(model.parameterCount, 671e9) < 0.01)
    #expect(Self.relative(model.activeParameterCount - model.embeddingParameters, 36.6e9) < 0.01)
    #expect(Self.relative(model.activeParameterCount - model.embeddingParameters, 37e9) < 0.015)
    #expect(Self.relative(model.lmHeadParameters, 0.9e9) < 0.05)
    // MLA per layer (arXiv:2412.19437 §2.1.1): q down 7168·1536 + norm 1536 + q up
    // 1536·128·(128+64); kv down 7168·(512+64) + norm 512 + kv up 512·128·(128+128);
    // output 128·128·7168.
    let d = 7168.0
    let attention =
      d * 1536 + 1536 + 1536 * 128 * 192 + d * 576 + 512 + 512 * 128 * 256 + 128 * 128 * d
    #expect(model.attentionParametersPerLayer == attention)
    #expect(attention == 187_107_328)
    // Experts per MoE layer: 256 routed + 1 shared of 3·7168·2048, router 7168·256 and its
    // 256 score-correction biases.
    let expert = 3 * d * 2048
    let total =
      61 * (attention + 2 * d) + 3 * 3 * d * 18432 + 58 * (257 * expert + d * 256 + 256) + 2 * 129_280 * d + d
    #expect(model.parameterCount == total)
    #expect(model.parameterCount == 671_026_419_200)
  }

  @Test func deepSeekV2LiteWithoutQueryCompression() throws {
    // https://huggingface.co/deepseek-ai/DeepSeek-V2-Lite: 15.7B total, 2.4B activated
    // (DeepSeek-V2 report, arXiv:2405.04434, Appendix B).
    let model = try load(PublishedConfigs.deepSeekV2Lite)
    #expect(model.latentAttention?.qLoraRank == nil)
    #expect(model.experts?.sharedExperts == 2 && model.experts?.leadingDenseLayers == 1)
    #expect(Self.relative(model.parameterCount, 15.7e9) < 0.01)
    // q 2048·16·192, kv down 2048·576 + norm 512, kv up 512·16·256, output 16·128·2048.
    let query: Double = 2048 * 16 * 192
    let keyValue: Double = 2048 * 576 + 512 + 512 * 16 * 256
    let output: Double = 16 * 128 * 2048
    #expect(model.attentionParametersPerLayer == query + keyValue + output)
    // Activated without the embedding (DeepSeek's convention): 2.45B, which the report rounds
    // to 2.4B (2.1 % below); checked to that rounding.
    #expect(Self.relative(model.activeParameterCount - model.embeddingParameters, 2.4e9) < 0.025)
  }

  // MARK: KV cache

  @Test func latentAttentionCachesTheLatentAndTheRotaryKey() throws {
    let model = try Fixtures.catalog.model("deepseek-v3")
    // 61 layers × (512 + 64) × 2 bytes (bf16) = 70,272 B per token.
    #expect(model.kvCacheBytesPerToken == 70_272)
    #expect(model.kvCacheBytesPerTokenPerLayer == 576 * 2)
    // The same heads uncompressed (128 keys of 192 and values of 128 … as GQA with 128 KV
    // heads of 192) would be 2·61·128·192·2 = 5,996,544 B: 85 × more.
    #expect(model.headDim == 192 && model.queryWidth == 128 * 192)
  }

  @Test func moeKVCacheIsTheAttentionsAsForADenseModel() throws {
    // Mixtral: 2 · 32 layers · 8 KV heads · 128 · 2 B = 131,072 B per token.
    #expect(try Fixtures.catalog.model("mixtral-8x7b").kvCacheBytesPerToken == 131_072)
    // Qwen3-30B-A3B: 2 · 48 · 4 · 128 · 2 B = 98,304 B per token.
    #expect(try Fixtures.catalog.model("qwen3-30b-a3b").kvCacheBytesPerToken == 98_304)
  }

  // MARK: Layer placement

  @Test func sparseStepAndMLPOnlyLayersPlaceTheExperts() throws {
    // Qwen2-MoE semantics: layer i (0-based) is MoE when (i + 1) % step == 0 and i is not in
    // mlp_only_layers; here layers 1, 3, 7 of 0…7 (5 is dense by list).
    let model = try load(
      try Fixtures.variant(PublishedConfigs.qwen15MoE) {
        $0["num_hidden_layers"] = 8
        $0["decoder_sparse_step"] = 2
        $0["mlp_only_layers"] = [5]
      })
    let experts = try #require(model.experts)
    #expect((0..<8).filter(experts.isExpertLayer) == [1, 3, 7])
    #expect(model.expertLayerCount == 3)
    // Dense layers carry the dense MLP of intermediate_size 5632; MoE layers 60 experts of
    // 1408, one shared expert of 5632 with its 2048 → 1 gate, and the router 2048·60.
    let d = 2048.0
    let denseMLP: Double = 3 * d * 5632
    let moeBlock: Double = 60 * 3 * d * 1408 + 3 * d * 5632 + d + d * 60
    #expect(model.parameters(ofLayer: 0) - model.parameters(ofLayer: 1) == denseMLP - moeBlock)
    let layers: Double = (0..<8).reduce(0) { $0 + model.parameters(ofLayer: $1) }
    #expect(model.parameterCount == layers + model.embeddingParameters + model.lmHeadParameters)
  }

  @Test func qwen15MoEMatchesItsModelCard() throws {
    // https://huggingface.co/Qwen/Qwen1.5-MoE-A2.7B: "14.3B parameters in total and 2.7B
    // activated parameters during runtime"; one shared expert of 5632 per layer with a sigmoid
    // gate. (Qwen2's Q, K and V biases, 6,144 per layer, are not counted, as for dense Qwen2.)
    let model = try load(PublishedConfigs.qwen15MoE)
    #expect(model.experts?.sharedExpertGate == true && model.experts?.sharedExpertIntermediateSize == 5632)
    #expect(Self.relative(model.parameterCount, 14.3e9) < 0.01)
    #expect(Self.relative(model.activeParameterCount, 2.7e9) < 0.01)
  }

  @Test func denseModelsHaveNoExpertsAndEqualActiveAndTotalCounts() throws {
    let model = try Fixtures.catalog.model("llama-3-8b")
    #expect(model.architecture == "dense" && model.experts == nil && model.latentAttention == nil)
    #expect(model.activeParameterCount == model.parameterCount)
    #expect(model.expertLayerCount == 0)
  }
}

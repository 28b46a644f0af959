import Foundation
import Testing

@testable import PlanCore

@Suite struct ModelCatalogTests {
  /// Published totals (sources in each file's `llmplan.source`): Llama 2 paper / model cards,
  /// GPT-3 paper Table 2.1, Meta Llama 3 model card; Mixtral announcement, Qwen3 model cards,
  /// DeepSeek-V3 report (main model, without the MTP module).
  static let published: [String: Double] = [
    "llama-2-7b": 6.74e9, "llama-2-13b": 13.0e9, "gpt3-175b": 175e9, "llama-2-70b": 69e9, "llama-3-8b": 8.0e9,
    "llama-3-70b": 70.6e9, "llama-2-7b-awq": 6.74e9, "mixtral-8x7b": 46.7e9, "qwen3-30b-a3b": 30.5e9,
    "qwen3-235b-a22b": 235e9, "deepseek-v3": 671e9,
  ]

  @Test func catalogHoldsTheElevenModels() throws {
    #expect(Set(Fixtures.catalog.names(.model)) == Set(Self.published.keys))
  }

  @Test(arguments: [
    "llama-2-7b", "llama-2-13b", "gpt3-175b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-2-7b-awq",
    "mixtral-8x7b", "qwen3-30b-a3b", "qwen3-235b-a22b", "deepseek-v3",
  ])
  func parameterCountMatchesPublishedWithinOneAndAHalfPercent(name: String) throws {
    let model = try Fixtures.catalog.model(name)
    let published = try #require(Self.published[name])
    #expect(model.publishedParameters == published)
    #expect(abs(model.parameterCount - published) / published <= 0.015)
  }

  @Test func llamaCountsFromTheArchitectureFormula() throws {
    // Llama layer: attention d·(h·dh) + 2·d·(kv·dh) + (h·dh)·d, SwiGLU MLP 3·d·f, two RMSNorms 2·d;
    // plus untied embedding and LM head 2·V·d and the final norm d.
    // 7B: 32·(4·4096² + 3·4096·11008 + 2·4096) + 2·32000·4096 + 4096 = 6,738,415,616.
    #expect(try Fixtures.catalog.model("llama-2-7b").parameterCount == 6_738_415_616)
    // 13B: 40·(4·5120² + 3·5120·13824 + 2·5120) + 2·32000·5120 + 5120 = 13,015,864,320.
    #expect(try Fixtures.catalog.model("llama-2-13b").parameterCount == 13_015_864_320)
    // 70B (GQA, 8 KV heads of 128): 80·(2·8192² + 2·8192·1024 + 3·8192·28672 + 2·8192)
    //   + 2·32000·8192 + 8192 = 68,976,648,192.
    #expect(try Fixtures.catalog.model("llama-2-70b").parameterCount == 68_976_648_192)
    // Llama 3 8B (GQA, 8 KV heads): 32·(2·4096² + 2·4096·1024 + 3·4096·14336 + 2·4096)
    //   + 2·128256·4096 + 4096 = 8,030,261,248.
    #expect(try Fixtures.catalog.model("llama-3-8b").parameterCount == 8_030_261_248)
  }

  @Test func gpt3CountFromTheArchitectureFormula() throws {
    let model = try Fixtures.catalog.model("gpt3-175b")
    #expect(model.normalization == .layerNorm)
    #expect(model.positionEmbedding == .learned)
    #expect(model.attentionBias && model.mlpBias && model.tieWordEmbeddings && !model.gatedMLP)
    #expect(model.intermediateSize == 4 * 12288)
    // Per layer: 4d² attention + 4d bias, 8d² MLP + 5d bias, two LayerNorms 4d → 12d² + 13d.
    // Embedding (V + P)·d, tied LM head, final LayerNorm 2d.
    let d = 12288.0
    let expected = 96 * (12 * d * d + 13 * d) + (50257 + 2048) * d + 2 * d
    #expect(expected == 174_604_259_328)
    #expect(model.parameterCount == expected)
  }

  @Test func kvCacheBytesPerToken() throws {
    // 2 (K and V) · layers · kvHeads · headDim · 2 bytes (fp16/bf16).
    // Llama 2 7B: 2·32·4096·2 = 524,288 B/token.
    #expect(try Fixtures.catalog.model("llama-2-7b").kvCacheBytesPerToken == 524_288)
    // Llama 2 13B: 2·40·5120·2 = 819,200 B/token.
    #expect(try Fixtures.catalog.model("llama-2-13b").kvCacheBytesPerToken == 819_200)
    // Llama 2 70B, 8 KV heads × 128 = 1024 wide: 2·80·1024·2 = 327,680 B/token.
    #expect(try Fixtures.catalog.model("llama-2-70b").kvCacheBytesPerToken == 327_680)
    // Llama 3 8B, bf16, 8 KV heads: 2·32·1024·2 = 131,072 B/token.
    #expect(try Fixtures.catalog.model("llama-3-8b").kvCacheBytesPerToken == 131_072)
    // GPT-3: 2·96·12288·2 = 4,718,592 B/token.
    #expect(try Fixtures.catalog.model("gpt3-175b").kvCacheBytesPerToken == 4_718_592)
  }

  @Test func weightBytesPerDType() throws {
    let model = try Fixtures.catalog.model("llama-2-7b")
    #expect(model.dtype == .fp16)
    // 6,738,415,616 parameters × 2 B = 13,476,831,232 B in fp16; × 1 B in fp8; × 4 B in fp32.
    #expect(model.weightBytes() == 13_476_831_232)
    #expect(model.weightBytes(.fp8) == 6_738_415_616)
    #expect(model.weightBytes(.fp32) == 26_953_662_464)
    #expect(try Fixtures.catalog.model("llama-3-8b").dtype == .bf16)
  }

  @Test func headGeometry() throws {
    let model = try Fixtures.catalog.model("llama-2-70b")
    #expect(model.numHeads == 64 && model.numKVHeads == 8 && model.headDim == 128)
    let gpt3 = try Fixtures.catalog.model("gpt3-175b")
    #expect(gpt3.headDim == 128 && gpt3.numKVHeads == 96 && gpt3.maxPositionEmbeddings == 2048)
  }

  @Test func userConfigPathIsNamedAfterItsFolder() throws {
    // A HuggingFace checkout's config.json with no llmplan block loads as is.
    var object = try Fixtures.catalogObject("llm/llama-2-7b.json")
    object["llmplan"] = nil
    let path = try Fixtures.write(json: object, name: "config.json")
    let folder = (path as NSString).deletingLastPathComponent
    let model = try Fixtures.catalog.model(path)
    #expect(model.name == (folder as NSString).lastPathComponent)
    #expect(model.publishedParameters == nil)
    #expect(model.parameterCount == 6_738_415_616)
  }
}

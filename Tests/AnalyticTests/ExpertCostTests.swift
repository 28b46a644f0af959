import Foundation
import PlanCore
import Testing

@testable import Analytic

/// Mixture-of-experts layers, latent attention and quantized weights in the cost and memory
/// models: FLOP and byte counts from the architecture, published parameter counts, and the
/// refusal of fp8 compute on a GPU without fp8 tensor cores.
@Suite struct ExpertCostTests {
  static let catalog = Catalog(
    root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Models").path)

  /// Mixtral-8x7B (HF `mistralai/Mixtral-8x7B-v0.1` config.json): 8 experts of width 14336,
  /// top-2, every layer MoE, GQA with 8 KV heads. Published: 46.7B parameters in total, 12.9B
  /// used per token (Mistral AI, "Mixtral of experts", https://mistral.ai/news/mixtral-of-experts).
  static let mixtral = ModelSpec(
    name: "mixtral-8x7b", hiddenSize: 4096, numLayers: 32, numHeads: 32, numKVHeads: 8, intermediateSize: 14336,
    vocabSize: 32000, maxPositionEmbeddings: 32768, dtype: .bf16, gatedMLP: true,
    experts: MixtureOfExperts(routedExperts: 8, expertsPerToken: 2, expertIntermediateSize: 14336))

  /// DeepSeek-V3 (HF `deepseek-ai/DeepSeek-V3` config.json): 61 layers, the first 3 dense
  /// (width 18432), then 256 routed experts of width 2048 (top-8) and 1 shared expert; MLA with
  /// kv_lora_rank 512, q_lora_rank 1536, rope 64, nope 128, v 128. Published: 671B parameters of
  /// the main model (685B with the 14B multi-token-prediction module), 37B activated per token
  /// (DeepSeek-AI, "DeepSeek-V3 Technical Report", arXiv:2412.19437, §1 and §4.2).
  static let deepseekV3 = ModelSpec(
    name: "deepseek-v3", hiddenSize: 7168, numLayers: 61, numHeads: 128, intermediateSize: 18432, vocabSize: 129280,
    maxPositionEmbeddings: 163840, dtype: .bf16, gatedMLP: true,
    experts: MixtureOfExperts(
      routedExperts: 256, expertsPerToken: 8, expertIntermediateSize: 2048, sharedExperts: 1, leadingDenseLayers: 3,
      routerBias: true),
    latentAttention: LatentAttention(
      kvLoraRank: 512, qLoraRank: 1536, qkRopeHeadDim: 64, qkNopeHeadDim: 128, vHeadDim: 128))

  static func gpu(_ name: String) throws -> GPUSpec { try catalog.gpu(name) }

  // MARK: MoE layers

  @Test func routedExpertFLOPsAreTwoTokensTopKThreeDF() throws {
    let cost = try CostModel(model: Self.mixtral, gpu: try Self.gpu("h100-80gb-sxm"), tp: 1)
    for tokens in [1, 7, 512, 4096] {
      let batch = BatchShape.prefill(tokens: tokens)
      let t = Double(tokens)
      // Gated experts: gate and up (2 · d · f) and down (f · d) per routed (token, expert) pair.
      #expect(cost.cost(.moeExperts, batch: batch).flops == 2 * t * 2 * 3 * 4096 * 14336)
      // Router: the gate GEMM (2 · d · E per token) plus softmax and top-k over E logits.
      #expect(cost.cost(.router, batch: batch).flops == 2 * t * 4096 * 8 + (5 + 2) * t * 8)
      #expect(cost.cost(.sharedExperts, batch: batch).flops == 0)
    }
  }

  @Test func sharedExpertIsADenseGatedMLPSplitByTP() throws {
    let cost = try CostModel(model: Self.deepseekV3, gpu: try Self.gpu("h100-80gb-sxm"), tp: 8)
    let t = 64.0
    let f = 2048.0 / 8
    let expected = 2 * t * 7168 * 2 * f + 5 * t * f + 2 * t * f * 7168
    #expect(cost.cost(.sharedExperts, batch: .prefill(tokens: 64)).flops == expected)
  }

  @Test func decodeReadsOnlyTheExpertsItsTokensHit() throws {
    let cost = try CostModel(model: Self.mixtral, gpu: try Self.gpu("h100-80gb-sxm"), tp: 1)
    // One token: exactly its k = 2 experts are read.
    let one = try #require(cost.expertCall(tokens: 1))
    #expect(one.activeExperts == 2)
    #expect(one.weightBytes == 2 * 3 * 4096 * 14336 * 2)
    // Four tokens under random routing: E · (1 − (1 − k/E)^T) = 8 · (1 − 0.75⁴) distinct experts.
    let four = try #require(cost.expertCall(tokens: 4))
    #expect(abs(four.activeExperts - 8 * (1 - pow(0.75, 4))) < 1e-12)
    // Many tokens: every expert.
    #expect(try #require(cost.expertCall(tokens: 1024)).activeExperts == 8)
    // Decode of one token is bound by the two experts' bytes: slower than those bytes at the
    // datasheet bandwidth, faster than 10× that.
    let seconds = cost.cost(.moeExperts, batch: .prefill(tokens: 1)).seconds
    let floor = one.weightBytes / 3.35e12
    #expect(seconds > floor && seconds < 10 * floor)
  }

  @Test func expertParallelismSplitsExpertsAndScalesTheBusiestGPU() throws {
    let h100 = try Self.gpu("h100-80gb-sxm")
    let whole = try CostModel(model: Self.deepseekV3, gpu: h100, tp: 1)
    let split = try CostModel(model: Self.deepseekV3, gpu: h100, tp: 1, ep: 8, expertImbalance: 1.25)
    // EP 8: 256 / 8 = 32 whole experts per GPU instead of 256.
    let perExpert = 3 * 7168 * 2048 * 2.0
    #expect(
      abs((whole.expertLayerWeightBytesPerGPU - split.expertLayerWeightBytesPerGPU) - (256 - 32) * perExpert) < 1)
    // The GPU gets its 1/8 share of the pairs of the group's 8 replicas' tokens, × imbalance.
    let call = try #require(split.expertCall(tokens: 100))
    #expect(abs(call.rows - 100 * 8 * 8 / 8 * 1.25) < 1e-9)
    #expect(throws: CostModelError.self) {
      _ = try CostModel(model: Self.deepseekV3, gpu: h100, tp: 1, ep: 3)
    }
  }

  @Test func denseModelsKeepTheirLayer() throws {
    let cost = try CostModel(model: Fixtures.llama3_8b, gpu: try Self.gpu("h100-80gb-sxm"), tp: 2)
    let batch = BatchShape.prefill(tokens: 333)
    #expect(cost.expertLayerTotals(batch: batch) == cost.layerTotals(batch: batch))
    #expect(cost.expertLayerWeightBytesPerGPU == cost.layerWeightBytesPerGPU)
    #expect(cost.expertLayerOperators(batch: batch).map(\.kind) == OperatorKind.layerOperators)
  }

  // MARK: Memory and published parameter counts

  /// Weights of the whole model on one GPU, in bytes (TP 1, PP 1).
  static func weightBytes(_ model: ModelSpec, gpu: GPUSpec) throws -> Double {
    try MemoryModel(model: model, gpu: gpu, layout: Layout(tp: 1, pp: 1, dp: 1)).stages[0].weightBytes
  }

  @Test func mixtralWeighsItsPublishedParameters() throws {
    let bytes = try Self.weightBytes(Self.mixtral, gpu: try Self.gpu("h100-80gb-sxm"))
    #expect(abs(bytes / 2 / 46.7e9 - 1) < 0.01)
  }

  @Test func deepseekV3WeighsItsPublishedParameters() throws {
    let bytes = try Self.weightBytes(Self.deepseekV3, gpu: try Self.gpu("h200-141gb-sxm"))
    #expect(abs(bytes / 2 / 671e9 - 1) < 0.01)
    // Pipeline stages split dense and MoE layers by their own sizes: the stages sum to the whole.
    let staged = try MemoryModel(
      model: Self.deepseekV3, gpu: try Self.gpu("h200-141gb-sxm"), layout: Layout(tp: 1, pp: 4, dp: 1))
    #expect(abs(staged.stages.map(\.weightBytes).reduce(0, +) / bytes - 1) < 1e-12)
  }

  // MARK: Latent attention

  @Test func latentKVIsRankPlusRopePerTokenOnEveryRank() throws {
    let h100 = try Self.gpu("h100-80gb-sxm")
    for tp in [1, 8] {
      let bf16 = try CostModel(model: Self.deepseekV3, gpu: h100, tp: tp)
      #expect(bf16.kvBytesPerTokenPerLayerPerGPU == (512 + 64) * 2)
      let fp8 = try CostModel(model: Self.deepseekV3, gpu: h100, tp: tp, kvCacheDType: .fp8)
      #expect(fp8.kvBytesPerTokenPerLayerPerGPU == 512 + 64)
    }
    // 61 layers × 576 elements: 70,272 bytes per token in bf16 (a GQA model of the same width
    // with 8 KV heads of 128 would store 2 × 8 × 128 × 61 × 2 = 249,856).
    let memory = try MemoryModel(
      model: Self.deepseekV3, gpu: try Self.gpu("h200-141gb-sxm"), layout: Layout(tp: 8, pp: 1, dp: 1))
    #expect(memory.stages[0].kvBytesPerToken == 61 * 576 * 2)
  }

  @Test func latentDecodeScoresTheLatentForEveryHead() throws {
    let cost = try CostModel(model: Self.deepseekV3, gpu: try Self.gpu("h100-80gb-sxm"), tp: 8)
    var batch = BatchShape()
    for _ in 0..<4 { batch.addDecode(context: 1000) }
    let attention = cost.cost(.attention, batch: batch)
    // 16 heads per GPU; per (token, context) pair and head: 2 · (512 + 64) for QKᵀ and 2 · 512 for P·V,
    // plus rotary on the 16 × 64 + 64 rope elements of 4 tokens (3 FLOPs each).
    let scored = 4 * 1000 * 16 * (2 * 576 + 2 * 512.0)
    #expect(attention.flops == scored + 3 * 4 * (16 * 64 + 64))
    #expect(attention.seconds > 0 && attention.seconds.isFinite)
  }

  // MARK: Quantized weights

  @Test func awqInt4WeightsCountGroupScalesAndZeros() throws {
    var model = Fixtures.llama2_7b
    model.weightQuantization = WeightQuantization(method: .awq, bits: 4, groupSize: 128, quantizedActivations: false)
    let cost = try CostModel(model: model, gpu: try Self.gpu("a100-80gb-sxm"), tp: 1)
    // 4 bits, plus an fp16 scale and a 4-bit zero point per group of 128 weights.
    let perElement = 0.5 + 2.0 / 128 + 0.5 / 128
    #expect(LinearPrecision.weightElementBytes(model.weightQuantization!) == perElement)
    let d = 4096.0
    let projections = 4 * d * d + 3 * d * 11008
    #expect(abs(cost.layerWeightBytesPerGPU - (projections * perElement + 2 * d * 2)) < 1e-6)
    // A one-token decode GEMM reads about a quarter of the fp16 bytes.
    let dense = try CostModel(model: Fixtures.llama2_7b, gpu: try Self.gpu("a100-80gb-sxm"), tp: 1)
    let ratio =
      cost.cost(.mlpUpProj, batch: .prefill(tokens: 1)).bytes / dense.cost(.mlpUpProj, batch: .prefill(tokens: 1)).bytes
    #expect(ratio > 0.25 && ratio < 0.28)
  }

  @Test func fp8ComputeIsRefusedOnAnA100() throws {
    var model = Self.mixtral
    model.weightQuantization = WeightQuantization(method: .fp8, bits: 8, groupSize: 128, quantizedActivations: true)
    let a100 = try Self.gpu("a100-80gb-sxm")
    do {
      _ = try CostModel(model: model, gpu: a100, tp: 2)
      Issue.record("fp8 w8a8 accepted on an A100")
    } catch let error as CostModelError {
      #expect(error.reason.contains(a100.name))
      #expect(error.reason.contains("weight-only int8"))
      #expect(error.reason.contains("int4"))
    }
    // The H100 has fp8 tensor cores: the experts run the fp8 block law at the fp8 peak.
    let h100 = try CostModel(model: model, gpu: try Self.gpu("h100-80gb-sxm"), tp: 2)
    #expect(h100.linear.expertWeights == .fp8Block)
    #expect(abs(h100.expertPeakFLOPSPerSecond / 1978.9e12 - 1) < 1e-9)
    // Weight-only int4 loads on the A100.
    model.weightQuantization = WeightQuantization(method: .gptq, bits: 4, groupSize: 128, quantizedActivations: false)
    #expect(try CostModel(model: model, gpu: a100, tp: 2).linear.expertWeights == .int4)
  }
}

import Foundation
import PlanCore
import Testing

@testable import Analytic

@Suite struct MemoryModelTests {
  @Test func gpt3DoesNotFitOneGPUButFitsTP8() throws {
    // GPT-3 175B in fp16: ≈ 175e9 × 2 = 350 GB of weights, against 80 GB × 0.90 = 72 GB.
    let model = Fixtures.gpt3_175b
    #expect(abs(model.parameterCount - 175e9) / 175e9 < 0.01)
    let one = try MemoryModel(model: model, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: 1, dp: 1))
    #expect(!one.fits)
    #expect(one.maxKVTokens == 0)
    #expect(one.headroomBytes < -(350e9 - 72e9) * 0.99)
    #expect(one.maxConcurrentSequences(tokensPerSequence: 2048) == 0)

    // TP=8 on one 8 × 80 GB node: 350 / 8 ≈ 43.8 GB of weights per GPU leaves ≈ 26 GB.
    let eight = try MemoryModel(model: model, gpu: Fixtures.a100_80gb, layout: Layout(tp: 8, pp: 1, dp: 1))
    #expect(eight.fits)
    #expect(abs(eight.weightBytesPerGPU - model.weightBytes() / 8) / (model.weightBytes() / 8) < 0.01)
    #expect(eight.headroomBytes > 20e9)
    // KV per token per GPU: 96 layers × 2 × (96/8 heads × 128) × 2 bytes = 589,824 bytes.
    #expect(eight.stages[0].kvBytesPerToken == 96 * 2 * 12 * 128 * 2)
    #expect(Double(eight.maxKVTokens) <= eight.headroomBytes / 589_824)
    #expect(eight.maxConcurrentSequences(tokensPerSequence: 2048) >= 10)
  }

  @Test func pipelineParallelismFreesMemoryForKVCache() throws {
    // Llama-2-13B on 40 GB GPUs (budget 36 GB). PP=1: one GPU holds all ≈ 26 GB of weights,
    // leaving ≈ 8 GB for KV at 40 layers × 2 × 5120 × 2 = 819,200 bytes per token (≈ 10k
    // tokens). PP=2: each GPU holds ≈ 13 GB (20 layers + embedding or LM head), leaving
    // ≈ 21 GB, and each token costs only 20 layers' worth, 409,600 bytes (≈ 50k tokens). Both
    // effects multiply, so PP=2 holds far more than twice the tokens (≈ 5×).
    let model = Fixtures.llama2_13b
    let gpu = Fixtures.a100_40gb
    let pp1 = try MemoryModel(model: model, gpu: gpu, layout: Layout(tp: 1, pp: 1, dp: 1))
    let pp2 = try MemoryModel(model: model, gpu: gpu, layout: Layout(tp: 1, pp: 2, dp: 1))
    #expect(abs(pp1.weightBytesPerGPU - 26e9) / 26e9 < 0.01)
    #expect(abs(pp2.weightBytesPerGPU - 13e9) / 13e9 < 0.01)
    #expect(pp1.headroomBytes > 7e9 && pp1.headroomBytes < 9e9)
    #expect(pp2.headroomBytes > 19.5e9 && pp2.headroomBytes < 21.5e9)
    #expect(pp1.stages[0].kvBytesPerToken == 819_200)
    #expect(pp2.stages.allSatisfy { $0.kvBytesPerToken == 409_600 })
    #expect(pp2.maxKVTokens > 2 * pp1.maxKVTokens)
    // Requests of 1000 + 1500 tokens: more concurrent sequences with PP=2.
    #expect(
      pp2.maxConcurrentSequences(tokensPerSequence: 2500) > 2 * pp1.maxConcurrentSequences(tokensPerSequence: 2500))
  }

  @Test func memoryFitArithmeticByHand() throws {
    // Llama-2-7B fp16 on one A100 80GB, defaults (utilisation 0.90, blocks of 16, 8192
    // batched tokens, 256 sequences).
    // Parameters per layer: attention 4 × 4096² = 67,108,864; MLP 3 × 4096 × 11008 =
    // 135,266,304; two RMSNorms 8192 → 202,383,360; × 32 = 6,476,267,520. Embedding and LM head
    // 32000 × 4096 = 131,072,000 each, final norm 4096: 6,738,415,616 parameters (the
    // published 6.74B), 13,476,831,232 bytes.
    let weights = 13_476_831_232.0
    // Activation peak at 8192 tokens, MLP: residual + normed input (2 × 4096) + gate/up output
    // (2 × 11008) + activation output (11008) = 41,216 values per token × 8192 × 2 bytes =
    // 675,282,944 bytes (attention's 6 × 4096 per token is smaller; sampling logits,
    // 2 × 256 × 32000 × 4 = 65.5 MB, too).
    let activations = 675_282_944.0
    let reserve = 1.0e9  // a lone GPU: CUDA context and graphs, no NCCL
    let budget = 80e9 * 0.90
    let pool = budget - weights - activations - reserve  // 56,847,885,824 bytes
    // KV per token: 32 layers × 2 × 4096 × 2 bytes = 524,288; a block of 16: 8,388,608 bytes.
    let blocks = Int((pool / 8_388_608).rounded(.down))  // 6776 (6776.8)
    #expect(blocks == 6776)

    let memory = try MemoryModel(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: 1, dp: 1))
    let stage = memory.stages[0]
    #expect(stage.weightBytes == weights)
    #expect(stage.activationBytes == activations)
    #expect(stage.reserveBytes == reserve)
    #expect(abs(stage.kvPoolBytes - pool) < 1)
    #expect(stage.kvBytesPerToken == 524_288)
    #expect(memory.kvBlocks == blocks)
    #expect(memory.maxKVTokens == blocks * 16)
    #expect(memory.kvCacheBytesPerGPU == Double(blocks) * 8_388_608)
    // 2000 + 50 tokens need ⌈2050 / 16⌉ = 129 blocks: 6776 / 129 = 52 sequences.
    #expect(memory.maxConcurrentSequences(tokensPerSequence: 2050) == 52)
    #expect(memory.fits)
  }

  @Test func stagesAreBalancedAndTheLastIsNeverLarger() throws {
    // vLLM's partition: leftovers go to the stages before the last (which runs the LM head).
    #expect(ReplicaCostModel.partitionLayers(40, stages: 3) == [13, 14, 13])
    #expect(ReplicaCostModel.partitionLayers(32, stages: 2) == [16, 16])
    #expect(ReplicaCostModel.partitionLayers(96, stages: 5) == [19, 19, 19, 20, 19])
    for layers in 1...100 {
      for stages in 1...min(layers, 16) {
        let split = ReplicaCostModel.partitionLayers(layers, stages: stages)
        try #require(split.count == stages)
        #expect(split.reduce(0, +) == layers)
        let largest = try #require(split.max())
        let smallest = try #require(split.min())
        #expect(largest - smallest <= 1)
        #expect(split.last == smallest)
      }
    }
  }

  @Test func stageWeightsAddUpToTheModel() throws {
    // TP=1: the stages hold every parameter once, except that with PP > 1 a tied LM head
    // (GPT-3) needs its own copy of the V × d embedding on the last stage.
    for model in [Fixtures.llama2_13b, Fixtures.gpt3_175b] {
      for pp in [1, 2, 3, 4] {
        let memory = try MemoryModel(model: model, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: pp, dp: 1))
        let total = memory.stages.map(\.weightBytes).reduce(0, +)
        let copy = model.tieWordEmbeddings && pp > 1 ? Double(model.vocabSize * model.hiddenSize) * 2 : 0
        #expect(abs(total - (model.weightBytes() + copy)) < 1)
      }
    }
  }

  @Test func kvBytesPerGPUWithReplicatedKVHeads() throws {
    // Llama-3-8B at TP=16: one KV head per GPU, 32 layers × 2 × 128 × 2 bytes = 16,384 bytes
    // per token per GPU (not 32 × 2 × 0.5 × 128 × 2: a GPU cannot hold half a head).
    let memory = try MemoryModel(
      model: Fixtures.llama3_8b, gpu: Fixtures.a100_80gb, layout: Layout(tp: 16, pp: 1, dp: 1))
    #expect(memory.stages[0].kvBytesPerToken == 16_384)
  }

  @Test func badConfigurationsAreRejected() throws {
    let layout = Layout(tp: 1, pp: 1, dp: 1)
    #expect(throws: CostModelError.self) {
      try MemoryModel(
        model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: layout,
        config: EngineConfig(gpuMemoryUtilization: 1.5))
    }
    #expect(throws: CostModelError.self) {
      try MemoryModel(
        model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: layout, config: EngineConfig(blockSizeTokens: 0))
    }
    #expect(throws: CostModelError.self) {
      try MemoryModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: 33, dp: 1))
    }
  }
}

import Foundation
import PlanCore
import Testing

@testable import Analytic

@Suite struct CostModelTests {
  /// Relative difference |a − b| / |b|.
  func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

  /// FLOPs of a forward pass over one whole prompt of `tokens` tokens, from first principles:
  ///
  /// - every weight of every decoder layer is used once per token in a multiply-add: 2 FLOPs
  ///   per parameter per token, 2 · L · params_per_layer · T (norm weights included: their
  ///   per-element scale is a multiply too, and they are < 0.01 % of the parameters);
  /// - the LM head projects only the last token of the prompt (the one that samples):
  ///   2 · V · d FLOPs;
  /// - attention scores the causal (query, key) pairs, T(T+1)/2 of them per head; each costs
  ///   2·headDim for QKᵀ and 2·headDim for P·V, so per layer 4 · headDim · heads · T(T+1)/2 =
  ///   2 · d · T(T+1), and 2 · L · d · T(T+1) over the layers (the 4·L·T²/2·d);
  /// - the embedding lookup is a gather, no arithmetic: excluded (and not summed below).
  ///
  /// Norm, activation, rotary and residual arithmetic are a few FLOPs per element, well under
  /// 2 % of the GEMMs, so the operator sum must lie within 2 % of this.
  func expectedPrefillFLOPs(_ model: ModelSpec, tokens: Int) -> Double {
    let t = Double(tokens)
    let l = Double(model.numLayers)
    let d = Double(model.hiddenSize)
    return 2 * l * model.parametersPerLayer * t + 2 * Double(model.vocabSize) * d + 2 * l * d * t * (t + 1)
  }

  func modelFLOPs(_ cost: CostModel, batch: BatchShape) -> Double {
    Double(cost.model.numLayers) * cost.layerTotals(batch: batch).flops + cost.cost(.lmHead, batch: batch).flops
  }

  @Test func prefillFLOPsAreTwoPerParameterPerTokenPlusAttention() throws {
    for (model, tokens) in [(Fixtures.llama2_7b, 2000), (Fixtures.llama2_13b, 512), (Fixtures.gpt3_175b, 1000)] {
      let cost = try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: 1)
      let counted = modelFLOPs(cost, batch: .prefill(tokens: tokens))
      let expected = expectedPrefillFLOPs(model, tokens: tokens)
      #expect(relative(counted, expected) < 0.02, "\(model.name): \(counted) vs \(expected)")
      // The extra arithmetic only adds: never below the GEMM + attention count by more than
      // the norm-weight term counted above (2 FLOPs per norm weight per token).
      #expect(counted > expected * 0.999)
    }
  }

  @Test func gemmsAndLMHeadCountExactly() throws {
    // Llama-2-7B has no biases: its four projections do exactly 2 FLOPs per matrix weight per
    // token, 2 · T · (4 · 4096² + 3 · 4096 · 11008). The LM head projects only the token that
    // samples, 2 · 32000 · 4096, after a final RMSNorm over all T tokens (4 FLOPs per element).
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 1)
    let tokens = 2000.0
    let batch = BatchShape.prefill(tokens: 2000)
    let gemms = [OperatorKind.qkvProj, .outProj, .mlpUpProj, .mlpDownProj].map { cost.cost($0, batch: batch).flops }
    let matrixWeights: Double = 4 * 4096 * 4096 + 3 * 4096 * 11008
    #expect(gemms.reduce(0, +) == 2 * tokens * matrixWeights)
    let head: Double = 2 * 32000 * 4096 + 4 * tokens * 4096
    #expect(cost.cost(.lmHead, batch: batch).flops == head)
    // Decode: one sampled token per sequence.
    let decodeHead: Double = 16 * (2 * 32000 * 4096 + 4 * 4096)
    #expect(cost.cost(.lmHead, batch: .decode(batch: 16, context: 100)).flops == decodeHead)
  }

  @Test func tensorParallelismSplitsTheWorkWithoutLosingAny() throws {
    // Heads and MLP columns are split, so TP ranks together do the TP=1 work; only norms and
    // residual adds (replicated) are repeated, a few FLOPs per element: within 2 %.
    let model = Fixtures.llama2_7b
    let batch = BatchShape.prefill(tokens: 2000)
    let one = try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: 1)
    for tp in [2, 4, 8] {
      let sharded = try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: tp)
      let total = Double(tp) * modelFLOPs(sharded, batch: batch)
      #expect(relative(total, modelFLOPs(one, batch: batch)) < 0.02)
      #expect(total >= modelFLOPs(one, batch: batch))
    }
  }

  @Test func embeddingLookupMovesTheSameBytesOnEveryTPRank() throws {
    // Vocabulary-parallel lookup (Megatron / vLLM): every rank masks the ids outside its shard,
    // gathers one hidden-size row per token and writes the full tokens × hidden output (masked
    // rows zero-filled), so each rank reads 2000 × 4096 × 2 bytes and writes as many, whatever
    // TP is (the profiled H100 `emb` times are flat in TP). No arithmetic is counted.
    let batch = BatchShape.prefill(tokens: 2000)
    for tp in [1, 2, 4, 8] {
      let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: tp).cost(
        .embedding, batch: batch)
      #expect(cost.bytes == 2 * 2000 * 4096 * 2)
      #expect(cost.flops == 0)
    }
    // GPT-3 (learned positions) adds the position row: read two tensors, write one, 1 FLOP each.
    let d = 12288.0
    let gpt = try CostModel(model: Fixtures.gpt3_175b, gpu: Fixtures.a100_80gb, tp: 8).cost(.embedding, batch: batch)
    #expect(gpt.bytes == (2 + 3) * 2000 * d * 2)
    #expect(gpt.flops == 2000 * d)
  }

  @Test func attentionFLOPsAreQuadraticInThePrompt() throws {
    let model = Fixtures.llama2_7b
    let cost = try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: 1)
    for tokens in [1, 100, 2000, 4096] {
      let t = Double(tokens)
      // 4 · headDim · heads · T(T+1)/2 for the scores and the weighted sum, plus the rotary
      // rotation of Q and K: 3 FLOPs per element of T × (query width + KV width).
      let scores = 4 * 128 * 32 * t * (t + 1) / 2
      let rotary = 3 * t * Double(model.queryWidth + model.kvWidth)
      let counted = cost.cost(.attention, batch: .prefill(tokens: tokens)).flops
      #expect(relative(counted, scores + rotary) < 1e-12)
    }
  }

  @Test func decodeAttentionReadsTheWholeKVCache() throws {
    // 4 sequences with 1000 cached tokens each at TP=2: each GPU holds 16 of the 32 KV heads,
    // 2 (K, V) × 16 × 128 × 2 bytes = 8192 bytes per token per layer, so it reads
    // 4 × 1000 × 8192 = 32.768 MB; the rest (Q, O, the new tokens' cache write) is a few hundred kB.
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 2)
    let attention = cost.cost(.attention, batch: .decode(batch: 4, context: 1000))
    let kvRead = 4.0 * 1000 * 8192
    #expect(attention.bytes >= kvRead)
    #expect(attention.bytes < kvRead * 1.01)
    #expect(attention.bound == .memory)
  }

  @Test func decodeStepReadsAtLeastTheStageWeights() throws {
    // Every weight matrix is read once per decode iteration. The one exception is the token
    // embedding table: a lookup reads only the rows of the batch's tokens.
    let model = Fixtures.llama2_13b
    let batch = BatchShape.decode(batch: 8, context: 1000)
    let cost = try CostModel(model: model, gpu: Fixtures.a100_40gb, tp: 1)
    let layerBytes = cost.layerTotals(batch: batch).bytes
    let embeddingTable = Double(model.vocabSize * model.hiddenSize) * 2

    // One stage, from the ModelSpec's own parameter count (fp16: 2 bytes each).
    let whole =
      Double(model.numLayers) * layerBytes + cost.cost(.embedding, batch: batch).bytes
      + cost.cost(.lmHead, batch: batch).bytes
    #expect(whole >= model.weightBytes() - embeddingTable)

    // Two stages: the last holds 20 layers and the LM head, and reads all of them.
    let memory = try MemoryModel(cost: cost, pp: 2)
    try #require(memory.stages.count == 2)
    let last = memory.stages[1]
    let lastBytes = Double(last.layers) * layerBytes + cost.cost(.lmHead, batch: batch).bytes
    #expect(lastBytes >= last.weightBytes)
    let first = memory.stages[0]
    let firstBytes = Double(first.layers) * layerBytes + cost.cost(.embedding, batch: batch).bytes
    #expect(firstBytes >= first.weightBytes - embeddingTable)
  }

  @Test func rooflineBoundsFollowArithmeticIntensity() throws {
    // Ridge point of an A100 with the datasheet law: 0.80 × 312e12 / (0.85 × 2.039e12) ≈ 144
    // FLOP/byte. A prefill GEMM over 2000 tokens does ≈ 2·T/2 = 1000 FLOP per weight byte:
    // compute-bound. A decode GEMM at batch 1 does 2 FLOPs per 2-byte weight: memory-bound.
    // Norms and residual adds do ≈ 1 FLOP per 2–6 bytes: memory-bound at any size.
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 1)
    let prefill = BatchShape.prefill(tokens: 2000)
    let decode = BatchShape.decode(batch: 1, context: 2000)
    for kind in [OperatorKind.qkvProj, .outProj, .mlpUpProj, .mlpDownProj] {
      #expect(cost.cost(kind, batch: prefill).bound == .compute)
      #expect(cost.cost(kind, batch: decode).bound == .memory)
    }
    for kind in [OperatorKind.inputNorm, .postAttentionNorm, .residualAdd, .mlpAct] {
      #expect(cost.cost(kind, batch: prefill).bound == .memory)
      #expect(cost.cost(kind, batch: decode).bound == .memory)
    }
  }

  @Test func gemmTimeFollowsTheEfficiencyLaw() throws {
    // out_proj over 2000 tokens: F = 2 · 2000 · 4096 · 4096 FLOPs. With achieved =
    // peak · 0.80 · F / (F + peak · 10 µs), time = (F + 312e12 · 10e-6) / (312e12 · 0.80),
    // plus one 4 µs launch.
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 1)
    let flops = 2.0 * 2000 * 4096 * 4096
    let expected = (flops + 312e12 * 10e-6) / (312e12 * 0.80) + 4e-6
    let op = cost.cost(.outProj, batch: .prefill(tokens: 2000))
    #expect(op.flops == flops)
    #expect(relative(op.seconds, expected) < 1e-12)
  }

  @Test func smallerShardsRunLessEfficiently() throws {
    // Splitting a GEMM over TP ranks divides its FLOPs, not its fixed costs (the efficiency
    // law's half-saturation and the launch), so each shard takes more than 1/TP of the time.
    let batch = BatchShape.prefill(tokens: 2000)
    let one = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 1)
    for tp in [2, 4, 8] {
      let shard = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: tp)
      for kind in [OperatorKind.qkvProj, .mlpUpProj, .mlpDownProj] {
        #expect(Double(tp) * shard.cost(kind, batch: batch).seconds > one.cost(kind, batch: batch).seconds)
      }
    }
  }

  @Test func kvHeadsAreReplicatedWhenTPExceedsThem() throws {
    // Llama-3-8B: 32 query heads, 8 KV heads of 128 dims. TP=16 divides the 32 heads and is a
    // multiple of the 8 KV heads, so the layout is valid; each GPU then holds one KV head
    // (each replicated on 2 GPUs): 2 × 1 × 128 × 2 bytes = 512 bytes per token per layer.
    let model = Fixtures.llama3_8b
    try Layout(tp: 16, pp: 1, dp: 1).validate(model: model, cluster: nil)
    let expected: [(tp: Int, heads: Int)] = [(1, 8), (2, 4), (4, 2), (8, 1), (16, 1), (32, 1)]
    for (tp, heads) in expected {
      let cost = try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: tp)
      #expect(cost.kvHeadsPerGPU == heads)
      #expect(cost.kvBytesPerTokenPerLayerPerGPU == Double(2 * heads * 128 * 2))
    }
    // A decode step at TP=16 reads one KV head per GPU: 1000 tokens × 512 bytes per layer.
    let cost = try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: 16)
    #expect(cost.cost(.attention, batch: .decode(batch: 1, context: 1000)).bytes >= 1000 * 512)
    // TP=3 divides neither the 32 heads nor the KV heads: rejected.
    #expect(throws: LayoutError.self) { try Layout(tp: 3, pp: 1, dp: 1).validate(model: model, cluster: nil) }
    #expect(throws: CostModelError.self) { try CostModel(model: model, gpu: Fixtures.a100_80gb, tp: 3) }
  }

  @Test func mixedBatchCostsItsPrefillAndDecodeParts() throws {
    // A continuous-batching iteration: one 512-token prefill chunk plus 32 decoding sequences.
    // GEMMs see 544 tokens; attention does the prefill's causal pairs and the decodes' context.
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 1)
    var mixed = BatchShape()
    mixed.addPrefill(tokens: 512, cached: 0)
    for _ in 0..<32 { mixed.addDecode(context: 700) }
    #expect(mixed.totalTokens == 544)
    let qkv = cost.cost(.qkvProj, batch: mixed)
    let qkvFLOPs: Double = 2.0 * 544 * 4096 * 12288
    #expect(qkv.flops == qkvFLOPs)
    let attention = cost.cost(.attention, batch: mixed)
    let pairs: Double = 512.0 * 513 / 2 + 32 * 700
    let rotary: Double = 3.0 * 544 * 8192
    let expected: Double = 4 * 128 * 32 * pairs + rotary
    #expect(relative(attention.flops, expected) < 1e-12)
    // Two attention kernels plus rotary and cache write.
    #expect(attention.kernels == 4)
    // Costing the parts separately gives the same seconds (each kernel rooflined on its own),
    // except the shared rotary/cache-write kernels and GEMM sizes, so the mixed iteration is
    // cheaper than prefill + decode iterations run apart.
    let apart =
      cost.layerTotals(batch: .prefill(tokens: 512)).seconds
      + cost.layerTotals(batch: .decode(batch: 32, context: 700)).seconds
    #expect(cost.layerTotals(batch: mixed).seconds < apart)
  }
}

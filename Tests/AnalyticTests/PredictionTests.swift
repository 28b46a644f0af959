import Foundation
import PlanCore
import Testing

@testable import Analytic

@Suite struct PredictionTests {
  func evaluator(
    _ model: ModelSpec = Fixtures.llama2_7b, gpu: GPUSpec = Fixtures.a100_80gb, cluster: Cluster = Fixtures.nvswitch8,
    tp: Int = 1, pp: Int = 1, dp: Int = 1, placement: Placement? = nil, config: EngineConfig = EngineConfig()
  ) throws -> LayoutEvaluator {
    try LayoutEvaluator(
      model: model, gpu: gpu, cluster: cluster, layout: Layout(tp: tp, pp: pp, dp: dp), placement: placement,
      config: config)
  }

  func ttft(_ e: LayoutEvaluator, prompt: Int = 2000) throws -> Double {
    try e.evaluate(promptTokens: prompt, outputTokens: 50).ttftSeconds
  }

  @Test func tensorParallelismCutsTTFTSubLinearlyOnNVSwitch() throws {
    // Llama-2-7B, 2000-token prompts, A100 NVSwitch node. Prefill is ≈ 27 TFLOP of GEMMs and
    // attention (≈ 110 ms at 0.8 × 312 TFLOP/s). TP divides that, but not the per-kernel fixed
    // costs (launches, the efficiency law's half-saturation), nor the 1 ms iteration overhead,
    // and it adds 2 all-reduces of 2000 × 4096 × 2 bytes = 16.4 MB per layer. Expected (from the
    // issue): TP=2 between 1.5× and 2×, TP=4 between 2.5× and 4×.
    let one = try ttft(evaluator(tp: 1))
    let two = try ttft(evaluator(tp: 2))
    let four = try ttft(evaluator(tp: 4))
    #expect(one / two > 1.5 && one / two < 2)
    #expect(one / four > 2.5 && one / four < 4)
    // Sub-linear: efficiency per GPU falls as TP grows.
    #expect(one / four < 2 * (one / two))
  }

  @Test func ringTopologyLosesExactlyTheExtraAllReduceTime() throws {
    // Same GPUs, same model; only the collectives differ. On the 4-GPU ring (75 GB/s ring links,
    // 37.5 GB/s diagonals) an all-reduce is slower than through a 300 GB/s NVSwitch, so TP gains
    // less. TTFT differs by exactly the collectives of one prefill: 2 all-reduces per layer plus
    // the embedding's, all of 2000 × 4096 × 2 bytes, and the gather of one token's logits.
    let model = Fixtures.llama2_7b
    let bytes = 2000.0 * 4096 * 2
    let logits = 1.0 * 32000 * 2
    let one = try ttft(evaluator(cluster: Fixtures.ring4, tp: 1))
    for tp in [2, 4] {
      let nvswitch = try ttft(evaluator(tp: tp))
      let ring = try ttft(evaluator(cluster: Fixtures.ring4, tp: tp))
      #expect(one / ring < one / nvswitch)
      #expect(one / ring > 1)
      let group = Array(0..<tp)
      let onRing = CommModel(cluster: Fixtures.ring4, efficiency: Fixtures.a100_80gb.efficiency)
      let onSwitch = CommModel(cluster: Fixtures.nvswitch8, efficiency: Fixtures.a100_80gb.efficiency)
      let allReduces = Double(2 * model.numLayers + 1)
      let extra =
        allReduces
        * (try onRing.curve(.allReduce, gpus: group).seconds(bytes: bytes)
          - onSwitch.curve(.allReduce, gpus: group).seconds(bytes: bytes))
        + (try onRing.curve(.allGather, gpus: group).seconds(bytes: logits)
          - onSwitch.curve(.allGather, gpus: group).seconds(bytes: logits))
      #expect(abs((ring - nvswitch) - extra) < 1e-9)
    }
  }

  @Test func placementAcrossNodesCostsMore() throws {
    // Two 8-GPU nodes joined by 25 GB/s InfiniBand NICs: a TP=8 group inside one node
    // all-reduces over 300 GB/s NVLink; one split 4 + 4 across the nodes is bounded by the NICs.
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 16)
    #expect(cluster.gpuCount == 16 && cluster.nodeCount == 2)
    let inside = try evaluator(cluster: cluster, tp: 8)
    let split = try evaluator(cluster: cluster, tp: 8, placement: Placement(gpus: [[[0, 1, 2, 3, 8, 9, 10, 11]]]))
    let a = try inside.evaluate(promptTokens: 2000, outputTokens: 50)
    let b = try split.evaluate(promptTokens: 2000, outputTokens: 50)
    #expect(b.ttftSeconds > a.ttftSeconds)
    #expect(b.tpotSeconds > a.tpotSeconds)
  }

  @Test func pipelineAddsOnlyItsTransfersToALoneRequest() throws {
    // A lone request's TTFT is the sum of the stage times and transfers. Splitting the same 32
    // layers over two stages changes nothing else (the embedding stays on the first stage, the
    // LM head on the last, the iteration overhead is paid once), so TTFT grows by exactly one
    // send of the hidden states, 2000 × 4096 × 2 bytes, from GPU 0 to GPU 1.
    let pp1 = try ttft(evaluator(pp: 1))
    let pp2 = try ttft(evaluator(pp: 2))
    let comm = CommModel(cluster: Fixtures.nvswitch8, efficiency: Fixtures.a100_80gb.efficiency)
    let send = try comm.curve(.sendRecv, gpus: [0, 1]).seconds(bytes: 2000 * 4096 * 2)
    #expect(abs((pp2 - pp1) - send) < 1e-9)
  }

  @Test func iterationTimingAddsUpToTheLoneTTFT() throws {
    // The simulator sees the replica through IterationTiming: stage times plus transfers of the
    // whole prompt must give the analytic TTFT.
    let e = try evaluator(Fixtures.llama2_13b, gpu: Fixtures.a100_40gb, tp: 2, pp: 2)
    let timing: any IterationTiming = e.replicas[0]
    #expect(timing.stageCount == 2)
    let batch = BatchShape.prefill(tokens: 1000)
    let total =
      timing.stageSeconds(stage: 0, batch: batch) + timing.transferSeconds(afterStage: 0, batch: batch)
      + timing.stageSeconds(stage: 1, batch: batch)
    let predicted = try e.evaluate(promptTokens: 1000, outputTokens: 10).ttftSeconds
    #expect(abs(total - predicted) < 1e-12)
    #expect(timing.transferSeconds(afterStage: 1, batch: batch) == 0)
  }

  @Test func latenciesRespectTheRooflineLowerBounds() throws {
    // Decode at batch 1 reads every weight once: TPOT ≥ 13.48 GB / 2.039 TB/s ≈ 6.6 ms.
    // Prefill of 2000 tokens does ≥ 2 × 6.48e9 × 2000 FLOPs: TTFT ≥ that / 312 TFLOP/s ≈ 83 ms.
    let e = try evaluator()
    let s = try e.evaluate(promptTokens: 2000, outputTokens: 50, batch: 1)
    #expect(s.tpotSeconds >= Fixtures.llama2_7b.weightBytes() / 2.039e12)
    #expect(s.ttftSeconds >= 2 * 32 * Fixtures.llama2_7b.parametersPerLayer * 2000 / 312e12)
    // Which bound dominates: a long prefill is compute, a small decode batch memory.
    #expect(s.ttftDominant == .compute)
    #expect(s.tpotDominant == .memory)
    // TPOT grows with the batch (more KV to read), but far less than linearly.
    let big = try e.evaluate(promptTokens: 2000, outputTokens: 50, batch: 32)
    #expect(big.tpotSeconds > s.tpotSeconds)
    #expect(big.tpotSeconds < 32 * s.tpotSeconds)
  }

  @Test func chunkedPrefillPaysPerIterationCosts() throws {
    // A 4000-token prompt with a 1024-token budget is prefilled in 4 iterations: the same GEMM
    // work, the same causal pairs, but 3 more iteration overheads (1 ms each) and more kernel
    // launches, and each chunk re-reads the cached KV of the earlier ones.
    let whole = try ttft(evaluator(), prompt: 4000)
    let chunked = try ttft(evaluator(config: EngineConfig(maxBatchedTokens: 1024)), prompt: 4000)
    #expect(chunked > whole + 3e-3)
  }

  @Test func saturatedThroughputIsConsistent() throws {
    let e = try evaluator()
    let s = try e.evaluate(promptTokens: 2000, outputTokens: 50)
    // Every request yields its 50 tokens.
    #expect(abs(s.requestsPerSecond * 50 - s.outputTokensPerSecond) < 1e-9 * s.outputTokensPerSecond)
    // Prefill work only slows decoding down: at most maxBatch tokens per TPOT(maxBatch), plus
    // the one token each prefill produces (50/49 of the decode rate).
    #expect(s.maxBatch == 52)
    #expect(s.outputTokensPerSecond <= Double(s.maxBatch) / s.tpotAtMaxBatchSeconds * 50 / 49)
    #expect(s.outputTokensPerSecond > 0)
    // DP replicas on identical placements add up exactly.
    let two = try evaluator(dp: 2).evaluate(promptTokens: 2000, outputTokens: 50)
    #expect(abs(two.outputTokensPerSecond - 2 * s.outputTokensPerSecond) < 1e-9 * s.outputTokensPerSecond)
    #expect(two.outputTokensPerSecondPerReplica == s.outputTokensPerSecondPerReplica)
  }

  @Test func pipelineParallelismRaisesThroughputWhenKVBound() throws {
    // Llama-2-13B on 40 GB GPUs, 1000 + 1500 tokens: PP=1 holds 3 such sequences, PP=2 about
    // 20 (≈ 5× the KV tokens). Long outputs make the replica decode-bound, and decode at batch 3
    // is dominated by reading 26 GB of weights per step, so PP=2 serves far more tokens/s.
    let pp1 = try evaluator(Fixtures.llama2_13b, gpu: Fixtures.a100_40gb, pp: 1)
    let pp2 = try evaluator(Fixtures.llama2_13b, gpu: Fixtures.a100_40gb, pp: 2)
    let a = try pp1.evaluate(promptTokens: 1000, outputTokens: 1500)
    let b = try pp2.evaluate(promptTokens: 1000, outputTokens: 1500)
    #expect(b.maxBatch > 2 * a.maxBatch)
    #expect(b.outputTokensPerSecond > 2 * a.outputTokensPerSecond)
    // The running batch circulates as one micro-batch: a cycle is at least its serial pass.
    let replica = pp2.replicas[0]
    let rate = replica.saturatedThroughput(
      promptTokens: 1000, outputTokens: 1500, batch: b.maxBatch, config: pp2.config)
    #expect(rate.inFlight == 1)
    let whole = replica.pass(.decode(batch: b.maxBatch, context: 1750))
    #expect(rate.cycleSeconds >= whole.serialSeconds)
  }

  @Test func loadModelInputsCoverEveryBatch() throws {
    let e = try evaluator()
    let inputs = try e.loadInputs(promptTokens: 2000, outputTokens: 50)
    // The load model's batch: KV cache over the tokens a sequence holds on average (2000 +
    // 25), more than the 52 full-length (2050-token) sequences, as block counts say.
    let blocks = e.memory.kvBlocks
    #expect(inputs.maxConcurrentSequences == blocks / ((2025 + 15) / 16))
    #expect(inputs.maxConcurrentSequences >= 52)
    #expect(inputs.decodeIterationSeconds.count == inputs.maxConcurrentSequences)
    #expect(zip(inputs.decodeIterationSeconds, inputs.decodeIterationSeconds.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(inputs.prefillSeconds == (try e.evaluate(promptTokens: 2000, outputTokens: 50).ttftSeconds))
  }

  @Test func fullPredictionAgreesWithTheSummaryAndEncodes() throws {
    let e = try evaluator(Fixtures.gpt3_175b, tp: 1)
    let p = try e.predict(promptTokens: 1000, outputTokens: 100, batch: 4)
    #expect(!p.fits)
    #expect(p.maxBatch == 0)
    #expect(p.tpotAtMaxBatchSeconds == nil)
    #expect(p.throughput.outputTokensPerSecond == 0)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(p), as: UTF8.self)
    for key in [
      "\"fits\"", "\"ttftSeconds\"", "\"tpotSeconds\"", "\"maxKVTokens\"", "\"kvCacheBytesPerGPU\"",
      "\"weightBytesPerGPU\"", "\"tpotAtMaxBatchSeconds\":null",
    ] {
      #expect(json.contains(key), "missing \(key)")
    }
    let ok = try evaluator(Fixtures.gpt3_175b, tp: 8).predict(promptTokens: 1000, outputTokens: 100, batch: 4)
    let summary = try evaluator(Fixtures.gpt3_175b, tp: 8).evaluate(promptTokens: 1000, outputTokens: 100, batch: 4)
    #expect(ok.fits && ok.ttftSeconds == summary.ttftSeconds && ok.tpotSeconds == summary.tpotSeconds)
    #expect(ok.ttftBreakdown.totalSeconds == ok.ttftSeconds)
  }

  @Test func invalidLayoutsAndRequestsAreErrors() throws {
    #expect(throws: LayoutError.self) { try evaluator(tp: 3) }
    #expect(throws: LayoutError.self) { try evaluator(tp: 4, dp: 3) }
    #expect(throws: LayoutError.self) { try evaluator(cluster: Fixtures.ring4, tp: 8) }
    let e = try evaluator()
    #expect(throws: CostModelError.self) { try e.evaluate(promptTokens: 0, outputTokens: 10) }
    #expect(throws: CostModelError.self) { try e.evaluate(promptTokens: 10, outputTokens: 10, batch: 0) }
  }

  @Test func benchmarkEvaluatesEveryCandidateLayout() throws {
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 16)
    let layouts = AnalyticBenchmark.candidateLayouts(model: Fixtures.llama2_7b, cluster: cluster)
    #expect(layouts.allSatisfy { $0.totalGPUs <= 16 })
    #expect(layouts.contains(Layout(tp: 8, pp: 2, dp: 1)))
    let m = try AnalyticBenchmark.layoutEvaluationsPerSecond(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: cluster, evaluations: 2000)
    #expect(m.layouts == layouts.count)
    #expect(m.evaluations == 2000 && m.evaluationsPerSecond > 0 && m.checksumSeconds.isFinite)
  }
}

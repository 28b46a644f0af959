import Analytic
import Foundation
import PlanCore
import Simulation
import Testing

/// The simulator runs expert-parallel layouts with the replica costs of `ReplicaCostModel`
/// (one timing per replica, each with its EP group; every replica keeps its own scheduler).
@Suite struct ExpertParallelSimulationTests {
  static let catalog = Catalog(
    root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Models").path)

  /// Qwen3-30B-A3B (HF `Qwen/Qwen3-30B-A3B` config.json: hidden 2048, 48 layers, 32 heads, 4
  /// KV heads, head_dim 128, 128 experts, 8 per token, moe_intermediate_size 768).
  static let qwen3MoE = ModelSpec(
    name: "qwen3-30b-a3b", hiddenSize: 2048, numLayers: 48, numHeads: 32, numKVHeads: 4, headDim: 128,
    intermediateSize: 6144, vocabSize: 151936, maxPositionEmbeddings: 40960, dtype: .bf16, gatedMLP: true,
    experts: MixtureOfExperts(routedExperts: 128, expertsPerToken: 8, expertIntermediateSize: 768))

  @Test func expertParallelLayoutConservesRequests() throws {
    let cluster = try Self.catalog.cluster("dgx-h100")
    let gpu = try Self.catalog.gpu("h100-80gb-sxm")
    let layout = Layout(tp: 2, pp: 1, dp: 4, ep: 8)
    let timings = try (0..<layout.dp).map {
      try ReplicaCostModel(model: Self.qwen3MoE, gpu: gpu, cluster: cluster, layout: layout, replica: $0)
    }
    #expect(timings.allSatisfy { $0.replicasPerExpertGroup == 4 && $0.stageExpertLayers == [48] })
    let workload = Fixture.workload(
      rate: 40, duration: 30, prompt: .uniform(low: 100, high: 2000), output: .uniform(low: 20, high: 300),
      warmup: 5, drain: 60, seed: 11)
    let scheduler = SchedulerConfig(kvCacheBlocks: 4000, maxNumSeqs: 128, maxNumBatchedTokens: 4096)
    let outcome = try Simulator(
      workload: workload, layout: layout, timings: timings, scheduler: scheduler, router: .leastKVLoad,
      slo: SLO(ttftSeconds: 2, tpotSeconds: 0.1), options: Fixture.checked
    ).runDetailed()
    let r = outcome.result
    #expect(r.arrived > 0 && r.succeeded > 0)
    #expect(r.arrived == r.succeeded + r.failedSLO + r.rejected + r.unfinished)
    #expect(r.replicas.reduce(0) { $0 + $1.requests } == r.arrived)
    #expect(r.replicas.reduce(0) { $0 + $1.completed } == r.succeeded + r.failedSLO)
    #expect(r.arrived + r.warmupRequests == outcome.requests.count)
  }
}

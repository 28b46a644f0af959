import Foundation
import PlanCore
import Testing

@testable import Analytic

/// Expert parallelism in the replica cost: the stage mix of dense and MoE layers, the
/// dispatch/combine all-to-all on the cluster graph, and the expert load imbalance.
@Suite struct ExpertParallelTests {
  static let catalog = Catalog(
    root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Models").path)

  /// Mixtral-8x7B (HF `mistralai/Mixtral-8x7B-v0.1` config.json: hidden 4096, 32 layers, 32
  /// heads, 8 KV heads, intermediate 14336, vocab 32000, 8 local experts, 2 per token).
  static let mixtral = ModelSpec(
    name: "mixtral-8x7b", hiddenSize: 4096, numLayers: 32, numHeads: 32, numKVHeads: 8, intermediateSize: 14336,
    vocabSize: 32000, maxPositionEmbeddings: 32768, dtype: .bf16, gatedMLP: true,
    experts: MixtureOfExperts(routedExperts: 8, expertsPerToken: 2, expertIntermediateSize: 14336))

  /// Qwen3-30B-A3B (HF `Qwen/Qwen3-30B-A3B` config.json: hidden 2048, 48 layers, 32 heads, 4
  /// KV heads, head_dim 128, 128 experts, 8 per token, moe_intermediate_size 768, vocab 151936).
  static let qwen3MoE = ModelSpec(
    name: "qwen3-30b-a3b", hiddenSize: 2048, numLayers: 48, numHeads: 32, numKVHeads: 4, headDim: 128,
    intermediateSize: 6144, vocabSize: 151936, maxPositionEmbeddings: 40960, dtype: .bf16, gatedMLP: true,
    experts: MixtureOfExperts(routedExperts: 128, expertsPerToken: 8, expertIntermediateSize: 768))

  static func h100() throws -> GPUSpec { try catalog.gpu("h100-80gb-sxm") }
  static func twoNodes() throws -> Cluster { try catalog.cluster("dgx-h100-2node-ib") }

  static func replica(
    model: ModelSpec = mixtral, tp: Int = 1, ep: Int, stages: [[Int]] = [[0]], groups: [[Int]]?,
    cluster: Cluster? = nil
  ) throws -> ReplicaCostModel {
    let cost = try CostModel(model: model, gpu: h100(), tp: tp, ep: ep)
    return try ReplicaCostModel(
      cost: cost, cluster: cluster ?? twoNodes(), stageGPUs: stages, expertGroupGPUs: groups)
  }

  // MARK: Imbalance

  @Test func imbalanceIsOneWhenOneGPUHoldsEveryExpert() throws {
    for tokens in [1, 7, 256, 65536] {
      #expect(ExpertImbalance.default(tokens: tokens, experts: 256, topk: 8, ep: 1) == 1)
    }
    let single = try Self.replica(ep: 1, groups: nil)
    #expect(single.expertImbalanceFactor(batch: .decode(batch: 3, context: 100)) == 1)
    // A dense model has no routing at all.
    #expect(ExpertImbalance(model: Fixtures.llama2_7b, ep: 8) == nil)
    #expect(ExpertImbalance.costModelFactor(model: Fixtures.llama2_7b, layout: Layout(tp: 1, pp: 1, dp: 1)) == 1)
  }

  @Test func imbalanceGrowsAsTokensPerExpertShrink() {
    var previous = Double.infinity
    for tokens in [1, 4, 16, 64, 256, 1024, 16384] {
      let factor = ExpertImbalance.default(tokens: tokens, experts: 256, topk: 8, ep: 8)
      #expect(factor > 1 && factor < previous)
      previous = factor
    }
    // More GPUs sharing the same tokens: a larger maximum among more, smaller loads.
    #expect(
      ExpertImbalance.default(tokens: 256, experts: 256, topk: 8, ep: 16)
        > ExpertImbalance.default(tokens: 256, experts: 256, topk: 8, ep: 8))
    // An override replaces the closed form at every size.
    #expect(ExpertImbalance(experts: 256, topk: 8, ep: 8, override: 1.3).factor(tokens: 5) == 1.3)
  }

  /// Blom's expected normal maximum against known values: E[max of 2] = 1/√π exactly, and the
  /// tabulated 1.4236 for 8 (Harter 1961, expected values of normal order statistics).
  @Test func expectedNormalMaximumMatchesTabulatedValues() {
    #expect(abs(ExpertImbalance.expectedNormalMaximum(2) - 1 / Double.pi.squareRoot()) < 0.03)
    #expect(abs(ExpertImbalance.expectedNormalMaximum(8) - 1.4236) < 0.015)
    #expect(ExpertImbalance.expectedNormalMaximum(1) == 0)
  }

  /// The closed form against random routing drawn here: T tokens each choosing 8 distinct of
  /// 256 experts, 32 per GPU on 8 GPUs; the mean over draws of max/mean load. The normal
  /// approximation of a discrete, slightly skewed load stays within 15 % of the excess over 1.
  @Test func imbalanceMatchesSimulatedRouting() {
    var random = RoutingRandom(seed: 42)
    for (tokens, draws) in [(16, 2000), (64, 1000), (1024, 150)] {
      var total = 0.0
      for _ in 0..<draws {
        var load = [Int](repeating: 0, count: 8)
        for _ in 0..<tokens {
          var chosen: [Int] = []
          while chosen.count < 8 {
            let expert = Int(random.next() % 256)
            if !chosen.contains(expert) { chosen.append(expert) }
          }
          for expert in chosen { load[expert / 32] += 1 }
        }
        total += Double(load.max()!) / (Double(tokens) * 8 / 8)
      }
      let simulated = total / Double(draws)
      let closed = ExpertImbalance.default(tokens: tokens, experts: 256, topk: 8, ep: 8)
      #expect(
        abs(closed - simulated) <= 0.15 * (simulated - 1), "T=\(tokens): closed \(closed), simulated \(simulated)")
    }
  }

  // MARK: All-to-all

  /// Each GPU dispatches its 1/TP share of the tokens, top-k copies of hidden × 2 bytes (bf16).
  @Test func dispatchBytesPerGPUAreTokensTimesTopKTimesHidden() throws {
    let replica = try Self.replica(tp: 2, ep: 4, stages: [[0, 1]], groups: [[0, 1, 2, 3]])
    let decode = BatchShape.decode(batch: 64, context: 500)
    #expect(replica.expertDispatchBytesPerGPU(batch: decode) == 64 / 2 * 2 * 4096 * 2)
    var prefill = BatchShape()
    prefill.addPrefill(tokens: 1000, cached: 0)
    #expect(replica.expertDispatchBytesPerGPU(batch: prefill) == 1000 / 2 * 2 * 4096 * 2)
    #expect(replica.replicasPerExpertGroup == 2)
  }

  /// The same 8-GPU group inside one NVSwitch node and split 4 + 4 over two nodes. On the
  /// graph each GPU's message leaves 7/8 of it over NVLink (450 GB/s) in one node; split, half
  /// of it crosses the GPU's own 400 Gbit/s (50 GB/s) InfiniBand port. So the split group's
  /// bandwidth term is at least 0.5 / 50 GB/s per byte, the node's at least 0.875 / 450 GB/s,
  /// and the exchange of every batch is slower across nodes.
  @Test func allToAllOnNVLinkIsFasterThanAcrossInfiniBand() throws {
    let cluster = try Self.twoNodes()
    let comm = CommModel(cluster: cluster, efficiency: try Self.h100().efficiency)
    let inNode = try comm.expertAllToAll(gpus: Array(0..<8))
    let split = try comm.expertAllToAll(gpus: [0, 1, 2, 3, 8, 9, 10, 11])
    #expect(inNode.graphSecondsPerByte >= 0.875 / 450e9)
    #expect(split.graphSecondsPerByte >= 0.5 / 50e9)
    #expect(split.graphSecondsPerByte > inNode.graphSecondsPerByte)

    let nvlink = try Self.replica(ep: 8, groups: [Array(0..<8)], cluster: cluster)
    let infiniband = try Self.replica(ep: 8, groups: [[0, 1, 2, 3, 8, 9, 10, 11]], cluster: cluster)
    var prefill = BatchShape()
    prefill.addPrefill(tokens: 8192, cached: 0)
    for batch in [BatchShape.decode(batch: 128, context: 1000), prefill] {
      let fast = nvlink.expertExchangeSeconds(stage: 0, batch: batch)
      let slow = infiniband.expertExchangeSeconds(stage: 0, batch: batch)
      #expect(fast > 0 && slow > fast)
    }
  }

  /// Dispatch and combine each cost at least the law's fixed latency, and the bandwidth part
  /// grows in proportion to the bytes: doubling a large prefill's tokens nearly doubles the
  /// exchange (imbalance shrinks slightly with more tokens, so a little less than double).
  @Test func exchangeScalesWithBytes() throws {
    let replica = try Self.replica(ep: 8, groups: [Array(0..<8)])
    let law = ExpertAllToAllLaw.deepEPH100
    let floor = law.dispatchHighThroughput.latencySeconds + law.combineHighThroughput.latencySeconds
    var small = BatchShape()
    small.addPrefill(tokens: 16384, cached: 0)
    var large = BatchShape()
    large.addPrefill(tokens: 32768, cached: 0)
    let a = replica.expertExchangeSeconds(stage: 0, batch: small) - floor
    let b = replica.expertExchangeSeconds(stage: 0, batch: large) - floor
    #expect(a > 0 && b > 1.9 * a && b < 2 * a)
  }

  // MARK: Stage mix and the dense path

  /// EP = 1: an MoE layer keeps a dense layer's two all-reduces, so the communication is the
  /// dense model's exactly; compute is dense layers × the dense layer plus MoE layers × the MoE layer.
  @Test func expertParallelOneKeepsTheDensePath() throws {
    let cluster = try Self.twoNodes()
    var dense = Self.mixtral
    dense.experts = nil
    let moe = try Self.replica(tp: 2, ep: 1, stages: [[0, 1], [2, 3]], groups: nil, cluster: cluster)
    let plain = try ReplicaCostModel(
      cost: try CostModel(model: dense, gpu: Self.h100(), tp: 2), cluster: cluster, stageGPUs: [[0, 1], [2, 3]])
    #expect(moe.stageExpertLayers == [16, 16])
    #expect(plain.stageExpertLayers == [0, 0])
    for batch in [BatchShape.decode(batch: 32, context: 700), .prefill(tokens: 3000)] {
      for stage in 0..<2 {
        let a = moe.stageTime(stage: stage, batch: batch, layer: moe.cost.layerTotals(batch: batch))
        let b = plain.stageTime(stage: stage, batch: batch, layer: plain.cost.layerTotals(batch: batch))
        #expect(a.communicationSeconds == b.communicationSeconds)
        let expert = moe.cost.expertLayerTotals(batch: batch)
        #expect(
          abs(
            a.computeBoundSeconds + a.memoryBoundSeconds - (b.computeBoundSeconds + b.memoryBoundSeconds)
              - 16 * (expert.seconds - moe.cost.layerTotals(batch: batch).seconds)) < 1e-12)
      }
    }
  }

  /// Leading dense layers (DeepSeek's `first_k_dense_replace`) land on the first stage; under
  /// EP a stage's communication is 2 all-reduces per dense layer and, per MoE layer, one
  /// all-reduce plus the exchange.
  @Test func stagesMixDenseAndExpertLayers() throws {
    var model = Self.mixtral
    model.experts?.leadingDenseLayers = 3
    let cluster = try Self.twoNodes()
    let stages = [[0, 1], [2, 3], [4, 5], [6, 7]]
    let groups = [[0, 1, 8, 9], [2, 3, 10, 11], [4, 5, 12, 13], [6, 7, 14, 15]]
    let replica = try Self.replica(model: model, tp: 2, ep: 4, stages: stages, groups: groups, cluster: cluster)
    #expect(replica.stageLayers == [8, 8, 8, 8])
    #expect(replica.stageExpertLayers == [5, 8, 8, 8])
    let batch = BatchShape.decode(batch: 48, context: 900)
    let layer = replica.cost.layerTotals(batch: batch)
    for stage in 1..<3 {
      let allReduce = replica.allReduceCurves[stage].seconds(bytes: replica.cost.allReduceBytes(batch: batch))
      let exchange = replica.expertExchangeSeconds(stage: stage, batch: batch)
      let time = replica.stageTime(stage: stage, batch: batch, layer: layer)
      #expect(abs(time.communicationSeconds - 8 * (allReduce + exchange)) < 1e-12)
    }
    let allReduce0 = replica.allReduceCurves[0].seconds(bytes: replica.cost.allReduceBytes(batch: batch))
    let time0 = replica.stageTime(stage: 0, batch: batch, layer: layer)
    let expected0 =
      2 * 3 * allReduce0 + 5 * (allReduce0 + replica.expertExchangeSeconds(stage: 0, batch: batch)) + allReduce0
    #expect(abs(time0.communicationSeconds - expected0) < 1e-12)
  }

  @Test func malformedExpertGroupsAreRefused() throws {
    // EP across replicas without the group's GPUs.
    #expect(throws: CostModelError.self) { try Self.replica(ep: 8, groups: nil) }
    // A group that does not contain the stage's own GPU, or has the wrong size.
    #expect(throws: CostModelError.self) { try Self.replica(ep: 8, groups: [Array(1..<9)]) }
    #expect(throws: CostModelError.self) { try Self.replica(ep: 8, groups: [Array(0..<4)]) }
    // Groups for a cost model without EP.
    #expect(throws: CostModelError.self) { try Self.replica(ep: 1, groups: [[0]]) }
  }

  // MARK: Whole layouts

  /// Every replica of an EP layout is costed with its own group; replicas with groups of the
  /// same shape are merged, and the counts cover every replica.
  @Test func evaluatorCostsExpertParallelLayouts() throws {
    let cluster = try Self.twoNodes()
    let gpu = try Self.h100()
    let layout = Layout(tp: 1, pp: 1, dp: 16, ep: 8)
    let groups = (0..<16).map {
      ReplicaCostModel.expertGroupGPUs(layout: layout, placement: .contiguous(layout), replica: $0)!
    }
    #expect(groups[0] == [Array(0..<8)])
    #expect(groups[9] == [Array(8..<16)])
    let evaluator = try LayoutEvaluator(model: Self.qwen3MoE, gpu: gpu, cluster: cluster, layout: layout)
    #expect(evaluator.replicaCounts.reduce(0, +) == 16)
    #expect(evaluator.cost.ep == 8)
    let summary = try evaluator.evaluate(promptTokens: 1000, outputTokens: 200, batch: 32)
    #expect(summary.ttftSeconds.isFinite && summary.ttftSeconds > 0)
    #expect(summary.tpotSeconds.isFinite && summary.tpotSeconds > 0)

    // The same replicas with their EP group spanning both nodes pay more for the exchange.
    let wide = try LayoutEvaluator(
      model: Self.qwen3MoE, gpu: gpu, cluster: cluster, layout: Layout(tp: 1, pp: 1, dp: 16, ep: 16))
    let batch = BatchShape.decode(batch: 64, context: 1100)
    let narrowExchange = evaluator.replicas.map { $0.expertExchangeSeconds(stage: 0, batch: batch) }.max()!
    let wideExchange = wide.replicas.map { $0.expertExchangeSeconds(stage: 0, batch: batch) }.max()!
    #expect(wideExchange > narrowExchange)
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small seedable generator for the routing draws.
private struct RoutingRandom {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

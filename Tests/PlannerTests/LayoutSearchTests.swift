import Foundation
import PlanCore
import Planner
import Testing

@Suite struct LayoutSearchTests {
  @Test func tensorParallelDegreesDivideHeadsAndMLP() throws {
    // Llama-2-13B: 40 heads, MLP width 13824 = 2⁹·3³. Within 8 GPUs 5 divides the heads but
    // not the MLP width, so TP ∈ {1, 2, 4, 8}.
    let llama13 = try Fixtures.catalog.model("llama-2-13b")
    #expect(LayoutSearch.tensorParallelDegrees(model: llama13, maxTP: 8) == [1, 2, 4, 8])
    // GPT-3 175B: 96 heads and MLP width 49152 = 2¹⁴·3, both divisible by 1, 2, 3, 4, 6, 8.
    let gpt3 = try Fixtures.catalog.model("gpt3-175b")
    #expect(LayoutSearch.tensorParallelDegrees(model: gpt3, maxTP: 8) == [1, 2, 3, 4, 6, 8])
  }

  @Test func everyLayoutWithinTheBudgetIsEnumeratedOnce() throws {
    // Budget 8 with TP ∈ {1, 2, 4, 8}: Σ over TP, PP ≤ 8/TP of ⌊8/(TP·PP)⌋ DP values =
    // TP1: 8+4+2+2+1+1+1+1 = 20, TP2: 4+2+1+1 = 8, TP4: 2+1 = 3, TP8: 1 — 32 layouts.
    let model = try Fixtures.catalog.model("llama-2-13b")
    let cluster = try Fixtures.catalog.cluster("dgx-a100")
    let layouts = try LayoutSearch.candidates(model: model, cluster: cluster, gpuBudget: 8)
    #expect(layouts.count == 32)
    #expect(Set(layouts).count == layouts.count)
    #expect(layouts.allSatisfy { $0.totalGPUs <= 8 })
    // A smaller budget is a subset.
    let four = try LayoutSearch.candidates(model: model, cluster: cluster, gpuBudget: 4)
    #expect(Set(four).isSubset(of: Set(layouts)))
    #expect(four.allSatisfy { $0.totalGPUs <= 4 })
  }

  @Test func budgetBeyondTheClusterIsRefused() throws {
    let model = try Fixtures.catalog.model("llama-2-7b")
    let cluster = try Fixtures.catalog.cluster("dgx-a100")
    #expect(throws: PlannerError.self) { try LayoutSearch.candidates(model: model, cluster: cluster, gpuBudget: 9) }
    #expect(throws: PlannerError.self) { try LayoutSearch.candidates(model: model, cluster: cluster, gpuBudget: 0) }
  }

  @Test func placementKeepsGroupsInsideNodes() throws {
    let cluster = try Fixtures.catalog.cluster("dgx-a100-2node-ib")  // 2 nodes × 8 GPUs
    func nodes(_ gpus: [Int]) -> Set<Int> { Set(gpus.map { cluster.nodeOfGPU[$0] }) }

    // TP4·PP2 replicas need 8 GPUs: one whole node each, no hop leaves a node.
    let whole = try TopologyPlacement.place(Layout(tp: 4, pp: 2, dp: 2), on: cluster)
    #expect(whole.interNodeStageHops == 0 && !whole.tensorGroupsSpanNodes && whole.nodesUsed == 2)
    for replica in whole.placement.gpus { #expect(nodes(replica.flatMap { $0 }).count == 1) }

    // TP8·PP2 needs 16 GPUs: each stage fills a node, and the one stage boundary crosses.
    let split = try TopologyPlacement.place(Layout(tp: 8, pp: 2, dp: 1), on: cluster)
    #expect(split.interNodeStageHops == 1 && !split.tensorGroupsSpanNodes)
    let onlyReplica = try #require(split.placement.gpus.first)
    try #require(onlyReplica.count == 2)
    for stage in onlyReplica { #expect(nodes(stage).count == 1) }

    // TP3·PP1·DP5 = 15 GPUs: a node holds two TP3 groups (6 GPUs, 2 left over), so four groups
    // fit inside nodes and the fifth must span the two nodes' leftovers.
    let odd = try TopologyPlacement.place(Layout(tp: 3, pp: 1, dp: 5), on: cluster)
    #expect(odd.tensorGroupsSpanNodes)
    #expect(odd.placement.gpus.filter { nodes($0[0]).count == 1 }.count == 4)

    // Every placement uses distinct GPUs of the cluster.
    for plan in [whole, split, odd] {
      let flat = plan.placement.gpus.flatMap { $0.flatMap { $0 } }
      #expect(Set(flat).count == flat.count && flat.allSatisfy { $0 >= 0 && $0 < cluster.gpuCount })
    }
  }

  @Test func replicasFillOneNodeBeforeTheNext() throws {
    // TP2·DP5 on two 8-GPU nodes: best fit keeps packing node 0 (4 replicas) before node 1.
    let cluster = try Fixtures.catalog.cluster("dgx-a100-2node-ib")
    let plan = try TopologyPlacement.place(Layout(tp: 2, pp: 1, dp: 5), on: cluster)
    let replicaNodes = plan.placement.gpus.map { cluster.nodeOfGPU[$0[0][0]] }
    #expect(replicaNodes == [0, 0, 0, 0, 1])
    #expect(plan.nodesUsed == 2 && plan.interNodeStageHops == 0)
  }

  @Test func familiesFollowTheDegrees() {
    #expect(LayoutFamily(Layout(tp: 1, pp: 1, dp: 4)) == .replicas)
    #expect(LayoutFamily(Layout(tp: 2, pp: 1, dp: 1)) == .tensorParallel)
    #expect(LayoutFamily(Layout(tp: 1, pp: 2, dp: 2)) == .pipelineParallel)
    #expect(LayoutFamily(Layout(tp: 2, pp: 2, dp: 1)) == .tensorAndPipeline)
  }
}

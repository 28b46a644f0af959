import Foundation
import PlanCore
import Planner
import Testing

/// The TP × EP × PP × DP search: EP layouts only for MoE models, every one valid, and placed
/// with its EP group inside a node where one holds it.
@Suite struct ExpertSearchTests {
  @Test func expertParallelDegreesFollowTheRule() throws {
    // EP = TP · r > 1 for r dividing DP, EP dividing the 8 experts.
    let mixtral = ExpertFixtures.mixtral
    #expect(LayoutSearch.expertParallelDegrees(model: mixtral, tp: 2, dp: 4) == [2, 4, 8])
    #expect(LayoutSearch.expertParallelDegrees(model: mixtral, tp: 1, dp: 8) == [2, 4, 8])
    #expect(LayoutSearch.expertParallelDegrees(model: mixtral, tp: 1, dp: 3) == [])  // 3 does not divide 8
    #expect(LayoutSearch.expertParallelDegrees(model: mixtral, tp: 8, dp: 2) == [8])  // 16 does not divide 8
    #expect(LayoutSearch.expertParallelDegrees(model: mixtral, tp: 1, dp: 1) == [])  // EP 1 is no EP
    let dense = try Fixtures.catalog.model("llama-2-7b")
    #expect(LayoutSearch.expertParallelDegrees(model: dense, tp: 2, dp: 4) == [])
  }

  @Test func expertLayoutsAreEnumeratedOnlyForMoEModelsAndAreValid() throws {
    let cluster = try Fixtures.catalog.cluster("dgx-h100-2node-ib")
    let dense = try Fixtures.catalog.model("llama-2-13b")
    let denseLayouts = try LayoutSearch.candidates(model: dense, cluster: cluster, gpuBudget: 16)
    #expect(denseLayouts.allSatisfy { $0.ep == 1 })

    let mixtral = ExpertFixtures.mixtral
    let layouts = try LayoutSearch.candidates(model: mixtral, cluster: cluster, gpuBudget: 16)
    #expect(Set(layouts).count == layouts.count)
    let expert = layouts.filter { $0.ep > 1 }
    #expect(!expert.isEmpty)
    for layout in expert {
      #expect(layout.ep % layout.tp == 0 && (layout.tp * layout.dp) % layout.ep == 0 && 8 % layout.ep == 0)
      #expect((try? layout.validate(model: mixtral, cluster: cluster)) != nil)
      #expect(LayoutFamily(layout) == .expertParallel)
    }
    // Exactly the valid EP layouts: every (TP, PP, DP) enumerated without EP, crossed with every
    // EP from 2 to 16 that validates.
    let base = layouts.filter { $0.ep == 1 }
    var expected: Set<Layout> = []
    for layout in base {
      for ep in 2...16 {
        let candidate = Layout(tp: layout.tp, pp: layout.pp, dp: layout.dp, ep: ep)
        if (try? candidate.validate(model: mixtral, cluster: cluster)) != nil { expected.insert(candidate) }
      }
    }
    #expect(Set(expert) == expected)
  }

  @Test func groupQuantizationRulesOutTensorParallelDegrees() throws {
    // Llama-2-7B's MLP is 11008 wide: split 4 ways a rank holds 2752 inputs of the down
    // projection, 21.5 groups of 128, which vLLM refuses for AWQ/GPTQ; 2 ways gives 43 groups.
    let llama = try Fixtures.catalog.model("llama-2-7b")
    #expect(LayoutSearch.tensorParallelDegrees(model: llama, maxTP: 8) == [1, 2, 4, 8])
    let int4 = WeightPrecision.int4(groupSize: 128).applied(to: llama)
    #expect(LayoutSearch.tensorParallelDegrees(model: int4, maxTP: 8) == [1, 2])
    // fp8 has no groups: every degree stays.
    #expect(
      LayoutSearch.tensorParallelDegrees(model: WeightPrecision.fp8.applied(to: llama), maxTP: 8) == [1, 2, 4, 8])
  }

  @Test func expertGroupsStayInsideANodeWhenOneHoldsThem() throws {
    let cluster = try Fixtures.catalog.cluster("dgx-h100-2node-ib")
    var manyExperts = ExpertFixtures.mixtral
    manyExperts.experts?.routedExperts = 64  // allows EP 16: a group over both nodes
    let layouts = try [ExpertFixtures.mixtral, manyExperts].flatMap {
      try LayoutSearch.candidates(model: $0, cluster: cluster, gpuBudget: 16)
    }
    #expect(layouts.contains { $0.ep == 16 })
    for layout in layouts where layout.ep > 1 && layout.pp == 1 {
      let plan = try TopologyPlacement.place(layout, on: cluster)
      let group = layout.replicasPerExpertGroup
      for first in stride(from: 0, to: layout.dp, by: group) {
        let gpus = plan.placement.gpus[first..<(first + group)].flatMap { $0[0] }
        let nodes = Set(gpus.map { cluster.nodeOfGPU[$0] })
        // A group of at most 8 GPUs fits one node; a bigger one must span both.
        #expect(nodes.count == (gpus.count <= 8 ? 1 : 2), "\(layout)")
      }
      #expect(plan.summary.contains("EP groups across nodes") == (layout.ep > 8), "\(layout): \(plan.summary)")
    }
  }

  @Test func densePlansKeyByLayoutAloneAndShowNoPrecision() throws {
    let request = try PlanRequest(
      scenario: Fixtures.scenario(
        model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 2, prompt: .fixed(300),
        output: .fixed(100), budget: 4),
      catalog: Fixtures.catalog)
    #expect(!request.showsExpertsOrPrecision)
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    #expect(ranked.allSatisfy { $0.precision == nil && $0.layout.ep == 1 })
    let objects = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ranked)) as? [[String: Any]])
    #expect(objects.allSatisfy { $0["precision"] == nil && ($0["layout"] as? [String: Any])?["ep"] == nil })
  }

  @Test func moePlansLabelEveryCandidateWithItsPrecision() throws {
    let request = try ExpertFixtures.request(model: ExpertFixtures.mixtral)
    #expect(request.showsExpertsOrPrecision)
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    #expect(ranked.contains { $0.layout.ep > 1 })
    let own = PlanPrecision(weights: WeightPrecision(dtype: .bf16), kvCache: .bf16)
    #expect(ranked.allSatisfy { $0.precision == own })
    // The shortlist keeps the analytic best expert-parallel layout.
    let picks = planner.shortlist(ranked)
    if let bestEP = ranked.first(where: { $0.layout.ep > 1 && $0.load != nil }) {
      #expect(picks.contains { $0.0.key == bestEP.key })
    }
  }
}

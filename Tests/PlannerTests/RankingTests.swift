import Foundation
import PlanCore
import Planner
import Simulation
import Testing

@Suite struct RankingTests {
  @Test func objectivesParseInEverySpelling() throws {
    #expect(try PlanObjective.parse("min-gpus") == .minGPUs)
    #expect(try PlanObjective.parse("min_gpus") == .minGPUs)
    #expect(try PlanObjective.parse("minGPUs") == .minGPUs)
    #expect(try PlanObjective.parse("goodput_per_gpu") == .goodputPerGPU)
    #expect(throws: PlannerError.self) { try PlanObjective.parse("fastest") }
  }

  /// Llama-2-70B in fp16 is 138 GB of weights: on 80 GB GPUs (72 GB usable) a replica needs at
  /// least two GPUs, so every TP1·PP1 layout fails the memory check.
  func seventyBRequest(objective: PlanObjective) throws -> PlanRequest {
    let scenario = Fixtures.scenario(
      model: "llama-2-70b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 1, prompt: .fixed(500),
      output: .fixed(200),
      budget: 8, objective: objective)
    return try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
  }

  @Test(arguments: PlanObjective.allCases)
  func aLayoutThatDoesNotFitNeverOutranksOneThatFits(objective: PlanObjective) throws {
    let request = try seventyBRequest(objective: objective)
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    let single = ranked.filter { $0.layout.tp == 1 && $0.layout.pp == 1 }
    #expect(!single.isEmpty && single.allSatisfy { !$0.fits })
    #expect(ranked.first?.fits == true)
    // Every layout that fits ranks above every one that does not.
    let lastFitting = ranked.lastIndex { $0.fits } ?? -1
    let firstMisfit = ranked.firstIndex { !$0.fits } ?? ranked.count
    #expect(lastFitting < firstMisfit)
    // And none that does not fit is ever simulated.
    #expect(planner.shortlist(ranked).allSatisfy { $0.0.fits })
  }

  @Test func misfitWithTheBestFiguresStillRanksLast() throws {
    // Give a layout that does not fit the best figures any objective could want: the memory
    // tier still puts it behind everything that fits.
    let request = try seventyBRequest(objective: .goodputPerGPU)
    let planner = Planner(request)
    var candidates = try planner.probes().map { try AnalyticCandidate(probe: $0, request: request) }
    let index = try #require(candidates.firstIndex { !$0.fits })
    candidates[index].load = candidates.first { $0.load != nil }?.load
    candidates[index].goodputPerGPURequestsPerSecond = 1e9
    candidates[index].maxSustainableRequestsPerSecond = 1e9
    for objective in PlanObjective.allCases {
      let ranked = Ranking.rankAnalytic(candidates, objective: objective)
      let position = try #require(ranked.firstIndex { $0.layout == candidates[index].layout })
      #expect(position >= candidates.filter(\.fits).count)
    }
  }

  @Test func nothingFitsMeansNoRecommendation() throws {
    // GPT-3 175B (350 GB of weights) on two 40 GB GPUs: nothing fits.
    let scenario = Fixtures.scenario(
      model: "gpt3-175b", gpu: "a100-40gb-sxm", cluster: "dgx-a100", rate: 1, prompt: .fixed(500), output: .fixed(100),
      budget: 2)
    let plan = try Planner(try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)).plan()
    #expect(plan.candidates.allSatisfy { !$0.fits && !$0.meetsSLO && !$0.reasons.isEmpty })
    #expect(plan.shortlist.isEmpty)
    #expect(plan.recommendation.layout == nil && plan.recommendation.basis == .none)
    #expect(plan.launch == nil)
  }

  @Test func minGPUsIsTheFewestGPUsThatMeetTheSLOInSimulationToo() throws {
    // Llama-2-13B on 40 GB A100s at 3 req/s of 600 + 300-token requests. One GPU keeps only
    // ≈ 8 GB of KV cache, so the answer needs several GPUs; which count is for the models to say.
    let scenario = Fixtures.scenario(
      model: "llama-2-13b", gpu: "a100-40gb-sxm", cluster: "dgx-a100", rate: 3, prompt: .uniform(low: 400, high: 800),
      output: .uniform(low: 200, high: 400), budget: 8, duration: 60, warmup: 20, objective: .minGPUs)
    let request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog, searchSimulatedMaxRate: false)
    let planner = Planner(request)
    let plan = try planner.plan()
    #expect(plan.recommendation.basis == .simulation)
    let chosen = try #require(plan.recommendation.layout)
    let winner = try #require(plan.shortlist.first)
    #expect(winner.layout == chosen && winner.meetsSLO)
    // Every fitting layout with fewer GPUs breaks the SLO when simulated.
    let fewer = try planner.probes().filter { $0.layout.totalGPUs < chosen.totalGPUs && $0.service != nil }
    #expect(!fewer.isEmpty)
    for probe in fewer {
      let result = try SimulationRunner(request: request, probe: probe).run(rate: 3)
      let violations = SimulatedSLO.violations(result, slo: request.slo)
      #expect(!violations.isEmpty, "\(probe.layout) meets the SLO with fewer GPUs than \(chosen)")
    }
    // And the simulated ranking is ordered by GPU count among the layouts meeting the SLO.
    let meeting = plan.shortlist.filter(\.meetsSLO).map(\.gpus)
    #expect(meeting == meeting.sorted())
  }

  @Test func throughputPrefersTheHighestSustainableRate() throws {
    let request = try seventyBRequest(objective: .throughput)
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    let meeting = ranked.filter(\.meetsSLO)
    let best = try #require(meeting.first?.maxSustainableRequestsPerSecond)
    // Within the 1 % tie band of the ranking, nothing meeting the SLO sustains more.
    #expect(meeting.allSatisfy { ($0.maxSustainableRequestsPerSecond ?? 0) <= best * 1.01 })
  }
}

import Foundation
import PlanCore
import Planner
import Testing

/// Cost arithmetic, the min-cost objective, prices, and the fleet plan's order, determinism,
/// growth curve and Pareto frontier.
@Suite struct CostArithmeticTests {
  let price = HourlyPrice(dollarsPerGPUHour: 2.5, source: "test", asOf: nil, userSupplied: true)

  /// By hand: 8 GPUs × $2.50 = $20/h. 5 req/s × 200 output tokens × 3600 s = 3.6e6 tokens/h,
  /// so $20 / 3.6 M tokens = $5.5556 per million; 5 × 3600 = 18,000 requests/h, so
  /// $20 / 0.018 M requests = $1,111.11 per million.
  @Test func dollarsPerHourTokensAndRequests() throws {
    let cost = try #require(LayoutCost.at(gpus: 8, price: price, rateRequestsPerSecond: 5, meanOutputTokens: 200))
    #expect(cost.dollarsPerHour == 20)
    #expect(abs(cost.dollarsPerMillionOutputTokens - 20 / 3.6) < 1e-12)
    #expect(abs(cost.dollarsPerMillionRequests - 20 / 0.018) < 1e-9)
  }

  @Test func noCostWithoutARateOrOutput() {
    #expect(LayoutCost.at(gpus: 8, price: price, rateRequestsPerSecond: 0, meanOutputTokens: 200) == nil)
    #expect(LayoutCost.at(gpus: 8, price: price, rateRequestsPerSecond: 5, meanOutputTokens: 0) == nil)
  }

  @Test func flagBeatsScenarioBeatsCatalog() throws {
    let gpu = try Fixtures.catalog.gpu("h100-80gb-sxm")
    let catalog = try #require(HourlyPrice.resolve(gpu: gpu, reference: gpu.name, flags: [:], scenario: [:]))
    #expect(catalog.dollarsPerGPUHour == 6.155 && !catalog.userSupplied && catalog.asOf == "2026-02")
    let scenario = HourlyPrice.resolve(gpu: gpu, reference: gpu.name, flags: [:], scenario: [gpu.name: 3])
    #expect(scenario?.dollarsPerGPUHour == 3 && scenario?.userSupplied == true)
    let flag = HourlyPrice.resolve(gpu: gpu, reference: gpu.name, flags: [gpu.name: 2.99], scenario: [gpu.name: 3])
    #expect(flag?.dollarsPerGPUHour == 2.99 && flag?.source == "--price")
    var bare = gpu
    bare.price = nil
    #expect(HourlyPrice.resolve(gpu: bare, reference: gpu.name, flags: [:], scenario: [:]) == nil)
  }

  @Test func planCostsFollowThePrice() throws {
    var scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 2, prompt: .fixed(200),
      output: .fixed(100), budget: 2)
    scenario.prices = ["a100-80gb-sxm": 2.5]
    let request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog, priceOverrides: [:])
    #expect(request.price?.dollarsPerGPUHour == 2.5 && request.price?.source == "scenario prices:")
    let flagged = try PlanRequest(
      scenario: scenario, catalog: Fixtures.catalog, priceOverrides: ["a100-80gb-sxm": 1.0])
    #expect(flagged.price?.dollarsPerGPUHour == 1.0)
  }
}

@Suite struct MinCostTests {
  /// A catalog whose only GPU has no price: min-cost refuses with a message naming the GPU and
  /// the flag to add; other objectives plan without costs.
  @Test func noPriceIsAClearMessageNotAZero() throws {
    let root = try Fixtures.temporaryDirectory()
    for folder in ["llm", "gpus", "clusters"] {
      try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
    }
    try FileManager.default.copyItem(
      atPath: Fixtures.repositoryRoot + "/Models/llm/llama-2-7b.json", toPath: root + "/llm/llama-2-7b.json")
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.repositoryRoot + "/Models/gpus/l4-24gb-pcie.json"))
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    object["price"] = nil
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: root + "/gpus/l4.json"))
    let catalog = Catalog(root: root)
    var scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "l4", cluster: "dgx-a100", rate: 1, prompt: .fixed(100), output: .fixed(50), budget: 2)
    scenario.cluster = nil
    do {
      _ = try PlanRequest(scenario: scenario, catalog: catalog, objective: .minCost)
      Issue.record("min-cost without a price was accepted")
    } catch let error as PlannerError {
      #expect(error.description.contains("no price for l4"), "\(error)")
      #expect(error.description.contains("--price l4="), "\(error)")
    }
    let request = try PlanRequest(scenario: scenario, catalog: catalog, objective: .minGPUs)
    #expect(request.price == nil)
    let outcome = FleetPlanner.outcome(
      member: FleetMember(request: request, clusterNote: "test"), plan: nil, failure: "no layout")
    #expect(outcome.cost == nil)
  }

  func outcome(_ gpu: String, gpus: Int, dollars: Double, headroom: Double = 0.2) -> GPUTypeOutcome {
    let price = HourlyPrice(dollarsPerGPUHour: dollars, source: "test", asOf: nil, userSupplied: true)
    return GPUTypeOutcome(
      gpu: gpu, gpuDisplayName: gpu, cluster: "c", clusterNote: "n", layout: "TP1·PP1·DP\(gpus)", gpus: gpus,
      capacityRequestsPerSecond: 10, headroom: headroom, ttftP90Seconds: 0.1, tpotP90Seconds: 0.02, meetsSLO: true,
      price: price, cost: LayoutCost.at(gpus: gpus, price: price, rateRequestsPerSecond: 5, meanOutputTokens: 100))
  }

  /// Two feasible types: 8 × $2.50 = $20/h against 4 × $6 = $24/h; min-cost takes the first,
  /// min-gpus the second. A type that breaks the SLO never wins, however cheap.
  @Test func minCostPicksTheCheaperFeasibleLayout() {
    var broken = outcome("cheap-but-slow", gpus: 1, dollars: 0.5)
    broken.meetsSLO = false
    let outcomes = [outcome("a", gpus: 8, dollars: 2.5), outcome("b", gpus: 4, dollars: 6), broken]
    #expect(FleetPlanner.recommend(outcomes, objective: .minCost).0 == "a")
    #expect(FleetPlanner.recommend(outcomes, objective: .minGPUs).0 == "b")
    #expect(FleetPlanner.recommend([broken], objective: .minCost).0 == nil)
  }

  /// Within one type min-cost ranks as min-gpus: the analytic winner among layouts meeting the
  /// SLO has the fewest GPUs of them.
  @Test func minCostWithinATypeIsFewestGPUs() throws {
    let scenario = Fixtures.scenario(
      model: "llama-2-70b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 1, prompt: .fixed(500),
      output: .fixed(200), budget: 8, objective: .minCost)
    let request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    let meeting = ranked.filter(\.meetsSLO)
    let first = try #require(meeting.first)
    #expect(ranked.first?.layout == first.layout)
    #expect(first.gpus == meeting.map(\.gpus).min())
  }
}

@Suite struct RateRangeTests {
  @Test func rangesParse() throws {
    #expect(try RateRange.parse("5..50") == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
    #expect(try RateRange.parse("10..40") == [10, 15, 20, 25, 30, 35, 40])
    #expect(try RateRange.parse("5..50:20") == [5, 25, 45, 50])
    #expect(try RateRange.parse("1..2:0.5") == [1, 1.5, 2])
  }

  @Test(arguments: ["5..", "..5", "50..5", "5..5", "5..50:0", "5..50:-1", "a..b", "5..50:1:2", "0.5..1:0.001", "0..5"])
  func badRangesAreNamed(text: String) {
    do {
      _ = try RateRange.parse(text)
      Issue.record("\(text) was accepted")
    } catch let error as PlannerError {
      #expect(error.description.contains("--rate \"\(text)\""), "\(error)")
      #expect(error.description.contains("A..B"), "\(error)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}

@Suite struct FleetPlanTests {
  /// Two GPU types, a short window and no maximum-rate searches: quick in a debug build.
  func question(_ gpus: [String], growth: [Double] = []) throws -> FleetQuestion {
    var scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 3, prompt: .uniform(low: 100, high: 300),
      output: .uniform(low: 50, high: 150), budget: 2, duration: 20, warmup: 5, objective: .minCost)
    scenario.cluster = nil
    return try FleetQuestion.build(
      scenario: scenario, catalog: Fixtures.catalog, gpus: gpus, clusterFlag: nil, objective: nil, gpuBudget: 2,
      topK: 1, searchSimulatedMaxRate: false, growthRates: growth)
  }

  @Test func typesComeBackInTheAskedOrderAndConcurrencyChangesNothing() async throws {
    let q = try question(["h100-80gb-sxm", "a100-80gb-sxm"], growth: [1, 3, 6, 12])
    let concurrent = try await FleetPlanner.plan(q, concurrently: true)
    let again = try await FleetPlanner.plan(q, concurrently: true)
    let serial = try await FleetPlanner.plan(q, concurrently: false)
    #expect(concurrent.comparison.map(\.gpu) == ["h100-80gb-sxm", "a100-80gb-sxm"])
    #expect(concurrent.plans.map(\.question.gpu) == ["h100-80gb-sxm", "a100-80gb-sxm"])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let bytes = try encoder.encode(concurrent)
    #expect(bytes == (try encoder.encode(again)))
    #expect(bytes == (try encoder.encode(serial)))
    // Built clusters say so; a recommended type has a price and a cost.
    #expect(
      concurrent.comparison.allSatisfy { $0.clusterNote.hasPrefix("built") || $0.clusterNote.contains("catalog") })
    if let gpu = concurrent.recommendedGPU {
      #expect(concurrent.comparison.first { $0.gpu == gpu }?.cost != nil)
    }

    // Growth: for each type, GPUs needed never fall as the rate grows (once none, none).
    let growth = try #require(concurrent.growth)
    for index in growth.gpuTypes.indices {
      var previous = 0
      var ended = false
      for point in growth.points {
        if let gpus = point.gpus[index] {
          #expect(!ended && gpus >= previous, "\(growth.gpuTypes[index]) at \(point.rateRequestsPerSecond)")
          previous = gpus
        } else {
          ended = true
        }
      }
    }

    // Pareto: no frontier point is dominated by a point of its type; every other point is.
    #expect(!concurrent.pareto.isEmpty)
    for point in concurrent.pareto {
      let dominated = concurrent.pareto.contains { $0.gpu == point.gpu && ParetoFrontier.dominates($0, point) }
      #expect(point.onFrontier == !dominated)
      #expect(point.outputTokensPerSecondPerGPU > 0 && point.outputTokensPerSecondPerUser > 0)
    }
    #expect(concurrent.pareto.filter(\.recommended).count <= 1)
  }

  @Test func gpuListsExpandAndRejectEmptyItems() throws {
    let all = try FleetQuestion.gpuList("all", catalog: Fixtures.catalog)
    #expect(all == Fixtures.catalog.names(.gpu).sorted())
    #expect(
      try FleetQuestion.gpuList("h100-80gb-sxm,a100-80gb-sxm,h100-80gb-sxm", catalog: Fixtures.catalog) == [
        "h100-80gb-sxm", "a100-80gb-sxm",
      ])
    #expect(throws: PlannerError.self) {
      try FleetQuestion.gpuList("a100-80gb-sxm,,h100-80gb-sxm", catalog: Fixtures.catalog)
    }
  }

  /// Catalog clusters of the GPU's own kind are preferred; a PCIe rig of the same GPU is not
  /// taken for an NVLink node; a GPU without a catalog cluster gets built nodes.
  @Test func clustersOfTheirOwnKind() throws {
    let scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 1, prompt: .fixed(100), output: .fixed(50),
      budget: 4)
    var noCluster = scenario
    noCluster.cluster = nil
    let catalog = Fixtures.catalog
    let a100 = try FleetQuestion.chooseCluster(
      gpu: try catalog.gpu("a100-80gb-sxm"), scenario: noCluster, clusterFlag: nil, catalog: catalog, budget: 4)
    #expect(a100.cluster == "dgx-a100")  // not pcie4 or ring4-cross, though they hold 4 A100s
    let h100 = try FleetQuestion.chooseCluster(
      gpu: try catalog.gpu("h100-80gb-sxm"), scenario: noCluster, clusterFlag: nil, catalog: catalog, budget: 16)
    #expect(h100.cluster == "dgx-h100-2node-ib")
    let l40s = try FleetQuestion.chooseCluster(
      gpu: try catalog.gpu("l40s-48gb-pcie"), scenario: noCluster, clusterFlag: nil, catalog: catalog, budget: 16)
    #expect(l40s.cluster == nil && l40s.note.contains("PCIe 4.0 x16") && l40s.note.contains("InfiniBand"))
    let mi300x = try FleetQuestion.chooseCluster(
      gpu: try catalog.gpu("mi300x-192gb-oam"), scenario: noCluster, clusterFlag: nil, catalog: catalog, budget: 8)
    #expect(mi300x.cluster == "mi300x-8-mesh")
    let forced = try FleetQuestion.chooseCluster(
      gpu: try catalog.gpu("h100-80gb-sxm"), scenario: scenario, clusterFlag: "dgx-a100", catalog: catalog, budget: 8)
    #expect(forced.cluster == "dgx-a100" && forced.note.contains("replaced"))
  }
}

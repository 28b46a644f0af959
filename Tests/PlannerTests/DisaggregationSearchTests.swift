import Analytic
import Foundation
import PlanCore
import Testing

@testable import Planner

/// The disaggregated search: pools within the budget on disjoint GPUs, the KV bytes each
/// request hands over, the capacity bound, the ranking, the modes, and the launch description.
@Suite struct DisaggregationSearchTests {
  static func request(
    budget: Int = 8, prompt: Int = 2000, output: Int = 200, mode: DisaggregationMode? = nil,
    overlap: KVTransferOverlap? = nil
  ) throws -> PlanRequest {
    var scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 4, prompt: .fixed(prompt),
      output: .fixed(output), budget: budget)
    scenario.disaggregation = mode
    scenario.kvTransferOverlap = overlap
    return try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
  }

  /// Every layout keeps x·GPUs(P) + y·GPUs(D) within the budget, its two pools on disjoint GPUs
  /// of the cluster in the shapes it names; the list is ranked best first.
  @Test func poolsFitTheBudgetOnDisjointGPUs() throws {
    let request = try Self.request()
    let candidates = try DisaggregationSearch(request).candidates()
    #expect(!candidates.isEmpty)
    for c in candidates {
      #expect(c.gpus == c.layout.prefill.totalGPUs + c.layout.decode.totalGPUs)
      #expect(c.gpus <= request.gpuBudget)
      let p = c.prefillPlacement.gpus.flatMap { $0.flatMap { $0 } }
      let d = c.decodePlacement.gpus.flatMap { $0.flatMap { $0 } }
      #expect(p.count == c.layout.prefill.totalGPUs && d.count == c.layout.decode.totalGPUs)
      #expect(Set(p + d).count == p.count + d.count, "\(c.layout) uses a GPU twice")
      #expect((p + d).allSatisfy { $0 >= 0 && $0 < request.cluster.gpuCount })
    }
    #expect(candidates.map(\.rank) == Array(1...candidates.count))
    let keys = candidates.map { DisaggregationSearch.key($0, objective: request.objective) }
    for (a, b) in zip(keys, keys.dropFirst()) { #expect(!Ranking.lexicographicallyPrecedes(b, a)) }
  }

  /// Llama-2-7B: 2 × 32 layers × 32 KV heads × 128 × 2 bytes = 524,288 B per token, so a
  /// 2,000-token prompt hands over 1,048,576,000 B, whatever the layout; and every layout's
  /// capacity is the smaller of its pools'.
  @Test func kvBytesAndCapacityBoundHoldForEveryLayout() throws {
    for c in try DisaggregationSearch(try Self.request()).candidates() {
      #expect(c.transfer.bytesPerRequest == 2000 * 524_288)
      #expect(
        c.load.capacityRequestsPerSecond
          == min(c.load.prefillCapacityRequestsPerSecond, c.load.decodeCapacityRequestsPerSecond))
      #expect(c.transfer.exposedSeconds <= c.transfer.transferSeconds)
    }
  }

  /// Without overlap the whole transfer is exposed; layer by layer at most all of it.
  @Test func overlapSettingIsApplied() throws {
    let none = try DisaggregationSearch(try Self.request(overlap: KVTransferOverlap.none)).candidates()
    #expect(
      none.allSatisfy { $0.transfer.exposedSeconds == $0.transfer.transferSeconds && $0.transfer.overlap == .none })
    let layerwise = try DisaggregationSearch(try Self.request()).candidates()
    #expect(layerwise.allSatisfy { $0.transfer.overlap == .layerwise })
  }

  /// `off` searches nothing; `auto` with a budget of one GPU has no two instances to split into;
  /// one output token leaves decode instances nothing to do.
  @Test func modesAndBudgetsThatSearchNothing() throws {
    #expect(try Planner(try Self.request(mode: .off)).disaggregationPlan(ranked: [], simulated: [], probes: [:]) == nil)
    #expect(try Planner(try Self.request(budget: 1)).disaggregationPlan(ranked: [], simulated: [], probes: [:]) == nil)
    #expect(try DisaggregationSearch(try Self.request(output: 1)).candidates().isEmpty)
  }

  /// One `vllm serve` per instance with its KV connector, on the GPUs the placement gives it.
  @Test func launchHasOneServerPerInstance() throws {
    let request = try Self.request()
    let best = try #require(try DisaggregationSearch(request).candidates().first)
    let launch = DisaggregatedLaunch.build(request: request, candidate: best)
    #expect(launch.commands.count == best.layout.prefill.dp + best.layout.decode.dp)
    #expect(launch.commands.allSatisfy { $0.contains("--kv-transfer-config") && $0.contains("CUDA_VISIBLE_DEVICES=") })
    #expect(launch.commands.filter { $0.contains("kv_producer") }.count == best.layout.prefill.dp)
    #expect(launch.workers.count == 2)
  }

  /// Scenario fields: known values parse; an unknown one is refused naming the field.
  @Test func scenarioFieldsParseAndRefuseBadValues() throws {
    let directory = try Fixtures.temporaryDirectory()
    let base = "name: t\nmodel: llama-2-7b\nworkload: {rate: 1, prompt: 100, output: 10}\n"
    let good = directory + "/good.yaml"
    try (base + "disaggregation: only\nkv_transfer: {overlap: none}\n").write(
      toFile: good, atomically: true, encoding: .utf8)
    let parsed = try Scenario.load(good)
    #expect(parsed.disaggregation == .only && parsed.kvTransferOverlap == KVTransferOverlap.none)
    let bad = directory + "/bad.yaml"
    try (base + "disaggregation: sometimes\n").write(toFile: bad, atomically: true, encoding: .utf8)
    #expect {
      try Scenario.load(bad)
    } throws: { error in
      "\(error)".contains("disaggregation") && "\(error)".contains("sometimes")
    }
    let badOverlap = directory + "/bad-overlap.yaml"
    try (base + "kv_transfer: {overlap: eventually}\n").write(toFile: badOverlap, atomically: true, encoding: .utf8)
    #expect {
      try Scenario.load(badOverlap)
    } throws: { error in
      "\(error)".contains("overlap") && "\(error)".contains("eventually")
    }
  }
}

import Analytic
import PlanCore
import Simulation
import Testing

@Suite struct RouterAndDeterminismTests {
  @Test(arguments: [1, 3, 4])
  func roundRobinGivesEachReplicaItsShare(replicas: Int) throws {
    // Round-robin deals arrivals like cards: each replica gets ⌊n/DP⌋ or ⌈n/DP⌉.
    let workload = Fixture.workload(
      rate: 20, duration: 50, prompt: .uniform(low: 10, high: 200), output: .uniform(low: 1, high: 20), seed: 4)
    let result = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 1, dp: replicas), timing: AffineTiming.perToken(1e-5),
      scheduler: SchedulerConfig(kvCacheBlocks: 1000), router: .roundRobin, slo: nil
    ).run()
    let share = Double(result.arrived) / Double(replicas)
    for replica in result.replicas { #expect(abs(Double(replica.requests) - share) <= 1) }
    #expect(result.replicas.reduce(0) { $0 + $1.requests } == result.arrived)
  }

  /// Two replicas, one slot each, 1 ms per token: A (long) and B (short) arrive at t = 0,
  /// C at t = 2 s when B is done but A is not.
  let requests = [
    TraceRequest(arrivalSeconds: 0, promptTokens: 5000, outputTokens: 1),  // busy until 5 s
    TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 1),  // busy until 1 s
    TraceRequest(arrivalSeconds: 2, promptTokens: 100, outputTokens: 1),
  ]

  func replicaOfThird(_ router: RouterPolicy) throws -> Int {
    let outcome = try Simulator(
      workload: Fixture.trace(requests), layout: Layout(tp: 1, pp: 1, dp: 2), timing: AffineTiming.perToken(1e-3),
      scheduler: SchedulerConfig(kvCacheBlocks: 1000, maxNumSeqs: 1, maxNumBatchedTokens: 10_000), router: router,
      slo: nil, options: SimulationOptions(recordRequests: true)
    ).runDetailed()
    try #require(outcome.requests.count == 3)
    #expect(outcome.requests[0].replica == 0 && outcome.requests[1].replica == 1)
    return outcome.requests[2].replica
  }

  @Test func loadAwareRoutersAvoidTheBusyReplica() throws {
    // Round-robin sends the third request to replica 0 regardless; the others see replica 0
    // still holding A (one request, 313 blocks) and replica 1 empty.
    #expect(try replicaOfThird(.roundRobin) == 0)
    #expect(try replicaOfThird(.leastOutstanding) == 1)
    #expect(try replicaOfThird(.leastKVLoad) == 1)
  }

  @Test func leastKVLoadWeighsTokensNotRequests() throws {
    // Both replicas hold one long-running request, but replica 0's is 50× larger: the
    // outstanding-count router ties (lowest index, replica 0), the KV router picks replica 1.
    // At 1 ms per token, at t = 0.5 s A is still prefilling (5 s) and B decoding (until 1.1 s).
    let trace = [
      TraceRequest(arrivalSeconds: 0, promptTokens: 5000, outputTokens: 1000),
      TraceRequest(arrivalSeconds: 0, promptTokens: 100, outputTokens: 1000),
      TraceRequest(arrivalSeconds: 0.5, promptTokens: 100, outputTokens: 1),
    ]
    func third(_ router: RouterPolicy) throws -> Int {
      let requests = try Simulator(
        workload: Fixture.trace(trace), layout: Layout(tp: 1, pp: 1, dp: 2), timing: AffineTiming.perToken(1e-3),
        scheduler: SchedulerConfig(kvCacheBlocks: 1000), router: router, slo: nil,
        options: SimulationOptions(recordRequests: true)
      ).runDetailed().requests
      try #require(requests.count >= 3)
      return requests[2].replica
    }
    #expect(try third(.leastOutstanding) == 0)
    #expect(try third(.leastKVLoad) == 1)
  }

  func run(seed: UInt64) throws -> String {
    let workload = Workload(
      rateRequestsPerSecond: 8, arrival: .gamma(coefficientOfVariation: 2),
      profiles: [
        ClientProfile(
          name: "chat", weight: 3, prompt: .uniform(low: 50, high: 400),
          output: .logNormal(median: 150, sigma: 0.7, min: 1, max: 800)),
        ClientProfile(name: "summarise", weight: 1, prompt: .fixed(2000), output: .fixed(50)),
      ], durationSeconds: 60, warmupSeconds: 10, drainSeconds: 60, seed: 1)
    let result = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 2, dp: 2), timing: SimpleRooflineTiming.llama2_7B_A100(stages: 2),
      scheduler: SchedulerConfig(kvCacheBlocks: 2000, chunkedPrefill: true), router: .leastKVLoad,
      slo: SLO(ttftSeconds: 0.5, tpotSeconds: 0.03), seed: seed
    ).run()
    return try Fixture.json(result)
  }

  @Test func sameSeedSameBytesDifferentSeedDifferentResult() throws {
    let first = try run(seed: 42)
    let second = try run(seed: 42)
    #expect(first == second)
    let other = try run(seed: 43)
    #expect(other != first)
  }

  @Test func mismatchedSetupIsAClearError() throws {
    let workload = Fixture.workload(rate: 1, duration: 10, prompt: .fixed(10), output: .fixed(10))
    #expect(throws: SimulationError.self) {
      _ = try Simulator(
        workload: workload, layout: Layout(tp: 1, pp: 2, dp: 1), timing: AffineTiming.perToken(1e-3),
        scheduler: SchedulerConfig(kvCacheBlocks: 10), slo: nil)
    }
    #expect(throws: SimulationError.self) {
      _ = try Simulator(
        workload: workload, layout: Layout(tp: 1, pp: 1, dp: 1), timing: AffineTiming.perToken(1e-3),
        scheduler: SchedulerConfig(kvCacheBlocks: 10, maxNumSeqs: 64, maxNumBatchedTokens: 32), slo: nil)
    }
    let bad = Fixture.workload(rate: 1, duration: 10, prompt: .uniform(low: 5, high: 2), output: .fixed(10))
    #expect(throws: SimulationError.self) {
      _ = try Simulator(
        workload: bad, layout: Layout(tp: 1, pp: 1, dp: 1), timing: AffineTiming.perToken(1e-3),
        scheduler: SchedulerConfig(kvCacheBlocks: 10), slo: nil
      ).run()
    }
  }

  @Test func progressIsReportedAndEndsAtOne() throws {
    let workload = Fixture.workload(rate: 10, duration: 100, prompt: .fixed(10), output: .fixed(2))
    var fractions: [Double] = []
    _ = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 1, dp: 1), timing: AffineTiming.perToken(1e-4),
      scheduler: SchedulerConfig(kvCacheBlocks: 100), slo: nil, options: SimulationOptions(progressInterval: 100)
    ).run { fractions.append($0) }
    #expect(fractions.count >= 9)
    #expect(fractions == fractions.sorted())
    #expect(fractions.last == 1)
  }

  @Test func textRenderingIsATable() throws {
    let workload = Fixture.workload(rate: 5, duration: 20, prompt: .fixed(100), output: .fixed(10))
    let result = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 2, dp: 2), timing: SimpleRooflineTiming.llama2_7B_A100(stages: 2),
      scheduler: SchedulerConfig(kvCacheBlocks: 1000), slo: SLO(ttftSeconds: 1, tpotSeconds: 0.1)
    ).run()
    let text = result.renderedText()
    #expect(text.contains("succeeded"))
    #expect(text.contains("TTFT"))
    let tableLines = text.split(separator: "\n").filter {
      $0.hasPrefix("TTFT") || $0.hasPrefix("TPOT") || $0.hasPrefix("latency")
    }
    // Aligned: the three rows have the same width.
    #expect(Set(tableLines.map(\.count)).count == 1)
  }
}

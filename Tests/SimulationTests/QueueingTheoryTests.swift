import Analytic
import PlanCore
import Simulation
import Testing

/// With one sequence slot (maxNumSeqs = 1) and one-token outputs, a replica is a single FCFS
/// server whose service time is its prefill time: the simulator must reproduce classic queues.
@Suite struct QueueingTheoryTests {
  /// 1 ms per prompt token on one stage: a P-token prompt is served in exactly P ms.
  let timing = AffineTiming.perToken(1e-3)
  let scheduler = SchedulerConfig(kvCacheBlocks: 1_000_000, maxNumSeqs: 1, maxNumBatchedTokens: 1_000_000)

  /// Waiting times (arrival → service start) in arrival order.
  func waits(_ workload: Workload) throws -> [Double] {
    let outcome = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 1, dp: 1), timing: timing, scheduler: scheduler, slo: nil,
      options: SimulationOptions(recordRequests: true)
    ).runDetailed()
    #expect(outcome.result.unfinished == 0 && outcome.result.rejected == 0)
    return try outcome.requests.map { try #require($0.firstScheduledSeconds) - $0.arrivalSeconds }
  }

  @Test func deterministicServiceMatchesMD1() throws {
    // λ = 0.5/s, D = 1000 tokens × 1 ms = 1 s, ρ = 0.5. Pollaczek–Khinchine for constant
    // service: Wq = ρ / (2 μ (1 − ρ)) = 0.5 / (2 · 1 · 0.5) = 0.5 s.
    let workload = Fixture.workload(
      rate: 0.5, duration: 200_000, prompt: .fixed(1000), output: .fixed(1), drain: 1000, seed: 11)
    let values = try waits(workload)
    #expect(values.count > 99_000)  // ≈ 10⁵ requests
    let (mean, standardError) = batchMeans(values, batches: 100)
    // Batches of ~1000 requests (2000 s) are far longer than the queue's relaxation time
    // (≈ 1/(μ(1 − √ρ)²) ≈ 12 s at ρ = 0.5), so batch means are ~independent and 4 standard
    // errors is a 99.99 % band. The SE itself must be small for the test to mean anything.
    #expect(standardError < 0.02 * 0.5)
    #expect(abs(mean - 0.5) < 4 * standardError)
  }

  @Test func exponentialServiceMatchesMM1() throws {
    // Exponential service from geometric prompt lengths: P ~ Geometric(p = 1/1000) on 1, 2, …,
    // service S = P ms, mean 1 s. E[S²] = (2 − p)/p² ms² versus 2/p² for the exponential, so
    // P–K gives Wq = λE[S²]/(2(1 − ρ)) = (1 − p/2) × the M/M/1 value: a 0.05 % bias,
    // negligible next to the sampling error. M/M/1 at λ = 0.5, μ = 1: Wq = ρ/(μ − λ) = 1 s.
    var random = Xoshiro256StarStar(seed: 2024)
    var time = 0.0
    var trace: [TraceRequest] = []
    for _ in 0..<100_000 {
      time += random.exponential(rate: 0.5)
      trace.append(
        TraceRequest(arrivalSeconds: time, promptTokens: random.geometric(successProbability: 1e-3), outputTokens: 1))
    }
    let values = try waits(Fixture.trace(trace))
    let expected = 1.0 * (1 - 1e-3 / 2)
    let (mean, standardError) = batchMeans(values, batches: 100)
    // Same batch-means argument; M/M/1 waits are more variable (SE ≈ 1.5 % here).
    #expect(standardError < 0.04 * expected)
    #expect(abs(mean - expected) < 4 * standardError)
  }

  @Test func littlesLawHoldsOnAStableRun() throws {
    // L (time-integrated number in system) = λ W (arrival rate × mean time in system) on a
    // stable run with batching, two replicas and a warm-up: both sides come from separate
    // bookkeeping (event-time integral vs per-request latencies). Edge effects at the window
    // ends are O(W/T) ≈ 1 s / 600 s, far inside 2 %.
    let workload = Fixture.workload(
      rate: 6, duration: 700, prompt: .uniform(low: 100, high: 600), output: .uniform(low: 5, high: 60), warmup: 100,
      seed: 5)
    let result = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 1, dp: 2), timing: SimpleRooflineTiming.llama2_7B_A100(),
      scheduler: SchedulerConfig(kvCacheBlocks: 6850), router: .leastOutstanding, slo: nil
    ).run()
    #expect(result.rejected == 0 && result.unfinished == 0)
    let lambda = try #require(result.arrivalRatePerSecond)
    let w = try #require(result.e2eSeconds).mean
    let l = try #require(result.meanRequestsInSystem)
    #expect(l > 1)  // a non-trivial load, so the 2 % test has teeth
    #expect(abs(l - lambda * w) / (lambda * w) < 0.02)
  }
}

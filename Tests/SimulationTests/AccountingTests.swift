import Analytic
import Foundation
import PlanCore
import Simulation
import Testing

@Suite struct AccountingTests {
  /// Overloaded replicas with a queue cap, a queue timeout and a short drain, so that all
  /// four outcomes occur, plus a warm-up. Waits approach the 8 s timeout, so a 7.5 s TTFT
  /// bound splits the completed requests into successes and SLO failures.
  func overloaded() throws -> SimulationOutcome {
    let workload = Fixture.workload(
      rate: 30, duration: 120, prompt: .uniform(low: 200, high: 1500),
      output: .logNormal(median: 120, sigma: 0.8, min: 1, max: 1500),
      warmup: 20, drain: 5, seed: 3)
    let scheduler = SchedulerConfig(
      kvCacheBlocks: 900, maxNumSeqs: 64, maxNumBatchedTokens: 4096, waitingQueueCap: 40, queueTimeoutSeconds: 8)
    return try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 2, dp: 2), timing: SimpleRooflineTiming.llama2_7B_A100(stages: 2),
      scheduler: scheduler, router: .leastKVLoad, slo: SLO(ttftSeconds: 7.5, tpotSeconds: 0.05),
      options: Fixture.checked
    ).runDetailed()
  }

  @Test func everyMeasuredRequestIsAccountedForOnce() throws {
    let outcome = try overloaded()
    let r = outcome.result
    #expect(r.arrived == r.succeeded + r.failedSLO + r.rejected + r.unfinished)
    #expect(r.rejected == r.rejections.queueFull + r.rejections.timeout + r.rejections.tooLong)
    // The setting is chosen so that every class is exercised.
    #expect(
      r.succeeded > 0 && r.failedSLO > 0 && r.rejections.queueFull > 0 && r.rejections.timeout > 0 && r.unfinished > 0)
    #expect(r.arrived + r.warmupRequests == outcome.requests.count)
    #expect(r.warmupRequests == outcome.requests.filter { !$0.measured }.count)
    #expect(r.replicas.reduce(0) { $0 + $1.requests } == r.arrived)
    #expect(r.replicas.reduce(0) { $0 + $1.completed } == r.succeeded + r.failedSLO)
    // Records agree with the counts.
    let measured = outcome.requests.filter(\.measured)
    #expect(measured.filter { $0.outcome == .unfinished }.count == r.unfinished)
    #expect(measured.filter { $0.outcome == .rejected }.count == r.rejected)
    // A timed-out request waited more than the timeout and was never scheduled.
    for record in outcome.requests where record.outcome == .rejected && record.firstScheduledSeconds == nil {
      if let finish = record.finishSeconds, finish > record.arrivalSeconds {
        #expect(abs(finish - record.arrivalSeconds - 8) < 1e-9)
      }
    }
  }

  @Test func kvBlocksStayWithinCapacityUnderPreemption() throws {
    // A small cache and long outputs force preemption by recompute; checking mode verifies
    // after every scheduling step and completion that free blocks are in 0…capacity and
    // equal capacity minus the blocks the admitted sequences hold.
    let workload = Fixture.workload(
      rate: 4, duration: 60, prompt: .uniform(low: 100, high: 400), output: .uniform(low: 200, high: 600), seed: 9)
    let outcome = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 1, dp: 1), timing: SimpleRooflineTiming.llama2_7B_A100(),
      scheduler: SchedulerConfig(kvCacheBlocks: 300), slo: nil, options: Fixture.checked
    ).runDetailed()
    #expect(outcome.kvChecks > 100)
    #expect(outcome.result.preemptions > 0)
    #expect(outcome.result.peakKVCacheUtilisation <= 1)
    #expect(outcome.result.peakKVCacheUtilisation > 0.9)  // the cache really was under pressure
    let utilisation = try #require(outcome.result.kvCacheUtilisation)
    #expect(utilisation >= 0 && utilisation <= 1)
    // Everything finished despite the preemptions.
    #expect(outcome.result.unfinished == 0)
  }

  @Test func tokensGeneratedEqualOutputsOfCompletedRequests() throws {
    // Recompute after preemption must not count a token twice.
    let workload = Fixture.workload(
      rate: 4, duration: 60, prompt: .uniform(low: 100, high: 400), output: .uniform(low: 200, high: 600), warmup: 10,
      seed: 10)
    let outcome = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 2, dp: 1), timing: SimpleRooflineTiming.llama2_7B_A100(stages: 2),
      scheduler: SchedulerConfig(kvCacheBlocks: 300, chunkedPrefill: true), slo: nil, options: Fixture.checked
    ).runDetailed()
    #expect(outcome.result.preemptions > 0)
    let completed = outcome.requests.filter { $0.outcome == .succeeded || $0.outcome == .failedSLO }
    #expect(completed.count == outcome.requests.count)
    #expect(outcome.result.totalOutputTokens == completed.reduce(0) { $0 + $1.outputTokens })
    for record in completed { #expect(record.generatedTokens == record.outputTokens) }
  }

  @Test func everySequencePassesEveryStageInOrderOncePerIteration() throws {
    // Four stages, chunked prefill mixing prefill chunks and decodes, preemption: checking
    // mode throws if a sequence enters stage s after other than s passes in its iteration or
    // leaves after other than 4; the records then show 4 passes per iteration.
    let workload = Fixture.workload(
      rate: 6, duration: 40, prompt: .uniform(low: 50, high: 900), output: .uniform(low: 20, high: 300), seed: 12)
    let outcome = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 4, dp: 2), timing: SimpleRooflineTiming.llama2_7B_A100(stages: 4),
      scheduler: SchedulerConfig(kvCacheBlocks: 400, maxNumSeqs: 32, maxNumBatchedTokens: 512, chunkedPrefill: true),
      slo: nil, options: Fixture.checked
    ).runDetailed()
    #expect(outcome.stagePassChecks > 1000)
    #expect(outcome.result.preemptions > 0)
    #expect(outcome.requests.count > 100)
    for record in outcome.requests {
      #expect(record.stagePasses == 4 * record.iterations)
      // At least one iteration per output token, more with chunks and recomputes.
      #expect(record.iterations >= record.generatedTokens)
    }
  }

  @Test func noPreemptionNoChunkingMeansOneIterationPerToken() throws {
    let workload = Fixture.workload(
      rate: 3, duration: 30, prompt: .uniform(low: 50, high: 500), output: .uniform(low: 1, high: 50), seed: 13)
    let outcome = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 3, dp: 1), timing: SimpleRooflineTiming.llama2_7B_A100(stages: 3),
      scheduler: SchedulerConfig(kvCacheBlocks: 5000), slo: nil, options: Fixture.checked
    ).runDetailed()
    #expect(outcome.result.preemptions == 0)
    #expect(outcome.requests.count > 50)
    for record in outcome.requests {
      #expect(record.iterations == record.outputTokens)
      #expect(record.stagePasses == 3 * record.outputTokens)
    }
  }

  @Test func queueCapAndTimeoutRejectExactly() throws {
    // Ten requests at t = 0 on one slot that serves each in exactly 1 s (1000 tokens × 1 ms).
    // Cap 5: request 0 is admitted at once, requests 1–5 wait, 6–9 find 5 waiting: rejected.
    let burst = (0..<10).map { _ in TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 1) }
    let capped = try Simulator(
      workload: Fixture.trace(burst), layout: Layout(tp: 1, pp: 1, dp: 1), timing: AffineTiming.perToken(1e-3),
      scheduler: SchedulerConfig(kvCacheBlocks: 1000, maxNumSeqs: 1, maxNumBatchedTokens: 2000, waitingQueueCap: 5),
      slo: nil
    ).run()
    #expect(capped.succeeded == 6 && capped.rejections.queueFull == 4)
    // Timeout 3.5 s, no cap: request k starts at k s; requests 4–9 would start after 3.5 s.
    let timed = try Simulator(
      workload: Fixture.trace(burst, duration: 4), layout: Layout(tp: 1, pp: 1, dp: 1),
      timing: AffineTiming.perToken(1e-3),
      scheduler: SchedulerConfig(
        kvCacheBlocks: 1000, maxNumSeqs: 1, maxNumBatchedTokens: 2000, queueTimeoutSeconds: 3.5),
      slo: nil, options: Fixture.checked
    ).runDetailed()
    #expect(timed.result.succeeded == 4 && timed.result.rejections.timeout == 6)
    for record in timed.requests where record.outcome == .rejected { #expect(record.finishSeconds == 3.5) }
    // Little's law bookkeeping takes the rejected back out at 3.5 s: the integral of N over
    // [0, 4] is Σ_k (k + 1) for k = 0…3 (completions at 1, 2, 3, 4 s) + 6 × 3.5 for the
    // timed-out = 10 + 21 = 31 request-seconds; the window is [0, 4] (drain ends there).
    let mean = try #require(timed.result.meanRequestsInSystem)
    let window = timed.result.windowSeconds
    #expect(abs(mean * window - 31) < 1e-9)
  }

  @Test func impossibleRequestsAreRejectedAsTooLong() throws {
    // Without chunked prefill a 3000-token prompt cannot run with 2048 tokens per batch;
    // a 10-block cache (160 tokens) cannot hold 100 + 100 − 1 tokens.
    let requests = [
      TraceRequest(arrivalSeconds: 0, promptTokens: 3000, outputTokens: 1),
      TraceRequest(arrivalSeconds: 1, promptTokens: 100, outputTokens: 100),
      TraceRequest(arrivalSeconds: 2, promptTokens: 100, outputTokens: 61),
    ]
    let result = try Simulator(
      workload: Fixture.trace(requests), layout: Layout(tp: 1, pp: 1, dp: 1), timing: AffineTiming.perToken(1e-4),
      scheduler: SchedulerConfig(kvCacheBlocks: 10, maxNumBatchedTokens: 2048), slo: nil
    ).run()
    // 100 + 61 − 1 = 160 tokens = exactly 10 blocks: fits.
    #expect(result.rejections.tooLong == 2 && result.succeeded == 1)
  }

  @Test func noSamplesGiveNullNotNaN() throws {
    // Every request is rejected: latency summaries are absent and written as null.
    let requests = [TraceRequest(arrivalSeconds: 0, promptTokens: 3000, outputTokens: 1)]
    let result = try Simulator(
      workload: Fixture.trace(requests), layout: Layout(tp: 1, pp: 1, dp: 1), timing: AffineTiming.perToken(1e-4),
      scheduler: SchedulerConfig(kvCacheBlocks: 10, maxNumBatchedTokens: 2048), slo: nil
    ).run()
    #expect(result.ttftSeconds == nil)
    let json = try Fixture.json(result)
    #expect(json.contains("\"ttftSeconds\" : null"))
    #expect(json.contains("\"tpotSeconds\" : null"))
    #expect(!json.lowercased().contains("nan"))
    // And it reads back.
    let decoded = try JSONDecoder().decode(SimulationResult.self, from: Data(json.utf8))
    #expect(decoded == result)
  }
}

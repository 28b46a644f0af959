import Analytic
import PlanCore
import Simulation
import Testing

/// Hand-built traces whose every number follows from the scheduler's rules, run in checking
/// mode (which throws on the first broken invariant): KV blocks at block boundaries, across a
/// preemption and re-admission, and micro-batches keeping launch order through a pipeline.
/// Timing: one stage costing 1 ms per token in the batch (prefill tokens + decodes), so a
/// batch's time is its token count in ms.
@Suite struct InvariantTraceTests {
  static let millisecond = 1e-3
  static let one = Layout(tp: 1, pp: 1, dp: 1)

  func run(
    _ requests: [TraceRequest], scheduler: SchedulerConfig, layout: Layout = one,
    timing: any IterationTiming = AffineTiming.perToken(millisecond)
  ) throws -> SimulationOutcome {
    try Simulator(
      workload: Fixture.trace(requests), layout: layout, timing: timing, scheduler: scheduler, slo: nil,
      options: Fixture.checked
    ).runDetailed()
  }

  /// The most KV blocks one replica held at once, from the peak utilisation (used / capacity).
  func peakBlocks(_ outcome: SimulationOutcome, capacity: Int) -> Double {
    outcome.result.peakKVCacheUtilisation * Double(capacity)
  }

  @Test(arguments: [
    // (prompt, output, ⌈(prompt + output − 1) / 16⌉): the cache's longest content is the
    // prompt and every output token but the last, which is never fed back.
    (15, 1, 1), (16, 1, 1), (17, 1, 2), (15, 2, 1), (16, 2, 2), (32, 1, 2), (32, 2, 3), (31, 3, 3), (17, 16, 2),
    (17, 17, 3),
  ])
  func aLoneSequenceHoldsCeilOfItsTokensOverTheBlockSize(prompt: Int, output: Int, blocks: Int) throws {
    let outcome = try run(
      [TraceRequest(arrivalSeconds: 0, promptTokens: prompt, outputTokens: output)],
      scheduler: SchedulerConfig(kvCacheBlocks: 10, blockSizeTokens: 16))
    // Checked at least once per iteration (after each scheduling step and completion).
    #expect(outcome.blockCountChecks >= output)
    #expect(abs(peakBlocks(outcome, capacity: 10) - Double(blocks)) < 1e-12)
    let record = try #require(outcome.requests.first)
    #expect(record.outcome == .succeeded && record.iterations == output)
  }

  @Test func sequencesAtBlockBoundariesShareOneBatch() throws {
    // Prompts 15, 16, 17, 32 at t = 0, two output tokens each. The first arrival starts alone
    // (15 tokens, 0–15 ms, ⌈15/16⌉ = 1 block); the other three wait, and since prefills go
    // first (vLLM V0) they are admitted together at 15 ms with ⌈16/16⌉ + ⌈17/16⌉ + ⌈32/16⌉
    // = 1 + 2 + 2 blocks (65 tokens, 15–80 ms). At 80 ms the four decodes run together
    // (4 ms): the caches grow 15 → 16 tokens (still 1 block), 16 → 17 (2), 17 → 18 (2),
    // 32 → 33 (3): 8 blocks at the peak, and every request is done at 84 ms.
    let prompts = [15, 16, 17, 32]
    let outcome = try run(
      prompts.map { TraceRequest(arrivalSeconds: 0, promptTokens: $0, outputTokens: 2) },
      scheduler: SchedulerConfig(kvCacheBlocks: 100, blockSizeTokens: 16))
    #expect(abs(peakBlocks(outcome, capacity: 100) - 8) < 1e-12)
    #expect(outcome.blockCountChecks > 0)
    try #require(outcome.requests.count == 4)
    let firstTokens = try outcome.requests.map { try #require($0.firstTokenSeconds) }
    let finishes = try outcome.requests.map { try #require($0.finishSeconds) }
    for (seconds, expected) in zip(firstTokens, [15.0, 80, 80, 80]) { #expect(abs(seconds - expected * 1e-3) < 1e-12) }
    for seconds in finishes { #expect(abs(seconds - 84e-3) < 1e-12) }
  }

  @Test func chunkedPrefillReservesTheWholePromptAndAllocatesAtTheBoundary() throws {
    // The same four requests (2 output tokens each) with 16 tokens per iteration. Decodes
    // first, then unfinished chunks, then admissions (each reserves its whole prompt):
    //   0–15 ms   A15 prefill 15                                  → A first token
    //   15–31     A decode (16 tokens: 1 block) + B16 chunk 15     → A done (frees 1)
    //   31–47     B's last prompt token + C17 chunk 15 (C holds ⌈17/16⌉ = 2 blocks while
    //             only 15 are computed)                            → B first token
    //   47–63     B decode (17 tokens: 2nd block) + C's last 2 + D32 chunk 13 (2 blocks):
    //             B 2 + C 2 + D 2 = 6 blocks, the peak             → B done, C first token
    //   63–79     C decode (18 tokens, 2 blocks) + D chunk 15      → C done
    //   79–83     D's last 4 prompt tokens                         → D first token
    //   83–84     D decode (33 tokens: 3rd block)                  → D done
    let prompts = [15, 16, 17, 32]
    let outcome = try run(
      prompts.map { TraceRequest(arrivalSeconds: 0, promptTokens: $0, outputTokens: 2) },
      scheduler: SchedulerConfig(
        kvCacheBlocks: 100, blockSizeTokens: 16, maxNumSeqs: 4, maxNumBatchedTokens: 16, chunkedPrefill: true))
    #expect(abs(peakBlocks(outcome, capacity: 100) - 6) < 1e-12)
    try #require(outcome.requests.count == 4)
    let firstTokens = try outcome.requests.map { try #require($0.firstTokenSeconds) }
    let finishes = try outcome.requests.map { try #require($0.finishSeconds) }
    for (seconds, expected) in zip(firstTokens, [15.0, 47, 63, 83]) { #expect(abs(seconds - expected * 1e-3) < 1e-12) }
    for (seconds, expected) in zip(finishes, [31.0, 63, 79, 84]) { #expect(abs(seconds - expected * 1e-3) < 1e-12) }
    #expect(outcome.requests.map(\.iterations) == [2, 3, 3, 4])
  }

  @Test func reAdmissionAfterPreemptionHoldsBlocksForPromptAndGeneratedTokens() throws {
    // A 3-block cache (16 tokens a block); A (15-token prompt, 3 outputs) and B (15, 4) at t = 0.
    //   0–15 ms   A prefill (1 block)                               → A token 1
    //   15–30     B prefill (1 block)                               → B token 1
    //   30–32     A and B decode on 16-token caches (no new block)  → tokens 2
    //   at 32     both need a 2nd block for token 17; one is free: A (admitted first) takes
    //             it, B finds none and preempts itself (B is the most recently admitted):
    //             B frees its block and goes back to the queue with 15 + 2 tokens to recompute
    //   32–33     A decode                                          → A done, frees 2 blocks
    //   33–50     B re-admitted with ⌈(15 + 2) / 16⌉ = 2 blocks, recomputes 17 tokens → token 3
    //   50–51     B decode on 18 tokens (still 2 blocks)            → B done
    // Checking mode verifies B's 2 blocks right after re-admission (1 would be the prompt's).
    let outcome = try run(
      [
        TraceRequest(arrivalSeconds: 0, promptTokens: 15, outputTokens: 3),
        TraceRequest(arrivalSeconds: 0, promptTokens: 15, outputTokens: 4),
      ], scheduler: SchedulerConfig(kvCacheBlocks: 3, blockSizeTokens: 16))
    try #require(outcome.requests.count == 2)
    let (a, b) = (outcome.requests[0], outcome.requests[1])
    #expect(a.preemptions == 0 && b.preemptions == 1)
    #expect(a.iterations == 3 && b.iterations == 4)
    #expect(abs(try #require(a.firstTokenSeconds) - 15e-3) < 1e-12)
    #expect(abs(try #require(a.finishSeconds) - 33e-3) < 1e-12)
    #expect(abs(try #require(b.firstTokenSeconds) - 30e-3) < 1e-12)
    #expect(abs(try #require(b.finishSeconds) - 51e-3) < 1e-12)
    #expect(b.generatedTokens == 4)
    // Never more than 2 of the 3 blocks held after a scheduling step.
    #expect(abs(peakBlocks(outcome, capacity: 3) - 2) < 1e-12)
    #expect(outcome.blockCountChecks > 0)
  }

  @Test func pipelineStagesStartMicroBatchesInLaunchOrder() throws {
    // PP4 · DP2, round-robin. Each stage costs 0.1 ms per token and each transfer between
    // stages 0.1 ms per token, so a 400-token prefill holds a stage 40 ms and its transfer
    // takes 40 ms, while a 20-token one needs 2 ms and 2 ms. Per replica: a 400-token
    // prompt at 0, 20-token prompts at 41 ms and 50 ms (one output token each, so one
    // micro-batch each). The small ones reach stage 1 at 45 and 54 ms, long before the big
    // one (80 ms), and must wait for it on every stage:
    //   big:    4 × 40 + 3 × 40 = 280 ms
    //   small1: stage 1 120–122, stage 2 200–202, stage 3 280–282 ms
    //   small2: stage 1 122–124, stage 2 202–204, stage 3 282–284 ms
    let timing = AffineTiming(
      base: [0, 0, 0, 0], perToken: [1e-4, 1e-4, 1e-4, 1e-4], transferBase: 0, transferPerToken: 1e-4)
    var requests: [TraceRequest] = []
    for (arrival, prompt) in [(0.0, 400), (0.041, 20), (0.050, 20)] {
      // Two at a time: round-robin sends one to each replica.
      for _ in 0..<2 { requests.append(TraceRequest(arrivalSeconds: arrival, promptTokens: prompt, outputTokens: 1)) }
    }
    let outcome = try run(
      requests, scheduler: SchedulerConfig(kvCacheBlocks: 100), layout: Layout(tp: 1, pp: 4, dp: 2), timing: timing)
    // Every one of the 3 micro-batches of each replica started on each of the 4 stages.
    #expect(outcome.launchOrderChecks == 2 * 3 * 4)
    try #require(outcome.requests.count == 6)
    for (index, record) in outcome.requests.enumerated() {
      #expect(record.replica == index % 2)
      let expected = [0.280, 0.282, 0.284][index / 2]
      #expect(abs(try #require(record.firstTokenSeconds) - expected) < 1e-12, "request \(index)")
    }
  }
}

import Analytic
import PlanCore
import Simulation
import Testing

/// A lone request sees an empty system, so its latencies are sums of the timing's own stage
/// and transfer times, which we recompute here by hand.
@Suite struct PipelineTimingTests {
  // Three stages with different speeds and a costly link, so every term matters.
  let timing = AffineTiming(
    base: [1e-3, 2e-3, 1.5e-3], perToken: [20e-6, 30e-6, 25e-6], perContext: 1e-8, transferBase: 4e-4,
    transferPerToken: 1e-6)
  let layout = Layout(tp: 1, pp: 3, dp: 1)

  /// Seconds for one full pipeline pass of `shape`: Σ stages + Σ transfers between them.
  func pass(_ shape: BatchShape) -> Double {
    (0..<3).reduce(0) { $0 + timing.stageSeconds(stage: $1, batch: shape) }
      + (0..<2).reduce(0) { $0 + timing.transferSeconds(afterStage: $1, batch: shape) }
  }

  @Test func loneRequestTTFTIsPrefillPassAndDecodesArePasses() throws {
    let prompt = 700
    let output = 5
    let workload = Fixture.trace([TraceRequest(arrivalSeconds: 2.5, promptTokens: prompt, outputTokens: output)])
    let simulator = try Simulator(
      workload: workload, layout: layout, timing: timing, scheduler: SchedulerConfig(kvCacheBlocks: 1000),
      slo: nil, options: Fixture.checked)
    let outcome = try simulator.runDetailed()
    let record = try #require(outcome.requests.first)

    // docs/METRICS.md (TTFT): the first token comes out of the prefill iteration when it leaves the last stage.
    let ttft = pass(.prefill(tokens: prompt))
    #expect(abs(try #require(record.firstTokenSeconds) - 2.5 - ttft) < 1e-12)
    // Each later token needs the previous one: decode k (k = 1…output−1) runs alone on a
    // context of prompt + k tokens and is a full pipeline pass.
    var finish = 2.5 + ttft
    for k in 1..<output { finish += pass(.decode(batch: 1, context: prompt + k)) }
    #expect(abs(try #require(record.finishSeconds) - finish) < 1e-12)
    let result = outcome.result
    #expect(abs(try #require(result.ttftSeconds).mean - ttft) < 1e-12)
    #expect(abs(try #require(result.tpotSeconds).mean - (finish - 2.5 - ttft) / Double(output - 1)) < 1e-12)
    #expect(result.queueingDelaySeconds?.max == 0)
    // Five iterations, each through three stages.
    #expect(record.iterations == output)
    #expect(record.stagePasses == 3 * output)
  }

  @Test func chunkedPrefillTTFTSumsTheChunks() throws {
    // 1000 prompt tokens, 256 per iteration: chunks 256, 256, 256, 232 on a growing cache,
    // each a full pass; the first token leaves with the last chunk.
    let workload = Fixture.trace([TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 2)])
    let scheduler = SchedulerConfig(kvCacheBlocks: 1000, maxNumSeqs: 8, maxNumBatchedTokens: 256, chunkedPrefill: true)
    let outcome = try Simulator(
      workload: workload, layout: layout, timing: timing, scheduler: scheduler, slo: nil, options: Fixture.checked
    ).runDetailed()
    var expected = 0.0
    var cached = 0
    for chunk in [256, 256, 256, 232] {
      var shape = BatchShape()
      shape.addPrefill(tokens: chunk, cached: cached)
      expected += pass(shape)
      cached += chunk
    }
    let record = try #require(outcome.requests.first)
    #expect(abs(try #require(record.firstTokenSeconds) - expected) < 1e-12)
    #expect(record.iterations == 5)  // four chunks and one decode
  }

  @Test func sharedLinkHalvesTheSpeedOfSimultaneousTransfers() throws {
    // Two nodes of two GPUs joined by one switch-to-switch link. Each replica has stage 0 on
    // node 0 and stage 1 on node 1, so both replicas' activation transfers cross that link.
    let cluster = Cluster(
      name: "two-by-two", vertexNames: ["n0/g0", "n0/g1", "n1/g0", "n1/g1", "n0/sw", "n1/sw"], gpuCount: 4,
      nodeOfGPU: [0, 0, 1, 1], nodeNames: ["n0", "n1"],
      links: [
        .init(a: 0, b: 4, bytesPerSecond: 1e11, latencySeconds: 0),
        .init(a: 1, b: 4, bytesPerSecond: 1e11, latencySeconds: 0),
        .init(a: 2, b: 5, bytesPerSecond: 1e11, latencySeconds: 0),
        .init(a: 3, b: 5, bytesPerSecond: 1e11, latencySeconds: 0),
        .init(a: 4, b: 5, bytesPerSecond: 1e10, latencySeconds: 0),
      ])
    let shared = Placement(gpus: [[[0], [2]], [[1], [3]]])
    let separate = Placement(gpus: [[[0], [1]], [[2], [3]]])
    let twoStage = AffineTiming(base: [1e-3, 1e-3], perToken: [1e-5, 1e-5], transferBase: 0, transferPerToken: 1e-5)
    let layout = Layout(tp: 1, pp: 2, dp: 2)
    // Two identical requests at t = 0: round-robin gives one to each replica; both prefill
    // together and start their transfers at the same moment.
    let workload = Fixture.trace([
      TraceRequest(arrivalSeconds: 0, promptTokens: 400, outputTokens: 1),
      TraceRequest(arrivalSeconds: 0, promptTokens: 400, outputTokens: 1),
    ])
    let shape = BatchShape.prefill(tokens: 400)
    let stages = twoStage.stageSeconds(stage: 0, batch: shape) + twoStage.stageSeconds(stage: 1, batch: shape)
    let transfer = twoStage.transferSeconds(afterStage: 0, batch: shape)

    let links = try SharedLinks(cluster: cluster, placement: shared)
    #expect(links.sharedCount == 1)
    let contended = try Simulator(
      workload: workload, layout: layout, placement: shared, cluster: cluster, timing: twoStage,
      scheduler: SchedulerConfig(kvCacheBlocks: 100), slo: nil, options: Fixture.checked
    ).runDetailed()
    // Processor sharing: two equal transfers on one link each take twice as long.
    try #require(contended.requests.count == 2)
    for record in contended.requests {
      #expect(abs(try #require(record.firstTokenSeconds) - (stages + 2 * transfer)) < 1e-9)
    }
    #expect(try SharedLinks(cluster: cluster, placement: separate).isEmpty)
    let free = try Simulator(
      workload: workload, layout: layout, placement: separate, cluster: cluster, timing: twoStage,
      scheduler: SchedulerConfig(kvCacheBlocks: 100), slo: nil, options: Fixture.checked
    ).runDetailed()
    try #require(free.requests.count == 2)
    for record in free.requests {
      #expect(abs(try #require(record.firstTokenSeconds) - (stages + transfer)) < 1e-12)
    }
  }

  @Test func stageBusyFractionShowsPipelineBubbles() throws {
    // One request at a time through 3 equal stages with free transfers: each stage computes
    // one third of the time the request is in service, so stage busy = ρ / 3 with
    // ρ = arrival rate × service time: a pipeline can't overlap one sequence's iterations.
    let equal = AffineTiming(base: [1e-3, 1e-3, 1e-3], perToken: [0, 0, 0])
    // Constant arrivals every 1 s; each request: 1 prefill + 9 decodes = 10 passes of 3 ms.
    let workload = Fixture.workload(
      rate: 1, duration: 200, prompt: .fixed(10), output: .fixed(10), arrival: .constant, drain: 10)
    let result = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: 3, dp: 1), timing: equal,
      scheduler: SchedulerConfig(kvCacheBlocks: 100), slo: nil, options: Fixture.checked
    ).run()
    let busy = try #require(result.stageBusyFraction)
    #expect(busy.count == 3)
    for fraction in busy { #expect(abs(fraction - 0.010) < 1e-9) }  // 10 × 1 ms per second
  }
}

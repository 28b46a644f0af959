import Analytic
import Foundation
import PlanCore
import Simulation
import Testing

/// Disaggregated serving (`DisaggregatedSimulator`): every expected number below follows from
/// the affine test timings (`AffineTiming`) and the route's latency + bytes ÷ bandwidth, or is
/// an invariant (conservation, bytes, determinism).
@Suite struct DisaggregatedSimulatorTests {
  static let one = Layout(tp: 1, pp: 1, dp: 1)

  static func make(
    _ workload: Workload, prefill: Layout = one, decode: Layout = one,
    prefillTiming: AffineTiming = .perToken(1e-4),
    decodeTiming: AffineTiming = AffineTiming(base: [0.01], perToken: [0]),
    prefillScheduler: SchedulerConfig = SchedulerConfig(kvCacheBlocks: 100_000),
    decodeScheduler: SchedulerConfig = SchedulerConfig(kvCacheBlocks: 100_000), kvBytesPerToken: Double = 1e5,
    route: KVTransferRoute? = nil, layerwiseOverlap: Bool = false, layers: Int = 1,
    router: RouterPolicy = .roundRobin, seed: UInt64? = nil, options: SimulationOptions = Fixture.checked
  ) throws -> DisaggregatedSimulator {
    try DisaggregatedSimulator(
      workload: workload, layout: DisaggregatedLayout(prefill: prefill, decode: decode),
      prefillTimings: Array(repeating: prefillTiming, count: prefill.dp),
      decodeTimings: Array(repeating: decodeTiming, count: decode.dp), prefillScheduler: prefillScheduler,
      decodeScheduler: decodeScheduler, kvBytesPerToken: kvBytesPerToken,
      transfer: try route
        ?? .uniform(
          prefillInstances: prefill.dp, decodeInstances: decode.dp, latencySeconds: 0, bytesPerSecond: .infinity),
      layerwiseOverlap: layerwiseOverlap, layers: layers, router: router, slo: nil, seed: seed,
      options: options)
  }

  // MARK: Closed-form timelines

  @Test func aLoneRequestsFirstTokenComesAfterPrefillAndTransfer() throws {
    // Prompt 1000 at 0.1 ms per token: prefill 0.1 s. KV 1000 × 10⁵ B = 10⁸ B over 1 GB/s with
    // 1 ms latency: 0.101 s. First token at 0.201 s; then 10 decode iterations of 10 ms each.
    let route = try KVTransferRoute.uniform(
      prefillInstances: 1, decodeInstances: 1, latencySeconds: 1e-3, bytesPerSecond: 1e9)
    let outcome = try Self.make(
      Fixture.trace([TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 11)]), route: route
    ).runDetailed()
    let record = try #require(outcome.requests.first)
    #expect(record.outcome == .succeeded && record.generatedTokens == 11)
    #expect(abs(try #require(record.firstTokenSeconds) - 0.201) < 1e-12)
    #expect(abs(try #require(record.finishSeconds) - 0.301) < 1e-12)
    #expect(abs(try #require(outcome.result.tpotSeconds?.mean) - 0.01) < 1e-12)
    #expect(outcome.transfers == 1 && outcome.totalTransferredBytes == 1e8)
    #expect(outcome.conservationChecks == 1 && outcome.kvChecks > 0 && outcome.stagePassChecks > 0)
  }

  @Test func layerwiseOverlapExposesOnlyWhatThePrefillDidNotHide() throws {
    // Prefill 1000 × 0.05 ms = 0.05 s; transfer 0.1 s of bytes + 1 ms. With 10 layers sent as
    // they finish, 9/10 × 0.05 s of sending overlapped the prefill: exposed 0.001 +
    // max(0.1/10, 0.1 − 0.045) = 0.056 s, first token at 0.106 s. With 1000 layers the
    // prefill hides more than the link can send: exposed 0.001 + max(0.0001, 0.1 − 0.04995).
    let route = try KVTransferRoute.uniform(
      prefillInstances: 1, decodeInstances: 1, latencySeconds: 1e-3, bytesPerSecond: 1e9)
    for (layers, expected) in [(1, 0.05 + 0.101), (10, 0.106), (1000, 0.05 + 0.001 + (0.1 - 0.999 * 0.05))] {
      let outcome = try Self.make(
        Fixture.trace([TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 2)]),
        prefillTiming: .perToken(5e-5), route: route, layerwiseOverlap: true, layers: layers
      ).runDetailed()
      let first = try #require(outcome.requests.first?.firstTokenSeconds)
      #expect(abs(first - expected) < 1e-12, "layers \(layers): \(first) s")
    }
  }

  @Test func concurrentTransfersOnOneLinkShareItsBandwidth() throws {
    // Two prompts of 1000 at t = 0 on two prefill instances end together at 0.1 s; their
    // transfers (0.1 s each alone) start together. Over private links both end at 0.2 s;
    // over one shared link each gets half the bandwidth and both end at 0.3 s.
    let requests = [1000, 1000].map { TraceRequest(arrivalSeconds: 0, promptTokens: $0, outputTokens: 2) }
    for (links, names, expected) in [([] as [Int32], [] as [String], 0.2), ([0], ["shared"], 0.3)] {
      let path = KVTransferRoute.Path(latencySeconds: 0, bytesPerSecond: 1e9, links: links)
      let route = try KVTransferRoute(paths: [[path], [path]], linkNames: names)
      let outcome = try Self.make(
        Fixture.trace(requests), prefill: Layout(tp: 1, pp: 1, dp: 2), route: route
      ).runDetailed()
      #expect(outcome.prefillInstance == [0, 1] && outcome.decodeInstance == [0, 0])
      for record in outcome.requests {
        #expect(abs(try #require(record.firstTokenSeconds) - expected) < 1e-9, "links \(links)")
      }
    }
  }

  @Test func prefilledKVWaitsOnThePrefillInstanceUntilADecodeInstanceHasRoom() throws {
    // Three prompts of 1000 at t = 0, 10 output tokens each: ⌈1000/16⌉ = 63 KV blocks after
    // prefill, 64 at the end. Each pool holds one request at a time (prefill 64 blocks,
    // decode 70). Prefill 0.1 s each, decode 10 steps of 20 ms, instant transfers:
    //   A: prefill 0–0.1, handed over at 0.1 (first token), decodes 0.1–0.3;
    //   B: prefill 0.1–0.2 (after A's KV left), waits holding its KV until A is done at 0.3,
    //      first token 0.3, decodes 0.3–0.5;
    //   C: cannot start its prefill until B's KV left at 0.3: prefill 0.3–0.4, waits for B,
    //      first token 0.5, done 0.7.
    let requests = (0..<3).map { _ in TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 11) }
    let outcome = try Self.make(
      Fixture.trace(requests), decodeTiming: AffineTiming(base: [0.02], perToken: [0]),
      prefillScheduler: SchedulerConfig(kvCacheBlocks: 64), decodeScheduler: SchedulerConfig(kvCacheBlocks: 70)
    ).runDetailed()
    let firsts = try outcome.requests.map { try #require($0.firstTokenSeconds) }
    let finishes = try outcome.requests.map { try #require($0.finishSeconds) }
    for (seconds, expected) in zip(firsts, [0.1, 0.3, 0.5]) { #expect(abs(seconds - expected) < 1e-12) }
    for (seconds, expected) in zip(finishes, [0.3, 0.5, 0.7]) { #expect(abs(seconds - expected) < 1e-12) }
    #expect(outcome.conservationChecks == 3)
  }

  // MARK: Invariants

  @Test func kvBytesTransferredAreThePromptTokensTimesKVBytesPerToken() throws {
    let workload = Fixture.workload(
      rate: 10, duration: 50, prompt: .uniform(low: 16, high: 3000), output: .uniform(low: 1, high: 200), drain: 2)
    let kvBytesPerToken = 131_072.0
    let route = try KVTransferRoute(
      paths: [
        [
          .init(latencySeconds: 1e-5, bytesPerSecond: 4e10, links: [0]),
          .init(latencySeconds: 2e-5, bytesPerSecond: 1e10, links: [0, 1]),
        ],
        [
          .init(latencySeconds: 2e-5, bytesPerSecond: 1e10, links: [1]),
          .init(latencySeconds: 1e-5, bytesPerSecond: 4e10, links: []),
        ],
      ], linkNames: ["a", "b"])
    let outcome = try Self.make(
      workload, prefill: Layout(tp: 1, pp: 1, dp: 2), decode: Layout(tp: 1, pp: 1, dp: 2),
      decodeTiming: AffineTiming(base: [0.008], perToken: [2e-5], perContext: 1e-8), kvBytesPerToken: kvBytesPerToken,
      route: route, router: .leastOutstanding
    ).runDetailed()
    // A request with two or more output tokens got its first token when its transfer ended.
    var expected = 0.0
    var count = 0
    for (index, record) in outcome.requests.enumerated() {
      if record.outputTokens >= 2 && record.firstTokenSeconds != nil {
        expected += Double(record.promptTokens) * kvBytesPerToken
        count += 1
        #expect(outcome.transferredBytes[index] == Double(record.promptTokens) * kvBytesPerToken)
      } else {
        #expect(outcome.transferredBytes[index] == 0)
      }
    }
    #expect(count > 400 && outcome.transfers == count)
    #expect(outcome.totalTransferredBytes == expected)
    #expect(outcome.conservationChecks == outcome.requests.count)
  }

  @Test func everyArrivalEndsInExactlyOneClassAcrossThePools() throws {
    // Overloaded, with a queue cap and timeout on the prefill pool, chunked prefill, preemption
    // on a small decode cache, PP = 2 in both pools, and requests too long for the decode pool.
    let workload = Fixture.workload(
      rate: 60, duration: 20, prompt: .uniform(low: 16, high: 2000), output: .uniform(low: 1, high: 400), warmup: 2,
      drain: 1)
    let outcome = try Self.make(
      workload, prefill: Layout(tp: 1, pp: 2, dp: 2), decode: Layout(tp: 1, pp: 2, dp: 3),
      prefillTiming: AffineTiming(base: [0.002, 0.002], perToken: [4e-5, 4e-5], transferBase: 1e-4),
      decodeTiming: AffineTiming(base: [0.006, 0.006], perToken: [1e-5, 1e-5], perContext: 1e-8, transferBase: 1e-4),
      prefillScheduler: SchedulerConfig(
        kvCacheBlocks: 400, maxNumBatchedTokens: 2048, chunkedPrefill: true, waitingQueueCap: 30,
        queueTimeoutSeconds: 2),
      decodeScheduler: SchedulerConfig(kvCacheBlocks: 120, maxNumSeqs: 64),
      route: try .uniform(prefillInstances: 2, decodeInstances: 3, latencySeconds: 1e-4, bytesPerSecond: 2e10),
      router: .leastKVLoad
    ).runDetailed()
    let result = outcome.result
    #expect(result.arrived == result.succeeded + result.failedSLO + result.rejected + result.unfinished)
    #expect(result.rejections.queueFull > 0 && result.rejections.tooLong > 0 && result.preemptions > 0)
    #expect(result.unfinished > 0 && result.succeeded > 0)
    #expect(result.replicas.count == 5)
    let measured = outcome.requests.filter(\.measured)
    #expect(measured.count == result.arrived)
    #expect(measured.filter { $0.outcome == .rejected }.count == result.rejected)
    // Routed requests: each measured arrival reached one prefill instance; those handed off
    // one decode instance too.
    #expect(result.replicas[0..<2].reduce(0) { $0 + $1.requests } == result.arrived)
    #expect(outcome.conservationChecks == outcome.requests.count && outcome.kvChecks > 0)
    // Every request in a finished micro-batch passed each of its pool's two stages once.
    #expect(outcome.stagePassChecks > 0)
  }

  @Test func withInstantTransfersTPOTIsTheDecodeOnlyBatchsStepTime() throws {
    // Eight prompts of 512 at t = 0 on eight prefill instances end together (51.2 ms) and
    // are handed over together; the decode instance then runs them as one batch of 8 for 32
    // steps, step k (1…32) with every context at 512 + k tokens and no prefill in between.
    // TPOT is the mean of those decode-only step times, whatever the prefill cost.
    let requests = (0..<8).map { _ in TraceRequest(arrivalSeconds: 0, promptTokens: 512, outputTokens: 33) }
    let decodeTiming = AffineTiming(base: [2e-3], perToken: [1e-4], perContext: 1e-7)
    let outcome = try Self.make(
      Fixture.trace(requests), prefill: Layout(tp: 1, pp: 1, dp: 8), decodeTiming: decodeTiming
    ).runDetailed()
    let expected =
      (1...32).reduce(0.0) { $0 + decodeTiming.stageSeconds(stage: 0, batch: .decode(batch: 8, context: 512 + $1)) }
      / 32
    #expect(outcome.requests.count == 8)
    for record in outcome.requests {
      let first = try #require(record.firstTokenSeconds)
      let tpot = (try #require(record.finishSeconds) - first) / 32
      #expect(abs(first - 0.0512) < 1e-12 && abs(tpot - expected) < 1e-12)
    }
  }

  @Test func decodesRunUninterruptedWhereAnAggregatedReplicaStallsThemForPrefills() throws {
    // A long decode (prompt 100, 201 tokens) and, every 0.5 s, a prompt of 4000 tokens (one
    // output token). Disaggregated, the decode instance only decodes: TPOT is its 10 ms step.
    // Aggregated on one replica (10 ms + 0.1 ms per token per step) each prompt stalls it.
    var requests = [TraceRequest(arrivalSeconds: 0, promptTokens: 100, outputTokens: 201)]
    for k in 1...4 {
      requests.append(TraceRequest(arrivalSeconds: 0.5 * Double(k), promptTokens: 4000, outputTokens: 1))
    }
    let prefillTiming = AffineTiming.perToken(1e-4)
    let decodeTiming = AffineTiming(base: [0.01], perToken: [0])
    let disaggregated = try Self.make(
      Fixture.trace(requests), prefillTiming: prefillTiming, decodeTiming: decodeTiming
    ).runDetailed()
    let decodeTPOT =
      try #require(disaggregated.requests[0].finishSeconds)
      - (try #require(disaggregated.requests[0].firstTokenSeconds))
    #expect(abs(decodeTPOT / 200 - 0.01) < 1e-12)
    // Aggregated: a step is 10 ms + 0.1 ms per token in the batch.
    let aggregated = try Simulator(
      workload: Fixture.trace(requests), layout: Self.one, timing: AffineTiming(base: [0.01], perToken: [1e-4]),
      scheduler: SchedulerConfig(kvCacheBlocks: 100_000), slo: nil, options: Fixture.checked
    ).runDetailed()
    let record = aggregated.requests[0]
    let stalledTPOT = (try #require(record.finishSeconds) - (try #require(record.firstTokenSeconds))) / 200
    // Each of the four prompts runs alone (prefills first) for 10 ms + 0.4 s between two of
    // the 200 decode steps of 10.1 ms.
    #expect(abs(stalledTPOT - (0.0101 + 4 * 0.41 / 200)) < 1e-9)
  }

  @Test(arguments: [(1, 1, 32), (2, 1, 8)])
  func throughputUnderOverloadIsTheSmallerPoolsCapacity(prefills: Int, decodes: Int, slots: Int) throws {
    // Prompts 1024, outputs 65. Prefill: 5 ms + 0.1 ms per token, batches of 4096 tokens =
    // 4 prompts: 4 / 0.4146 s ≈ 9.65 requests/s per instance. Decode: 10 ms + 0.1 ms per
    // sequence; a request holds a slot for its 64 decode steps plus the step during which its
    // KV is pulled (admitted at one scheduling step, decoding from the next, as vLLM's
    // asynchronous KV load), so with every slot busy a step completes slots/65 requests and
    // decodes slots·64/65 sequences. Offered 2 × the larger capacity, the run completes
    // min(prefill, decode capacity). Tolerance: completions come in groups of up to 8 at the
    // edges of the 100 s window (< 1 %), and a step may decode a whole refilled batch at once.
    let prefillCapacity = Double(prefills) * 4 / (0.005 + 4096e-4)
    let step = 0.01 + 1e-4 * Double(slots) * 64 / 65
    let decodeCapacity = Double(decodes) * Double(slots) / 65 / step
    let workload = Fixture.workload(
      rate: 2 * max(prefillCapacity, decodeCapacity), duration: 110, prompt: .fixed(1024), output: .fixed(65),
      warmup: 10, drain: 0.5)
    let result = try Self.make(
      workload, prefill: Layout(tp: 1, pp: 1, dp: prefills), decode: Layout(tp: 1, pp: 1, dp: decodes),
      prefillTiming: AffineTiming(base: [0.005], perToken: [1e-4]),
      decodeTiming: AffineTiming(base: [0.01], perToken: [1e-4]),
      prefillScheduler: SchedulerConfig(kvCacheBlocks: 200_000, maxNumBatchedTokens: 4096),
      decodeScheduler: SchedulerConfig(kvCacheBlocks: 100_000, maxNumSeqs: slots),
      options: SimulationOptions()
    ).run()
    let expected = min(prefillCapacity, decodeCapacity)
    let measured = try #require(result.requestsPerSecond)
    #expect(abs(measured / expected - 1) < 0.02, "measured \(measured)/s, expected \(expected)/s")
  }

  @Test func sameSeedGivesByteIdenticalResults() throws {
    let workload = Fixture.workload(
      rate: 30, duration: 15, prompt: .logNormal(median: 800, sigma: 0.8, min: 8, max: 6000),
      output: .uniform(low: 1, high: 300), drain: 5)
    func run(seed: UInt64) throws -> String {
      try Fixture.json(
        Self.make(
          workload, prefill: Layout(tp: 1, pp: 1, dp: 2), decode: Layout(tp: 1, pp: 1, dp: 2),
          route: try .uniform(prefillInstances: 2, decodeInstances: 2, latencySeconds: 1e-4, bytesPerSecond: 1e10),
          router: .leastOutstanding, seed: seed, options: SimulationOptions()
        ).run())
    }
    let first = try run(seed: 3)
    #expect(first == (try run(seed: 3)))
    #expect(first != (try run(seed: 4)))
  }

  @Test func leastOutstandingSendsAPromptWhereTheFewestPromptTokensWait() throws {
    // 4000 tokens at t = 0 go to P0 (tie, lowest index); 100 at 1 ms to P1 (P0 owes 4000);
    // 100 at 2 ms: P0 still owes 4000 (its prefill runs to 0.4 s), P1 owes 100 (in flight
    // until 11 ms), so P1 again, where round robin would take P0.
    let requests = [(0.0, 4000), (0.001, 100), (0.002, 100)].map {
      TraceRequest(arrivalSeconds: $0.0, promptTokens: $0.1, outputTokens: 2)
    }
    var seen: [Double] = []
    for (router, expected) in [(RouterPolicy.leastOutstanding, [0, 1, 1]), (.roundRobin, [0, 1, 0])] {
      let outcome = try Self.make(
        Fixture.trace(requests), prefill: Layout(tp: 1, pp: 1, dp: 2), router: router,
        options: SimulationOptions(checkInvariants: true, recordRequests: true, progressInterval: 1)
      ).runDetailed { seen.append($0) }
      #expect(outcome.prefillInstance == expected, "\(router)")
    }
    // Progress after each of the three arrivals and once at the end, per run.
    let third: Double = 1.0 / 3
    let perRun: [Double] = [third, 2 * third, 1, 1]
    #expect(seen == perRun + perRun)
  }

  // MARK: Inputs

  @Test func badInputIsRefusedWithTheFieldAndValue() throws {
    let workload = Fixture.trace([TraceRequest(arrivalSeconds: 0, promptTokens: 10, outputTokens: 2)])
    func message(_ body: () throws -> Void) -> String {
      do {
        try body()
        return ""
      } catch { return "\(error)" }
    }
    #expect(message { _ = try Self.make(workload, kvBytesPerToken: 0) }.contains("kvBytesPerToken is 0.0"))
    #expect(message { _ = try Self.make(workload, kvBytesPerToken: .nan) }.contains("kvBytesPerToken is nan"))
    #expect(
      message {
        _ = try Self.make(
          workload, decode: Layout(tp: 1, pp: 1, dp: 2),
          route: try .uniform(prefillInstances: 1, decodeInstances: 1, latencySeconds: 0, bytesPerSecond: 1))
      }.contains("1P × 1D"))
    #expect(
      message {
        _ = try KVTransferRoute.uniform(prefillInstances: 1, decodeInstances: 1, latencySeconds: -1, bytesPerSecond: 1)
      }
      .contains("latency -1.0 s"))
    #expect(
      message {
        _ = try KVTransferRoute.uniform(prefillInstances: 1, decodeInstances: 1, latencySeconds: 0, bytesPerSecond: 0)
      }
      .contains("bandwidth 0.0 B/s"))
    #expect(
      message { _ = try Self.make(workload, decodeScheduler: SchedulerConfig(kvCacheBlocks: 0)) }
        .contains("decode scheduler: kvCacheBlocks must be positive"))
    #expect(message { _ = try Self.make(workload, layers: 0) }.contains("layers is 0"))
  }

  @Test func routesOnAClusterCrossTheBusiestLinkOfTheirFlows() throws {
    // Two nodes of two GPUs, each node's GPUs on a switch (450 GB/s, 1 µs), the switches
    // joined by one 50 GB/s, 5 µs link. Prefill TP2 on node 0, decode TP2 on node 1: flows
    // 0→2 and 1→3 both cross the inter-node link, which carries all the bytes: 50 GB/s;
    // latency 1 + 5 + 1 µs. Inside node 0 (GPU 0 → GPU 1): each GPU link carries it all once.
    let nvlink = 450e9
    let cluster = Cluster(
      name: "two-nodes", vertexNames: ["node0/gpu0", "node0/gpu1", "node1/gpu0", "node1/gpu1", "node0/sw", "node1/sw"],
      gpuCount: 4, nodeOfGPU: [0, 0, 1, 1], nodeNames: ["node0", "node1"],
      links: [
        .init(a: 0, b: 4, bytesPerSecond: nvlink, latencySeconds: 1e-6),
        .init(a: 1, b: 4, bytesPerSecond: nvlink, latencySeconds: 1e-6),
        .init(a: 2, b: 5, bytesPerSecond: nvlink, latencySeconds: 1e-6),
        .init(a: 3, b: 5, bytesPerSecond: nvlink, latencySeconds: 1e-6),
        .init(a: 4, b: 5, bytesPerSecond: 50e9, latencySeconds: 5e-6),
      ])
    let across = try KVTransferRoute(
      cluster: cluster, prefillPlacement: Placement(gpus: [[[0, 1]]]), decodePlacement: Placement(gpus: [[[2, 3]]]))
    let path = across.path(from: 0, to: 0)
    #expect(path.bytesPerSecond == 50e9 && abs(path.latencySeconds - 7e-6) < 1e-18)
    #expect(across.linkNames.contains("node0/sw→node1/sw") && path.links.count == 5)
    let inside = try KVTransferRoute(
      cluster: cluster, prefillPlacement: Placement(gpus: [[[0]]]), decodePlacement: Placement(gpus: [[[1]]]))
    #expect(inside.path(from: 0, to: 0).bytesPerSecond == nvlink)
    #expect(abs(inside.seconds(bytes: 450e6, from: 0, to: 0) - (2e-6 + 1e-3)) < 1e-15)

    // A lone prompt of 1000 (0.1 s of prefill) sends 10⁸ B across: 7 µs + 10⁸ / 5·10¹⁰ s.
    let pair = Layout(tp: 2, pp: 1, dp: 1)
    let simulator = try DisaggregatedSimulator(
      workload: Fixture.trace([TraceRequest(arrivalSeconds: 0, promptTokens: 1000, outputTokens: 3)]),
      layout: DisaggregatedLayout(prefill: pair, decode: pair), prefillPlacement: Placement(gpus: [[[0, 1]]]),
      decodePlacement: Placement(gpus: [[[2, 3]]]), cluster: cluster, prefillTimings: [AffineTiming.perToken(1e-4)],
      decodeTimings: [AffineTiming(base: [0.01], perToken: [0])],
      prefillScheduler: SchedulerConfig(kvCacheBlocks: 1000), decodeScheduler: SchedulerConfig(kvCacheBlocks: 1000),
      kvBytesPerToken: 1e5, transfer: across, layerwiseOverlap: false, layers: 80, slo: nil, options: Fixture.checked)
    let record = try #require(try simulator.runDetailed().requests.first)
    let firstToken = try #require(record.firstTokenSeconds)
    let expected: Double = 0.1 + 7e-6 + 1e8 / 50e9
    #expect(abs(firstToken - expected) < 1e-12)
  }
}

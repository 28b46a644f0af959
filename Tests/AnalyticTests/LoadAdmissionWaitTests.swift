import Foundation
import PlanCore
import Testing

@testable import Analytic

/// |a − b| ≤ tolerance · max(1, |b|).
private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(b))
}

private let looseSLO = SLO(ttftSeconds: 1e6, tpotSeconds: 1e6)

/// The wait for the engine of a request that finds a free batch slot (`LoadModel.admissionWait`)
/// and pipeline decode as one micro-batch (`ReplicaCostModel.decodeMicroBatches`).
@Suite struct LoadAdmissionWaitTests {
  @Test func promptsOnlyReduceToPollaczekKhinchineMD1() throws {
    // One output token: the replica only prefills, μ(b) = 1/p for every b, so the chain is
    // M/M/1-like with B = 64 slots (slot waits ~ρ^64, negligible). Stage 0 serves prompts of a
    // fixed p in FCFS order: M/D/1, whose mean wait is Pollaczek–Khinchine's ρp / (2(1 − ρ));
    // the model then stretches it by (1 + λp) for the prompts admitted together with it.
    let p = 0.05
    let lambda = 10.0
    let rho = lambda * p
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 64, prefillSeconds: p, decodeStepSecondsByBatch: Array(repeating: 0.01, count: 64),
      meanOutputTokens: 1, queueCapacity: nil)
    let s = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 1, router: .roundRobin, service: service, slo: looseSLO
      ).steadyState)
    let pollaczekKhinchine = rho * p / (2 * (1 - rho))
    #expect(close(s.admissionWaitMeanSeconds, pollaczekKhinchine * (1 + rho), 1e-12))
    // It waits when it finds the server busy: probability ρ.
    #expect(close(s.admissionWaitProbability, rho, 1e-12))
    #expect(close(s.ttftMeanSeconds, p + s.waitingMeanSeconds + s.admissionWaitMeanSeconds, 1e-12))
  }

  @Test func decodesOnlyWaitHalfAnIteration() throws {
    // No prefill: an arrival that finds a free slot on a busy replica waits for the running
    // decode iteration of d = 50 ms to end, d/2 on average (the residual of a fixed interval at
    // a random moment), and nothing queues ahead of it.
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 2, prefillSeconds: 0, decodeStepSecondsByBatch: [0.05, 0.05], meanOutputTokens: 11,
      queueCapacity: nil)
    let lambda = 2.5
    let queue = try LoadModel.queue(
      rateRequestsPerSecond: lambda, replicas: 1, router: .roundRobin, service: service)
    let s = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: lambda, replicas: 1, router: .roundRobin, service: service, slo: looseSLO
      ).steadyState)
    let busyWithFreeSlot = 1 - queue.probabilityEmpty - queue.waiting.probabilityOfWaiting
    #expect(busyWithFreeSlot > 0.1)
    #expect(close(s.admissionWaitProbability, busyWithFreeSlot, 1e-12))
    #expect(close(s.admissionWaitMeanSeconds, busyWithFreeSlot * 0.025, 1e-12))
    // The slot wait is untouched (M/M/2 figures stay those of the chain).
    #expect(close(s.waitingMeanSeconds, queue.waiting.meanSeconds, 1e-15))
  }

  @Test func oneSlotReplicaNeverWaitsForTheEngine() throws {
    // B = 1: a free slot means an empty replica, so the M/M/1 figures stand alone.
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 1, prefillSeconds: 0.1, decodeStepSecondsByBatch: [0.021], meanOutputTokens: 101,
      queueCapacity: nil)
    let s = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: 0.3, replicas: 1, router: .roundRobin, service: service, slo: looseSLO
      ).steadyState)
    #expect(s.admissionWaitProbability == 0 && s.admissionWaitMeanSeconds == 0)
    #expect(close(s.ttftP90Seconds, 0.1 + s.waitingP90Seconds, 1e-12))
  }

  @Test func ttftUnderLoadIsAtLeastTheLoneTTFTAndGrowsWithTheRate() throws {
    // Llama-2-7B on one A100 80GB, 2000 + 50 tokens: prompts are most of the engine's work.
    let e = try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 1, pp: 1, dp: 1))
    let service = try e.serviceModel(promptTokens: 2000, outputTokens: 50, queueCapacity: nil)
    let lone = try e.evaluate(promptTokens: 2000, outputTokens: 50).ttftSeconds
    var previous = (p50: lone, p90: lone, mean: lone)
    for fraction in stride(from: 0.1, through: 0.95, by: 0.05) {
      let s = try #require(
        try LoadModel.evaluate(
          rateRequestsPerSecond: fraction * service.capacityRequestsPerSecond, replicas: 1, router: .roundRobin,
          service: service, slo: looseSLO
        ).steadyState)
      #expect(s.ttftP50Seconds >= previous.p50 && s.ttftP90Seconds >= previous.p90)
      #expect(s.ttftMeanSeconds > previous.mean)
      #expect(s.ttftP50Seconds <= s.ttftP90Seconds)
      previous = (s.ttftP50Seconds, s.ttftP90Seconds, s.ttftMeanSeconds)
    }
    #expect(previous.p90 > 2 * lone)  // near capacity the prompts queue
    // The distribution handed to prompt-mix quantiles is the one the TTFT came from.
    let rate = 0.7 * service.capacityRequestsPerSecond
    let wait = try LoadModel.firstTokenWait(
      rateRequestsPerSecond: rate, replicas: 1, router: .roundRobin, service: service)
    let s = try #require(
      try LoadModel.evaluate(
        rateRequestsPerSecond: rate, replicas: 1, router: .roundRobin, service: service, slo: looseSLO
      )
      .steadyState)
    #expect(close(try wait.quantileSeconds(0.9) + service.prefillSeconds, s.ttftP90Seconds, 1e-12))
    #expect(close(wait.cumulativeProbability(seconds: s.ttftP90Seconds - service.prefillSeconds), 0.9, 1e-9))
  }

  @Test func pipelinedPromptHoldsShrinkWithTheRateAndCapacityIsTheirFixedPoint() throws {
    // Solo hold H = 0.1 s, stage-0 share p₀ = 0.04 s: at rate λ the hold per prompt is
    // H/(1 + λ(H − p₀)); the capacity λ* solves λ* = μ_{λ*}(B).
    let service = try ReplicaServiceModel(
      maxConcurrentSequences: 4, prefillSeconds: 0.12, decodeStepSecondsByBatch: [0.02, 0.021, 0.022, 0.023],
      meanOutputTokens: 101, queueCapacity: nil, prefillOccupancySecondsByBatch: [0.1, 0.1, 0.1, 0.1],
      admissionPrefillSeconds: 0.04)
    let at = service.atRate(2)
    #expect(close(at.prefillOccupancySecondsByBatch[3], 0.1 / (1 + 2 * 0.06), 1e-14))
    #expect(close(at.departureRatesPerSecond[3], 1 / (0.1 / 1.12 + 100 * 0.023 / 4), 1e-14))
    let capacity = service.capacityRequestsPerSecond
    #expect(close(service.atRate(capacity).departureRatesPerSecond[3], capacity, 1e-12))
    #expect(capacity > service.departureRatesPerSecond[3])  // pipelining prompts only helps
    // Without a pipelining gain (H = p₀) nothing depends on the rate.
    let flat = try ReplicaServiceModel(
      maxConcurrentSequences: 4, prefillSeconds: 0.1, decodeStepSecondsByBatch: [0.02, 0.021, 0.022, 0.023],
      meanOutputTokens: 101, queueCapacity: nil)
    #expect(flat.atRate(3).departureRatesPerSecond == flat.departureRatesPerSecond)
    #expect(flat.capacityRequestsPerSecond == flat.departureRatesPerSecond[3])
  }

  @Test func admissionInputsReduceToThePrefillAndDecodeWithOneStage() throws {
    let one = try LayoutEvaluator(
      model: Fixtures.llama2_13b, gpu: Fixtures.a100_40gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 2, pp: 1, dp: 1))
    let inputs = try one.loadInputs(promptTokens: 1000, outputTokens: 200)
    #expect(inputs.prefillOccupancySeconds.allSatisfy { $0 == inputs.prefillSeconds })
    #expect(inputs.admissionPrefillSeconds == inputs.prefillSeconds)
    #expect(inputs.admissionDecodeSeconds == inputs.decodeIterationSeconds)
    // PP = 2: a prompt holds the decode batch back by max(p₀, p + s_last − D), within [p₀, p].
    let two = try LayoutEvaluator(
      model: Fixtures.llama2_13b, gpu: Fixtures.a100_40gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 1, pp: 2, dp: 1))
    let replica = two.replicas[0]
    let byStage = replica.lonePrefillByStage(promptTokens: 1000, chunkTokens: two.config.maxBatchedTokens)
    let pp = try two.loadInputs(promptTokens: 1000, outputTokens: 200)
    #expect(pp.admissionPrefillSeconds == byStage[0])
    for (b, hold) in pp.prefillOccupancySeconds.enumerated() {
      #expect(hold >= byStage[0] && hold <= pp.prefillSeconds)
      let stages = replica.decodeStageSeconds(batch: b + 1, context: 1100)
      let expected = max(byStage[0], pp.prefillSeconds + stages.last - pp.decodeIterationSeconds[b])
      #expect(close(hold, min(expected, pp.prefillSeconds), 1e-12))
    }
    // A batch whose pass is short next to the prompt's pays most of the prefill; a long pass hides it.
    #expect(pp.prefillOccupancySeconds[0] > 0.6 * pp.prefillSeconds)
    #expect(
      ReplicaCostModel.prefillHoldSeconds(prefill: 0.1, firstStagePrefill: 0.05, decodePass: 0.2, lastStageDecode: 0.1)
        == 0.05)
    #expect(
      ReplicaCostModel.prefillHoldSeconds(prefill: 0.1, firstStagePrefill: 0.1, decodePass: 0.02, lastStageDecode: 0.02)
        == 0.1)
    // Stages plus transfers make up the lone prefill.
    let lone = replica.lonePrefill(promptTokens: 1000, chunkTokens: two.config.maxBatchedTokens)
    #expect(close(byStage.reduce(0, +) + lone.pipelineSeconds, lone.totalSeconds, 1e-12))
    #expect(zip(pp.admissionDecodeSeconds, pp.decodeIterationSeconds).allSatisfy { $0 < $1 })
  }
}

/// Pipeline decode in the engine's form: one micro-batch (see `ReplicaCostModel.decodeMicroBatches`).
@Suite struct PipelineDecodeTests {
  func replica(pp: Int) throws -> ReplicaCostModel {
    try LayoutEvaluator(
      model: Fixtures.llama2_13b, gpu: Fixtures.a100_40gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 1, pp: pp, dp: 1)
    ).replicas[0]
  }

  @Test func decodeIsTheSerialPassOfTheWholeBatch() throws {
    for pp in [1, 2, 4] {
      let r = try replica(pp: pp)
      for batch in [1, 7, 60] {
        let pass = r.pass(.decode(batch: batch, context: 900))
        #expect(close(r.decode(batch: batch, context: 900).totalSeconds, pass.serialSeconds, 1e-12))
      }
    }
    // PP = 1: the pass is the one stage's iteration.
    let one = try replica(pp: 1)
    let shape = BatchShape.decode(batch: 16, context: 900)
    #expect(
      close(
        one.decode(batch: 16, context: 900).totalSeconds,
        one.stageTime(stage: 0, batch: shape, layer: one.cost.layerTotals(batch: shape)).totalSeconds, 1e-12))
    #expect(one.decodeFirstStageSeconds(batch: 16, context: 900) == one.decode(batch: 16, context: 900).totalSeconds)
  }

  @Test func cycleIsTheLongerOfTheSerialPassAndTheBusiestStageServingEveryMicroBatch() throws {
    let r = try replica(pp: 4)
    let pass = r.pass(.decode(batch: 30, context: 900))
    #expect(pass.cycleSeconds(inFlight: 1) == pass.serialSeconds)
    for k in 1...8 {
      #expect(pass.cycleSeconds(inFlight: k) == max(pass.serialSeconds, Double(k) * pass.maxStageSeconds))
      #expect(close(pass.cycleBreakdown(inFlight: k).totalSeconds, pass.cycleSeconds(inFlight: k), 1e-12))
    }
    // Four stages of about a quarter of the layers each: the serial pass is ≈ 4 busiest stages.
    #expect(pass.serialSeconds <= 4 * pass.maxStageSeconds + 1e-12)
    #expect(pass.serialSeconds > 3 * pass.maxStageSeconds)
  }

  @Test func pipelineSaturatedThroughputOverlapsPromptsWithTheDecodePass() throws {
    // PP = 2: each cycle is the decode pass plus w prompts' hold, between their stage-0 time
    // and their whole serial prefill.
    let r = try replica(pp: 2)
    let config = EngineConfig()
    let rate = r.saturatedThroughput(promptTokens: 1000, outputTokens: 200, batch: 40, config: config)
    #expect(rate.inFlight == 1)
    let decodePass = r.pass(.decode(batch: 40, context: 1100)).serialSeconds
    let w = 40.0 / 199
    let prompt = r.lonePrefill(promptTokens: 1000, chunkTokens: config.maxBatchedTokens).totalSeconds
    let firstStage = r.lonePrefillByStage(promptTokens: 1000, chunkTokens: config.maxBatchedTokens)[0]
    #expect(rate.cycleSeconds >= decodePass + w * firstStage - 1e-12)
    #expect(rate.cycleSeconds <= decodePass + w * prompt + 1e-12)
    #expect(close(rate.requestsPerSecond, w / rate.cycleSeconds, 1e-12))
    #expect(close(rate.breakdown.totalSeconds, rate.cycleSeconds, 1e-9))
  }
}

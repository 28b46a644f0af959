import Foundation
import PlanCore
import Testing

@testable import Analytic

/// The static-batch model from invariants: a batch of one is the lone request, the parts add up,
/// throughput is tokens over time, decode steps do not get cheaper as the context grows, and
/// the KV-cache limit is the closed form B · ⌈(L + O) / block⌉ ≤ blocks.
@Suite struct StaticBatchTests {
  static func evaluator(
    model: ModelSpec = Fixtures.llama2_7b, gpu: GPUSpec = Fixtures.a100_80gb, tp: Int = 1, pp: Int = 1,
    config: EngineConfig = EngineConfig()
  ) throws -> LayoutEvaluator {
    let layout = try Layout.checked(tp: tp, pp: pp, dp: 1)
    return try LayoutEvaluator(
      model: model, gpu: gpu, cluster: Cluster.idealNodes(gpu: gpu, gpuCount: layout.totalGPUs), layout: layout,
      config: config)
  }

  @Test(arguments: [StaticPrefillMode.whole, .chunked])
  func aBatchOfOneIsTheLoneRequest(mode: StaticPrefillMode) throws {
    let e = try Self.evaluator()
    // 3,000 tokens fit one 8,192-token iteration, so whole and chunked agree with the lone prefill.
    let p = try e.staticBatch(StaticBatchShape(batch: 1, inputTokens: 3000, outputTokens: 200, prefill: mode))
    let lone = try e.evaluate(promptTokens: 3000, outputTokens: 200, batch: 1)
    #expect(p.prefillSeconds == lone.ttftSeconds)
    // The estimate's TPOT is the step at the mean context L + O/2, between the first and last step.
    let first = try #require(p.firstStepSeconds)
    let last = try #require(p.lastStepSeconds)
    #expect(first <= lone.tpotSeconds && lone.tpotSeconds <= last)
    #expect(p.microBatches == 1 && p.sequencesPerMicroBatch == 1)
  }

  @Test func chunkedPrefillOfALongLonePromptIsTheLoneEstimate() throws {
    // 20,000 tokens: three chunks of at most 8,192, each reading the earlier ones from the cache.
    let e = try Self.evaluator()
    let p = try e.staticBatch(StaticBatchShape(batch: 1, inputTokens: 20000, outputTokens: 1, prefill: .chunked))
    let lone = try e.evaluate(promptTokens: 20000, outputTokens: 1)
    #expect(p.prefillSeconds == lone.ttftSeconds)
    #expect(p.prefillIterations == 3)
    #expect(p.decodeSteps == 0 && p.firstStepSeconds == nil && p.totalSeconds == p.prefillSeconds)
  }

  @Test func totalIsPrefillPlusEveryDecodeStep() throws {
    let e = try Self.evaluator()
    let shape = StaticBatchShape(batch: 16, inputTokens: 512, outputTokens: 64)
    let p = try e.staticBatch(shape)
    let replica = e.replicas[0]
    var sum = 0.0
    var previous = 0.0
    for step in 1...63 {
      let t = replica.decode(batch: 16, context: 512 + step).totalSeconds
      #expect(t >= previous, "decode step at context \(512 + step) is cheaper than the one before")
      previous = t
      sum += t
    }
    #expect(abs(p.decodeSeconds - sum) <= 1e-12 * sum)
    #expect(abs(p.totalSeconds - (p.prefillSeconds + sum)) <= 1e-12 * p.totalSeconds)
    #expect(p.decodeSteps == 63)
    #expect(abs(p.meanStepSeconds! - sum / 63) <= 1e-15)
    #expect(p.firstStepSeconds! == replica.decode(batch: 16, context: 513).totalSeconds)
    #expect(p.lastStepSeconds! == replica.decode(batch: 16, context: 575).totalSeconds)
    #expect(abs(p.outputTokensPerSecond - 16 * 64 / p.totalSeconds) <= 1e-9 * p.outputTokensPerSecond)
    #expect(abs(p.totalTokensPerSecond - 16 * 576 / p.totalSeconds) <= 1e-9 * p.totalTokensPerSecond)
    // The whole batch's prefill is one pass of 16 prompts: more than one prompt's, at most 16 of them.
    let one = replica.pass(.prefill(tokens: 512)).serialSeconds
    #expect(p.prefillSeconds > one && p.prefillSeconds <= 16 * one)
  }

  @Test func decodeStepsNeverGetCheaperAsTheContextGrows() throws {
    let e = try Self.evaluator(model: Fixtures.llama2_13b)
    let p = try e.staticBatch(StaticBatchShape(batch: 8, inputTokens: 100, outputTokens: 3000))
    #expect(p.firstStepSeconds! <= p.meanStepSeconds! && p.meanStepSeconds! <= p.lastStepSeconds!)
    #expect(p.lastStepSeconds! > p.firstStepSeconds!)
  }

  @Test func pipelineMicroBatchesFillAndDrainThePipeline() throws {
    // PP = 2, B = 8: two micro-batches of 4; the second enters the first stage as the first leaves it.
    let e = try Self.evaluator(pp: 2)
    let p = try e.staticBatch(StaticBatchShape(batch: 8, inputTokens: 256, outputTokens: 4))
    #expect(p.microBatches == 2 && p.sequencesPerMicroBatch == 4)
    var four = BatchShape()
    for _ in 0..<4 { four.addPrefill(tokens: 256, cached: 0) }
    let pass = e.replicas[0].pass(four)
    #expect(abs(p.prefillSeconds - (pass.serialSeconds + pass.maxStageSeconds)) <= 1e-12)
    // Each decode step is the PP cycle of `decode(batch:context:)`.
    #expect(p.firstStepSeconds! == e.replicas[0].decode(batch: 8, context: 257).totalSeconds)
    // B = 1 under PP: one micro-batch, no fill.
    let lone = try e.staticBatch(StaticBatchShape(batch: 1, inputTokens: 256, outputTokens: 4))
    #expect(lone.microBatches == 1)
    // Equal up to rounding: the batch path sums a one-sequence BatchShape built another way.
    #expect(abs(lone.prefillSeconds - e.replicas[0].pass(.prefill(tokens: 256)).serialSeconds) <= 1e-12)
  }

  @Test func theKVLimitIsTheClosedForm() throws {
    let e = try Self.evaluator()
    let block = e.config.blockSizeTokens
    let tokens = 2048 + 2048
    let perSequence = (tokens + block - 1) / block
    let limit = e.memory.kvBlocks / perSequence
    #expect(limit >= 2)
    let fits = StaticBatchShape(batch: limit, inputTokens: 2048, outputTokens: 2048, prefill: .chunked)
    let p = try e.staticBatch(fits)
    #expect(p.memory.blocksNeeded == limit * perSequence && p.memory.maxSequences == limit)
    let over = StaticBatchShape(batch: limit + 1, inputTokens: 2048, outputTokens: 2048, prefill: .chunked)
    #expect(throws: StaticBatchCapacityError.self) { try e.staticBatch(over) }
    do { _ = try e.staticBatch(over) } catch let error as StaticBatchCapacityError {
      #expect(error.memory.maxSequences == limit)
      #expect(error.description.contains("at most \(limit) such sequences fit"))
    }
  }

  @Test func aWholeBatchPrefillSetsAsideItsActivations() throws {
    // 64 prompts of 2,048 in one pass: 131,072 tokens of activations instead of the 8,192 budget.
    let e = try Self.evaluator()
    let shape = StaticBatchShape(batch: 64, inputTokens: 2048, outputTokens: 1, prefill: .whole)
    let memory = try e.staticBatchMemory(shape)
    #expect(memory.activationTokens == 64 * 2048)
    let extra =
      MemoryModel.activationPeakBytes(cost: e.cost, tokens: 64 * 2048)
      - MemoryModel.activationPeakBytes(cost: e.cost, tokens: 8192)
    let perBlock = e.memory.stages[0].kvBytesPerToken * Double(e.config.blockSizeTokens)
    let expected = Int(((e.memory.stages[0].kvPoolBytes - extra) / perBlock).rounded(.down))
    #expect(memory.blocksAvailable == expected)
    #expect(
      try e.staticBatchMemory(StaticBatchShape(batch: 64, inputTokens: 2048, outputTokens: 1, prefill: .chunked))
        .blocksAvailable == e.memory.kvBlocks)
  }

  @Test func fp8KVHalvesBytesPerTokenAndRaisesCapacity() throws {
    var fp8 = EngineConfig()
    fp8.kvCacheDType = .fp8
    let wide = try MemoryModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: 1, dp: 1))
    let narrow = try MemoryModel(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: 1, dp: 1), config: fp8)
    // Llama-2-7B: 32 layers × 2 (K, V) × 4,096 columns × 2 bytes = 524,288 B per token; fp8 half.
    #expect(wide.stages[0].kvBytesPerToken == 524_288)
    #expect(narrow.stages[0].kvBytesPerToken == 262_144)
    // Weights, activations and reserve are the model's dtype either way, so the pool is the same,
    // and the block count is ⌊pool / (bytes per token × block)⌋ for each.
    #expect(narrow.stages[0].kvPoolBytes == wide.stages[0].kvPoolBytes)
    let pool = wide.stages[0].kvPoolBytes
    #expect(wide.kvBlocks == Int((pool / (524_288 * 16)).rounded(.down)))
    #expect(narrow.kvBlocks == Int((pool / (262_144 * 16)).rounded(.down)))
    #expect(narrow.kvBlocks >= 2 * wide.kvBlocks && narrow.kvBlocks <= 2 * wide.kvBlocks + 1)
    // The evaluator threads the engine's KV dtype into its cost model and memory.
    let e = try Self.evaluator(config: fp8)
    #expect(e.memory.kvBlocks == narrow.kvBlocks)
    #expect(e.cost.kvBytesPerTokenPerLayerPerGPU == 8192)
  }

  @Test func aScenarioNamesItsKVCachePrecision() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("static-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let body = """
      model: llama-2-7b
      workload: {rate: 1, prompt: 100, output: 10}
      scheduler: {kv_cache_dtype: %@}
      """
    let good = directory.appendingPathComponent("good.yaml")
    try String(format: body, "fp8").write(to: good, atomically: true, encoding: .utf8)
    #expect(try Scenario.load(good.path).scheduler.kvCacheDType == .fp8)
    let bad = directory.appendingPathComponent("bad.yaml")
    try String(format: body, "int4").write(to: bad, atomically: true, encoding: .utf8)
    #expect {
      try Scenario.load(bad.path)
    } throws: { error in
      let text = "\(error)"
      return text.contains("kv_cache_dtype") && text.contains("int4") && text.contains("fp16, bf16, fp8")
    }
  }
}

/// The most sequences a whole-batch prefill allows is the largest batch that fits with its own
/// activation peak, not the count at the refused batch's peak.
@Suite struct StaticBatchLimitTests {
  @Test func theWholePrefillLimitFitsAndOneMoreDoesNot() throws {
    let e = try StaticBatchTests.evaluator()
    let over = StaticBatchShape(batch: 100, inputTokens: 2048, outputTokens: 2048, prefill: .whole)
    let memory = try e.staticBatchMemory(over)
    #expect(!memory.fits)
    let limit = memory.maxSequences
    #expect(limit >= 1 && limit > memory.blocksAvailable / memory.blocksPerSequence)
    var at = over
    at.batch = limit
    #expect(try e.staticBatchMemory(at).fits)
    at.batch = limit + 1
    #expect(try !e.staticBatchMemory(at).fits)
  }
}

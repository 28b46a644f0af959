import Foundation
import PlanCore
import Testing

@testable import Analytic

/// Token counts and memory sizes past what the model can represent are errors, not traps.
@Suite struct OverflowTests {
  func evaluator(gpu: GPUSpec = Fixtures.a100_80gb) throws -> LayoutEvaluator {
    try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: gpu, cluster: Cluster.idealNodes(gpu: gpu, gpuCount: 1),
      layout: Layout(tp: 1, pp: 1, dp: 1))
  }

  /// `estimate --prompt 9223372036854775807 --output 1` added the two counts and trapped.
  @Test func promptOfIntMaxIsAnError() throws {
    let evaluator = try evaluator()
    #expect(throws: CostModelError.self) { try evaluator.evaluate(promptTokens: Int.max, outputTokens: 1) }
    #expect(evaluator.maxBatch(promptTokens: Int.max, outputTokens: 1) == 0)
  }

  /// `estimate --prompt 1000000000000` ran for minutes; past 10⁸ tokens it is refused at once.
  @Test func promptOfATrillionTokensIsRefused() throws {
    let evaluator = try evaluator()
    do {
      _ = try evaluator.evaluate(promptTokens: 1_000_000_000_000, outputTokens: 1)
      Issue.record("expected an error")
    } catch let error as CostModelError {
      #expect("\(error)".contains("prompt of 1000000000000 tokens is outside 1 … 100,000,000"))
    }
  }

  /// A GPU built in code with 10³⁰⁰ bytes (files refuse it) no longer traps converting the KV
  /// block count to Int.
  @Test func enormousMemoryDoesNotTrap() throws {
    var gpu = Fixtures.a100_80gb
    gpu.memoryBytes = 1e300
    let memory = try MemoryModel(model: Fixtures.llama2_7b, gpu: gpu, layout: Layout(tp: 1, pp: 1, dp: 1))
    #expect(memory.kvBlocks > 0)
    #expect(memory.maxConcurrentSequences(tokensPerSequence: Int.max) >= 0)
  }

  /// `estimate --max-batched-tokens 9223372036854775807` printed an activation peak of
  /// 760,301,004 PB; engine settings past their plausible range are now errors.
  @Test func engineSettingsPastTheirRangeAreRefused() throws {
    let config = EngineConfig(maxBatchedTokens: Int.max)
    do {
      _ = try MemoryModel(
        model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, layout: Layout(tp: 1, pp: 1, dp: 1), config: config)
      Issue.record("expected an error")
    } catch let error as CostModelError {
      #expect(
        error.reason
          == "max batched tokens of 9223372036854775807 is outside 1 … 100,000,000, the range of a batched-token limit")
    }
    #expect(throws: CostModelError.self) { try EngineConfig(blockSizeTokens: Int.max).validate() }
    #expect(throws: CostModelError.self) { try EngineConfig(maxSequences: Int.max).validate() }
  }

  /// The operator names a GPU file's `operators` table may use are the cost model's.
  @Test func operatorNamesOfFilesAreTheCostModels() {
    #expect(OperatorEfficiency.operatorNames == Set(OperatorKind.allCases.map(\.rawValue)))
  }
}

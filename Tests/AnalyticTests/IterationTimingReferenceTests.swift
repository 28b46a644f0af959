import Analytic
import Testing

/// The simulators hold their timings by reference; the reference answers exactly as the value.
@Suite struct IterationTimingReferenceTests {
  struct StepTiming: IterationTiming {
    var stageCount: Int { 2 }
    func stageSeconds(stage: Int, batch: BatchShape) -> Double { Double(stage + 1) * Double(batch.totalTokens) }
    func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double { 0.5 * Double(stage + 1) }
  }

  final class ClassTiming: IterationTiming {
    var stageCount: Int { 1 }
    func stageSeconds(stage: Int, batch: BatchShape) -> Double { 1 }
    func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double { 0 }
  }

  @Test func aValueTimingIsWrappedAndAnswersAsTheValue() {
    let value = StepTiming()
    let held = iterationTimingByReference(value)
    #expect(held is IterationTimingReference<StepTiming>)
    let batch = BatchShape.decode(batch: 3, context: 10)
    #expect(held.stageCount == value.stageCount)
    for stage in 0..<2 {
      #expect(held.stageSeconds(stage: stage, batch: batch) == value.stageSeconds(stage: stage, batch: batch))
      #expect(
        held.transferSeconds(afterStage: stage, batch: batch) == value.transferSeconds(afterStage: stage, batch: batch))
    }
  }

  @Test func aTimingAlreadyHeldByReferenceIsReturnedAsItIs() {
    let timing = ClassTiming()
    let held = iterationTimingByReference(timing)
    #expect((held as? ClassTiming) === timing)
    // Wrapping twice does not nest.
    let once = iterationTimingByReference(StepTiming())
    #expect(iterationTimingByReference(once) as AnyObject === once as AnyObject)
  }
}

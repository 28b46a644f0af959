import Testing

@testable import Analytic
@testable import PlanCore

/// Error bands of predicted times: parts carry their own residuals, fixed overhead none.
@Suite struct PredictionBandTests {
  let uncertainty = PredictionUncertainty.uncalibratedDefault

  @Test func kernelTimeCarriesTheOperatorResiduals() {
    var parts = TimeBreakdown()
    parts.computeBoundSeconds = 0.06
    parts.memoryBoundSeconds = 0.04
    let band = parts.band(uncertainty, total: 0.1)
    // All 100 ms are kernels: p10/p90 are 100 ms × (1 + q) with the operator quantiles.
    #expect(abs(band.p10Seconds - 0.1 * (1 + uncertainty.compute.p10)) < 1e-15)
    #expect(abs(band.p90Seconds - 0.1 * (1 + uncertainty.compute.p90)) < 1e-15)
    #expect(band.p10Seconds < band.seconds && band.seconds < band.p90Seconds)
  }

  @Test func overheadIsExactAndCommunicationUsesCollectiveResiduals() {
    var parts = TimeBreakdown()
    parts.communicationSeconds = 0.01
    parts.overheadSeconds = 0.001
    let band = parts.band(uncertainty, total: 0.011)
    #expect(abs(band.p90Seconds - (0.01 * (1 + uncertainty.communication.p90) + 0.001)) < 1e-15)
    var overheadOnly = TimeBreakdown()
    overheadOnly.overheadSeconds = 0.001
    #expect(overheadOnly.band(uncertainty, total: 0.001) == .exact(0.001))
  }

  @Test func predictionCarriesBandsAroundItsOwnFigures() throws {
    let evaluator = try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 2, pp: 1, dp: 1))
    let prediction = try evaluator.predict(promptTokens: 2000, outputTokens: 50)
    #expect(prediction.ttftBand.seconds == prediction.ttftSeconds)
    #expect(prediction.tpotBand.seconds == prediction.tpotSeconds)
    #expect(prediction.ttftBand.p10Seconds < prediction.ttftSeconds)
    #expect(prediction.ttftBand.p90Seconds > prediction.ttftSeconds)
  }
}

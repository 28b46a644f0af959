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
    let residuals = Fixtures.a100_80gb.efficiency.effectiveUncertainty
    // Each band is centred on the prediction's own figure, and its percentiles are the
    // breakdown's parts moved by their residual quantiles (kernels by the operators',
    // communication and pipeline transfers by the collectives', overhead not at all),
    // percentiles adding, then scaled by figure / sum of the parts.
    for (band, figure, parts) in [
      (prediction.ttftBand, prediction.ttftSeconds, prediction.ttftBreakdown),
      (prediction.tpotBand, prediction.tpotSeconds, prediction.tpotBreakdown),
    ] {
      let kernels = parts.computeBoundSeconds + parts.memoryBoundSeconds
      let transfers = parts.communicationSeconds + parts.pipelineSeconds
      #expect(kernels > 0 && transfers > 0)  // TP2: both kinds of residual are in play
      let scale = figure / (kernels + transfers + parts.overheadSeconds)
      func percentile(_ kernel: Double, _ collective: Double) -> Double {
        scale * (kernels * (1 + kernel) + transfers * (1 + collective) + parts.overheadSeconds)
      }
      #expect(abs(band.seconds - figure) <= 1e-12 * figure)
      #expect(abs(band.p10Seconds - percentile(residuals.compute.p10, residuals.communication.p10)) <= 1e-12 * figure)
      #expect(abs(band.p50Seconds - percentile(residuals.compute.p50, residuals.communication.p50)) <= 1e-12 * figure)
      #expect(abs(band.p90Seconds - percentile(residuals.compute.p90, residuals.communication.p90)) <= 1e-12 * figure)
      #expect(band.p10Seconds < figure && figure < band.p90Seconds)
    }
  }
}

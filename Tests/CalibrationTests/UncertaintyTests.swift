import Analytic
import PlanCore
import Testing

@testable import Calibration

@Suite struct UncertaintyTests {
  @Test func bandScalesThePredictionByResidualQuantilesAndFormatsInOneUnit() {
    // Real times fell between 12 % below and 12.6 % above predictions: 182 ms → 160.2 … 204.9 ms.
    let band = TimeBand(seconds: 0.182, residuals: ResidualQuantiles(p10: -0.12, p50: 0, p90: 0.126))
    #expect(band.formatted == "182 ms (160–205)")
    #expect(abs(band.p10Seconds - 0.16016) < 1e-12 && abs(band.p90Seconds - 0.204932) < 1e-12)
    let small = TimeBand(seconds: 35.1e-6, residuals: ResidualQuantiles(p10: -0.1, p50: 0, p90: 0.1))
    #expect(small.formatted == "35.1 µs (31.6–38.6)")
  }

  @Test func bandsOfPartsAddPercentileByPercentile() {
    // Errors of the same GPU's kernels move together, so percentiles add (comonotone sum).
    let a = TimeBand(seconds: 0.1, residuals: ResidualQuantiles(p10: -0.1, p50: 0, p90: 0.2))
    let b = TimeBand(seconds: 0.05, residuals: ResidualQuantiles(p10: -0.2, p50: 0.02, p90: 0.4))
    let sum = a + b
    #expect(abs(sum.seconds - 0.15) < 1e-15)
    #expect(abs(sum.p10Seconds - (0.09 + 0.04)) < 1e-15)
    #expect(abs(sum.p50Seconds - (0.1 + 0.051)) < 1e-15)
    #expect(abs(sum.p90Seconds - (0.12 + 0.07)) < 1e-15)
    // Layers repeat: a layer's band times 32 is 32 layers' band.
    #expect(abs(a.scaled(32).p90Seconds - 32 * 0.12) < 1e-12)
  }

  @Test func operatorsAndCollectivesUseTheirOwnQuantilesElseTheOverallOnes() {
    let uncertainty = PredictionUncertainty(
      calibrated: true, compute: ResidualQuantiles(p10: -0.05, p50: 0, p90: 0.06),
      communication: ResidualQuantiles(p10: -0.1, p50: 0, p90: 0.2),
      byName: ["qkv_proj": ResidualQuantiles(p10: -0.03, p50: 0, p90: 0.04)], source: "test")
    #expect(uncertainty.band(.qkvProj, seconds: 1).p90Seconds == 1.04)
    #expect(uncertainty.band(.mlpAct, seconds: 1).p90Seconds == 1.06)
    #expect(uncertainty.band(.allReduce, seconds: 1).p10Seconds == 0.9)
    let total = uncertainty.band(computeSeconds: 1, communicationSeconds: 0.5, exactSeconds: 0.25)
    #expect(abs(total.p90Seconds - (1.06 + 0.6 + 0.25)) < 1e-12)
  }

  @Test func uncalibratedCatalogGPUsCarryWiderBandsThanTheirMeasuredAccuracy() throws {
    // The catalog files' bands are the measured residuals widened 1.5× around the median:
    // p90 − p10 = 1.5 × (0.162 + 0.093) ≈ 0.38 for operators (the quantiles of `llmplan accuracy`
    // on Models/measurements/h100-dgx-vidur with the default law, as each file's uncertainty source says).
    for gpu in try Paths.catalog.allGPUs() {
      let uncertainty = gpu.efficiency.effectiveUncertainty
      #expect(!uncertainty.calibrated)
      #expect(abs((uncertainty.compute.p90 - uncertainty.compute.p10) - 1.5 * (0.162 + 0.093)) < 0.01, "\(gpu.name)")
    }
    // A profile without an uncertainty block falls back to the same default.
    var bare = try Paths.catalog.gpu("a100-80gb-sxm").efficiency
    bare.uncertainty = nil
    #expect(bare.effectiveUncertainty == PredictionUncertainty.uncalibratedDefault)
  }
}

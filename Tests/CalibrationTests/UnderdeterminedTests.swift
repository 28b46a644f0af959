import Analytic
import PlanCore
import Testing

@testable import Calibration

/// Data that cannot determine a law must not produce a "calibrated" profile: a law of p
/// parameters through p or fewer distinct points fits them exactly, so its error band would
/// be zero-width however wrong the law is.
@Suite struct UnderdeterminedCalibrationTests {
  static func gpu() throws -> GPUSpec { try Paths.catalog.gpu("h100-80gb-sxm") }

  /// qkv_proj timings of Llama-2-7B at TP 1 for `tokens`, in seconds from the prior's own
  /// cost model (any positive value would do: the point is how many distinct shapes there are).
  static func qkv(_ tokens: [Int], gpu: GPUSpec) throws -> MeasurementSet {
    let model = try Paths.catalog.model("llama-2-7b")
    var set = MeasurementSet()
    for (index, count) in tokens.enumerated() {
      var m = OperatorMeasurement(
        operatorName: "qkv_proj", measuredName: "qkv_proj", model: model, tensorParallel: 1,
        batch: .prefill(tokens: count, cached: 0), seconds: 1, origin: MeasurementOrigin(file: "t.csv", line: index + 2)
      )
      m.seconds = try OperatorTiming.costModel.seconds(m, gpu) * 1.1
      set.operators.append(m)
    }
    return set
  }

  @Test func aSingleRowIsRefused() throws {
    let gpu = try Self.gpu()
    let calibrator = Calibrator(gpu: gpu, cluster: nil, operatorTiming: .costModel)
    #expect(throws: PiecewiseLinearFit.Failure.self) {
      _ = try calibrator.calibrate(try Self.qkv([1024], gpu: gpu), sourceNote: "one row")
    }
  }

  @Test func identicalRowsCountAsOneShapeAndAreRefused() throws {
    let gpu = try Self.gpu()
    let calibrator = Calibrator(gpu: gpu, cluster: nil, operatorTiming: .costModel)
    do {
      _ = try calibrator.calibrate(try Self.qkv(Array(repeating: 2048, count: 12), gpu: gpu), sourceNote: "repeats")
      Issue.record("twelve copies of one timing must not calibrate a law")
    } catch let failure as PiecewiseLinearFit.Failure {
      #expect(failure.description.contains("1 distinct shape"))
    }
  }

  @Test func everyRowLeftOutIsRefused() throws {
    // Collective timings with no cluster to time them on: none can take part.
    var set = MeasurementSet()
    set.collectives.append(
      CollectiveMeasurement(
        collective: .allReduce, gpus: 8, gpusPerNode: 8, bytes: 16e6, seconds: 1e-4,
        origin: MeasurementOrigin(file: "c.csv", line: 2)))
    let calibrator = Calibrator(gpu: try Self.gpu(), cluster: nil, operatorTiming: .costModel)
    do {
      _ = try calibrator.calibrate(set, sourceNote: "left out")
      Issue.record("a calibration from zero usable timings must be refused")
    } catch let error as TimingError {
      #expect(error.reason.contains("nothing to calibrate"))
    }
  }

  @Test func enoughDistinctShapesStillCalibrate() throws {
    // Twelve sizes from 1 to 4096 tokens span both roofline regions: the law is determined.
    let gpu = try Self.gpu()
    let tokens = [1, 2, 4, 8, 16, 32, 64, 128, 512, 1024, 2048, 4096]
    let result = try Calibrator(gpu: gpu, cluster: nil, operatorTiming: .costModel).calibrate(
      try Self.qkv(tokens, gpu: gpu), sourceNote: "sweep")
    #expect(result.calibratedGPU.efficiency.uncertainty?.calibrated == true)
    #expect(result.calibratedGPU.efficiency.source.hasPrefix(Calibrator.sourcePrefix))
  }

  @Test func aBandNeedsThreePointsElseTheFallbackStands() throws {
    // One qkv_proj point measured 10 % slower than predicted: its own "band" would be
    // +10 % … +10 %, zero wide. Three points give a band of width > 0.
    let one = try #require(ErrorStatistics(predicted: [1], measured: [1.1]))
    let three = try #require(ErrorStatistics(predicted: [1, 1, 1], measured: [1.0, 1.1, 1.2]))
    let fallback = PredictionUncertainty.uncalibratedDefault
    let sparse = AccuracyReport(
      rows: [AccuracyRow(kind: .operator, name: "qkv_proj", measuredNames: [], statistics: one)],
      operatorsOverall: one, collectivesOverall: nil, untimed: [])
    let band = sparse.uncertainty(calibrated: true, source: "test", fallback: fallback)
    #expect(band.byName["qkv_proj"] == nil && band.compute == fallback.compute)
    let dense = AccuracyReport(
      rows: [AccuracyRow(kind: .operator, name: "qkv_proj", measuredNames: [], statistics: three)],
      operatorsOverall: three, collectivesOverall: nil, untimed: [])
    let measured = try #require(
      dense.uncertainty(calibrated: true, source: "test", fallback: fallback).byName["qkv_proj"])
    #expect(measured.p90 > measured.p10)
  }
}

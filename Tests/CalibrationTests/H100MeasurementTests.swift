import Analytic
import PlanCore
import Testing

@testable import Calibration

/// The real H100 measurements vendored in Models/measurements/h100-dgx-vidur (Vidur profiler;
/// see the README there for source and licence).
@Suite struct H100MeasurementTests {
  static func load() throws -> MeasurementSet {
    try MeasurementReader().read(paths: [
      try Paths.measurement("h100_llama-2-7b_mlp.csv"), try Paths.measurement("h100_dgx_all_reduce.csv"),
      try Paths.measurement("h100_dgx_send_recv.csv"),
    ])
  }

  @Test func readsEveryTiming() throws {
    let set = try Self.load()
    // mlp.csv: 1044 rows × 10 timed operators; 9 map onto cost-model operators, attn_rope
    // (booked inside `attention`) is skipped. all_reduce.csv 2982 rows, send_recv.csv 1988.
    #expect(set.operators.count == 1044 * 9)
    #expect(set.skipped == [SkippedMeasurements(name: "attn_rope", count: 1044, reason: ProfilerFormatReason.rope)])
    #expect(set.collectives.filter { $0.collective == .allReduce }.count == 2982)
    #expect(set.collectives.filter { $0.collective == .sendRecv }.count == 1988)
    // The profile covers TP 1, 2, 4, 8 and 1 … 4096 tokens of a Llama-2-7B layer.
    #expect(Set(set.operators.map(\.tensorParallel)) == [1, 2, 4, 8])
    #expect(set.operators.map(\.batch.tokens).min() == 1 && set.operators.map(\.batch.tokens).max() == 4096)
    let first = try #require(set.operators.first)
    #expect(first.model.hiddenSize == 4096 && first.model.intermediateSize == 11008)
  }

  @Test func defaultsMeetTheUncalibratedTargetAndCalibrationTheHeldOutOnes() throws {
    let set = try Self.load()
    let gpu = try Paths.catalog.gpu("h100-80gb-sxm")
    let cluster = try Paths.catalog.cluster("dgx-h100-2node-ib")
    let timing = CollectiveTiming(cluster: cluster)
    let halves = set.interleavedHalves()

    // Issue 7: median relative error per operator type below 25 % from the datasheet law alone.
    let uncalibrated = AccuracyReport.evaluate(
      gpu: gpu, measurements: halves.holdout, operatorTiming: .costModel, collectiveTiming: timing)
    #expect(uncalibrated.untimed.isEmpty)
    for row in uncalibrated.rows where row.kind == .operator {
      #expect(row.statistics.medianAbsoluteRelativeError < 0.25, "\(row.name) uncalibrated")
    }

    // Fit on one half, score on the other.
    let result = try Calibrator(gpu: gpu, cluster: cluster, operatorTiming: .costModel).calibrate(
      halves.fit, sourceNote: "test")
    // The profiled residual add beats the HBM bandwidth while its tensors fit in L2: with the
    // L2 term its HBM efficiency stays below 1 and the bytes served from L2 cost less (κ < 1);
    // the norms show the same. Without the L2 term the add's fit needed 114 % of 3.35 TB/s.
    for name in ["residual_add", "input_norm", "post_attention_norm"] {
      let fit = try #require(result.operatorLaws.first { $0.name == name })
      #expect(fit.refusal == nil, "\(name): \(fit.refusal ?? "")")
      #expect(fit.fitted[5] && fit.law.l2ByteCost < 1 && fit.law.memoryMax <= 1, "\(name)")
    }
    // GEMMs show wave quantisation between none and the full staircase (0 < β < 1).
    for name in ["qkv_proj", "mlp_up_proj", "mlp_down_proj"] {
      let law = result.calibratedGPU.efficiency.forOperator(name)
      #expect(law.waveQuantization > 0 && law.waveQuantization < 1, "\(name)")
    }
    // Every refused law has a physical stand-in, and the calibrated profile is physical.
    for fit in result.operatorLaws where fit.refusal != nil { #expect(fit.physicalAlternative != nil, "\(fit.name)") }
    let profile = result.calibratedGPU.efficiency
    for name in OperatorKind.allCases.map(\.rawValue) {
      let law = profile.forOperator(name)
      #expect(law.computeMax <= 1 && law.memoryMax <= 1, "\(name)")
      #expect(law.computeHalfSaturationFLOPs >= 0 && law.memoryHalfSaturationBytes >= 0, "\(name)")
    }
    #expect(
      profile.kernelLaunchSeconds >= 0 && profile.collectiveBandwidthMax <= 1 && profile.collectiveStepSeconds >= 0)
    let calibrated = AccuracyReport.evaluate(
      gpu: result.calibratedGPU, measurements: halves.holdout, operatorTiming: .costModel, collectiveTiming: timing)
    for row in calibrated.rows where row.kind == .operator {
      let before = try #require(uncalibrated.row(.operator, row.name)).statistics.medianAbsoluteRelativeError
      // Fitting the GPU's own data does not make an operator type worse on fresh points of the
      // same kind (within one point of noise), and keeps it inside the uncalibrated bar.
      #expect(row.statistics.medianAbsoluteRelativeError <= before + 0.01, "\(row.name)")
      // Issue 7: below 7 % calibrated, on points the fit never saw.
      #expect(row.statistics.medianAbsoluteRelativeError < 0.07, "\(row.name)")
    }
    // Issue 7: collectives below 20 % calibrated.
    for name in ["all_reduce", "send_recv"] {
      let row = try #require(calibrated.row(.collective, name))
      #expect(row.statistics.medianAbsoluteRelativeError < 0.20, "\(name)")
    }
    // The calibrated file's bands come from the fitted points and are narrower than the
    // uncalibrated defaults.
    let bands = try #require(result.calibratedGPU.efficiency.uncertainty)
    let defaults = try #require(gpu.efficiency.uncertainty)
    #expect(bands.calibrated && !defaults.calibrated)
    #expect(bands.compute.p90 - bands.compute.p10 < defaults.compute.p90 - defaults.compute.p10)
  }
}

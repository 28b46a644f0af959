import Analytic
import Foundation
import PlanCore
import Testing

@testable import Calibration

/// The expert-parallel all-to-all law against NVIDIA AIConfigurator's DeepEP timings on H100
/// (`Models/measurements/h100-sxm-vllm/moe_all_to_all-subset.csv`): fitted on one interleaved
/// half, checked on the other.
@Suite struct AllToAllFitTests {
  static let file = Paths.package + "/Models/measurements/h100-sxm-vllm/moe_all_to_all-subset.csv"

  static func load() throws -> [ExpertAllToAllMeasurement] {
    try MeasurementReader().read(path: file).expertAllToAll
  }

  static func timing() throws -> ExpertAllToAllTiming {
    ExpertAllToAllTiming(cluster: try Paths.catalog.cluster("dgx-h100"), gpu: try Paths.catalog.gpu("h100-80gb-sxm"))
  }

  /// Every row is read, in microseconds: the largest high-throughput combine (65,536 tokens ×
  /// top-8 × 7,168 × 2 bytes per GPU) moves 7/8 of 7.5 GB off each GPU in 21.2 ms, 310 GB/s,
  /// under NVLink 4's 450 GB/s per direction.
  @Test func readsEveryRowInMicroseconds() throws {
    let rows = try Self.load()
    #expect(rows.count == 324)
    #expect(Set(rows.map(\.mode)) == [.highThroughput, .lowLatency])
    let largest = rows.filter { $0.phase == .combine && $0.mode == .highThroughput && $0.hiddenSize == 7168 }
      .max { $0.bytesPerGPU < $1.bytesPerGPU }!
    let bytesPerSecond = largest.bytesPerGPU * 7 / 8 / largest.seconds
    #expect(bytesPerSecond > 100e9 && bytesPerSecond < 450e9)
  }

  @Test func unknownBackendsAreSkippedAndBadRowsNamed() throws {
    let header =
      "framework,version,device,op_name,kernel_source,comm_backend,phase,comm_dtype,ep_size,node_num,hidden_size,topk,num_experts,num_tokens,latency\n"
    let skipped = try MeasurementReader().read(
      text: header + "vLLM,0.24.0,H100,moe_a2a,deepep,deepep_v2_context,combine,default,8,1,7168,8,256,16,100\n",
      file: "a2a.csv")
    #expect(skipped.expertAllToAll.isEmpty && skipped.skipped.count == 1)
    #expect(throws: MeasurementFileError.self) {
      try MeasurementReader().read(
        text: header + "vLLM,0.24.0,H100,moe_a2a,deepep,deepep_ll,gather,default,8,1,7168,8,256,16,100\n",
        file: "a2a.csv")
    }
  }

  /// Fit half → held-out half: the median relative error of all points stays within 20 % (the
  /// issue's target), of each (phase, mode) within 25 % (low-latency combine is the worst: its
  /// rows of a few tokens scatter 2–3× between shapes), and the shipped
  /// `ExpertAllToAllLaw.deepEPH100` is this fit (to 1 %).
  @Test func fittedLawPredictsTheHeldOutHalf() throws {
    let (fit, holdout) = ExpertAllToAllTiming.interleavedHalves(try Self.load())
    #expect(fit.count == 162 && holdout.count == 162)
    let timing = try Self.timing()
    let law = try timing.fit(fit)
    var all: ([Double], [Double]) = ([], [])
    for phase in ExpertAllToAllPhase.allCases {
      for mode in ExpertAllToAllMode.allCases {
        let points = holdout.filter { $0.phase == phase && $0.mode == mode }
        let predicted = try points.map { try timing.seconds($0, law: law) }
        let stats = try #require(ErrorStatistics(predicted: predicted, measured: points.map(\.seconds)))
        #expect(stats.medianAbsoluteRelativeError <= 0.25, "\(phase) \(mode): \(stats.medianAbsoluteRelativeError)")
        all.0 += predicted
        all.1 += points.map(\.seconds)
        let shipped = ExpertAllToAllLaw.deepEPH100.term(phase, mode)
        let fitted = law.term(phase, mode)
        #expect(abs(shipped.latencySeconds / fitted.latencySeconds - 1) < 0.01, "\(phase) \(mode) latency \(fitted)")
        #expect(abs(shipped.graphTimeFactor / fitted.graphTimeFactor - 1) < 0.01, "\(phase) \(mode) factor \(fitted)")
      }
    }
    let overall = try #require(ErrorStatistics(predicted: all.0, measured: all.1))
    #expect(overall.medianAbsoluteRelativeError <= 0.20)
  }

  /// `llmplan accuracy` reads the subset and reports the all-to-all row on the held-out half.
  @Test func accuracyReportHasTheAllToAllRow() throws {
    let gpu = try Paths.catalog.gpu("h100-80gb-sxm")
    let set = try MeasurementReader().read(path: Self.file).interleavedHalves().holdout
    let report = AccuracyReport.evaluate(
      gpu: gpu, measurements: set, operatorTiming: .costModel,
      collectiveTiming: CollectiveTiming(cluster: try Paths.catalog.cluster("dgx-h100")))
    let row = try #require(report.row(.collective, "moe_all_to_all"))
    #expect(row.statistics.count == 162)
    #expect(row.statistics.medianAbsoluteRelativeError <= 0.20)
  }
}

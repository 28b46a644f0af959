import Foundation
import PlanCore
import Testing

@testable import Analytic

/// The engine profiles' host-overhead law (`Models/engines/`) as the cost model books it.
@Suite struct EngineOverheadTests {
  static let catalog = Catalog(
    root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Models").path)

  /// A profile built in code: 1 ms + 20 µs per sequence + 1 µs per token, + 2 ms + 10 µs per
  /// sequence when a stage spans several GPUs.
  static let testProfile = EngineProfile(
    name: "test", family: .vllm, version: "test", overheadFixedSeconds: 1e-3, overheadPerSequenceSeconds: 2e-5,
    overheadPerTokenSeconds: 1e-6, overheadMultiGPUFixedSeconds: 2e-3, overheadMultiGPUPerSequenceSeconds: 1e-5)

  func replica(
    tp: Int = 1, pp: Int = 1, profile: EngineProfile? = testProfile, model: ModelSpec = Fixtures.llama2_7b
  )
    throws -> ReplicaCostModel
  {
    let engine = profile.map(EngineConfig.init(profile:)) ?? EngineConfig()
    return try ReplicaCostModel(
      model: model, gpu: Fixtures.a100_80gb, cluster: Fixtures.nvswitch8, layout: Layout(tp: tp, pp: pp, dp: 1),
      engine: engine)
  }

  /// Booked once per iteration, on stage 0 only, as the law says: a decode step of 64
  /// sequences is 1 ms + 64 · 20 µs + 64 · 1 µs = 2.344 ms; a 1000-token prefill of one
  /// sequence 1 ms + 20 µs + 1000 µs = 2.02 ms; later stages book none.
  @Test func bookedOncePerIterationOnStageZero() throws {
    let r = try replica(pp: 2)
    let decode = BatchShape.decode(batch: 64, context: 500)
    let layer = r.cost.layerTotals(batch: decode)
    #expect(abs(r.stageTime(stage: 0, batch: decode, layer: layer).overheadSeconds - 2.344e-3) < 1e-12)
    #expect(r.stageTime(stage: 1, batch: decode, layer: layer).overheadSeconds == 0)
    #expect(abs(r.pass(decode).breakdown.overheadSeconds - 2.344e-3) < 1e-12)
    let prefill = BatchShape.prefill(tokens: 1000)
    #expect(abs(r.pass(prefill).breakdown.overheadSeconds - 2.02e-3) < 1e-12)
  }

  /// Growing with batch exactly as the law: from 1 to 64 decoding sequences the overhead grows
  /// by 63 · (20 + 1) µs, and the whole iteration by that plus the kernels' own growth.
  @Test func growsWithBatchAsTheLawSays() throws {
    let r = try replica()
    let one = r.pass(.decode(batch: 1, context: 500)).breakdown.overheadSeconds
    let many = r.pass(.decode(batch: 64, context: 500)).breakdown.overheadSeconds
    #expect(abs((many - one) - 63 * 21e-6) < 1e-12)
  }

  /// The multi-GPU term applies when a stage has several GPUs: TP 2 adds 2 ms + 8 · 10 µs at
  /// batch 8 over TP 1's overhead.
  @Test func multiGPUTermWithTensorParallelism() throws {
    let batch = BatchShape.decode(batch: 8, context: 500)
    let single = try replica(tp: 1).pass(batch).breakdown.overheadSeconds
    let pair = try replica(tp: 2).pass(batch).breakdown.overheadSeconds
    #expect(abs((pair - single) - (2e-3 + 8e-5)) < 1e-12)
  }

  /// Without a profile the GPU file's flat `iteration_overhead` (1 ms in the fixture) is the
  /// fallback, whatever the batch.
  @Test func flatFallbackWithoutProfile() throws {
    let r = try replica(profile: nil)
    #expect(r.pass(.decode(batch: 1, context: 100)).breakdown.overheadSeconds == 1e-3)
    #expect(r.pass(.decode(batch: 200, context: 100)).breakdown.overheadSeconds == 1e-3)
  }

  /// Without CUDA graphs a stage lasts at least its layers' launch time: with 0.5 ms per layer
  /// a batch-1 decode of Llama-2-7B (32 layers, about 8 ms of kernels on an A100) takes at least
  /// 16 ms; a 4096-token prefill's kernels (about 0.3 s) outlast the launches, so it books only
  /// the law.
  @Test func eagerModeTakesAtLeastTheLaunchTime() throws {
    var eager = Self.testProfile
    eager.cudaGraphs = false
    eager.eagerLaunchPerLayerSeconds = 5e-4
    let r = try replica(profile: eager)
    #expect(!r.cudaGraphs)
    let decode = r.pass(.decode(batch: 1, context: 100))
    #expect(decode.serialSeconds >= 32 * 5e-4 + 1e-3)
    let graphs = try replica().pass(.decode(batch: 1, context: 100))
    #expect(graphs.serialSeconds < 32 * 5e-4)
    let prefill = BatchShape.prefill(tokens: 4096)
    #expect(
      abs(r.pass(prefill).breakdown.overheadSeconds - (1e-3 + 2e-5 + 4096e-6)) < 1e-12)
  }

  /// The older vLLM is slower per step than the current one, by exactly the difference of the
  /// two laws (TPOT of a PP=1 replica is one decode pass): at batch 32 on one GPU,
  /// vllm-v0 books 1.29 + 0.104 · 32 = 4.618 ms, vllm 0.16 ms.
  @Test func olderVLLMIsSlowerPerStep() throws {
    let v0 = try Self.catalog.engine("vllm-v0")
    let v1 = try Self.catalog.engine("vllm")
    let old = try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 1, pp: 1, dp: 1),
      config: EngineConfig(profile: v0))
    let new = try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 1, pp: 1, dp: 1),
      config: EngineConfig(profile: v1))
    let tpotOld = try old.evaluate(promptTokens: 500, outputTokens: 100, batch: 32).tpotSeconds
    let tpotNew = try new.evaluate(promptTokens: 500, outputTokens: 100, batch: 32).tpotSeconds
    #expect(abs((tpotOld - tpotNew) - (4.618e-3 - 0.16e-3)) < 1e-9)
  }
}

/// The vllm-v0 law against the measurements it was fitted on: Vidur's per-step CPU times of
/// vLLM (microsoft/vidur, data/profiling/a100/cpu_overheads.csv, MIT; medians in ms of
/// schedule + sampler end-to-end + prepare inputs end-to-end + process model outputs + Ray
/// communication, decode steps on A100 hosts). Fit half: batches 8, 24, 40, 56; held out: 16,
/// 32, 48, 64. The rows' sums are the published medians added up (values in the CSV).
@Suite struct EngineOverheadLawTests {
  /// (model, TP, batch, total ms).
  static let fit: [(String, Int, Int, Double)] = [
    ("7b", 1, 8, 2.12695), ("7b", 1, 24, 3.76389), ("7b", 1, 40, 5.47876), ("7b", 1, 56, 7.14889),
    ("7b", 2, 8, 5.45727), ("7b", 2, 24, 7.78257), ("7b", 2, 40, 10.70842), ("7b", 2, 56, 13.94756),
    ("7b", 4, 8, 5.63954), ("7b", 4, 24, 8.64418), ("7b", 4, 40, 12.52293), ("7b", 4, 56, 15.89227),
    ("70b", 4, 8, 5.57619), ("70b", 4, 24, 8.6928), ("70b", 4, 40, 12.73797), ("70b", 4, 56, 17.07582),
    ("70b", 2, 8, 5.027), ("70b", 2, 24, 7.8046),
  ]
  static let heldOut: [(String, Int, Int, Double)] = [
    ("7b", 1, 16, 3.01143), ("7b", 1, 32, 4.92793), ("7b", 1, 48, 6.43573), ("7b", 1, 64, 8.0484),
    ("7b", 2, 16, 6.37324), ("7b", 2, 32, 8.52451), ("7b", 2, 48, 12.47782), ("7b", 2, 64, 15.13845),
    ("7b", 4, 16, 7.21515), ("7b", 4, 32, 10.45111), ("7b", 4, 48, 15.12382), ("7b", 4, 64, 17.49195),
    ("70b", 4, 16, 7.17978), ("70b", 4, 32, 10.35714), ("70b", 4, 48, 15.4803), ("70b", 4, 64, 17.69857),
    ("70b", 2, 16, 6.07073), ("70b", 2, 32, 8.59436),
  ]

  /// Relative least squares of y ≈ a + b·x (weights 1/y): the 2×2 normal equations.
  static func relativeFit(_ points: [(Double, Double)]) -> (Double, Double) {
    var s00 = 0.0, s01 = 0.0, s11 = 0.0, t0 = 0.0, t1 = 0.0
    for (x, y) in points {
      let w = 1 / (y * y)
      s00 += w
      s01 += w * x
      s11 += w * x * x
      t0 += w * y
      t1 += w * x * y
    }
    let det = s00 * s11 - s01 * s01
    return ((t0 * s11 - t1 * s01) / det, (s00 * t1 - s01 * t0) / det)
  }

  /// The file's coefficients are the fit on the fit half (rounded to 3 significant figures).
  @Test func fileCoefficientsAreTheFit() throws {
    let (a, b) = Self.relativeFit(Self.fit.filter { $0.1 == 1 }.map { (Double($0.2), $0.3) })
    let (c, d) = Self.relativeFit(Self.fit.filter { $0.1 > 1 }.map { (Double($0.2), $0.3 - (a + b * Double($0.2))) })
    let v0 = try EngineOverheadTests.catalog.engine("vllm-v0")
    func close(_ file: Double, _ fitted: Double) -> Bool { abs(file / fitted - 1) < 0.01 }
    #expect(close(v0.overheadFixedSeconds, a * 1e-3))
    #expect(close(v0.overheadPerSequenceSeconds, b * 1e-3))
    #expect(close(v0.overheadMultiGPUFixedSeconds, c * 1e-3))
    #expect(close(v0.overheadMultiGPUPerSequenceSeconds, d * 1e-3))
  }

  /// Held-out error of the shipped law: median |error| 6.2 %, largest 18 % (TP 2 at batch 32,
  /// where the measured Ray time dips). Targets: median ≤ 10 %, every row ≤ 20 %.
  @Test func heldOutHalfWithinTenPercentMedian() throws {
    let v0 = try EngineOverheadTests.catalog.engine("vllm-v0")
    let errors = Self.heldOut.map { row in
      abs(v0.overheadSeconds(sequences: row.2, tokens: row.2, gpus: row.1) / (row.3 * 1e-3) - 1)
    }.sorted()
    let median = (errors[errors.count / 2 - 1] + errors[errors.count / 2]) / 2
    #expect(median <= 0.10)
    #expect(errors.last! <= 0.20)
  }
}

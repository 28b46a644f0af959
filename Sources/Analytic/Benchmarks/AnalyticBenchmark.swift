import Foundation
import PlanCore

/// Speed of the analytic layout evaluation (for `llmplan bench analytic`).
public enum AnalyticBenchmark {
  /// One benchmark run.
  public struct Measurement: Sendable, Hashable, Codable {
    /// Layouts prepared (every valid TP × PP × DP on the cluster).
    public var layouts: Int
    /// Seconds to prepare them (cost dimensions, collective curves, memory), once per layout.
    public var setupSeconds: Double
    /// Evaluations timed: `LayoutEvaluator.evaluate` for a layout and a request shape.
    public var evaluations: Int
    public var seconds: Double
    public var evaluationsPerSecond: Double
    /// Sum of the predicted TTFTs, so the work cannot be optimised away (and a reproducibility check).
    public var checksumSeconds: Double
  }

  /// Every layout `Layout.validate` accepts on `cluster` for `model`, TP and PP powers of two
  /// (TP up to the GPUs of the first node), DP filling at most the cluster.
  public static func candidateLayouts(model: ModelSpec, cluster: Cluster) -> [Layout] {
    let nodeGPUs = cluster.gpusPerNode.first ?? cluster.gpuCount
    var result: [Layout] = []
    var tp = 1
    while tp <= max(1, nodeGPUs) {
      var pp = 1
      while tp * pp <= cluster.gpuCount && pp <= model.numLayers {
        for dp in 1...(cluster.gpuCount / (tp * pp)) {
          let layout = Layout(tp: tp, pp: pp, dp: dp)
          if (try? layout.validate(model: model, cluster: cluster)) != nil { result.append(layout) }
        }
        pp *= 2
      }
      tp *= 2
    }
    return result
  }

  /// Prepares an evaluator for every candidate layout, then times `evaluations` calls of
  /// `evaluate`, cycling through the layouts and a few request shapes (prompt 128–4096, output
  /// 16–1024 tokens, batch 1–64) on the calling thread.
  ///
  /// - Throws: when no layout is valid, or `evaluations` < 1.
  public static func layoutEvaluationsPerSecond(
    model: ModelSpec, gpu: GPUSpec, cluster: Cluster, config: EngineConfig = EngineConfig(),
    evaluations: Int = 1_000_000
  ) throws -> Measurement {
    guard evaluations >= 1 else { throw CostModelError("evaluations must be at least 1") }
    let clock = ContinuousClock()
    let setupStart = clock.now
    let evaluators = try candidateLayouts(model: model, cluster: cluster).map {
      try LayoutEvaluator(model: model, gpu: gpu, cluster: cluster, layout: $0, config: config)
    }
    let setup = clock.now - setupStart
    guard !evaluators.isEmpty else {
      throw CostModelError("no valid layout of \(model.name) on \(cluster.name)")
    }
    let prompts = [128, 512, 2000, 4096]
    let outputs = [16, 128, 512, 1024]
    let batches = [1, 8, 32, 64]
    var checksum = 0.0
    let start = clock.now
    var layoutIndex = 0
    for index in 0..<evaluations {
      let shape = index % 64
      let summary = try evaluators[layoutIndex].evaluate(
        promptTokens: prompts[shape & 3], outputTokens: outputs[(shape >> 2) & 3], batch: batches[(shape >> 4) & 3])
      checksum += summary.ttftSeconds
      layoutIndex += 1
      if layoutIndex == evaluators.count { layoutIndex = 0 }
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let setupSeconds = Double(setup.components.seconds) + Double(setup.components.attoseconds) * 1e-18
    return Measurement(
      layouts: evaluators.count, setupSeconds: setupSeconds, evaluations: evaluations, seconds: seconds,
      evaluationsPerSecond: seconds > 0 ? Double(evaluations) / seconds : .infinity, checksumSeconds: checksum)
  }
}

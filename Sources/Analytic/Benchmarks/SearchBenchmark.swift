import Foundation
import PlanCore

extension AnalyticBenchmark {
  /// A whole analytic search, as the planner runs it: every candidate layout of `cluster`
  /// prepared (setup included in the time), then for each layout the no-queue predictions and
  /// the queueing model at every rate of `rates`. One evaluation = one (layout, rate) pair.
  public struct SearchMeasurement: Sendable, Hashable, Codable {
    public var clusterGPUs: Int
    public var layouts: Int
    public var fittingLayouts: Int
    public var rates: Int
    public var evaluations: Int
    public var seconds: Double
    public var evaluationsPerSecond: Double
    /// Stable (layout, rate) pairs found, a check that the work was really done.
    public var stableEvaluations: Int
  }

  public static func searchWithLoad(
    model: ModelSpec, gpu: GPUSpec, cluster: Cluster, rates: [Double], promptTokens: Int, outputTokens: Int,
    slo: SLO, config: EngineConfig = EngineConfig()
  ) throws -> SearchMeasurement {
    guard !rates.isEmpty else { throw CostModelError("give at least one rate") }
    let clock = ContinuousClock()
    let start = clock.now
    let layouts = candidateLayouts(model: model, cluster: cluster)
    let comm = CommModel(cluster: cluster, efficiency: gpu.efficiency)
    let services = ServiceModelCache()
    var fitting = 0
    var evaluations = 0
    var stable = 0
    for layout in layouts {
      let evaluator = try LayoutEvaluator(
        model: model, gpu: gpu, cluster: cluster, layout: layout, config: config, comm: comm)
      let summary = try evaluator.evaluate(promptTokens: promptTokens, outputTokens: outputTokens, batch: 1)
      evaluations += rates.count
      guard summary.fits, summary.maxBatch >= 1 else { continue }
      fitting += 1
      let service = try evaluator.serviceModel(
        promptTokens: promptTokens, outputTokens: outputTokens, queueCapacity: nil, cache: services)
      for rate in rates {
        let load = try LoadModel.evaluate(
          rateRequestsPerSecond: rate, replicas: layout.dp, router: .roundRobin, service: service, slo: slo)
        if load.stable { stable += 1 }
      }
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return SearchMeasurement(
      clusterGPUs: cluster.gpuCount, layouts: layouts.count, fittingLayouts: fitting, rates: rates.count,
      evaluations: evaluations, seconds: seconds,
      evaluationsPerSecond: seconds > 0 ? Double(evaluations) / seconds : .infinity, stableEvaluations: stable)
  }
}

extension AnalyticBenchmark {
  /// The mixture-of-experts bench case of `llmplan bench recommend --deepseek-v3`: DeepSeek-V3
  /// (671B, 256 routed experts, MLA) on two 8-GPU H200 nodes (the 2-node DGX H100 cluster file:
  /// an HGX H200 board has the same NVLink 4 NVSwitch and one 400 Gbit/s NIC per GPU) with all
  /// 16 GPUs as budget, so the search spans TP × EP × PP × DP. Chat traffic at 4 req/s, the
  /// default SLO; a short window (the bench times the search and the simulated shortlist).
  public static var deepSeekV3H200Scenario: Scenario {
    Scenario(
      name: "deepseek-v3-h200-bench", model: "deepseek-v3", gpu: "h200-141gb-sxm", cluster: "dgx-h100-2node-ib",
      workload: Workload(
        rateRequestsPerSecond: 4,
        profiles: [
          ClientProfile(name: "chat", prompt: .uniform(low: 500, high: 1500), output: .uniform(low: 100, high: 400))
        ],
        durationSeconds: 60, warmupSeconds: 10, drainSeconds: 30, seed: 1),
      slo: SLO(ttftSeconds: 2, tpotSeconds: 0.1, successRateFloor: 0.95), gpuBudget: 16)
  }
}

import Analytic
import Foundation
import PlanCore

/// Speed on large clusters (for `llmplan bench large-cluster`): a collective over thousands of
/// GPUs and the analytic search of `recommend` with thousands of GPUs as budget, on DGX-like
/// clusters built in code (`Cluster.idealNodes`: 8 GPUs per node on one NVSwitch vertex, one
/// InfiniBand NIC per GPU to one spine).
public enum LargeClusterBenchmark {
  /// One collective over a whole large cluster, with a fresh `CommModel` (nothing memoised).
  public struct CollectiveMeasurement: Sendable, Hashable, Codable {
    public var clusterGPUs: Int
    public var groupGPUs: Int
    public var bytes: Double
    /// Building the cluster graph (not timed below) is excluded; model set-up included.
    public var seconds: Double
    public var algorithm: String
    public var collectiveSeconds: Double
    public var busBytesPerSecond: Double
  }

  /// The analytic half of `recommend` (`Planner.probes` and `analyticRanking`).
  public struct SearchMeasurement: Sendable, Hashable, Codable {
    public var clusterGPUs: Int
    public var gpuBudget: Int
    public var layouts: Int
    /// Seconds to build the cluster graph in code.
    public var buildSeconds: Double
    public var seconds: Double
    public var best: String
  }

  /// A cluster of `gpus` GPUs of type `gpu` in DGX-like 8-GPU nodes.
  public static func cluster(gpu: GPUSpec, gpus: Int) -> Cluster { Cluster.idealNodes(gpu: gpu, gpuCount: gpus) }

  /// Times `collective` over every GPU of a `gpus`-GPU cluster.
  public static func collective(
    _ collective: Collective, gpu: GPUSpec, gpus: Int, bytes: Double
  ) throws -> CollectiveMeasurement {
    let built = cluster(gpu: gpu, gpus: gpus)
    let start = ContinuousClock.now
    let model = CommModel(cluster: built, efficiency: gpu.efficiency)
    let estimate = try model.estimate(collective, bytes: bytes, gpus: Array(0..<built.gpuCount))
    return CollectiveMeasurement(
      clusterGPUs: built.gpuCount, groupGPUs: built.gpuCount, bytes: bytes, seconds: seconds(since: start),
      algorithm: estimate.algorithm, collectiveSeconds: estimate.seconds, busBytesPerSecond: estimate.busBytesPerSecond)
  }

  /// Times the analytic search of `scenario` (its model, GPU, workload and SLO) on a
  /// `gpus`-GPU cluster with `gpuBudget` GPUs to plan.
  public static func search(
    scenario: Scenario, catalog: Catalog, gpus: Int, gpuBudget: Int
  ) throws -> SearchMeasurement {
    var request = try PlanRequest(scenario: scenario, catalog: catalog)
    let buildStart = ContinuousClock.now
    request.cluster = cluster(gpu: request.gpu, gpus: gpus)
    let buildSeconds = seconds(since: buildStart)
    guard gpuBudget >= 1, gpuBudget <= request.cluster.gpuCount else {
      throw PlannerError("a budget of \(gpuBudget) GPUs does not fit a \(request.cluster.gpuCount)-GPU cluster")
    }
    request.gpuBudget = gpuBudget
    request.scenario.gpuBudget = gpuBudget
    let start = ContinuousClock.now
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    return SearchMeasurement(
      clusterGPUs: request.cluster.gpuCount, gpuBudget: gpuBudget, layouts: ranked.count, buildSeconds: buildSeconds,
      seconds: seconds(since: start), best: ranked.first.map { "\($0.layout)" } ?? "none")
  }

  static func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  }
}

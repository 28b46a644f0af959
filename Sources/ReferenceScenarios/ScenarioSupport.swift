import Analytic
import Foundation
import PlanCore
import Planner
import Simulation

/// The hardware and layout of one reference configuration, by catalog name.
struct ReferenceSetup: Sendable {
  var model: String
  /// nil: the cluster's own GPU.
  var gpu: String?
  var cluster: String
  var layout: Layout
  var engine = EngineConfig()

  /// The deployment (analytic evaluator and simulator timings, from the same cost functions).
  func deployment(_ catalog: Catalog) throws -> Deployment {
    let cluster = try catalog.cluster(self.cluster)
    guard let gpuName = gpu ?? cluster.defaultGPU else {
      throw LayoutError("cluster \(self.cluster) names no GPU and the scenario gives none")
    }
    return try Deployment(
      model: try catalog.model(model), gpu: try catalog.gpu(gpuName), cluster: cluster, layout: layout,
      engine: engine)
  }

  var label: String { "\(model) \(layout) on \(cluster)" + (gpu.map { " (\($0))" } ?? "") }
}

/// A workload whose arrival window holds about `measuredRequests` requests after a warm-up.
func referenceWorkload(
  rate: Double, profiles: [ClientProfile], measuredRequests: Int, warmupSeconds: Double, drainSeconds: Double,
  arrival: ArrivalProcess = .poisson
) -> Workload {
  Workload(
    rateRequestsPerSecond: rate, arrival: arrival, profiles: profiles,
    durationSeconds: warmupSeconds + Double(measuredRequests) / rate, warmupSeconds: warmupSeconds,
    drainSeconds: drainSeconds, seed: 1)
}

/// Simulated runs of one deployment and workload, one per seed.
struct SeededRuns {
  var outcomes: [SimulationOutcome]

  var results: [SimulationResult] { outcomes.map(\.result) }

  /// Mean over seeds of a figure; NaN when a run has none (a check on it then fails visibly).
  func mean(_ value: (SimulationResult) -> Double?) -> Double {
    var total = 0.0
    for result in results {
      guard let v = value(result) else { return .nan }
      total += v
    }
    return results.isEmpty ? .nan : total / Double(results.count)
  }

  func minimum(_ value: (SimulationResult) -> Double?) -> Double {
    results.map { value($0) ?? .nan }.min() ?? .nan
  }

  func maximum(_ value: (SimulationResult) -> Double?) -> Double {
    results.map { value($0) ?? .nan }.max() ?? .nan
  }

  /// Runs `workload` once per seed. With `checkInvariants` the engine verifies as it runs that
  /// every sequence passes each stage once per iteration, in order, and that KV blocks balance
  /// (a violation throws); with `recordRequests` each outcome keeps one record per request.
  static func simulate(
    _ deployment: Deployment, workload: Workload, slo: SLO?, router: RouterPolicy = .roundRobin,
    scheduler: ScenarioScheduler = ScenarioScheduler(), seeds: [UInt64], checkInvariants: Bool = false,
    recordRequests: Bool = false
  ) throws -> SeededRuns {
    let options = SimulationOptions(checkInvariants: checkInvariants, recordRequests: recordRequests)
    let config = try deployment.schedulerConfig(scheduler)
    var outcomes: [SimulationOutcome] = []
    for seed in seeds {
      let simulator = try Simulator(
        workload: workload, layout: deployment.layout, placement: deployment.placement, cluster: deployment.cluster,
        timings: deployment.timings, scheduler: config, router: router, slo: slo, seed: seed, options: options)
      outcomes.append(try simulator.runDetailed())
    }
    return SeededRuns(outcomes: outcomes)
  }
}

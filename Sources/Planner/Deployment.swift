import Analytic
import Foundation
import PlanCore
import Simulation

/// One concrete deployment: a model on a cluster's GPUs in a given layout and placement, with
/// the serving engine's settings. It builds, once, everything both halves of LLMPlan need —
/// the analytic evaluator and memory model, and the per-replica iteration timings and
/// scheduler configuration the simulator runs with — so the two always see the same numbers.
public struct Deployment: Sendable {
  public let model: ModelSpec
  public let gpu: GPUSpec
  public let cluster: Cluster
  public let layout: Layout
  public let placement: Placement
  public let engine: EngineConfig
  public let evaluator: LayoutEvaluator
  /// One timing per DP replica (their placements can differ in link speed).
  public let timings: [ReplicaCostModel]

  /// - Throws: `LayoutError` for a layout that cannot exist on the cluster, `CostModelError`
  ///   or `CommError` for unusable specs.
  public init(
    model: ModelSpec, gpu: GPUSpec, cluster: Cluster, layout: Layout, placement: Placement? = nil,
    engine: EngineConfig = EngineConfig(), comm: CommModel? = nil, expertImbalance: Double? = nil
  ) throws {
    let placement = placement ?? Placement.contiguous(layout)
    try engine.validate()
    let comm = comm ?? CommModel(cluster: cluster, efficiency: gpu.efficiency)
    let evaluator = try LayoutEvaluator(
      model: model, gpu: gpu, cluster: cluster, layout: layout, placement: placement, config: engine, comm: comm,
      expertImbalance: expertImbalance)
    // Same cost model as the evaluator's; each replica with its stages' expert-parallel groups.
    let cost = evaluator.cost
    self.timings = try placement.gpus.indices.map {
      try ReplicaCostModel(
        cost: cost, cluster: cluster, stageGPUs: placement.gpus[$0], comm: comm,
        iterationOverhead: engine.overheadLaw(stageGPUs: layout.tp), allReducePolicy: engine.allReduce,
        cudaGraphs: engine.cudaGraphs,
        expertGroupGPUs: ReplicaCostModel.expertGroupGPUs(layout: layout, placement: placement, replica: $0),
        expertImbalanceOverride: expertImbalance)
    }
    self.model = model
    self.gpu = gpu
    self.cluster = cluster
    self.layout = layout
    self.placement = placement
    self.engine = engine
    self.evaluator = evaluator
  }

  public var memory: MemoryModel { evaluator.memory }

  /// The engine settings a scenario's scheduler block implies, laid over the engine profile's
  /// defaults (vLLM's when there is no profile).
  public static func engineConfig(_ scheduler: ScenarioScheduler, profile: EngineProfile? = nil) -> EngineConfig {
    let defaults = profile.map(EngineConfig.init(profile:)) ?? EngineConfig()
    var config = EngineConfig(
      gpuMemoryUtilization: scheduler.gpuMemoryUtilisation ?? defaults.gpuMemoryUtilization,
      blockSizeTokens: scheduler.blockSizeTokens ?? defaults.blockSizeTokens,
      maxBatchedTokens: scheduler.maxNumBatchedTokens ?? defaults.maxBatchedTokens,
      maxSequences: scheduler.maxNumSeqs ?? defaults.maxSequences)
    if let profile { config.apply(profile) }
    config.kvCacheDType = scheduler.kvCacheDType
    return config
  }

  /// The simulator's scheduler: KV blocks from the memory model unless the scenario fixes them.
  public func schedulerConfig(_ overrides: ScenarioScheduler = ScenarioScheduler()) throws -> SchedulerConfig {
    guard memory.fits else {
      throw LayoutError(
        "\(model.name) does not fit \(layout) on \(gpu.name): no memory is left for the KV cache")
    }
    var options = overrides
    options.blockSizeTokens = options.blockSizeTokens ?? engine.blockSizeTokens
    options.maxNumSeqs = options.maxNumSeqs ?? engine.maxSequences
    options.maxNumBatchedTokens = options.maxNumBatchedTokens ?? engine.maxBatchedTokens
    return try SchedulerConfig(options, kvCacheBlocks: memory.kvBlocks)
  }

  /// Replays `workload` through this deployment.
  public func simulate(
    workload: Workload, router: RouterPolicy = .roundRobin, slo: SLO?,
    scheduler: ScenarioScheduler = ScenarioScheduler(),
    seed: UInt64? = nil, options: SimulationOptions = SimulationOptions(), progress: ((Double) -> Void)? = nil
  ) throws -> SimulationResult {
    let simulator = try Simulator(
      workload: workload, layout: layout, placement: placement, cluster: cluster, timings: timings,
      scheduler: try schedulerConfig(scheduler), router: router, slo: slo, seed: seed, options: options)
    return try simulator.run(progress: progress)
  }
}

/// A scenario's names resolved against the catalog.
public struct ResolvedScenario: Sendable {
  public let scenario: Scenario
  public let model: ModelSpec
  public let gpu: GPUSpec
  public let cluster: Cluster
  /// Files read, for the report's provenance table (path → SHA-256 hex).
  public let inputFiles: [String]
  /// The serving-engine profile: the scenario's `engine`, else the catalog's default (`vllm`);
  /// nil only when the scenario names none and the catalog has no default profile.
  public let engineProfile: EngineProfile?

  /// Resolves model, GPU and cluster. Without a cluster, an ideal cluster of 8-GPU NVSwitch
  /// nodes with enough GPUs for `scenario.gpuBudget` (or the layout) is used.
  public init(_ scenario: Scenario, catalog: Catalog) throws {
    self.scenario = scenario
    var files: [String] = []
    let modelFile = try catalog.resolve(scenario.model, kind: .model)
    files.append(modelFile.path)
    model = try catalog.model(scenario.model)
    var clusterSpec: Cluster?
    if let name = scenario.cluster {
      files.append(try catalog.resolve(name, kind: .cluster).path)
      clusterSpec = try catalog.cluster(name)
    }
    guard let gpuName = scenario.gpu ?? clusterSpec?.defaultGPU else {
      throw CatalogError(file: scenario.name, field: "gpu", reason: "missing, and the cluster does not name its GPU")
    }
    files.append(try catalog.resolve(gpuName, kind: .gpu).path)
    gpu = try catalog.gpu(gpuName)
    let wanted = max(scenario.gpuBudget ?? 0, scenario.layout?.totalGPUs ?? 0, 1)
    cluster = clusterSpec ?? Cluster.idealNodes(gpu: gpu, gpuCount: wanted)
    if let trace = scenario.tracePath { files.append(trace) }
    let engine = try catalog.engineProfile(named: scenario.engine)
    if let engine { files.append(try catalog.resolve(scenario.engine ?? engine.name, kind: .engine).path) }
    engineProfile = engine
    inputFiles = files
  }
}

import Analytic
import Foundation
import PlanCore

/// One planning question, fully resolved: the scenario (workload, SLO, router, scheduler), the
/// specs it names, and the planner's settings. `Planner.plan` answers it.
public struct PlanRequest: Sendable {
  public var scenario: Scenario
  public var model: ModelSpec
  public var gpu: GPUSpec
  public var cluster: Cluster
  /// Files the specs and workload came from (catalog files, trace), for the report's provenance.
  public var inputFiles: [String]
  public var engine: EngineConfig
  public var objective: PlanObjective
  public var gpuBudget: Int
  public var slo: SLO
  /// Layouts simulated from the top of the analytic ranking (the best of each layout family,
  /// and for `min-gpus` the fewer-GPU probes, are added to these).
  public var topK: Int
  /// Relative analytic-vs-simulated difference above which a gap is flagged.
  public var gapThreshold: Double
  /// Search the simulated maximum sustainable rate of every shortlisted layout (a few more
  /// simulations each). Off: the gap table has no simulated max rate.
  public var searchSimulatedMaxRate: Bool
  /// How `vllm serve` should name the model (a Hugging Face id or a path).
  public var servedModel: String
  /// The GPU's hourly price: `--price` (`priceOverrides`), else the scenario's `prices:`, else
  /// the GPU file's `price`; nil when none is known (costs are then not reported, never zero).
  public var price: HourlyPrice?
  /// Simulate the shortlisted layouts concurrently (the default); off: one after another, as
  /// before, for `llmplan bench recommend` to measure the difference. The plan is the same.
  public var simulateShortlistConcurrently = true
  /// A measured expert load imbalance replacing the closed form (`scenario.expertImbalance`,
  /// `--expert-imbalance`); nil: the closed form of `ExpertImbalance`.
  public var expertImbalance: Double? { scenario.expertImbalance }

  /// The SLO used when neither the scenario nor the command line gives one.
  public static let defaultSLO = SLO(ttftSeconds: 2, tpotSeconds: 0.1, successRateFloor: 0.95)
  public static let defaultTopK = 3
  public static let defaultGapThreshold = 0.15
  /// GPUs planned for when there is no budget and no cluster (one 8-GPU node).
  public static let defaultGPUBudget = 8

  /// Builds the request a scenario asks for; arguments that are not nil override it.
  ///
  /// - Engine: the scenario's scheduler settings over its engine profile (`Deployment.engineConfig`).
  /// - Objective: the argument, else the scenario's, else `goodput-per-gpu`.
  /// - GPU budget: the argument, else the scenario's, else every GPU of the named cluster,
  ///   else `defaultGPUBudget` (the built-in ideal cluster is then sized to it).
  /// - Throws: `PlannerError` for an unknown objective, a budget the cluster cannot hold, a
  ///   non-positive top-K or threshold; `ContextWindowError` when a request can be longer than
  ///   the model's context window; catalog errors from resolving the scenario.
  public init(
    scenario: Scenario, catalog: Catalog, objective: PlanObjective? = nil, gpuBudget: Int? = nil, slo: SLO? = nil,
    engine: EngineConfig? = nil, topK: Int = PlanRequest.defaultTopK,
    gapThreshold: Double = PlanRequest.defaultGapThreshold, searchSimulatedMaxRate: Bool = true,
    priceOverrides: [String: Double] = [:]
  ) throws {
    var scenario = scenario
    if let gpuBudget { scenario.gpuBudget = gpuBudget }
    if scenario.cluster == nil, scenario.gpuBudget == nil { scenario.gpuBudget = PlanRequest.defaultGPUBudget }
    let resolved = try ResolvedScenario(scenario, catalog: catalog)
    try scenario.workload.checkContextWindow(
      model: resolved.model, source: .scenarioFile(scenario.name), tracePath: scenario.tracePath)
    self.scenario = scenario
    model = resolved.model
    gpu = resolved.gpu
    cluster = resolved.cluster
    inputFiles = resolved.inputFiles
    self.engine = engine ?? Deployment.engineConfig(scenario.scheduler, profile: resolved.engineProfile)
    if let objective {
      self.objective = objective
    } else if let written = scenario.objective {
      self.objective = try PlanObjective.parse(written)
    } else {
      self.objective = .goodputPerGPU
    }
    self.gpuBudget = scenario.gpuBudget ?? resolved.cluster.gpuCount
    self.slo = slo ?? scenario.slo ?? PlanRequest.defaultSLO
    guard topK >= 1 else { throw PlannerError("top-K must be at least 1 (got \(topK))") }
    guard gapThreshold > 0, gapThreshold.isFinite else {
      throw PlannerError("the gap threshold must be a positive fraction (got \(gapThreshold))")
    }
    guard self.gpuBudget >= 1, self.gpuBudget <= cluster.gpuCount else {
      throw PlannerError(
        "a budget of \(self.gpuBudget) GPUs does not fit cluster \(cluster.name) (\(cluster.gpuCount) GPUs)")
    }
    guard scenario.workload.trace != nil || scenario.workload.rateRequestsPerSecond > 0 else {
      throw PlannerError("the workload needs a positive request rate")
    }
    self.topK = topK
    self.gapThreshold = gapThreshold
    self.searchSimulatedMaxRate = searchSimulatedMaxRate
    servedModel = PlanRequest.servedModelName(scenario.model, catalog: catalog, model: resolved.model)
    price = HourlyPrice.resolve(
      gpu: resolved.gpu, reference: scenario.gpu ?? resolved.gpu.name, flags: priceOverrides,
      scenario: scenario.prices)
    if self.objective == .minCost, price == nil {
      throw PlannerError(HourlyPrice.missingMessage(gpu: resolved.gpu.name, objective: .minCost))
    }
    // fp8 weights on a GPU without fp8 tensor cores: refused here, in one line, before any search.
    try PrecisionOptions.check(self, field: "--weight-dtype (precision.weights)")
  }

  /// Mean request shape the analytic model evaluates (whole tokens, at least 1).
  public var meanPromptTokens: Int { max(1, Int(scenario.workload.meanPromptTokens.rounded())) }
  public var meanOutputTokens: Int { max(1, Int(scenario.workload.meanOutputTokens.rounded())) }

  /// The Hugging Face id a catalog model's `llmplan.source` names ("config.json of
  /// OWNER/NAME"), else the directory of a config.json given by path, else the catalog name.
  static func servedModelName(_ reference: String, catalog: Catalog, model: ModelSpec) -> String {
    if let path = try? catalog.resolve(reference, kind: .model).path,
      let reader = try? DataFile.read(path),
      let block = reader.object["llmplan"] as? [String: Any],
      let source = block["source"] as? String,
      let range = source.range(of: "config.json of ")
    {
      let rest = source[range.upperBound...]
      let id = rest.prefix { $0.isLetter || $0.isNumber || "-_./".contains($0) }
      let trimmed = id.hasSuffix(".") ? String(id.dropLast()) : String(id)
      if trimmed.contains("/") { return trimmed }
    }
    if Catalog.isFilePath(reference) {
      // vLLM takes the directory of a config.json checkout (kept as written: no absolute path).
      return reference.hasSuffix("/config.json") ? String(reference.dropLast("/config.json".count)) : reference
    }
    return model.name
  }
}

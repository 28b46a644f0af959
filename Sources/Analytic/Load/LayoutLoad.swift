import Foundation
import PlanCore

/// Joins the cost model's per-layout predictions to the queueing `LoadModel`: what a layout
/// does under a given request rate.
extension LayoutEvaluator {
  /// The queueing input of one replica for requests of `promptTokens` + `outputTokens`.
  ///
  /// - Parameter queueCapacity: waiting requests per replica before rejection (`nil`:
  ///   unbounded, vLLM's default).
  /// - Throws: `LoadModelError` when not even one sequence fits in the KV cache.
  public func serviceModel(promptTokens: Int, outputTokens: Int, queueCapacity: Int?) throws -> ReplicaServiceModel {
    let inputs = try loadInputs(promptTokens: promptTokens, outputTokens: outputTokens)
    guard inputs.maxConcurrentSequences >= 1 else {
      throw LoadModelError(
        "no sequence of \(promptTokens + outputTokens) tokens fits in the KV cache left after the weights: the layout cannot serve this workload"
      )
    }
    return try ReplicaServiceModel(
      maxConcurrentSequences: inputs.maxConcurrentSequences, prefillSeconds: inputs.prefillSeconds,
      decodeStepSecondsByBatch: inputs.decodeIterationSeconds, meanOutputTokens: Double(max(outputTokens, 1)),
      queueCapacity: queueCapacity, prefillOccupancySecondsByBatch: inputs.prefillOccupancySeconds,
      admissionPrefillSeconds: inputs.admissionPrefillSeconds,
      admissionDecodeSecondsByBatch: inputs.admissionDecodeSeconds)
  }

  /// Latency, blocking and success under `rateRequestsPerSecond` spread over the layout's
  /// replicas by `router`. An arrival rate at or above capacity comes back `unstable`.
  public func underLoad(
    rateRequestsPerSecond: Double, promptTokens: Int, outputTokens: Int, slo: SLO,
    router: RouterPolicy = .roundRobin, arrivals: ArrivalProcess = .poisson, queueCapacity: Int? = nil
  ) throws -> LoadPrediction {
    let service = try serviceModel(promptTokens: promptTokens, outputTokens: outputTokens, queueCapacity: queueCapacity)
    return try LoadModel.evaluate(
      rateRequestsPerSecond: rateRequestsPerSecond, replicas: layout.dp, router: router, service: service, slo: slo,
      arrivals: arrivals)
  }
}

/// Memo of replica service models across the layouts of one search. Layouts that differ only
/// in DP (on a symmetric cluster) have identical replicas, hence identical queueing inputs:
/// building the decode table once per replica shape instead of once per layout is what keeps
/// a 1,024-GPU search fast. Entries match on the replica's timing (stage layers, collective
/// curves, cost model) and the engine settings, never on GPU indices.
public final class ServiceModelCache: @unchecked Sendable {
  struct Key: Hashable {
    var tp: Int
    var pp: Int
    var promptTokens: Int
    var outputTokens: Int
    var queueCapacity: Int?
    var config: EngineConfig
  }

  private let lock = NSLock()
  private var entries: [Key: [(ReplicaCostModel, ReplicaServiceModel)]] = [:]

  public init() {}

  func lookup(_ key: Key, replica: ReplicaCostModel) -> ReplicaServiceModel? {
    lock.lock()
    defer { lock.unlock() }
    return entries[key]?.first(where: { $0.0.hasSameTiming(as: replica) })?.1
  }

  func store(_ service: ReplicaServiceModel, key: Key, replica: ReplicaCostModel) {
    lock.lock()
    defer { lock.unlock() }
    entries[key, default: []].append((replica, service))
  }
}

extension LayoutEvaluator {
  /// `serviceModel(promptTokens:outputTokens:queueCapacity:)` through a memo shared by a search.
  public func serviceModel(
    promptTokens: Int, outputTokens: Int, queueCapacity: Int?, cache: ServiceModelCache
  ) throws -> ReplicaServiceModel {
    // Only a layout whose replicas all time alike can reuse another's table.
    guard replicas.count == 1 else {
      return try serviceModel(promptTokens: promptTokens, outputTokens: outputTokens, queueCapacity: queueCapacity)
    }
    let key = ServiceModelCache.Key(
      tp: layout.tp, pp: layout.pp, promptTokens: promptTokens, outputTokens: outputTokens,
      queueCapacity: queueCapacity, config: config)
    if let cached = cache.lookup(key, replica: replicas[0]) { return cached }
    let service = try serviceModel(promptTokens: promptTokens, outputTokens: outputTokens, queueCapacity: queueCapacity)
    cache.store(service, key: key, replica: replicas[0])
    return service
  }
}

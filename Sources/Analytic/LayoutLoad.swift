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
        "no sequence of \(promptTokens + outputTokens) tokens fits in the KV cache left after the weights: the layout cannot serve this workload")
    }
    return try ReplicaServiceModel(
      maxConcurrentSequences: inputs.maxConcurrentSequences, prefillSeconds: inputs.prefillSeconds,
      decodeStepSecondsByBatch: inputs.decodeIterationSeconds, meanOutputTokens: Double(max(outputTokens, 1)),
      queueCapacity: queueCapacity)
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

import Analytic
import PlanCore

/// The analytic load model's answer for one layout at one rate, flattened for reports: every
/// steady-state figure is nil (null in JSON) when the layout is unstable at that rate, so no
/// average of a queue that never settles can reach a report.
public struct LoadFigures: Sendable, Hashable, Codable {
  public var rateRequestsPerSecond: Double
  /// dp · μ(B): completions per second with every batch full.
  public var capacityRequestsPerSecond: Double
  /// rate / capacity.
  public var utilisation: Double
  public var stable: Bool
  public var ttftP50Seconds: Double?
  public var ttftP90Seconds: Double?
  /// Mean TPOT under load (the load model has no TPOT distribution).
  public var tpotMeanSeconds: Double?
  public var successRate: Double?
  /// min(1, capacity / rate): no layout succeeds for more arrivals than it can complete.
  public var successRateUpperBound: Double
  public var goodputRequestsPerSecond: Double?
  public var outputTokensPerSecond: Double?
  public var blockingProbability: Double?
  public var meanBatchSizePerReplica: Double?
  /// TTFT quantiles and success are over the workload's prompt-length mix (`PromptMix`);
  /// false: over the mean prompt, as the load model gives them.
  public var ttftOverPromptMix: Bool

  public init(_ load: LoadPrediction) {
    rateRequestsPerSecond = load.arrivalRateRequestsPerSecond
    capacityRequestsPerSecond = load.capacityRequestsPerSecond
    utilisation = load.utilisation
    stable = load.stable
    successRateUpperBound = load.successRateUpperBound
    let steady = load.steadyState
    ttftP50Seconds = steady?.ttftP50Seconds
    ttftP90Seconds = steady?.ttftP90Seconds
    tpotMeanSeconds = steady?.tpotMeanSeconds
    successRate = steady?.successRate
    goodputRequestsPerSecond = steady?.goodputRequestsPerSecond
    outputTokensPerSecond = steady?.outputTokensPerSecond
    blockingProbability = steady?.blockingProbability
    meanBatchSizePerReplica = steady?.meanBatchSizePerReplica
    ttftOverPromptMix = false
  }

  /// Success rate when stable, else the upper bound: what the layout can at best achieve.
  public var achievableSuccessRate: Double { successRate ?? successRateUpperBound }

  /// Success rate in the long run: the steady-state value when stable, 0 when unstable (the
  /// queue grows without bound, so in the long run every request waits past any TTFT bound).
  public var longRunSuccessRate: Double { successRate ?? 0 }

  enum CodingKeys: String, CodingKey {
    case rateRequestsPerSecond, capacityRequestsPerSecond, utilisation, stable, ttftP50Seconds, ttftP90Seconds,
      tpotMeanSeconds, successRate, successRateUpperBound, goodputRequestsPerSecond, outputTokensPerSecond,
      blockingProbability, meanBatchSizePerReplica, ttftOverPromptMix
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(rateRequestsPerSecond, forKey: .rateRequestsPerSecond)
    try c.encode(capacityRequestsPerSecond, forKey: .capacityRequestsPerSecond)
    try c.encode(utilisation, forKey: .utilisation)
    try c.encode(stable, forKey: .stable)
    try c.encode(ttftP50Seconds, forKey: .ttftP50Seconds)
    try c.encode(ttftP90Seconds, forKey: .ttftP90Seconds)
    try c.encode(tpotMeanSeconds, forKey: .tpotMeanSeconds)
    try c.encode(successRate, forKey: .successRate)
    try c.encode(successRateUpperBound, forKey: .successRateUpperBound)
    try c.encode(goodputRequestsPerSecond, forKey: .goodputRequestsPerSecond)
    try c.encode(outputTokensPerSecond, forKey: .outputTokensPerSecond)
    try c.encode(blockingProbability, forKey: .blockingProbability)
    try c.encode(meanBatchSizePerReplica, forKey: .meanBatchSizePerReplica)
    try c.encode(ttftOverPromptMix, forKey: .ttftOverPromptMix)
  }
}

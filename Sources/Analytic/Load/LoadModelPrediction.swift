import PlanCore

/// Why a load prediction carries no steady-state figures.
public enum UnstableReason: String, Sendable, Codable {
  /// λ ≥ the deployment's capacity (dp · μ(B)): the queue grows for as long as the traffic
  /// lasts, so waiting times, TTFT and success rate have no steady-state value.
  case arrivalRateAtOrAboveCapacity
}

/// Whether the deployment settles under the offered load.
public enum LoadVerdict: Sendable, Hashable, Codable, CustomStringConvertible {
  case stable
  case unstable(UnstableReason)

  private enum CodingKeys: String, CodingKey { case status, reason }

  /// JSON: `{"status": "stable"}` or `{"status": "unstable", "reason": "…"}`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .stable:
      try container.encode("stable", forKey: .status)
    case .unstable(let reason):
      try container.encode("unstable", forKey: .status)
      try container.encode(reason, forKey: .reason)
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    switch try container.decode(String.self, forKey: .status) {
    case "stable": self = .stable
    case "unstable": self = .unstable(try container.decode(UnstableReason.self, forKey: .reason))
    case let other:
      throw DecodingError.dataCorruptedError(
        forKey: .status, in: container, debugDescription: "unknown verdict \(other)")
    }
  }

  public var description: String {
    switch self {
    case .stable: return "stable"
    case .unstable(.arrivalRateAtOrAboveCapacity): return "unstable: arrival rate at or above capacity"
    }
  }
}

/// The arrival process the chain was built with.
public enum ChainArrivalModel: String, Sendable, Codable {
  /// Exponential gaps (also used, conservatively, for processes more regular than Poisson).
  case poisson
  /// Two-phase hyperexponential gaps with the workload's coefficient of variation (> 1).
  case hyperexponential
}

/// Steady-state figures of a stable deployment (whole deployment unless the name says
/// otherwise). Only a stable prediction has one, so no average of a system that never settles
/// can reach a report.
public struct LoadSteadyState: Sendable, Hashable, Codable {
  /// Fraction of arrivals turned away because a replica's queue is full.
  public var blockingProbability: Double
  /// Admitted (= completed) requests per second.
  public var throughputRequestsPerSecond: Double
  /// Output tokens per second: throughput × mean output tokens.
  public var outputTokensPerSecond: Double
  /// Time-average requests in the system (running + waiting), all replicas.
  public var meanRequestsInSystem: Double
  /// Time-average requests in the running batches, all replicas.
  public var meanRunningRequests: Double
  /// Time-average requests waiting for a batch slot, all replicas.
  public var meanWaitingRequests: Double
  /// Time-average running batch of one replica.
  public var meanBatchSizePerReplica: Double
  /// P(an admitted request has to wait for a batch slot).
  public var waitingProbability: Double
  public var waitingMeanSeconds: Double
  public var waitingP50Seconds: Double
  public var waitingP90Seconds: Double
  /// P(an admitted request finds a free slot but waits for the engine: the running
  /// iteration's end and the prompts ahead of it; `LoadModel.admissionWait`).
  public var admissionWaitProbability: Double
  /// That wait's mean over all admitted requests (0 for those that do not wait), seconds.
  public var admissionWaitMeanSeconds: Double
  /// TTFT = wait for a slot or for the engine + prefill of the mean prompt. `waiting*` above are
  /// the slot wait alone.
  public var ttftMeanSeconds: Double
  public var ttftP50Seconds: Double
  public var ttftP90Seconds: Double
  /// Mean TPOT under load; nil when requests have no decode tokens (mean output 1).
  public var tpotMeanSeconds: Double?
  /// P(TTFT ≤ slo.ttft) for an admitted request.
  public var ttftWithinSLOProbability: Double
  /// Whether the mean TPOT under load meets slo.tpot.
  public var tpotWithinSLO: Bool
  /// P(TPOT ≤ slo.tpot) for an admitted request of the mean size: its decode steps plus the
  /// prefill stalls of the prompts admitted while it decodes, a generalized Poisson count
  /// (`LoadModel.tpotWithinSLOProbability`). 1 when requests have no decode tokens.
  public var tpotWithinSLOProbability: Double
  /// P(admitted) × P(TTFT ≤ slo.ttft) × P(TPOT ≤ slo.tpot) (TTFT and TPOT taken as independent).
  public var successRate: Double
  /// Arrival rate × success rate, requests per second.
  public var goodputRequestsPerSecond: Double
  /// States of the chain the solver handled explicitly.
  public var chainStatesSolved: Int
}

/// The load model's answer for one deployment and one arrival rate.
public struct LoadPrediction: Sendable, Hashable, Codable {
  /// λ offered to the whole deployment, requests per second.
  public var arrivalRateRequestsPerSecond: Double
  public var replicas: Int
  public var router: RouterPolicy
  /// λ / dp: the mean share of one replica.
  public var perReplicaArrivalRateRequestsPerSecond: Double
  public var arrivalModel: ChainArrivalModel
  /// Coefficient of variation of the gaps the chain was fed (1 for Poisson).
  public var chainArrivalCoefficientOfVariation: Double
  /// dp · μ(B): completions per second with every batch full.
  public var capacityRequestsPerSecond: Double
  /// λ / capacity (offered load; ≥ 1 means unstable).
  public var utilisation: Double
  public var verdict: LoadVerdict
  /// min(1, capacity / λ): no deployment completes more than its capacity, so at most this
  /// fraction of arrivals can succeed. A bound, not a prediction; useful when unstable.
  public var successRateUpperBound: Double
  /// Steady state; nil exactly when the verdict is unstable.
  public var steadyState: LoadSteadyState?
  /// How the chain was solved; nil when no chain was solved (unstable).
  public var solver: ChainSolver?

  public var stable: Bool { steadyState != nil }
}

import Foundation

/// A distribution of token counts (prompt or output lengths). All values are whole tokens ≥ 1.
public enum LengthDistribution: Sendable, Hashable, Codable, CustomStringConvertible {
  case fixed(Int)
  /// Uniform on the integers `low...high`.
  case uniform(low: Int, high: Int)
  /// Normal, rounded and clipped to `min...max`.
  case normal(mean: Double, standardDeviation: Double, min: Int, max: Int)
  /// Log-normal with the given median and σ of the underlying normal, clipped to `min...max`.
  case logNormal(median: Double, sigma: Double, min: Int, max: Int)
  /// The lengths observed in a trace, sampled uniformly.
  case empirical([Int])

  /// Mean length (exact for fixed/uniform/empirical; the unclipped mean otherwise, which the
  /// clipping changes little for sensible bounds).
  public var mean: Double {
    switch self {
    case .fixed(let n): return Double(n)
    case .uniform(let low, let high): return Double(low + high) / 2
    case .normal(let mean, _, let lo, let hi): return Swift.min(Swift.max(mean, Double(lo)), Double(hi))
    case .logNormal(let median, let sigma, let lo, let hi):
      return Swift.min(Swift.max(median * exp(sigma * sigma / 2), Double(lo)), Double(hi))
    case .empirical(let values): return values.isEmpty ? 0 : Double(values.reduce(0, +)) / Double(values.count)
    }
  }

  /// Largest length the distribution can produce.
  public var maximum: Int {
    switch self {
    case .fixed(let n): return n
    case .uniform(_, let high): return high
    case .normal(_, _, _, let hi), .logNormal(_, _, _, let hi): return hi
    case .empirical(let values): return values.max() ?? 0
    }
  }

  public var description: String {
    switch self {
    case .fixed(let n): return "\(n)"
    case .uniform(let low, let high): return "\(low)–\(high)"
    case .normal(let mean, let sd, let lo, let hi): return "normal(\(mean), σ=\(sd)) in \(lo)–\(hi)"
    case .logNormal(let median, let sigma, let lo, let hi):
      return "lognormal(median \(median), σ=\(sigma)) in \(lo)–\(hi)"
    case .empirical(let values): return "trace (\(values.count) values)"
    }
  }
}

/// How requests arrive.
public enum ArrivalProcess: Sendable, Hashable, Codable, CustomStringConvertible {
  case poisson
  /// Gamma-distributed gaps with the given coefficient of variation (> 1 is burstier than Poisson).
  case gamma(coefficientOfVariation: Double)
  /// Exactly evenly spaced.
  case constant
  /// Arrival times taken from a trace.
  case trace

  public var description: String {
    switch self {
    case .poisson: return "Poisson"
    case .gamma(let cv): return "Gamma (CV \(cv))"
    case .constant: return "constant"
    case .trace: return "trace"
    }
  }
}

/// One class of clients: its share of the traffic and its request shape.
public struct ClientProfile: Sendable, Hashable, Codable {
  public var name: String
  /// Relative weight of this profile in the request mix (normalised over all profiles).
  public var weight: Double
  public var prompt: LengthDistribution
  public var output: LengthDistribution

  public init(name: String, weight: Double = 1, prompt: LengthDistribution, output: LengthDistribution) {
    self.name = name
    self.weight = weight
    self.prompt = prompt
    self.output = output
  }
}

/// One request of a trace: arrival time (s from start), prompt and output tokens.
public struct TraceRequest: Sendable, Hashable, Codable {
  public var arrivalSeconds: Double
  public var promptTokens: Int
  public var outputTokens: Int
  public init(arrivalSeconds: Double, promptTokens: Int, outputTokens: Int) {
    self.arrivalSeconds = arrivalSeconds
    self.promptTokens = promptTokens
    self.outputTokens = outputTokens
  }
}

/// The traffic a deployment must serve.
public struct Workload: Sendable, Hashable, Codable {
  public var rateRequestsPerSecond: Double
  public var arrival: ArrivalProcess
  public var profiles: [ClientProfile]
  /// Length of the arrival window, seconds.
  public var durationSeconds: Double
  /// Leading part of the window excluded from the metrics, seconds.
  public var warmupSeconds: Double
  /// How long after the last arrival the run may continue to finish requests, seconds.
  public var drainSeconds: Double
  public var seed: UInt64
  /// Requests of a trace, when the workload replays one.
  public var trace: [TraceRequest]?

  public init(
    rateRequestsPerSecond: Double, arrival: ArrivalProcess = .poisson, profiles: [ClientProfile],
    durationSeconds: Double = 300, warmupSeconds: Double = 0, drainSeconds: Double = 120, seed: UInt64 = 1,
    trace: [TraceRequest]? = nil
  ) {
    self.rateRequestsPerSecond = rateRequestsPerSecond
    self.arrival = arrival
    self.profiles = profiles
    self.durationSeconds = durationSeconds
    self.warmupSeconds = warmupSeconds
    self.drainSeconds = drainSeconds
    self.seed = seed
    self.trace = trace
  }

  /// Weights normalised to sum to one.
  public var profileShares: [Double] {
    let total = profiles.reduce(0) { $0 + $1.weight }
    return profiles.map { total > 0 ? $0.weight / total : 0 }
  }

  /// Mean prompt tokens over the mix (or the trace).
  public var meanPromptTokens: Double {
    if let trace, !trace.isEmpty { return Double(trace.reduce(0) { $0 + $1.promptTokens }) / Double(trace.count) }
    return zip(profiles, profileShares).reduce(0) { $0 + $1.0.prompt.mean * $1.1 }
  }

  /// Mean output tokens over the mix (or the trace).
  public var meanOutputTokens: Double {
    if let trace, !trace.isEmpty { return Double(trace.reduce(0) { $0 + $1.outputTokens }) / Double(trace.count) }
    return zip(profiles, profileShares).reduce(0) { $0 + $1.0.output.mean * $1.1 }
  }

  /// Longest prompt + output any request can have.
  public var maximumSequenceTokens: Int {
    if let trace, !trace.isEmpty { return trace.map { $0.promptTokens + $0.outputTokens }.max() ?? 0 }
    return profiles.map { $0.prompt.maximum + $0.output.maximum }.max() ?? 0
  }
}

/// Service-level objective. A request succeeds when admitted, finished before the drain
/// limit, and within both latency bounds (docs/METRICS.md, "Per run").
public struct SLO: Sendable, Hashable, Codable {
  public var ttftSeconds: Double
  public var tpotSeconds: Double
  /// Required fraction of arrivals that succeed (e.g. 0.99).
  public var successRateFloor: Double

  public init(ttftSeconds: Double, tpotSeconds: Double, successRateFloor: Double = 0.95) {
    self.ttftSeconds = ttftSeconds
    self.tpotSeconds = tpotSeconds
    self.successRateFloor = successRateFloor
  }
}

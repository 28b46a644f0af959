import Foundation
import PlanCore
import Simulation

/// 95 % confidence intervals of the figures the gap table compares, from independent
/// replications of one simulated point (`Replications`): the same workload, rate and window
/// with `replications` seeds derived from the scenario's seed. A single run's figure carries
/// the noise of its own arrivals and lengths (at 3 req/s over a 45 s window the request count
/// alone has a relative standard deviation of 1/√135 ≈ 8.6 %); the interval says how far
/// the window's expected value can be from the run's figure.
public struct SimulatedIntervals: Sendable, Hashable, Codable {
  /// How the intervals were obtained, for readers of the JSON.
  public var method: String
  public var replications: Int
  /// The seeds, replication 0 first (the scenario's own seed).
  public var seeds: [UInt64]
  public var ttftP50Seconds: ConfidenceInterval?
  public var ttftP90Seconds: ConfidenceInterval?
  public var tpotMeanSeconds: ConfidenceInterval?
  public var outputTokensPerSecond: ConfidenceInterval?
  public var successRate: ConfidenceInterval?

  public static let methodDescription =
    "independent replications: mean ± t(0.975, n−1)·s/√n over n runs with seeds derived from the scenario seed"

  public init(_ results: [SimulationResult], seeds: [UInt64]) {
    method = SimulatedIntervals.methodDescription
    replications = results.count
    self.seeds = seeds
    ttftP50Seconds = ConfidenceInterval(results.compactMap { $0.ttftSeconds?.p50 })
    ttftP90Seconds = ConfidenceInterval(results.compactMap { $0.ttftSeconds?.p90 })
    tpotMeanSeconds = ConfidenceInterval(results.compactMap { $0.tpotSeconds?.mean })
    outputTokensPerSecond = ConfidenceInterval(results.compactMap(\.outputTokensPerSecond))
    successRate = ConfidenceInterval(results.compactMap(\.successRate), range: 0...1)
  }

  /// The interval of a gap metric (nil for the maximum rate, which is bracketed instead).
  public func interval(_ metric: GapMetric) -> ConfidenceInterval? {
    switch metric {
    case .ttftP50: return ttftP50Seconds
    case .ttftP90: return ttftP90Seconds
    case .tpotMean: return tpotMeanSeconds
    case .throughput: return outputTokensPerSecond
    case .successRate: return successRate
    case .maxSustainableRate: return nil
    }
  }

  enum CodingKeys: String, CodingKey {
    case method, replications, seeds, ttftP50Seconds, ttftP90Seconds, tpotMeanSeconds, outputTokensPerSecond,
      successRate
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(method, forKey: .method)
    try c.encode(replications, forKey: .replications)
    try c.encode(seeds, forKey: .seeds)
    try c.encode(ttftP50Seconds, forKey: .ttftP50Seconds)
    try c.encode(ttftP90Seconds, forKey: .ttftP90Seconds)
    try c.encode(tpotMeanSeconds, forKey: .tpotMeanSeconds)
    try c.encode(outputTokensPerSecond, forKey: .outputTokensPerSecond)
    try c.encode(successRate, forKey: .successRate)
  }
}

/// One simulated point with its replications.
public struct ReplicatedSimulation: Sendable {
  /// Replication 0, run with the scenario's seed: the run `simulate` makes, whose SLO verdict
  /// the plan reports.
  public var primary: SimulationResult
  /// Nil when only one run was made (one replication, or a trace, whose replay is the same
  /// for every seed).
  public var intervals: SimulatedIntervals?
}

extension SimulationRunner {
  /// The workload at `rate` with `seed` (a trace replays its own arrivals).
  func run(rate: Double, seed: UInt64, progress: ((Double) -> Void)?) throws -> SimulationResult {
    var workload = request.scenario.workload
    if workload.trace == nil { workload.rateRequestsPerSecond = rate }
    return try deployment.simulate(
      workload: workload, router: request.scenario.router, slo: request.slo, scheduler: request.scenario.scheduler,
      seed: seed, progress: progress)
  }

  /// `replications` runs at each rate, all of them concurrently; a trace workload is run once
  /// per rate (its replay does not depend on the seed). `progress` receives the fraction of
  /// runs finished, one call at a time.
  public func runReplicated(
    rates: [Double], replications: Int = Replications.defaultCount, progress: ((Double) -> Void)? = nil
  ) throws -> [ReplicatedSimulation] {
    let perRate = request.scenario.workload.trace == nil ? max(replications, 1) : 1
    let base = request.scenario.workload.seed
    let seeds = (0..<perRate).map { Replications.seed(base: base, replication: $0) }
    let total = rates.count * perRate
    let lock = NSLock()
    var finished = 0
    let results = try Replications.concurrentMap(count: total) { index in
      let result = try run(rate: rates[index / perRate], seed: seeds[index % perRate], progress: nil)
      if let progress {
        lock.withLock {
          finished += 1
          progress(Double(finished) / Double(total))
        }
      }
      return result
    }
    return rates.indices.map { rateIndex in
      let runs = Array(results[(rateIndex * perRate)..<((rateIndex + 1) * perRate)])
      return ReplicatedSimulation(
        primary: runs[0], intervals: perRate > 1 ? SimulatedIntervals(runs, seeds: seeds) : nil)
    }
  }

  /// `replications` runs at one rate, concurrently.
  public func runReplicated(
    rate: Double, replications: Int = Replications.defaultCount, progress: ((Double) -> Void)? = nil
  ) throws -> ReplicatedSimulation {
    try runReplicated(rates: [rate], replications: replications, progress: progress)[0]
  }
}

import Analytic
import Foundation
import PlanCore
import Simulation

/// A shortlisted disaggregated layout after simulation at the target rate.
public struct SimulatedDisaggregatedCandidate: Sendable, Hashable, Codable {
  public var layout: DisaggregatedLayout
  public var gpus: Int
  public var analyticRank: Int
  /// Replication 0 (the scenario's seed).
  public var result: SimulationResult
  public var intervals: SimulatedIntervals?
  public var meetsSLO: Bool
  public var reasons: [String]
  public var maxSustainableRate: SimulatedRateBound?
  /// Analytic vs simulated, metric by metric, as for aggregated layouts.
  public var gap: [GapRow]
  /// KV bytes the run moved per handed-over request (nil: none handed over).
  public var transferredBytesPerRequest: Double?

  enum CodingKeys: String, CodingKey {
    case layout, gpus, analyticRank, result, intervals, meetsSLO, reasons, maxSustainableRate, gap,
      transferredBytesPerRequest
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(layout, forKey: .layout)
    try c.encode(gpus, forKey: .gpus)
    try c.encode(analyticRank, forKey: .analyticRank)
    try c.encode(result, forKey: .result)
    try c.encode(intervals, forKey: .intervals)
    try c.encode(meetsSLO, forKey: .meetsSLO)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(maxSustainableRate, forKey: .maxSustainableRate)
    try c.encode(gap, forKey: .gap)
    try c.encode(transferredBytesPerRequest, forKey: .transferredBytesPerRequest)
  }

  public var flagged: Bool { gap.contains(where: \.flagged) }
}

/// Runs the disaggregated simulator (`DisaggregatedSimulator`) for one layout of a request.
public struct DisaggregatedSimulationRunner: Sendable {
  public let request: PlanRequest
  public let candidate: DisaggregatedCandidate
  let prefill: Deployment
  let decode: Deployment
  let route: KVTransferRoute
  let kvBytesPerToken: Double

  public init(request: PlanRequest, candidate: DisaggregatedCandidate) throws {
    self.request = request
    self.candidate = candidate
    prefill = try Deployment(
      model: request.model, gpu: request.gpu, cluster: request.cluster, layout: candidate.layout.prefill,
      placement: candidate.prefillPlacement, engine: request.engine)
    decode = try Deployment(
      model: request.model, gpu: request.gpu, cluster: request.cluster, layout: candidate.layout.decode,
      placement: candidate.decodePlacement, engine: request.engine)
    route = try KVTransferRoute(
      cluster: request.cluster, prefillPlacement: candidate.prefillPlacement,
      decodePlacement: candidate.decodePlacement)
    kvBytesPerToken = KVTransferCost.kvBytesPerToken(model: request.model, kvCacheDType: request.engine.kvCacheDType)
  }

  /// The scenario's workload at `rate` (a trace replays its own arrivals), with `seed`.
  public func run(rate: Double, seed: UInt64? = nil) throws -> DisaggregatedOutcome {
    var workload = request.scenario.workload
    if workload.trace == nil { workload.rateRequestsPerSecond = rate }
    var options = SimulationOptions()
    options.recordRequests = false
    let simulator = try DisaggregatedSimulator(
      workload: workload, layout: candidate.layout, prefillPlacement: candidate.prefillPlacement,
      decodePlacement: candidate.decodePlacement, cluster: request.cluster, prefillTimings: prefill.timings,
      decodeTimings: decode.timings, prefillScheduler: try prefill.schedulerConfig(request.scenario.scheduler),
      decodeScheduler: try decode.schedulerConfig(request.scenario.scheduler), kvBytesPerToken: kvBytesPerToken,
      transfer: route, layerwiseOverlap: candidate.transfer.overlap == .layerwise, layers: request.model.numLayers,
      router: request.scenario.router, slo: request.slo, seed: seed, options: options)
    return try simulator.runDetailed()
  }

  /// Replications at the target rate, the maximum-rate search, and the gap table.
  public func simulate() throws -> SimulatedDisaggregatedCandidate {
    let rate = request.scenario.workload.rateRequestsPerSecond
    let count = request.scenario.workload.trace == nil ? Replications.defaultCount : 1
    let seeds = (0..<count).map { Replications.seed(base: request.scenario.workload.seed, replication: $0) }
    let outcomes = try Replications.concurrentMap(count: count) { try run(rate: rate, seed: seeds[$0]) }
    let result = outcomes[0].result
    let intervals = count > 1 ? SimulatedIntervals(outcomes.map(\.result), seeds: seeds) : nil
    let reasons = SimulatedSLO.violations(result, slo: request.slo)
    var bound: SimulatedRateBound?
    if request.searchSimulatedMaxRate, request.scenario.workload.trace == nil {
      let start = candidate.maxSustainableRequestsPerSecond > 0 ? candidate.maxSustainableRequestsPerSecond : rate
      bound = try SimulatedRateSearch.search(startRate: start, known: [(rate, reasons.isEmpty)]) { trial in
        SimulatedSLO.violations(try run(rate: trial).result, slo: request.slo).isEmpty
      }
    }
    let gap = GapAnalysis.rows(
      analytic: LoadFigures(disaggregated: candidate.load), analyticMaxRate: candidate.maxSustainableRequestsPerSecond,
      simulated: result, intervals: intervals, simulatedMaxRate: bound, slo: request.slo,
      threshold: request.gapThreshold)
    let primary = outcomes[0]
    return SimulatedDisaggregatedCandidate(
      layout: candidate.layout, gpus: candidate.gpus, analyticRank: candidate.rank, result: result,
      intervals: intervals, meetsSLO: reasons.isEmpty, reasons: reasons, maxSustainableRate: bound, gap: gap,
      transferredBytesPerRequest: primary.transfers > 0
        ? primary.totalTransferredBytes / Double(primary.transfers) : nil)
  }
}

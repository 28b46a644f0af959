import Analytic
import Foundation
import PlanCore
import Simulation

/// The disaggregated half of a plan: the layouts searched, the shortlist simulated, which form
/// wins and why, and how to launch the best disaggregated layout.
public struct DisaggregationPlan: Sendable, Hashable, Codable {
  public var mode: DisaggregationMode
  public var overlap: KVTransferOverlap
  /// Disaggregated layouts scored analytically.
  public var layoutsScored: Int
  /// The best of them, best first (at most `Planner.reportedDisaggregatedLayouts`).
  public var candidates: [DisaggregatedCandidate]
  /// The simulated ones, best first by the objective on the simulated figures.
  public var shortlist: [SimulatedDisaggregatedCandidate]
  public var comparison: DisaggregationComparison
  /// The best disaggregated layout's launch (nil when there is none).
  public var launch: DisaggregatedLaunch?
  /// Why the shortlist was not simulated (nil when it was, or when nothing serves the workload).
  public var simulationNote: String?

  enum CodingKeys: String, CodingKey {
    case mode, overlap, layoutsScored, candidates, shortlist, comparison, launch, simulationNote
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(mode, forKey: .mode)
    try c.encode(overlap, forKey: .overlap)
    try c.encode(layoutsScored, forKey: .layoutsScored)
    try c.encode(candidates, forKey: .candidates)
    try c.encode(shortlist, forKey: .shortlist)
    try c.encode(comparison, forKey: .comparison)
    try c.encode(launch, forKey: .launch)
    try c.encode(simulationNote, forKey: .simulationNote)
  }
}

extension Planner {
  /// Disaggregated layouts simulated (the analytic best first).
  public static let disaggregatedShortlist = 2
  /// Disaggregated layouts listed in the report.
  public static let reportedDisaggregatedLayouts = 10

  /// The disaggregated search next to an aggregated plan; nil when `disaggregation: off`, or
  /// `auto` and no disaggregated layout fits the budget (fewer than two instances, or one output
  /// token per request).
  func disaggregationPlan(
    ranked: [AnalyticCandidate], simulated: [SimulatedCandidate], probes: [CandidateKey: LayoutProbe]
  ) throws -> DisaggregationPlan? {
    let mode = request.scenario.disaggregation ?? .auto
    guard mode != .off else { return nil }
    let search = DisaggregationSearch(request)
    let candidates = try search.candidates()
    if mode == .auto && candidates.isEmpty { return nil }
    var picks = Array(candidates.filter(\.load.stable).prefix(Self.disaggregatedShortlist))
    var runs: [SimulatedDisaggregatedCandidate] = []
    var note: String?
    // Like the aggregated shortlist, only what can win is simulated: unless asked for
    // disaggregation only, a disaggregated best the analytic model ranks below the aggregated
    // best is compared analytically (this keeps the built-in recommend within its time budget).
    if mode != .only, let best = candidates.first, let aggregatedBest = ranked.first,
      !Ranking.lexicographicallyPrecedes(
        DisaggregationSearch.key(best, objective: request.objective),
        Ranking.analyticKey(aggregatedBest, objective: request.objective))
    {
      picks = []
      note =
        "The disaggregated layouts were not simulated: the analytic model ranks the best of them (\(best.layout)) "
        + "below the best aggregated layout (\(aggregatedBest.layout)); the comparison is analytic."
    }
    do {
      runs = try Replications.concurrentMap(count: picks.count) { index in
        try DisaggregatedSimulationRunner(request: request, candidate: picks[index]).simulate()
      }
    } catch let error as SimulationError {
      // The comparison falls back on the analytic figures, and says so.
      note = "The disaggregated shortlist was not simulated (\(error)); the comparison is analytic."
    }
    let shortlist = runs.sorted { a, b in
      Ranking.lexicographicallyPrecedes(simulatedKey(a), simulatedKey(b))
    }
    let aggregated = simulated.first.flatMap { s in ranked.first { $0.key == s.key } } ?? ranked.first
    let decodeOnly = aggregated.flatMap { a -> Double? in
      guard let table = probes[a.key]?.service?.decodeStepSecondsByBatch, !table.isEmpty,
        let batch = a.load?.meanBatchSizePerReplica
      else { return nil }
      return table[min(table.count, max(1, Int(batch.rounded()))) - 1]
    }
    let bestDisaggregated =
      shortlist.first.flatMap { s in candidates.first { $0.layout == s.layout } } ?? candidates.first
    let comparison = DisaggregationVerdict.compare(
      request: request, mode: mode, aggregated: aggregated, simulatedAggregated: simulated.first,
      decodeOnlySeconds: decodeOnly, disaggregated: bestDisaggregated, simulatedDisaggregated: shortlist.first)
    return DisaggregationPlan(
      mode: mode, overlap: search.overlap, layoutsScored: candidates.count,
      candidates: Array(candidates.prefix(Self.reportedDisaggregatedLayouts)), shortlist: shortlist,
      comparison: comparison,
      launch: bestDisaggregated.map { DisaggregatedLaunch.build(request: request, candidate: $0) },
      simulationNote: note)
  }

  func simulatedKey(_ s: SimulatedDisaggregatedCandidate) -> [Double] {
    let figures = Ranking.Figures(
      gpus: s.gpus, meets: s.meetsSLO, goodput: s.result.goodputRequestsPerSecond ?? 0,
      maxRate: s.maxSustainableRate?.estimateRequestsPerSecond ?? 0,
      ttftP90: s.result.ttftSeconds?.p90 ?? .greatestFiniteMagnitude, achievableSuccess: s.result.successRate ?? 0)
    return Ranking.key(figures, objective: request.objective, layout: s.layout.prefill)
      + [Double(s.layout.decode.tp), Double(s.layout.decode.pp), Double(s.layout.decode.dp)]
  }
}

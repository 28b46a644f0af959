import Analytic
import Foundation
import PlanCore
import Simulation

/// Which form of serving a plan recommends, and why.
public struct DisaggregationComparison: Sendable, Hashable, Codable {
  public enum Form: String, Sendable, Hashable, Codable {
    case aggregated
    case disaggregated
    /// Neither form has a layout that serves the workload.
    case none
  }

  public var winner: Form
  /// `simulation` when both sides' best layouts were simulated, else `analytic`.
  public var basis: String
  public var aggregatedLayout: Layout?
  public var disaggregatedLayout: DisaggregatedLayout?
  public var sentence: String
  /// TTFT vs TPOT trade-off, prefill interference removed, KV transfer cost, capacity bound.
  public var reasons: [String]
  /// Of the aggregated winner's TPOT, the seconds per token that are prefill stalls (its TPOT
  /// under load minus a decode-only iteration at its mean batch); nil when not known.
  public var aggregatedPrefillStallSecondsPerToken: Double?

  public init(
    winner: Form, basis: String, aggregatedLayout: Layout?, disaggregatedLayout: DisaggregatedLayout?,
    sentence: String, reasons: [String], aggregatedPrefillStallSecondsPerToken: Double? = nil
  ) {
    self.winner = winner
    self.basis = basis
    self.aggregatedLayout = aggregatedLayout
    self.disaggregatedLayout = disaggregatedLayout
    self.sentence = sentence
    self.reasons = reasons
    self.aggregatedPrefillStallSecondsPerToken = aggregatedPrefillStallSecondsPerToken
  }

  enum CodingKeys: String, CodingKey {
    case winner, basis, aggregatedLayout, disaggregatedLayout, sentence, reasons, aggregatedPrefillStallSecondsPerToken
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(winner, forKey: .winner)
    try c.encode(basis, forKey: .basis)
    try c.encode(aggregatedLayout, forKey: .aggregatedLayout)
    try c.encode(disaggregatedLayout, forKey: .disaggregatedLayout)
    try c.encode(sentence, forKey: .sentence)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(aggregatedPrefillStallSecondsPerToken, forKey: .aggregatedPrefillStallSecondsPerToken)
  }
}

/// The figures one side of the comparison is judged on.
struct ComparedSide {
  var name: String
  var gpus: Int
  var meets: Bool
  var ttftP90: Double?
  var tpot: Double?
  var key: [Double]
  var violations: [String]
}

enum DisaggregationVerdict {
  /// - Parameters:
  ///   - aggregated: the aggregated winner (simulated when `simulatedAggregated` is given).
  ///   - decodeOnlySeconds: the aggregated winner's decode-only iteration at its mean batch.
  static func compare(
    request: PlanRequest, mode: DisaggregationMode, aggregated: AnalyticCandidate?,
    simulatedAggregated: SimulatedCandidate?, decodeOnlySeconds: Double?, disaggregated: DisaggregatedCandidate?,
    simulatedDisaggregated: SimulatedDisaggregatedCandidate?
  ) -> DisaggregationComparison {
    let objective = request.objective
    let simulated = simulatedAggregated != nil && simulatedDisaggregated != nil
    var agg: ComparedSide?
    if simulated, let s = simulatedAggregated {
      agg = ComparedSide(
        name: "aggregated \(s.layout)", gpus: s.gpus, meets: s.meetsSLO, ttftP90: s.result.ttftSeconds?.p90,
        tpot: s.result.tpotSeconds?.mean, key: Ranking.simulatedKey(s, objective: objective), violations: s.reasons)
    } else if let a = aggregated {
      agg = ComparedSide(
        name: "aggregated \(a.layout)", gpus: a.gpus, meets: a.meetsSLO, ttftP90: a.load?.ttftP90Seconds,
        tpot: a.load?.tpotMeanSeconds, key: Ranking.analyticKey(a, objective: objective), violations: a.reasons)
    }
    var dis: ComparedSide?
    if simulated, let s = simulatedDisaggregated {
      let figures = Ranking.Figures(
        gpus: s.gpus, meets: s.meetsSLO, goodput: s.result.goodputRequestsPerSecond ?? 0,
        maxRate: s.maxSustainableRate?.estimateRequestsPerSecond ?? 0,
        ttftP90: s.result.ttftSeconds?.p90 ?? .greatestFiniteMagnitude, achievableSuccess: s.result.successRate ?? 0)
      dis = ComparedSide(
        name: "disaggregated \(s.layout)", gpus: s.gpus, meets: s.meetsSLO, ttftP90: s.result.ttftSeconds?.p90,
        tpot: s.result.tpotSeconds?.mean, key: Ranking.key(figures, objective: objective, layout: s.layout.prefill),
        violations: s.reasons)
    } else if let d = disaggregated {
      dis = ComparedSide(
        name: "disaggregated \(d.layout)", gpus: d.gpus, meets: d.meetsSLO, ttftP90: d.load.ttftP90Seconds,
        tpot: d.load.tpotMeanSeconds, key: DisaggregationSearch.key(d, objective: objective), violations: d.reasons)
    }
    let basis = simulated ? "simulation" : "analytic"
    var winner: DisaggregationComparison.Form
    var sentence: String
    switch (agg, dis) {
    case (nil, nil):
      winner = .none
      sentence = "Neither an aggregated nor a disaggregated layout can serve the workload."
    case (let a?, nil):
      winner = .aggregated
      sentence =
        "Aggregated serving: no disaggregated layout fits the budget of \(request.gpuBudget) GPUs (two instances "
        + "and more than one output token are needed); \(a.name) is the plan."
    case (nil, let d?):
      winner = .disaggregated
      sentence = "Disaggregated serving: \(d.name) on \(gpus(d.gpus)); no aggregated layout serves the workload."
    case (let a?, let d?):
      let disWins = mode == .only || Ranking.lexicographicallyPrecedes(d.key, a.key)
      let (w, l) = disWins ? (d, a) : (a, d)
      winner = disWins ? .disaggregated : .aggregated
      let why: String
      if mode == .only && !Ranking.lexicographicallyPrecedes(d.key, a.key) {
        why = "as asked (disaggregation: only), though \(a.name) ranks higher"
      } else if w.meets && !l.meets {
        why = "it meets the SLO and \(l.name) does not (\(l.violations.prefix(2).joined(separator: "; ")))"
      } else if !w.meets {
        why = "neither meets the SLO; it comes closer"
      } else {
        why = "it ranks higher on " + decidingCriterion(w.key, l.key, objective: objective)
      }
      sentence =
        "\(disWins ? "Disaggregated" : "Aggregated") serving wins (\(basis)): \(w.name) on \(gpus(w.gpus)) over "
        + "\(l.name) on \(gpus(l.gpus)): \(why)."
    }
    var reasons: [String] = []
    if let a = agg, let d = dis {
      reasons.append(
        "TTFT vs TPOT: TTFT p90 \(seconds(a.ttftP90)) aggregated, \(seconds(d.ttftP90)) disaggregated; "
          + "TPOT \(seconds(a.tpot)) aggregated, \(seconds(d.tpot)) disaggregated (\(basis)).")
    }
    var stall: Double?
    if let a = aggregated, let tpot = a.load?.tpotMeanSeconds, let decodeOnly = decodeOnlySeconds {
      let s = max(0, tpot - decodeOnly)
      stall = s
      let share = tpot > 0 ? s / tpot : 0
      let batch = a.load?.meanBatchSizePerReplica.map { Format.number($0) } ?? "?"
      let bound = request.slo.tpotSeconds
      let stalls =
        "\(Units.formatSeconds(s)) of the aggregated TPOT of \(Units.formatSeconds(tpot)) (analytic) is prefill stalls, "
        + "\(Format.percent(share)) of it (a decode-only iteration at its mean batch of \(batch) takes "
        + "\(Units.formatSeconds(decodeOnly)))"
      // Stalls matter when they push TPOT towards its bound: then aggregated replicas must run
      // below their capacity to keep it, which decode-only instances need not.
      reasons.append(
        tpot <= Self.looseTPOTFraction * bound || share < 0.1
          ? "Prefill interference does not matter here: \(stalls), but that TPOT is only "
            + "\(Format.percent(tpot / bound)) of the \(Units.formatSeconds(bound)) bound, so removing the stalls buys "
            + "no capacity."
          : "Prefill interference removed: \(stalls), and that TPOT is \(Format.percent(tpot / bound)) of the "
            + "\(Units.formatSeconds(bound)) bound; decode instances run decodes only.")
    }
    if let d = disaggregated {
      let t = d.transfer
      let route =
        t.bottleneckLinkKind.map { " over \($0)" } ?? ""
      let crossing =
        t.crossNodeFraction > 0 ? ", \(Format.percent(t.crossNodeFraction)) of instance pairs across nodes" : ""
      reasons.append(
        "KV transfer cost: \(Units.formatBytes(t.bytesPerRequest)) per mean request (\(request.meanPromptTokens) prompt "
          + "tokens), \(Units.formatSeconds(t.transferSeconds)) per mean request\(route)\(crossing); "
          + "\(Units.formatSeconds(t.exposedSeconds)) exposed in TTFT with \(t.overlap == .layerwise ? "layer-wise overlap" : "no overlap")."
      )
      reasons.append(
        "Capacity of \(d.layout): \(Format.rate(d.load.capacityRequestsPerSecond)) = min(prefill pool "
          + "\(Format.rate(d.load.prefillCapacityRequestsPerSecond)), decode pool "
          + "\(Format.rate(d.load.decodeCapacityRequestsPerSecond))): the \(d.boundingPool) pool bounds it.")
    }
    return DisaggregationComparison(
      winner: winner, basis: basis, aggregatedLayout: simulatedAggregated?.layout ?? aggregated?.layout,
      disaggregatedLayout: simulatedDisaggregated?.layout ?? disaggregated?.layout, sentence: sentence,
      reasons: reasons, aggregatedPrefillStallSecondsPerToken: stall)
  }

  /// Aggregated TPOT below this fraction of the bound: the stalls cost no capacity.
  static let looseTPOTFraction = 0.5

  static func gpus(_ n: Int) -> String { "\(n) GPU\(n == 1 ? "" : "s")" }

  static func seconds(_ value: Double?) -> String { value.map(Units.formatSeconds) ?? "—" }

  /// The first criterion of the objective on which two keys of the same tier differ.
  static func decidingCriterion(_ a: [Double], _ b: [Double], objective: PlanObjective) -> String {
    let names = Ranking.criteria(objective)
    for index in 1..<min(a.count, b.count) where a[index] != b[index] {
      return index - 1 < names.count ? names[index - 1] : "layout order"
    }
    return "layout order"
  }
}

import Foundation
import PlanCore

/// The capacity curve against traffic growth, from the analytic ranking each type's plan
/// already made: a layout serves rate r within the SLO when its analytic maximum sustainable
/// rate reaches r (`LayoutProbe.maxSustainableRate` bisects a check that is monotone in the
/// rate) and nothing independent of the rate stops it (memory, longest request, prompt budget).
/// No simulation per rate, so a curve of any length costs nothing beyond the plans.
public enum GrowthPlanner {
  /// Whether `candidate` can serve some rate at all, whatever the rate.
  static func servesAtSomeRate(_ c: AnalyticCandidate, request: PlanRequest) -> Bool {
    guard c.fits, c.load != nil, c.memory.maxKVTokens >= c.longestRequestTokens else { return false }
    let chunked = request.scenario.scheduler.chunkedPrefill ?? false
    return chunked || request.scenario.workload.maximumPromptTokens <= request.engine.maxBatchedTokens
  }

  /// The layout with the fewest GPUs serving `rate` (ties: higher maximum rate, then TP, PP, DP).
  public static func cheapest(
    _ candidates: [AnalyticCandidate], request: PlanRequest, rate: Double
  )
    -> AnalyticCandidate?
  {
    candidates.filter { servesAtSomeRate($0, request: request) && ($0.maxSustainableRequestsPerSecond ?? 0) >= rate }
      .min { a, b in
        if a.gpus != b.gpus { return a.gpus < b.gpus }
        let ra = a.maxSustainableRequestsPerSecond ?? 0
        let rb = b.maxSustainableRequestsPerSecond ?? 0
        if ra != rb { return ra > rb }
        return Ranking.lexicographicallyPrecedes(Ranking.layoutKey(a.layout), Ranking.layoutKey(b.layout))
      }
  }

  /// One point per rate; `plans[i]` is nil for a type with no layout at all.
  public static func curve(members: [FleetMember], plans: [PlanResult?], rates: [Double]) -> GrowthCurve {
    let names = members.map(\.request.gpu.name)
    let display = Dictionary(members.map { ($0.request.gpu.name, $0.request.gpu.displayName) }) { a, _ in a }
    var points: [GrowthPoint] = []
    for rate in rates {
      var gpus: [Int?] = []
      var dollars: [Double?] = []
      var layouts: [String?] = []
      for (member, plan) in zip(members, plans) {
        let best = plan.flatMap { cheapest($0.candidates, request: member.request, rate: rate) }
        gpus.append(best?.gpus)
        layouts.append(best?.layout.description)
        dollars.append(best.flatMap { b in member.request.price.map { Double(b.gpus) * $0.dollarsPerGPUHour } })
      }
      points.append(
        GrowthPoint(
          rateRequestsPerSecond: rate, gpus: gpus, dollarsPerHour: dollars, layouts: layouts,
          cheapestGPU: cheapestType(names: names, gpus: gpus, dollars: dollars)))
    }
    return GrowthCurve(gpuTypes: names, points: points, crossovers: crossovers(points, names: names, display: display))
  }

  /// The cheapest type at one rate: lowest dollars per hour among priced types; fewest GPUs
  /// when no type that serves the rate has a price. Ties: the order asked.
  static func cheapestType(names: [String], gpus: [Int?], dollars: [Double?]) -> String? {
    let priced = names.indices.compactMap { i in dollars[i].map { (i, $0) } }
    if let best = priced.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) { return names[best.0] }
    let counted = names.indices.compactMap { i in gpus[i].map { (i, $0) } }
    return counted.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }).map { names[$0.0] }
  }

  /// Sentences where the cheapest type changes, and where a type stops serving within its budget.
  static func crossovers(_ points: [GrowthPoint], names: [String], display: [String: String]) -> [String] {
    var sentences: [String] = []
    func name(_ gpu: String) -> String { display[gpu] ?? gpu }
    for (previous, point) in zip(points, points.dropFirst()) {
      let rate = Format.rate(point.rateRequestsPerSecond)
      if let before = previous.cheapestGPU, let after = point.cheapestGPU, before != after {
        sentences.append("from \(rate) \(name(after)) is cheaper than \(name(before))")
      }
      for (index, gpu) in names.enumerated() where previous.gpus[index] != nil && point.gpus[index] == nil {
        sentences.append("from \(rate) no layout of \(name(gpu)) within its GPU budget meets the SLO")
      }
    }
    return sentences
  }
}

import Foundation
import PlanCore

/// Orders layouts for an objective. A sort key is compared lexicographically, smaller first:
/// the SLO tier, then the objective's figures, then the layout itself (TP, PP, DP) so the order
/// is total and deterministic.
///
/// Figures that are compared as "about equal" are bucketed on a 1 % logarithmic grid first
/// (differences below 1 % are noise in both models), so the next criterion decides between them.
public enum Ranking {
  /// ⌊log(x) / log(1.01)⌋: equal for values within about 1 % of each other; very small for 0.
  static func bucket(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return value.isFinite ? -1e9 : 1e9 }
    return (log(value) / log(1.01)).rounded(.down)
  }

  /// (TP, PP, DP, EP): EP is 1 for every dense layout, so dense orders are unchanged.
  static func layoutKey(_ layout: Layout) -> [Double] {
    [Double(layout.tp), Double(layout.pp), Double(layout.dp), Double(layout.ep)]
  }

  /// Last tie-break between precisions: the more precise weights, then KV cache, first.
  static func precisionKey(_ precision: PlanPrecision?) -> [Double] {
    guard let precision else { return [] }
    return [-precision.weights.bytesPerWeight, -precision.kvCache.bytes]
  }

  static func lexicographicallyPrecedes(_ a: [Double], _ b: [Double]) -> Bool {
    for (x, y) in zip(a, b) where x != y { return x < y }
    return a.count < b.count
  }

  /// Figures an objective compares, from either model.
  struct Figures {
    var gpus: Int
    var meets: Bool
    var goodput: Double
    var maxRate: Double
    var ttftP90: Double
    var achievableSuccess: Double
  }

  static func key(_ f: Figures, objective: PlanObjective, layout: Layout, fits: Bool = true) -> [Double] {
    let gpus = Double(f.gpus)
    var key: [Double]
    if !fits {
      key = [2, gpus]
    } else if !f.meets {
      key = [1, -f.achievableSuccess, gpus]
    } else {
      switch objective {
      case .goodputPerGPU:
        key = [0, -bucket(f.goodput / gpus), -bucket(f.maxRate / gpus), gpus, f.ttftP90]
      case .throughput:
        key = [0, -bucket(f.maxRate), gpus, f.ttftP90]
      case .minTTFT:
        key = [0, bucket(f.ttftP90), gpus]
      case .minGPUs, .minCost:
        // One GPU type at one price per GPU: dollars per hour = GPUs × price, so cost orders as GPUs.
        key = [0, gpus, -bucket(f.maxRate), f.ttftP90]
      }
    }
    return key + layoutKey(layout)
  }

  /// The analytic ranking key of a candidate.
  public static func analyticKey(_ c: AnalyticCandidate, objective: PlanObjective) -> [Double] {
    let figures = Figures(
      gpus: c.gpus, meets: c.meetsSLO, goodput: c.load?.goodputRequestsPerSecond ?? 0,
      maxRate: c.maxSustainableRequestsPerSecond ?? 0, ttftP90: c.load?.ttftP90Seconds ?? .greatestFiniteMagnitude,
      achievableSuccess: c.load?.achievableSuccessRate ?? 0)
    return key(figures, objective: objective, layout: c.layout, fits: c.fits && c.load != nil)
      + precisionKey(c.precision)
  }

  /// The simulated ranking key of a shortlisted candidate.
  public static func simulatedKey(_ c: SimulatedCandidate, objective: PlanObjective) -> [Double] {
    let figures = Figures(
      gpus: c.gpus, meets: c.meetsSLO, goodput: c.result.goodputRequestsPerSecond ?? 0,
      maxRate: c.maxSustainableRate?.estimateRequestsPerSecond ?? 0,
      ttftP90: c.result.ttftSeconds?.p90 ?? .greatestFiniteMagnitude, achievableSuccess: c.result.successRate ?? 0)
    return key(figures, objective: objective, layout: c.layout) + precisionKey(c.precision)
  }

  /// Names of the criteria an objective compares among layouts that meet the SLO, in order
  /// (the entries of `key` after the tier).
  public static func criteria(_ objective: PlanObjective) -> [String] {
    switch objective {
    case .goodputPerGPU: return ["goodput per GPU", "headroom (maximum rate) per GPU", "fewer GPUs", "lower TTFT p90"]
    case .throughput: return ["maximum sustainable rate", "fewer GPUs", "lower TTFT p90"]
    case .minTTFT: return ["lower TTFT p90", "fewer GPUs"]
    case .minGPUs: return ["fewer GPUs", "maximum sustainable rate", "lower TTFT p90"]
    case .minCost:
      return ["lower cost per hour (fewer GPUs at one price)", "maximum sustainable rate", "lower TTFT p90"]
    }
  }

  /// Why `a` ranks above `b` in the simulated ranking when both meet the SLO: the deciding
  /// criterion and those it tied on (within 1 %). Nil when they are in different tiers.
  public static func decidingCriterion(
    _ a: SimulatedCandidate, over b: SimulatedCandidate, objective: PlanObjective
  )
    -> (criterion: String, tiedOn: [String])?
  {
    let ka = simulatedKey(a, objective: objective)
    let kb = simulatedKey(b, objective: objective)
    guard ka.first == kb.first, ka.first == 0 else { return nil }
    let names = criteria(objective)
    for index in 1..<min(ka.count, kb.count) where ka[index] != kb[index] {
      let position = index - 1
      return position < names.count
        ? (names[position], Array(names.prefix(position))) : ("layout order (TP, PP, DP)", names)
    }
    return nil
  }

  /// Sorts candidates best first and numbers their ranks from 1.
  public static func rankAnalytic(_ candidates: [AnalyticCandidate], objective: PlanObjective) -> [AnalyticCandidate] {
    var sorted = candidates.map { ($0, analyticKey($0, objective: objective)) }
      .sorted { lexicographicallyPrecedes($0.1, $1.1) }.map(\.0)
    for index in sorted.indices { sorted[index].rank = index + 1 }
    return sorted
  }

  public static func rankSimulated(_ candidates: [SimulatedCandidate], objective: PlanObjective) -> [SimulatedCandidate]
  {
    var sorted = candidates.map { ($0, simulatedKey($0, objective: objective)) }
      .sorted { lexicographicallyPrecedes($0.1, $1.1) }.map(\.0)
    for index in sorted.indices { sorted[index].rank = index + 1 }
    return sorted
  }
}

import Analytic
import Foundation
import PlanCore

/// The prefill part of TTFT over the workload's prompt-length mix.
///
/// The load model's TTFT is the wait for a batch slot plus the prefill of one mean prompt. With
/// mixed prompt lengths the TTFT tail comes mostly from the long prompts, so the planner
/// replaces the mean prompt by the mix: each profile's prompt distribution at `pointsPerProfile`
/// mid-quantiles ((k + ½)/n), weighted by the profile's share, each point's prefill timed by the
/// cost model on an idle replica. TTFT = W + P with the wait W (from the queue) independent of
/// the prompt's prefill P, so
///
///     P(TTFT ≤ t) = Σᵢ wᵢ · P(W ≤ t − pᵢ),
///
/// and the TTFT quantiles follow by bisection on t.
public struct PromptMix: Sendable, Hashable {
  /// (prefill seconds, weight), weights summing to 1, one entry per distinct prompt length.
  public let points: [PrefillPoint]

  public struct PrefillPoint: Sendable, Hashable {
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var weight: Double
  }

  public static let pointsPerProfile = 16

  /// - Throws: cost-model errors (none for valid token counts).
  public init(workload: Workload, evaluator: LayoutEvaluator) throws {
    var weights: [Int: Double] = [:]
    if let trace = workload.trace, !trace.isEmpty {
      for length in LengthQuantiles.points(.empirical(trace.map(\.promptTokens)), count: Self.pointsPerProfile) {
        weights[length, default: 0] += 1 / Double(Self.pointsPerProfile)
      }
    } else {
      for (profile, share) in zip(workload.profiles, workload.profileShares) where share > 0 {
        let lengths = LengthQuantiles.points(profile.prompt, count: Self.pointsPerProfile)
        for length in lengths { weights[length, default: 0] += share / Double(lengths.count) }
      }
    }
    points = try weights.keys.sorted().map { tokens in
      let prefill = try evaluator.evaluate(promptTokens: tokens, outputTokens: 1).ttftSeconds
      return PrefillPoint(promptTokens: tokens, prefillSeconds: prefill, weight: weights[tokens]!)
    }
  }

  /// Whether the mix has more than one prompt length (else the mean-prompt figures stand).
  public var varies: Bool { points.count > 1 }

  /// P(TTFT ≤ t).
  public func cumulativeProbability(seconds t: Double, waiting: WaitingTimeDistribution) -> Double {
    var total = 0.0
    for point in points where t >= point.prefillSeconds {
      total += point.weight * waiting.cumulativeProbability(seconds: t - point.prefillSeconds)
    }
    return min(total, 1)
  }

  /// The q-quantile of TTFT, to 0.01 % (bisection between the shortest prefill and a bound
  /// that doubles until it holds at least q of the mass).
  public func quantileSeconds(_ q: Double, waiting: WaitingTimeDistribution) -> Double {
    guard let first = points.first, let last = points.last else { return 0 }
    var low = first.prefillSeconds
    var high = last.prefillSeconds + max(waiting.meanSeconds, 1e-3)
    var doublings = 0
    while cumulativeProbability(seconds: high, waiting: waiting) < q, doublings < 200 {
      high = last.prefillSeconds + 2 * (high - last.prefillSeconds)
      doublings += 1
    }
    while high - low > 1e-4 * high {
      let middle = (low + high) / 2
      if cumulativeProbability(seconds: middle, waiting: waiting) >= q { high = middle } else { low = middle }
    }
    return high
  }
}

/// Deterministic quantile points of a token-length distribution.
public enum LengthQuantiles {
  /// Lengths at the mid-quantiles (k + ½)/count, k = 0…count−1 (one point for a fixed length).
  public static func points(_ distribution: LengthDistribution, count: Int) -> [Int] {
    let n = max(count, 1)
    let qs = (0..<n).map { (Double($0) + 0.5) / Double(n) }
    switch distribution {
    case .fixed(let tokens):
      return [tokens]
    case .uniform(let low, let high):
      // Uniform on the integers low…high: the q-quantile is low + ⌊q·(high − low + 1)⌋.
      return qs.map { low + min(Int(($0 * Double(high - low + 1)).rounded(.down)), high - low) }
    case .normal(let mean, let sd, let low, let high):
      return qs.map { clip(mean + sd * standardNormalQuantile($0), low, high) }
    case .logNormal(let median, let sigma, let low, let high):
      return qs.map { clip(median * exp(sigma * standardNormalQuantile($0)), low, high) }
    case .empirical(let values):
      guard !values.isEmpty else { return [1] }
      let sorted = values.sorted()
      return qs.map { sorted[min(Int(($0 * Double(sorted.count)).rounded(.down)), sorted.count - 1)] }
    }
  }

  static func clip(_ value: Double, _ low: Int, _ high: Int) -> Int {
    min(max(Int(value.rounded()), low), high)
  }

  /// Φ⁻¹(q) by bisection on Φ(z) = ½(1 + erf(z/√2)) over [−10, 10] (to 1e-12).
  static func standardNormalQuantile(_ q: Double) -> Double {
    var low = -10.0
    var high = 10.0
    for _ in 0..<80 {
      let middle = (low + high) / 2
      if 0.5 * (1 + erf(middle / 2.squareRoot())) < q { low = middle } else { high = middle }
    }
    return (low + high) / 2
  }
}

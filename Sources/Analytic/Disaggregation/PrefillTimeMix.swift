import Foundation

/// The prefill times of a prefill instance over the workload's prompt-length mix: the service
/// time S of the prefill pool's queue, as points (seconds, weight). Its first two moments set
/// the pool's capacity (1/E[S] per instance) and its wait (`PrefillPoolWait`, through
/// c_s² = Var[S]/E[S]²); the points themselves spread TTFT = wait + S.
public struct PrefillTimeMix: Sendable, Hashable {
  /// Prefill seconds of each point, all positive and finite.
  public let seconds: [Double]
  /// Weights, positive, summing to 1.
  public let weights: [Double]

  /// - Throws: `LoadModelError` when there are no points, the counts differ, a time is not
  ///   positive and finite, or a weight is not positive (weights are normalised to sum to 1).
  public init(seconds: [Double], weights: [Double]) throws {
    guard !seconds.isEmpty, seconds.count == weights.count else {
      throw LoadModelError(
        "a prefill-time mix needs as many weights as times, at least one (got \(seconds.count) and \(weights.count))")
    }
    if let bad = seconds.first(where: { !($0.isFinite && $0 > 0) }) {
      throw LoadModelError("prefill times must be positive and finite (got \(bad) s)")
    }
    if let bad = weights.first(where: { !($0.isFinite && $0 > 0) }) {
      throw LoadModelError("prefill-time weights must be positive and finite (got \(bad))")
    }
    let total = weights.reduce(0, +)
    self.seconds = seconds
    self.weights = weights.map { $0 / total }
  }

  /// One prompt length: a deterministic prefill p (c_s² = 0). `p` must be positive and finite.
  public init(singleSeconds p: Double) {
    seconds = [p]
    weights = [1]
  }

  /// E[S], seconds.
  public var meanSeconds: Double { zip(seconds, weights).reduce(0) { $0 + $1.0 * $1.1 } }

  /// c_s² = E[S²]/E[S]² − 1 (0 for one length; clamped at 0 against rounding).
  public var squaredCoefficientOfVariation: Double {
    let mean = meanSeconds
    let second = zip(seconds, weights).reduce(0) { $0 + $1.0 * $1.0 * $1.1 }
    return max(0, second / (mean * mean) - 1)
  }
}

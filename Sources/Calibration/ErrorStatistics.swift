/// Summary of how far a model's predictions are from measurements.
///
/// The relative error of one point is `predicted / measured − 1` (+0.10: predicted 10 % too
/// slow). Accuracy is reported as the median and 90th percentile of its absolute value; error
/// bands use the signed quantiles of `measured / predicted − 1`, the factor that turns a
/// prediction into the measured time.
public struct ErrorStatistics: Sendable, Hashable, Codable {
  public var count: Int
  /// Median of |predicted / measured − 1|.
  public var medianAbsoluteRelativeError: Double
  /// 90th percentile of |predicted / measured − 1|.
  public var p90AbsoluteRelativeError: Double
  /// Mean of |predicted / measured − 1| (what the robust fit minimises).
  public var meanAbsoluteRelativeError: Double
  /// Median of predicted / measured − 1 (the bias: positive means the model is too slow).
  public var medianRelativeError: Double
  /// Quantiles of measured / predicted − 1: multiply a prediction by (1 + q) to get the
  /// measured time at that quantile.
  public var correctionP10: Double
  public var correctionP50: Double
  public var correctionP90: Double

  /// Statistics of paired predictions and measurements (seconds). Returns nil for no points.
  public init?(predicted: [Double], measured: [Double]) {
    precondition(predicted.count == measured.count, "pairs must match")
    guard !predicted.isEmpty else { return nil }
    let relative = zip(predicted, measured).map { $0 / $1 - 1 }
    let correction = zip(predicted, measured).map { $1 / $0 - 1 }
    count = predicted.count
    medianAbsoluteRelativeError = quantile(relative.map(abs), 0.5)
    p90AbsoluteRelativeError = quantile(relative.map(abs), 0.9)
    meanAbsoluteRelativeError = relative.reduce(0) { $0 + abs($1) } / Double(relative.count)
    medianRelativeError = quantile(relative, 0.5)
    correctionP10 = quantile(correction, 0.1)
    correctionP50 = quantile(correction, 0.5)
    correctionP90 = quantile(correction, 0.9)
  }
}

/// The `q`-quantile of `values` with linear interpolation between order statistics (the
/// common "type 7" definition: position q·(n−1) in the sorted list).
public func quantile(_ values: [Double], _ q: Double) -> Double {
  precondition(!values.isEmpty && q >= 0 && q <= 1, "quantile needs values and q in [0, 1]")
  let sorted = values.sorted()
  let position = q * Double(sorted.count - 1)
  let lower = Int(position.rounded(.down))
  let upper = min(lower + 1, sorted.count - 1)
  let fraction = position - Double(lower)
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

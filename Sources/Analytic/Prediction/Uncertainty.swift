import PlanCore

/// A predicted time with its error band: the model's value and the 10th, 50th and 90th
/// percentiles of where the real time falls, from the residuals of calibration (how far
/// measured times of the operators and collectives it is made of were from their
/// predictions). Shown as "182 ms (160–205)".
public struct TimeBand: Sendable, Hashable, Codable {
  /// The model's prediction.
  public var seconds: Double
  public var p10Seconds: Double
  public var p50Seconds: Double
  public var p90Seconds: Double

  public init(seconds: Double, p10Seconds: Double, p50Seconds: Double, p90Seconds: Double) {
    self.seconds = seconds
    self.p10Seconds = p10Seconds
    self.p50Seconds = p50Seconds
    self.p90Seconds = p90Seconds
  }

  /// A prediction scaled by residual quantiles: the real time is `seconds · (1 + q)`.
  public init(seconds: Double, residuals: ResidualQuantiles) {
    self.init(
      seconds: seconds, p10Seconds: seconds * (1 + residuals.p10), p50Seconds: seconds * (1 + residuals.p50),
      p90Seconds: seconds * (1 + residuals.p90))
  }

  /// A time known exactly (no band).
  public static func exact(_ seconds: Double) -> TimeBand {
    TimeBand(seconds: seconds, p10Seconds: seconds, p50Seconds: seconds, p90Seconds: seconds)
  }

  public static let zero = TimeBand.exact(0)

  /// The band of a sum of parts whose errors move together (the same GPU, the same kernels'
  /// inefficiency): percentiles add. This is the conservative choice; independent errors would
  /// give a narrower band.
  public static func + (lhs: TimeBand, rhs: TimeBand) -> TimeBand {
    TimeBand(
      seconds: lhs.seconds + rhs.seconds, p10Seconds: lhs.p10Seconds + rhs.p10Seconds,
      p50Seconds: lhs.p50Seconds + rhs.p50Seconds, p90Seconds: lhs.p90Seconds + rhs.p90Seconds)
  }

  public static func += (lhs: inout TimeBand, rhs: TimeBand) { lhs = lhs + rhs }

  /// The band scaled by a count (e.g. one layer's band × the layers of a stage).
  public func scaled(_ factor: Double) -> TimeBand {
    TimeBand(
      seconds: seconds * factor, p10Seconds: p10Seconds * factor, p50Seconds: p50Seconds * factor,
      p90Seconds: p90Seconds * factor)
  }

  /// The band's relative half-widths: (p10 / seconds − 1, p90 / seconds − 1).
  public var relative: (low: Double, high: Double) {
    seconds > 0 ? (p10Seconds / seconds - 1, p90Seconds / seconds - 1) : (0, 0)
  }

  /// "182 ms (160–205)": the prediction with its unit, then the p10–p90 band in the same unit.
  public var formatted: String {
    let (scale, unit) = TimeBand.unit(for: seconds)
    func number(_ value: Double) -> String { Units.threeSignificant(value / scale) }
    return "\(number(seconds)) \(unit) (\(number(p10Seconds))–\(number(p90Seconds)))"
  }

  static func unit(for seconds: Double) -> (Double, String) {
    let magnitude = abs(seconds)
    if magnitude >= 1 || magnitude == 0 { return (1, "s") }
    if magnitude >= 1e-3 { return (1e-3, "ms") }
    if magnitude >= 1e-6 { return (1e-6, "µs") }
    return (1e-9, "ns")
  }
}

extension PredictionUncertainty {
  /// Bands for a profile that carries none: how the datasheet law did against the real H100
  /// measurements without calibration (Models/measurements/h100-dgx-vidur, `llmplan accuracy` with the
  /// uncalibrated h100-80gb-sxm profile: operator points p10/p50/p90 of measured/predicted − 1,
  /// collective points likewise), widened 1.5× around the median because a GPU nobody
  /// measured is further from any data.
  /// Measured on those data: operators −0.093 / +0.001 / +0.162 (9396 timings),
  /// collectives −0.151 / −0.055 / +0.329 (4970 timings); the same numbers the catalog's GPU
  /// files carry in their `uncertainty` blocks.
  public static let uncalibratedDefault = PredictionUncertainty(
    calibrated: false, compute: ResidualQuantiles(p10: -0.14, p50: 0.0, p90: 0.24),
    communication: ResidualQuantiles(p10: -0.20, p50: -0.06, p90: 0.52),
    source:
      "Uncalibrated default: the datasheet law's residuals on the vendored H100 measurements, widened 1.5x around the median"
  )

  /// Residual quantiles of an operator (by its cost-model name) or collective name; falls back
  /// to the overall operator or collective quantiles.
  public func residuals(for name: String, isCollective: Bool) -> ResidualQuantiles {
    byName[name] ?? (isCollective ? communication : compute)
  }

  /// The band of one operator's predicted time.
  public func band(_ kind: OperatorKind, seconds: Double) -> TimeBand {
    TimeBand(seconds: seconds, residuals: residuals(for: kind.rawValue, isCollective: false))
  }

  /// The band of one collective's predicted time.
  public func band(_ collective: Collective, seconds: Double) -> TimeBand {
    TimeBand(seconds: seconds, residuals: residuals(for: collective.rawValue, isCollective: true))
  }

  /// The band of a total made of operators (`compute` seconds) and collectives
  /// (`communication` seconds) whose split by name is not tracked: each part gets the overall
  /// quantiles of its kind.
  public func band(computeSeconds: Double, communicationSeconds: Double, exactSeconds: Double = 0) -> TimeBand {
    TimeBand(seconds: computeSeconds, residuals: compute)
      + TimeBand(seconds: communicationSeconds, residuals: communication)
      + .exact(exactSeconds)
  }
}

extension EfficiencyProfile {
  /// The profile's uncertainty, or the uncalibrated default when it carries none.
  public var effectiveUncertainty: PredictionUncertainty { uncertainty ?? .uncalibratedDefault }
}

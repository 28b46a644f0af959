import Analytic
import PlanCore
import Planner
import Simulation

/// Table cells. Missing values print as "—", never NaN or ∞.
public enum Cell {
  public static let missing = "—"

  /// A time, "182 ms"; with a `band` (p10, p90) the band follows in the same unit, as
  /// "182 ms (160–205)" (issue 7's error bands).
  public static func time(_ seconds: Double?, band: (Double, Double)? = nil) -> String {
    guard let seconds, seconds.isFinite else { return missing }
    guard let band, band.0.isFinite, band.1.isFinite else { return Units.formatSeconds(seconds) }
    return TimeBand(seconds: seconds, p10Seconds: band.0, p50Seconds: seconds, p90Seconds: band.1).formatted
  }

  /// A time under load with the relative band of the no-queue time it is built on: the
  /// kernels' and collectives' uncertainty carried over (queueing itself adds more).
  public static func time(_ seconds: Double?, relativeTo band: TimeBand) -> String {
    guard let seconds, seconds.isFinite else { return missing }
    let (low, high) = band.relative
    return time(seconds, band: (seconds * (1 + low), seconds * (1 + high)))
  }

  public static func percent(_ fraction: Double?) -> String {
    guard let fraction, fraction.isFinite else { return missing }
    return Format.percent(fraction)
  }

  public static func rate(_ requestsPerSecond: Double?) -> String {
    guard let requestsPerSecond, requestsPerSecond.isFinite else { return missing }
    return Format.rate(requestsPerSecond)
  }

  public static func number(_ value: Double?) -> String {
    guard let value, value.isFinite else { return missing }
    return Units.threeSignificant(value)
  }

  public static func bytes(_ value: Double?) -> String {
    guard let value, value.isFinite else { return missing }
    return Units.formatBytes(value)
  }

  /// "+12.3%" / "−4.0%"; a gap that rounds to zero is "0.0%", never "−0.0%". `flagged`
  /// puts "⚠ " in front.
  public static func gap(_ relative: Double?, flagged: Bool = false) -> String {
    guard let relative, relative.isFinite else { return missing }
    let tenths = (relative * 1000).rounded()
    let text =
      tenths == 0 ? "0.0%" : (tenths > 0 ? "+" : "−") + String(format: "%.1f%%", abs(tenths) / 10)
    return flagged ? "⚠ " + text : text
  }

  /// A gap-table value in its metric's unit.
  public static func metric(_ metric: GapMetric, _ value: Double?) -> String {
    switch metric {
    case .ttftP50, .ttftP90, .tpotMean: return time(value)
    case .throughput: return number(value)
    case .successRate: return percent(value)
    case .maxSustainableRate: return rate(value)
    }
  }

  /// A simulated value with its 95 % confidence interval in the same unit:
  /// "28.4 ms (26.1–30.2)", "2977 (2901–3050)", "99.2% (98.1–100.0)".
  public static func metric(_ metric: GapMetric, _ value: Double?, interval: ConfidenceInterval?) -> String {
    guard let interval, let value, value.isFinite, interval.lowerBound.isFinite, interval.upperBound.isFinite else {
      return self.metric(metric, value)
    }
    switch metric {
    case .ttftP50, .ttftP90, .tpotMean:
      return time(value, band: (interval.lowerBound, interval.upperBound))
    case .throughput:
      return number(value) + " (\(number(interval.lowerBound))–\(number(interval.upperBound)))"
    case .successRate:
      func bare(_ fraction: Double) -> String { String(Format.percent(fraction).dropLast()) }
      return percent(value) + " (\(bare(interval.lowerBound))–\(bare(interval.upperBound)))"
    case .maxSustainableRate:
      return rate(value)
    }
  }
}

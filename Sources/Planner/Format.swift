import Foundation
import PlanCore

/// Number formatting shared by the planner's reasons and the reports: never NaN or ∞ (callers
/// pass finite values; anything else prints as "n/a").
public enum Format {
  /// "6.00 req/s".
  public static func rate(_ requestsPerSecond: Double) -> String {
    guard requestsPerSecond.isFinite else { return "n/a" }
    return Units.threeSignificant(requestsPerSecond) + " req/s"
  }

  /// "95.0%" (one decimal; 99.95% and above print as "100.0%" only when exactly 1; a value
  /// that rounds to zero prints as "0.0%", never "-0.0%").
  public static func percent(_ fraction: Double) -> String {
    guard fraction.isFinite else { return "n/a" }
    let value = fraction * 100
    if value < 100, value >= 99.95 { return "99.9%" }
    if (value * 10).rounded() == 0 { return "0.0%" }
    return String(format: "%.1f%%", value)
  }

  /// Three significant figures, "n/a" when not finite.
  public static func number(_ value: Double) -> String {
    guard value.isFinite else { return "n/a" }
    return Units.threeSignificant(value)
  }
}

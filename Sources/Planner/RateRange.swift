import Foundation
import PlanCore

/// A range of request rates for a growth curve, as written on the command line:
///
/// - `A..B`: from A to B requests/s in a round step (1, 2, 2.5 or 5 × a power of ten), the
///   smallest that needs at most 9 steps: `5..50` is 5, 10, …, 50; `10..40` is 10, 15, …, 40.
/// - `A..B:S`: from A in steps of S, up to B (B itself is always the last rate).
///
/// A < B, S > 0, every rate in `Plausibility.rate`, at most `maximumPoints` rates.
public enum RateRange {
  public static let maximumPoints = 200

  /// Whether `text` is written as a range (contains `..`), as opposed to one rate.
  public static func isRange(_ text: String) -> Bool { text.contains("..") }

  /// The rates of `text`, ascending. Throws a one-line `PlannerError` naming the flag.
  public static func parse(_ text: String, flag: String = "--rate") throws -> [Double] {
    func fail(_ why: String) -> PlannerError {
      PlannerError("\(flag) \"\(text)\": \(why) (write A..B or A..B:STEP in requests/s, e.g. 5..50 or 5..50:5)")
    }
    let spec = text.trimmingCharacters(in: .whitespaces)
    let parts = spec.components(separatedBy: "..")
    guard parts.count == 2 else { throw fail("expected one \"..\"") }
    let upperAndStep = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard upperAndStep.count <= 2 else { throw fail("expected at most one \":STEP\"") }
    func number(_ s: String, _ what: String) throws -> Double {
      guard let value = Double(s.trimmingCharacters(in: .whitespaces)), value.isFinite else {
        throw fail("\(what) \"\(s)\" is not a number")
      }
      return value
    }
    let low = try number(parts[0], "the lower rate")
    let high = try number(upperAndStep[0], "the upper rate")
    for value in [low, high] where !Plausibility.rate.contains(value) {
      throw fail("\(Units.threeSignificant(value)) is outside \(Plausibility.rate) requests/s")
    }
    guard low < high else { throw fail("the lower rate must be below the upper") }
    let step: Double
    if upperAndStep.count == 2 {
      step = try number(upperAndStep[1], "the step")
      guard step > 0 else { throw fail("the step must be positive") }
    } else {
      step = roundStep(span: high - low, intervals: 9)
    }
    let count = Int(((high - low) / step * (1 + 1e-12)).rounded(.down))
    guard count + 2 <= maximumPoints else {
      throw fail("that is more than \(maximumPoints) rates; use a larger step")
    }
    var rates = (0...count).map { low + Double($0) * step }
    if let last = rates.last, abs(last - high) > 1e-9 * high {
      rates.append(high)
    } else {
      rates[rates.count - 1] = high
    }
    return rates
  }

  /// The smallest of 1, 2, 2.5, 5 × 10ᵏ with span / step ≤ intervals.
  static func roundStep(span: Double, intervals: Int) -> Double {
    let raw = span / Double(intervals)
    let power = pow(10, log10(raw).rounded(.down))
    return ([1.0, 2, 2.5, 5, 10].first { $0 * power >= raw * (1 - 1e-12) } ?? 10) * power
  }
}

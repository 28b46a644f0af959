import Foundation

/// How an axis maps values to positions.
public enum ChartScale: String, Sendable, Hashable {
  case linear, log
}

/// A numeric axis: its label (with the unit), scale, domain and ticks. The domain always runs
/// from the first tick to the last, so the ticks cover the data and frame the plot.
public struct ChartAxis: Sendable, Hashable {
  public var label: String
  public var scale: ChartScale
  public var domain: ClosedRange<Double>
  public var ticks: [Double]

  /// An axis as given (`covering` and `fixed` choose the domain and ticks for you).
  public init(label: String, scale: ChartScale, domain: ClosedRange<Double>, ticks: [Double]) {
    self.label = label
    self.scale = scale
    self.domain = domain
    self.ticks = ticks
  }

  /// An axis covering every finite value of `values` with 1-2-5 × 10ᵏ ticks. A linear axis
  /// starts at zero when `includeZero` (quantities people compare as bars or rates); a log
  /// axis ignores values ≤ 0 (they cannot be placed) and needs at least one positive value.
  public static func covering(
    _ values: [Double], label: String, scale: ChartScale = .linear, includeZero: Bool = true
  ) -> ChartAxis {
    switch scale {
    case .linear:
      var finite = values.filter(\.isFinite)
      if includeZero { finite.append(0) }
      let (ticks, domain) = NiceTicks.linear(lower: finite.min() ?? 0, upper: finite.max() ?? 1)
      return ChartAxis(label: label, scale: .linear, domain: domain, ticks: ticks)
    case .log:
      let positive = values.filter { $0.isFinite && $0 > 0 }
      let (ticks, domain) = NiceTicks.log(lower: positive.min() ?? 1, upper: positive.max() ?? 10)
      return ChartAxis(label: label, scale: .log, domain: domain, ticks: ticks)
    }
  }

  /// A fixed linear axis (e.g. 0–100 %) with nice ticks inside it.
  public static func fixed(_ domain: ClosedRange<Double>, label: String) -> ChartAxis {
    let (ticks, niceDomain) = NiceTicks.linear(lower: domain.lowerBound, upper: domain.upperBound)
    return ChartAxis(label: label, scale: .linear, domain: niceDomain, ticks: ticks)
  }

  /// Where `value` falls between the domain's ends, 0…1 (outside for values outside the
  /// domain; nil when it cannot be placed: not finite, or ≤ 0 on a log axis).
  public func fraction(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    switch scale {
    case .linear:
      let span = domain.upperBound - domain.lowerBound
      return span > 0 ? (value - domain.lowerBound) / span : 0.5
    case .log:
      guard value > 0, domain.lowerBound > 0 else { return nil }
      let span = log10(domain.upperBound) - log10(domain.lowerBound)
      return span > 0 ? (log10(value) - log10(domain.lowerBound)) / span : 0.5
    }
  }

  /// A tick's label: as few decimals as the tick spacing needs, never "-0".
  public func tickLabel(_ value: Double) -> String {
    let decimals: Int
    switch scale {
    case .linear:
      let step = ticks.count >= 2 ? ticks[1] - ticks[0] : max(abs(value), 1)
      decimals = max(0, -Int(log10(step).rounded(.down)))
    case .log:
      decimals = value > 0 ? max(0, -Int(log10(value * (1 + 1e-9)).rounded(.down))) : 0
    }
    return SVGNumber.fixed(value, decimals: min(decimals, 6))
  }
}

/// Axis ticks at 1, 2 or 5 × 10ᵏ: the values people read off a chart without arithmetic.
public enum NiceTicks {
  /// The smallest 1, 2 or 5 × 10ᵏ at or above `value` (> 0).
  public static func niceStep(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return 1 }
    let power = pow(10, log10(value).rounded(.down))
    for multiple in [1.0, 2, 5, 10] where multiple * power >= value * (1 - 1e-9) { return multiple * power }
    return 10 * power
  }

  /// About `target` evenly spaced ticks at multiples of a nice step, from the last multiple at
  /// or below `lower` to the first at or above `upper`; the domain is their span.
  public static func linear(lower: Double, upper: Double, target: Int = 5) -> ([Double], ClosedRange<Double>) {
    var low = lower.isFinite ? lower : 0
    var high = upper.isFinite ? upper : 1
    if high < low { swap(&low, &high) }
    if high == low { high = low == 0 ? 1 : low + abs(low) * 0.5 }
    let step = niceStep((high - low) / Double(max(target, 1)))
    let first = (low / step * (1 + 1e-12)).rounded(.down)
    let last = (high / step * (1 - 1e-12)).rounded(.up)
    let ticks = stride(from: first, through: last, by: 1).map { clean($0 * step) }
    return (ticks, ticks.first!...ticks.last!)
  }

  /// Ticks at 1, 2 and 5 × 10ᵏ from the largest such value at or below `lower` to the smallest
  /// at or above `upper` (both > 0); over more than three decades, only the powers of ten.
  public static func log(lower: Double, upper: Double) -> ([Double], ClosedRange<Double>) {
    var low = lower > 0 && lower.isFinite ? lower : 1
    var high = upper > 0 && upper.isFinite ? upper : 10
    if high < low { swap(&low, &high) }
    let decades = Foundation.log10(high) - Foundation.log10(low)
    let multiples: [Double] = decades > 3 ? [1] : [1, 2, 5]
    let firstPower = Int(Foundation.log10(low).rounded(.down)) - 1
    let lastPower = Int(Foundation.log10(high).rounded(.up)) + 1
    var candidates: [Double] = []
    for power in firstPower...lastPower {
      for multiple in multiples { candidates.append(clean(multiple * pow(10, Double(power)))) }
    }
    let start = candidates.last { $0 <= low * (1 + 1e-12) } ?? candidates[0]
    var end = candidates.first { $0 >= high * (1 - 1e-12) } ?? candidates[candidates.count - 1]
    if end <= start { end = candidates.first { $0 > start } ?? start * 10 }
    let ticks = candidates.filter { $0 >= start && $0 <= end }
    return (ticks, start...end)
  }

  /// Rounds away binary noise (0.30000000000000004 → 0.3) at 12 significant digits.
  static func clean(_ value: Double) -> Double {
    guard value != 0, value.isFinite else { return 0 }
    let scale = pow(10, 11 - Foundation.log10(abs(value)).rounded(.down))
    let cleaned = (value * scale).rounded() / scale
    return cleaned == 0 ? 0 : cleaned
  }
}

/// Numbers as SVG and HTML print them: fixed decimals, never "-0", never NaN or ∞ (a value
/// that is not finite prints as 0; callers drop such points before drawing).
public enum SVGNumber {
  public static func fixed(_ value: Double, decimals: Int = 1) -> String {
    guard value.isFinite else { return "0" }
    let text = String(format: "%.\(decimals)f", value)
    if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(text.dropFirst()) }
    return text
  }
}

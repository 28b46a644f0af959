import Foundation
import Reporting
import Testing

/// The SVG chart module: ticks, geometry and output hygiene, from data whose answer is known.
@Suite struct HTMLChartTests {
  /// Whether `value` is 1, 2 or 5 × 10ᵏ (within rounding).
  static func isOneTwoFive(_ value: Double) -> Bool {
    guard value > 0 else { return false }
    let power = pow(10, log10(value).rounded(.down))
    let mantissa = value / power
    return [1.0, 2, 5, 10].contains { abs(mantissa - $0) < 1e-9 * $0 }
  }

  static let ranges: [(Double, Double)] = [
    (0, 37), (0, 1), (0.003, 0.0071), (12, 987), (0, 6.6), (1.5, 1.5), (0, 0), (-3, 14), (0, 100), (2, 3), (0, 123456),
  ]

  @Test func linearTicksAreOneTwoFiveStepsThatCoverTheData() {
    for (low, high) in Self.ranges {
      let (ticks, domain) = NiceTicks.linear(lower: low, upper: high)
      #expect(ticks.count >= 2 && ticks.count <= 11, "\(low)…\(high): \(ticks)")
      #expect(ticks.first! <= low && ticks.last! >= high, "\(low)…\(high): \(ticks) does not cover the data")
      #expect(domain == ticks.first!...ticks.last!)
      let step = ticks[1] - ticks[0]
      #expect(Self.isOneTwoFive(step), "\(low)…\(high): step \(step)")
      for (a, b) in zip(ticks, ticks.dropFirst()) { #expect(abs((b - a) - step) < 1e-9 * step) }
      // Every tick is a whole multiple of the step (0, 10, 20, not 3, 13, 23).
      for tick in ticks { #expect(abs(tick / step - (tick / step).rounded()) < 1e-6, "\(tick) / \(step)") }
    }
    // Worked example: 0…37 in about five steps → step 10 (37/5 = 7.4 → the next 1-2-5 value), 0…40.
    #expect(NiceTicks.linear(lower: 0, upper: 37).0 == [0, 10, 20, 30, 40])
  }

  @Test func logTicksAreOneTwoFiveTimesPowersOfTenAndCoverTheData() {
    for (low, high) in [(0.05, 2.0), (0.0312, 0.0994), (1.0, 1.0), (0.2, 800.0), (3e-3, 40.0)] {
      let (ticks, domain) = NiceTicks.log(lower: low, upper: high)
      #expect(ticks.allSatisfy(Self.isOneTwoFive), "\(ticks)")
      #expect(domain.lowerBound <= low && domain.upperBound >= high, "\(low)…\(high): \(domain)")
      #expect(ticks.first == domain.lowerBound && ticks.last == domain.upperBound)
      #expect(ticks.count >= 2)
    }
    // 0.05…2 s: 0.05, 0.1, 0.2, 0.5, 1, 2.
    #expect(NiceTicks.log(lower: 0.05, upper: 2).0 == [0.05, 0.1, 0.2, 0.5, 1, 2])
  }

  static func lineChart(_ points: [SVGChart.Point], y: ChartAxis? = nil) -> SVGChart {
    let xs = points.map(\.x)
    return SVGChart(
      id: "t", title: "t", description: "d", x: .numeric(.covering(xs, label: "x (req/s)")),
      y: y ?? .covering(points.compactMap(\.y), label: "y (s)"),
      series: [SVGChart.Series(name: "s", kind: .line, points: points, color: 0)])
  }

  @Test func pointsAtTheDomainEndsLandOnThePlotEdges() {
    let chart = Self.lineChart([.init(x: 0, y: 0), .init(x: 20, y: 5), .init(x: 40, y: 10)])
    #expect(chart.px(40) == chart.plotRight)
    #expect(chart.px(0) == chart.plotLeft)
    #expect(chart.py(10) == chart.plotTop)
    #expect(chart.py(0) == chart.plotBottom)
    #expect(chart.px(20) == (chart.plotLeft + chart.plotRight) / 2)
    // The rendered marker of the last point sits at the right edge, the top of the plot.
    let svg = chart.svg
    let f = { SVGNumber.fixed($0, decimals: 1) }
    #expect(svg.contains("cx=\"\(f(chart.plotRight))\" cy=\"\(f(chart.plotTop))\""))
    #expect(svg.contains("d=\"M\(f(chart.plotLeft)) \(f(chart.plotBottom)) L"))
    // A log axis puts a value at the geometric middle of its decade half way up.
    let log = ChartAxis(label: "y", scale: .log, domain: 0.1...10, ticks: [0.1, 1, 10])
    #expect(abs(log.fraction(1)! - 0.5) < 1e-12)
    #expect(log.fraction(0) == nil && log.fraction(-1) == nil)
  }

  @Test func barHeightsAreProportionalAndStacksAddUp() {
    let chart = SVGChart(
      id: "b", title: "bars", description: "d", x: .categories(label: "GPU", names: ["a", "b"]),
      y: .covering([10, 20], label: "$"),
      series: [
        .init(name: "low", kind: .bars, points: [.init(x: 0, y: 10), .init(x: 1, y: 20)], color: 0),
        .init(name: "high", kind: .bars, points: [.init(x: 0, y: 5), .init(x: 1, y: 0)], color: 1),
      ], stacked: true)
    // 0…20 in steps of 5 (20/5 = 4 → 5): 10 is half the plot height, 20 all of it.
    #expect(chart.y.domain == 0...20)
    let f = { SVGNumber.fixed($0, decimals: 1) }
    #expect(chart.svg.contains("height=\"\(f(chart.plotHeight / 2))\" fill=\"#0072B2\""))
    #expect(chart.svg.contains("height=\"\(f(chart.plotHeight))\" fill=\"#0072B2\""))
    // The stacked 5 sits on top of the 10: from 15 down to 10, a quarter of the height.
    #expect(chart.svg.contains("y=\"\(f(chart.py(15)!))\" width"))
    #expect(chart.svg.contains("height=\"\(f(chart.plotHeight / 4))\" fill=\"#D55E00\""))
  }

  @Test func missingAndNonFiniteValuesBecomeMarkedGapsNeverNumbers() {
    let chart = Self.lineChart(
      [.init(x: 1, y: 0.1), .init(x: 2, y: nil), .init(x: 3, y: .nan), .init(x: 4, y: .infinity), .init(x: 5, y: 0.3)],
      y: .covering([0.1, 0.3], label: "TTFT (s)", scale: .log))
    let svg = chart.svg
    // The line breaks at the gap: two pieces (a move each), the second a lone point at x = 5.
    let line = svg.split(separator: "\n").first { $0.hasPrefix("<path d=") && $0.contains("fill=\"none\"") }
    let d = line.map { String($0.split(separator: "\"")[1]) } ?? ""
    #expect(d.filter { $0 == "M" }.count == 2, "\(d)")
    #expect(d.filter { $0 == "L" }.isEmpty, "\(d)")
    #expect(svg.components(separatedBy: "class=\"gap\"").count - 1 == 3 + 1)  // three gaps + the legend's mark
    #expect(svg.contains(chart.gapLabel))
    Self.expectNoBadNumbers(svg)
  }

  /// No NaN, infinity or negative zero anywhere in the text.
  static func expectNoBadNumbers(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!text.contains("∞"), "found ∞", sourceLocation: sourceLocation)
    let word = try! NSRegularExpression(pattern: #"\b(nan|inf|infinity)\b"#, options: [.caseInsensitive])
    let whole = NSRange(text.startIndex..., in: text)
    let found = word.firstMatch(in: text, range: whole).flatMap { Range($0.range, in: text) }.map { String(text[$0]) }
    #expect(found == nil, "found \(found ?? "")", sourceLocation: sourceLocation)
    let negativeZero = try! NSRegularExpression(pattern: #"(?<![\w.])-0(\.0+)?(?![\d.])"#)
    let range = NSRange(text.startIndex..., in: text)
    #expect(negativeZero.firstMatch(in: text, range: range) == nil, "found -0", sourceLocation: sourceLocation)
  }

  @Test func numbersNeverPrintAsNegativeZeroOrNaN() {
    #expect(SVGNumber.fixed(-0.0001) == "0.0")
    #expect(SVGNumber.fixed(-0.0) == "0.0")
    #expect(SVGNumber.fixed(.nan) == "0")
    #expect(SVGNumber.fixed(12.345, decimals: 2) == "12.35" || SVGNumber.fixed(12.345, decimals: 2) == "12.34")
    let axis = ChartAxis.covering([0.003, 0.0071], label: "s", includeZero: false)
    #expect(axis.ticks.map(axis.tickLabel) == ["0.003", "0.004", "0.005", "0.006", "0.007", "0.008"])
  }
}

import Foundation
import PlanCore

/// A Mermaid `xychart-beta` chart (GitHub renders it; in a terminal it reads as data).
///
/// xychart has no legend, so the series are named in a caption line the report prints under
/// the chart, in drawing order.
public struct MermaidChart: Sendable {
  public enum Kind: String, Sendable { case line, bar }

  public struct Series: Sendable {
    public var name: String
    public var kind: Kind
    public var values: [Double]
    public init(name: String, kind: Kind = .line, values: [Double]) {
      self.name = name
      self.kind = kind
      self.values = values
    }
  }

  public var title: String
  public var xLabel: String
  public var categories: [String]
  public var yLabel: String
  public var yRange: ClosedRange<Double>
  public var series: [Series]

  public init(
    title: String, xLabel: String, categories: [String], yLabel: String, yRange: ClosedRange<Double>, series: [Series]
  ) {
    self.title = title
    self.xLabel = xLabel
    self.categories = categories
    self.yLabel = yLabel
    self.yRange = yRange
    self.series = series
  }

  /// Numbers as Mermaid reads them: up to four significant decimals, no exponent, and only
  /// finite values (a non-finite value is drawn at the axis maximum).
  static func number(_ value: Double, ceiling: Double) -> String {
    let finite = value.isFinite ? value : ceiling
    var text = String(format: "%.4f", finite)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
  }

  static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "'") + "\"" }

  /// The fenced block.
  public var rendered: String {
    var lines = ["```mermaid", "xychart-beta", "  title \(MermaidChart.quoted(title))"]
    lines.append(
      "  x-axis \(MermaidChart.quoted(xLabel)) [" + categories.map(MermaidChart.quoted).joined(separator: ", ") + "]")
    lines.append(
      "  y-axis \(MermaidChart.quoted(yLabel)) \(MermaidChart.number(yRange.lowerBound, ceiling: 0)) --> "
        + MermaidChart.number(yRange.upperBound, ceiling: 0))
    for s in series {
      let values = s.values.map {
        MermaidChart.number(min(max($0, yRange.lowerBound), yRange.upperBound), ceiling: yRange.upperBound)
      }
      lines.append("  \(s.kind.rawValue) [" + values.joined(separator: ", ") + "]")
    }
    lines.append("```")
    return lines.joined(separator: "\n")
  }

  /// "Series in drawing order: 1. A, 2. B." for the caption.
  public var legend: String {
    "Series in drawing order (xychart has no legend): "
      + series.enumerated().map { "\($0 + 1). \($1.name)" }.joined(separator: "; ") + "."
  }
}

import Foundation
import PlanCore
import Planner

/// A validation sweep with its provenance.
public struct ValidationReport: Sendable, Hashable, Codable {
  public var command: String
  public var inputs: [InputDigest]
  public var validation: ValidationResult

  public init(validation: ValidationResult, inputFiles: [String], baseDirectory: String, command: String) throws {
    self.command = command
    inputs = try InputProvenance.digests(inputFiles, relativeTo: baseDirectory)
    self.validation = validation
  }

  public func json() throws -> String { try ReportJSON.string(self) }
}

/// Renders a validation sweep as Markdown.
public enum ValidationMarkdown {
  public static func render(_ report: ValidationReport) -> String {
    let v = report.validation
    let q = v.question
    var lines = [ReportFile.marker, "# Analytic model vs simulation: \(q.scenario)"]
    let intervals = v.layouts.lazy.flatMap(\.points).compactMap(\.intervals).first
    lines.append(
      "\(q.modelDisplayName) on \(q.gpuDisplayName) (cluster `\(q.cluster)`), \(q.arrival) arrivals, mean request "
        + "\(q.meanPromptTokens) + \(q.meanOutputTokens) tokens, SLO TTFT p90 ≤ \(Units.formatSeconds(q.slo.ttftSeconds)), "
        + "TPOT p90 ≤ \(Units.formatSeconds(q.slo.tpotSeconds)), success ≥ \(Format.percent(q.slo.successRateFloor)). "
        + "Each rate is simulated for \(Units.formatSeconds(q.durationSeconds - q.warmupSeconds)) after a "
        + "\(Units.formatSeconds(q.warmupSeconds)) warm-up. " + PlanMarkdown.intervalSentence(intervals, seed: q.seed)
        + " Relative gap = (analytic − simulated) / simulated; ⚠ marks a gap above \(Format.percent(q.gapThreshold)) "
        + "with the analytic value outside the simulated interval, or a verdict the two disagree on.")
    lines.append(
      "A rate is *compared* when at least one metric has an analytic and a simulated value (or the two disagree on "
        + "whether the layout keeps up). Past the analytic capacity the model has no steady state: unless the "
        + "simulation meets the SLO there, such a rate is *not compared*, and it never counts as agreeing. "
        + "\"Valid up to\" is the highest rate up to which every compared rate agrees.")
    let summary = summaryRows(v)
    lines.append("## Summary")
    lines.append(summary.rendered)
    lines.append(
      "The simulated maximum is the largest swept rate that met the SLO (\"≥\": every swept rate met it); it is "
        + "only as fine as the sweep.")
    if !v.skipped.isEmpty { lines.append("Skipped: " + v.skipped.joined(separator: "; ") + ".") }
    for l in v.layouts {
      lines.append("## \(l.layout) (\(l.gpus) GPU\(l.gpus == 1 ? "" : "s"), \(l.placement.summary))")
      lines.append(l.validity)
      var table = MarkdownTable(pointColumns, alignments: pointAlignments.map { $0 ? .right : .left })
      for p in l.points { table.append(pointCells(p)) }
      lines.append(table.rendered)
      lines.append(
        "a / s: analytic / simulated (95 % interval in brackets). \"Unstable\": the arrival rate exceeds the "
          + "analytic capacity.")
      let categories = l.points.map { Format.number($0.rateRequestsPerSecond) }
      guard !categories.isEmpty else { continue }
      let success = MermaidChart(
        title: "\(l.layout): success rate vs request rate", xLabel: "request rate (req/s)", categories: categories,
        yLabel: "success rate (%)", yRange: 0...100,
        series: [
          MermaidChart.Series(
            name: "analytic (0 where unstable)", values: l.points.map { 100 * $0.analytic.longRunSuccessRate }),
          MermaidChart.Series(
            name: "simulated", values: l.points.map { 100 * (simulatedValue($0, .successRate) ?? 0) }),
        ])
      lines.append(success.rendered)
      lines.append(success.legend)
      let simulatedTTFT = l.points.compactMap { simulatedValue($0, .ttftP90) }
      let ceiling = PlanMarkdown.niceCeiling(
        max(
          1.5 * q.slo.ttftSeconds,
          min((simulatedTTFT + l.points.compactMap(\.analytic.ttftP90Seconds)).max() ?? 0, 4 * q.slo.ttftSeconds)))
      let ttft = MermaidChart(
        title: "\(l.layout): TTFT p90 vs request rate", xLabel: "request rate (req/s)", categories: categories,
        yLabel: "TTFT p90 (s)", yRange: 0...ceiling,
        series: [
          MermaidChart.Series(name: "analytic", values: l.points.map { $0.analytic.ttftP90Seconds ?? ceiling }),
          MermaidChart.Series(name: "simulated", values: l.points.map { simulatedValue($0, .ttftP90) ?? ceiling }),
          MermaidChart.Series(name: "SLO", values: categories.map { _ in q.slo.ttftSeconds }),
        ])
      lines.append(ttft.rendered)
      lines.append(
        ttft.legend + " Unstable points and values above \(Cell.time(ceiling)) are drawn at the top of the axis.")
    }
    lines.append("## Input files")
    lines.append(report.inputs.isEmpty ? "- (none)" : PlanMarkdown.inputList(report.inputs))
    lines.append("Regenerate with `\(report.command)`.")
    return lines.joined(separator: "\n\n") + "\n"
  }

  /// The simulated value the gap table shows (the replications' mean when replicated).
  /// One row per layout: capacities, simulated maximum, compared and agreeing rates, region of
  /// validity; shared by the Markdown and HTML reports.
  static func summaryRows(_ v: ValidationResult) -> MarkdownTable {
    var summary = MarkdownTable(
      [
        "layout", "GPUs", "capacity (analytic)", "max rate (analytic)", "max rate (simulated)", "gap", "compared",
        "agree", "valid up to",
      ],
      alignments: [.left, .right, .right, .right, .right, .right, .right, .right, .right])
    for l in v.layouts {
      let validUpTo =
        l.validUpToRequestsPerSecond.map { Format.rate($0) }
        ?? (l.comparedPoints == 0 ? "not compared" : "below the sweep")
      summary.append([
        l.layout.description, "\(l.gpus)", Cell.rate(l.capacityRequestsPerSecond),
        Cell.rate(l.analyticMaxRequestsPerSecond),
        PlanMarkdown.maxRateCell(l.simulatedMaxRate), Cell.gap(l.maxRateRelativeGap),
        "\(l.comparedPoints) of \(l.points.count)", "\(l.agreeingPoints) of \(l.comparedPoints)", validUpTo,
      ])
    }
    return summary
  }

  /// The columns of a layout's table of swept rates (Markdown and HTML), and which are numbers
  /// (right-aligned).
  static let pointColumns = [
    "rate", "compared", "largest gap", "success a / s", "TTFT p50 a / s", "TTFT p90 a / s", "TPOT mean a / s",
    "output tok/s a / s", "likely causes",
  ]
  static let pointAlignments = [true, false, true, true, true, true, true, true, false]

  /// One swept rate's row: analytic / simulated per metric ("unstable" past the analytic capacity).
  static func pointCells(_ p: ValidationPoint) -> [String] {
    func pair(_ metric: GapMetric) -> String {
      let row = p.gap.first { $0.metric == metric }
      let analytic = row?.analytic == nil && !p.analytic.stable ? "unstable" : Cell.metric(metric, row?.analytic)
      return analytic + " / " + Cell.metric(metric, row?.simulated, interval: row?.simulatedInterval)
    }
    let largest = p.gap.filter { $0.relativeGap != nil }.max { abs($0.relativeGap!) < abs($1.relativeGap!) }
    let comparison: String
    switch p.comparison {
    case .agrees: comparison = "agrees"
    case .gap: comparison = "⚠ gap"
    case .notCompared: comparison = "not compared"
    }
    return [
      Format.rate(p.rateRequestsPerSecond), comparison,
      largest.map { Cell.gap($0.relativeGap, flagged: $0.flagged) } ?? Cell.missing, pair(.successRate),
      pair(.ttftP50), pair(.ttftP90), pair(.tpotMean), pair(.throughput),
      p.causes.map(\.kind.rawValue).joined(separator: ", "),
    ]
  }

  static func simulatedValue(_ point: ValidationPoint, _ metric: GapMetric) -> Double? {
    point.gap.first { $0.metric == metric }?.simulated
  }
}

import PlanCore
import Planner

/// Renders a validation sweep (`llmplan validate`) as one self-contained HTML file: the
/// Markdown report's summary and per-layout tables, with the analytic and simulated success
/// rate and TTFT p90 against the request rate drawn as inline SVG.
public enum ValidationHTML {
  public static func render(_ report: ValidationReport) -> String {
    let v = report.validation
    let q = v.question
    let intervals = v.layouts.lazy.flatMap(\.points).compactMap(\.intervals).first
    var body: [HTMLFragment] = [
      .element("h1", text: "Analytic model vs simulation: \(q.scenario)"),
      HTMLDocument.paragraph(
        "\(q.modelDisplayName) on \(q.gpuDisplayName) (cluster `\(q.cluster)`), \(q.arrival) arrivals, mean request "
          + "\(q.meanPromptTokens) + \(q.meanOutputTokens) tokens, SLO TTFT p90 ≤ \(Units.formatSeconds(q.slo.ttftSeconds)), "
          + "TPOT p90 ≤ \(Units.formatSeconds(q.slo.tpotSeconds)), success ≥ \(Format.percent(q.slo.successRateFloor)). "
          + "Each rate is simulated for \(Units.formatSeconds(q.durationSeconds - q.warmupSeconds)) after a "
          + "\(Units.formatSeconds(q.warmupSeconds)) warm-up. " + PlanMarkdown.intervalSentence(intervals, seed: q.seed)
          + " Relative gap = (analytic − simulated) / simulated; ⚠ marks a gap above \(Format.percent(q.gapThreshold)) "
          + "with the analytic value outside the simulated interval, or a verdict the two disagree on."),
      HTMLDocument.paragraph(
        "A rate is compared when at least one metric has an analytic and a simulated value (or the two disagree on "
          + "whether the layout keeps up). Past the analytic capacity the model has no steady state: unless the "
          + "simulation meets the SLO there, such a rate is not compared, and it never counts as agreeing. "
          + "\"Valid up to\" is the highest rate up to which every compared rate agrees."),
    ]
    let summary = HTMLTable(ValidationMarkdown.summaryRows(v))
    var summaryParts = [summary.rendered]
    if !v.skipped.isEmpty {
      summaryParts.append(HTMLDocument.paragraph("Skipped: " + v.skipped.joined(separator: "; ") + "."))
    }
    body.append(HTMLDocument.section("summary", "Summary", summaryParts))
    for (index, l) in v.layouts.enumerated() { body.append(layoutSection(l, index: index, question: q)) }
    body.append(
      HTMLDocument.section(
        "inputs", "Input files",
        [
          PlanHTML.inputList(report.inputs),
          .element("p", [HTMLFragment(text: "Regenerate with "), .element("code", text: report.command)]),
        ]))
    return HTMLDocument.render(title: "Analytic model vs simulation: \(q.scenario)", body: body)
  }

  static func layoutSection(_ l: LayoutValidation, index: Int, question q: PlanQuestion) -> HTMLFragment {
    var table = HTMLTable(
      ValidationMarkdown.pointColumns, alignments: ValidationMarkdown.pointAlignments.map { $0 ? .right : .left })
    for p in l.points {
      table.append(ValidationMarkdown.pointCells(p), className: p.comparison == .gap ? "fails" : nil)
    }
    var parts: [HTMLFragment] = [
      HTMLDocument.paragraph(l.validity), table.rendered,
      HTMLDocument.paragraph(
        "a / s: analytic / simulated (95 % interval in brackets). \"Unstable\": the arrival rate exceeds the "
          + "analytic capacity."),
    ]
    if !l.points.isEmpty { parts += charts(l, index: index, question: q) }
    return HTMLDocument.section(
      "layout-\(index + 1)", "\(l.layout) (\(l.gpus) GPU\(l.gpus == 1 ? "" : "s"), \(l.placement.summary))", parts)
  }

  static func charts(_ l: LayoutValidation, index: Int, question q: PlanQuestion) -> [HTMLFragment] {
    let rateAxis = ChartAxis.covering(l.points.map(\.rateRequestsPerSecond), label: "request rate (req/s)")
    func simulated(_ p: ValidationPoint, _ metric: GapMetric) -> Double? {
      p.gap.first { $0.metric == metric }?.simulated
    }
    let success = SVGChart(
      id: "chart-\(index + 1)-success", title: "\(l.layout): success rate against request rate",
      description: "Lines: analytic and simulated success rate at each swept rate; dashed: the success floor.",
      x: .numeric(rateAxis), y: .fixed(0...100, label: "success rate (%)"),
      series: [
        .init(
          name: "analytic", kind: .line,
          points: l.points.map { .init(x: $0.rateRequestsPerSecond, y: $0.analytic.successRate.map { 100 * $0 }) },
          color: 0),
        .init(
          name: "simulated", kind: .line,
          points: l.points.map { p in .init(x: p.rateRequestsPerSecond, y: simulated(p, .successRate).map { 100 * $0 })
          },
          color: 1, dashed: true),
      ],
      referenceLines: [
        .init(
          .horizontal, at: 100 * q.slo.successRateFloor, label: "SLO floor \(Format.percent(q.slo.successRateFloor))")
      ], gapLabel: "no value (analytic: unstable)")
    let ttftValues =
      l.points.compactMap(\.analytic.ttftP90Seconds) + l.points.compactMap { simulated($0, .ttftP90) }
      + [1.5 * q.slo.ttftSeconds]
    let ttft = SVGChart(
      id: "chart-\(index + 1)-ttft", title: "\(l.layout): TTFT p90 against request rate",
      description:
        "Lines: analytic and simulated TTFT p90 on a logarithmic axis; dashed horizontal: the TTFT objective.",
      x: .numeric(rateAxis), y: .covering(ttftValues, label: "TTFT p90 (s, log scale)", scale: .log),
      series: [
        .init(
          name: "analytic", kind: .line,
          points: l.points.map { .init(x: $0.rateRequestsPerSecond, y: $0.analytic.ttftP90Seconds) }, color: 0),
        .init(
          name: "simulated", kind: .line,
          points: l.points.map { p in .init(x: p.rateRequestsPerSecond, y: simulated(p, .ttftP90)) }, color: 1,
          dashed: true),
      ],
      referenceLines: [
        .init(.horizontal, at: q.slo.ttftSeconds, label: "SLO \(Units.formatSeconds(q.slo.ttftSeconds))")
      ],
      gapLabel: "no value (analytic: unstable)")
    return [
      success.figure(caption: "× marks a rate where a side has no value (the analytic model is unstable there)."),
      ttft.figure(caption: "Logarithmic y axis; × marks a rate where a side has no value."),
    ]
  }
}

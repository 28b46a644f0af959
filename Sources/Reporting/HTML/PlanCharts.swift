import Analytic
import PlanCore
import Planner

/// The charts of a plan, built from its data: load curves (success rate and TTFT p90 against
/// the request rate), TTFT against tensor parallelism, and the memory of the recommended
/// layout per pipeline stage.
enum PlanCharts {
  /// KV-cache bytes of one stage's GPU: the replica's blocks at that stage's bytes per token.
  static func kvBytes(_ stage: StageMemory, _ memory: MemoryReport) -> Double {
    Double(memory.kvBlocks * memory.blockSizeTokens) * stage.kvBytesPerToken
  }

  static let unstableLabel = "unstable: no steady state at this rate"

  static func loadCurves(_ plan: PlanResult, idPrefix: String = "") -> [HTMLFragment] {
    let curves = plan.loadCurves.filter { !$0.points.isEmpty }
    guard !curves.isEmpty else { return [] }
    let q = plan.question
    let rates = curves.flatMap { $0.points.map(\.rateRequestsPerSecond) } + [q.rateRequestsPerSecond]
    let rateAxis = ChartAxis.covering(rates, label: "request rate (req/s)")
    let target = SVGChart.ReferenceLine(
      .vertical, at: q.rateRequestsPerSecond, label: "target \(Format.rate(q.rateRequestsPerSecond))")
    func note(_ layout: Layout, _ p: LoadFigures, _ value: String) -> String {
      "\(layout) at \(Format.rate(p.rateRequestsPerSecond)): " + (p.stable ? value : "unstable (rate above capacity)")
    }
    let success = SVGChart(
      id: idPrefix + "chart-success", title: "Success rate against request rate (analytic)",
      description:
        "Lines: the analytic load model's success rate (requests meeting the SLO) of the top \(curves.count) layouts "
        + "as the request rate grows; dashed lines mark the success floor and the target rate.",
      x: .numeric(rateAxis), y: .fixed(0...100, label: "success rate (%)"),
      series: curves.enumerated().map { index, curve in
        SVGChart.Series(
          name: curve.layout.description, kind: .line,
          points: curve.points.map { p in
            SVGChart.Point(
              x: p.rateRequestsPerSecond, y: p.successRate.map { 100 * $0 },
              note: note(curve.layout, p, Cell.percent(p.successRate)))
          }, color: index)
      },
      referenceLines: [
        .init(
          .horizontal, at: 100 * q.slo.successRateFloor, label: "SLO floor \(Format.percent(q.slo.successRateFloor))"),
        target,
      ], gapLabel: unstableLabel)
    // The SLO with some room above it, so its line never sits on the plot's edge.
    let ttftValues = curves.flatMap { $0.points.compactMap(\.ttftP90Seconds) } + [1.5 * q.slo.ttftSeconds]
    let ttft = SVGChart(
      id: idPrefix + "chart-ttft", title: "TTFT p90 against request rate (analytic)",
      description:
        "Lines: the analytic TTFT p90 under load of the top \(curves.count) layouts on a logarithmic axis; the "
        + "dashed horizontal line is the TTFT objective. Where a layout is unstable there is no TTFT, and a cross above "
        + "the plot marks the rate.",
      x: .numeric(rateAxis), y: .covering(ttftValues, label: "TTFT p90 (s, log scale)", scale: .log),
      series: curves.enumerated().map { index, curve in
        SVGChart.Series(
          name: curve.layout.description, kind: .line,
          points: curve.points.map { p in
            SVGChart.Point(
              x: p.rateRequestsPerSecond, y: p.ttftP90Seconds, note: note(curve.layout, p, Cell.time(p.ttftP90Seconds)))
          }, color: index)
      },
      referenceLines: [
        .init(.horizontal, at: q.slo.ttftSeconds, label: "SLO \(Units.formatSeconds(q.slo.ttftSeconds))"), target,
      ],
      gapLabel: unstableLabel)
    return [
      .element("h3", text: "Success rate against request rate"),
      success.figure(
        caption:
          "Beyond a layout's capacity the queue grows without bound and no steady state exists: those rates are "
          + "marked × and not joined to the line (in the long run no request meets the TTFT bound there)."),
      .element("h3", text: "TTFT p90 against request rate"),
      ttft.figure(caption: "Logarithmic y axis; × marks a rate with no steady state (the layout is unstable)."),
    ]
  }

  static func tensorParallel(_ plan: PlanResult, idPrefix: String = "") -> [HTMLFragment] {
    let points = plan.tensorParallelScaling
    guard points.count >= 2 else { return [] }
    let categories = points.map { "TP\($0.tp)" }
    let values = points.flatMap { [1000 * $0.ttftSeconds, 1000 * $0.idealSeconds] }
    let chart = SVGChart(
      id: idPrefix + "chart-tp", title: "Lone-request TTFT against tensor parallelism (PP1, DP1)",
      description:
        "Bars: predicted TTFT of the mean prompt on an idle replica for each tensor-parallel degree; dashed line: "
        + "perfect scaling from TP\(points[0].tp).",
      x: .categories(label: "tensor-parallel degree", names: categories),
      y: .covering(values, label: "TTFT (ms)"),
      series: [
        SVGChart.Series(
          name: "predicted TTFT", kind: .bars,
          points: points.enumerated().map { index, p in
            SVGChart.Point(x: Double(index), y: 1000 * p.ttftSeconds, note: "TP\(p.tp): \(Cell.time(p.ttftSeconds))")
          }, color: 0),
        SVGChart.Series(
          name: "perfect scaling from TP\(points[0].tp)", kind: .line,
          points: points.enumerated().map { index, p in
            SVGChart.Point(x: Double(index), y: 1000 * p.idealSeconds, note: "TP\(p.tp): \(Cell.time(p.idealSeconds))")
          }, color: 1, dashed: true),
      ])
    var table = HTMLTable(
      ["TP", "TTFT (no queue)", "perfect scaling", "speed-up"], alignments: [.right, .right, .right, .right])
    for p in points {
      table.append([
        "\(p.tp)", Cell.time(p.ttftSeconds), Cell.time(p.idealSeconds),
        Cell.number(points[0].ttftSeconds / p.ttftSeconds) + "×",
      ])
    }
    return [
      .element("h3", text: "TTFT against tensor parallelism"),
      chart.figure(
        caption: "TP splits each GEMM but adds two all-reduces per layer, so TTFT falls less than linearly."),
      table.rendered,
    ]
  }

  static func memory(
    _ c: AnalyticCandidate, gpuMemoryBytes: Double, layout: Layout, idPrefix: String = ""
  )
    -> HTMLFragment
  {
    let stages = c.memory.stages
    let gb = 1e9
    let parts: [(String, (StageMemory) -> Double)] = [
      ("weights", { $0.weightBytes }), ("activations", { $0.activationBytes }),
      ("KV cache", { kvBytes($0, c.memory) }), ("runtime reserve", { $0.reserveBytes }),
    ]
    let totals = stages.map { stage in parts.reduce(0) { $0 + $1.1(stage) } }
    let budget = stages.map(\.budgetBytes).max() ?? 0
    let chart = SVGChart(
      id: idPrefix + "chart-memory", title: "Memory per GPU of \(layout), by pipeline stage",
      description:
        "Stacked bars: weights, activations, KV cache and runtime reserve of one GPU of each pipeline stage, in GB; "
        + "dashed lines: the engine's budget and the GPU's memory.",
      x: .categories(label: "pipeline stage", names: stages.map { "stage \($0.stage) (\($0.layers) layers)" }),
      y: .covering(totals.map { $0 / gb } + [gpuMemoryBytes / gb], label: "memory per GPU (GB)"),
      series: parts.enumerated().map { index, part in
        SVGChart.Series(
          name: part.0, kind: .bars,
          points: stages.enumerated().map { position, stage in
            SVGChart.Point(
              x: Double(position), y: part.1(stage) / gb,
              note: "stage \(stage.stage) \(part.0): \(Cell.bytes(part.1(stage)))")
          }, color: index)
      },
      referenceLines: [
        .init(.horizontal, at: budget / gb, label: "budget \(Cell.bytes(budget))"),
        .init(.horizontal, at: gpuMemoryBytes / gb, label: "GPU memory \(Cell.bytes(gpuMemoryBytes))"),
      ], stacked: true)
    return chart.figure(
      caption: "The KV cache fills what the budget leaves after weights, activations and the reserve.")
  }
}

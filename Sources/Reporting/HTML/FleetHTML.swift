import Foundation
import PlanCore
import Planner

/// Renders a `FleetPlan` (one question planned on several GPU types) as one self-contained
/// HTML file: the side-by-side comparison, cost per GPU type, the growth curve and the Pareto
/// frontier as inline SVG, then each type's recommendation. Reads only the contract types of
/// `FleetPlan.swift`; deterministic like `PlanHTML`.
public enum FleetHTML {
  public static func render(_ fleet: FleetPlan, command: String, inputs: [InputDigest]) -> String {
    let scenario = fleet.plans.first?.question.scenario ?? "GPU comparison"
    let sections: [(id: String, title: String, body: HTMLFragment)] = [
      ("question", "The question", question(fleet, command: command, inputs: inputs)),
      ("comparison", "GPU types side by side", comparison(fleet)),
      ("cost", "Cost per GPU type", cost(fleet)),
      ("growth", "Growth", growth(fleet)),
      ("pareto", "Throughput against interactivity", pareto(fleet)),
      ("per-type", "Each GPU type's plan", perType(fleet)),
      ("assumptions", "Assumptions and sources", assumptions(fleet)),
    ]
    var body: [HTMLFragment] = [
      .element("h1", text: "Which GPU: \(scenario)"),
      .element(
        "p", ["class": fleet.recommendedGPU == nil ? "callout warn" : "callout"],
        [.element("strong", text: "Recommendation. "), .prose(headline(fleet))]),
    ]
    if let note = FleetMarkdown.disaggregationNote(fleet) {
      body.append(
        .element("p", ["class": "callout"], [.element("strong", text: "Disaggregated serving. "), .prose(note)]))
    }
    body += [
      HTMLDocument.contents(sections.map { ($0.id, $0.title) })
    ]
    body += sections.map(\.body)
    return HTMLDocument.render(title: "Which GPU: \(scenario)", body: body)
  }

  static func displayName(_ gpu: String, _ fleet: FleetPlan) -> String {
    fleet.comparison.first { $0.gpu == gpu }?.gpuDisplayName ?? gpu
  }

  static func dollars(_ value: Double?) -> String {
    guard let value, value.isFinite else { return Cell.missing }
    return "$" + (value >= 1000 ? String(format: "%.0f", value) : Units.threeSignificant(value))
  }

  static func headline(_ fleet: FleetPlan) -> String {
    guard let gpu = fleet.recommendedGPU, let o = fleet.comparison.first(where: { $0.gpu == gpu }) else {
      return "No GPU type of the \(fleet.comparison.count) compared meets the SLO at the target rate; the table "
        + "below says why for each."
    }
    var text = "\(o.gpuDisplayName)"
    if let layout = o.layout, let gpus = o.gpus { text += ": \(layout) on \(gpus) GPU\(gpus == 1 ? "" : "s")" }
    if let cost = o.cost {
      text +=
        ", \(dollars(cost.dollarsPerHour))/hour, \(dollars(cost.dollarsPerMillionOutputTokens)) per million "
        + "output tokens"
    }
    if let objective = fleet.plans.first?.question.objective { text += " (objective `\(objective.rawValue)`)" }
    return text + "."
  }

  static func question(_ fleet: FleetPlan, command: String, inputs: [InputDigest]) -> HTMLFragment {
    var parts: [HTMLFragment] = []
    if let q = fleet.plans.first?.question {
      parts.append(
        PlanHTML.facts([
          ("model", "\(q.modelDisplayName) (`\(q.model)`, \(Format.number(q.parameters / 1e9))B parameters)"),
          (
            "workload",
            "\(Format.rate(q.rateRequestsPerSecond)), \(q.arrival) arrivals; mean request \(q.meanPromptTokens) prompt + "
              + "\(q.meanOutputTokens) output tokens"
          ),
          (
            "SLO",
            "TTFT p90 ≤ \(Units.formatSeconds(q.slo.ttftSeconds)), TPOT p90 ≤ \(Units.formatSeconds(q.slo.tpotSeconds)), "
              + "success ≥ \(Format.percent(q.slo.successRateFloor)) of requests"
          ),
          ("objective", "`\(q.objective.rawValue)`: \(q.objective.explanation)"),
          ("GPU types", fleet.comparison.map { "`\($0.gpu)`" }.joined(separator: ", ")),
        ]))
    }
    parts.append(.element("h3", text: "Input files"))
    parts.append(PlanHTML.inputList(inputs))
    parts.append(.element("p", [HTMLFragment(text: "Regenerate with "), .element("code", text: command)]))
    return HTMLDocument.section("question", "The question", parts)
  }

  static func comparison(_ fleet: FleetPlan) -> HTMLFragment {
    var table = HTMLTable(
      [
        "GPU", "layout", "GPUs", "capacity", "headroom", "TTFT p90", "TPOT p90", "SLO", "price/GPU-hour", "$/hour",
        "$/M output tokens", "$/M requests", "note",
      ],
      alignments: [.left, .left, .right, .right, .right, .right, .right, .left, .right, .right, .right, .right, .left])
    for o in fleet.comparison {
      table.append(
        [
          o.gpuDisplayName, o.layout ?? Cell.missing, o.gpus.map(String.init) ?? Cell.missing,
          Cell.rate(o.capacityRequestsPerSecond), o.headroom.map { Cell.gap($0) } ?? Cell.missing,
          Cell.time(o.ttftP90Seconds), Cell.time(o.tpotP90Seconds), o.meetsSLO ? "meets" : "✗ fails",
          o.price.map { dollars($0.dollarsPerGPUHour) } ?? "no price", dollars(o.cost?.dollarsPerHour),
          dollars(o.cost?.dollarsPerMillionOutputTokens), dollars(o.cost?.dollarsPerMillionRequests), o.why ?? "",
        ], className: o.gpu == fleet.recommendedGPU ? "chosen" : (o.meetsSLO ? nil : "fails"))
    }
    return HTMLDocument.section(
      "comparison", "GPU types side by side",
      [
        HTMLDocument.paragraph(
          "The best layout of each GPU type at the target rate, each planned on a cluster of its own kind. Capacity "
            + "is the largest sustainable rate of that layout and headroom its margin over the target rate "
            + "(capacity / rate − 1). Costs are at the target rate: $/hour = GPUs × price per GPU-hour; $ per million "
            + "output tokens (or requests) = $/hour ÷ output tokens (requests) per hour × 10⁶."),
        table.rendered,
        HTMLDocument.paragraph("Clusters:"),
        HTMLDocument.list(fleet.comparison.map { "\($0.gpuDisplayName): `\($0.cluster)`, \($0.clusterNote)" }),
      ])
  }

  static func cost(_ fleet: FleetPlan) -> HTMLFragment {
    let names = fleet.comparison.map(\.gpuDisplayName)
    guard !names.isEmpty else {
      return HTMLDocument.section("cost", "Cost per GPU type", [HTMLDocument.paragraph("No GPU type was planned.")])
    }
    let values = fleet.comparison.map { $0.cost?.dollarsPerMillionOutputTokens }
    let chart = SVGChart(
      id: "chart-cost", title: "Cost per million output tokens, by GPU type",
      description:
        "Bars: dollars per million output tokens of each GPU type's best layout at the target rate; a cross marks a "
        + "type with no layout meeting the SLO or no known price.",
      x: .categories(label: "GPU type", names: names),
      y: .covering(values.compactMap { $0 }, label: "$ per million output tokens"),
      series: [
        SVGChart.Series(
          name: "$ per million output tokens", kind: .bars,
          points: fleet.comparison.enumerated().map { index, o in
            SVGChart.Point(
              x: Double(index), y: o.cost?.dollarsPerMillionOutputTokens,
              note: o.cost == nil
                ? (o.why ?? "no cost") : "\(o.gpuDisplayName): \(dollars(o.cost?.dollarsPerMillionOutputTokens))")
          }, color: 0)
      ], gapLabel: "no layout meets the SLO, or no price")
    var prices = HTMLTable(["GPU", "price/GPU-hour", "source", "as of"], alignments: [.left, .right, .left, .left])
    for o in fleet.comparison {
      prices.append([
        o.gpuDisplayName, o.price.map { dollars($0.dollarsPerGPUHour) } ?? "no price",
        o.price.map { $0.source + ($0.userSupplied ? " (given for this run)" : "") } ?? (o.why ?? Cell.missing),
        o.price?.asOf ?? Cell.missing,
      ])
    }
    return HTMLDocument.section(
      "cost", "Cost per GPU type",
      [chart.figure(caption: "Lower is better. Prices and their sources:"), prices.rendered])
  }

  static func growth(_ fleet: FleetPlan) -> HTMLFragment {
    guard let growth = fleet.growth, !growth.points.isEmpty else {
      return HTMLDocument.section(
        "growth", "Growth", [HTMLDocument.paragraph("No growth curve was asked for (`recommend --rate LO..HI`).")])
    }
    let rates = growth.points.map(\.rateRequestsPerSecond)
    let rateAxis = ChartAxis.covering(rates, label: "request rate (req/s)")
    let gapLabel = "cannot meet the SLO at this rate"
    func series(_ value: (GrowthPoint, Int) -> Double?) -> [SVGChart.Series] {
      growth.gpuTypes.enumerated().map { index, gpu in
        SVGChart.Series(
          name: displayName(gpu, fleet), kind: .line,
          points: growth.points.map { p in
            let layout = index < p.layouts.count ? p.layouts[index] : nil
            return SVGChart.Point(
              x: p.rateRequestsPerSecond, y: value(p, index),
              note: "\(displayName(gpu, fleet)) at \(Format.rate(p.rateRequestsPerSecond)): " + (layout ?? gapLabel))
          }, color: index)
      }
    }
    let gpuSeries = series { p, i in i < p.gpus.count ? p.gpus[i].map(Double.init) : nil }
    let gpusChart = SVGChart(
      id: "chart-growth-gpus", title: "GPUs needed against request rate",
      description: "Lines: for each GPU type, the fewest GPUs of a layout meeting the SLO at each rate.",
      x: .numeric(rateAxis),
      y: .covering(gpuSeries.flatMap { $0.points.compactMap(\.y) }, label: "GPUs"), series: gpuSeries,
      gapLabel: gapLabel)
    var parts: [HTMLFragment] = [gpusChart.figure(caption: "× marks a rate a GPU type cannot serve within the SLO.")]
    let costSeries = series { p, i in i < p.dollarsPerHour.count ? p.dollarsPerHour[i] : nil }
    if costSeries.contains(where: { $0.points.contains { $0.y != nil } }) {
      let costChart = SVGChart(
        id: "chart-growth-cost", title: "Cost per hour against request rate",
        description:
          "Lines: for each GPU type, the dollars per hour of its cheapest layout meeting the SLO at each rate.",
        x: .numeric(rateAxis),
        y: .covering(costSeries.flatMap { $0.points.compactMap(\.y) }, label: "$ per hour"), series: costSeries,
        gapLabel: gapLabel)
      parts.append(costChart.figure(caption: "Where the lines cross, the cheapest GPU type changes."))
    }
    if !growth.crossovers.isEmpty { parts.append(HTMLDocument.list(growth.crossovers)) }
    var table = HTMLTable(
      ["rate"] + growth.gpuTypes.map { displayName($0, fleet) } + ["cheapest"],
      alignments: [.right] + growth.gpuTypes.map { _ in .right } + [.left])
    for p in growth.points {
      let cells = growth.gpuTypes.indices.map { i -> String in
        guard i < p.gpus.count, let gpus = p.gpus[i] else { return Cell.missing }
        let layout = i < p.layouts.count ? p.layouts[i].map { " \($0)" } ?? "" : ""
        let cost = i < p.dollarsPerHour.count ? p.dollarsPerHour[i].map { ", \(dollars($0))/h" } ?? "" : ""
        return "\(gpus) GPUs\(layout)\(cost)"
      }
      table.append(
        [Format.rate(p.rateRequestsPerSecond)] + cells + [p.cheapestGPU.map { displayName($0, fleet) } ?? "none"])
    }
    parts.append(table.rendered)
    return HTMLDocument.section("growth", "Growth: capacity against traffic", parts)
  }

  static func pareto(_ fleet: FleetPlan) -> HTMLFragment {
    let points = fleet.pareto.filter {
      $0.outputTokensPerSecondPerGPU.isFinite && $0.outputTokensPerSecondPerUser.isFinite
    }
    guard !points.isEmpty else {
      return HTMLDocument.section(
        "pareto", "Throughput against interactivity", [HTMLDocument.paragraph("No operating points were computed.")])
    }
    func label(_ p: ParetoPoint) -> String {
      "\(displayName(p.gpu, fleet)) \(p.layout), max_num_seqs \(p.maxSequences)"
        + (p.precision.map { ", \($0)" } ?? "")
        + ": \(Units.threeSignificant(p.outputTokensPerSecondPerGPU)) tok/s per "
        + "GPU, \(Units.threeSignificant(p.outputTokensPerSecondPerUser)) tok/s per user"
    }
    func point(_ p: ParetoPoint) -> SVGChart.Point {
      SVGChart.Point(x: p.outputTokensPerSecondPerUser, y: p.outputTokensPerSecondPerGPU, note: label(p))
    }
    var gpus: [String] = []
    for p in points where !gpus.contains(p.gpu) { gpus.append(p.gpu) }
    var series = gpus.enumerated().map { index, gpu in
      SVGChart.Series(
        name: displayName(gpu, fleet), kind: .scatter, points: points.filter { $0.gpu == gpu }.map(point), color: index)
    }
    let frontier = points.filter(\.onFrontier).sorted {
      ($0.outputTokensPerSecondPerUser, $0.outputTokensPerSecondPerGPU)
        < ($1.outputTokensPerSecondPerUser, $1.outputTokensPerSecondPerGPU)
    }
    if !frontier.isEmpty {
      series.append(
        SVGChart.Series(
          name: "Pareto frontier", kind: .line, points: frontier.map(point), color: 6, marker: SVGChart.Marker.none))
    }
    let recommended = points.filter(\.recommended)
    if !recommended.isEmpty {
      series.append(
        SVGChart.Series(name: "recommended", kind: .scatter, points: recommended.map(point), color: 1, marker: .ring))
    }
    let chart = SVGChart(
      id: "chart-pareto", title: "Output tokens/s per GPU against output tokens/s per user",
      description:
        "Scatter: each layout and batch cap of each GPU type as throughput per GPU against the speed each user sees "
        + "(1 / TPOT); the line joins the Pareto-optimal points; a ring marks the recommendation.",
      x: .numeric(.covering(points.map(\.outputTokensPerSecondPerUser), label: "output tokens/s per user (1 / TPOT)")),
      y: .covering(points.map(\.outputTokensPerSecondPerGPU), label: "output tokens/s per GPU"), series: series)
    var table = HTMLTable(
      ["GPU", "layout", "max_num_seqs", "precision", "tok/s per GPU", "tok/s per user"],
      alignments: [.left, .left, .right, .left, .right, .right], keyColumns: 2)
    for p in frontier {
      table.append(
        [
          displayName(p.gpu, fleet), p.layout, "\(p.maxSequences)", p.precision ?? Cell.missing,
          Cell.number(p.outputTokensPerSecondPerGPU), Cell.number(p.outputTokensPerSecondPerUser),
        ], className: p.recommended ? "chosen" : nil)
    }
    return HTMLDocument.section(
      "pareto", "Throughput against interactivity (Pareto frontier)",
      [
        chart.figure(
          caption:
            "Up and to the right is better: a point is on the frontier when no other point is better on both axes. "
            + "The frontier's points:"),
        table.rendered,
      ])
  }

  static func perType(_ fleet: FleetPlan) -> HTMLFragment {
    var parts: [HTMLFragment] = []
    for plan in fleet.plans {
      parts.append(.element("h3", text: "\(plan.question.gpuDisplayName) (\(plan.question.cluster))"))
      parts.append(HTMLDocument.paragraph(plan.recommendation.sentence))
      parts.append(HTMLDocument.list(plan.recommendation.reasons))
    }
    if parts.isEmpty { parts.append(HTMLDocument.paragraph("No GPU type was planned.")) }
    return HTMLDocument.section("per-type", "Each GPU type's plan", parts)
  }

  static func assumptions(_ fleet: FleetPlan) -> HTMLFragment {
    var seen: Set<String> = []
    var items: [HTMLFragment] = []
    for a in fleet.plans.flatMap(\.assumptions) where seen.insert(a.topic + "\u{1}" + a.statement).inserted {
      items.append(
        .element(
          "li",
          [
            .element("strong", text: a.topic + "."), HTMLFragment(text: " "), .prose(a.statement),
            HTMLFragment(text: " "), .element("em", text: "Source:"), HTMLFragment(text: " "), .prose(a.source),
          ]))
    }
    return HTMLDocument.section("assumptions", "Assumptions and sources", [.element("ul", [.lines(items)])])
  }
}

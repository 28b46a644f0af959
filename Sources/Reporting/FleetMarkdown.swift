import Foundation
import PlanCore
import Planner

/// A fleet plan with its provenance, as `recommend --gpu a,b,c` (or `--rate A..B`) renders it
/// in Markdown and prints it with `--json`.
public struct FleetReport: Sendable, Codable {
  public var command: String
  public var inputs: [InputDigest]
  public var fleet: FleetPlan

  public init(command: String, inputs: [InputDigest], fleet: FleetPlan) {
    self.command = command
    self.inputs = inputs
    self.fleet = fleet
  }

  public init(fleet: FleetPlan, inputFiles: [String], baseDirectory: String, command: String) throws {
    self.init(
      command: command, inputs: try InputProvenance.digests(inputFiles, relativeTo: baseDirectory), fleet: fleet)
  }

  public func json() throws -> String { try ReportJSON.string(self) }
}

/// Markdown of the hardware-and-money sections: the GPU-type comparison, prices, the growth
/// curve and the Pareto frontier; then the whole plan of the recommended type.
public enum FleetMarkdown {
  /// The GPU types whose own plan finds disaggregated prefill/decode pools better than their
  /// best aggregated layout (the side-by-side comparison is of aggregated layouts); nil: none.
  public static func disaggregationNote(_ fleet: FleetPlan) -> String? {
    let wins = fleet.plans.compactMap { plan -> String? in
      guard let comparison = plan.disaggregation?.comparison, comparison.winner == .disaggregated,
        let pools = comparison.disaggregatedLayout
      else { return nil }
      return "\(plan.question.gpuDisplayName): \(pools) on \(pools.totalGPUs) GPUs (\(comparison.basis))"
    }
    guard !wins.isEmpty else { return nil }
    return "The comparison below is of aggregated layouts; separate prefill and decode pools do better for "
      + wins.joined(separator: "; ")
      + ". Each type's own plan (its section Aggregated or disaggregated serving) gives the figures and launch."
  }

  public static func render(_ report: FleetReport) -> String {
    let fleet = report.fleet
    let first = fleet.plans.first?.question
    var sections: [String] = [ReportFile.marker]
    sections.append("# Hardware plan: \(first?.scenario ?? "fleet")")
    sections.append("> **Recommendation.** \(fleet.recommendationReason)")
    if let note = disaggregationNote(fleet) { sections.append("> **Disaggregated serving.** \(note)") }
    if let first {
      sections.append(
        "\(first.modelDisplayName) at \(Format.rate(fleet.rateRequestsPerSecond)), SLO TTFT p90 ≤ "
          + "\(Units.formatSeconds(first.slo.ttftSeconds)), TPOT p90 ≤ \(Units.formatSeconds(first.slo.tpotSeconds)), "
          + "success ≥ \(Format.percent(first.slo.successRateFloor)); objective `\(fleet.objective.rawValue)` "
          + "(\(fleet.objective.explanation)); each GPU type planned on a cluster of its own kind within "
          + "\(first.gpuBudget) GPUs.")
    }
    sections.append(comparison(fleet))
    sections.append(prices(fleet))
    if let growth = fleet.growth { sections.append(growthSection(growth, fleet: fleet)) }
    if !fleet.pareto.isEmpty { sections.append(pareto(fleet)) }
    if let gpu = fleet.recommendedGPU ?? fleet.plans.first?.question.gpu,
      let plan = fleet.plans.first(where: { $0.question.gpu == gpu })
    {
      let inner = PlanMarkdown.render(PlanReport(command: report.command, inputs: report.inputs, plan: plan))
      // The type's own report, one heading level down, without its marker line.
      let body = inner.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        .map { $0.hasPrefix("#") ? "#" + $0 : String($0) }.joined(separator: "\n")
      sections.append("## The plan of \(plan.question.gpuDisplayName)\n" + body.trimmingCharacters(in: .newlines))
    }
    return sections.joined(separator: "\n\n") + "\n"
  }

  // MARK: Cost cells shared with the layout table

  static let costHeaders = ["$/hour", "$/M out tok"]

  static func costCells(_ cost: LayoutCost?) -> [String] {
    guard let cost else { return [Cell.missing, Cell.missing] }
    return [Format.dollars(cost.dollarsPerHour), Format.dollars(cost.dollarsPerMillionOutputTokens)]
  }

  static func costSentence(_ plan: PlanResult) -> String {
    guard let price = plan.price else { return "" }
    var text =
      "$/hour = GPUs × \(Format.dollars(price.dollarsPerGPUHour)) per GPU-hour (\(priceOrigin(price))); "
      + "$/M out tok = $/hour ÷ output tokens per hour at \(Format.rate(plan.question.rateRequestsPerSecond)) "
      + "(× \(plan.question.meanOutputTokens) mean output tokens × 3600) × 10⁶."
    if let gpus = plan.recommendation.gpus, let cost = plan.cost(gpus: gpus) {
      text +=
        " The recommended layout costs \(Format.dollars(cost.dollarsPerHour)) per hour, "
        + "\(Format.dollars(cost.dollarsPerMillionOutputTokens)) per million output tokens and "
        + "\(Format.dollars(cost.dollarsPerMillionRequests)) per million requests."
    }
    return text
  }

  static func priceOrigin(_ price: HourlyPrice) -> String {
    if price.userSupplied { return "given with \(price.source)" }
    return "catalog list price" + (price.asOf.map { " as of \($0)" } ?? "") + ": \(price.source)"
  }

  // MARK: Sections

  static func comparison(_ fleet: FleetPlan) -> String {
    var table = MarkdownTable(
      [
        "GPU", "layout", "GPUs", "capacity", "headroom", "TTFT p90", "TPOT p90", "$/GPU-h", "$/hour", "$/M out tok",
        "$/M req", "verdict",
      ],
      alignments: [.left, .left, .right, .right, .right, .right, .right, .right, .right, .right, .right, .left])
    for o in fleet.comparison {
      let verdict: String
      if o.gpu == fleet.recommendedGPU {
        verdict = "**recommended**"
      } else if o.meetsSLO {
        verdict = "meets SLO" + (o.why.map { "; \($0)" } ?? "")
      } else {
        verdict = "✗ " + (o.why ?? "does not meet the SLO")
      }
      table.append([
        o.gpuDisplayName, o.layout ?? Cell.missing, o.gpus.map(String.init) ?? Cell.missing,
        Cell.rate(o.capacityRequestsPerSecond), o.headroom.map { Format.percent($0) } ?? Cell.missing,
        Cell.time(o.ttftP90Seconds), Cell.time(o.tpotP90Seconds),
        o.price.map { Format.dollars($0.dollarsPerGPUHour) } ?? Cell.missing,
        o.cost.map { Format.dollars($0.dollarsPerHour) } ?? Cell.missing,
        o.cost.map { Format.dollars($0.dollarsPerMillionOutputTokens) } ?? Cell.missing,
        o.cost.map { Format.dollars($0.dollarsPerMillionRequests) } ?? Cell.missing, verdict,
      ])
    }
    var clusters = MarkdownTable(["GPU", "cluster", "how chosen"], alignments: [.left, .left, .left])
    for o in fleet.comparison { clusters.append([o.gpuDisplayName, "`\(o.cluster)`", o.clusterNote]) }
    return [
      "## GPU types side by side (at \(Format.rate(fleet.rateRequestsPerSecond)))",
      "The recommended layout of each type's own plan (analytic search, simulated shortlist). Capacity is the "
        + "largest rate meeting the SLO (simulated search where run, else analytic); headroom = capacity ÷ rate − 1; "
        + "TTFT and TPOT p90 are simulated at the target rate. Costs are at the target rate: the GPUs are paid for "
        + "whether busy or not.",
      table.rendered,
      clusters.rendered,
    ].joined(separator: "\n\n")
  }

  static func prices(_ fleet: FleetPlan) -> String {
    var table = MarkdownTable(["GPU", "$/GPU-hour", "as of", "source"], alignments: [.left, .right, .left, .left])
    for o in fleet.comparison {
      guard let price = o.price else {
        table.append([o.gpuDisplayName, Cell.missing, Cell.missing, HourlyPrice.missingMessage(gpu: o.gpu)])
        continue
      }
      table.append([
        o.gpuDisplayName, Format.dollars(price.dollarsPerGPUHour), price.asOf ?? Cell.missing,
        price.userSupplied ? "given with \(price.source)" : price.source,
      ])
    }
    return [
      "## Prices",
      "On-demand list prices per GPU-hour from the GPU files (or the user's, which win). A negotiated or reserved "
        + "price is often far lower: give it with `--price GPU=DOLLARS` or `prices:` in the scenario.",
      table.rendered,
    ].joined(separator: "\n\n")
  }

  static func growthSection(_ growth: GrowthCurve, fleet: FleetPlan) -> String {
    let names = growth.gpuTypes.map { gpu in fleet.comparison.first { $0.gpu == gpu }?.gpuDisplayName ?? gpu }
    var headers = ["rate"]
    for name in names { headers += ["\(name) GPUs", "$/hour"] }
    headers.append("cheapest")
    var table = MarkdownTable(
      headers, alignments: [.right] + Array(repeating: .right, count: 2 * names.count) + [.left])
    for point in growth.points {
      var row = [Format.rate(point.rateRequestsPerSecond)]
      for index in growth.gpuTypes.indices {
        row.append(
          point.gpus[index].map { "\($0) (\(point.layouts[index] ?? ""))" } ?? "none within budget")
        row.append(point.dollarsPerHour[index].map(Format.dollars) ?? Cell.missing)
      }
      row.append(
        point.cheapestGPU.map { gpu in fleet.comparison.first { $0.gpu == gpu }?.gpuDisplayName ?? gpu } ?? "none")
      table.append(row)
    }
    let priced = growth.points.contains { $0.dollarsPerHour.contains { $0 != nil } }
    let values: [[Double]] = growth.gpuTypes.indices.map { index in
      growth.points.map { point in
        priced ? (point.dollarsPerHour[index] ?? .infinity) : Double(point.gpus[index] ?? Int.max)
      }
    }
    let finite = values.flatMap { $0 }.filter(\.isFinite)
    let top = PlanMarkdown.niceCeiling(max(finite.max() ?? 1, 1e-9) * 1.1)
    let chart = MermaidChart(
      title: priced ? "Cost of the cheapest layout meeting the SLO" : "GPUs of the smallest layout meeting the SLO",
      xLabel: "request rate (req/s)",
      categories: growth.points.map { Units.threeSignificant($0.rateRequestsPerSecond) },
      yLabel: priced ? "$/hour" : "GPUs", yRange: 0...top,
      series: zip(names, values).map { MermaidChart.Series(name: $0, values: $1) })
    let crossings =
      growth.crossovers.isEmpty
      ? "The cheapest type does not change over this range."
      : "Where the answer changes: " + growth.crossovers.joined(separator: "; ") + "."
    return [
      "## Growth: capacity against traffic",
      "For each rate, the fewest GPUs of each type (cell: GPUs (layout)) and their cost per hour. "
        + fleet.growthMethod,
      table.rendered,
      chart.rendered,
      chart.legend + " A type that cannot serve a rate within its budget is drawn at the top of the axis.",
      crossings,
    ].joined(separator: "\n\n")
  }

  static func pareto(_ fleet: FleetPlan) -> String {
    let frontier = fleet.pareto.filter(\.onFrontier).sorted {
      ($0.gpu, $0.outputTokensPerSecondPerUser) < ($1.gpu, $1.outputTokensPerSecondPerUser)
    }
    var table = MarkdownTable(
      ["GPU", "replica layout", "max seqs", "tok/s per user", "tok/s per GPU", "mark"],
      alignments: [.left, .left, .right, .right, .right, .left])
    let name = { (gpu: String) in fleet.comparison.first { $0.gpu == gpu }?.gpuDisplayName ?? gpu }
    let shown = fleet.pareto.filter { $0.onFrontier || $0.recommended }.sorted {
      ($0.gpu, $0.outputTokensPerSecondPerUser) < ($1.gpu, $1.outputTokensPerSecondPerUser)
    }
    for p in shown {
      table.append([
        name(p.gpu), p.layout, "\(p.maxSequences)", Format.number(p.outputTokensPerSecondPerUser),
        Format.number(p.outputTokensPerSecondPerGPU),
        [p.onFrontier ? "frontier" : nil, p.recommended ? "**recommended**" : nil].compactMap { $0 }.joined(
          separator: ", "),
      ])
    }
    var parts = [
      "## Throughput against interactivity (Pareto frontier)",
      "\(fleet.pareto.count) operating points (\(frontier.count) on the frontier); the table shows the frontier and "
        + "the recommended point. " + fleet.paretoMethod,
      table.rendered,
    ]
    // One chart per type would overflow xychart's single x axis; chart the recommended type's frontier.
    if let gpu = fleet.recommendedGPU ?? frontier.first?.gpu {
      let line = frontier.filter { $0.gpu == gpu }
      if line.count >= 2 {
        let top = PlanMarkdown.niceCeiling((line.map(\.outputTokensPerSecondPerGPU).max() ?? 1) * 1.1)
        let chart = MermaidChart(
          title: "Pareto frontier of \(name(gpu))", xLabel: "output tokens/s per user",
          categories: line.map { Units.threeSignificant($0.outputTokensPerSecondPerUser) },
          yLabel: "output tokens/s per GPU", yRange: 0...top,
          series: [
            MermaidChart.Series(name: "frontier of \(name(gpu))", values: line.map(\.outputTokensPerSecondPerGPU))
          ])
        parts.append(chart.rendered)
        parts.append(chart.legend + " Categories are the frontier points' per-user rates, in order.")
      }
    }
    return parts.joined(separator: "\n\n")
  }

  /// The Pareto section alone, for a single-type report.
  public static func paretoSection(_ fleet: FleetPlan) -> String { fleet.pareto.isEmpty ? "" : pareto(fleet) }
}

extension PlanMarkdown {
  /// A single-type report as `recommend` writes it: the plan, then the Pareto frontier of its
  /// layouts (`FleetPlanner.single`).
  public static func render(_ report: PlanReport, withParetoOf fleet: FleetPlan) -> String {
    let pareto = FleetMarkdown.paretoSection(fleet)
    return render(report) + (pareto.isEmpty ? "" : "\n" + pareto + "\n")
  }
}

import Analytic
import Foundation
import PlanCore
import Planner
import Simulation

/// The disaggregation section of a plan report: which form wins and why, the best
/// disaggregated layouts (analytic), the simulated ones with their gap tables, and the launch
/// of the best disaggregated layout.
public enum DisaggregationMarkdown {
  /// Empty when the plan did not search disaggregated layouts.
  public static func render(_ plan: PlanResult) -> String {
    guard let d = plan.disaggregation else { return "" }
    var lines = [
      "## Aggregated or disaggregated serving",
      "Disaggregated layouts put prompts on x prefill instances and decodes on y decode instances "
        + "(`xP(TP·PP) + yD(TP·PP)`) on disjoint GPUs; each request's KV cache crosses from one to the other "
        + "(KV transfer \(d.overlap == .layerwise ? "overlapped layer by layer" : "after the prefill"); "
        + "`kv_transfer.overlap`). \(d.layoutsScored) disaggregated layouts were scored with the same objective "
        + "and SLO as the aggregated ones (`disaggregation: \(d.mode)`).",
      "**\(d.comparison.sentence)**",
      d.comparison.reasons.map { "- \($0)" }.joined(separator: "\n"),
    ]
    lines.append(candidateTable(d, rate: plan.question.rateRequestsPerSecond))
    if let note = d.simulationNote { lines.append(note) }
    if !d.shortlist.isEmpty {
      lines.append("### Simulated disaggregated layouts")
      for s in d.shortlist {
        let verdict = s.meetsSLO ? "meets the SLO" : "breaks the SLO: " + s.reasons.joined(separator: "; ")
        let moved = s.transferredBytesPerRequest.map { "; KV moved per request \(Units.formatBytes($0))" } ?? ""
        lines.append("#### \(s.layout) (\(s.gpus) GPUs): \(verdict)\(moved)")
        lines.append(PlanMarkdown.gapTable(s.gap))
      }
    }
    if let launch = d.launch, let layout = d.comparison.disaggregatedLayout {
      lines.append("### Launch of \(layout) (vLLM, one server per instance)")
      lines.append("```sh\n" + launch.commands.joined(separator: "\n\n") + "\n```")
      lines.append("Worker list (Dynamo style):\n\n" + launch.workers.map { "- \($0)" }.joined(separator: "\n"))
      lines.append(launch.notes.map { "- \($0)" }.joined(separator: "\n"))
    }
    return lines.joined(separator: "\n\n")
  }

  static func candidateTable(_ d: DisaggregationPlan, rate: Double) -> String {
    "### Best disaggregated layouts (analytic model at \(Format.rate(rate)))\n\n" + candidateRows(d).rendered
  }

  static func candidateRows(_ d: DisaggregationPlan) -> MarkdownTable {
    var table = MarkdownTable(
      [
        "layout", "GPUs", "prefill", "KV transfer (exposed)", "TTFT p90", "TPOT", "capacity (P / D)", "max rate",
        "verdict",
      ],
      alignments: [.left, .right, .right, .right, .right, .right, .right, .right, .left])
    for c in d.candidates {
      table.append([
        c.layout.description, "\(c.gpus)", Units.formatSeconds(c.prefillSeconds),
        "\(Units.formatSeconds(c.transfer.transferSeconds)) (\(Units.formatSeconds(c.transfer.exposedSeconds)))",
        c.load.ttftP90Seconds.map(Units.formatSeconds) ?? "—", c.load.tpotMeanSeconds.map(Units.formatSeconds) ?? "—",
        "\(Format.rate(c.load.prefillCapacityRequestsPerSecond)) / \(Format.rate(c.load.decodeCapacityRequestsPerSecond))",
        c.meetsSLO ? Format.rate(c.maxSustainableRequestsPerSecond) : "—",
        c.meetsSLO ? "meets the SLO" : c.reasons.joined(separator: "; "),
      ])
    }
    return table
  }

  /// The same section for the HTML report.
  static func html(_ plan: PlanResult) -> HTMLFragment {
    guard let d = plan.disaggregation else { return HTMLDocument.paragraph("Not searched.") }
    var parts: [HTMLFragment] = [
      .element("p", ["class": "callout"], [.element("strong", text: d.comparison.sentence)]),
      HTMLDocument.list(d.comparison.reasons),
      .element(
        "h3", text: "Best disaggregated layouts (analytic model at \(Format.rate(plan.question.rateRequestsPerSecond)))"
      ),
      HTMLTable(candidateRows(d)).rendered,
    ]
    for s in d.shortlist {
      parts.append(
        .element("h3", text: "\(s.layout) (\(s.gpus) GPUs): " + (s.meetsSLO ? "meets the SLO" : "breaks the SLO")))
      var gap = MarkdownTable(
        ["metric", "analytic", "simulated (95 % CI)", "gap"], alignments: [.left, .right, .right, .right])
      for row in s.gap {
        gap.append([
          row.metric.label, Cell.metric(row.metric, row.analytic),
          Cell.metric(row.metric, row.simulated, interval: row.simulatedInterval),
          Cell.gap(row.relativeGap, flagged: row.flagged),
        ])
      }
      parts.append(HTMLTable(gap).rendered)
    }
    if let launch = d.launch {
      parts.append(.element("pre", [.element("code", text: launch.commands.joined(separator: "\n\n"))]))
      parts.append(HTMLDocument.list(launch.workers + launch.notes))
    }
    return HTMLDocument.section("disaggregation", "Aggregated or disaggregated serving", parts)
  }
}

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
    return "### Best disaggregated layouts (analytic model at \(Format.rate(rate)))\n\n" + table.rendered
  }
}

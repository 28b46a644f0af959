import Analytic
import Foundation
import PlanCore
import Planner

/// Renders a `PlanReport` as one self-contained HTML file: the sections of the Markdown report
/// (same figures, same cells), with the charts drawn as inline SVG instead of Mermaid.
/// Deterministic: the same report gives the same bytes (no clock, no random ids).
public enum PlanHTML {
  public static func render(_ report: PlanReport) -> String { render(report, paretoOf: nil) }

  /// The report as `recommend` writes it: the plan, then the Pareto frontier of its layouts
  /// (`FleetPlanner.single`), as the Markdown report has it.
  public static func render(_ report: PlanReport, withParetoOf fleet: FleetPlan) -> String {
    render(report, paretoOf: fleet)
  }

  static func render(_ report: PlanReport, paretoOf fleet: FleetPlan?) -> String {
    let plan = report.plan
    var sections: [(id: String, title: String, body: HTMLFragment)] = [
      ("question", "The question", question(plan.question, report: report)),
      ("recommendation", "Recommendation", recommendation(plan)),
      ("layouts", "All layouts", layoutTable(plan)),
      ("memory", "Memory", memory(plan)),
      ("shortlist", "Simulated shortlist", shortlist(plan)),
      ("gap", "Analytic vs simulated", gap(plan)),
      ("charts", "Charts", charts(plan)),
      ("launch", "Launch command", launch(plan)),
      ("assumptions", "Assumptions and sources", assumptions(plan)),
    ]
    if plan.disaggregation != nil {
      sections.insert(
        ("disaggregation", "Aggregated or disaggregated serving", DisaggregationMarkdown.html(plan)), at: 6)
    }
    if let fleet, !fleet.pareto.isEmpty {
      sections.append(("pareto", "Throughput against interactivity", FleetHTML.pareto(fleet)))
    }
    var body: [HTMLFragment] = [
      .element("h1", text: "Capacity plan: \(plan.question.scenario)")
    ]
    for line in PlanHeadline.lines(plan) {
      body.append(
        .element(
          "p", ["class": plan.recommendation.basis == .simulation ? "callout" : "callout warn"],
          [.element("strong", text: "\(line.label). "), .prose(line.sentence)]))
    }
    body += [
      HTMLDocument.contents(sections.map { ($0.id, $0.title) })
    ]
    body += sections.map(\.body)
    return HTMLDocument.render(title: "Capacity plan: \(plan.question.scenario)", body: body)
  }

  // MARK: Sections

  static func question(_ q: PlanQuestion, report: PlanReport) -> HTMLFragment {
    let items = PlanMarkdown.questionFacts(q)
    var parts: [HTMLFragment] = [facts(items)]
    if !q.profiles.isEmpty, q.traceRequests == 0 {
      var profiles = HTMLTable(
        ["client profile", "share", "prompt tokens", "output tokens"], alignments: [.left, .right, .left, .left])
      for p in q.profiles { profiles.append([p.name, Format.percent(p.share), p.prompt, p.output]) }
      parts.append(profiles.rendered)
    }
    parts.append(.element("h3", text: "Input files"))
    parts.append(inputList(report.inputs))
    parts.append(.element("p", [HTMLFragment(text: "Regenerate with "), .element("code", text: report.command)]))
    return HTMLDocument.section("question", "The question", parts)
  }

  /// A definition list of (term, prose) pairs.
  static func facts(_ items: [(String, String)]) -> HTMLFragment {
    .element(
      "dl", ["class": "facts"],
      [.lines(items.flatMap { [HTMLFragment.element("dt", text: $0.0), .element("dd", [.prose($0.1)])] })])
  }

  /// Input files with their sizes and SHA-256 digests.
  static func inputList(_ inputs: [InputDigest]) -> HTMLFragment {
    guard !inputs.isEmpty else { return HTMLDocument.list(["(built-in scenario only)"]) }
    return .element(
      "ul", ["class": "hashes"],
      [
        .lines(
          inputs.map {
            .element(
              "li",
              [
                .element("code", text: $0.path), HTMLFragment(text: ": \($0.bytes) bytes, SHA-256 "),
                .element("code", text: $0.sha256),
              ])
          })
      ])
  }

  static func recommendation(_ plan: PlanResult) -> HTMLFragment {
    let r = plan.recommendation
    return HTMLDocument.section(
      "recommendation", "Recommendation",
      [
        HTMLDocument.paragraph(r.sentence), HTMLDocument.list(r.reasons),
        HTMLDocument.paragraph((r.rankingsDisagree ? "Rankings disagree. " : "") + r.rankingNote),
      ])
  }

  static func layoutTable(_ plan: PlanResult) -> HTMLFragment {
    let q = plan.question
    let table = HTMLTable(
      PlanMarkdown.layoutRows(plan),
      rowClasses: plan.candidates.map { c in
        c.layout == plan.recommendation.layout && c.precision == plan.recommendation.precision
          ? "chosen" : (c.meetsSLO ? nil : "fails")
      })
    return HTMLDocument.section(
      "layouts", "All layouts (analytic model at \(Format.rate(q.rateRequestsPerSecond)))",
      [
        HTMLDocument.paragraph(
          "Every layout within the budget, best first by the objective; those that break the SLO stay, with the "
            + "reason (greyed), and the recommended layout is highlighted. TTFT p90 and TPOT (mean) are under load at "
            + "the target rate; max rate is the largest rate the load model says meets the SLO; goodput/GPU is "
            + "successful requests/s per GPU at the target rate. Times carry in brackets the p10–p90 band of the GPU "
            + "profile's kernel and collective timings "
            + (plan.candidates.first?.bandsCalibrated == true
              ? "(calibrated against measurements)"
              : "(uncalibrated GPU: the datasheet law's spread on measured H100 data, widened)")
            + "; queueing adds its own uncertainty on top. "
            + (plan.price != nil ? FleetMarkdown.costSentence(plan) + " " : "")
            + "\"Unstable\" means the arrival rate exceeds the layout's "
            + "capacity: the queue grows without bound and no steady-state latency exists."),
        table.rendered,
      ])
  }

  static func memory(_ plan: PlanResult) -> HTMLFragment {
    guard let layout = plan.recommendation.layout, let c = plan.recommendedCandidate else {
      return HTMLDocument.section("memory", "Memory", [HTMLDocument.paragraph("No layout recommended.")])
    }
    let table = HTMLTable(PlanMarkdown.memoryRows(c))
    return HTMLDocument.section(
      "memory", "Memory of \(layout) (per GPU)",
      [
        table.rendered,
        HTMLDocument.paragraph(
          "Budget = \(Cell.bytes(plan.question.gpuMemoryBytes)) × \(Format.number(c.memory.gpuMemoryUtilization)). "
            + "Each replica's KV cache holds \(c.memory.maxKVTokens) tokens (\(c.memory.kvBlocks) blocks of "
            + "\(c.memory.blockSizeTokens)): \(c.memory.maxConcurrentSequences) mean-length requests at once "
            + "(the longest request has \(c.longestRequestTokens) tokens)."),
        PlanCharts.memory(c, gpuMemoryBytes: plan.question.gpuMemoryBytes, layout: layout),
      ])
  }

  static func shortlist(_ plan: PlanResult) -> HTMLFragment {
    let table = HTMLTable(
      PlanMarkdown.shortlistRows(plan),
      rowClasses: plan.shortlist.map { c in
        c.layout == plan.recommendation.layout && c.precision == plan.recommendation.precision
          ? "chosen" : (c.meetsSLO ? nil : "fails")
      })
    return HTMLDocument.section(
      "shortlist", "Simulated shortlist",
      [
        HTMLDocument.paragraph(
          "Each layout replayed request by request at \(Format.rate(plan.question.rateRequestsPerSecond)) with the "
            + "scenario's seed, ranked again on the simulated figures. Max rate (sim) is the largest simulated rate "
            + "that met the SLO."),
        plan.shortlist.isEmpty ? HTMLDocument.paragraph("Nothing was simulated.") : table.rendered,
        HTMLDocument.paragraph(
          (plan.recommendation.rankingsDisagree ? "Rankings disagree. " : "") + plan.recommendation.rankingNote),
      ])
  }

  static func gap(_ plan: PlanResult) -> HTMLFragment {
    var parts: [HTMLFragment] = [
      HTMLDocument.paragraph(
        "Relative gap = (analytic − simulated) / simulated. The analytic TPOT is a mean, so it is compared with the "
          + "simulated mean. "
          + PlanMarkdown.intervalSentence(plan.shortlist.compactMap(\.intervals).first, seed: plan.question.seed)
          + " ⚠ marks a gap above \(Format.percent(plan.question.gapThreshold)) with the analytic value outside the "
          + "interval (a gap the interval covers is simulation noise, not model error), or a verdict the two "
          + "disagree on.")
    ]
    for c in plan.shortlist {
      parts.append(.element("h3", text: "\(c.layout) (\(c.gpus) GPU\(c.gpus == 1 ? "" : "s"))"))
      var table = HTMLTable(
        ["metric", "analytic", "simulated (95 % CI)", "gap"], alignments: [.left, .right, .right, .right])
      for row in c.gap {
        let gapText = row.relativeGap == nil && row.flagged ? "⚠" : Cell.gap(row.relativeGap, flagged: row.flagged)
        table.append(
          fragments: [
            HTMLFragment(text: row.metric.label), HTMLFragment(text: Cell.metric(row.metric, row.analytic)),
            HTMLFragment(text: Cell.metric(row.metric, row.simulated, interval: row.simulatedInterval)),
            row.flagged ? .element("span", ["class": "flag"], text: gapText) : HTMLFragment(text: gapText),
          ])
      }
      parts.append(table.rendered)
      let notes = c.gap.compactMap { row in row.note.map { "\(row.metric.label): \($0)" } }
      if !notes.isEmpty { parts.append(HTMLDocument.list(notes)) }
      if c.flagged {
        parts.append(
          c.causes.isEmpty
            ? HTMLDocument.paragraph("Flagged; the simulation showed none of the usual causes.")
            : .lines([
              HTMLDocument.paragraph("Likely causes:"),
              HTMLDocument.list(c.causes.map { "\($0.kind.rawValue): \($0.evidence)" }),
            ]))
      }
    }
    if plan.shortlist.isEmpty { parts.append(HTMLDocument.paragraph("Nothing was simulated.")) }
    return HTMLDocument.section("gap", "Analytic vs simulated", parts)
  }

  static func charts(_ plan: PlanResult) -> HTMLFragment {
    var parts: [HTMLFragment] = []
    parts += PlanCharts.loadCurves(plan)
    parts += PlanCharts.tensorParallel(plan)
    if parts.isEmpty {
      parts.append(HTMLDocument.paragraph("No layout could serve the workload, so there is nothing to chart."))
    }
    return HTMLDocument.section("charts", "Charts", parts)
  }

  static func launch(_ plan: PlanResult) -> HTMLFragment {
    guard let launch = plan.launch, let layout = plan.recommendation.layout else {
      return HTMLDocument.section("launch", "Launch command", [HTMLDocument.paragraph("No layout recommended.")])
    }
    var parts: [HTMLFragment] = [.element("pre", [.element("code", text: launch.command)])]
    if plan.recommendation.basis != .simulation {
      parts.append(
        .element(
          "p", ["class": "callout warn"],
          text: "This layout does not meet the SLO; it is the closest of those simulated."))
    }
    parts.append(HTMLDocument.list(launch.notes))
    return HTMLDocument.section("launch", "Launch command (\(layout), vLLM)", parts)
  }

  static func assumptions(_ plan: PlanResult) -> HTMLFragment {
    let items = plan.assumptions.map { a in
      HTMLFragment.element(
        "li",
        [
          .element("strong", text: a.topic + "."), HTMLFragment(text: " "), .prose(a.statement),
          HTMLFragment(text: " "), .element("em", text: "Source:"), HTMLFragment(text: " "), .prose(a.source),
        ])
    }
    return HTMLDocument.section("assumptions", "Assumptions and sources", [.element("ul", [.lines(items)])])
  }
}

import Analytic
import Foundation
import PlanCore
import Planner
import Simulation

/// Renders a `PlanReport` as Markdown: GitHub renders the tables and Mermaid charts, and the
/// padded tables read well in a terminal. Deterministic: the same report gives the same bytes.
public enum PlanMarkdown {
  public static func render(_ report: PlanReport) -> String {
    let plan = report.plan
    var sections: [String] = [ReportFile.marker]
    sections.append("# Capacity plan: \(plan.question.scenario)")
    for line in PlanHeadline.lines(plan) { sections.append("> **\(line.label).** \(line.sentence)") }
    sections.append(question(plan.question, report: report))
    sections.append(recommendation(plan))
    sections.append(layoutTable(plan))
    sections.append(memory(plan))
    sections.append(shortlist(plan))
    sections.append(gap(plan))
    if plan.disaggregation != nil { sections.append(DisaggregationMarkdown.render(plan)) }
    sections.append(charts(plan))
    sections.append(launch(plan))
    sections.append(assumptions(plan))
    return sections.joined(separator: "\n\n") + "\n"
  }

  // MARK: Sections

  static func question(_ q: PlanQuestion, report: PlanReport) -> String {
    var lines = ["## The question"]
    // A list, not a two-column table: the values are sentences, too wide for a table line.
    let items = questionFacts(q)
    lines.append(items.map { "- **\($0.0)**: \($0.1)" }.joined(separator: "\n"))
    if !q.profiles.isEmpty, q.traceRequests == 0 {
      var profiles = MarkdownTable(
        ["client profile", "share", "prompt tokens", "output tokens"], alignments: [.left, .right, .left, .left])
      for p in q.profiles { profiles.append([p.name, Format.percent(p.share), p.prompt, p.output]) }
      lines.append(profiles.rendered)
    }
    lines.append("### Input files")
    lines.append(report.inputs.isEmpty ? "- (built-in scenario only)" : inputList(report.inputs))
    lines.append("Regenerate with `\(report.command)`.")
    return lines.joined(separator: "\n\n")
  }

  /// The question's facts as (term, sentence) pairs, shared by the Markdown and HTML reports.
  static func questionFacts(_ q: PlanQuestion) -> [(String, String)] {
    var items: [(String, String)] = []
    items.append(("model", "\(q.modelDisplayName) (`\(q.model)`, \(Format.number(q.parameters / 1e9))B parameters)"))
    items.append(
      (
        "GPUs",
        "\(q.gpuDisplayName) (`\(q.gpu)`, \(Units.formatBytes(q.gpuMemoryBytes))); budget \(q.gpuBudget) of the "
          + "\(q.clusterGPUs) GPUs of \(q.clusterDisplayName) (`\(q.cluster)`, \(q.clusterNodes) node\(q.clusterNodes == 1 ? "" : "s"))"
          + (q.clusterGPUReplaced.map { ", its `\($0)` GPUs replaced by `\(q.gpu)` (same links)" } ?? "")
      ))
    let traffic =
      q.traceRequests > 0
      ? "trace of \(q.traceRequests) requests (\(Format.rate(q.rateRequestsPerSecond)) on average)"
      : "\(Format.rate(q.rateRequestsPerSecond)), \(q.arrival) arrivals"
    items.append(
      (
        "workload",
        "\(traffic); mean request \(q.meanPromptTokens) prompt + \(q.meanOutputTokens) output tokens; longest \(q.longestRequestTokens) tokens"
      ))
    items.append(
      (
        "SLO",
        "TTFT p90 ≤ \(Units.formatSeconds(q.slo.ttftSeconds)), TPOT p90 ≤ \(Units.formatSeconds(q.slo.tpotSeconds)), "
          + "success ≥ \(Format.percent(q.slo.successRateFloor)) of requests"
      ))
    items.append(("objective", "`\(q.objective.rawValue)`: \(q.objective.explanation)"))
    items.append(("router", "`\(q.router.rawValue)`"))
    items.append(
      (
        "engine",
        "gpu_memory_utilization \(Format.number(q.engine.gpuMemoryUtilization)), max_num_seqs \(q.engine.maxSequences), "
          + "max_num_batched_tokens \(q.engine.maxBatchedTokens), block_size \(q.engine.blockSizeTokens), chunked prefill "
          + (q.chunkedPrefill ? "on" : "off")
      ))
    items.append(
      (
        "simulation",
        "\(Units.formatSeconds(q.durationSeconds - q.warmupSeconds)) measured after \(Units.formatSeconds(q.warmupSeconds)) "
          + "warm-up, drain \(Units.formatSeconds(q.drainSeconds)), seed \(q.seed); shortlist: analytic top \(q.topK) "
          + "plus the best of each layout family; gaps flagged above \(Format.percent(q.gapThreshold))"
      ))
    return items
  }

  /// Input files as a list, "- `path`: 1234 bytes, SHA-256 `…`": a path and a 64-digit
  /// digest side by side are too wide for a table line.
  static func inputList(_ inputs: [InputDigest]) -> String {
    inputs.map { "- `\($0.path)`: \($0.bytes) bytes, SHA-256 `\($0.sha256)`" }.joined(separator: "\n")
  }

  static func recommendation(_ plan: PlanResult) -> String {
    let r = plan.recommendation
    var lines = ["## Recommendation", r.sentence, r.reasons.map { "- \($0)" }.joined(separator: "\n")]
    lines.append((r.rankingsDisagree ? "**Rankings disagree.** " : "") + r.rankingNote)
    return lines.joined(separator: "\n\n")
  }

  static func verdict(_ c: AnalyticCandidate) -> String {
    c.meetsSLO ? "meets SLO" : "✗ " + c.reasons.joined(separator: "; ")
  }

  /// Every layout's row (rank, fit, memory, latency under load, cost when priced, verdict), shared
  /// by the Markdown and HTML reports.
  static func layoutRows(_ plan: PlanResult) -> MarkdownTable {
    let priced = plan.price != nil
    var table = MarkdownTable(
      [
        "#", "layout", "GPUs", "placement", "fits", "weights/GPU", "KV cache/GPU", "TTFT p90", "TPOT", "max rate",
        "goodput/GPU",
      ] + (priced ? FleetMarkdown.costHeaders : []) + ["verdict"],
      alignments: [.right, .left, .right, .left, .left, .right, .right, .right, .right, .right, .right]
        + (priced ? [.right, .right] : []) + [.left],
      keyColumns: 2)
    table = withExpertColumns(table, plan)
    for c in plan.candidates {
      let ttft: String
      if let load = c.load {
        ttft = load.stable ? Cell.time(load.ttftP90Seconds, relativeTo: c.noQueueTTFTBandSeconds) : "unstable"
      } else {
        ttft = Cell.missing
      }
      table.append(
        expertCells(
          [
            "\(c.rank)", c.layout.description, "\(c.gpus)", c.placement.summary, c.fits ? "yes" : "no",
            Cell.bytes(c.memory.weightBytesPerGPU), c.fits ? Cell.bytes(c.memory.kvCacheBytesPerGPU) : Cell.missing,
            ttft,
            c.load?.stable == true
              ? Cell.time(c.load?.tpotMeanSeconds, relativeTo: c.tpotBatch1BandSeconds) : Cell.missing,
            Cell.rate(c.maxSustainableRequestsPerSecond), Cell.number(c.goodputPerGPURequestsPerSecond),
          ] + (priced ? FleetMarkdown.costCells(plan.cost(gpus: c.gpus)) : []) + [verdict(c)], layout: c.layout,
          precision: c.precision, plan))
    }
    return table
  }

  static func layoutTable(_ plan: PlanResult) -> String {
    let q = plan.question
    let priced = plan.price != nil
    let table = layoutRows(plan)
    return [
      "## All layouts (analytic model at \(Format.rate(q.rateRequestsPerSecond)))",
      "Every layout within the budget, best first by the objective; those that break the SLO stay, with the reason. "
        + "TTFT p90 and TPOT (mean) are under load at the target rate; max rate is the largest rate the load model "
        + "says meets the SLO; goodput/GPU is successful requests/s per GPU at the target rate. Times carry in brackets "
        + "the p10–p90 band of the GPU profile's kernel and collective timings "
        + (plan.candidates.first?.bandsCalibrated == true
          ? "(calibrated against measurements)"
          : "(uncalibrated GPU: the datasheet law's spread on measured H100 data, widened)")
        + "; queueing adds its own uncertainty on top. "
        + (priced ? FleetMarkdown.costSentence(plan) + " " : "") + "\"Unstable\" means the "
        + "arrival rate exceeds the layout's capacity: the queue grows without bound and no steady-state latency exists.",
      table.rendered,
    ].joined(separator: "\n\n")
  }

  /// Memory per GPU of each pipeline stage of `c`, shared by the Markdown and HTML reports.
  static func memoryRows(_ c: AnalyticCandidate) -> MarkdownTable {
    var table = MarkdownTable(
      ["stage", "layers", "weights", "activations", "runtime reserve", "KV cache", "budget"],
      alignments: [.right, .right, .right, .right, .right, .right, .right])
    for stage in c.memory.stages {
      table.append([
        "\(stage.stage)", "\(stage.layers)", Cell.bytes(stage.weightBytes), Cell.bytes(stage.activationBytes),
        Cell.bytes(stage.reserveBytes), Cell.bytes(PlanCharts.kvBytes(stage, c.memory)), Cell.bytes(stage.budgetBytes),
      ])
    }
    return table
  }

  static func memory(_ plan: PlanResult) -> String {
    guard let layout = recommendedName(plan), let c = plan.recommendedCandidate else {
      return "## Memory\n\nNo layout recommended."
    }
    let table = memoryRows(c)
    return [
      "## Memory of \(layout) (per GPU)",
      table.rendered,
      "Budget = \(Cell.bytes(plan.question.gpuMemoryBytes)) × \(Format.number(c.memory.gpuMemoryUtilization)). "
        + "Each replica's KV cache holds \(c.memory.maxKVTokens) tokens (\(c.memory.kvBlocks) blocks of "
        + "\(c.memory.blockSizeTokens)): \(c.memory.maxConcurrentSequences) mean-length requests at once "
        + "(the longest request has \(c.longestRequestTokens) tokens).",
    ].joined(separator: "\n\n")
  }

  /// The simulated shortlist's rows, shared by the Markdown and HTML reports.
  static func shortlistRows(_ plan: PlanResult) -> MarkdownTable {
    var table = MarkdownTable(
      [
        "sim #", "layout", "analytic #", "GPUs", "why simulated", "success", "TTFT p50", "TTFT p90", "TPOT p90",
        "goodput/GPU", "max rate (sim)", "preemptions", "verdict",
      ],
      alignments: [
        .right, .left, .right, .right, .left, .right, .right, .right, .right, .right, .right, .right, .left,
      ],
      keyColumns: 2)
    table = withExpertColumns(table, plan)
    for c in plan.shortlist {
      let why: String
      switch c.shortlistReason {
      case .analyticTop: why = "analytic top \(plan.question.topK)"
      case .bestOfFamily: why = "best \(c.family.rawValue)"
      case .fewerGPUProbe: why = "fewer-GPU probe"
      case .bestOfPrecision: why = "best \(c.precision?.cell ?? "precision")"
      }
      table.append(
        expertCells(
          [
            "\(c.rank)", c.layout.description, "\(c.analyticRank)", "\(c.gpus)", why,
            Cell.percent(c.result.successRate),
            Cell.time(c.result.ttftSeconds?.p50), Cell.time(c.result.ttftSeconds?.p90),
            Cell.time(c.result.tpotSeconds?.p90),
            Cell.number(c.result.goodputRequestsPerSecond.map { $0 / Double(c.gpus) }),
            maxRateCell(c.maxSustainableRate),
            "\(c.result.preemptions)", c.meetsSLO ? "meets SLO" : "✗ " + c.reasons.joined(separator: "; "),
          ], layout: c.layout, precision: c.precision, plan))
    }
    return table
  }

  static func shortlist(_ plan: PlanResult) -> String {
    let table = shortlistRows(plan)
    return [
      "## Simulated shortlist",
      "Each layout replayed request by request at \(Format.rate(plan.question.rateRequestsPerSecond)) with the "
        + "scenario's seed, ranked again on the simulated figures. Max rate (sim) is the largest simulated rate that "
        + "met the SLO.",
      table.rendered,
      (plan.recommendation.rankingsDisagree ? "**Rankings disagree.** " : "") + plan.recommendation.rankingNote,
    ].joined(separator: "\n\n")
  }

  static func maxRateCell(_ bound: SimulatedRateBound?) -> String {
    guard let bound else { return "not searched" }
    guard let met = bound.metRequestsPerSecond else {
      return bound.brokenRequestsPerSecond.map { "< " + Format.rate($0) } ?? Cell.missing
    }
    guard let broken = bound.brokenRequestsPerSecond, broken > met else { return "≥ " + Format.rate(met) }
    return Format.number(met) + "–" + Format.rate(broken)
  }

  static func gap(_ plan: PlanResult) -> String {
    var lines = [
      "## Analytic vs simulated",
      "Relative gap = (analytic − simulated) / simulated. The analytic TPOT is a mean, so it is compared with the "
        + "simulated mean. " + intervalSentence(plan.shortlist.compactMap(\.intervals).first, seed: plan.question.seed)
        + " ⚠ marks a gap above \(Format.percent(plan.question.gapThreshold)) with the analytic value outside the "
        + "interval (a gap the interval covers is simulation noise, not model error), or a verdict the two disagree on.",
    ]
    for c in plan.shortlist {
      lines.append("### \(c.layout) (\(c.gpus) GPU\(c.gpus == 1 ? "" : "s"))")
      lines.append(gapTable(c.gap))
      if c.flagged {
        let causes = c.causes.map { "- \($0.kind.rawValue): \($0.evidence)" }
        lines.append(
          causes.isEmpty
            ? "Flagged; the simulation showed none of the usual causes."
            : "Likely causes:\n\n" + causes.joined(separator: "\n"))
      }
    }
    if plan.shortlist.isEmpty { lines.append("Nothing was simulated.") }
    return lines.joined(separator: "\n\n")
  }

  /// How the simulated intervals were computed, for the captions of gap tables.
  static func intervalSentence(_ intervals: SimulatedIntervals?, seed: UInt64) -> String {
    guard let intervals else {
      return "Simulated values come from one run (seed \(seed)), without a confidence interval."
    }
    return "Simulated values are the mean of \(intervals.replications) independent replications (seed \(seed) and "
      + "\(intervals.replications - 1) seeds derived from it), with the 95 % confidence interval of that mean in "
      + "brackets: mean ± t(0.975, \(intervals.replications - 1)) · s / √\(intervals.replications), s the standard "
      + "deviation across replications."
  }

  /// One layout's gap rows: metric, analytic, simulated with its interval, gap (⚠ when
  /// flagged); the notes follow as a list, so the table stays narrow.
  static func gapTable(_ rows: [GapRow]) -> String {
    var table = MarkdownTable(
      ["metric", "analytic", "simulated (95 % CI)", "gap"], alignments: [.left, .right, .right, .right])
    for row in rows {
      table.append([
        row.metric.label, Cell.metric(row.metric, row.analytic),
        Cell.metric(row.metric, row.simulated, interval: row.simulatedInterval),
        row.relativeGap == nil && row.flagged ? "⚠" : Cell.gap(row.relativeGap, flagged: row.flagged),
      ])
    }
    let notes = rows.compactMap { row in row.note.map { "- \(row.metric.label): \($0)" } }
    return ([table.rendered] + (notes.isEmpty ? [] : [notes.joined(separator: "\n")])).joined(separator: "\n\n")
  }

  static func charts(_ plan: PlanResult) -> String {
    var lines = ["## Charts"]
    if let first = plan.loadCurves.first, !first.points.isEmpty {
      let categories = first.points.map { Format.number($0.rateRequestsPerSecond) }
      let success = MermaidChart(
        title: "Success rate vs request rate (analytic)", xLabel: "request rate (req/s)", categories: categories,
        yLabel: "success rate (%)", yRange: 0...100,
        series: plan.loadCurves.map { curve in
          MermaidChart.Series(name: curve.layout.description, values: curve.points.map { 100 * $0.longRunSuccessRate })
        })
      lines.append("### Success rate against request rate")
      lines.append(success.rendered)
      lines.append(
        success.legend + " Beyond a layout's capacity the queue grows without bound and, in the long run, no "
          + "request meets the TTFT bound: those points are drawn at 0 %. Target rate: "
          + "\(Format.rate(plan.question.rateRequestsPerSecond)).")
      let slo = plan.question.slo.ttftSeconds
      let stableTTFT = plan.loadCurves.flatMap { $0.points.compactMap(\.ttftP90Seconds) }
      let ceiling = niceCeiling(max(1.5 * slo, min(stableTTFT.max() ?? slo, 3 * slo)))
      let ttft = MermaidChart(
        title: "TTFT p90 vs request rate (analytic)", xLabel: "request rate (req/s)", categories: categories,
        yLabel: "TTFT p90 (s)", yRange: 0...ceiling,
        series: plan.loadCurves.map { curve in
          MermaidChart.Series(name: curve.layout.description, values: curve.points.map { $0.ttftP90Seconds ?? ceiling })
        } + [MermaidChart.Series(name: "SLO", values: categories.map { _ in slo })])
      lines.append("### TTFT p90 against request rate")
      lines.append(ttft.rendered)
      lines.append(
        ttft.legend
          + " Unstable points (no steady state) and values above \(Cell.time(ceiling)) are drawn at the top of the axis."
      )
    }
    if plan.tensorParallelScaling.count >= 2 {
      let points = plan.tensorParallelScaling
      let top = niceCeiling(1.1 * 1000 * (points.map { max($0.ttftSeconds, $0.idealSeconds) }.max() ?? 0))
      let chart = MermaidChart(
        title: "Lone-request TTFT vs tensor parallelism (PP1, DP1)", xLabel: "tensor-parallel degree",
        categories: points.map { "TP\($0.tp)" }, yLabel: "TTFT (ms)", yRange: 0...top,
        series: [
          MermaidChart.Series(name: "predicted TTFT (bars)", kind: .bar, values: points.map { 1000 * $0.ttftSeconds }),
          MermaidChart.Series(
            name: "perfect scaling from TP\(points[0].tp) (line)", values: points.map { 1000 * $0.idealSeconds }),
        ])
      lines.append("### TTFT against tensor parallelism")
      lines.append(chart.rendered)
      var table = MarkdownTable(
        ["TP", "TTFT (no queue)", "perfect scaling", "speed-up"], alignments: [.right, .right, .right, .right])
      for p in points {
        table.append([
          "\(p.tp)", Cell.time(p.ttftSeconds), Cell.time(p.idealSeconds),
          Cell.number(points[0].ttftSeconds / p.ttftSeconds) + "×",
        ])
      }
      lines.append(
        chart.legend + " TP splits each GEMM but adds two all-reduces per layer, so TTFT falls less than linearly.")
      lines.append(table.rendered)
    }
    if lines.count == 1 { lines.append("No layout could serve the workload, so there is nothing to chart.") }
    return lines.joined(separator: "\n\n")
  }

  /// 1, 2 or 5 × a power of ten at or above `value` (axis maxima people read easily).
  static func niceCeiling(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return 1 }
    let power = pow(10, log10(value).rounded(.down))
    for step in [1.0, 2, 5, 10] where step * power >= value * (1 - 1e-12) { return step * power }
    return 10 * power
  }

  static func launch(_ plan: PlanResult) -> String {
    guard let launch = plan.launch, let layout = recommendedName(plan) else {
      return "## Launch command\n\nNo layout recommended."
    }
    var lines = ["## Launch command (\(layout), vLLM)", "```sh\n\(launch.command)\n```"]
    if plan.recommendation.basis != .simulation {
      lines.append("This layout does **not** meet the SLO; it is the closest of those simulated.")
    }
    lines.append(launch.notes.map { "- \($0)" }.joined(separator: "\n"))
    return lines.joined(separator: "\n\n")
  }

  static func assumptions(_ plan: PlanResult) -> String {
    let items = plan.assumptions.map { "- **\($0.topic).** \($0.statement) *Source:* \($0.source)" }
    return (["## Assumptions and sources"] + [items.joined(separator: "\n")]).joined(separator: "\n\n")
  }
}

import Foundation
import PlanCore
import Testing

@testable import Planner
@testable import Reporting

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Plans shared by the HTML tests, each computed once.
enum HTMLFixtures {
  static let small = Result { try SmallPlan.report() }

  /// The built-in question's report, as `llmplan recommend --format html --no-max-rate-search`
  /// writes it, with a shorter simulated window (30 s after 10 s of warm-up instead of 120 s
  /// after 60 s) so a debug build plans it in seconds: the same sections, tables and charts.
  static let defaultPlanned = Result { () throws -> (PlanRequest, PlanResult) in
    var scenario = Scenario.defaultPlanning
    scenario.workload.durationSeconds = 40
    scenario.workload.warmupSeconds = 10
    let request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog, searchSimulatedMaxRate: false)
    return (request, try Planner(request).plan())
  }
  static let defaultReport = Result {
    let (request, plan) = try defaultPlanned.get()
    return try PlanReport(
      plan: plan, inputFiles: request.inputFiles, baseDirectory: Fixtures.repositoryRoot,
      command: "llmplan recommend --format html")
  }
  /// Its Pareto frontier, which `recommend` appends to the report.
  static let defaultPareto = Result {
    let (request, plan) = try defaultPlanned.get()
    return try FleetPlanner.single(request, plan: plan, clusterNote: "")
  }

  /// A fleet plan built by hand (the planner fills these types elsewhere): three GPU types, one
  /// with no layout, prices whose costs follow by hand from 20 req/s × 100 output tokens.
  static func fleet(from plan: PlanResult, hostileName: String = "L40S") -> FleetPlan {
    func price(_ dollars: Double) -> HourlyPrice {
      HourlyPrice(dollarsPerGPUHour: dollars, source: "test list price", asOf: "2026-11-30", userSupplied: false)
    }
    // 2 GPUs × $1.80 = $3.60/h; 20 req/s × 100 tokens = 2000 tok/s = 7.2 M tok/h → $0.50/M tokens;
    // 72 000 requests/h → $50 per million requests.
    let a100 = GPUTypeOutcome(
      gpu: "a100-80gb-sxm", gpuDisplayName: "A100 80GB", cluster: "dgx-a100", clusterNote: "catalog cluster",
      layout: "TP1·PP1·DP2", gpus: 2, capacityRequestsPerSecond: 25, headroom: 0.25, ttftP90Seconds: 0.3,
      tpotP90Seconds: 0.03, meetsSLO: true, price: price(1.8),
      cost: LayoutCost(dollarsPerHour: 3.6, dollarsPerMillionOutputTokens: 0.5, dollarsPerMillionRequests: 50))
    let h100 = GPUTypeOutcome(
      gpu: "h100-80gb-sxm", gpuDisplayName: "H100 80GB", cluster: "dgx-h100", clusterNote: "catalog cluster",
      layout: "TP1·PP1·DP1", gpus: 1, capacityRequestsPerSecond: 24, headroom: 0.2, ttftP90Seconds: 0.2,
      tpotP90Seconds: 0.02, meetsSLO: true, price: price(3),
      cost: LayoutCost(dollarsPerHour: 3, dollarsPerMillionOutputTokens: 3 / 7.2, dollarsPerMillionRequests: 3 / 0.072))
    let l40s = GPUTypeOutcome(
      gpu: "l40s", gpuDisplayName: hostileName, cluster: "built", clusterNote: "nodes of 8 over PCIe",
      why: "no layout fits in 2 GPUs")
    let growth = GrowthCurve(
      gpuTypes: ["a100-80gb-sxm", "h100-80gb-sxm", "l40s"],
      points: [10.0, 20, 30, 40].enumerated().map { index, rate in
        let a = index + 1
        let h = index / 2 + 1
        return GrowthPoint(
          rateRequestsPerSecond: rate, gpus: [a, h, nil], dollarsPerHour: [1.8 * Double(a), 3 * Double(h), nil],
          layouts: ["TP1·PP1·DP\(a)", "TP1·PP1·DP\(h)", nil],
          cheapestGPU: 1.8 * Double(a) < 3 * Double(h) ? "a100-80gb-sxm" : "h100-80gb-sxm")
      }, crossovers: ["from 20 req/s H100 80GB is cheaper than A100 80GB"])
    let pareto = [
      ParetoPoint(
        gpu: "a100-80gb-sxm", layout: "TP1·PP1·DP2", maxSequences: 64, precision: nil,
        outputTokensPerSecondPerGPU: 900, outputTokensPerSecondPerUser: 30, onFrontier: false, recommended: false),
      ParetoPoint(
        gpu: "h100-80gb-sxm", layout: "TP1·PP1·DP1", maxSequences: 256, precision: nil,
        outputTokensPerSecondPerGPU: 2400, outputTokensPerSecondPerUser: 25, onFrontier: true, recommended: true),
      ParetoPoint(
        gpu: "h100-80gb-sxm", layout: "TP2·PP1·DP1", maxSequences: 64, precision: "fp8",
        outputTokensPerSecondPerGPU: 1300, outputTokensPerSecondPerUser: 70, onFrontier: true, recommended: false),
    ]
    return FleetPlan(
      plans: [plan, plan], comparison: [a100, h100, l40s], recommendedGPU: "h100-80gb-sxm", growth: growth,
      pareto: pareto)
  }

  /// Parses `html` as XML: every element closed, attributes quoted, only XML's own entities.
  static func xmlError(_ html: String) -> String? {
    let parser = XMLParser(data: Data(html.utf8))
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)"
  }

  /// Every `id="…"` value of the document, in order.
  static func ids(_ html: String) -> [String] {
    let pattern = try! NSRegularExpression(pattern: #" id="([^"]*)""#)
    return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap {
      Range($0.range(at: 1), in: html).map { String(html[$0]) }
    }
  }
}

@Suite struct HTMLReportTests {
  @Test func escapesEveryUserSuppliedString() throws {
    var report = try HTMLFixtures.small.get()
    let hostile = "<script>alert(\"x\")</script> & 'q' </style>"
    report.plan.question.scenario = hostile
    report.plan.question.modelDisplayName = hostile
    report.command = "llmplan recommend --scenario '\(hostile)'"
    report.inputs = [
      InputDigest(path: "<img src=x onerror=alert(1)>.yaml", bytes: 1, sha256: String(repeating: "0", count: 64))
    ]
    report.plan.assumptions.append(Assumption(topic: hostile, statement: "`\(hostile)`", source: hostile))
    let html = PlanHTML.render(report)
    #expect(!html.lowercased().contains("<script"))
    #expect(!html.contains("<img"))
    #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &lt;/style&gt;"))
    #expect(HTMLFixtures.xmlError(html) == nil, "\(HTMLFixtures.xmlError(html) ?? "")")
    let fleet = FleetHTML.render(
      HTMLFixtures.fleet(from: report.plan, hostileName: hostile), command: hostile, inputs: report.inputs)
    #expect(!fleet.lowercased().contains("<script"))
    #expect(HTMLFixtures.xmlError(fleet) == nil, "\(HTMLFixtures.xmlError(fleet) ?? "")")
    #expect(HTMLFragment.escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
    #expect(HTMLFragment.prose("run `a<b` now").markup == "run <code>a&lt;b</code> now")
    #expect(HTMLFragment.prose("odd ` tick").markup == "odd ` tick")
  }

  @Test func planReportHasEverySectionChartAndIsWellFormed() throws {
    let report = try HTMLFixtures.small.get()
    let html = PlanHTML.render(report)
    #expect(html.hasPrefix(ReportFile.marker + "\n<!DOCTYPE html>"))
    #expect(HTMLFixtures.xmlError(html) == nil, "\(HTMLFixtures.xmlError(html) ?? "")")
    let ids = HTMLFixtures.ids(html)
    #expect(Set(ids).count == ids.count, "duplicate ids")
    for section in [
      "question", "recommendation", "layouts", "memory", "shortlist", "gap", "charts", "launch", "assumptions",
    ] {
      #expect(ids.contains(section), "section \(section) missing")
    }
    for chart in ["chart-success", "chart-ttft", "chart-memory"] { #expect(ids.contains(chart), "\(chart) missing") }
    if report.plan.tensorParallelScaling.count >= 2 { #expect(ids.contains("chart-tp")) }
    // Every layout, every simulated layout and every input hash appears.
    for c in report.plan.candidates { #expect(html.contains(c.layout.description)) }
    for digest in report.inputs { #expect(html.contains(digest.sha256)) }
    if let launch = report.plan.launch { #expect(html.contains(HTMLFragment.escape(launch.command))) }
    // Self-contained: nothing is fetched (the only URL in an attribute is the SVG namespace).
    #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"))
    #expect(html.contains("Content-Security-Policy"))
    HTMLChartTests.expectNoBadNumbers(html)
  }

  @Test func sameReportRendersByteIdentical() throws {
    // Two independent plans of the same question, rendered: the same bytes.
    let first = PlanHTML.render(try SmallPlan.report())
    let second = PlanHTML.render(try HTMLFixtures.small.get())
    #expect(first == second)
    let plan = try HTMLFixtures.small.get().plan
    #expect(
      FleetHTML.render(HTMLFixtures.fleet(from: plan), command: "c", inputs: [])
        == FleetHTML.render(HTMLFixtures.fleet(from: plan), command: "c", inputs: []))
  }

  @Test func fleetReportDrawsComparisonGrowthParetoAndCost() throws {
    let plan = try HTMLFixtures.small.get().plan
    let html = FleetHTML.render(HTMLFixtures.fleet(from: plan), command: "llmplan recommend --gpu a,b,c", inputs: [])
    #expect(HTMLFixtures.xmlError(html) == nil, "\(HTMLFixtures.xmlError(html) ?? "")")
    let ids = HTMLFixtures.ids(html)
    #expect(Set(ids).count == ids.count, "duplicate ids")
    for chart in ["chart-cost", "chart-growth-gpus", "chart-growth-cost", "chart-pareto"] {
      #expect(ids.contains(chart), "\(chart) missing")
    }
    // Costs as the contract gives them, in the comparison table: $3.60/h, $0.50 and $0.417/M tokens.
    #expect(html.contains(">$3.60<") && html.contains(">$0.50<") && html.contains(">$0.42<"))
    // The recommendation is ringed on the Pareto chart; the L40S gap is marked, never drawn as 0.
    let pareto = try #require(html.range(of: "id=\"chart-pareto\"")).lowerBound
    #expect(html[pareto...].contains("r=\"8\" fill=\"none\""))
    #expect(html.contains("no layout meets the SLO, or no price"))
    #expect(html.contains("cannot meet the SLO at this rate"))
    #expect(html.contains("from 20 req/s H100 80GB is cheaper than A100 80GB"))
    HTMLChartTests.expectNoBadNumbers(html)
  }

  @Test func validationReportDrawsAnalyticAgainstSimulatedPerLayout() throws {
    // One layout at a comfortable and at an overloaded rate. At 200 req/s of ~400-token prompts
    // the prefill alone needs 2 × 6.7e9 parameters × 80 000 tokens/s ≈ 1.1 PFLOP/s, over three
    // times an A100's 312 TFLOP/s dense BF16 peak: no steady state, so the analytic side has a gap.
    let request = try PlanRequest(scenario: SmallPlan.scenario, catalog: Fixtures.catalog)
    let result = try Validator(request).validate(
      layouts: [try Layout.checked(tp: 1, pp: 1, dp: 1)], rates: [2, 200], replications: 1)
    let report = try ValidationReport(
      validation: result, inputFiles: request.inputFiles, baseDirectory: Fixtures.repositoryRoot,
      command: "llmplan validate --format html")
    let html = ValidationHTML.render(report)
    #expect(html.hasPrefix(ReportFile.marker + "\n"))
    #expect(HTMLFixtures.xmlError(html) == nil, "\(HTMLFixtures.xmlError(html) ?? "")")
    let ids = HTMLFixtures.ids(html)
    #expect(Set(ids).count == ids.count, "duplicate ids")
    #expect(ids.contains("chart-1-success") && ids.contains("chart-1-ttft") && ids.contains("summary"))
    #expect(result.layouts.first?.points.last?.analytic.stable == false)
    #expect(html.contains("class=\"gap\""), "the unstable rate is not marked")
    HTMLChartTests.expectNoBadNumbers(html)
    #expect(ValidationHTML.render(report) == html)
  }

  @Test func formatComesFromTheFlagOrTheExtensionAndAMismatchIsRefused() throws {
    #expect(try ReportFormat.resolve(format: nil, reportPath: nil) == .markdown)
    #expect(try ReportFormat.resolve(format: nil, reportPath: "out/plan.html") == .html)
    #expect(try ReportFormat.resolve(format: nil, reportPath: "plan.HTM") == .html)
    #expect(try ReportFormat.resolve(format: nil, reportPath: "plan.md") == .markdown)
    #expect(try ReportFormat.resolve(format: "html", reportPath: nil) == .html)
    #expect(try ReportFormat.resolve(format: "html", reportPath: "/dev/stdout") == .html)
    #expect(try ReportFormat.resolve(format: "markdown", reportPath: "notes.txt") == .markdown)
    do {
      _ = try ReportFormat.resolve(format: "html", reportPath: "plan.md")
      Issue.record("a mismatch was accepted")
    } catch let error as ReportError {
      #expect(error.description.contains("--format html") && error.description.contains("plan.md"))
    }
    #expect(throws: ReportError.self) { try ReportFormat.resolve(format: "pdf", reportPath: nil) }
    #expect(try ReportFile.defaultPath(scenarioName: "x", fileExtension: "html") == "Reports/x.html")
  }
}

import Foundation
import PlanCore
import Planner
import Reporting
import Testing

/// The report of a plan that involves an MoE model and a precision search shows EP and
/// precision, and says why; a dense plan's report has none of it.
@Suite struct ExpertReportTests {
  @Test func moePrecisionPlanReportsEPPrecisionAndAssumptions() throws {
    var scenario = Fixtures.scenario(
      model: "qwen3-30b-a3b", gpu: "h100-80gb-sxm", cluster: "dgx-h100", rate: 4, prompt: .uniform(low: 200, high: 600),
      output: .uniform(low: 50, high: 150), budget: 2, duration: 30, warmup: 10)
    scenario.precision = ScenarioPrecision(weights: .search)
    let request = try PlanRequest(
      scenario: scenario, catalog: Fixtures.catalog, topK: 1, searchSimulatedMaxRate: false)
    let plan = try Planner(request).plan()
    let precision = try #require(plan.recommendation.precision)
    let layout = try #require(plan.recommendation.layout)
    // bf16 checkpoint on an H100: bf16, fp8 and int4-g128 weights searched.
    #expect(Set(plan.candidates.compactMap(\.precision?.weights.description)) == ["bf16", "fp8", "int4-g128"])
    #expect(plan.recommendation.reasons.contains { $0.hasPrefix("Precision: ") })

    let report = try PlanReport(
      plan: plan, inputFiles: request.inputFiles, baseDirectory: Fixtures.repositoryRoot, command: "llmplan recommend")
    let markdown = PlanMarkdown.render(report)
    #expect(markdown.contains("| weights/KV") && markdown.contains(" EP |"))
    #expect(markdown.contains(precision.cell))
    let topics = Set(plan.assumptions.map(\.topic))
    #expect(topics.isSuperset(of: ["precision", "mixture of experts", "lockstep expert parallelism"]))

    let launch = try #require(plan.launch)
    #expect(launch.command.contains("--quantization") == (precision.weights.quantization != nil))
    #expect(launch.command.contains("--enable-expert-parallel") == (layout.ep > 1))
    let json = try #require(
      try JSONSerialization.jsonObject(with: JSONEncoder().encode(plan)) as? [String: Any])
    let candidates = try #require(json["candidates"] as? [[String: Any]])
    #expect(candidates.allSatisfy { $0["precision"] != nil })
  }

  @Test func densePlanReportHasNoExpertOrPrecisionColumns() throws {
    let report = try SmallPlan.report()
    let markdown = PlanMarkdown.render(report)
    #expect(!markdown.contains("weights/KV"))
    #expect(!report.plan.assumptions.contains { $0.topic == "precision" || $0.topic == "mixture of experts" })
    #expect(report.plan.recommendation.precision == nil)
  }
}

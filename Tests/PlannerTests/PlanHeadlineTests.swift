import PlanCore
import Planner
import Reporting
import Testing

/// The report's first lines never recommend a layout the aggregated-vs-disaggregated
/// comparison rejects.
@Suite struct PlanHeadlineTests {
  let aggregated = "Serve M as TP1·PP1·DP9 on 9 GPUs."
  let pools = DisaggregatedLayout(prefill: Layout(tp: 1, pp: 1, dp: 5), decode: Layout(tp: 2, pp: 1, dp: 1))

  func comparison(_ winner: DisaggregationComparison.Form) -> DisaggregationComparison {
    DisaggregationComparison(
      winner: winner, basis: "simulation", aggregatedLayout: Layout(tp: 1, pp: 1, dp: 9),
      disaggregatedLayout: pools, sentence: "\(winner.rawValue) serving wins: \(pools).", reasons: [])
  }

  @Test func withoutTheSearchTheAggregatedRecommendationStandsAlone() {
    let lines = PlanHeadline.lines(recommendation: aggregated, comparison: nil)
    #expect(lines.map(\.label) == ["Recommendation"])
    #expect(lines[0].sentence == aggregated)
  }

  @Test func whenAggregatedWinsTheComparisonFollowsAsTheServingForm() {
    let lines = PlanHeadline.lines(recommendation: aggregated, comparison: comparison(.aggregated))
    #expect(lines.map(\.label) == ["Recommendation", "Serving form"])
    #expect(lines[0].sentence == aggregated)
  }

  @Test func whenDisaggregatedWinsItLeadsAndTheAggregatedLayoutIsLabelledAsSuch() {
    let lines = PlanHeadline.lines(recommendation: aggregated, comparison: comparison(.disaggregated))
    #expect(lines.map(\.label) == ["Recommendation", "Best aggregated layout"])
    #expect(lines[0].sentence.contains(pools.description))
    #expect(!lines[0].sentence.contains("TP1·PP1·DP9"))
    #expect(lines[1].sentence == aggregated)
  }
}

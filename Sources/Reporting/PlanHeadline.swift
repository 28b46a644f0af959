import Planner

/// The sentences a plan report (and `recommend`'s terminal output) leads with.
///
/// When disaggregated serving wins the comparison, it leads, and the aggregated recommendation
/// follows labelled as the best aggregated layout: the headline never names a layout that the
/// report's own comparison rejects.
public enum PlanHeadline {
  public struct Line: Sendable, Hashable {
    public var label: String
    public var sentence: String
  }

  public static func lines(_ plan: PlanResult) -> [Line] {
    lines(recommendation: plan.recommendation.sentence, comparison: plan.disaggregation?.comparison)
  }

  /// `recommendation`: the aggregated recommendation's sentence; `comparison`: the aggregated
  /// against disaggregated verdict, nil when disaggregation was not searched.
  public static func lines(recommendation aggregated: String, comparison: DisaggregationComparison?) -> [Line] {
    guard let comparison else { return [Line(label: "Recommendation", sentence: aggregated)] }
    guard comparison.winner == .disaggregated else {
      return [
        Line(label: "Recommendation", sentence: aggregated),
        Line(label: "Serving form", sentence: comparison.sentence),
      ]
    }
    return [
      Line(
        label: "Recommendation",
        sentence: comparison.sentence
          + " Its figures and launch commands are in the section Aggregated or disaggregated serving."),
      Line(label: "Best aggregated layout", sentence: aggregated),
    ]
  }
}

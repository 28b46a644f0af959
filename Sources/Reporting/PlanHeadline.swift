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
    let aggregated = plan.recommendation.sentence
    guard let d = plan.disaggregation else { return [Line(label: "Recommendation", sentence: aggregated)] }
    guard d.comparison.winner == .disaggregated else {
      return [
        Line(label: "Recommendation", sentence: aggregated),
        Line(label: "Serving form", sentence: d.comparison.sentence),
      ]
    }
    return [
      Line(
        label: "Recommendation",
        sentence: d.comparison.sentence
          + " Its figures and launch commands are in the section Aggregated or disaggregated serving."),
      Line(label: "Best aggregated layout", sentence: aggregated),
    ]
  }
}

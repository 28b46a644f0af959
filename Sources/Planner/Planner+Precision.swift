import Analytic
import Foundation
import PlanCore

/// What makes a candidate of a plan distinct: its layout and, when the plan involves precision
/// or experts, the precision it is served in (nil otherwise, so dense plans key by layout).
public struct CandidateKey: Sendable, Hashable {
  public var layout: Layout
  public var precision: PlanPrecision?

  public init(layout: Layout, precision: PlanPrecision?) {
    self.layout = layout
    self.precision = precision
  }
}

extension LayoutProbe {
  public var key: CandidateKey { CandidateKey(layout: layout, precision: precision) }
}

extension AnalyticCandidate {
  public var key: CandidateKey { CandidateKey(layout: layout, precision: precision) }
}

extension SimulatedCandidate {
  public var key: CandidateKey { CandidateKey(layout: layout, precision: precision) }
}

extension PlanResult {
  /// The analytic candidate of a layout in a precision (nil precision: the plan's only one).
  public func candidate(_ key: CandidateKey) -> AnalyticCandidate? { candidates.first { $0.key == key } }

  /// The recommended candidate.
  public var recommendedCandidate: AnalyticCandidate? {
    recommendation.layout.flatMap { candidate(CandidateKey(layout: $0, precision: recommendation.precision)) }
  }

  /// Whether the tables show EP and precision columns (MoE model or a precision set or searched).
  public var showsExpertsOrPrecision: Bool {
    candidates.contains { $0.precision != nil }
  }
}

/// One layout in one precision to prepare.
struct SearchJob {
  var request: PlanRequest
  var precision: PlanPrecision?
  var layout: Layout
}

extension Planner {
  /// Every (precision, layout) of the search: per precision, the request served in it and the
  /// layouts `LayoutSearch` enumerates for that model (quantized group sizes can rule out TP
  /// degrees, fewer bytes allow fewer GPUs). Dense plans without a precision setting: one
  /// precision, keyed nil, exactly the layouts of before.
  func searchJobs() throws -> [SearchJob] {
    try PrecisionOptions.check(request)
    let labelled = request.showsExpertsOrPrecision
    var jobs: [SearchJob] = []
    for precision in PrecisionOptions.precisions(request) {
      let variant = labelled ? request.serving(precision) : request
      let layouts = try LayoutSearch.candidates(
        model: variant.model, cluster: request.cluster, gpuBudget: request.gpuBudget)
      jobs += layouts.map { SearchJob(request: variant, precision: labelled ? precision : nil, layout: $0) }
    }
    return jobs
  }

  /// The analytic best of every precision not yet shortlisted, so the simulation compares
  /// precisions (e.g. fp8 on 4 GPUs against bf16 on 8) and not only layouts.
  func bestOfEachPrecision(
    _ serving: [AnalyticCandidate], has: (AnalyticCandidate) -> Bool
  ) -> [(AnalyticCandidate, ShortlistReason)] {
    var seen: Set<PlanPrecision> = []
    var result: [(AnalyticCandidate, ShortlistReason)] = []
    for c in serving {
      guard let precision = c.precision, !seen.contains(precision) else { continue }
      seen.insert(precision)
      if !has(c), !result.contains(where: { $0.0.key == c.key }) { result.append((c, .bestOfPrecision)) }
    }
    return result
  }
}

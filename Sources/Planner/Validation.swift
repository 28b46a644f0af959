import Analytic
import Foundation
import PlanCore
import Simulation

/// Whether a swept point compared the two models, and how it came out.
public enum PointComparison: String, Sendable, Hashable, Codable {
  /// Every compared metric is within the gap threshold or inside the simulated interval.
  case agrees
  /// Some metric is off by more than the threshold and outside the simulated interval, or
  /// the two models disagree on whether a steady state exists.
  case gap
  /// Nothing was compared: the rate is past the analytic capacity (the model has no steady
  /// state and the simulation does not contradict it), or the simulation gave no figure. Such
  /// a point says nothing about the model's accuracy and is never counted as agreeing.
  case notCompared = "not-compared"
}

/// The analytic and simulated views of one layout at one rate.
public struct ValidationPoint: Sendable, Hashable, Codable {
  public var rateRequestsPerSecond: Double
  public var analytic: LoadFigures
  public var analyticMeetsSLO: Bool
  /// The run with the scenario's seed (replication 0).
  public var simulated: SimulationResult
  public var simulatedMeetsSLO: Bool
  /// 95 % confidence intervals from the replications (nil: one run).
  public var intervals: SimulatedIntervals?
  /// TTFT p50/p90, TPOT, throughput and success rate (the maximum rate is per layout).
  public var gap: [GapRow]
  public var comparison: PointComparison
  /// Why nothing was compared (nil unless `comparison` is `.notCompared`).
  public var notComparedReason: String?
  /// Likely causes, listed when the point is flagged.
  public var causes: [GapCause]

  /// Some metric is off beyond the threshold and the simulated interval.
  public var flagged: Bool { comparison == .gap }

  public init(
    rateRequestsPerSecond: Double, analytic: LoadFigures, analyticMeetsSLO: Bool, simulated: SimulationResult,
    simulatedMeetsSLO: Bool, intervals: SimulatedIntervals?, gap: [GapRow], causes: [GapCause]
  ) {
    self.rateRequestsPerSecond = rateRequestsPerSecond
    self.analytic = analytic
    self.analyticMeetsSLO = analyticMeetsSLO
    self.simulated = simulated
    self.simulatedMeetsSLO = simulatedMeetsSLO
    self.intervals = intervals
    self.gap = gap
    (comparison, notComparedReason) = ValidationPoint.classify(gap: gap, analytic: analytic, simulated: simulated)
    self.causes = comparison == .gap ? causes : []
  }

  /// A point is compared when some metric has both values (or the models disagree on
  /// whether one exists); a flagged metric makes it a gap.
  static func classify(
    gap: [GapRow], analytic: LoadFigures, simulated: SimulationResult
  ) -> (
    PointComparison, String?
  ) {
    if gap.contains(where: \.flagged) { return (.gap, nil) }
    if gap.contains(where: \.compared) { return (.agrees, nil) }
    if !analytic.stable {
      return (.notCompared, ValidationPoint.pastCapacityReason)
    }
    if simulated.arrived == 0 { return (.notCompared, "no request arrived in the simulated window") }
    return (.notCompared, "the simulation gave no figure to compare (no request finished in the window)")
  }

  static let pastCapacityReason = "past the analytic capacity, where the model has no steady state"

  enum CodingKeys: String, CodingKey {
    case rateRequestsPerSecond, analytic, analyticMeetsSLO, simulated, simulatedMeetsSLO, intervals, gap, comparison,
      notComparedReason, flagged, causes
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(rateRequestsPerSecond, forKey: .rateRequestsPerSecond)
    try c.encode(analytic, forKey: .analytic)
    try c.encode(analyticMeetsSLO, forKey: .analyticMeetsSLO)
    try c.encode(simulated, forKey: .simulated)
    try c.encode(simulatedMeetsSLO, forKey: .simulatedMeetsSLO)
    try c.encode(intervals, forKey: .intervals)
    try c.encode(gap, forKey: .gap)
    try c.encode(comparison, forKey: .comparison)
    try c.encode(notComparedReason, forKey: .notComparedReason)
    try c.encode(flagged, forKey: .flagged)
    try c.encode(causes, forKey: .causes)
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    rateRequestsPerSecond = try c.decode(Double.self, forKey: .rateRequestsPerSecond)
    analytic = try c.decode(LoadFigures.self, forKey: .analytic)
    analyticMeetsSLO = try c.decode(Bool.self, forKey: .analyticMeetsSLO)
    simulated = try c.decode(SimulationResult.self, forKey: .simulated)
    simulatedMeetsSLO = try c.decode(Bool.self, forKey: .simulatedMeetsSLO)
    intervals = try c.decodeIfPresent(SimulatedIntervals.self, forKey: .intervals)
    gap = try c.decode([GapRow].self, forKey: .gap)
    comparison = try c.decode(PointComparison.self, forKey: .comparison)
    notComparedReason = try c.decodeIfPresent(String.self, forKey: .notComparedReason)
    causes = try c.decode([GapCause].self, forKey: .causes)
  }
}

/// One layout swept over rates.
public struct LayoutValidation: Sendable, Hashable, Codable {
  public var layout: Layout
  public var gpus: Int
  public var placement: PlacementPlan
  public var capacityRequestsPerSecond: Double
  public var analyticMaxRequestsPerSecond: Double
  /// From the sweep: the largest rate that met the SLO in simulation and the smallest above
  /// it that did not.
  public var simulatedMaxRate: SimulatedRateBound
  /// (analytic − simulated) / simulated of the maximum sustainable rate, when the sweep
  /// brackets the simulated maximum (a rate met the SLO and a higher one broke it).
  public var maxRateRelativeGap: Double?
  public var points: [ValidationPoint]
  /// Points that compared the models, agreed, had a gap, and compared nothing:
  /// compared = agreeing + flagged, and compared + notCompared = points.count.
  public var comparedPoints: Int
  public var agreeingPoints: Int
  public var flaggedPoints: Int
  public var notComparedPoints: Int
  /// Largest swept rate up to which every compared point agrees, itself a compared, agreeing
  /// point (nil: no point compared, or the lowest compared one has a gap). Points not
  /// compared neither extend nor end it.
  public var validUpToRequestsPerSecond: Double?
  public var validity: String

  public init(
    layout: Layout, gpus: Int, placement: PlacementPlan, capacityRequestsPerSecond: Double,
    analyticMaxRequestsPerSecond: Double, simulatedMaxRate: SimulatedRateBound, maxRateRelativeGap: Double?,
    points: [ValidationPoint], threshold: Double
  ) {
    self.layout = layout
    self.gpus = gpus
    self.placement = placement
    self.capacityRequestsPerSecond = capacityRequestsPerSecond
    self.analyticMaxRequestsPerSecond = analyticMaxRequestsPerSecond
    self.simulatedMaxRate = simulatedMaxRate
    self.maxRateRelativeGap = maxRateRelativeGap
    self.points = points
    agreeingPoints = points.filter { $0.comparison == .agrees }.count
    flaggedPoints = points.filter { $0.comparison == .gap }.count
    comparedPoints = agreeingPoints + flaggedPoints
    notComparedPoints = points.count - comparedPoints
    validUpToRequestsPerSecond = LayoutValidation.validUpTo(points)
    validity = Validator.validitySentence(
      points: points, validUpTo: validUpToRequestsPerSecond, capacity: capacityRequestsPerSecond,
      threshold: threshold)
  }

  /// The largest rate of the run of agreeing compared points that starts at the lowest
  /// compared rate.
  static func validUpTo(_ points: [ValidationPoint]) -> Double? {
    var validUpTo: Double?
    for point in points.sorted(by: { $0.rateRequestsPerSecond < $1.rateRequestsPerSecond }) {
      switch point.comparison {
      case .notCompared: continue
      case .gap: return validUpTo
      case .agrees: validUpTo = point.rateRequestsPerSecond
      }
    }
    return validUpTo
  }

  enum CodingKeys: String, CodingKey {
    case layout, gpus, placement, capacityRequestsPerSecond, analyticMaxRequestsPerSecond, simulatedMaxRate,
      maxRateRelativeGap, points, comparedPoints, agreeingPoints, flaggedPoints, notComparedPoints,
      validUpToRequestsPerSecond, validity
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(layout, forKey: .layout)
    try c.encode(gpus, forKey: .gpus)
    try c.encode(placement, forKey: .placement)
    try c.encode(capacityRequestsPerSecond, forKey: .capacityRequestsPerSecond)
    try c.encode(analyticMaxRequestsPerSecond, forKey: .analyticMaxRequestsPerSecond)
    try c.encode(simulatedMaxRate, forKey: .simulatedMaxRate)
    try c.encode(maxRateRelativeGap, forKey: .maxRateRelativeGap)
    try c.encode(points, forKey: .points)
    try c.encode(comparedPoints, forKey: .comparedPoints)
    try c.encode(agreeingPoints, forKey: .agreeingPoints)
    try c.encode(flaggedPoints, forKey: .flaggedPoints)
    try c.encode(notComparedPoints, forKey: .notComparedPoints)
    try c.encode(validUpToRequestsPerSecond, forKey: .validUpToRequestsPerSecond)
    try c.encode(validity, forKey: .validity)
  }
}

/// `llmplan validate`'s answer: the analytic model against the simulator over a sweep of
/// loads, so its region of validity is visible.
public struct ValidationResult: Sendable, Hashable, Codable {
  public var question: PlanQuestion
  public var layouts: [LayoutValidation]
  /// Layouts asked for that cannot serve the workload, with the reason.
  public var skipped: [String]
}

/// Sweeps chosen layouts over rates with both models.
public struct Validator: Sendable {
  public let request: PlanRequest

  public init(_ request: PlanRequest) { self.request = request }

  /// Fractions of a layout's analytic capacity swept when no rates are given: light load,
  /// the knee, and just past capacity.
  public static let defaultCapacityFractions = [0.25, 0.5, 0.7, 0.85, 1.0, 1.2]

  /// Most replications per rate: a bound so that a typo cannot start thousands of runs per
  /// rate (the interval narrows only as 1/√n while the cost grows as n).
  public static let maxReplications = 100

  /// The layouts `validate` checks when none are given: the scenario's layout, else the
  /// analytic top three that can serve the workload.
  public func defaultLayouts() throws -> [Layout] {
    if let layout = request.scenario.layout { return [layout] }
    let planner = Planner(request)
    return try planner.analyticRanking(try planner.probes()).filter { $0.load != nil }.prefix(3).map(\.layout)
  }

  /// - Parameters:
  ///   - layouts: nil for `defaultLayouts()`.
  ///   - rates: nil for `defaultCapacityFractions` of each layout's analytic capacity.
  ///   - replications: simulations per rate (seeds derived from the scenario's), run
  ///     concurrently; their spread gives each simulated figure a 95 % confidence interval.
  ///   - progress: fraction of the simulations done.
  /// - Throws: `PlannerError` for a trace workload (its arrivals cannot be rescaled), an empty
  ///   or non-positive rate list, or a layout the cluster cannot hold.
  public func validate(
    layouts: [Layout]? = nil, rates: [Double]? = nil, replications: Int = Replications.defaultCount,
    progress: ((Double) -> Void)? = nil
  ) throws
    -> ValidationResult
  {
    guard request.scenario.workload.trace == nil else {
      throw PlannerError("validate sweeps the request rate; a trace replays fixed arrival times (use simulate)")
    }
    if let rates {
      guard !rates.isEmpty, rates.allSatisfy({ $0 > 0 && $0.isFinite }) else {
        throw PlannerError("rates must be positive numbers of requests per second")
      }
    }
    guard (1...Validator.maxReplications).contains(replications) else {
      throw PlannerError("replications: \(replications) is not allowed (1…\(Validator.maxReplications))")
    }
    let chosen = try layouts ?? defaultLayouts()
    guard !chosen.isEmpty else { throw PlannerError("no layout to validate") }
    var results: [LayoutValidation] = []
    var skipped: [String] = []
    for (index, layout) in chosen.enumerated() {
      let probe = try LayoutProbe(request: request, layout: layout)
      guard let service = probe.service else {
        skipped.append("\(layout): does not fit, or no mean-length request fits its KV cache")
        continue
      }
      let capacity = Double(layout.dp) * service.capacityRequestsPerSecond
      let sweep = (rates ?? Validator.defaultCapacityFractions.map { Validator.twoSignificant($0 * capacity) }).sorted()
      let runner = try SimulationRunner(request: request, probe: probe)
      let base = Double(index) / Double(chosen.count)
      let runs = try runner.runReplicated(rates: sweep, replications: replications) {
        progress?(base + $0 / Double(chosen.count))
      }
      var points: [ValidationPoint] = []
      for (rate, run) in zip(sweep, runs) {
        guard let analytic = try probe.load(at: rate) else { continue }
        let result = run.primary
        let gap = GapAnalysis.rows(
          analytic: analytic, analyticMaxRate: nil, simulated: result, intervals: run.intervals, simulatedMaxRate: nil,
          slo: request.slo, threshold: request.gapThreshold
        ).filter { $0.metric != .maxSustainableRate }
        points.append(
          ValidationPoint(
            rateRequestsPerSecond: rate, analytic: analytic, analyticMeetsSLO: probe.sloViolations(analytic).isEmpty,
            simulated: result, simulatedMeetsSLO: SimulatedSLO.violations(result, slo: request.slo).isEmpty,
            intervals: run.intervals, gap: gap,
            causes: GapAnalysis.causes(
              layout: layout, plan: probe.plan, workload: request.scenario.workload, load: analytic, result: result)))
      }
      let met = points.filter(\.simulatedMeetsSLO).map(\.rateRequestsPerSecond).max()
      let broken = points.filter { !$0.simulatedMeetsSLO && $0.rateRequestsPerSecond > (met ?? 0) }
        .map(\.rateRequestsPerSecond).min()
      let bound = SimulatedRateBound(
        metRequestsPerSecond: met, brokenRequestsPerSecond: broken, simulations: points.count)
      let analyticMax = try probe.maxSustainableRate()
      results.append(
        LayoutValidation(
          layout: layout, gpus: layout.totalGPUs, placement: probe.plan, capacityRequestsPerSecond: capacity,
          analyticMaxRequestsPerSecond: analyticMax, simulatedMaxRate: bound,
          // Only a bracketed maximum has a gap; "every swept rate met the SLO" bounds it from below only.
          maxRateRelativeGap: broken == nil ? nil : met.flatMap { $0 > 0 ? (analyticMax - $0) / $0 : nil },
          points: points, threshold: request.gapThreshold))
    }
    progress?(1)
    return ValidationResult(question: PlanQuestion(request), layouts: results, skipped: skipped)
  }

  /// What the sweep says about the model: only compared points count, agreeing ones as
  /// within, and the points not compared are named with their reason.
  static func validitySentence(
    points: [ValidationPoint], validUpTo: Double?, capacity: Double, threshold: Double
  ) -> String {
    let limit = Format.percent(threshold)
    guard !points.isEmpty else { return "No rate was simulated." }
    let compared = points.filter { $0.comparison != .notCompared }
    let within = compared.filter { $0.comparison == .agrees }.count
    let notCompared = notComparedSentence(points, capacity: capacity)
    guard let first = compared.first, let last = compared.last else {
      return "No rate was compared, so the sweep says nothing about the analytic model's accuracy: "
        + notCompared.prefix(1).lowercased() + notCompared.dropFirst()
    }
    let agreement = "agrees with the simulation (every metric within \(limit) or inside the simulated 95 % interval)"
    let tail = notCompared.isEmpty ? "" : " " + notCompared
    if within == compared.count {
      let span =
        compared.count == 1
        ? "at the one compared rate (\(Format.rate(first.rateRequestsPerSecond)))"
        : "at all \(compared.count) compared rates (\(Format.rate(first.rateRequestsPerSecond))–"
          + "\(Format.rate(last.rateRequestsPerSecond)))"
      return "The analytic model \(agreement) \(span)." + tail
    }
    guard let validUpTo else {
      return "The analytic model is off by more than \(limit), outside the simulated interval, already at the lowest "
        + "compared rate (\(Format.rate(first.rateRequestsPerSecond))); \(within) of \(compared.count) compared rates "
        + "agree." + tail
    }
    return "The analytic model \(agreement) up to \(Format.rate(validUpTo)); \(within) of \(compared.count) compared "
      + "rates agree overall." + tail
  }

  /// "3 of 7 rates were not compared: 30.0, 40.0 and 50.0 req/s (past the analytic capacity
  /// of 29.8 req/s, where the model has no steady state)." Empty when every point was compared.
  static func notComparedSentence(_ points: [ValidationPoint], capacity: Double) -> String {
    let skipped = points.filter { $0.comparison == .notCompared }
    guard !skipped.isEmpty else { return "" }
    var reasons: [String] = []
    var groups: [String: [Double]] = [:]
    for point in skipped {
      let reason = point.notComparedReason ?? "nothing to compare"
      if groups[reason] == nil { reasons.append(reason) }
      groups[reason, default: []].append(point.rateRequestsPerSecond)
    }
    let parts = reasons.map { reason -> String in
      let rates = groups[reason]!.map(Format.number)
      let list =
        rates.count == 1 ? rates[0] : rates.dropLast().joined(separator: ", ") + " and " + rates[rates.count - 1]
      let detail =
        reason == ValidationPoint.pastCapacityReason
        ? "past the analytic capacity of \(Format.rate(capacity)), where the model has no steady state" : reason
      return "\(list) req/s (\(detail))"
    }
    let count = skipped.count == points.count ? "All \(points.count)" : "\(skipped.count) of \(points.count)"
    let noun = points.count == 1 ? "rate" : "rates"
    let verb = skipped.count == 1 ? "was" : "were"
    return "\(count) \(noun) \(verb) not compared: " + parts.joined(separator: "; ") + "."
  }

  /// Rounds to two significant figures (sweep rates people can read).
  public static func twoSignificant(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return value }
    let scale = pow(10, log10(value).rounded(.down) - 1)
    return (value / scale).rounded() * scale
  }
}

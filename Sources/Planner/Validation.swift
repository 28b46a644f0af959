import Analytic
import Foundation
import PlanCore
import Simulation

/// The analytic and simulated views of one layout at one rate.
public struct ValidationPoint: Sendable, Hashable, Codable {
  public var rateRequestsPerSecond: Double
  public var analytic: LoadFigures
  public var analyticMeetsSLO: Bool
  public var simulated: SimulationResult
  public var simulatedMeetsSLO: Bool
  /// TTFT p50/p90, TPOT, throughput and success rate (the maximum rate is per layout).
  public var gap: [GapRow]
  public var flagged: Bool
  /// Likely causes, listed when the point is flagged.
  public var causes: [GapCause]
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
  /// Largest swept rate up to which no point is flagged (nil: flagged from the lowest rate).
  public var validUpToRequestsPerSecond: Double?
  public var validity: String

  enum CodingKeys: String, CodingKey {
    case layout, gpus, placement, capacityRequestsPerSecond, analyticMaxRequestsPerSecond, simulatedMaxRate,
      maxRateRelativeGap, points, validUpToRequestsPerSecond, validity
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
  ///   - progress: fraction of the simulations done.
  /// - Throws: `PlannerError` for a trace workload (its arrivals cannot be rescaled), an empty
  ///   or non-positive rate list, or a layout the cluster cannot hold.
  public func validate(
    layouts: [Layout]? = nil, rates: [Double]? = nil, progress: ((Double) -> Void)? = nil
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
      var points: [ValidationPoint] = []
      for (step, rate) in sweep.enumerated() {
        let base = (Double(index) + Double(step) / Double(sweep.count)) / Double(chosen.count)
        let result = try runner.run(rate: rate) { progress?(base + $0 / Double(sweep.count * chosen.count)) }
        guard let analytic = try probe.load(at: rate) else { continue }
        let gap = GapAnalysis.rows(
          analytic: analytic, analyticMaxRate: nil, simulated: result, simulatedMaxRate: nil, slo: request.slo,
          threshold: request.gapThreshold
        ).filter { $0.metric != .maxSustainableRate }
        let flagged = gap.contains(where: \.flagged)
        points.append(
          ValidationPoint(
            rateRequestsPerSecond: rate, analytic: analytic, analyticMeetsSLO: probe.sloViolations(analytic).isEmpty,
            simulated: result, simulatedMeetsSLO: SimulatedSLO.violations(result, slo: request.slo).isEmpty, gap: gap,
            flagged: flagged,
            causes: flagged
              ? GapAnalysis.causes(
                layout: layout, plan: probe.plan, workload: request.scenario.workload, load: analytic, result: result)
              : []))
      }
      let met = points.filter(\.simulatedMeetsSLO).map(\.rateRequestsPerSecond).max()
      let broken = points.filter { !$0.simulatedMeetsSLO && $0.rateRequestsPerSecond > (met ?? 0) }
        .map(\.rateRequestsPerSecond).min()
      let bound = SimulatedRateBound(
        metRequestsPerSecond: met, brokenRequestsPerSecond: broken, simulations: points.count)
      let analyticMax = try probe.maxSustainableRate()
      var validUpTo: Double?
      for point in points {
        if point.flagged { break }
        validUpTo = point.rateRequestsPerSecond
      }
      results.append(
        LayoutValidation(
          layout: layout, gpus: layout.totalGPUs, placement: probe.plan, capacityRequestsPerSecond: capacity,
          analyticMaxRequestsPerSecond: analyticMax, simulatedMaxRate: bound,
          // Only a bracketed maximum has a gap; "every swept rate met the SLO" bounds it from below only.
          maxRateRelativeGap: broken == nil ? nil : met.flatMap { $0 > 0 ? (analyticMax - $0) / $0 : nil },
          points: points,
          validUpToRequestsPerSecond: validUpTo,
          validity: Validator.validitySentence(points: points, validUpTo: validUpTo, threshold: request.gapThreshold)))
    }
    progress?(1)
    return ValidationResult(question: PlanQuestion(request), layouts: results, skipped: skipped)
  }

  static func validitySentence(points: [ValidationPoint], validUpTo: Double?, threshold: Double) -> String {
    let limit = Format.percent(threshold)
    let within = points.filter { !$0.flagged }.count
    guard let first = points.first else { return "No point could be compared." }
    if within == points.count {
      return "The analytic model is within \(limit) of the simulation on every metric at all \(points.count) rates "
        + "(\(Format.rate(first.rateRequestsPerSecond))–\(Format.rate(points.last!.rateRequestsPerSecond)))."
    }
    guard let validUpTo else {
      return "The analytic model is off by more than \(limit) already at the lowest rate "
        + "(\(Format.rate(first.rateRequestsPerSecond))); \(within) of \(points.count) rates are within \(limit)."
    }
    return "The analytic model is within \(limit) of the simulation up to \(Format.rate(validUpTo)); "
      + "\(within) of \(points.count) rates are within \(limit) overall."
  }

  /// Rounds to two significant figures (sweep rates people can read).
  public static func twoSignificant(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return value }
    let scale = pow(10, log10(value).rounded(.down) - 1)
    return (value / scale).rounded() * scale
  }
}

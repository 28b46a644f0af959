import PlanCore
import Simulation

/// The SLO judged on a simulation run: success rate at or above the floor, TTFT p90 and TPOT
/// p90 within their bounds (docs/METRICS.md, "The SLO").
public enum SimulatedSLO {
  /// Why the run breaks the SLO (empty: it meets it).
  public static func violations(_ result: SimulationResult, slo: SLO) -> [String] {
    guard result.arrived > 0, let success = result.successRate else { return ["no request arrived in the window"] }
    var reasons: [String] = []
    if let ttft = result.ttftSeconds?.p90 {
      if ttft > slo.ttftSeconds {
        reasons.append("TTFT p90 \(Units.formatSeconds(ttft)) > \(Units.formatSeconds(slo.ttftSeconds))")
      }
    } else {
      reasons.append("no request got its first token")
    }
    if let tpot = result.tpotSeconds?.p90, tpot > slo.tpotSeconds {
      reasons.append("TPOT p90 \(Units.formatSeconds(tpot)) > \(Units.formatSeconds(slo.tpotSeconds))")
    }
    if success < slo.successRateFloor {
      reasons.append("success \(Format.percent(success)) < \(Format.percent(slo.successRateFloor))")
    }
    if result.rejections.tooLong > 0 {
      reasons.append("\(result.rejections.tooLong) requests too long to ever run")
    }
    return reasons
  }
}

/// The simulated maximum sustainable rate, bracketed: the largest rate tried that met the SLO
/// and the smallest that broke it.
public struct SimulatedRateBound: Sendable, Hashable, Codable {
  /// Largest simulated rate meeting the SLO (nil: none of those tried did).
  public var metRequestsPerSecond: Double?
  /// Smallest simulated rate breaking it (nil: every rate tried met it, so the maximum is
  /// at least `metRequestsPerSecond`).
  public var brokenRequestsPerSecond: Double?
  /// Simulations the search ran (the one at the target rate included when it was used).
  public var simulations: Int

  /// The estimate reported: the largest rate known to meet the SLO (0 when none did).
  public var estimateRequestsPerSecond: Double { metRequestsPerSecond ?? 0 }

  enum CodingKeys: String, CodingKey { case metRequestsPerSecond, brokenRequestsPerSecond, simulations }

  public init(metRequestsPerSecond: Double?, brokenRequestsPerSecond: Double?, simulations: Int) {
    self.metRequestsPerSecond = metRequestsPerSecond
    self.brokenRequestsPerSecond = brokenRequestsPerSecond
    self.simulations = simulations
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(metRequestsPerSecond, forKey: .metRequestsPerSecond)
    try c.encode(brokenRequestsPerSecond, forKey: .brokenRequestsPerSecond)
    try c.encode(simulations, forKey: .simulations)
  }
}

/// Brackets the simulated maximum sustainable rate.
public enum SimulatedRateSearch {
  /// Step between bracketing rates while looking for a verdict change.
  public static let growth = 1.25
  /// Moves away from the start: the first is one bracket wide (`bracketRatio`), because the
  /// analytic maximum the search starts from is usually that close (median gap about 5 % over
  /// the example reports), so a first neighbour often closes the bracket in two simulations;
  /// the others step by `growth` (reach: 1.06 · 1.25⁴ ≈ 2.6× the start).
  public static let expansionSteps = 5
  /// The search stops once the bracket is this narrow (high / low), well inside the default
  /// 15 % gap threshold, or after `maxRefinements` bisection steps.
  public static let bracketRatio = 1.06
  public static let maxRefinements = 5

  /// Runs at `startRate` (the analytic estimate) unless `known` already has it, moves up or
  /// down — first by `bracketRatio`, then by `growth` — until the SLO verdict changes (at most
  /// `expansionSteps` moves), then bisects the bracket geometrically. `known` are runs already
  /// made (rate, met).
  ///
  /// - Parameter meets: simulates at a rate and says whether the SLO was met.
  public static func search(
    startRate: Double, known: [(Double, Bool)] = [], meets: (Double) throws -> Bool
  ) rethrows -> SimulatedRateBound {
    var met = known.filter(\.1).map(\.0).max()
    var broken = known.filter { !$0.1 }.map(\.0).min()
    var simulations = known.count
    func run(_ rate: Double) throws {
      simulations += 1
      if try meets(rate) {
        met = max(met ?? rate, rate)
      } else {
        broken = min(broken ?? rate, rate)
      }
    }
    if startRate > 0, !known.contains(where: { abs($0.0 - startRate) <= 1e-9 * startRate }) { try run(startRate) }
    var steps = 0
    while steps < expansionSteps {
      let factor = steps == 0 ? bracketRatio : growth
      if let low = met, broken == nil {
        try run(low * factor)
      } else if met == nil, let high = broken {
        try run(high / factor)
      } else {
        break
      }
      steps += 1
    }
    var refinements = 0
    // (1 + 1e-9): a bracket made by one `bracketRatio` step is narrow enough despite rounding.
    while let low = met, let high = broken, low < high, high / low > bracketRatio * (1 + 1e-9),
      refinements < maxRefinements
    {
      try run((low * high).squareRoot())
      refinements += 1
    }
    return SimulatedRateBound(metRequestsPerSecond: met, brokenRequestsPerSecond: broken, simulations: simulations)
  }
}

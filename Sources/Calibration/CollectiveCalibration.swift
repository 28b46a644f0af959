import PlanCore

/// The fit of the collective law.
public struct CollectiveLawFit: Sendable {
  public var points: Int
  public var law: CollectiveLaw
  /// Which of (step latency, inverse bandwidth max, ramp) the data determined.
  public var fitted: [Bool]
  /// Standard errors of (step latency, inverse bandwidth max, ramp); nil where held.
  public var standardErrors: [Double?]
  public var rounds: Int
  public var converged: Bool
  /// Why the fitted law is not physical (it is then not written), or nil.
  public var refusal: String?
  public var relativeErrors: [Double]
  /// For a refused law: the best physical one (offending parameters held at their limits).
  public var physicalAlternative: PhysicalAlternative?

  public struct PhysicalAlternative: Sendable {
    public var law: CollectiveLaw
    public var fitted: [Bool]
    public var relativeErrors: [Double]
    public var held: [String]
  }
}

/// Fits the collective efficiency law (bandwidth fraction, its size ramp, per-step latency).
struct CollectiveCalibration {
  let timing: CollectiveTiming
  let prior: EfficiencyProfile

  /// Why θ is outside what a collective can be (the CommModel refuses such profiles too).
  static func violations(_ theta: [Double]) -> [String] {
    var reasons: [String] = []
    if theta[1] < 1 {
      reasons.append(
        String(
          format: "bandwidth efficiency %.3f > 1: the timings move data faster than the cluster's links allow ",
          1 / theta[1])
          + "(wrong --cluster, link bandwidths, or time unit)")
    }
    if theta[0] < 0 {
      reasons.append(
        "negative per-step latency (\(Units.formatSeconds(theta[0]))): the link latencies in the cluster file exceed what the timings show"
      )
    }
    if theta[2] < 0 { reasons.append("negative size ramp: small messages are faster than the latency terms allow") }
    return reasons
  }

  func fit(
    _ measurements: [CollectiveMeasurement], start: CollectiveLaw, frozen: [Int: Double] = [:]
  ) throws -> CollectiveLawFit {
    let timing = self.timing
    let prior = self.prior
    var held = start.vector
    for (index, value) in frozen { held[index] = value }
    var fitter = PiecewiseLinearFit(
      evaluateAll: { theta in
        try timing.secondsAll(measurements, profile: CollectiveLaw(vector: theta).applied(to: prior))
      },
      measured: measurements.map(\.seconds), scales: [1e-6, 1, 1e6], droppable: [[2]], prior: held)
    fitter.frozen = Set(frozen.keys)
    do {
      let outcome = try fitter.run(start: held) { theta in
        let reasons = Self.violations(theta)
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
      }
      return CollectiveLawFit(
        points: measurements.count, law: CollectiveLaw(vector: outcome.theta), fitted: outcome.fitted,
        standardErrors: outcome.standardErrors, rounds: outcome.rounds, converged: outcome.converged,
        refusal: outcome.stoppedOutside.map { "collectives: \($0)" }, relativeErrors: outcome.relativeErrors)
    } catch let failure as PiecewiseLinearFit.Failure {
      return CollectiveLawFit(
        points: measurements.count, law: start, fitted: [false, false, false], standardErrors: [nil, nil, nil],
        rounds: 0,
        converged: false, refusal: "collectives: \(failure.description)", relativeErrors: [])
    }
  }

  func run(_ measurements: [CollectiveMeasurement]) throws -> CollectiveLawFit {
    var result = try fit(measurements, start: CollectiveLaw(prior))
    guard result.refusal != nil, result.rounds > 0 else { return result }
    // The best physical law: hold each offending parameter at its limit, refit the others.
    var frozen: [Int: Double] = [:]
    var heldText: [String] = []
    var current = result
    for _ in 0..<3 {
      let theta = current.law.vector
      var changed = false
      if theta[1] < 1 && frozen[1] == nil {
        frozen[1] = 1
        heldText.append(String(format: "bandwidth max held at 1 (fit: %.3f)", 1 / theta[1]))
        changed = true
      }
      if theta[0] < 0 && frozen[0] == nil {
        frozen[0] = 0
        heldText.append("step latency held at 0")
        changed = true
      }
      if theta[2] < 0 && frozen[2] == nil {
        frozen[2] = 0
        heldText.append("size ramp held at 0")
        changed = true
      }
      if !changed { break }
      var start = current.law.vector
      for (index, value) in frozen { start[index] = value }
      // Start inside the physical region.
      start[1] = max(start[1], 1)
      start[0] = max(start[0], 0)
      start[2] = max(start[2], 0)
      current = try fit(measurements, start: CollectiveLaw(vector: start), frozen: frozen)
      if current.refusal == nil {
        result.physicalAlternative = CollectiveLawFit.PhysicalAlternative(
          law: current.law, fitted: current.fitted, relativeErrors: current.relativeErrors, held: heldText)
        break
      }
    }
    return result
  }
}

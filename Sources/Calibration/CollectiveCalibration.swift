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
  public var refusal: String?
  public var relativeErrors: [Double]
}

/// Fits the collective efficiency law (bandwidth fraction, its size ramp, per-step latency).
struct CollectiveCalibration {
  let timing: CollectiveTiming
  let prior: EfficiencyProfile

  func run(_ measurements: [CollectiveMeasurement]) throws -> CollectiveLawFit {
    let timing = self.timing
    let prior = self.prior
    let start = CollectiveLaw(prior)
    let fitter = PiecewiseLinearFit(
      evaluateAll: { theta in
        try timing.secondsAll(measurements, profile: CollectiveLaw(vector: theta).applied(to: prior))
      },
      measured: measurements.map(\.seconds), scales: [1e-6, 1, 1e6], rampColumns: [2], prior: start.vector)
    do {
      let outcome = try fitter.run(start: start.vector) { theta in
        theta[1] > 0 ? nil : "the fitted bandwidth efficiency is not positive"
      }
      let law = CollectiveLaw(vector: outcome.theta)
      var fit = CollectiveLawFit(
        points: measurements.count, law: law, fitted: outcome.fitted, standardErrors: outcome.standardErrors, rounds: outcome.rounds, converged: outcome.converged,
        refusal: outcome.stoppedOutside.map { "collectives: \($0)" }, relativeErrors: outcome.relativeErrors)
      if fit.refusal == nil { fit.refusal = physicalCheck(fit) }
      return fit
    } catch let failure as PiecewiseLinearFit.Failure {
      return CollectiveLawFit(
        points: measurements.count, law: start, fitted: [false, false, false], standardErrors: [nil, nil, nil], rounds: 0, converged: false,
        refusal: "collectives: \(failure.description)", relativeErrors: [])
    }
  }

  func physicalCheck(_ fit: CollectiveLawFit) -> String? {
    let law = fit.law
    if fit.fitted[1] && law.bandwidthMax > 1 {
      return "collectives: bandwidth efficiency \(String(format: "%.3f", law.bandwidthMax)) > 1: the timings move data faster "
        + "than the cluster's links allow (wrong --cluster, link bandwidths, or time unit)"
    }
    if fit.fitted[0] && law.stepSeconds < 0 {
      return "collectives: negative per-step latency (\(Units.formatSeconds(law.stepSeconds))): the link latencies in the "
        + "cluster file exceed what the timings show"
    }
    if fit.fitted[2] && law.rampBytes < 0 {
      return "collectives: negative size ramp (\(Units.formatBytes(law.halfSaturationBytes))): small messages are faster than "
        + "the latency terms allow"
    }
    return nil
  }
}

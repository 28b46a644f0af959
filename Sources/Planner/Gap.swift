import Foundation
import PlanCore
import Simulation

/// A figure both the analytic model and the simulator give.
public enum GapMetric: String, Sendable, Hashable, Codable, CaseIterable {
  case ttftP50 = "ttft-p50"
  case ttftP90 = "ttft-p90"
  /// Mean TPOT (the load model's TPOT is a mean; the simulated mean is compared with it).
  case tpotMean = "tpot-mean"
  /// Output tokens per second at the rate.
  case throughput
  case successRate = "success-rate"
  case maxSustainableRate = "max-sustainable-rate"

  /// Label for tables.
  public var label: String {
    switch self {
    case .ttftP50: return "TTFT p50"
    case .ttftP90: return "TTFT p90"
    case .tpotMean: return "TPOT mean"
    case .throughput: return "throughput (output tok/s)"
    case .successRate: return "success rate"
    case .maxSustainableRate: return "max sustainable rate"
    }
  }
}

/// One line of the gap table: the analytic and the simulated value of a metric.
///
/// With replications, the simulated value is their mean and `simulatedInterval` its 95 %
/// confidence interval. A row is flagged only when the gap is real: |relative gap| above the
/// threshold AND the analytic value outside the simulated interval (a gap the interval
/// covers is simulation noise, not model error).
public struct GapRow: Sendable, Hashable, Codable {
  public var metric: GapMetric
  /// SI units (seconds, tokens/s, requests/s) or a fraction; nil when the model gives none
  /// (e.g. unstable), see `note`.
  public var analytic: Double?
  /// The simulated value: the replications' mean when there is an interval, else the one run's.
  public var simulated: Double?
  /// 95 % confidence interval of the simulated value (nil: one run, or not replicated).
  public var simulatedInterval: ConfidenceInterval?
  /// (analytic − simulated) / simulated; nil when either is missing or the simulated value is 0.
  public var relativeGap: Double?
  /// |relative gap| above the threshold and the analytic value outside the simulated
  /// interval, or the two sides disagree on whether a value exists (the model calls the
  /// layout unstable where the simulation meets the SLO).
  public var flagged: Bool
  /// Why a side is missing, or how to read the row.
  public var note: String?

  public init(
    metric: GapMetric, analytic: Double?, simulated: Double?, interval: ConfidenceInterval? = nil, threshold: Double,
    note: String? = nil, flagWhenMissing: Bool = false
  ) {
    self.metric = metric
    self.analytic = analytic
    self.simulated = interval?.mean ?? simulated
    simulatedInterval = interval
    self.note = note
    if let analytic, let simulated = self.simulated {
      if simulated != 0 {
        relativeGap = (analytic - simulated) / simulated
      } else {
        relativeGap = analytic == 0 ? 0 : nil
      }
      let beyondThreshold = relativeGap.map { abs($0) > threshold } ?? true
      let outsideInterval = interval.map { !$0.contains(analytic) } ?? true
      flagged = beyondThreshold && outsideInterval
    } else {
      relativeGap = nil
      flagged = flagWhenMissing
    }
  }

  /// Whether the row compared two values (or flagged a disagreement on whether one exists).
  public var compared: Bool { relativeGap != nil || flagged }

  enum CodingKeys: String, CodingKey {
    case metric, analytic, simulated, simulatedInterval, relativeGap, flagged, note
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(metric, forKey: .metric)
    try c.encode(analytic, forKey: .analytic)
    try c.encode(simulated, forKey: .simulated)
    try c.encode(simulatedInterval, forKey: .simulatedInterval)
    try c.encode(relativeGap, forKey: .relativeGap)
    try c.encode(flagged, forKey: .flagged)
    try c.encode(note, forKey: .note)
  }
}

/// What the simulator saw that the analytic model leaves out.
public enum GapCauseKind: String, Sendable, Hashable, Codable, CaseIterable {
  case queueingTail = "queueing-tail"
  /// Requests wait for the running iteration to end before their prefill is scheduled.
  case iterationWait = "iteration-wait"
  case preemptions
  case pipelineBubbles = "pipeline-bubbles"
  case routerImbalance = "router-imbalance"
  case linkContention = "link-contention"
  case nearCapacity = "near-capacity"
  case lengthMix = "length-mix"
  case requestsTooLong = "requests-too-long"
  /// The measurement window starts before the system reached steady state.
  case warmupTransient = "warm-up-transient"
}

/// A likely cause of a gap, with the evidence the simulation gave.
public struct GapCause: Sendable, Hashable, Codable {
  public var kind: GapCauseKind
  public var evidence: String
}

/// Compares the analytic and simulated views of one layout at one rate.
public enum GapAnalysis {
  /// The six gap rows. `analyticMaxRate` / `simulatedMaxRate` may be nil (not searched).
  /// With `intervals`, each simulated value is the replications' mean with its interval;
  /// `result` (the first replication) decides whether the simulation meets the SLO.
  public static func rows(
    analytic load: LoadFigures?, analyticMaxRate: Double?, simulated result: SimulationResult,
    intervals: SimulatedIntervals? = nil, simulatedMaxRate: SimulatedRateBound?, slo: SLO, threshold: Double
  ) -> [GapRow] {
    let unstable = load.map { !$0.stable } ?? false
    let unstableNote: String? =
      unstable ? "analytic: unstable (arrival rate exceeds capacity), no steady-state value" : nil
    // The model calling the layout unstable where the simulation meets the SLO is a gap too.
    let disagrees = unstable && SimulatedSLO.violations(result, slo: slo).isEmpty
    var rows = [
      GapRow(
        metric: .ttftP50, analytic: load?.ttftP50Seconds, simulated: result.ttftSeconds?.p50,
        interval: intervals?.interval(.ttftP50), threshold: threshold,
        note: unstableNote, flagWhenMissing: disagrees),
      GapRow(
        metric: .ttftP90, analytic: load?.ttftP90Seconds, simulated: result.ttftSeconds?.p90,
        interval: intervals?.interval(.ttftP90), threshold: threshold,
        note: unstableNote, flagWhenMissing: disagrees),
      GapRow(
        metric: .tpotMean, analytic: load?.tpotMeanSeconds, simulated: result.tpotSeconds?.mean,
        interval: intervals?.interval(.tpotMean), threshold: threshold,
        note: unstableNote, flagWhenMissing: disagrees),
      GapRow(
        metric: .throughput, analytic: load?.outputTokensPerSecond, simulated: result.outputTokensPerSecond,
        interval: intervals?.interval(.throughput),
        threshold: threshold, note: unstableNote, flagWhenMissing: disagrees),
    ]
    if let load, !load.stable {
      // The upper bound is the model's only statement: flag when the simulation beats it
      // (with replications, when even the interval's lower end does).
      let simulatedLow = intervals?.successRate?.lowerBound ?? result.successRate ?? 0
      let beaten = simulatedLow > load.successRateUpperBound + 1e-9
      rows.append(
        GapRow(
          metric: .successRate, analytic: nil, simulated: result.successRate, interval: intervals?.successRate,
          threshold: threshold,
          note: "analytic: unstable, at most \(Format.percent(load.successRateUpperBound))",
          flagWhenMissing: beaten || disagrees))
    } else {
      rows.append(
        GapRow(
          metric: .successRate, analytic: load?.successRate, simulated: result.successRate,
          interval: intervals?.successRate, threshold: threshold))
    }
    var maxRateNote: String?
    var simulatedMax: Double?
    if let bound = simulatedMaxRate {
      simulatedMax = bound.metRequestsPerSecond ?? 0
      switch (bound.metRequestsPerSecond, bound.brokenRequestsPerSecond) {
      case (let met?, nil):
        maxRateNote = "simulated: at least \(Format.rate(met)) (every rate tried met the SLO)"
      case (nil, let broken?):
        maxRateNote = "simulated: below \(Format.rate(broken)) (no rate tried met the SLO)"
      case (let met?, let broken?) where broken > met:
        maxRateNote = "simulated: met at \(Format.rate(met)), broken at \(Format.rate(broken))"
      default:
        maxRateNote = nil
      }
    } else {
      maxRateNote = "simulated maximum not searched"
    }
    rows.append(
      GapRow(
        metric: .maxSustainableRate, analytic: analyticMaxRate, simulated: simulatedMax, threshold: threshold,
        note: maxRateNote))
    return rows
  }

  /// Likely causes of a gap: each is listed when the simulation shows its evidence.
  public static func causes(
    layout: Layout, plan: PlacementPlan, workload: Workload, load: LoadFigures?, result: SimulationResult
  ) -> [GapCause] {
    var causes: [GapCause] = []
    if let queueing = result.queueingDelaySeconds?.p90, let ttft = result.ttftSeconds?.p90, ttft > 0,
      queueing >= 0.5 * ttft
    {
      causes.append(
        GapCause(
          kind: .queueingTail,
          evidence: "queueing p90 \(Units.formatSeconds(queueing)) is \(Format.percent(queueing / ttft)) of TTFT p90"))
    } else if result.waitingAtWindowEnd > 0 {
      causes.append(
        GapCause(
          kind: .queueingTail, evidence: "\(result.waitingAtWindowEnd) requests still waiting at the window's end"))
    }
    if let queueing = result.queueingDelaySeconds?.p50, let ttft = result.ttftSeconds?.p50, ttft > 0,
      queueing >= 0.1 * ttft, queueing < 0.5 * ttft
    {
      causes.append(
        GapCause(
          kind: .iterationWait,
          evidence: "half the requests wait ≥ \(Units.formatSeconds(queueing)) for a running iteration to end before "
            + "their prefill is scheduled (\(Format.percent(queueing / ttft)) of TTFT p50); the analytic TTFT "
            + "starts the prefill at once"))
    }
    if result.arrived > 0, result.preemptions > 0 {
      causes.append(
        GapCause(
          kind: .preemptions,
          evidence: "\(result.preemptions) preemptions (recomputed prefills) for \(result.arrived) requests; "
            + "KV cache peak \(Format.percent(result.peakKVCacheUtilisation))"))
    }
    if layout.pp > 1, let busy = result.stageBusyFraction, let high = busy.max(), let low = busy.min() {
      let text = busy.map { Format.percent($0) }.joined(separator: " / ")
      if high - low >= 0.05 || high < 0.75 {
        causes.append(
          GapCause(kind: .pipelineBubbles, evidence: "stages busy \(text) of the window with \(layout.pp) stages"))
      }
    }
    if layout.dp > 1 {
      let counts = result.replicas.map(\.outputTokens)
      if let high = counts.max(), let low = counts.min(), high > 0 {
        let mean = Double(counts.reduce(0, +)) / Double(counts.count)
        let spread = Double(high - low) / mean
        if spread > 0.2 {
          causes.append(
            GapCause(
              kind: .routerImbalance,
              evidence: "replica output tokens range \(low)–\(high) (\(Format.percent(spread)) of the mean)"))
        }
      }
    }
    if plan.tensorGroupsSpanNodes {
      causes.append(GapCause(kind: .linkContention, evidence: "TP groups all-reduce across nodes"))
    } else if plan.interNodeStageHops > 0, layout.dp > 1 {
      causes.append(
        GapCause(
          kind: .linkContention,
          evidence: "\(plan.interNodeStageHops) pipeline hops of \(layout.dp) replicas share inter-node links"))
    }
    if let load, load.utilisation >= 0.85 {
      causes.append(
        GapCause(
          kind: .nearCapacity,
          evidence: load.utilisation >= 1
            ? "the rate is \(Format.percent(load.utilisation)) of the analytic capacity: the model has no steady state here"
            : "analytic utilisation \(Format.percent(load.utilisation)): waiting times are steep here"))
    }
    if result.rejections.tooLong > 0 {
      causes.append(
        GapCause(
          kind: .requestsTooLong, evidence: "\(result.rejections.tooLong) requests could never fit and were rejected"))
    }
    if let e2e = result.e2eSeconds?.p90, e2e > workload.warmupSeconds {
      causes.append(
        GapCause(
          kind: .warmupTransient,
          evidence: "requests last up to \(Units.formatSeconds(e2e)) (E2E p90), longer than the "
            + "\(Units.formatSeconds(workload.warmupSeconds)) warm-up: the window starts before steady state"))
    }
    if workload.hasLengthSpread {
      causes.append(
        GapCause(
          kind: .lengthMix,
          evidence: "the model uses one mean request (\(Int(workload.meanPromptTokens.rounded())) + "
            + "\(Int(workload.meanOutputTokens.rounded())) tokens); the simulation draws each request's lengths"))
    }
    return causes
  }
}

extension Workload {
  /// Requests differ in length (several profiles, non-fixed distributions, or a trace).
  public var hasLengthSpread: Bool {
    if trace != nil { return true }
    if profiles.count > 1 { return true }
    return profiles.contains { profile in
      if case .fixed = profile.prompt, case .fixed = profile.output { return false }
      return true
    }
  }
}

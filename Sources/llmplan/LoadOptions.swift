import Analytic
import ArgumentParser
import Foundation
import PlanCore
import Planner

/// SLO and router options shared by the commands that predict behaviour under load. Unset
/// flags leave a scenario's values (or the defaults: TTFT 2 s, TPOT 100 ms, 95 %, round-robin).
struct LoadOptions: ParsableArguments {
  @Option(
    name: .customLong("ttft-slo"), parsing: .unconditional,
    help: "TTFT objective, e.g. \"2 s\" or \"500 ms\" (default 2 s).")
  var ttftSLO: String?

  @Option(
    name: .customLong("tpot-slo"), parsing: .unconditional, help: "TPOT objective, e.g. \"100 ms\" (default 100 ms).")
  var tpotSLO: String?

  @Option(
    name: .customLong("success-floor"), parsing: .unconditional,
    help: "Required fraction of requests that succeed, in (0, 1] (default 0.95).")
  var successFloor: Double?

  @Option(help: "DP router: round-robin, least-outstanding or least-kv (default round-robin).")
  var router: String?

  @Option(
    parsing: .unconditional,
    help: "Requests that may wait per replica before new ones are rejected (default: unbounded).")
  var queueCapacity: Int?

  /// Parses every flag, used or not: `--ttft-slo "2 parsecs"` is refused even without `--rate`.
  func validate() throws {
    _ = try FlagCheck.seconds(ttftSLO, "--ttft-slo", range: Plausibility.sloTime)
    _ = try FlagCheck.seconds(tpotSLO, "--tpot-slo", range: Plausibility.sloTime)
    try FlagCheck.fraction(successFloor, "--success-floor")
    _ = try FlagCheck.router(router)
    try FlagCheck.atLeast(queueCapacity, 0, "--queue-capacity")
  }

  /// The SLO: `base` (a scenario's, else the default) with the flags given laid over it.
  func slo(base: SLO? = nil) throws -> SLO {
    let base = base ?? PlanRequest.defaultSLO
    return SLO(
      ttftSeconds: try FlagCheck.seconds(ttftSLO, "--ttft-slo", range: Plausibility.sloTime) ?? base.ttftSeconds,
      tpotSeconds: try FlagCheck.seconds(tpotSLO, "--tpot-slo", range: Plausibility.sloTime) ?? base.tpotSeconds,
      successRateFloor: successFloor ?? base.successRateFloor)
  }

  /// Whether any SLO flag was given.
  var setsSLO: Bool { ttftSLO != nil || tpotSLO != nil || successFloor != nil }

  func routerPolicy(base: RouterPolicy = .roundRobin) throws -> RouterPolicy {
    try FlagCheck.router(router) ?? base
  }
}

func parseSeconds(_ text: String, option: String) throws -> Double {
  do {
    let value = try Units.seconds(text)
    guard value > 0 else { throw UserFacingError(message: "\(option) must be positive, got \"\(text)\"") }
    return value
  } catch let error as Units.ParseError {
    throw UserFacingError(message: "\(option): \(error)")
  }
}

extension RouterPolicy {
  /// Command-line spelling: round-robin, least-outstanding, least-kv (camelCase also accepted).
  init?(cliName: String) {
    switch cliName.lowercased() {
    case "round-robin", "roundrobin", "rr": self = .roundRobin
    case "least-outstanding", "leastoutstanding": self = .leastOutstanding
    case "least-kv", "leastkv", "least-kv-load", "least_kv_load": self = .leastKVLoad
    default: return nil
    }
  }
}

/// `estimate --json` output: the layout prediction, plus `load` when `--rate` was given.
struct EstimateResult: Encodable {
  let prediction: LayoutPrediction
  let load: LoadPrediction?

  enum CodingKeys: String, CodingKey { case load }

  func encode(to encoder: Encoder) throws {
    try prediction.encode(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(load, forKey: .load)
  }
}

/// Readable under-load section.
enum LoadText {
  static func render(_ load: LoadPrediction) -> String {
    let s = Units.formatSeconds
    var lines = [
      String(
        format: "Under load: %@ req/s over %d replica(s), capacity %@ req/s (utilisation %.0f%%)",
        Units.threeSignificant(load.arrivalRateRequestsPerSecond), load.replicas,
        Units.threeSignificant(load.capacityRequestsPerSecond), load.utilisation * 100)
    ]
    guard let steady = load.steadyState else {
      lines.append(
        "  unstable: arrival rate exceeds capacity — the queue grows without bound; at most "
          + String(format: "%.0f%%", load.successRateUpperBound * 100) + " of requests can be served")
      return lines.joined(separator: "\n")
    }
    var rows: [[String]] = [["", "value"]]
    rows.append(["TTFT p50", s(steady.ttftP50Seconds)])
    rows.append(["TTFT p90", s(steady.ttftP90Seconds)])
    rows.append(["TPOT mean", steady.tpotMeanSeconds.map(s) ?? "n/a"])
    rows.append(["engine wait mean (prompt queue)", s(steady.admissionWaitMeanSeconds)])
    rows.append(["slot wait p90 (batch full)", s(steady.waitingP90Seconds)])
    rows.append(["mean batch per replica", Units.threeSignificant(steady.meanBatchSizePerReplica)])
    rows.append(["blocking", String(format: "%.2f%%", steady.blockingProbability * 100)])
    rows.append(["success rate (SLO)", String(format: "%.1f%%", steady.successRate * 100)])
    rows.append(["goodput", Units.threeSignificant(steady.goodputRequestsPerSecond) + " req/s"])
    lines.append(TextTable.render(rows, rightAligned: [1], indent: "  "))
    return lines.joined(separator: "\n")
  }
}

/// `--engine NAME`: the serving-engine profile (`Models/engines/`, listed by `llmplan engines`)
/// a command predicts for. Unset: a scenario's `engine:`, else the default profile (`vllm`).
struct EngineProfileOption: ParsableArguments {
  @Option(
    name: .customLong("engine"),
    help: "Serving-engine profile: a name from `llmplan engines` or a path to an engine file (default: vllm).")
  var engine: String?

  /// The profile to use: the flag's, else `scenarioEngine`, else the catalog's default (nil
  /// only when the catalog has no engine profiles at all).
  func profile(catalog: Catalog, scenarioEngine: String? = nil) throws -> EngineProfile? {
    try catalog.engineProfile(named: engine ?? scenarioEngine)
  }

  /// Lays the flag over a scenario's `engine:`.
  func apply(to scenario: inout Scenario) {
    if let engine { scenario.engine = engine }
  }
}

extension EngineOptions {
  /// The engine settings: the profile's (or vLLM's defaults without one) with the flags given
  /// laid over its scheduler defaults.
  func engineConfig(profile: EngineProfile?) -> EngineConfig {
    var scheduler = ScenarioScheduler()
    apply(to: &scheduler)
    return Deployment.engineConfig(scheduler, profile: profile)
  }
}

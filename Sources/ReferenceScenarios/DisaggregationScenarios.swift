import Analytic
import Foundation
import PlanCore
import Planner
import Simulation

/// Scenario 6: aggregated against disaggregated serving (issue 15).
///
/// **Should win.** Llama-3-8B on two DGX H100 nodes (16 GPUs, InfiniBand between them) with
/// long prompts (3,000–5,000 tokens), 150–250 output tokens and a tight TPOT bound. In an
/// aggregated replica every prompt admitted while a request decodes stalls its next token by a
/// whole prefill (≈ 0.1 s for 4,000 tokens): at the rates that fill the GPUs the stalls break
/// the TPOT bound, so aggregated replicas must run at a fraction of their capacity. Decode
/// instances run decodes only, and the KV handoff (4,000 tokens × 131 kB = 0.52 GB, milliseconds
/// over NVLink or NDR InfiniBand) hides behind the prefill layer by layer: disaggregation serves
/// more per GPU.
///
/// **Should not.** The same model on one node with short prompts (100–300 tokens) and a loose
/// TPOT bound (150 ms): the aggregated TPOT, stalls included, is a small fraction of the bound,
/// so removing the stalls buys no capacity, while two pools need at least two instances and
/// leave one of them partly idle (the P:D ratio can only be a ratio of whole instances):
/// aggregated replicas serve more per GPU.
///
/// Both are planned with the real planner (analytic search of both forms, simulation of their
/// shortlists); the checks assert the winner, the stated reason, the KV bytes per request
/// (prompt tokens × KV bytes per token, by hand), the capacity bound and the simulated SLO.
public struct DisaggregationScenario: ReferenceScenario {
  public let name = "disaggregation"
  public let title = "Aggregated or disaggregated serving"
  public let summary =
    "Llama-3-8B on H100s: long prompts (3,000–5,000 tokens), tight TPOT (25 ms) on two nodes, where disaggregated "
    + "prefill and decode pools should win because prefill stalls are removed; short prompts (100–300), loose TPOT "
    + "(150 ms) on one node, where aggregated replicas should win. The planner searches both forms and says why."

  public init() {}

  static let model = "llama-3-8b"
  static let gpu = "h100-80gb-sxm"

  /// Llama-3-8B's KV bytes per token: 2 (K, V) × 32 layers × 8 KV heads × 128 head dim × 2 bytes.
  static let kvBytesPerToken = 2.0 * 32 * 8 * 128 * 2

  static let winsProfiles = [
    ClientProfile(name: "long-context", prompt: .uniform(low: 3000, high: 5000), output: .uniform(low: 150, high: 250))
  ]
  static let winsSLO = SLO(ttftSeconds: 1.5, tpotSeconds: 0.025, successRateFloor: 0.9)
  static let winsRate = 40.0
  static let losesProfiles = [
    ClientProfile(name: "chat", prompt: .uniform(low: 100, high: 300), output: .uniform(low: 100, high: 300))
  ]
  static let losesSLO = SLO(ttftSeconds: 2, tpotSeconds: 0.15, successRateFloor: 0.95)
  static let losesRate = 40.0

  /// The two questions as scenarios (the example files Reports/examples/disagg-wins.yaml and
  /// disagg-loses.yaml hold the same).
  public static func scenario(wins: Bool, size: ScenarioSize) -> Scenario {
    let rate = wins ? winsRate : losesRate
    let workload = referenceWorkload(
      rate: rate, profiles: wins ? winsProfiles : losesProfiles,
      measuredRequests: Int(rate * size.pick(quick: 20.0, thorough: 120.0)), warmupSeconds: 15, drainSeconds: 30)
    var s = Scenario(
      name: wins ? "disagg-wins" : "disagg-loses", model: model, gpu: gpu,
      cluster: wins ? "dgx-h100-2node-ib" : "dgx-h100", workload: workload, slo: wins ? winsSLO : losesSLO,
      objective: PlanObjective.goodputPerGPU.rawValue, gpuBudget: wins ? 16 : 8)
    s.disaggregation = .auto
    s.kvTransferOverlap = .layerwise
    return s
  }

  public func run(size: ScenarioSize, catalog: Catalog) throws -> ScenarioReport {
    let started = Date()
    var r = CheckRecorder()
    for wins in [true, false] {
      let label = wins ? "long prompts, tight TPOT, 2 nodes" : "short prompts, loose TPOT, 1 node"
      let request = try PlanRequest(
        scenario: Self.scenario(wins: wins, size: size), catalog: catalog, topK: size.pick(quick: 1, thorough: 3),
        searchSimulatedMaxRate: size == .thorough)
      let plan = try Planner(request).plan()
      guard let d = plan.disaggregation else {
        r.holds(
          "\(label): disaggregated layouts searched", false, expected: "searched", got: "not searched",
          source: .analytic, "the budget holds at least two instances, so `auto` searches them")
        continue
      }
      let expected: DisaggregationComparison.Form = wins ? .disaggregated : .aggregated
      r.holds(
        "\(label): winner", d.comparison.winner == expected, expected: expected.rawValue,
        got: d.comparison.winner.rawValue, source: d.comparison.basis == "simulation" ? .both : .analytic,
        d.comparison.sentence)
      if let aggregated = plan.shortlist.first {
        r.holds(
          "\(label): simulated aggregated \(aggregated.layout) meets the SLO", aggregated.meetsSLO, expected: "meets",
          got: aggregated.meetsSLO ? "meets" : aggregated.reasons.joined(separator: "; "), source: .simulated,
          "the aggregated side of the comparison is the simulated winner of the aggregated shortlist")
      }
      let reasonKey = wins ? "Prefill interference removed" : "Prefill interference does not matter"
      r.holds(
        "\(label): stated reason", d.comparison.reasons.contains { $0.hasPrefix(reasonKey) },
        expected: "“\(reasonKey)…”", got: d.comparison.reasons.first { $0.contains("interference") } ?? "none",
        source: .analytic,
        wins
          ? "a 4,000-token prefill stalls every decoding request of an aggregated replica, and the stalls push its "
            + "TPOT towards the 25 ms bound"
          : "whatever the stalls, the aggregated TPOT stays far below the loose 150 ms bound")
      r.holds(
        "\(label): transfer cost stated", d.comparison.reasons.contains { $0.hasPrefix("KV transfer cost") },
        expected: "“KV transfer cost…”",
        got: d.comparison.reasons.contains { $0.hasPrefix("KV transfer cost") } ? "present" : "absent",
        source: .analytic, "the report gives the KV handoff per mean request")
      guard let best = d.candidates.first else { continue }
      r.within(
        "\(label): KV bytes per request", best.transfer.bytesPerRequest, relative: 1e-9,
        of: Double(request.meanPromptTokens) * Self.kvBytesPerToken, .bytes, source: .analytic,
        "mean prompt \(request.meanPromptTokens) tokens × 2·32·8·128·2 = 131,072 B per token")
      r.within(
        "\(label): capacity = min(prefill, decode)", best.load.capacityRequestsPerSecond, relative: 1e-12,
        of: min(best.load.prefillCapacityRequestsPerSecond, best.load.decodeCapacityRequestsPerSecond),
        .number("req/s"), source: .analytic, "a request passes through both pools")
      r.figure(
        "\(label): best disaggregated \(best.layout) TPOT", best.load.tpotMeanSeconds ?? .nan, .seconds,
        source: .analytic)
      if wins {
        let stall = d.comparison.aggregatedPrefillStallSecondsPerToken ?? 0
        r.above(
          "\(label): prefill stalls in the aggregated TPOT", stall, 0.002, .seconds, source: .analytic,
          "prompts admitted while a request decodes each hold it back a whole prefill")
        if let note = d.simulationNote {
          r.note(note)
        } else if let s = d.shortlist.first {
          r.holds(
            "\(label): simulated \(s.layout) meets the SLO", s.meetsSLO, expected: "meets",
            got: s.meetsSLO ? "meets" : s.reasons.joined(separator: "; "), source: .simulated,
            "decode instances decode only; the KV handoff is hidden behind the prefill")
          let moved = s.transferredBytesPerRequest ?? .nan
          // The simulated mean prompt is that of the sampled requests: within 5 % of 4,000 tokens.
          r.within(
            "\(label): simulated KV bytes per handoff", moved, relative: 0.05, of: 4000 * Self.kvBytesPerToken,
            .bytes, source: .simulated, "prompts uniform on 3,000–5,000 tokens × 131,072 B per token")
        } else {
          r.holds(
            "\(label): a disaggregated layout was simulated", false, expected: "simulated", got: "none",
            source: .simulated, "the shortlist simulates the analytic best disaggregated layouts")
        }
      }
    }
    return r.report(scenario: name, title: title, size: size, started: started)
  }
}

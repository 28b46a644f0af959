import Analytic
import Foundation
import PlanCore
import Planner
import Simulation

/// Scenario 4: combined parallelism for a very large model.
///
/// GPT-3 175B holds 2 × 174.6e9 ≈ 349 GB of fp16 weights. One A100 80GB may use 72 GB (90 %):
/// the model cannot fit, by ≈ 280 GB. Eight GPUs split it into 43.7 GB per GPU (TP=8, or
/// TP=4 × PP=2), leaving ≈ 26 GB per GPU for the KV cache on 80 GB GPUs — but 43.7 GB is more
/// than the 36 GB a 40 GB GPU may use, so on 40 GB GPUs it takes 16 (TP=8 × PP=2: 21.9 GB per
/// GPU). Its KV cache costs 2 · 96 layers · 12288 · 2 B = 4.7 MB per token, so even 8 × 80 GB
/// hold only ≈ 44k tokens: ≈ 50 requests of the chat/summarise mix at once.
///
/// The mixed workload (chat: prompts 200–800, outputs 100–300; summaries: prompts 1000–1700,
/// outputs 50–150; within GPT-3's 2048-token context) is served at 1 req/s by each 8-GPU
/// layout (≈ 45–60 % of its capacity) and at 3 req/s by two TP=8 replicas on 16 GPUs.
public struct LargeModelScenario: ReferenceScenario {
  public let name = "large-model"
  public let title = "Combined parallelism for a very large model"
  public let summary =
    "GPT-3 175B with a chat/summarise mix. One A100 80GB fails the memory fit with a clear reason (349 GB of weights "
    + "vs 72 GB usable); TP=8 and TP=4×PP=2 on 8 × 80 GB, and TP=8×PP=2 on 16 × 40 GB, fit and serve 1 req/s within "
    + "the SLO; two TP=8 replicas on 16 × 80 GB serve 3 req/s."

  public init() {}

  static let model = "gpt3-175b"
  static let profiles = [
    ClientProfile(
      name: "chat", weight: 3, prompt: .uniform(low: 200, high: 800), output: .uniform(low: 100, high: 300)),
    ClientProfile(
      name: "summarise", weight: 1, prompt: .uniform(low: 1000, high: 1700), output: .uniform(low: 50, high: 150)),
  ]
  /// Interactive SLO for a very large model: first token within 2 s, 150 ms per token.
  static let slo = SLO(ttftSeconds: 2, tpotSeconds: 0.15)

  struct Serving {
    var label: String
    var setup: ReferenceSetup
    var rate: Double
  }

  public func run(size: ScenarioSize, catalog: Catalog) throws -> ScenarioReport {
    let started = Date()
    var r = CheckRecorder()
    let probe = referenceWorkload(
      rate: 1, profiles: Self.profiles, measuredRequests: 1, warmupSeconds: 0, drainSeconds: 0)
    let meanPrompt = Int(probe.meanPromptTokens.rounded())
    let meanOutput = Int(probe.meanOutputTokens.rounded())

    // MARK: What does not fit
    let misfits: [(label: String, setup: ReferenceSetup, why: String)] = [
      (
        "1 × A100 80GB", ReferenceSetup(model: Self.model, cluster: "dgx-a100", layout: Layout(tp: 1, pp: 1, dp: 1)),
        "349 GB of weights against 0.9 × 80 GB = 72 GB"
      ),
      (
        "TP8 on 8 × A100 40GB",
        ReferenceSetup(
          model: Self.model, gpu: "a100-40gb-sxm", cluster: "dgx-a100", layout: Layout(tp: 8, pp: 1, dp: 1)),
        "349 GB / 8 = 43.7 GB of weights per GPU against 0.9 × 40 GB = 36 GB"
      ),
    ]
    for misfit in misfits {
      let deployment = try misfit.setup.deployment(catalog)
      let closed = MemoryClosedForm(
        model: deployment.model, gpu: deployment.gpu, tp: misfit.setup.layout.tp, pp: misfit.setup.layout.pp)
      r.holds(
        "analytic memory fit, \(misfit.label)", !deployment.memory.fits, expected: "does not fit",
        got: deployment.memory.fits ? "fits" : "does not fit", source: .analytic, misfit.why)
      r.within(
        "analytic KV pool per GPU (negative: over budget), \(misfit.label)", deployment.memory.headroomBytes,
        relative: 0.01, of: closed.kvPoolBytesPerGPU, .bytes, source: .analytic,
        "memory equation: budget − weights − activations − reserve")
      var reason = "no error"
      var clear = false
      do {
        _ = try SeededRuns.simulate(
          deployment,
          workload: referenceWorkload(
            rate: 1, profiles: Self.profiles, measuredRequests: 10, warmupSeconds: 0, drainSeconds: 10),
          slo: Self.slo, seeds: [1])
      } catch {
        reason = String(describing: error)
        clear = reason.contains("does not fit") && reason.contains(deployment.model.name)
      }
      r.holds(
        "simulation refuses \(misfit.label) with a clear reason", clear,
        expected: "refused: names the model, \"does not fit\"",
        got: clear ? "refused (see notes)" : reason, source: .simulated,
        "a layout with no KV cache cannot admit a request; the user is told why")
      r.note("\(misfit.label), simulator: \(reason)")
      var loadReason = "no error"
      do {
        _ = try deployment.evaluator.serviceModel(
          promptTokens: meanPrompt, outputTokens: meanOutput, queueCapacity: nil)
      } catch {
        loadReason = String(describing: error)
      }
      let loadClear = loadReason.contains("fits") && loadReason.contains("KV cache")
      r.holds(
        "load model refuses \(misfit.label) with a clear reason", loadClear,
        expected: "refused: no sequence fits the KV cache", got: loadClear ? "refused (see notes)" : loadReason,
        source: .analytic, "no KV cache: not one \(meanPrompt + meanOutput)-token sequence fits")
      r.note("\(misfit.label), load model: \(loadReason)")
    }
    r.figure("weights of GPT-3 175B", try catalog.model(Self.model).weightBytes(), .bytes, source: .analytic)

    // MARK: What fits and serves
    let servings = [
      Serving(
        label: "TP8 on 8 × 80GB",
        setup: ReferenceSetup(model: Self.model, cluster: "dgx-a100", layout: Layout(tp: 8, pp: 1, dp: 1)), rate: 1),
      Serving(
        label: "TP4·PP2 on 8 × 80GB",
        setup: ReferenceSetup(model: Self.model, cluster: "dgx-a100", layout: Layout(tp: 4, pp: 2, dp: 1)), rate: 1),
      Serving(
        label: "TP8·PP2 on 16 × 40GB",
        setup: ReferenceSetup(
          model: Self.model, gpu: "a100-40gb-sxm", cluster: "dgx-a100-2node-ib", layout: Layout(tp: 8, pp: 2, dp: 1)),
        rate: 1),
      Serving(
        label: "TP8·DP2 on 16 × 80GB",
        setup: ReferenceSetup(model: Self.model, cluster: "dgx-a100-2node-ib", layout: Layout(tp: 8, pp: 1, dp: 2)),
        rate: 3),
    ]
    let measuredSeconds = size.pick(quick: 150.0, thorough: 600.0)
    for serving in servings {
      let deployment = try serving.setup.deployment(catalog)
      let layout = serving.setup.layout
      let closed = MemoryClosedForm(model: deployment.model, gpu: deployment.gpu, tp: layout.tp, pp: layout.pp)
      r.holds(
        "analytic memory fit, \(serving.label)", deployment.memory.fits, expected: "fits",
        got: deployment.memory.fits ? "fits" : "does not fit", source: .analytic,
        "\(ValueFormat.bytes.format(closed.weightBytesPerGPU)) of weights per GPU leave \(ValueFormat.bytes.format(closed.kvPoolBytesPerGPU)) for the KV cache"
      )
      r.within(
        "analytic KV capacity, \(serving.label)", Double(deployment.memory.maxKVTokens), relative: 0.01,
        of: Double(closed.kvTokens), .number("tokens"), source: .analytic,
        "memory equation over 4.7 MB of KV per token / (TP·PP) per GPU")
      r.figure(
        "analytic KV tokens \(serving.label)", Double(deployment.memory.maxKVTokens), .number("tokens"),
        source: .analytic)

      let load = try deployment.evaluator.underLoad(
        rateRequestsPerSecond: serving.rate, promptTokens: meanPrompt, outputTokens: meanOutput, slo: Self.slo)
      let analyticSuccess = load.steadyState?.successRate ?? .nan
      r.figure(
        "analytic capacity \(serving.label)", load.capacityRequestsPerSecond, .number("req/s"), source: .analytic)
      r.figure(
        "analytic success at \(Units.threeSignificant(serving.rate)) req/s, \(serving.label)", analyticSuccess,
        .percent, source: .analytic)
      r.atLeast(
        "analytic success at \(Units.threeSignificant(serving.rate)) req/s, \(serving.label)", analyticSuccess, 0.95,
        .percent, source: .analytic,
        "below capacity (utilisation \(ValueFormat.percent.format(load.utilisation))) with waiting rare: the SLO floor 95 %"
      )
      let workload = referenceWorkload(
        rate: serving.rate, profiles: Self.profiles, measuredRequests: Int(measuredSeconds * serving.rate),
        warmupSeconds: 30, drainSeconds: 120)
      let runs = try SeededRuns.simulate(
        deployment, workload: workload, slo: Self.slo, seeds: size.seeds, checkInvariants: true)
      let success = runs.mean { $0.successRate }
      r.figure(
        "simulated success at \(Units.threeSignificant(serving.rate)) req/s, \(serving.label)", success, .percent,
        source: .simulated)
      r.figure(
        "simulated mean TTFT, \(serving.label)", runs.mean { $0.ttftSeconds?.mean }, .seconds, source: .simulated)
      r.figure(
        "simulated mean TPOT, \(serving.label)", runs.mean { $0.tpotSeconds?.mean }, .seconds, source: .simulated)
      r.within(
        "simulated vs analytic success, \(serving.label)", success, absolute: 0.15, of: analyticSuccess, .percent,
        source: .both, "the gap threshold (15 points) in the stable region")
      let unserved = runs.maximum { Double($0.rejected + $0.unfinished) }
      r.atMost(
        "simulated requests rejected or unfinished, \(serving.label)", unserved, 0, .number("requests"),
        source: .simulated,
        "a stable layout admits and finishes every request within the 120 s drain")
    }
    r.note(
      "The 8-GPU layouts serve 1 req/s, not 3: each request's prefill of ≈ \(meanPrompt) tokens costs "
        + "2 · 175e9 · \(meanPrompt) ≈ 0.25 PFLOP (≈ 0.2 s on 8 A100s) during which no token is decoded, and "
        + "\(meanOutput) decode steps of ≈ 70 ms at a batch of ≈ 50 (the KV limit at 4.7 MB per token): "
        + "μ = 50 / (50 · 0.2 + \(meanOutput) · 0.07) ≈ 2 req/s. 3 req/s needs two replicas (16 GPUs).")
    return r.report(scenario: name, title: title, size: size, started: started)
  }
}

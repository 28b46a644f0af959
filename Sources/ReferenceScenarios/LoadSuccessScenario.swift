import Analytic
import Foundation
import PlanCore
import Planner
import Simulation

/// Scenario 5: load against success, for the configuration of each other scenario.
///
/// The load model's capacity is μ(B) = B / (B·p + (N̄ − 1)·d(B)) requests/s per replica (B the
/// requests the KV cache holds, p a prefill, d(B) a decode step). Below it the queue is stable
/// and the success rate comes from its stationary distribution: high at half the capacity,
/// and the simulated rate must agree with it within the gap threshold (15 points). Above it no
/// deployment completes more than its capacity, so at most capacity/λ of the arrivals can
/// succeed (`LoadPrediction.successRateUpperBound`) — e.g. one GPU at 3× its capacity serves at
/// most a third of its requests — and the simulated deployment completes about its capacity.
///
/// Rates are multiples of each configuration's analytic capacity, so the sweep brackets it
/// whatever the hardware.
public struct LoadSuccessScenario: ReferenceScenario {
  public let name = "load-success"
  public let title = "Load against success"
  public let summary =
    "Each scenario's configuration (7B TP1 with 2000-token prompts, 13B PP2 on 40 GB GPUs with 1500-token outputs, "
    + "7B DP2 with short requests, 175B TP8) swept at 0.5×, 0.8×, 1.5× and 3× (DP2: 2×) its analytic capacity: "
    + "success stays high below capacity, agrees with the load model there within 15 points, and falls past it to at "
    + "most capacity/λ, with the simulated deployment completing about its capacity."

  public init() {}

  /// One configuration swept over load.
  struct Sweep {
    var label: String
    var setup: ReferenceSetup
    var profiles: [ClientProfile]
    var slo: SLO
    var router: RouterPolicy = .roundRobin
    /// Offered load as multiples of the analytic capacity.
    var factors: [Double]
    /// Seconds to reach steady state: several residence times of a request.
    var warmupSeconds: Double
    /// Long enough for the requests of a stable run to finish.
    var drainSeconds: Double
    /// Length of the measurement window, seconds. A saturated engine that runs prefills first
    /// completes requests in waves (a burst of admissions, then their decodes together), one
    /// every ≈ B·p + N̄·d(B) seconds, so the window spans several waves for its completion
    /// rate to mean anything.
    var quickWindowSeconds: Double
    var thoroughWindowSeconds: Double
  }

  static let sweeps: [Sweep] = [
    Sweep(
      label: "7B TP1, 1 × A100 80GB (tp-compute)",
      setup: ReferenceSetup(model: "llama-2-7b", cluster: "dgx-a100", layout: Layout(tp: 1, pp: 1, dp: 1)),
      profiles: TensorParallelScenario.mixedProfiles, slo: TensorParallelScenario.slo, factors: [0.5, 0.8, 1.5, 3],
      warmupSeconds: 20, drainSeconds: 60, quickWindowSeconds: 60, thoroughWindowSeconds: 240),
    Sweep(
      label: "13B PP2, 2 × A100 40GB (pp-memory)",
      setup: ReferenceSetup(
        model: "llama-2-13b", gpu: "a100-40gb-sxm", cluster: "dgx-a100", layout: Layout(tp: 1, pp: 2, dp: 1)),
      profiles: PipelineMemoryScenario.profiles, slo: PipelineMemoryScenario.slo, factors: [0.5, 0.8, 1.5, 3],
      warmupSeconds: 200, drainSeconds: 300, quickWindowSeconds: 600, thoroughWindowSeconds: 2400),
    Sweep(
      label: "7B DP2, 2 × A100 80GB ring (dp-throughput)",
      setup: ReferenceSetup(model: "llama-2-7b", cluster: "ring4-cross", layout: Layout(tp: 1, pp: 1, dp: 2)),
      profiles: DataParallelScenario.profiles, slo: DataParallelScenario.slo, factors: [0.5, 0.8, 1.5, 2],
      warmupSeconds: 20, drainSeconds: 60, quickWindowSeconds: 30, thoroughWindowSeconds: 120),
    Sweep(
      label: "175B TP8, 8 × A100 80GB (large-model)",
      setup: ReferenceSetup(model: "gpt3-175b", cluster: "dgx-a100", layout: Layout(tp: 8, pp: 1, dp: 1)),
      profiles: LargeModelScenario.profiles, slo: LargeModelScenario.slo, factors: [0.5, 0.8, 1.5, 3],
      warmupSeconds: 60, drainSeconds: 120, quickWindowSeconds: 150, thoroughWindowSeconds: 600),
  ]

  /// Tolerance on the unstable bound: a run starts empty, so the first requests of the window
  /// meet a short queue; and an unstable point measures ≥ 1.5 × capacity × window ≥ 260
  /// requests, whose success fraction has binomial noise σ ≤ √(0.25 / 260) ≈ 3 points.
  static let boundTolerance = 0.05
  static let gapThreshold = 0.15

  public func run(size: ScenarioSize, catalog: Catalog) throws -> ScenarioReport {
    let started = Date()
    var r = CheckRecorder()
    for sweep in Self.sweeps {
      let deployment = try sweep.setup.deployment(catalog)
      let probe = referenceWorkload(
        rate: 1, profiles: sweep.profiles, measuredRequests: 1, warmupSeconds: 0, drainSeconds: 0)
      let meanPrompt = Int(probe.meanPromptTokens.rounded())
      let meanOutput = Int(probe.meanOutputTokens.rounded())
      let idle = try deployment.evaluator.underLoad(
        rateRequestsPerSecond: 0, promptTokens: meanPrompt, outputTokens: meanOutput, slo: sweep.slo,
        router: sweep.router)
      let capacity = idle.capacityRequestsPerSecond
      r.figure("\(sweep.label): analytic capacity", capacity, .number("req/s"), source: .analytic)
      var simulatedByFactor: [(factor: Double, success: Double)] = []
      var shedByFactor: [(factor: Double, success: Double, bound: Double)] = []
      // TPOT of a request in a saturated replica (the load model's Little's-law TPOT with the
      // batch always full): its own decode steps d(B) plus, spread over its N̄ − 1 tokens, the
      // B − 1 prefills of the requests that replace its neighbours: d(B) + (B − 1)·p / (N̄ − 1).
      let service = try deployment.evaluator.serviceModel(
        promptTokens: meanPrompt, outputTokens: meanOutput, queueCapacity: nil)
      let fullBatch = Double(service.maxConcurrentSequences)
      let saturatedTPOT =
        service.decodeStepSecondsByBatch[service.maxConcurrentSequences - 1]
        + (fullBatch - 1) * service.prefillSeconds / (service.meanOutputTokens - 1)
      r.figure("\(sweep.label): analytic TPOT with a full batch", saturatedTPOT, .seconds, source: .analytic)
      for factor in sweep.factors {
        let rate = factor * capacity
        let load = try deployment.evaluator.underLoad(
          rateRequestsPerSecond: rate, promptTokens: meanPrompt, outputTokens: meanOutput, slo: sweep.slo,
          router: sweep.router)
        let workload = referenceWorkload(
          rate: rate, profiles: sweep.profiles,
          measuredRequests: Int(
            (rate * size.pick(quick: sweep.quickWindowSeconds, thorough: sweep.thoroughWindowSeconds)).rounded(.up)),
          warmupSeconds: sweep.warmupSeconds, drainSeconds: sweep.drainSeconds)
        let runs = try SeededRuns.simulate(
          deployment, workload: workload, slo: sweep.slo, router: sweep.router, seeds: size.seeds)
        let success = runs.mean { $0.successRate }
        simulatedByFactor.append((factor, success))
        let at = "\(sweep.label) at \(Units.threeSignificant(factor))× (\(Units.threeSignificant(rate)) req/s)"
        r.figure("\(at): simulated success", success, .percent, source: .simulated)
        if let steady = load.steadyState {
          r.figure("\(at): analytic success", steady.successRate, .percent, source: .analytic)
          r.within(
            "success vs load model, \(at)", success, absolute: Self.gapThreshold, of: steady.successRate, .percent,
            source: .both, "stable region: the gap threshold (15 points) between simulation and queueing model")
          if factor <= 0.5 {
            r.atLeast(
              "simulated success stays high, \(at)", success, 0.9, .percent, source: .simulated,
              "at half the capacity a request rarely waits for a batch slot (P(wait) of the load model ≈ "
                + "\(ValueFormat.percent.format(steady.waitingProbability))); 90 %")
          }
        } else {
          r.figure("\(at): analytic success bound", load.successRateUpperBound, .percent, source: .analytic)
          r.atMost(
            "success ≤ capacity/λ + 5 points, \(at)", success, load.successRateUpperBound + Self.boundTolerance,
            .percent, source: .both,
            "past capacity at most capacity/λ = \(ValueFormat.percent.format(load.successRateUpperBound)) of arrivals "
              + "can be served; 5 points for a window that starts with a short queue and binomial noise (σ ≤ 3 points)")
          // The same load with load shedding: requests that waited half the TTFT bound for
          // their first scheduling are turned away, so the ones admitted still meet it and the
          // deployment keeps completing its capacity within the SLO.
          let shedding = ScenarioScheduler(queueTimeoutSeconds: sweep.slo.ttftSeconds / 2)
          let shed = try SeededRuns.simulate(
            deployment, workload: workload, slo: sweep.slo, router: sweep.router, scheduler: shedding, seeds: size.seeds
          )
          let shedSuccess = shed.mean { $0.successRate }
          r.figure("\(at): simulated success with load shedding", shedSuccess, .percent, source: .simulated)
          r.atMost(
            "success with load shedding ≤ capacity/λ + 5 points, \(at)", shedSuccess,
            load.successRateUpperBound + Self.boundTolerance, .percent, source: .both,
            "shedding changes who is served, not how many: still at most capacity/λ")
          shedByFactor.append((factor, shedSuccess, load.successRateUpperBound))
          let completed = runs.mean { $0.requestsPerSecond }
          r.within(
            "simulated completions vs capacity, \(at)", completed, relative: Self.gapThreshold, of: capacity,
            .number("req/s"), source: .both,
            "a saturated deployment completes its capacity μ(B) per second, whatever the offered load (gap threshold 15 %)"
          )
        }
      }
      let shedText = shedByFactor.map {
        "\(Units.threeSignificant($0.factor))×: \(ValueFormat.percent.format($0.success)) of ≤ \(ValueFormat.percent.format($0.bound))"
      }.joined(separator: ", ")
      let meets = saturatedTPOT <= sweep.slo.tpotSeconds
      r.note(
        "\(sweep.label): past capacity the unbounded FCFS queue (vLLM's default) makes every request wait longer than "
          + "the last, so success collapses towards 0, under the bound. With load shedding (queue timeout = TTFT/2) "
          + "the deployment serves its capacity: \(shedText). A full batch gives TPOT d(B) + (B − 1)·p/(N̄ − 1) = "
          + "\(ValueFormat.seconds.format(saturatedTPOT)) (B = \(service.maxConcurrentSequences), "
          + "p = \(ValueFormat.seconds.format(service.prefillSeconds)), N̄ = \(meanOutput)), "
          + (meets
            ? "within the \(ValueFormat.seconds.format(sweep.slo.tpotSeconds)) SLO for the mean request; requests with "
              + "fewer output tokens spread the same prefill stalls over fewer tokens and may miss it."
            : "over the \(ValueFormat.seconds.format(sweep.slo.tpotSeconds)) SLO: at a full batch each request sits "
              + "through its neighbours' prefills, so even the served requests miss the SLO."))
      // Falls with load: the success at the highest load is below the one at the lowest.
      if let first = simulatedByFactor.first, let last = simulatedByFactor.last {
        r.below(
          "\(sweep.label): success at \(Units.threeSignificant(last.factor))× below success at \(Units.threeSignificant(first.factor))×",
          last.success, first.success, .percent, source: .simulated,
          "the queue grows without bound past capacity, so the share of requests meeting the SLO falls")
      }
    }
    return r.report(scenario: name, title: title, size: size, started: started)
  }
}

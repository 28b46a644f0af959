import Analytic
import Foundation
import PlanCore
import Simulation

/// The words of a plan: the recommendation sentence and its reasons, the ranking comparison,
/// the TP scaling series and the assumptions.
public enum PlanNarrative {
  static func gpuPhrase(_ gpus: Int, _ request: PlanRequest) -> String {
    "\(gpus) × \(request.gpu.displayName)" + (gpus < request.gpuBudget ? " (of the \(request.gpuBudget) budgeted)" : "")
  }

  static func simulatedFigures(_ c: SimulatedCandidate) -> String {
    var parts: [String] = []
    if let success = c.result.successRate { parts.append("success \(Format.percent(success))") }
    if let ttft = c.result.ttftSeconds?.p90 { parts.append("TTFT p90 \(Units.formatSeconds(ttft))") }
    if let tpot = c.result.tpotSeconds?.p90 { parts.append("TPOT p90 \(Units.formatSeconds(tpot))") }
    return parts.joined(separator: ", ")
  }

  /// What the objective's winner is best at, for the sentence.
  static func objectiveClause(_ objective: PlanObjective, _ best: SimulatedCandidate) -> String {
    switch objective {
    case .goodputPerGPU:
      let perGPU = (best.result.goodputRequestsPerSecond ?? 0) / Double(best.gpus)
      return "the most goodput per GPU (\(Format.number(perGPU)) req/s per GPU)"
    case .throughput:
      return
        "the highest sustainable rate (about \(Format.rate(best.maxSustainableRate?.estimateRequestsPerSecond ?? 0)) in simulation)"
    case .minTTFT:
      return "the lowest TTFT p90 (\(Units.formatSeconds(best.result.ttftSeconds?.p90 ?? 0)))"
    case .minGPUs:
      return "the fewest GPUs"
    case .minCost:
      return "the lowest cost per hour"
    }
  }

  public static func recommendation(
    request: PlanRequest, ranked: [AnalyticCandidate], simulated: [SimulatedCandidate]
  ) -> Recommendation {
    let rate = Format.rate(request.scenario.workload.rateRequestsPerSecond)
    let model = request.model.displayName
    let fitting = ranked.filter(\.fits).count
    let analyticMeets = ranked.filter(\.meetsSLO).count
    let census =
      "\(ranked.count) layouts enumerated within \(request.gpuBudget) GPUs: \(ranked.count - fitting) do not fit in memory, "
      + "\(fitting - analyticMeets) fit but break the SLO analytically, \(analyticMeets) meet it; "
      + "\(simulated.count) simulated."
    let (disagree, note) = rankingComparison(ranked: ranked, simulated: simulated)
    guard let best = simulated.first else {
      return Recommendation(
        layout: nil, gpus: nil, basis: .none,
        sentence:
          "No layout of \(model) within \(request.gpuBudget) × \(request.gpu.displayName) can serve this workload: "
          + "none leaves room in memory for a mean-length request.",
        reasons: [census] + ranked.prefix(1).flatMap(\.reasons), rankingsDisagree: false, rankingNote: note)
    }
    let analytic = ranked.first { $0.key == best.key }
    if best.meetsSLO {
      var reasons = [
        "Objective \(request.objective.rawValue) (\(request.objective.explanation)): \(label(best)) has "
          + "\(objectiveClause(request.objective, best)) of the \(simulated.filter(\.meetsSLO).count) simulated layouts that meet the SLO."
      ]
      if let bound = best.maxSustainableRate, let met = bound.metRequestsPerSecond {
        let range =
          bound.brokenRequestsPerSecond.map {
            $0 > met ? "\(Format.rate(met)) (but not \(Format.rate($0)))" : Format.rate(met)
          }
          ?? "at least \(Format.rate(met))"
        reasons.append(
          "Headroom: it sustains \(range) within the SLO in simulation"
            + ((analytic?.maxSustainableRequestsPerSecond).map { " (analytic: \(Format.rate($0)))" } ?? "") + ".")
      }
      if let analytic {
        reasons.append(
          "Memory per GPU: weights \(Units.formatBytes(analytic.memory.weightBytesPerGPU)), KV cache "
            + "\(Units.formatBytes(analytic.memory.kvCacheBytesPerGPU)) (\(analytic.memory.maxKVTokens) tokens per replica)."
        )
        reasons.append(
          "How sure: an idle replica's TTFT for the mean prompt is \(analytic.noQueueTTFTBandSeconds.formatted) and its "
            + "TPOT at batch 1 \(analytic.tpotBatch1BandSeconds.formatted) (p10–p90 band of the GPU profile's "
            + (analytic.bandsCalibrated
              ? "calibration residuals" : "timings, uncalibrated: run `llmplan calibrate` to narrow it")
            + "); the simulated-vs-analytic gaps below show the queueing side.")
      }
      if let why = precisionReason(best: best, ranked: ranked, simulated: simulated, request: request) {
        reasons.append(why)
      }
      if let runnerUp = simulated.dropFirst().first {
        var text = "Runner-up: \(label(runnerUp)) on \(runnerUp.gpus) GPUs"
        if runnerUp.meetsSLO {
          text += " (\(simulatedFigures(runnerUp)))"
          if let decided = Ranking.decidingCriterion(best, over: runnerUp, objective: request.objective) {
            text += "; \(label(best)) wins on \(decided.criterion)"
            if !decided.tiedOn.isEmpty {
              text += " after tying within 1 % on \(decided.tiedOn.joined(separator: " and "))"
            }
          }
          text += "."
        } else {
          text += ", which breaks the SLO: \(runnerUp.reasons.joined(separator: "; "))."
        }
        reasons.append(text)
      }
      reasons.append(census)
      return Recommendation(
        layout: best.layout, precision: best.precision, gpus: best.gpus, basis: .simulation,
        sentence:
          "Serve \(model) as \(label(best)) on \(gpuPhrase(best.gpus, request)): in simulation it meets the SLO "
          + "at \(rate) (\(simulatedFigures(best))) with \(objectiveClause(request.objective, best)).",
        reasons: reasons, rankingsDisagree: disagree, rankingNote: note)
    }
    return Recommendation(
      layout: best.layout, precision: best.precision, gpus: best.gpus, basis: .bestEffort,
      sentence:
        "No simulated layout within \(request.gpuBudget) × \(request.gpu.displayName) meets the SLO at \(rate); "
        + "the closest is \(label(best)) (\(simulatedFigures(best))). Raise the GPU budget, lower the rate or relax the SLO.",
      reasons: ["\(label(best)) breaks the SLO in simulation: \(best.reasons.joined(separator: "; "))."] + [census],
      rankingsDisagree: disagree, rankingNote: note)
  }

  /// Whether the simulation puts first the layout the analytic model ranked best among those
  /// simulated, and a sentence saying so.
  static func rankingComparison(ranked: [AnalyticCandidate], simulated: [SimulatedCandidate]) -> (Bool, String) {
    guard let simulatedBest = simulated.first,
      let analyticBest = simulated.min(by: { $0.analyticRank < $1.analyticRank })
    else { return (false, "Nothing was simulated.") }
    let analyticOrder = simulated.sorted { $0.analyticRank < $1.analyticRank }.map(\.key)
    let simulatedOrder = simulated.map(\.key)
    if simulatedBest.key == analyticBest.key {
      if analyticOrder == simulatedOrder {
        return (false, "The simulation ranks the shortlist exactly as the analytic model does.")
      }
      return (
        false,
        "The simulation confirms the analytic winner \(label(simulatedBest)); it reorders the rest of the shortlist "
          + "(simulated order: \(simulated.map(label).joined(separator: ", ")))."
      )
    }
    let demoted = simulated.first { $0.key == analyticBest.key }
    var text =
      "The simulation disagrees with the analytic ranking: the analytic best \(label(analyticBest)) comes "
      + "#\(demoted?.rank ?? 0) in simulation"
    if let demoted, !demoted.meetsSLO { text += " (\(demoted.reasons.joined(separator: "; ")))" }
    text += ", and \(label(simulatedBest)) (analytic #\(simulatedBest.analyticRank)) comes first."
    return (true, text)
  }

  /// No-queue TTFT against TP for the single-replica, single-stage layouts that fit.
  public static func tensorParallelScaling(_ ranked: [AnalyticCandidate]) -> [TensorParallelPoint] {
    // One precision (the analytic winner's) and no expert parallelism: the series is TP alone.
    let precision = ranked.first?.precision
    let single = ranked.filter {
      $0.layout.pp == 1 && $0.layout.dp == 1 && $0.layout.ep == 1 && $0.fits && $0.precision == precision
    }.sorted {
      $0.layout.tp < $1.layout.tp
    }
    guard let base = single.first else { return [] }
    return single.map {
      TensorParallelPoint(
        tp: $0.layout.tp, ttftSeconds: $0.noQueueTTFTSeconds,
        idealSeconds: base.noQueueTTFTSeconds * Double(base.layout.tp) / Double($0.layout.tp))
    }
  }

  public static func assumptions(request: PlanRequest) -> [Assumption] {
    let engine = request.engine
    let workload = request.scenario.workload
    var list = [
      Assumption(
        topic: "memory",
        statement: "The engine uses \(Format.percent(engine.gpuMemoryUtilization)) of each GPU's memory; KV cache in "
          + "blocks of \(engine.blockSizeTokens) tokens; activations sized for \(engine.maxBatchedTokens) tokens per "
          + "iteration; a runtime reserve of \(Units.formatBytes(EngineConfig.defaultRuntimeReserveBytes(gpusPerReplica: 1))) "
          + "per GPU (\(Units.formatBytes(EngineConfig.defaultRuntimeReserveBytes(gpusPerReplica: 2))) in a TP/PP group).",
        source: "vLLM engine defaults (gpu_memory_utilization 0.9, block_size 16); reserve: CUDA context, CUDA graphs "
          + "and NCCL buffers, see EngineConfig.reserveBytes in Sources/Analytic/Engine/EngineConfig.swift."),
      Assumption(
        topic: "GPU", statement: "\(request.gpu.displayName): datasheet peaks and bandwidth.",
        source: request.gpu.source),
      Assumption(
        topic: "efficiency", statement: "Achieved fraction of peak compute, memory and link bandwidth by work size.",
        source: request.gpu.efficiency.source),
      Assumption(
        topic: "cluster",
        statement:
          "\(request.cluster.displayName): \(request.cluster.gpuCount) GPUs in \(request.cluster.nodeCount) node(s)."
          + (request.cluster.summary.map { " \($0)" } ?? ""),
        source: "Models/clusters/\(request.cluster.name).json (or the built-in ideal cluster)"),
      Assumption(
        topic: "placement",
        statement: "TP groups stay inside a node; a replica's pipeline stages share a node when they fit, and cross "
          + "nodes only when needed.",
        source: "TopologyPlacement in Sources/Planner/TopologyPlacement.swift"),
      Assumption(
        topic: "analytic load model",
        statement: "Each replica is a queue whose service rate follows the batch the KV cache allows, for the mean "
          + "request (\(request.meanPromptTokens) prompt + \(request.meanOutputTokens) output tokens) and "
          + "\(workload.arrival) arrivals. TTFT = wait for a batch slot + the request's own prefill"
          + (workload.hasLengthSpread
            ? ", over the prompt-length mix (\(PromptMix.pointsPerProfile) quantile points per profile)" : "")
          + ". The TPOT it gives is a mean, so the SLO's TPOT p90 is checked against the mean analytically and "
          + "against the true p90 in simulation.",
        source: "docs/ARCHITECTURE.md (the analytic model: load); LoadModel in Sources/Analytic/Load/LoadModel.swift"),
      Assumption(
        topic: "simulation",
        statement: "vLLM-like scheduler (FCFS, paged KV cache, preemption by recompute, PP micro-batches, "
          + "\(request.scenario.router.rawValue) routing), \(Units.formatSeconds(workload.durationSeconds - workload.warmupSeconds)) "
          + "measured after a \(Units.formatSeconds(workload.warmupSeconds)) warm-up, drain limit "
          + "\(Units.formatSeconds(workload.drainSeconds)), seed \(workload.seed).",
        source: "Simulator in Sources/Simulation/Simulator.swift"),
      Assumption(
        topic: "maximum sustainable rate",
        statement:
          "Analytic: bisection on the load model to 0.01 %. Simulated: from the analytic value, a first step of "
          + "×\(SimulatedRateSearch.bracketRatio), then steps of ×\(SimulatedRateSearch.growth) until the SLO "
          + "verdict changes, then bisection to a bracket ≤ "
          + "\(Format.percent(SimulatedRateSearch.bracketRatio - 1)) wide; the lower end is reported.",
        source: "LayoutProbe.maxSustainableRate, SimulatedRateSearch in Sources/Planner"),
      Assumption(
        topic: "ranking",
        statement: "Layouts meeting the SLO first, then the objective (\(request.objective.explanation)); figures "
          + "within 1 % count as equal and the next criterion decides; shortlist: analytic top \(request.topK) plus the "
          + "best of each layout family.",
        source: "Ranking in Sources/Planner/Ranking.swift"),
    ]
    list.insert(engineAssumption(engine), at: 1)
    list += expertAndPrecisionAssumptions(request: request)
    if request.model.parameterCount > 0 {
      list.insert(
        Assumption(
          topic: "model",
          statement:
            "\(request.model.displayName): \(Format.number(request.model.parameterCount / 1e9))B parameters in "
            + "\(request.model.dtype), \(request.model.numLayers) layers, \(request.model.numHeads) attention heads "
            + "(\(request.model.numKVHeads) KV heads).",
          source: "The model's config.json (Models/llm/\(request.model.name).json in the catalog)"), at: 0)
    }
    return list
  }

  /// The serving engine: its profile, version, host-overhead law, all-reduce and CUDA graphs.
  static func engineAssumption(_ engine: EngineConfig) -> Assumption {
    let s = Units.formatSeconds
    guard let profile = engine.profile else {
      return Assumption(
        topic: "engine",
        statement: "No engine profile: host time per iteration is the GPU file's flat iteration_overhead; NCCL "
          + "all-reduce; CUDA graphs.",
        source: "The GPU file's efficiency.iteration_overhead")
    }
    var law = "\(s(profile.overheadFixedSeconds))"
    if profile.overheadPerSequenceSeconds > 0 { law += " + \(s(profile.overheadPerSequenceSeconds)) per sequence" }
    if profile.overheadPerTokenSeconds > 0 { law += " + \(s(profile.overheadPerTokenSeconds)) per token" }
    if profile.overheadMultiGPUFixedSeconds > 0 || profile.overheadMultiGPUPerSequenceSeconds > 0 {
      law +=
        " (+ \(s(profile.overheadMultiGPUFixedSeconds)) + \(s(profile.overheadMultiGPUPerSequenceSeconds)) per "
        + "sequence with TP > 1)"
    }
    let allReduce =
      engine.allReduce.customEnabled
      ? "the engine's custom all-reduce inside an NVLink node (up to \(engine.allReduce.customMaxGPUs) GPUs and "
        + "\(Units.formatBytes(engine.allReduce.customMaxBytes))), NCCL otherwise" : "NCCL all-reduce"
    return Assumption(
      topic: "engine",
      statement: "\(profile.displayName) (profile \(profile.name), \(profile.version)): host time per iteration "
        + "outside kernels \(law), booked once per iteration; \(allReduce); "
        + (engine.cudaGraphs ? "decode replays CUDA graphs." : "no CUDA graphs (host launch time per layer)."),
      source: "Models/engines/\(profile.name).json: \(profile.source)")
  }
}

import Analytic
import PlanCore
import Simulation

/// Why a layout was simulated.
public enum ShortlistReason: String, Sendable, Hashable, Codable {
  /// Among the top K of the analytic ranking.
  case analyticTop = "analytic-top"
  /// The analytic best of its layout family (replicas, TP, PP, TP+PP).
  case bestOfFamily = "best-of-family"
  /// `min-gpus`: a layout with fewer GPUs than the analytic winner, checked in simulation in
  /// case the analytic model is pessimistic.
  case fewerGPUProbe = "fewer-gpu-probe"
  /// The analytic best of a weight/KV precision the plan searches.
  case bestOfPrecision = "best-of-precision"
}

/// A shortlisted layout after simulation at the target rate.
public struct SimulatedCandidate: Sendable, Hashable, Codable {
  public var layout: Layout
  /// As `AnalyticCandidate.precision`.
  public var precision: PlanPrecision?
  public var gpus: Int
  public var family: LayoutFamily
  public var analyticRank: Int
  public var shortlistReason: ShortlistReason
  /// The simulation at the target rate with the scenario's seed (replication 0).
  public var result: SimulationResult
  /// 95 % confidence intervals from the replications at the target rate (nil: one run).
  public var intervals: SimulatedIntervals?
  public var meetsSLO: Bool
  /// Why the simulation breaks the SLO (empty when it meets it).
  public var reasons: [String]
  /// Nil when not searched (trace workloads replay fixed arrival times).
  public var maxSustainableRate: SimulatedRateBound?
  /// Analytic vs simulated, metric by metric.
  public var gap: [GapRow]
  /// Likely causes of the flagged gaps (listed only when some row is flagged).
  public var causes: [GapCause]
  /// Position in the simulated ranking, 1 = best.
  public var rank: Int

  public var flagged: Bool { gap.contains(where: \.flagged) }

  enum CodingKeys: String, CodingKey {
    case layout, precision, gpus, family, analyticRank, shortlistReason, result, intervals, meetsSLO, reasons,
      maxSustainableRate,
      gap, causes, rank
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(layout, forKey: .layout)
    try c.encodeIfPresent(precision, forKey: .precision)
    try c.encode(gpus, forKey: .gpus)
    try c.encode(family, forKey: .family)
    try c.encode(analyticRank, forKey: .analyticRank)
    try c.encode(shortlistReason, forKey: .shortlistReason)
    try c.encode(result, forKey: .result)
    try c.encode(intervals, forKey: .intervals)
    try c.encode(meetsSLO, forKey: .meetsSLO)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(maxSustainableRate, forKey: .maxSustainableRate)
    try c.encode(gap, forKey: .gap)
    try c.encode(causes, forKey: .causes)
    try c.encode(rank, forKey: .rank)
  }
}

/// One client profile of the workload, for people.
public struct ProfileSummary: Sendable, Hashable, Codable {
  public var name: String
  /// Fraction of the requests.
  public var share: Double
  public var prompt: String
  public var output: String
}

/// The question a plan answers, as the report states it.
public struct PlanQuestion: Sendable, Hashable, Codable {
  public var scenario: String
  public var model: String
  public var modelDisplayName: String
  public var parameters: Double
  public var gpu: String
  public var gpuDisplayName: String
  public var gpuMemoryBytes: Double
  public var cluster: String
  public var clusterDisplayName: String
  public var clusterGPUs: Int
  public var clusterNodes: Int
  /// The GPU the cluster file names, when the plan uses another one.
  public var clusterGPUReplaced: String?
  public var gpuBudget: Int
  public var objective: PlanObjective
  public var slo: SLO
  public var router: RouterPolicy
  public var rateRequestsPerSecond: Double
  public var arrival: String
  public var profiles: [ProfileSummary]
  /// Trace requests replayed (0 without a trace).
  public var traceRequests: Int
  /// The mean request the analytic model evaluates, tokens.
  public var meanPromptTokens: Int
  public var meanOutputTokens: Int
  public var longestRequestTokens: Int
  public var durationSeconds: Double
  public var warmupSeconds: Double
  public var drainSeconds: Double
  public var seed: UInt64
  public var engine: EngineConfig
  public var chunkedPrefill: Bool
  public var topK: Int
  public var gapThreshold: Double

  enum CodingKeys: String, CodingKey {
    case scenario, model, modelDisplayName, parameters, gpu, gpuDisplayName, gpuMemoryBytes, cluster,
      clusterDisplayName, clusterGPUs, clusterNodes, clusterGPUReplaced, gpuBudget, objective, slo, router,
      rateRequestsPerSecond, arrival, profiles, traceRequests, meanPromptTokens, meanOutputTokens, longestRequestTokens,
      durationSeconds, warmupSeconds, drainSeconds, seed, engine, chunkedPrefill, topK, gapThreshold
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(scenario, forKey: .scenario)
    try c.encode(model, forKey: .model)
    try c.encode(modelDisplayName, forKey: .modelDisplayName)
    try c.encode(parameters, forKey: .parameters)
    try c.encode(gpu, forKey: .gpu)
    try c.encode(gpuDisplayName, forKey: .gpuDisplayName)
    try c.encode(gpuMemoryBytes, forKey: .gpuMemoryBytes)
    try c.encode(cluster, forKey: .cluster)
    try c.encode(clusterDisplayName, forKey: .clusterDisplayName)
    try c.encode(clusterGPUs, forKey: .clusterGPUs)
    try c.encode(clusterNodes, forKey: .clusterNodes)
    try c.encode(clusterGPUReplaced, forKey: .clusterGPUReplaced)
    try c.encode(gpuBudget, forKey: .gpuBudget)
    try c.encode(objective, forKey: .objective)
    try c.encode(slo, forKey: .slo)
    try c.encode(router, forKey: .router)
    try c.encode(rateRequestsPerSecond, forKey: .rateRequestsPerSecond)
    try c.encode(arrival, forKey: .arrival)
    try c.encode(profiles, forKey: .profiles)
    try c.encode(traceRequests, forKey: .traceRequests)
    try c.encode(meanPromptTokens, forKey: .meanPromptTokens)
    try c.encode(meanOutputTokens, forKey: .meanOutputTokens)
    try c.encode(longestRequestTokens, forKey: .longestRequestTokens)
    try c.encode(durationSeconds, forKey: .durationSeconds)
    try c.encode(warmupSeconds, forKey: .warmupSeconds)
    try c.encode(drainSeconds, forKey: .drainSeconds)
    try c.encode(seed, forKey: .seed)
    try c.encode(engine, forKey: .engine)
    try c.encode(chunkedPrefill, forKey: .chunkedPrefill)
    try c.encode(topK, forKey: .topK)
    try c.encode(gapThreshold, forKey: .gapThreshold)
  }

  public init(_ request: PlanRequest) {
    let workload = request.scenario.workload
    scenario = request.scenario.name
    model = request.model.name
    modelDisplayName = request.model.displayName
    parameters = request.model.parameterCount
    gpu = request.gpu.name
    gpuDisplayName = request.gpu.displayName
    gpuMemoryBytes = request.gpu.memoryBytes
    cluster = request.cluster.name
    clusterDisplayName = request.cluster.displayName
    clusterGPUs = request.cluster.gpuCount
    clusterNodes = request.cluster.nodeCount
    clusterGPUReplaced = request.cluster.defaultGPU.flatMap { $0 == request.gpu.name ? nil : $0 }
    gpuBudget = request.gpuBudget
    objective = request.objective
    slo = request.slo
    router = request.scenario.router
    rateRequestsPerSecond = workload.rateRequestsPerSecond
    arrival = workload.arrival.description
    profiles = zip(workload.profiles, workload.profileShares).map {
      ProfileSummary(name: $0.name, share: $1, prompt: $0.prompt.description, output: $0.output.description)
    }
    traceRequests = workload.trace?.count ?? 0
    meanPromptTokens = request.meanPromptTokens
    meanOutputTokens = request.meanOutputTokens
    longestRequestTokens = workload.maximumSequenceTokens
    durationSeconds = workload.durationSeconds
    warmupSeconds = workload.warmupSeconds
    drainSeconds = workload.drainSeconds
    seed = workload.seed
    engine = request.engine
    chunkedPrefill = request.scenario.scheduler.chunkedPrefill ?? false
    topK = request.topK
    gapThreshold = request.gapThreshold
  }
}

/// What the planner recommends, in one sentence and a few reasons.
public struct Recommendation: Sendable, Hashable, Codable {
  public enum Basis: String, Sendable, Hashable, Codable {
    /// The simulated ranking's winner meets the SLO in simulation.
    case simulation
    /// No simulated layout met the SLO; the closest one is named.
    case bestEffort = "best-effort"
    /// No layout fits or serves the workload.
    case none
  }

  public var layout: Layout?
  /// The recommended precision, in plans that show precision (nil otherwise).
  public var precision: PlanPrecision? = nil
  public var gpus: Int?
  public var basis: Basis
  public var sentence: String
  public var reasons: [String]
  /// The simulated and analytic rankings put different layouts first.
  public var rankingsDisagree: Bool
  public var rankingNote: String

  enum CodingKeys: String, CodingKey {
    case layout, precision, gpus, basis, sentence, reasons, rankingsDisagree, rankingNote
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(layout, forKey: .layout)
    try c.encodeIfPresent(precision, forKey: .precision)
    try c.encode(gpus, forKey: .gpus)
    try c.encode(basis, forKey: .basis)
    try c.encode(sentence, forKey: .sentence)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(rankingsDisagree, forKey: .rankingsDisagree)
    try c.encode(rankingNote, forKey: .rankingNote)
  }
}

/// One layout's analytic load curve: success rate and TTFT p90 against the request rate.
public struct LoadCurve: Sendable, Hashable, Codable {
  public var layout: Layout
  public var points: [LoadFigures]
}

/// No-queue TTFT of the mean prompt on one replica of TP GPUs (PP = DP = 1).
public struct TensorParallelPoint: Sendable, Hashable, Codable {
  public var tp: Int
  public var ttftSeconds: Double
  /// Perfect scaling from the smallest TP that fits: TTFT(tp₀) · tp₀ / tp.
  public var idealSeconds: Double
}

/// How to run the chosen layout.
public struct LaunchCommand: Sendable, Hashable, Codable {
  /// Shell command for vLLM's OpenAI-compatible server, with vLLM's own flags.
  public var command: String
  public var notes: [String]
}

/// A modelling assumption and where it comes from.
public struct Assumption: Sendable, Hashable, Codable {
  public var topic: String
  public var statement: String
  public var source: String
}

/// The planner's whole answer: every layout scored analytically, the shortlist simulated, the
/// gap between the two, the recommendation, and the data for charts. Pure data: the
/// `Reporting` module renders it as Markdown or JSON.
public struct PlanResult: Sendable, Hashable, Codable {
  public var question: PlanQuestion
  /// Every enumerated layout, in analytic rank order.
  public var candidates: [AnalyticCandidate]
  /// Simulated layouts, in simulated rank order.
  public var shortlist: [SimulatedCandidate]
  public var recommendation: Recommendation
  /// Analytic load curves of the top layouts (at most three).
  public var loadCurves: [LoadCurve]
  public var tensorParallelScaling: [TensorParallelPoint]
  /// Nil when nothing is recommended.
  public var launch: LaunchCommand?
  public var assumptions: [Assumption]
  /// The GPU's hourly price, nil when none is known (then no costs are reported).
  public var price: HourlyPrice? = nil
  /// The disaggregated search and which form wins (nil: not searched, `Planner.disaggregationPlan`).
  public var disaggregation: DisaggregationPlan? = nil

  enum CodingKeys: String, CodingKey {
    case question, candidates, shortlist, recommendation, loadCurves, tensorParallelScaling, launch, assumptions, price,
      disaggregation
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(question, forKey: .question)
    try c.encode(candidates, forKey: .candidates)
    try c.encode(shortlist, forKey: .shortlist)
    try c.encode(recommendation, forKey: .recommendation)
    try c.encode(loadCurves, forKey: .loadCurves)
    try c.encode(tensorParallelScaling, forKey: .tensorParallelScaling)
    try c.encode(launch, forKey: .launch)
    try c.encode(assumptions, forKey: .assumptions)
    try c.encode(price, forKey: .price)
    try c.encode(disaggregation, forKey: .disaggregation)
  }

  /// The analytic candidate of a layout.
  public func candidate(_ layout: Layout) -> AnalyticCandidate? { candidates.first { $0.layout == layout } }
}

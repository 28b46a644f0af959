import Analytic
import Foundation
import PlanCore
import Simulation

/// Answers a `PlanRequest`: enumerate every layout within the GPU budget, place it on the
/// topology, prune by memory, rank by the objective with the analytic model, simulate a
/// shortlist, rank again on the simulated numbers, and measure the gap between the two.
public struct Planner: Sendable {
  public let request: PlanRequest

  public init(_ request: PlanRequest) { self.request = request }

  /// The rate-independent preparation of every enumerated layout, in every precision the
  /// request searches (`PrecisionOptions`), prepared concurrently (each layout is independent).
  public func probes() throws -> [LayoutProbe] {
    let jobs = try searchJobs()
    guard !jobs.isEmpty else {
      throw PlannerError(
        "no valid layout of \(request.model.name) within \(request.gpuBudget) GPUs of \(request.cluster.name)",
        kind: .noFeasibleLayout)
    }
    let comm = CommModel(cluster: request.cluster, efficiency: request.gpu.efficiency)
    let index = PlacementIndex(request.cluster)
    return try Replications.concurrentMap(count: jobs.count) { i in
      try LayoutProbe(
        request: jobs[i].request, layout: jobs[i].layout, comm: comm, placementIndex: index,
        precision: jobs[i].precision)
    }
  }

  /// Every layout scored at the target rate (concurrently), best first.
  public func analyticRanking(_ probes: [LayoutProbe]) throws -> [AnalyticCandidate] {
    Ranking.rankAnalytic(
      try Replications.concurrentMap(count: probes.count) {
        try AnalyticCandidate(probe: probes[$0], request: request)
      },
      objective: request.objective)
  }

  /// Layouts to simulate, in analytic order: the top K that can serve the workload, the
  /// analytic best of each layout family not already in, and for `min-gpus` and `min-cost`
  /// fewer-GPU probes:
  /// every layout with fewer GPUs than the analytic winner whose analytic capacity is at least
  /// half the target rate (a gap larger than 2× is not expected), at most `maxProbes`.
  public func shortlist(_ ranked: [AnalyticCandidate]) -> [(AnalyticCandidate, ShortlistReason)] {
    let serving = ranked.filter { $0.load != nil }
    var chosen: [(AnalyticCandidate, ShortlistReason)] = serving.prefix(request.topK).map { ($0, .analyticTop) }
    func has(_ c: AnalyticCandidate) -> Bool { chosen.contains { $0.0.key == c.key } }
    for family in LayoutFamily.allCases {
      if let best = serving.first(where: { $0.family == family }), !has(best) { chosen.append((best, .bestOfFamily)) }
    }
    chosen += bestOfEachPrecision(serving, has: has)
    if request.objective == .minGPUs || request.objective == .minCost, let winner = serving.first, winner.meetsSLO {
      let rate = request.scenario.workload.rateRequestsPerSecond
      let probes = serving.filter {
        $0.gpus < winner.gpus && ($0.load?.capacityRequestsPerSecond ?? 0) >= 0.5 * rate && !has($0)
      }
      for probe in probes.prefix(Planner.maxProbes) { chosen.append((probe, .fewerGPUProbe)) }
    }
    return chosen.sorted { $0.0.rank < $1.0.rank }
  }

  /// Most fewer-GPU probes a `min-gpus` plan simulates.
  public static let maxProbes = 8

  /// The whole plan. `progress` receives the fraction of the simulations done (0…1).
  public func plan(progress: ((Double) -> Void)? = nil) throws -> PlanResult {
    let probes = try self.probes()
    let probeOf = Dictionary(uniqueKeysWithValues: probes.map { ($0.key, $0) })
    let ranked = try analyticRanking(probes)
    let picks = shortlist(ranked)
    // The shortlisted layouts are simulated concurrently (each one's replications and its
    // maximum-rate search are independent of the others'); results come back in shortlist order,
    // so the plan is the same as a serial one. Progress is the mean of the layouts' fractions.
    let tracker = ProgressTracker(count: picks.count, report: progress)
    let simulateOne = { (index: Int) throws -> SimulatedCandidate in
      let (candidate, reason) = picks[index]
      return try simulate(candidate, probe: probeOf[candidate.key]!, reason: reason) {
        tracker.update(index, $0)
      }
    }
    let simulated =
      request.simulateShortlistConcurrently
      ? try Replications.concurrentMap(count: picks.count, simulateOne) : try picks.indices.map(simulateOne)
    progress?(1)
    let simulatedRanking = Ranking.rankSimulated(simulated, objective: request.objective)
    let recommendation = PlanNarrative.recommendation(
      request: request, ranked: ranked, simulated: simulatedRanking)
    let top = topLayouts(simulatedRanking, ranked)
    let curves = try loadCurves(top.compactMap { probeOf[$0] }, ranked: ranked)
    let chosen = recommendation.layout.flatMap { layout in
      ranked.first { $0.key == CandidateKey(layout: layout, precision: recommendation.precision) }
    }
    let disaggregation = try disaggregationPlan(ranked: ranked, simulated: simulatedRanking, probes: probeOf)
    var result = PlanResult(
      question: PlanQuestion(request), candidates: ranked, shortlist: simulatedRanking, recommendation: recommendation,
      loadCurves: curves, tensorParallelScaling: PlanNarrative.tensorParallelScaling(ranked),
      launch: chosen.map { LaunchCommandBuilder.build(request: request, candidate: $0) },
      assumptions: PlanNarrative.assumptions(request: request), price: request.price)
    result.disaggregation = disaggregation
    return result
  }

  /// Simulates one layout at the target rate (and, unless switched off, searches its simulated
  /// maximum sustainable rate), and compares with the analytic figures.
  func simulate(
    _ candidate: AnalyticCandidate, probe: LayoutProbe, reason: ShortlistReason, progress: @escaping (Double) -> Void
  ) throws -> SimulatedCandidate {
    let runner = try SimulationRunner(request: probe.precision.map(request.serving) ?? request, probe: probe)
    let rate = request.scenario.workload.rateRequestsPerSecond
    let replicated = try runner.runReplicated(rate: rate) { progress($0 * 0.3) }
    let result = replicated.primary
    let reasons = SimulatedSLO.violations(result, slo: request.slo)
    var bound: SimulatedRateBound?
    if request.searchSimulatedMaxRate, request.scenario.workload.trace == nil {
      var runs = 0
      bound = try SimulatedRateSearch.search(
        startRate: candidate.maxSustainableRequestsPerSecond.flatMap { $0 > 0 ? $0 : nil } ?? rate,
        known: [(rate, reasons.isEmpty)]
      ) { trial in
        runs += 1
        progress(min(0.3 + 0.1 * Double(runs), 0.95))
        return SimulatedSLO.violations(try runner.run(rate: trial), slo: request.slo).isEmpty
      }
    }
    let gap = GapAnalysis.rows(
      analytic: candidate.load, analyticMaxRate: candidate.maxSustainableRequestsPerSecond, simulated: result,
      intervals: replicated.intervals, simulatedMaxRate: bound, slo: request.slo, threshold: request.gapThreshold)
    let causes =
      gap.contains(where: \.flagged)
      ? GapAnalysis.causes(
        layout: candidate.layout, plan: probe.plan, workload: request.scenario.workload, load: candidate.load,
        result: result) : []
    return SimulatedCandidate(
      layout: candidate.layout, precision: candidate.precision, gpus: candidate.gpus, family: candidate.family,
      analyticRank: candidate.rank,
      shortlistReason: reason, result: result, intervals: replicated.intervals, meetsSLO: reasons.isEmpty,
      reasons: reasons, maxSustainableRate: bound,
      gap: gap, causes: causes, rank: 0)
  }

  /// The layouts the charts show: the simulated ranking's top three, else the analytic one's.
  func topLayouts(_ simulated: [SimulatedCandidate], _ ranked: [AnalyticCandidate]) -> [CandidateKey] {
    let fromSimulation = simulated.prefix(3).map(\.key)
    if !fromSimulation.isEmpty { return fromSimulation }
    return ranked.filter { $0.load != nil }.prefix(3).map(\.key)
  }

  /// Analytic load curves on one rate grid: ten rates up to 1.5× the target or 1.25× the
  /// largest maximum sustainable rate among the layouts shown, whichever is larger.
  func loadCurves(_ probes: [LayoutProbe], ranked: [AnalyticCandidate]) throws -> [LoadCurve] {
    let rate = request.scenario.workload.rateRequestsPerSecond
    let maxima = probes.compactMap { probe in
      ranked.first { $0.key == probe.key }?.maxSustainableRequestsPerSecond
    }
    let top = max(1.5 * rate, 1.25 * (maxima.max() ?? 0))
    let grid = Planner.rateGrid(upTo: top, points: 10)
    return try probes.compactMap { probe in
      guard probe.service != nil else { return nil }
      return LoadCurve(layout: probe.layout, points: try grid.compactMap { try probe.load(at: $0) })
    }
  }

  /// At most `points` rates on an even grid from one step up to at least `top`; the step is
  /// 1, 2, 2.5 or 5 × a power of ten, so chart labels are round numbers.
  public static func rateGrid(upTo top: Double, points: Int) -> [Double] {
    guard top > 0, top.isFinite, points >= 1 else { return [] }
    let raw = top / Double(points)
    let power = pow(10, log10(raw).rounded(.down))
    let step = ([1.0, 2, 2.5, 5, 10].first { $0 * power >= raw * (1 - 1e-12) } ?? 10) * power
    let count = min(points, Int((top / step - 1e-9).rounded(.up)))
    return (1...max(count, 1)).map { Double($0) * step }
  }
}

/// Runs the simulator for one layout of a request at any rate.
public struct SimulationRunner: Sendable {
  public let request: PlanRequest
  public let deployment: Deployment

  public init(request: PlanRequest, probe: LayoutProbe) throws {
    self.request = request
    deployment = try Deployment(
      model: request.model, gpu: request.gpu, cluster: request.cluster, layout: probe.layout,
      placement: probe.plan.placement, engine: request.engine, expertImbalance: request.expertImbalance)
  }

  /// The scenario's workload at `rate` requests/s (a trace replays its own arrivals).
  public func run(rate: Double, progress: ((Double) -> Void)? = nil) throws -> SimulationResult {
    var workload = request.scenario.workload
    if workload.trace == nil { workload.rateRequestsPerSecond = rate }
    return try deployment.simulate(
      workload: workload, router: request.scenario.router, slo: request.slo, scheduler: request.scenario.scheduler,
      progress: progress)
  }
}

/// Progress of several concurrent simulations, reported one call at a time as the mean of
/// their fractions.
final class ProgressTracker: @unchecked Sendable {
  private let lock = NSLock()
  private var fractions: [Double]
  private let report: ((Double) -> Void)?

  init(count: Int, report: ((Double) -> Void)?) {
    fractions = Array(repeating: 0, count: max(count, 1))
    self.report = report
  }

  func update(_ index: Int, _ fraction: Double) {
    guard let report else { return }
    lock.withLock {
      fractions[index] = min(max(fraction, 0), 1)
      report(fractions.reduce(0, +) / Double(fractions.count))
    }
  }
}

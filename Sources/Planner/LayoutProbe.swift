import Analytic
import Foundation
import PlanCore

/// One layout of a planning request, prepared once so that load questions at any rate are
/// cheap: its placement on the topology, the analytic evaluator, the no-queue predictions for
/// the workload's mean request, and the replica's queueing service model.
public struct LayoutProbe: Sendable {
  public let layout: Layout
  /// The precision the layout is served in, when the plan involves precision or experts
  /// (nil: the model's own, and the plan keys candidates by layout alone).
  public let precision: PlanPrecision?
  public let plan: PlacementPlan
  public let evaluator: LayoutEvaluator
  /// No-queue predictions for the mean request (prompt, output).
  public let summary: PredictionSummary
  /// Nil when not one mean-length sequence fits in the KV cache.
  public let service: ReplicaServiceModel?
  public let slo: SLO
  public let router: RouterPolicy
  public let arrivals: ArrivalProcess
  public let queueCapacity: Int?
  /// The prompt-length mix TTFT quantiles are computed over (see `PromptMix`).
  public let promptMix: PromptMix

  /// `comm` and `placementIndex`: one collective model and one grouping of the cluster's GPUs
  /// by node, shared by every layout of a search (built for this layout otherwise).
  ///
  /// - Throws: `PlannerError`/`LayoutError` for a layout the cluster cannot hold; cost-model
  ///   errors for unusable specs.
  public init(
    request: PlanRequest, layout: Layout, comm: CommModel? = nil, placementIndex: PlacementIndex? = nil,
    precision: PlanPrecision? = nil
  ) throws {
    self.layout = layout
    self.precision = precision
    plan = try TopologyPlacement.place(layout, on: request.cluster, index: placementIndex)
    evaluator = try LayoutEvaluator(
      model: request.model, gpu: request.gpu, cluster: request.cluster, layout: layout, placement: plan.placement,
      config: request.engine, comm: comm, expertImbalance: request.expertImbalance)
    summary = try evaluator.evaluate(
      promptTokens: request.meanPromptTokens, outputTokens: request.meanOutputTokens, batch: 1)
    queueCapacity = request.scenario.scheduler.waitingQueueCap
    if summary.fits, summary.maxBatch >= 1 {
      service = try evaluator.serviceModel(
        promptTokens: request.meanPromptTokens, outputTokens: request.meanOutputTokens, queueCapacity: queueCapacity)
    } else {
      service = nil
    }
    slo = request.slo
    router = request.scenario.router
    arrivals = request.scenario.workload.arrival
    promptMix = try PromptMix(workload: request.scenario.workload, evaluator: evaluator)
  }

  /// The load model at `rate` requests/s; nil when the layout cannot serve the mean request.
  ///
  /// When prompt lengths vary, TTFT quantiles and the success rate are taken over the prompt
  /// mix (`PromptMix`) instead of the mean prompt: the queue is the load model's, the prefill
  /// each request adds to its wait is its own.
  public func load(at rate: Double) throws -> LoadFigures? {
    guard let service else { return nil }
    let prediction = try LoadModel.evaluate(
      rateRequestsPerSecond: rate, replicas: layout.dp, router: router, service: service, slo: slo, arrivals: arrivals)
    var figures = LoadFigures(prediction)
    if promptMix.varies, let steady = prediction.steadyState {
      let waiting = try LoadModel.firstTokenWait(
        rateRequestsPerSecond: rate, replicas: layout.dp, router: router, service: service, arrivals: arrivals)
      figures.ttftP50Seconds = promptMix.quantileSeconds(0.5, waiting: waiting)
      figures.ttftP90Seconds = promptMix.quantileSeconds(0.9, waiting: waiting)
      let within = promptMix.cumulativeProbability(seconds: slo.ttftSeconds, waiting: waiting)
      let success = (1 - steady.blockingProbability) * within * (steady.tpotWithinSLO ? 1 : 0)
      figures.successRate = success
      figures.goodputRequestsPerSecond = rate * success
      figures.ttftOverPromptMix = true
    }
    return figures
  }

  /// Why the load figures break the SLO (empty: they meet it).
  public func sloViolations(_ figures: LoadFigures) -> [String] {
    guard figures.stable, let success = figures.successRate else {
      return [
        "unstable: arrival rate exceeds capacity (\(Format.rate(figures.capacityRequestsPerSecond)) < "
          + "\(Format.rate(figures.rateRequestsPerSecond)))"
      ]
    }
    var reasons: [String] = []
    if let ttft = figures.ttftP90Seconds, ttft > slo.ttftSeconds {
      reasons.append("TTFT p90 \(Units.formatSeconds(ttft)) > \(Units.formatSeconds(slo.ttftSeconds))")
    }
    if let tpot = figures.tpotMeanSeconds, tpot > slo.tpotSeconds {
      reasons.append("TPOT \(Units.formatSeconds(tpot)) > \(Units.formatSeconds(slo.tpotSeconds))")
    }
    if success < slo.successRateFloor {
      reasons.append("success \(Format.percent(success)) < \(Format.percent(slo.successRateFloor))")
    }
    return reasons
  }

  /// Whether the layout meets the SLO at `rate` by the load model.
  public func meetsSLO(at rate: Double) throws -> Bool {
    guard let figures = try load(at: rate) else { return false }
    return sloViolations(figures).isEmpty
  }

  /// The largest arrival rate at which the load model says the SLO is met, found by bisection
  /// between 0 and the capacity to 0.01 % (the SLO check is monotone in the rate: waiting,
  /// TTFT and TPOT all grow with load). 0 when even a trickle of requests breaks the SLO or
  /// the layout cannot serve the mean request.
  public func maxSustainableRate() throws -> Double {
    guard let service else { return 0 }
    let capacity = Double(layout.dp) * service.capacityRequestsPerSecond
    var low = capacity * 1e-6
    guard try meetsSLO(at: low) else { return 0 }
    var high = capacity
    while high - low > 1e-4 * high {
      let middle = (low + high) / 2
      if try meetsSLO(at: middle) { low = middle } else { high = middle }
    }
    return low
  }
}

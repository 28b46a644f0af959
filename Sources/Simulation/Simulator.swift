import Analytic
import PlanCore

/// A discrete-event simulation of serving one workload on one layout.
///
/// The model: DP replicas behind a router (`RouterPolicy`); each replica is TP × PP GPUs whose
/// iteration times come from its `IterationTiming` (the analytic `ReplicaCostModel`, or a test
/// timing), and runs a vLLM-like scheduler (`SchedulerConfig`): FCFS waiting queue, admission
/// while the KV cache has blocks for the whole prompt, `maxNumSeqs` / `maxNumBatchedTokens`
/// limits, optional chunked prefill, preemption by recompute when a decode finds no free block
/// (the most recently admitted idle sequence goes first, back to the front of the queue), and
/// rejection on a full queue, a queue timeout, or a request that can never fit.
///
/// Pipeline: up to PP micro-batches in flight per replica; a micro-batch occupies each stage
/// for `stageSeconds(stage:batch:)`, then its activations travel `transferSeconds(afterStage:batch:)`
/// to the next stage; micro-batches pass every stage in launch order; a sequence belongs to
/// at most one micro-batch until that one leaves the last stage. Transfers of different stage
/// boundaries that cross a shared link share its bandwidth (see `SharedLinks`).
///
/// Time is simulated seconds (Double); nothing reads a clock. Events at equal times run in
/// the order they were scheduled, and a timed event runs before an arrival at the same time.
/// Same inputs and seed give byte-identical results.
///
/// Token timing: an iteration that processes a sequence's last uncomputed token (the end of
/// its prompt, or the previous output token) emits one output token when the micro-batch
/// leaves the last stage. So the first token comes from the prefill iteration, and TTFT of a
/// lone request is the sum of its prefill's stage and transfer times.
public struct Simulator: Sendable {
  public let workload: Workload
  public let layout: Layout
  public let timings: [any IterationTiming]
  public let scheduler: SchedulerConfig
  public let router: RouterPolicy
  public let slo: SLO?
  public let seed: UInt64
  public let sharedLinks: SharedLinks
  public let options: SimulationOptions

  /// - Parameters:
  ///   - workload: arrivals, request mix, duration, warm-up and drain.
  ///   - layout: TP × PP × DP; `timings.count` must equal `layout.dp` and every timing have
  ///     `layout.pp` stages.
  ///   - placement, cluster: when both are given, activation transfers that cross shared links
  ///     contend for them (`SharedLinks`); otherwise every transfer link is private.
  ///   - timings: one `IterationTiming` per replica.
  ///   - scheduler: the per-replica scheduler and KV capacity.
  ///   - router: how arrivals are spread over replicas.
  ///   - slo: latency bounds a completed request must meet to count as a success (nil: none).
  ///   - seed: random seed; nil takes `workload.seed`.
  public init(
    workload: Workload, layout: Layout, placement: Placement? = nil, cluster: Cluster? = nil,
    timings: [any IterationTiming], scheduler: SchedulerConfig, router: RouterPolicy = .roundRobin, slo: SLO?,
    seed: UInt64? = nil, options: SimulationOptions = SimulationOptions()
  ) throws {
    guard layout.tp > 0, layout.pp > 0, layout.dp > 0 else {
      throw SimulationError.invalidConfiguration("TP, PP and DP must be positive (got \(layout))")
    }
    guard timings.count == layout.dp else {
      throw SimulationError.invalidConfiguration(
        "\(layout) has \(layout.dp) replicas but \(timings.count) iteration timings were given")
    }
    for (replica, timing) in timings.enumerated() where timing.stageCount != layout.pp {
      throw SimulationError.invalidConfiguration(
        "the timing of replica \(replica) has \(timing.stageCount) stages; \(layout) has \(layout.pp)")
    }
    try scheduler.validate()
    if let slo {
      guard slo.ttftSeconds.isFinite, slo.ttftSeconds >= 0, slo.tpotSeconds.isFinite, slo.tpotSeconds >= 0 else {
        throw SimulationError.invalidConfiguration(
          "SLO bounds must be finite and ≥ 0 (TTFT \(slo.ttftSeconds) s, TPOT \(slo.tpotSeconds) s)")
      }
    }
    if let placement {
      guard placement.gpus.count == layout.dp,
        placement.gpus.allSatisfy({ $0.count == layout.pp && $0.allSatisfy { $0.count == layout.tp } })
      else { throw SimulationError.invalidConfiguration("placement shape does not match \(layout)") }
    }
    if let placement, let cluster {
      sharedLinks = try SharedLinks(cluster: cluster, placement: placement)
    } else {
      sharedLinks = .none(replicas: layout.dp, stages: layout.pp)
    }
    self.workload = workload
    self.layout = layout
    self.timings = timings.map(iterationTimingByReference)
    self.scheduler = scheduler
    self.router = router
    self.slo = slo
    self.seed = seed ?? workload.seed
    self.options = options
  }

  /// The same, with one timing shared by every (identical) replica.
  public init(
    workload: Workload, layout: Layout, placement: Placement? = nil, cluster: Cluster? = nil,
    timing: any IterationTiming, scheduler: SchedulerConfig, router: RouterPolicy = .roundRobin, slo: SLO?,
    seed: UInt64? = nil, options: SimulationOptions = SimulationOptions()
  ) throws {
    try self.init(
      workload: workload, layout: layout, placement: placement, cluster: cluster,
      timings: Array(repeating: timing, count: max(layout.dp, 0)), scheduler: scheduler, router: router, slo: slo,
      seed: seed, options: options)
  }

  /// Runs the simulation. `progress`, if given, is called with the fraction of requests that
  /// have arrived, every `options.progressInterval` arrivals and once with 1 at the end.
  public func run(progress: ((Double) -> Void)? = nil) throws -> SimulationResult {
    try runDetailed(progress: progress).result
  }

  /// Runs the simulation and returns per-request records and invariant-check counts too.
  public func runDetailed(progress: ((Double) -> Void)? = nil) throws -> SimulationOutcome {
    let requests = try SampledRequests.sample(workload, seed: seed)
    var engine = Engine(
      requests: requests, layout: layout, timings: timings, config: scheduler, router: router, slo: slo,
      options: options, links: sharedLinks, warmupSeconds: workload.warmupSeconds,
      drainSeconds: workload.drainSeconds)
    try engine.run(progress: progress)
    return engine.outcome()
  }
}

import Analytic
import PlanCore

/// A discrete-event simulation of disaggregated serving (`DisaggregatedLayout`): prompts are
/// prefilled on a pool of prefill instances, decoded on a pool of decode instances, and the KV
/// cache of each request crosses the network once in between (Splitwise, arXiv:2311.18677;
/// DistServe, arXiv:2401.09670; vLLM's disaggregated prefill with the NixlConnector,
/// https://docs.vllm.ai/en/latest/features/nixl_connector_usage.html).
///
/// The life of a request:
/// 1. On arrival it is routed to a prefill instance (`router`: `.roundRobin` in turn;
///    `.leastOutstanding` the instance with the fewest prompt tokens waiting (in whole KV
///    blocks) or admitted and not yet prefilled; `.leastKVLoad` the fewest KV blocks in use plus needed by its queue; ties to
///    the lowest index). A request that could never run (prompt beyond the prefill instance's
///    KV cache or, without chunked prefill, its `maxNumBatchedTokens`; prompt + output − 1
///    beyond the decode instance's KV cache) is rejected at once.
/// 2. The prefill instance runs the same vLLM-like scheduler as an aggregated replica
///    (`Simulator`), with no decodes: prefill-only iterations, chunked or not, PP micro-batches.
///    Its last prefill iteration computes the first output token. The request keeps its KV
///    blocks on the prefill instance until its transfer ends. A one-token output is complete
///    there and never transferred.
/// 3. It is routed to a decode instance (same policy over decode instances; `.leastOutstanding`
///    counts requests waiting or admitted, as for aggregated replicas) and queued there FCFS.
///    The decode scheduler admits it, reserving KV blocks for its prompt, when it has the
///    blocks and a sequence slot (`maxNumSeqs`); then the decode instance pulls the KV
///    (prompt tokens × `kvBytesPerToken` bytes) over the route — the order of vLLM's
///    pull-based NixlConnector, where the decode side allocates blocks and reads the prefill
///    side's blocks, which are freed once read.
/// 4. When the transfer ends the first token is delivered (TTFT = prefill queue + prefill +
///    wait for decode blocks + KV transfer: the handoff) and the request joins the decode
///    batch; decode-only iterations produce the other tokens. A decode preemption recomputes on
///    the decode instance (vLLM's recompute), never goes back to the prefill pool. Requests
///    queued on a decode instance are never timed out or capped (they have been prefilled).
///
/// `layerwiseOverlap`: the KV of layer ℓ is sent as soon as layer ℓ's prefill ends (LMCache /
/// Mooncake-style layer-wise transfer), so when the decode instance admits the request at the
/// moment its prefill ends, (layers − 1)/layers of the transfer overlapped the request's last
/// prefill iteration and only the rest is exposed: exposed seconds = latency +
/// max(bytes/bandwidth/layers, bytes/bandwidth − (layers − 1)/layers × that iteration's
/// seconds). If the request had to wait for decode blocks, the transfer starts after the wait
/// and is exposed whole (there was no destination to push to). Without the option the whole
/// transfer follows the prefill.
///
/// Results are a `SimulationResult` as for aggregated runs: `replicas` lists the prefill
/// instances, then the decode instances; `stageBusyFraction[s]` averages stage s over the
/// instances that have one; `rejections`, latencies and rates are over both pools, output
/// tokens counting the first token (made on the prefill instance) once. Same inputs and seed
/// give byte-identical results.
public struct DisaggregatedSimulator: Sendable {
  public let workload: Workload
  public let layout: DisaggregatedLayout
  public let prefillTimings: [any IterationTiming]
  public let decodeTimings: [any IterationTiming]
  public let prefillScheduler: SchedulerConfig
  public let decodeScheduler: SchedulerConfig
  /// KV cache bytes of one token of one request, whole model (all layers, all heads).
  public let kvBytesPerToken: Double
  public let transfer: KVTransferRoute
  public let layerwiseOverlap: Bool
  /// Decoder layers whose KV is sent layer by layer (used with `layerwiseOverlap`).
  public let layers: Int
  public let router: RouterPolicy
  public let slo: SLO?
  public let seed: UInt64
  public let options: SimulationOptions
  let prefillLinks: SharedLinks
  let decodeLinks: SharedLinks

  /// - Parameters:
  ///   - workload: arrivals, request mix, duration, warm-up and drain.
  ///   - layout: the two pools; `prefillTimings.count == layout.prefill.dp` and
  ///     `decodeTimings.count == layout.decode.dp`, each timing with its pool's PP stages.
  ///   - prefillPlacement, decodePlacement, cluster: when all three are given, activation
  ///     transfers between PP stages contend for shared links inside each pool (`SharedLinks`).
  ///   - prefillScheduler, decodeScheduler: per-instance scheduler and KV capacity of each pool.
  ///   - kvBytesPerToken: KV bytes of one token (> 0, finite).
  ///   - transfer: the route table, `transfer.prefillInstances == layout.prefill.dp`,
  ///     `transfer.decodeInstances == layout.decode.dp`.
  ///   - layerwiseOverlap, layers: see the type's documentation; `layers` ≥ 1.
  ///   - router: the routing policy of both pools.
  ///   - slo: latency bounds a completed request must meet to count as a success.
  ///   - seed: random seed; nil takes `workload.seed`.
  public init(
    workload: Workload, layout: DisaggregatedLayout, prefillPlacement: Placement? = nil,
    decodePlacement: Placement? = nil, cluster: Cluster? = nil, prefillTimings: [any IterationTiming],
    decodeTimings: [any IterationTiming], prefillScheduler: SchedulerConfig, decodeScheduler: SchedulerConfig,
    kvBytesPerToken: Double, transfer: KVTransferRoute, layerwiseOverlap: Bool, layers: Int,
    router: RouterPolicy = .roundRobin, slo: SLO?, seed: UInt64? = nil, options: SimulationOptions = SimulationOptions()
  ) throws {
    func check(_ pool: String, _ layout: Layout, _ timings: [any IterationTiming], _ placement: Placement?) throws {
      guard layout.tp > 0, layout.pp > 0, layout.dp > 0 else {
        throw SimulationError.invalidConfiguration("\(pool) pool: TP, PP and DP must be positive (got \(layout))")
      }
      guard timings.count == layout.dp else {
        throw SimulationError.invalidConfiguration(
          "\(pool) pool \(layout) has \(layout.dp) instances but \(timings.count) iteration timings were given")
      }
      for (instance, timing) in timings.enumerated() where timing.stageCount != layout.pp {
        throw SimulationError.invalidConfiguration(
          "\(pool) pool: the timing of instance \(instance) has \(timing.stageCount) stages; \(layout) has \(layout.pp)"
        )
      }
      if let placement {
        guard placement.gpus.count == layout.dp,
          placement.gpus.allSatisfy({ $0.count == layout.pp && $0.allSatisfy { $0.count == layout.tp } })
        else { throw SimulationError.invalidConfiguration("\(pool) placement shape does not match \(layout)") }
      }
    }
    try check("prefill", layout.prefill, prefillTimings, prefillPlacement)
    try check("decode", layout.decode, decodeTimings, decodePlacement)
    for (pool, scheduler) in [("prefill", prefillScheduler), ("decode", decodeScheduler)] {
      do { try scheduler.validate() } catch SimulationError.invalidConfiguration(let reason) {
        throw SimulationError.invalidConfiguration("\(pool) scheduler: \(reason)")
      }
    }
    guard kvBytesPerToken.isFinite, kvBytesPerToken > 0 else {
      throw SimulationError.invalidConfiguration(
        "kvBytesPerToken is \(kvBytesPerToken) (allowed: finite, > 0 bytes per token)")
    }
    guard transfer.prefillInstances == layout.prefill.dp, transfer.decodeInstances == layout.decode.dp else {
      throw SimulationError.invalidConfiguration(
        "KV transfer route is \(transfer.prefillInstances)P × \(transfer.decodeInstances)D; layout \(layout) has \(layout.ratio)"
      )
    }
    guard layers >= 1 else {
      throw SimulationError.invalidConfiguration("layers is \(layers) (allowed: ≥ 1)")
    }
    if let slo {
      guard slo.ttftSeconds.isFinite, slo.ttftSeconds >= 0, slo.tpotSeconds.isFinite, slo.tpotSeconds >= 0 else {
        throw SimulationError.invalidConfiguration(
          "SLO bounds must be finite and ≥ 0 (TTFT \(slo.ttftSeconds) s, TPOT \(slo.tpotSeconds) s)")
      }
    }
    if let cluster, let prefillPlacement, let decodePlacement {
      prefillLinks = try SharedLinks(cluster: cluster, placement: prefillPlacement)
      decodeLinks = try SharedLinks(cluster: cluster, placement: decodePlacement)
    } else {
      prefillLinks = .none(replicas: layout.prefill.dp, stages: layout.prefill.pp)
      decodeLinks = .none(replicas: layout.decode.dp, stages: layout.decode.pp)
    }
    self.workload = workload
    self.layout = layout
    self.prefillTimings = prefillTimings.map(iterationTimingByReference)
    self.decodeTimings = decodeTimings.map(iterationTimingByReference)
    self.prefillScheduler = prefillScheduler
    self.decodeScheduler = decodeScheduler
    self.kvBytesPerToken = kvBytesPerToken
    self.transfer = transfer
    self.layerwiseOverlap = layerwiseOverlap
    self.layers = layers
    self.router = router
    self.slo = slo
    self.seed = seed ?? workload.seed
    self.options = options
  }

  /// Runs the simulation. `progress`, if given, is called with the fraction of requests that
  /// have arrived, every `options.progressInterval` arrivals and once with 1 at the end.
  public func run(progress: ((Double) -> Void)? = nil) throws -> SimulationResult {
    try runDetailed(progress: progress).result
  }

  /// Runs the simulation and returns per-request records, transfer totals and invariant-check
  /// counts too.
  public func runDetailed(progress: ((Double) -> Void)? = nil) throws -> DisaggregatedOutcome {
    let requests = try SampledRequests.sample(workload, seed: seed)
    var engine = DisaggregatedEngine(simulator: self, requests: requests)
    try engine.run(progress: progress)
    return engine.outcome()
  }
}

/// A disaggregated run's result with what only such a run has.
public struct DisaggregatedOutcome: Sendable {
  public var result: SimulationResult
  /// One record per request in arrival order (empty unless `recordRequests`); `replica` is
  /// the index in `result.replicas` of the instance where it ended or is now (prefill
  /// instances 0..<P, decode instances P..<P + D); preemptions, iterations and stage passes
  /// add both pools'.
  public var requests: [RequestRecord]
  /// Per request in arrival order (empty unless `recordRequests`): prefill instance, decode
  /// instance (−1: none), KV bytes transferred (0: none), handoff time (first token; nil: none).
  public var prefillInstance: [Int]
  public var decodeInstance: [Int]
  public var transferredBytes: [Double]
  /// KV transfers completed and their bytes, whole run.
  public var transfers: Int
  public var totalTransferredBytes: Double
  /// Requests handed from the prefill pool to the decode pool (transfers started).
  public var handoffs: Int
  /// Invariant checks verified in the two pools and across them (0 unless `checkInvariants`).
  public var stagePassChecks: Int
  public var kvChecks: Int
  public var conservationChecks: Int
}

import PlanCore

/// The two all-to-alls of an expert-parallel MoE layer.
public enum ExpertAllToAllPhase: String, Sendable, Hashable, Codable, CaseIterable {
  /// Tokens to the GPUs holding their routed experts.
  case dispatch
  /// Expert outputs back to the tokens' GPUs (weighted sum on arrival).
  case combine
}

/// The kernels that run the all-to-all, after DeepEP (https://github.com/deepseek-ai/DeepEP):
/// `highThroughput` (buffers sized for prefill, NVLink and RDMA forwarding) for iterations that
/// carry prompt tokens, `lowLatency` (pure RDMA/NVLink puts, pre-sized per-expert buffers,
/// graph-capturable) for decode-only iterations, as vLLM pairs them (`deepep_high_throughput`
/// for prefill, `deepep_low_latency` for decode; https://docs.vllm.ai/en/latest/serving/expert_parallel_deployment.html).
public enum ExpertAllToAllMode: String, Sendable, Hashable, Codable, CaseIterable {
  case highThroughput = "deepep_ht"
  case lowLatency = "deepep_ll"

  /// The mode an iteration runs in: low-latency when it only decodes and each GPU dispatches at
  /// most `lowLatencyMaxTokensPerGPU` tokens (DeepEP's low-latency buffers are sized per rank).
  @inline(__always)
  public static func forIteration(prefillTokens: Int, tokensPerGPU: Double) -> ExpertAllToAllMode {
    prefillTokens == 0 && tokensPerGPU <= Double(ExpertAllToAllLaw.lowLatencyMaxTokensPerGPU)
      ? .lowLatency : .highThroughput
  }
}

/// `seconds = latencySeconds + graphTimeFactor · bytes · s`, where s is the cluster graph's
/// seconds per byte for a pairwise all-to-all of the group (`ExpertAllToAllCurve`): the fixed
/// cost of the kernel (notification, barrier, layout) and its bandwidth as a multiple of the
/// time the flow solver gives for the same bytes on the same GPUs.
public struct ExpertAllToAllTerm: Sendable, Hashable, Codable {
  public var latencySeconds: Double
  public var graphTimeFactor: Double

  public init(latencySeconds: Double, graphTimeFactor: Double) {
    self.latencySeconds = latencySeconds
    self.graphTimeFactor = graphTimeFactor
  }
}

/// The expert-parallel all-to-all law: one term per (mode, phase).
///
/// The message of a GPU is `tokens dispatched × topk × hidden × activation bytes` (each routed
/// copy of a token goes to the GPU of its expert, (ep − 1)/ep of them to another GPU, which the
/// pairwise all-to-all's bus factor books); combine sends the same bytes back.
public struct ExpertAllToAllLaw: Sendable, Hashable, Codable {
  public var dispatchHighThroughput: ExpertAllToAllTerm
  public var combineHighThroughput: ExpertAllToAllTerm
  public var dispatchLowLatency: ExpertAllToAllTerm
  public var combineLowLatency: ExpertAllToAllTerm

  public init(
    dispatchHighThroughput: ExpertAllToAllTerm, combineHighThroughput: ExpertAllToAllTerm,
    dispatchLowLatency: ExpertAllToAllTerm, combineLowLatency: ExpertAllToAllTerm
  ) {
    self.dispatchHighThroughput = dispatchHighThroughput
    self.combineHighThroughput = combineHighThroughput
    self.dispatchLowLatency = dispatchLowLatency
    self.combineLowLatency = combineLowLatency
  }

  @inline(__always)
  public func term(_ phase: ExpertAllToAllPhase, _ mode: ExpertAllToAllMode) -> ExpertAllToAllTerm {
    switch (phase, mode) {
    case (.dispatch, .highThroughput): dispatchHighThroughput
    case (.combine, .highThroughput): combineHighThroughput
    case (.dispatch, .lowLatency): dispatchLowLatency
    case (.combine, .lowLatency): combineLowLatency
    }
  }

  public mutating func setTerm(_ phase: ExpertAllToAllPhase, _ mode: ExpertAllToAllMode, _ term: ExpertAllToAllTerm) {
    switch (phase, mode) {
    case (.dispatch, .highThroughput): dispatchHighThroughput = term
    case (.combine, .highThroughput): combineHighThroughput = term
    case (.dispatch, .lowLatency): dispatchLowLatency = term
    case (.combine, .lowLatency): combineLowLatency = term
    }
  }

  /// Largest per-GPU token count of DeepEP's low-latency buffers in the measured data (and
  /// vLLM's default `max_num_seqs`).
  public static let lowLatencyMaxTokensPerGPU = 256

  /// Fitted on the fit half (interleaved by token count) of NVIDIA AIConfigurator's H100 SXM
  /// `moe_a2a_perf` table under vLLM 0.24 (DeepEP `deepep_ht` and `deepep_ll`, EP 8 on one
  /// 8-GPU NVLink node, hidden 3072–7168, top-6/8 of 256/384 experts; Apache-2.0, subset in
  /// `Models/measurements/h100-sxm-vllm/moe_all_to_all-subset.csv`) by
  /// `AIConfiguratorAllToAll.fit` against the flow solver's all-to-all on `dgx-h100`;
  /// `AllToAllFitTests` refits them and checks the held-out half (`llmplan accuracy --holdout`,
  /// median relative error: all 12.8 %; dispatch HT 11.0 %, combine HT 15.2 %, dispatch LL
  /// 10.9 %, combine LL 22.3 %: the low-latency rows of a few tokens scatter 2–3× between shapes
  /// that move almost nothing). The regressor is the busiest GPU's bytes (mean × the
  /// random-routing `ExpertImbalance` at the group's tokens), as the replica cost books them. A graph-time factor
  /// below 1 (HT dispatch) means DeepEP moves fewer bytes than tokens × top-k: it sends a token
  /// once to each GPU holding any of its experts, not once per expert. Multi-node groups and other
  /// GPUs extrapolate: the bandwidth term follows their own graph (InfiniBand, other NVLink),
  /// the fixed latency stays the NVLink-node one.
  public static let deepEPH100 = ExpertAllToAllLaw(
    dispatchHighThroughput: ExpertAllToAllTerm(latencySeconds: 257.7e-6, graphTimeFactor: 0.6947),
    combineHighThroughput: ExpertAllToAllTerm(latencySeconds: 86.45e-6, graphTimeFactor: 1.074),
    dispatchLowLatency: ExpertAllToAllTerm(latencySeconds: 56.59e-6, graphTimeFactor: 1.293),
    combineLowLatency: ExpertAllToAllTerm(latencySeconds: 39.88e-6, graphTimeFactor: 1.219))
}

/// The expert-parallel all-to-all of one group of GPUs, priced once: the graph's seconds per
/// byte of a pairwise all-to-all over the group and the law. O(1), allocation-free per call.
public struct ExpertAllToAllCurve: Sendable, Hashable {
  /// The flow solver's bandwidth term of a pairwise all-to-all of the group: seconds per byte
  /// of each GPU's message (its bus factor (n − 1)/n included), of the algorithm × protocol
  /// fastest at `referenceBytes`.
  public let graphSecondsPerByte: Double
  public let law: ExpertAllToAllLaw
  /// GPUs in the group (1: no all-to-all).
  public let gpus: Int

  /// Message size at which the bandwidth term is read (past NCCL's half-saturation sizes).
  public static let referenceBytes = 256e6

  public init(graphSecondsPerByte: Double, law: ExpertAllToAllLaw, gpus: Int) {
    self.graphSecondsPerByte = graphSecondsPerByte
    self.law = law
    self.gpus = gpus
  }

  /// One phase's seconds for a message of `bytesPerGPU` on every GPU of the group (0 with one GPU).
  @inline(__always)
  public func seconds(_ phase: ExpertAllToAllPhase, mode: ExpertAllToAllMode, bytesPerGPU: Double) -> Double {
    guard gpus > 1, bytesPerGPU > 0 else { return 0 }
    let term = law.term(phase, mode)
    return term.latencySeconds + term.graphTimeFactor * bytesPerGPU * graphSecondsPerByte
  }

  /// The graph-time of a message alone (`bytesPerGPU · graphSecondsPerByte`), the regressor the law is fitted on.
  @inline(__always)
  public func graphSeconds(bytesPerGPU: Double) -> Double { bytesPerGPU * graphSecondsPerByte }
}

extension CommModel {
  /// The expert-parallel all-to-all of `gpus` (the same stage of the replicas of one EP group)
  /// under `law`: the pairwise all-to-all routed on the cluster graph (NVLink inside a node,
  /// the NICs and fabric across nodes), its bandwidth term read at `referenceBytes`.
  public func expertAllToAll(gpus: [Int], law: ExpertAllToAllLaw = .deepEPH100) throws -> ExpertAllToAllCurve {
    let envelope = try envelope(.allToAll, gpus: gpus)
    guard gpus.count > 1 else { return ExpertAllToAllCurve(graphSecondsPerByte: 0, law: law, gpus: gpus.count) }
    let best = envelope.best(bytes: ExpertAllToAllCurve.referenceBytes)
    // Bandwidth term only (the affine curve's slope): the law carries its own fixed latency.
    return ExpertAllToAllCurve(graphSecondsPerByte: best.secondsPerByte, law: law, gpus: gpus.count)
  }
}

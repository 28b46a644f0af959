/// A parallel layout: tensor-parallel degree `tp` inside each pipeline stage, `pp` stages per
/// replica, `dp` identical replicas behind a router.
///
/// `ep` > 1 (mixture-of-experts models only) spreads each MoE layer's experts over an
/// expert-parallel group of `ep` GPUs: the same stage of `ep / tp` consecutive replicas, whose
/// attention stays data-parallel (each replica keeps its own scheduler and KV cache), as vLLM's
/// `--enable-expert-parallel` with `--data-parallel-size` does (EP size = TP × DP). Tokens reach
/// their experts by an all-to-all (dispatch) and come back by another (combine). `ep` = 1: the
/// experts are tensor-parallel like a dense MLP. The GPU count is TP·PP·DP either way.
public struct Layout: Sendable, Hashable, Codable, CustomStringConvertible {
  public var tp: Int
  public var pp: Int
  public var dp: Int
  /// Expert-parallel degree (1: none).
  public var ep: Int

  public init(tp: Int, pp: Int, dp: Int, ep: Int = 1) {
    self.tp = tp
    self.pp = pp
    self.dp = dp
    self.ep = ep
  }

  enum CodingKeys: String, CodingKey { case tp, pp, dp, ep }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    tp = try c.decode(Int.self, forKey: .tp)
    pp = try c.decode(Int.self, forKey: .pp)
    dp = try c.decode(Int.self, forKey: .dp)
    ep = try c.decodeIfPresent(Int.self, forKey: .ep) ?? 1
  }

  /// `ep` is written only when expert-parallel, so dense layouts' JSON is as before.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(tp, forKey: .tp)
    try c.encode(pp, forKey: .pp)
    try c.encode(dp, forKey: .dp)
    if ep != 1 { try c.encode(ep, forKey: .ep) }
  }

  /// A layout whose degrees are each in `Plausibility.parallelDegree` and whose GPU count
  /// (TP·PP·DP, computed without overflow) is at most `Plausibility.clusterGPUs.upper`: every
  /// later product of the degrees is then an ordinary `Int`. Parsers of layouts (flags,
  /// scenario files) build layouts through this.
  public static func checked(tp: Int, pp: Int, dp: Int) throws -> Layout {
    let layout = Layout(tp: tp, pp: pp, dp: dp)
    try layout.validateSize()
    return layout
  }

  /// Throws `LayoutError` unless every degree is positive and the layout needs at most
  /// `Plausibility.clusterGPUs.upper` GPUs (checked arithmetic: `--dp 2⁶² --pp 4` is an error,
  /// not a trap).
  public func validateSize() throws {
    let degree = Plausibility.parallelDegree
    for (name, value) in [("TP", tp), ("PP", pp), ("DP", dp), ("EP", ep)] where !degree.contains(value) {
      throw LayoutError(
        "\(name)=\(value) is outside \(degree), the range of \(degree.quantity)")
    }
    let (replica, overflowA) = tp.multipliedReportingOverflow(by: pp)
    let (total, overflowB) = replica.multipliedReportingOverflow(by: dp)
    let limit = Plausibility.clusterGPUs.upper
    guard !overflowA, !overflowB, total <= limit else {
      throw LayoutError(
        "TP\(tp)·PP\(pp)·DP\(dp) needs more than \(PlausibleCount.grouped(limit)) GPUs, the limit for \(Plausibility.clusterGPUs.quantity)"
      )
    }
  }

  public var gpusPerReplica: Int { tp * pp }
  public var totalGPUs: Int { tp * pp * dp }
  /// Whether MoE layers run expert-parallel.
  public var isExpertParallel: Bool { ep > 1 }
  /// Replicas whose same stage forms one expert-parallel group (`ep / tp`; 1 without EP).
  public var replicasPerExpertGroup: Int { ep > 1 ? max(1, ep / tp) : 1 }
  public var description: String { ep > 1 ? "TP\(tp)·EP\(ep)·PP\(pp)·DP\(dp)" : "TP\(tp)·PP\(pp)·DP\(dp)" }
}

/// Which GPU of the cluster holds each (replica, stage, tensor rank).
public struct Placement: Sendable, Hashable, Codable {
  /// `gpus[replica][stage][rank]` is a GPU index of the cluster.
  public var gpus: [[[Int]]]

  public init(gpus: [[[Int]]]) { self.gpus = gpus }

  /// GPUs in order: replica by replica, stage by stage, rank by rank. Keeps each TP group on
  /// consecutive GPUs (inside a node where the node is large enough).
  public static func contiguous(_ layout: Layout) -> Placement {
    var result: [[[Int]]] = []
    var next = 0
    for _ in 0..<layout.dp {
      var stages: [[Int]] = []
      for _ in 0..<layout.pp {
        stages.append(Array(next..<(next + layout.tp)))
        next += layout.tp
      }
      result.append(stages)
    }
    return Placement(gpus: result)
  }
}

/// Why a layout cannot exist for a model and cluster.
public struct LayoutError: Error, CustomStringConvertible, Equatable, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

extension Layout {
  /// Checks that the layout can exist: positive degrees, TP dividing the attention heads, PP
  /// no more than the layers, enough GPUs, and a valid placement.
  public func validate(model: ModelSpec, cluster: Cluster?, placement: Placement? = nil) throws {
    guard tp > 0, pp > 0, dp > 0 else { throw LayoutError("TP, PP and DP must be positive (got \(self))") }
    try validateSize()
    guard model.numHeads % tp == 0 else {
      throw LayoutError("TP=\(tp) does not divide the \(model.numHeads) attention heads of \(model.name)")
    }
    guard tp <= model.numKVHeads || tp % model.numKVHeads == 0 else {
      throw LayoutError("TP=\(tp) is neither ≤ nor a multiple of the \(model.numKVHeads) KV heads of \(model.name)")
    }
    guard pp <= model.numLayers else {
      throw LayoutError("PP=\(pp) exceeds the \(model.numLayers) layers of \(model.name)")
    }
    if ep > 1 {
      guard let experts = model.experts else {
        throw LayoutError("EP=\(ep) needs a mixture-of-experts model; \(model.name) is dense")
      }
      guard ep % tp == 0, (tp * dp) % ep == 0 else {
        throw LayoutError(
          "EP=\(ep) must be TP (\(tp)) times a number of replicas dividing DP=\(dp) (vLLM: EP size = TP × DP)")
      }
      guard experts.routedExperts % ep == 0 else {
        throw LayoutError("EP=\(ep) does not divide the \(experts.routedExperts) routed experts of \(model.name)")
      }
    }
    if let cluster {
      guard totalGPUs <= cluster.gpuCount else {
        throw LayoutError("\(self) needs \(totalGPUs) GPUs; cluster \(cluster.name) has \(cluster.gpuCount)")
      }
      if let placement {
        let flat = placement.gpus.flatMap { $0.flatMap { $0 } }
        guard placement.gpus.count == dp,
          placement.gpus.allSatisfy({ $0.count == pp && $0.allSatisfy { $0.count == tp } })
        else { throw LayoutError("placement shape does not match \(self)") }
        guard Set(flat).count == flat.count, flat.allSatisfy({ $0 >= 0 && $0 < cluster.gpuCount }) else {
          throw LayoutError("placement uses a GPU twice or one outside the cluster")
        }
      }
    }
  }
}

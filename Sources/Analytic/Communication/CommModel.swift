import Foundation
import PlanCore

/// The collectives LLMPlan costs.
public enum Collective: String, CaseIterable, Sendable, Codable {
  case allReduce = "all_reduce"
  case allGather = "all_gather"
  case sendRecv = "send_recv"
  /// Each GPU ends with 1/n of the reduced message (the message is each GPU's input buffer).
  case reduceScatter = "reduce_scatter"
  /// Each GPU sends 1/n of its buffer to every other GPU (the message is each GPU's buffer);
  /// expert-parallel MoE dispatch and combine.
  case allToAll = "alltoall"

  /// nccl-tests' bus-bandwidth factor (algbw × factor = busbw): the share of the message that
  /// crosses each GPU's link in a bandwidth-optimal algorithm.
  public func busFactor(gpus n: Int) -> Double {
    let n = Double(n)
    switch self {
    case .allReduce: return 2 * (n - 1) / n
    case .allGather, .reduceScatter, .allToAll: return (n - 1) / n
    case .sendRecv: return 1
    }
  }
}

/// Time of a collective as an affine function of message size, for one fixed group of GPUs:
/// `seconds(bytes) = latencySeconds + bytes · secondsPerByte`. Precomputed once per group so
/// the hot paths (layout search, simulator) cost one multiply-add.
public struct CollectiveCostCurve: Sendable, Hashable {
  public var latencySeconds: Double
  public var secondsPerByte: Double
  /// Bytes added to every message by the size-dependent efficiency law (see `EfficiencyProfile`).
  public var halfSaturationBytes: Double
  /// "ring", "tree" (double binary tree), "p2p", "pairwise" (all-to-all), "one_shot" /
  /// "two_shot" (custom all-reduce), or "none".
  public var algorithm: String
  /// NCCL protocol ("LL", "LL128", "Simple") when the GPU has `CollectiveProtocols`, else "".
  public var protocolName: String = ""

  public init(
    latencySeconds: Double, secondsPerByte: Double, halfSaturationBytes: Double, algorithm: String,
    protocolName: String = ""
  ) {
    self.latencySeconds = latencySeconds
    self.secondsPerByte = secondsPerByte
    self.halfSaturationBytes = halfSaturationBytes
    self.algorithm = algorithm
    self.protocolName = protocolName
  }

  /// "ring/LL128", or the algorithm alone when no protocol applies.
  public var label: String { protocolName.isEmpty ? algorithm : "\(algorithm)/\(protocolName)" }

  /// A curve that costs nothing (a "collective" over one GPU).
  public static let free = CollectiveCostCurve(
    latencySeconds: 0, secondsPerByte: 0, halfSaturationBytes: 0, algorithm: "none")

  @inline(__always)
  public func seconds(bytes: Double) -> Double {
    if secondsPerByte == 0 && latencySeconds == 0 { return 0 }
    return latencySeconds + (bytes + halfSaturationBytes) * secondsPerByte
  }
}

/// The lower envelope of the algorithms' affine curves for one group: what a runtime that picks
/// the fastest algorithm per message size (as NCCL's tuner does) pays. O(curves) per call, no
/// allocation.
public struct CollectiveCostEnvelope: Sendable, Hashable {
  /// One curve per algorithm, never empty.
  public var curves: [CollectiveCostCurve]

  public init(curves: [CollectiveCostCurve]) {
    self.curves = curves.isEmpty ? [.free] : curves
  }

  /// The curve that is fastest for a message of `bytes` (the first on ties).
  @inline(__always)
  public func best(bytes: Double) -> CollectiveCostCurve {
    var best = curves[0]
    var bestSeconds = best.seconds(bytes: bytes)
    for curve in curves.dropFirst() {
      let seconds = curve.seconds(bytes: bytes)
      if seconds < bestSeconds {
        best = curve
        bestSeconds = seconds
      }
    }
    return best
  }

  @inline(__always)
  public func seconds(bytes: Double) -> Double { best(bytes: bytes).seconds(bytes: bytes) }
}

/// The link that bounds a collective, and how much of the collective's traffic crosses it.
public struct CollectiveLinkLoad: Sendable, Hashable, Codable {
  /// Index into `Cluster.links`.
  public var linkIndex: Int
  /// Vertex names in the direction of the load ("node0/gpu7" → "ib-switch").
  public var fromVertex: String
  public var toVertex: String
  public var kind: String
  /// The link's bandwidth per direction, bytes/s (datasheet, before efficiency).
  public var linkBytesPerSecond: Double
  public var halfDuplex: Bool
  /// Bytes that cross the link in this direction (both directions if half duplex) during the
  /// whole collective.
  public var loadBytes: Double
  /// `loadBytes` over the bandwidth the collective achieves on the link: the collective's
  /// bandwidth term.
  public var busySeconds: Double
}

/// One algorithm's time for the same collective, for comparison.
public struct CollectiveAlternative: Sendable, Hashable, Codable {
  public var algorithm: String
  /// NCCL protocol, "" when none applies.
  public var protocolName: String = ""
  public var routing: String
  public var seconds: Double
}

/// One collective's estimate, with what bounded it.
public struct CollectiveEstimate: Sendable, Hashable {
  public var collective: Collective
  public var bytes: Double
  public var gpus: [Int]
  public var seconds: Double
  public var algorithm: String
  /// NCCL protocol of the chosen curve ("LL", "LL128", "Simple"), "" when none applies.
  public var protocolName: String = ""
  /// Achieved bandwidth of the busiest link, bytes/s: its datasheet bandwidth times
  /// `EfficiencyProfile.collectiveEfficiency(bytes:)` (infinite when nothing moves).
  public var bottleneckBytesPerSecond: Double
  public var latencySeconds: Double
  /// How the chosen algorithm's traffic was routed: "electrical", "single_path" or "none".
  public var routing: String
  /// The GPUs in the order the algorithm visits them (the first ring; the trees' order).
  public var order: [Int]
  /// For a ring, the rings the message is split over (NCCL channels), each a cyclic order of
  /// GPUs, and the share of the message each carries (summing to 1); `[order]`, `[1]` otherwise.
  public var channels: [[Int]]
  public var channelShares: [Double]
  /// `bytes / seconds` (nccl-tests "algbw").
  public var algorithmBytesPerSecond: Double
  /// nccl-tests "busbw": algbw × 2(n−1)/n for all-reduce, × (n−1)/n for all-gather, × 1 for
  /// send/recv — comparable with a link's bandwidth.
  public var busBytesPerSecond: Double
  /// The link that bounds the time (nil when nothing moves).
  public var busiestLink: CollectiveLinkLoad?
  /// Every algorithm considered (the chosen one included), fastest first.
  public var alternatives: [CollectiveAlternative]
  /// True when the group's GPUs are joined only through GPUs outside it, which we let relay.
  public var relaysThroughOtherGPUs: Bool
}

/// Errors of collective requests.
public struct CommError: Error, CustomStringConvertible, Sendable, Equatable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// Costs collectives on a cluster's topology.
///
/// Model (algorithms and sources in `CommModel+Algorithms.swift` and `CommModel+Rings.swift`):
/// - Each algorithm is a sequence of steps; in a step several transfers run at once (a ring
///   step: every GPU sends one chunk to the next). Transfers cross the group's
///   `FlowNetwork`: switches and the group's own GPUs forward traffic, other GPUs do not, and
///   traffic inside a node stays on the node's fabric. Each transfer is routed either as an
///   electrical flow (split over all paths, conductance = link bandwidth; one LAPACK LU
///   factorisation per group and domain) or on its widest single path, whichever makes the
///   step faster. Loads are summed per link direction (full duplex: each direction on its
///   own; half duplex: both together), and the busiest link, load / bandwidth, bounds the step.
/// - Each step also pays `EfficiencyProfile.collectiveStepSeconds` (α) plus the path latency.
/// - Achieved link bandwidth follows `collectiveEfficiency(bytes:)`:
///   `bandwidth · collectiveBandwidthMax · b / (b + collectiveHalfSaturationBytes)`, which is
///   the affine curve's `halfSaturationBytes`.
/// - All-reduce: ring (2(n−1) steps of bytes/n) and tree (NCCL's chain-in-node, double binary
///   tree across nodes); the faster at a given size wins (`estimate`, `envelope`,
///   `curve(_:gpus:typicalBytes:)`). All-gather: ring. Send/recv: one transfer.
/// - Rings: the given order, the order grouped by node and a greedy nearest-neighbour order
///   (by effective resistance) are tried, each alone and with its reverse (both link
///   directions), plus node-rotated channels for multi-node groups and, if none reaches the
///   ring step's lower bound, rings packed into link capacities like NCCL's channel search.
///
/// Each group is costed alone: traffic of other groups sharing links is the simulator's
/// business. Results are cached per (collective, group) inside the model (thread-safe), so a
/// planner can call `curve` for every layout group. Measured in release on a shared 2-core
/// machine: a cache miss costs ~40–70 µs for a group of up to 8 GPUs inside a node, ~100 µs
/// for 8 GPUs over two nodes and ~200–300 µs for all 16 GPUs of two 8-GPU nodes; a hit < 1 µs.
/// Groups of more than `nodeAggregateMinimumGroupSize` GPUs over identical nodes on one fabric
/// vertex are costed on the node-aggregate network instead of the whole graph
/// (`NodeAggregateNetwork`, same results): all 4,096 GPUs of 512 DGX-like nodes in ~0.1–0.2 s.
public struct CommModel: Sendable {
  public let cluster: Cluster
  public let efficiency: EfficiencyProfile
  /// Links touching each vertex, and each vertex's node, computed once.
  let adjacency: [[Int]]
  let nodeOfVertex: [Int?]
  let cache: CommCache
  /// Node symmetry of the cluster (nil when it has none) and the curve memo it keys.
  let symmetry: NodeSymmetry?
  let curveCache: CanonicalCurveCache

  public init(cluster: Cluster, efficiency: EfficiencyProfile) {
    self.cluster = cluster
    self.efficiency = efficiency
    var adjacency = [[Int]](repeating: [], count: cluster.vertexCount)
    for (index, link) in cluster.links.enumerated() {
      // Bad endpoints are reported by the first request (FlowNetwork.build), not trapped here.
      if link.a >= 0 && link.a < cluster.vertexCount { adjacency[link.a].append(index) }
      if link.b >= 0 && link.b < cluster.vertexCount && link.b != link.a { adjacency[link.b].append(index) }
    }
    self.adjacency = adjacency
    self.nodeOfVertex = cluster.nodeOfVertex
    self.cache = CommCache()
    self.symmetry = NodeSymmetry(cluster: cluster, nodeOfVertex: nodeOfVertex)
    self.curveCache = CanonicalCurveCache()
  }

  /// The algorithms' curves for a valid group of at least two GPUs; on a node-symmetric
  /// cluster shared by every group of the same shape.
  func algorithmCurves(_ collective: Collective, gpus: [Int]) throws -> [CollectiveCostCurve] {
    guard let symmetry else { return try algorithms(collective, gpus: gpus).map(\.curve) }
    let key = CanonicalCurveCache.Key(collective: collective, shape: symmetry.canonical(gpus))
    if let cached = curveCache.lookup(key) { return cached }
    let curves = try algorithms(collective, gpus: gpus).map(\.curve)
    curveCache.store(curves, for: key)
    return curves
  }

  /// The cost curve of `collective` over `gpus` (in rank order). For `sendRecv`, `gpus` is
  /// `[source, destination]`. For one GPU the curve is free. For all-reduce this is the ring
  /// curve (bandwidth-optimal, right for large messages); use `curve(_:gpus:typicalBytes:)`
  /// or `envelope(_:gpus:)` to let the tree win small messages.
  public func curve(_ collective: Collective, gpus: [Int]) throws -> CollectiveCostCurve {
    try validate(gpus, collective)
    if gpus.count == 1 { return .free }
    return try algorithmCurves(collective, gpus: gpus)[0]
  }

  /// The curve of the algorithm that is fastest for messages of `typicalBytes` (e.g. the
  /// all-reduce of one decode step's activations); the curve stays exact for that algorithm
  /// at any size.
  public func curve(_ collective: Collective, gpus: [Int], typicalBytes: Double) throws -> CollectiveCostCurve {
    guard typicalBytes.isFinite, typicalBytes >= 0 else {
      throw CommError("typical message size must be a finite, non-negative byte count (got \(typicalBytes))")
    }
    return try envelope(collective, gpus: gpus).best(bytes: typicalBytes)
  }

  /// Every algorithm's curve for the group; its `seconds(bytes:)` picks the fastest per size.
  public func envelope(_ collective: Collective, gpus: [Int]) throws -> CollectiveCostEnvelope {
    try validate(gpus, collective)
    if gpus.count == 1 { return CollectiveCostEnvelope(curves: [.free]) }
    return CollectiveCostEnvelope(curves: try algorithmCurves(collective, gpus: gpus))
  }

  /// One collective's time for a message of `bytes` (the buffer each GPU holds for
  /// all-reduce, the gathered buffer for all-gather, the payload for send/recv), with the
  /// fastest algorithm at that size. A zero-byte collective moves nothing and takes 0 s.
  public func estimate(_ collective: Collective, bytes: Double, gpus: [Int]) throws -> CollectiveEstimate {
    guard bytes.isFinite, bytes >= 0 else {
      throw CommError("message size must be a finite, non-negative byte count (got \(bytes))")
    }
    try validate(gpus, collective)
    if gpus.count == 1 || bytes == 0 {
      return CollectiveEstimate(
        collective: collective, bytes: bytes, gpus: gpus, seconds: 0, algorithm: "none",
        bottleneckBytesPerSecond: .infinity, latencySeconds: 0, routing: "none", order: gpus, channels: [gpus],
        channelShares: [1],
        algorithmBytesPerSecond: .infinity, busBytesPerSecond: .infinity, busiestLink: nil, alternatives: [],
        relaysThroughOtherGPUs: false)
    }
    let costs = try algorithms(collective, gpus: gpus)
    let ranked = costs.indices.sorted { i, j in
      let (si, sj) = (costs[i].curve.seconds(bytes: bytes), costs[j].curve.seconds(bytes: bytes))
      return si < sj || (si == sj && i < j)
    }
    let chosen = costs[ranked[0]]
    let seconds = chosen.curve.seconds(bytes: bytes)
    let busFactor = collective.busFactor(gpus: gpus.count)
    var busiest: CollectiveLinkLoad?
    var bottleneck = Double.infinity
    if chosen.busiestLink >= 0 {
      let link = cluster.links[chosen.busiestLink]
      let (from, to) = chosen.busiestForward ? (link.a, link.b) : (link.b, link.a)
      let achieved =
        chosen.bandwidthFraction.map { link.bytesPerSecond * $0 * bytes / (bytes + chosen.curve.halfSaturationBytes) }
        ?? link.bytesPerSecond * efficiency.collectiveEfficiency(bytes: bytes)
      bottleneck = achieved
      let loadBytes = chosen.loadPerMessageByte * bytes
      busiest = CollectiveLinkLoad(
        linkIndex: chosen.busiestLink, fromVertex: cluster.vertexNames[from], toVertex: cluster.vertexNames[to],
        kind: link.kind, linkBytesPerSecond: link.bytesPerSecond, halfDuplex: link.duplex == .half,
        loadBytes: loadBytes, busySeconds: loadBytes / achieved)
    }
    var result = CollectiveEstimate(
      collective: collective, bytes: bytes, gpus: gpus, seconds: seconds, algorithm: chosen.curve.algorithm,
      bottleneckBytesPerSecond: bottleneck, latencySeconds: chosen.curve.latencySeconds,
      routing: chosen.routing.rawValue, order: chosen.order, channels: chosen.channels,
      channelShares: chosen.channelShares,
      algorithmBytesPerSecond: bytes / seconds,
      busBytesPerSecond: bytes / seconds * busFactor, busiestLink: busiest,
      alternatives: ranked.map {
        CollectiveAlternative(
          algorithm: costs[$0].curve.algorithm, protocolName: costs[$0].curve.protocolName,
          routing: costs[$0].routing.rawValue, seconds: costs[$0].curve.seconds(bytes: bytes))
      },
      relaysThroughOtherGPUs: chosen.relaysThroughOtherGPUs)
    result.protocolName = chosen.curve.protocolName
    return result
  }

  func validate(_ gpus: [Int], _ collective: Collective) throws {
    guard !gpus.isEmpty else { throw CommError("a collective needs at least one GPU") }
    guard gpus.allSatisfy({ $0 >= 0 && $0 < cluster.gpuCount }) else {
      throw CommError("GPU index out of range in \(gpus) (cluster \(cluster.name) has GPUs 0..<\(cluster.gpuCount))")
    }
    // Pairwise for small groups (no allocation on the planner's hot path), a set otherwise.
    let duplicate =
      gpus.count <= 32
      ? gpus.indices.contains { i in gpus[(i + 1)...].contains(gpus[i]) } : Set(gpus).count != gpus.count
    guard !duplicate else { throw CommError("a GPU appears twice in the group \(gpus)") }
    if collective == .sendRecv && gpus.count != 2 {
      throw CommError("send_recv takes exactly two GPUs (source, destination), got \(gpus.count)")
    }
  }

  /// The algorithms' costs for a valid group of at least two GPUs, from the cache or computed.
  /// The first entry is the ring for all-reduce and all-gather.
  func algorithms(_ collective: Collective, gpus: [Int]) throws -> [AlgorithmCost] {
    let key = CommCache.Key(collective: collective, gpus: gpus)
    if let cached = cache.lookup(key) { return cached }
    let costs = withProtocols(try computeAlgorithms(collective, gpus: gpus), collective, gpus: gpus)
    cache.store(costs, for: key)
    return costs
  }
}

/// One algorithm's cost for one group, with what bounds it.
struct AlgorithmCost: Sendable {
  var curve: CollectiveCostCurve
  var routing: FlowRouting
  /// Cluster GPUs in the order the algorithm uses them.
  var order: [Int]
  /// Index into `Cluster.links` of the busiest link (-1 if none) and its loaded direction
  /// (true = the link's a → b).
  var busiestLink: Int
  var busiestForward: Bool
  /// Bytes over the busiest link direction per byte of message.
  var loadPerMessageByte: Double
  var relaysThroughOtherGPUs: Bool
  /// Rings the data is split over (cluster GPU indices) and each one's share of the message;
  /// `[order]`, `[1]` for other algorithms.
  var channels: [[Int]]
  var channelShares: [Double]
  /// Sequential latency steps of the algorithm (ring: 2(n−1) for all-reduce; tree: the levels
  /// up and down; p2p: 1), for the per-protocol step latency.
  var steps: Double = 1
  /// The protocol's fraction of link bandwidth times the group factor; nil under the single law.
  var bandwidthFraction: Double? = nil
}

/// Per-model memo of algorithm costs. Copies of a `CommModel` share it; the cluster and
/// profile it depends on are immutable, so sharing is safe. A lock guards the dictionary.
final class CommCache: @unchecked Sendable {
  struct Key: Hashable {
    var collective: Collective
    var gpus: [Int]
  }

  /// Bound on entries; past it the memo starts over (planners touch far fewer groups).
  static let capacity = 65_536
  private let lock = NSLock()
  private var entries: [Key: [AlgorithmCost]] = [:]

  func lookup(_ key: Key) -> [AlgorithmCost]? {
    lock.lock()
    defer { lock.unlock() }
    return entries[key]
  }

  func store(_ value: [AlgorithmCost], for key: Key) {
    lock.lock()
    defer { lock.unlock() }
    if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
    entries[key] = value
  }
}

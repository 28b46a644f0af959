import PlanCore

/// The handoff of one request's KV cache from a prefill instance to a decode instance of a
/// disaggregated deployment, routed over the cluster graph.
///
/// **Bytes.** A request of P prompt tokens leaves P × (KV bytes per token of the whole model:
/// 2 · layers · KV heads · head dim · bytes of the KV cache's element) on the prefill instance;
/// all of it crosses to the decode instance once (`kvBytes`). Replicated KV heads (TP above the
/// KV heads) are not sent twice: the decode instance rebuilds its own copies.
///
/// **Route.** Every GPU of the prefill instance holds a shard (its layers and heads) and sends
/// it to the GPU(s) of the decode instance that hold the same layers and heads; with
/// n = max(GPUs of either instance) flows of bytes/n, flow f goes from prefill GPU f mod |P| to
/// decode GPU f mod |D|, and the side with fewer GPUs sends (receives) ⌈n / min⌉ flows one after
/// the other over its own links. Each flow is a `sendRecv` on the cluster graph (`CommModel`:
/// NVLink or NVSwitch inside a node, the NICs and InfiniBand fabric across nodes, split over
/// parallel paths by the flow solver), and the slowest flow sets the pair's time. Requests are
/// spread evenly over the instances, so the figure is the mean over every (prefill instance,
/// decode instance) pair. Flows of different requests sharing a link (contention) are the
/// simulator's business, as for collectives.
///
/// **Overlap** (`KVTransferOverlap`). Without overlap (vLLM's `NixlConnector`: the decode
/// instance reads the finished blocks once the prefill is done) the whole transfer adds to
/// TTFT. Layer by layer (LMCache's layer-wise mode, Mooncake's transfer engine, DistServe §4.3)
/// layer l's KV leaves as soon as layer l is computed, so of a transfer T behind a prefill of
/// p over L layers only max(T/L, T − p·(L − 1)/L) is exposed: the last layer's share always,
/// and whatever the links cannot hide behind the remaining compute.
public struct KVTransferCost: Sendable, Hashable, Codable {
  /// KV bytes one request hands over (the mean prompt's).
  public var bytesPerRequest: Double
  /// Mean time to move them, over all instance pairs, seconds.
  public var transferSeconds: Double
  /// The part of it TTFT sees after overlap with the prefill, seconds.
  public var exposedSeconds: Double
  public var overlap: KVTransferOverlap
  /// Fraction of instance pairs whose transfer leaves the node (InfiniBand or other NICs).
  public var crossNodeFraction: Double
  /// Kind of the busiest link on the slowest pair's route (nil: no links, e.g. infinite).
  public var bottleneckLinkKind: String?

  enum CodingKeys: String, CodingKey {
    case bytesPerRequest, transferSeconds, exposedSeconds, overlap, crossNodeFraction, bottleneckLinkKind
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(bytesPerRequest, forKey: .bytesPerRequest)
    try c.encode(transferSeconds, forKey: .transferSeconds)
    try c.encode(exposedSeconds, forKey: .exposedSeconds)
    try c.encode(overlap, forKey: .overlap)
    try c.encode(crossNodeFraction, forKey: .crossNodeFraction)
    try c.encode(bottleneckLinkKind, forKey: .bottleneckLinkKind)
  }

  public init(
    bytesPerRequest: Double, transferSeconds: Double, exposedSeconds: Double, overlap: KVTransferOverlap,
    crossNodeFraction: Double, bottleneckLinkKind: String?
  ) {
    self.bytesPerRequest = bytesPerRequest
    self.transferSeconds = transferSeconds
    self.exposedSeconds = exposedSeconds
    self.overlap = overlap
    self.crossNodeFraction = crossNodeFraction
    self.bottleneckLinkKind = bottleneckLinkKind
  }

  /// Infinitely fast links: nothing is exposed (the invariant tests' reference).
  public static func free(bytesPerRequest: Double, overlap: KVTransferOverlap) -> KVTransferCost {
    KVTransferCost(
      bytesPerRequest: bytesPerRequest, transferSeconds: 0, exposedSeconds: 0, overlap: overlap, crossNodeFraction: 0,
      bottleneckLinkKind: nil)
  }

  /// KV bytes a prompt of `promptTokens` hands over: tokens × bytes per token.
  public static func kvBytes(promptTokens: Int, kvBytesPerToken: Double) -> Double {
    Double(max(promptTokens, 0)) * kvBytesPerToken
  }

  /// KV bytes per token of the whole model in the cache's element type: the model's own
  /// figure (`ModelSpec.kvCacheBytesPerToken`, in its dtype) scaled to `kvCacheDType`.
  public static func kvBytesPerToken(model: ModelSpec, kvCacheDType: DType?) -> Double {
    model.kvCacheBytesPerToken * (kvCacheDType ?? model.dtype).bytes / model.dtype.bytes
  }

  /// The part of a transfer of `transferSeconds` TTFT sees behind a prefill of
  /// `prefillSeconds` over `layers` layers.
  public static func exposedSeconds(
    transferSeconds t: Double, prefillSeconds p: Double, layers: Int, overlap: KVTransferOverlap
  ) -> Double {
    switch overlap {
    case .none: return t
    case .layerwise:
      let l = Double(max(layers, 1))
      return max(t / l, t - p * (l - 1) / l)
    }
  }

  /// Most instance pairs costed; past it every k-th pair (the pairs repeat by node anyway).
  static let maxPairs = 256

  /// The transfer of `bytesPerRequest` between two pools placed on `prefillInstances` and
  /// `decodeInstances` (each an instance's GPU indices of the cluster, disjoint).
  ///
  /// - Throws: `CommError` for GPUs outside the cluster; `CostModelError` for a non-finite or
  ///   negative byte count or an empty pool.
  public init(
    comm: CommModel, prefillInstances: [[Int]], decodeInstances: [[Int]], bytesPerRequest: Double,
    prefillSeconds: Double, layers: Int, overlap: KVTransferOverlap
  ) throws {
    guard bytesPerRequest.isFinite, bytesPerRequest >= 0 else {
      throw CostModelError("KV bytes per request must be finite and ≥ 0 (got \(bytesPerRequest))")
    }
    guard !prefillInstances.isEmpty, !decodeInstances.isEmpty,
      (prefillInstances + decodeInstances).allSatisfy({ !$0.isEmpty })
    else { throw CostModelError("a disaggregated deployment needs at least one prefill and one decode instance") }
    let pairCount = prefillInstances.count * decodeInstances.count
    let step = max(1, pairCount / Self.maxPairs)
    let nodeOf = comm.cluster.nodeOfGPU
    var total = 0.0
    var crossing = 0
    var costed = 0
    var slowest = -1.0
    var slowestKind: String?
    for pair in stride(from: 0, to: pairCount, by: step) {
      let source = prefillInstances[pair / decodeInstances.count]
      let destination = decodeInstances[pair % decodeInstances.count]
      let flows = max(source.count, destination.count)
      let serial = (flows + min(source.count, destination.count) - 1) / min(source.count, destination.count)
      let bytes = bytesPerRequest / Double(flows) * Double(serial)
      var seconds = 0.0
      var kind: String?
      var crosses = false
      for flow in 0..<flows {
        let (a, b) = (source[flow % source.count], destination[flow % destination.count])
        let estimate = try comm.estimate(.sendRecv, bytes: bytes, gpus: [a, b])
        if estimate.seconds > seconds {
          seconds = estimate.seconds
          kind = estimate.busiestLink.map(\.kind)
        }
        if nodeOf[a] != nodeOf[b] { crosses = true }
      }
      total += seconds
      costed += 1
      if crosses { crossing += 1 }
      if seconds > slowest {
        slowest = seconds
        slowestKind = kind
      }
    }
    let mean = total / Double(costed)
    self.init(
      bytesPerRequest: bytesPerRequest, transferSeconds: mean,
      exposedSeconds: Self.exposedSeconds(
        transferSeconds: mean, prefillSeconds: prefillSeconds, layers: layers, overlap: overlap),
      overlap: overlap, crossNodeFraction: Double(crossing) / Double(costed), bottleneckLinkKind: slowestKind)
  }
}

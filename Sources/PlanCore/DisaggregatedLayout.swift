/// A disaggregated deployment: prompts are prefilled on one pool of instances and decoded on
/// another, the KV cache of each request crossing the network once in between (Splitwise,
/// arXiv:2311.18677; DistServe, arXiv:2401.09670; vLLM's disaggregated prefill).
///
/// `prefill` and `decode` are ordinary layouts: TP × PP per instance, `dp` instances in the
/// pool. The pools are placed on disjoint GPUs of one cluster.
public struct DisaggregatedLayout: Sendable, Hashable, Codable, CustomStringConvertible {
  public var prefill: Layout
  public var decode: Layout

  public init(prefill: Layout, decode: Layout) {
    self.prefill = prefill
    self.decode = decode
  }

  public var totalGPUs: Int { prefill.totalGPUs + decode.totalGPUs }
  /// Prefill instances : decode instances, e.g. `2P:1D`.
  public var ratio: String { "\(prefill.dp)P:\(decode.dp)D" }
  /// `2P(TP4·PP1) + 1D(TP8·PP1)`.
  public var description: String {
    "\(prefill.dp)P(TP\(prefill.tp)·PP\(prefill.pp)) + \(decode.dp)D(TP\(decode.tp)·PP\(decode.pp))"
  }
}

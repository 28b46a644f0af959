/// Whether the planner searches disaggregated layouts (prefill and decode on separate pools).
public enum DisaggregationMode: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// Searched when the GPU budget holds at least two instances; the better form is recommended.
  case auto
  /// Aggregated layouts only (the planner as before).
  case off
  /// Disaggregated layouts are searched and reported next to the aggregated ones.
  case on
  /// Only disaggregated layouts are recommended (the aggregated ones are still scored for the comparison).
  case only

  public var description: String { rawValue }
}

/// How the KV cache of a prompt is handed from the prefill instance to the decode instance.
///
/// - `layerwise`: each layer's KV is sent as soon as that layer's prefill finishes, so only
///   the part of the transfer that outlasts the rest of the prefill is exposed (LMCache's
///   layer-wise mode and Mooncake Transfer Engine's layer-wise pipelining; DistServe §4).
/// - `none`: the whole KV is transferred after the prefill finishes, as vLLM's `NixlConnector`
///   does (the decode instance reads the finished blocks with one NIXL read per request).
public enum KVTransferOverlap: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  case layerwise
  case none

  public var description: String { rawValue }
}

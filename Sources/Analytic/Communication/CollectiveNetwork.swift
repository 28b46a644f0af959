/// What the collective algorithms (`CommModel+Rings.swift`, `CommModel+Algorithms.swift`) ask
/// of a group's network: how a set of simultaneous transfers loads its links, and the
/// distances and bounds that choose ring orders. Two networks answer: `FlowNetwork`, the whole
/// graph the group may cross (cubic in its size), and `NodeAggregateNetwork`, the same answers
/// for a group of identical nodes from one two-node solve (linear in the group).
protocol CollectiveNetwork {
  /// Cluster GPU index of member k (members are group positions).
  func clusterGPU(_ k: Int) -> Int
  /// True when the members could only be joined through GPUs outside the group.
  var relaysThroughOtherGPUs: Bool { get }
  /// The busiest link of `transfers` run at once under `routing`.
  func bottleneck(of transfers: [FlowTransfer], routing: FlowRouting) -> FlowBottleneck
  /// Path latency of transfer k → l under `routing`.
  func latencySeconds(from k: Int, to l: Int, routing: FlowRouting) -> Double
  /// Effective resistance between members k and l (the greedy ring order's distance).
  func effectiveResistance(from k: Int, to l: Int) -> Double
  /// No ring step can take less than this, seconds per unit (see `FlowNetwork`).
  func ringStepLowerBoundSecondsPerUnit() -> Double
  /// Rings packed into the residual link capacities; nil when none fits or not offered.
  func packRings(count n: Int) -> (plan: RingPlan, bound: FlowBottleneck)?
  /// Index into `Cluster.links` of a `FlowBottleneck.edge` of this network.
  func clusterLink(ofEdge edge: Int) -> Int
}

extension CollectiveNetwork {
  /// The faster of the two routings for `transfers` (ties: the electrical flow, then lower
  /// latency). NCCL searches its channel layouts and keeps the fastest; the electrical split
  /// stands for traffic spread over several channels, the single path for one route per pair.
  func bestBottleneck(of transfers: [FlowTransfer]) -> FlowBottleneck {
    let electrical = bottleneck(of: transfers, routing: .electrical)
    let single = bottleneck(of: transfers, routing: .singlePath)
    // A relative tolerance keeps round-off from flipping the choice between equal routings.
    let tolerance = 1e-12 * max(electrical.secondsPerUnit, single.secondsPerUnit)
    if single.secondsPerUnit < electrical.secondsPerUnit - tolerance { return single }
    if electrical.secondsPerUnit < single.secondsPerUnit - tolerance { return electrical }
    return single.latencySeconds < electrical.latencySeconds ? single : electrical
  }
}

extension FlowNetwork: CollectiveNetwork {
  func clusterLink(ofEdge edge: Int) -> Int { edges[edge].clusterLink }
}

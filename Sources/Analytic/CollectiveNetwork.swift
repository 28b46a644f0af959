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
  /// The busiest link of `transfers` run at once, under the faster routing.
  func bestBottleneck(of transfers: [FlowTransfer]) -> FlowBottleneck
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

extension FlowNetwork: CollectiveNetwork {
  func clusterLink(ofEdge edge: Int) -> Int { edges[edge].clusterLink }
}

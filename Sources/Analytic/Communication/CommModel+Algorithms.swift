import PlanCore

/// The collective algorithms, costed on a group's flow network.
///
/// α–β form (Hockney; Thakur, Rabenseifner and Gropp, "Optimization of collective
/// communication operations in MPICH", IJHPCA 19(1), 2005): a step costs α plus the bytes it
/// moves over the bandwidth that bounds it. Here α = `collectiveStepSeconds` + the step's path
/// latency, and the bound is the busiest link of the step on the real topology, so β is
/// (load on that link) / (its bandwidth × collective efficiency) rather than one scalar.
///
/// - Ring all-reduce (reduce-scatter then all-gather; Patarasuk and Yuan, "Bandwidth optimal
///   all-reduce algorithms for clusters of workstations", JPDC 69(2), 2009; NCCL's ring):
///   2(n−1) steps, each GPU sending bytes/n to the next:
///   `T = 2(n−1)(α + ℓ) + 2(n−1)/n · bytes · τ`, τ = seconds per byte of one ring step.
/// - Ring all-gather: n−1 steps of (gathered bytes)/n.
/// - Tree all-reduce (NCCL ≥ 2.4: a chain through the GPUs of each node, a double binary tree
///   across nodes; Sanders et al. 2009, see `CollectiveTrees`): each half of the message is
///   reduced up one tree and broadcast down it, pipelined in small chunks, so in steady state
///   every tree edge carries its half up and down at once and the two trees run together:
///   `T = 2·(hops·(α + ℓ_intra) + levels·(α + ℓ_inter)) + bytes · τ_tree`, τ_tree from loading
///   every tree edge with ½ of the message in each direction. The pipeline fill (one chunk-time
///   per level) is neglected: it is small once the message spans many chunks, and for tiny
///   messages the α terms dominate.
/// - Send/recv: one transfer, `α + ℓ + bytes · τ`.
extension CommModel {
  func computeAlgorithms(_ collective: Collective, gpus: [Int]) throws -> [AlgorithmCost] {
    try validateEfficiency()
    if gpus.count > Self.nodeAggregateMinimumGroupSize, let symmetry,
      let network = try NodeAggregateNetwork(
        cluster: cluster, adjacency: adjacency, nodeOfVertex: nodeOfVertex, symmetry: symmetry, members: gpus)
    {
      return computeAlgorithms(collective, gpus: gpus, network: network)
    }
    let network = try FlowNetwork.build(
      cluster: cluster, adjacency: adjacency, nodeOfVertex: nodeOfVertex, members: gpus)
    return computeAlgorithms(collective, gpus: gpus, network: network)
  }

  /// Groups larger than this on a node-symmetric cluster are costed on the node-aggregate
  /// network (`NodeAggregateNetwork`), whose cost grows linearly with the group instead of
  /// cubically; it gives the same times as the full network (tests compare both on 2–4 nodes).
  /// Every group on the catalog's clusters (at most 16 GPUs) stays on the full network.
  static let nodeAggregateMinimumGroupSize = 64

  func computeAlgorithms<Network: CollectiveNetwork>(
    _ collective: Collective, gpus: [Int], network: Network
  ) -> [AlgorithmCost] {
    let n = gpus.count
    switch collective {
    case .sendRecv:
      let bound = network.bestBottleneck(of: [FlowTransfer(from: 0, to: 1, weight: 1)])
      return [
        cost(
          "p2p", bound, order: [0, 1], chunksPerByte: 1, latencySeconds: stepLatency(1, bound), network: network,
          gpus: gpus)
      ]
    case .allGather, .reduceScatter:
      let (plan, bound) = bestRing(network, count: n)
      return [ringCost(plan, bound, stepCount: n - 1, network: network, gpus: gpus)]
    case .allToAll:
      return [pairwiseCost(network, count: n, gpus: gpus)]
    case .allReduce:
      let (plan, bound) = bestRing(network, count: n)
      let ring = ringCost(plan, bound, stepCount: 2 * (n - 1), network: network, gpus: gpus)
      return [ring, bestTree(network, count: n, ringOrder: plan.channels[0], gpus: gpus)]
    }
  }

  /// A ring of `stepCount` steps, each moving 1/n of the message between ring neighbours.
  func ringCost<Network: CollectiveNetwork>(
    _ plan: RingPlan, _ bound: FlowBottleneck, stepCount: Int, network: Network, gpus: [Int]
  ) -> AlgorithmCost {
    var result = cost(
      "ring", bound, order: plan.channels[0], chunksPerByte: Double(stepCount) / Double(gpus.count),
      latencySeconds: stepLatency(stepCount, bound), network: network, gpus: gpus)
    result.channels = plan.channels.map { $0.map { gpus[$0] } }
    result.channelShares = plan.shares
    result.steps = Double(stepCount)
    return result
  }

  /// All-to-all as NCCL runs it (grouped send/recv to every peer at once): every ordered pair
  /// moves 1/n of the message in one step, so each GPU sends and receives (n−1)/n of it.
  /// Past `pairwiseMaximumGroupSize` GPUs the n(n−1) transfers are replaced by the n−1 shifts
  /// of a ring (same per-GPU bytes; exact on a switch, an approximation on other topologies).
  func pairwiseCost<Network: CollectiveNetwork>(_ network: Network, count n: Int, gpus: [Int]) -> AlgorithmCost {
    guard n <= Self.pairwiseMaximumGroupSize else {
      let (plan, bound) = bestRing(network, count: n)
      var result = ringCost(plan, bound, stepCount: n - 1, network: network, gpus: gpus)
      result.curve.algorithm = "pairwise"
      result.curve.latencySeconds = stepLatency(1, bound)
      result.steps = 1
      return result
    }
    var transfers: [FlowTransfer] = []
    for from in 0..<n {
      for to in 0..<n where to != from { transfers.append(FlowTransfer(from: from, to: to, weight: 1)) }
    }
    let bound = network.bestBottleneck(of: transfers)
    return cost(
      "pairwise", bound, order: Array(0..<n), chunksPerByte: 1 / Double(n), latencySeconds: stepLatency(1, bound),
      network: network, gpus: gpus)
  }

  /// Largest all-to-all group costed pair by pair.
  static let pairwiseMaximumGroupSize = 64

  /// α terms of `count` sequential steps, each bounded by the slowest transfer's path latency.
  func stepLatency(_ count: Int, _ bound: FlowBottleneck) -> Double {
    Double(count) * (efficiency.collectiveStepSeconds + bound.latencySeconds)
  }

  func validateEfficiency() throws {
    let profile = efficiency
    guard profile.collectiveBandwidthMax.isFinite, profile.collectiveBandwidthMax > 0,
      profile.collectiveBandwidthMax <= 1
    else {
      throw CommError("collective bandwidth efficiency must lie in (0, 1], got \(profile.collectiveBandwidthMax)")
    }
    guard profile.collectiveHalfSaturationBytes.isFinite, profile.collectiveHalfSaturationBytes >= 0 else {
      throw CommError("collective half-saturation size must be ≥ 0 bytes, got \(profile.collectiveHalfSaturationBytes)")
    }
    guard profile.collectiveStepSeconds.isFinite, profile.collectiveStepSeconds >= 0 else {
      throw CommError("collective step latency must be ≥ 0 s, got \(profile.collectiveStepSeconds)")
    }
  }

  /// An algorithm's curve from its bottleneck: `chunksPerByte` units of the bottleneck's
  /// weight moved per message byte, and the algorithm's α terms.
  func cost<Network: CollectiveNetwork>(
    _ name: String, _ bound: FlowBottleneck, order: [Int], chunksPerByte: Double, latencySeconds: Double,
    network: Network, gpus: [Int]
  ) -> AlgorithmCost {
    let curve = CollectiveCostCurve(
      latencySeconds: latencySeconds,
      secondsPerByte: chunksPerByte * bound.secondsPerUnit / efficiency.collectiveBandwidthMax,
      halfSaturationBytes: efficiency.collectiveHalfSaturationBytes, algorithm: name)
    return AlgorithmCost(
      curve: curve, routing: bound.routing, order: order.map { gpus[$0] },
      busiestLink: bound.edge >= 0 ? network.clusterLink(ofEdge: bound.edge) : -1,
      busiestForward: bound.forward, loadPerMessageByte: chunksPerByte * bound.load,
      relaysThroughOtherGPUs: network.relaysThroughOtherGPUs, channels: [order.map { gpus[$0] }], channelShares: [1])
  }

  /// The fastest NCCL-style tree (chains in nodes, double binary tree across them) over the
  /// candidate orders, the ring's first.
  func bestTree<Network: CollectiveNetwork>(
    _ network: Network, count n: Int, ringOrder: [Int], gpus: [Int]
  ) -> AlgorithmCost {
    let node = (0..<n).map { cluster.nodeOfGPU[gpus[$0]] }
    var orders = [ringOrder]
    for order in candidateOrders(network, count: n) where !orders.contains(order) { orders.append(order) }
    var best: (order: [Int], trees: CollectiveTrees, transfers: [FlowTransfer], bound: FlowBottleneck)?
    for order in orders {
      let trees = CollectiveTrees(order: order, node: node)
      var transfers: [FlowTransfer] = []
      for parents in trees.parents {
        for (child, parent) in parents.enumerated() {
          guard let parent else { continue }
          // Half the message up (reduce) and down (broadcast) each edge of each tree.
          transfers.append(FlowTransfer(from: child, to: parent, weight: 0.5))
          transfers.append(FlowTransfer(from: parent, to: child, weight: 0.5))
        }
      }
      let bound = network.bestBottleneck(of: transfers)
      if let current = best, !isFaster(bound, than: current.bound) { continue }
      best = (order, trees, transfers, bound)
    }
    let chosen = best!
    // Per-level latency: the slowest chain hop inside nodes, the slowest edge between them.
    var intra = 0.0
    var inter = 0.0
    for transfer in chosen.transfers {
      let latency = network.latencySeconds(from: transfer.from, to: transfer.to, routing: chosen.bound.routing)
      if node[transfer.from] == node[transfer.to] { intra = max(intra, latency) } else { inter = max(inter, latency) }
    }
    let alpha = efficiency.collectiveStepSeconds
    let latency =
      2 * (Double(chosen.trees.chainHops) * (alpha + intra) + Double(chosen.trees.interNodeLevels) * (alpha + inter))
    var result = cost(
      "tree", chosen.bound, order: chosen.order, chunksPerByte: 1, latencySeconds: latency, network: network, gpus: gpus
    )
    result.steps = 2 * Double(chosen.trees.chainHops + chosen.trees.interNodeLevels)
    return result
  }
}

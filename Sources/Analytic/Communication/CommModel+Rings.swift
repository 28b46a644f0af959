/// Rings the message of a ring collective is split over (NCCL's channels), as group positions.
struct RingPlan: Sendable, Hashable {
  /// Each channel is a cyclic order of all the group's positions.
  var channels: [[Int]]
  /// Share of the message each channel carries; they sum to 1.
  var shares: [Double]

  init(channels: [[Int]], shares: [Double]? = nil) {
    self.channels = channels
    self.shares = shares ?? [Double](repeating: 1 / Double(channels.count), count: channels.count)
  }

  /// One ring step: every channel moves its share of a chunk from each GPU to the next.
  var stepTransfers: [FlowTransfer] {
    var transfers: [FlowTransfer] = []
    for (order, share) in zip(channels, shares) {
      let n = order.count
      for i in 0..<n { transfers.append(FlowTransfer(from: order[i], to: order[(i + 1) % n], weight: share)) }
    }
    return transfers
  }
}

/// Ring order and channel choice: NCCL builds rings along fast links and runs several
/// channels at once; we try the plans below and keep the fastest.
extension CommModel {
  /// The fastest ring plan; ties keep the earlier plan. Plans (`ringPlans`) are each routed
  /// both ways (`bestBottleneck`). If none reaches the lower bound of a ring step
  /// (`ringStepLowerBoundSecondsPerUnit`), rings packed into the link capacities as NCCL's
  /// channel search does (`FlowNetwork.packRings`) are tried as well.
  func bestRing<Network: CollectiveNetwork>(_ network: Network, count n: Int) -> (plan: RingPlan, bound: FlowBottleneck)
  {
    var best: (plan: RingPlan, bound: FlowBottleneck)?
    for plan in ringPlans(network, count: n) {
      let bound = network.bestBottleneck(of: plan.stepTransfers)
      if let current = best, !isFaster(bound, than: current.bound) { continue }
      best = (plan, bound)
    }
    var chosen = best!
    if chosen.bound.secondsPerUnit > network.ringStepLowerBoundSecondsPerUnit() * (1 + 1e-9),
      let packed = network.packRings(count: n), isFaster(packed.bound, than: chosen.bound)
    {
      chosen = packed
    }
    return chosen
  }

  /// Ring plans NCCL could build:
  /// - one ring along each candidate order (`candidateOrders`);
  /// - the same ring plus its reverse, half the data each: rings in both directions use both
  ///   directions of full-duplex links;
  /// - for a group over several nodes, one channel per GPU of the largest node share, each
  ///   rotating every node's GPUs so that the rings leave and enter the nodes at different
  ///   GPUs (and so through different NICs), as NCCL spreads its channels over the NICs;
  ///   also with their reverses.
  func ringPlans<Network: CollectiveNetwork>(_ network: Network, count n: Int) -> [RingPlan] {
    var plans: [RingPlan] = []
    for order in candidateOrders(network, count: n) {
      plans.append(RingPlan(channels: [order]))
      if n > 2 { plans.append(RingPlan(channels: [order, order.reversed()])) }
    }
    var blocks: [[Int]] = []
    var blockOfNode: [Int: Int] = [:]
    for position in 0..<n {
      let node = cluster.nodeOfGPU[network.clusterGPU(position)]
      if let index = blockOfNode[node] {
        blocks[index].append(position)
      } else {
        blockOfNode[node] = blocks.count
        blocks.append([position])
      }
    }
    let widest = blocks.map(\.count).max() ?? 1
    if blocks.count > 1 && widest > 1 {
      let rotated = (0..<widest).map { shift in
        blocks.flatMap { block in (0..<block.count).map { block[($0 + shift) % block.count] } }
      }
      plans.append(RingPlan(channels: rotated))
      plans.append(RingPlan(channels: rotated + rotated.map { $0.reversed() }))
    }
    return plans
  }

  /// Ring orders worth trying, as group positions, without repeats: as given; grouped by node
  /// (stable); greedy nearest neighbour from the first GPU, each hop to the member at the
  /// smallest effective resistance (electrical distance; ties: the lower position).
  func candidateOrders<Network: CollectiveNetwork>(_ network: Network, count n: Int) -> [[Int]] {
    let given = Array(0..<n)
    var orders = [given]
    let node = given.map { cluster.nodeOfGPU[network.clusterGPU($0)] }
    let byNode = given.sorted { (node[$0], $0) < (node[$1], $1) }
    if byNode != given { orders.append(byNode) }
    if n > 3 {  // with three or fewer GPUs every ring is the same cycle up to direction
      var greedy = [0]
      var used = [Bool](repeating: false, count: n)
      used[0] = true
      for _ in 1..<n {
        let from = greedy[greedy.count - 1]
        var next = -1
        var nextCost = Double.infinity
        for to in 0..<n where !used[to] {
          let seconds = network.effectiveResistance(from: from, to: to)
          if next < 0 || seconds < nextCost * (1 - 1e-9) {
            next = to
            nextCost = seconds
          }
        }
        used[next] = true
        greedy.append(next)
      }
      if !orders.contains(greedy) { orders.append(greedy) }
    }
    return orders
  }

  /// Strictly faster in bandwidth (beyond round-off), or equal and lower in latency.
  func isFaster(_ a: FlowBottleneck, than b: FlowBottleneck) -> Bool {
    let tolerance = 1e-9 * max(a.secondsPerUnit, b.secondsPerUnit)
    if a.secondsPerUnit < b.secondsPerUnit - tolerance { return true }
    if a.secondsPerUnit > b.secondsPerUnit + tolerance { return false }
    return a.latencySeconds < b.latencySeconds * (1 - 1e-9)
  }
}

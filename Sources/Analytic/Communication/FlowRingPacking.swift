/// Ring packing: several rings (channels) fitted into the link capacities one after another,
/// each taking bandwidth the previous ones left, the way NCCL's topology search builds its
/// channels (it searches rings at a target bandwidth, subtracts what each ring uses from every
/// link it crosses, and searches again). This finds rings through cross links that no single
/// order uses, e.g. on a 4-GPU ring with diagonals.
extension FlowNetwork {
  /// A lower bound on the seconds per unit of a ring step (every member sends one unit to
  /// the next): no routing can beat
  /// - a member's own links (it sends one unit and receives one): full-duplex links count in
  ///   each direction, half-duplex links once for both;
  /// - a node's links to the rest (when the group spans several nodes, every ring leaves
  ///   each node and enters it at least once per step).
  func ringStepLowerBoundSecondsPerUnit() -> Double {
    var bound = 0.0
    for vertex in memberVertex {
      var full = 0.0
      var half = 0.0
      for index in adjacency[vertex] {
        if edges[index].halfDuplex { half += edges[index].bytesPerSecond } else { full += edges[index].bytesPerSecond }
      }
      bound = max(bound, 1 / (full + half), 2 / (2 * full + half))
    }
    let nodes = Set(memberNode)
    if nodes.count > 1 {
      for node in nodes {
        var full = 0.0
        var half = 0.0
        for edge in edges where (vertexNode[edge.a] == node) != (vertexNode[edge.b] == node) {
          if edge.halfDuplex { half += edge.bytesPerSecond } else { full += edge.bytesPerSecond }
        }
        bound = max(bound, 1 / (full + half), 2 / (2 * full + half))
      }
    }
    return bound
  }

  /// Rings packed greedily into the residual capacities. Each round builds one ring from
  /// member 0, hopping to the unvisited member reachable over the widest residual path (ties:
  /// lower latency, lower position), then closes it; the ring gets the bandwidth its busiest
  /// residual link allows, at most a quarter of the widest link so later rounds can mix in
  /// other rings. Rounds stop when no ring fits or after `4 n` rounds (at most 64). Each hop is
  /// routed on the single path it was found on. Returns nil if no ring fits at all.
  func packRings(count n: Int) -> (plan: RingPlan, bound: FlowBottleneck)? {
    let edgeCount = edges.count
    guard edgeCount > 0, n >= 2 else { return nil }
    // Directed pools: 2e is a → b, 2e + 1 is b → a; a half-duplex link has only pool 2e.
    @inline(__always) func pool(_ e: Int, _ forward: Bool) -> Int { edges[e].halfDuplex || forward ? 2 * e : 2 * e + 1 }
    var capacity = [Double](repeating: 0, count: 2 * edgeCount)
    for (e, edge) in edges.enumerated() {
      capacity[2 * e] = edge.bytesPerSecond
      if !edge.halfDuplex { capacity[2 * e + 1] = edge.bytesPerSecond }
    }
    var remaining = capacity
    let widestLink = edges.map(\.bytesPerSecond).max() ?? 0
    let quantum = widestLink / 4
    let negligible = 1e-9 * widestLink
    var orders: [[Int]] = []
    var amounts: [Double] = []
    var latency = 0.0
    var use = [Double](repeating: 0, count: 2 * edgeCount)
    for _ in 0..<min(4 * n, 64) {
      for p in use.indices { use[p] = 0 }
      var order = [0]
      var visited = [Bool](repeating: false, count: n)
      visited[0] = true
      var current = 0
      var ringLatency = 0.0
      var complete = true
      for hop in 0..<n {
        // Residual widest paths from here, in each domain a hop from here may use.
        let source = memberVertex[current]
        var trees: [Int: WidestTree] = [:]
        func tree(to member: Int) -> WidestTree {
          let domain = domainIndex(current, member)
          if let known = trees[domain] { return known }
          let computed = residualWidestTree(
            from: source, remaining: remaining, pool: pool, negligible: negligible, edgeMask: domains[domain].edgeMask)
          trees[domain] = computed
          return computed
        }
        var next = -1
        var nextWidth = 0.0
        var nextLatency = Double.infinity
        for candidate in (hop == n - 1 ? [0] : Array(0..<n)) where hop == n - 1 || !visited[candidate] {
          let reach = tree(to: candidate)
          let v = memberVertex[candidate]
          let width = reach.bytesPerSecond[v]
          guard width > negligible else { continue }
          if next < 0 || width > nextWidth || (width == nextWidth && reach.latencySeconds[v] < nextLatency) {
            next = candidate
            nextWidth = width
            nextLatency = reach.latencySeconds[v]
          }
        }
        guard next >= 0 else {
          complete = false
          break
        }
        // Walk the hop's path back from its end, counting each pool it draws on.
        let path = tree(to: next)
        var v = memberVertex[next]
        while v != source {
          let index = path.via[v]
          let edge = edges[index]
          let from = edge.a == v ? edge.b : edge.a
          use[pool(index, edge.a == from)] += 1
          v = from
        }
        ringLatency = max(ringLatency, nextLatency)
        if hop < n - 1 {
          visited[next] = true
          order.append(next)
        }
        current = next
      }
      if !complete { break }
      var rate = Double.infinity
      for p in use.indices where use[p] > 0 { rate = min(rate, remaining[p] / use[p]) }
      guard rate.isFinite, rate > negligible else { break }
      let amount = min(rate, quantum)
      for p in use.indices where use[p] > 0 { remaining[p] = max(0, remaining[p] - amount * use[p]) }
      if let existing = orders.firstIndex(of: order) {
        amounts[existing] += amount
      } else {
        orders.append(order)
        amounts.append(amount)
      }
      latency = max(latency, ringLatency)
    }
    let total = amounts.reduce(0, +)
    guard total > 0 else { return nil }
    // Per unit of a ring step every pool carries (capacity − remaining) / total.
    var bound = FlowBottleneck(
      secondsPerUnit: 0, edge: -1, forward: true, load: 0, latencySeconds: latency, routing: .singlePath)
    for p in capacity.indices where capacity[p] > 0 {
      let load = (capacity[p] - remaining[p]) / total
      let seconds = load / edges[p / 2].bytesPerSecond
      if seconds > bound.secondsPerUnit {
        bound.secondsPerUnit = seconds
        bound.edge = p / 2
        bound.forward = p % 2 == 0
        bound.load = load
      }
    }
    return (RingPlan(channels: orders, shares: amounts.map { $0 / total }), bound)
  }

  /// Widest paths from `source` over residual directed capacities (pools with less than
  /// `negligible` left are closed), on the edges of `edgeMask`.
  func residualWidestTree(
    from source: Int, remaining: [Double], pool: (Int, Bool) -> Int, negligible: Double, edgeMask: [Bool]
  ) -> WidestTree {
    FlowNetwork.widestTree(from: source, edges: edges, adjacency: adjacency, edgeMask: edgeMask) { index, forward in
      let left = remaining[pool(index, forward)]
      return left <= negligible ? 0 : left
    }
  }
}

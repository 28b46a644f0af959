import PlanCore

/// A group spread over many identical nodes, costed from one two-node solve instead of the
/// whole graph: what `FlowNetwork` would answer for the group, at a cost linear in its size.
///
/// Why it is exact. When relabelling nodes is an automorphism of the cluster (`NodeSymmetry`)
/// and each node's part of the group network (its switches and member GPUs) touches the
/// network between nodes at one vertex only (one InfiniBand switch or spine, as in DGX
/// clusters on one fabric), that vertex is a cut vertex, and nodes holding the same GPUs of the
/// group (as local indices: the node's pattern; whole nodes, perhaps one partial node) are
/// interchangeable. Then
/// - the electrical flow of a transfer between two nodes runs only inside those two nodes and
///   through the shared vertex (no current enters a third node: it would have to leave through
///   the vertex it came in by), and a transfer inside a node stays in that node;
/// - the widest single path between two nodes runs through the shared vertex likewise, and
///   its choice inside each node does not depend on which two nodes they are.
/// So every transfer's per-link flows, latency and effective resistance are those of the same
/// transfer on two representative nodes of the same patterns, solved once (a `FlowNetwork` of
/// 2 nodes per pair of patterns); a set of
/// transfers loads each node's links with the sum of its transfers' shares. A step's busiest
/// link is then found over k nodes × links per node, O(transfers · links per node + k · links
/// per node) instead of a Laplacian solve of the whole group (O(V³)).
///
/// Ring packing (`packRings`) is not offered: on such groups the node-rotated channels reach
/// the ring step's lower bound, and when they do not, the plain plans stand.
struct NodeAggregateNetwork: CollectiveNetwork {
  /// Cluster GPU of each member, the rank of its node among the group's nodes (by first
  /// appearance), and its local index in the node.
  let members: [Int]
  let memberSlot: [Int]
  let memberLocal: [Int]
  /// Cluster node of each slot.
  let slotNode: [Int]
  /// Links per node, and per position in `NodeSymmetry.nodeLinks` order: bandwidth, duplex.
  let linksPerNode: Int
  let linkBytesPerSecond: [Double]
  let linkHalfDuplex: [Bool]
  let nodeLinks: [[Int]]
  let linkFlipped: [Bool]
  /// The set of local indices the group holds in a node is the node's pattern; nodes of one
  /// pattern are interchangeable. `slotPattern[slot]`, and `patternCount` patterns.
  let slotPattern: [Int]
  let patternCount: Int
  /// Unit transfers from local p to local q (`localCount` = 1 + the largest local index):
  /// inside a node of pattern a at `(a · L + p) · L + q` with L = `localCount`, and from a
  /// node of pattern a to one of pattern b at `((P + a · P + b) · L + p) · L + q`, P =
  /// `patternCount`. Flows are sparse lists of (link position, flow along the shared direction).
  let localCount: Int
  let transfers: [Transfer]
  /// Each transfer's effective resistance, flat (the greedy ring order reads it n² times).
  let resistance: [Double]
  let ringStepLowerBound: Double
  let relaysThroughOtherGPUs: Bool

  /// One transfer's effect, per routing.
  struct Transfer {
    /// Electrical flow on the source node's links and on the destination node's (the latter
    /// empty inside a node), and its flow-weighted latency and energy.
    var electricalSource: [(Int, Double)] = []
    var electricalDestination: [(Int, Double)] = []
    var electricalLatencySeconds = 0.0
    var resistance = 0.0
    /// The widest single path: (link position, along the shared direction) on each side.
    var pathSource: [(Int, Bool)] = []
    var pathDestination: [(Int, Bool)] = []
    var pathLatencySeconds = 0.0
  }

  /// Nil when the group or the cluster lacks the structure above (then the caller solves the
  /// whole network).
  init?(cluster: Cluster, adjacency: [[Int]], nodeOfVertex: [Int?], symmetry: NodeSymmetry, members: [Int]) throws {
    var slotOfNode: [Int: Int] = [:]
    var slotNode: [Int] = []
    var memberSlot: [Int] = []
    var locals: [[Int]] = []
    for gpu in members {
      let node = cluster.nodeOfGPU[gpu]
      let slot: Int
      if let known = slotOfNode[node] {
        slot = known
      } else {
        slot = slotNode.count
        slotOfNode[node] = slot
        slotNode.append(node)
        locals.append([])
      }
      memberSlot.append(slot)
      locals[slot].append(symmetry.localIndex[gpu])
    }
    guard slotNode.count >= 2 else { return nil }
    var patternOf: [[Int]: Int] = [:]
    var slotPattern: [Int] = []
    var representatives: [[Int]] = []  // up to two nodes of each pattern
    for (slot, held) in locals.enumerated() {
      let key = held.sorted()
      let pattern = patternOf[key] ?? representatives.count
      if pattern == representatives.count {
        patternOf[key] = pattern
        representatives.append([])
      }
      slotPattern.append(pattern)
      if representatives[pattern].count < 2 { representatives[pattern].append(slotNode[slot]) }
    }
    let patternCount = representatives.count
    // Few patterns are expected (whole nodes, perhaps one partial node); past that, solve whole.
    guard patternCount <= 4 else { return nil }
    let heldLocals = patternOf.sorted { $0.value < $1.value }.map(\.key)
    let localCount = (heldLocals.compactMap(\.last).max() ?? 0) + 1
    let flipped = symmetry.linkFlipped
    let linksPerNode = symmetry.nodeLinks[slotNode[0]].count
    var transfers = [Transfer?](
      repeating: nil, count: (patternCount + patternCount * patternCount) * localCount * localCount)
    var ringStepLowerBound = 0.0
    /// Solves nodes `nodeA` (pattern a) and `nodeB` (pattern b) together and records the
    /// transfers inside each and from A to B (and B to A).
    func record(_ nodeA: Int, _ a: Int, _ nodeB: Int, _ b: Int) throws -> Bool {
      let pair = members.filter { cluster.nodeOfGPU[$0] == nodeA } + members.filter { cluster.nodeOfGPU[$0] == nodeB }
      var position = [[Int]](repeating: [Int](repeating: -1, count: localCount), count: 2)
      for (index, gpu) in pair.enumerated() {
        position[cluster.nodeOfGPU[gpu] == nodeA ? 0 : 1][symmetry.localIndex[gpu]] = index
      }
      let network = try FlowNetwork.build(
        cluster: cluster, adjacency: adjacency, nodeOfVertex: nodeOfVertex, members: pair)
      guard !network.relaysThroughOtherGPUs else { return false }
      // Each node must touch the network between nodes at one vertex.
      for node in [nodeA, nodeB] {
        var attachments = Set<Int>()
        for edge in network.edges {
          let (nodeOfA, nodeOfB) = (network.vertexNode[edge.a], network.vertexNode[edge.b])
          if nodeOfA == node && nodeOfB < 0 { attachments.insert(edge.b) }
          if nodeOfB == node && nodeOfA < 0 { attachments.insert(edge.a) }
        }
        guard attachments.count == 1 else { return false }
      }
      var positionOfLink: [Int: (node: Int, position: Int)] = [:]
      for node in [nodeA, nodeB] {
        for (place, link) in symmetry.nodeLinks[node].enumerated() { positionOfLink[link] = (node, place) }
      }
      /// A per-edge vector of the pair's network as the source and destination nodes' sparse
      /// lists (shared direction); nil if anything flows outside the two nodes.
      func split(_ flow: [Double], source: Int) -> (source: [(Int, Double)], destination: [(Int, Double)])? {
        var (onSource, onDestination): ([(Int, Double)], [(Int, Double)]) = ([], [])
        for (e, value) in flow.enumerated() where value != 0 {
          let link = network.edges[e].clusterLink
          guard let place = positionOfLink[link] else {
            // Round-off on a dead-end link between shared vertices is no flow; more is.
            if abs(value) < 1e-12 { continue }
            return nil
          }
          let oriented = flipped[link] ? -value : value
          if place.node == source {
            onSource.append((place.position, oriented))
          } else {
            onDestination.append((place.position, oriented))
          }
        }
        return (onSource, onDestination)
      }
      func path(from k: Int, to l: Int, source: Int) -> (source: [(Int, Bool)], destination: [(Int, Bool)])? {
        var (onSource, onDestination): ([(Int, Bool)], [(Int, Bool)]) = ([], [])
        var outside = false
        network.forEachWidestPathEdge(from: k, to: l) { e, forward in
          let link = network.edges[e].clusterLink
          guard let place = positionOfLink[link] else {
            outside = true
            return
          }
          let along = forward != flipped[link]
          if place.node == source {
            onSource.append((place.position, along))
          } else {
            onDestination.append((place.position, along))
          }
        }
        return outside ? nil : (onSource.reversed(), onDestination.reversed())
      }
      func transfer(_ k: Int, _ l: Int, source: Int) -> Transfer? {
        let domain = network.domains[network.domainIndex(k, l)]
        let flow = zip(domain.memberFlow[k], domain.memberFlow[l]).map { $0 - $1 }
        guard let electrical = split(flow, source: source), let widest = path(from: k, to: l, source: source) else {
          return nil
        }
        return Transfer(
          electricalSource: electrical.source, electricalDestination: electrical.destination,
          electricalLatencySeconds: network.latencySeconds(from: k, to: l, routing: .electrical),
          resistance: network.effectiveResistance(from: k, to: l), pathSource: widest.source,
          pathDestination: widest.destination,
          pathLatencySeconds: network.latencySeconds(from: k, to: l, routing: .singlePath))
      }
      let sides = [(nodeA, a, heldLocals[a], 0), (nodeB, b, heldLocals[b], 1)]
      for (node, pattern, held, side) in sides {
        for p in held {
          for q in held where p != q {
            let index = (pattern * localCount + p) * localCount + q
            guard transfers[index] == nil else { continue }
            guard let found = transfer(position[side][p], position[side][q], source: node) else { return false }
            transfers[index] = found
          }
        }
      }
      for (from, to) in [(sides[0], sides[1]), (sides[1], sides[0])] {
        for p in from.2 {
          for q in to.2 {
            let index = ((patternCount + from.1 * patternCount + to.1) * localCount + p) * localCount + q
            guard transfers[index] == nil else { continue }
            guard let found = transfer(position[from.3][p], position[to.3][q], source: from.0) else { return false }
            transfers[index] = found
          }
        }
      }
      // Every member and node of the group has its twin in one of the pairs solved.
      ringStepLowerBound = max(ringStepLowerBound, network.ringStepLowerBoundSecondsPerUnit())
      return true
    }
    for a in 0..<patternCount {
      // Two nodes of one pattern, when there are two; and one of each other pattern.
      if representatives[a].count == 2 {
        guard try record(representatives[a][0], a, representatives[a][1], a) else { return nil }
      }
      for b in (a + 1)..<patternCount {
        guard try record(representatives[a][0], a, representatives[b][0], b) else { return nil }
      }
    }
    if patternCount == 1 && representatives[0].count < 2 { return nil }
    self.members = members
    self.memberSlot = memberSlot
    self.memberLocal = members.map { symmetry.localIndex[$0] }
    self.slotNode = slotNode
    self.linksPerNode = linksPerNode
    self.linkBytesPerSecond = symmetry.nodeLinks[slotNode[0]].map { cluster.links[$0].bytesPerSecond }
    self.linkHalfDuplex = symmetry.nodeLinks[slotNode[0]].map { cluster.links[$0].duplex == .half }
    self.nodeLinks = symmetry.nodeLinks
    self.linkFlipped = flipped
    self.slotPattern = slotPattern
    self.patternCount = patternCount
    self.localCount = localCount
    // Pairs that no two members form stay empty.
    self.transfers = transfers.map { $0 ?? Transfer() }
    self.resistance = self.transfers.map(\.resistance)
    self.ringStepLowerBound = ringStepLowerBound
    self.relaysThroughOtherGPUs = false
  }

  /// Index into `transfers` of member k → member l.
  @inline(__always)
  func transferIndex(_ k: Int, _ l: Int) -> Int {
    let (a, b) = (slotPattern[memberSlot[k]], slotPattern[memberSlot[l]])
    let table = memberSlot[k] == memberSlot[l] ? a : patternCount + a * patternCount + b
    return (table * localCount + memberLocal[k]) * localCount + memberLocal[l]
  }

  @inline(__always)
  func transfer(_ k: Int, _ l: Int) -> Transfer { transfers[transferIndex(k, l)] }

  func clusterGPU(_ k: Int) -> Int { members[k] }

  func clusterLink(ofEdge edge: Int) -> Int { nodeLinks[slotNode[edge / linksPerNode]][edge % linksPerNode] }

  func latencySeconds(from k: Int, to l: Int, routing: FlowRouting) -> Double {
    routing == .electrical ? transfer(k, l).electricalLatencySeconds : transfer(k, l).pathLatencySeconds
  }

  func effectiveResistance(from k: Int, to l: Int) -> Double { resistance[transferIndex(k, l)] }

  func ringStepLowerBoundSecondsPerUnit() -> Double { ringStepLowerBound }

  func packRings(count n: Int) -> (plan: RingPlan, bound: FlowBottleneck)? { nil }

  /// As `FlowNetwork.bottleneck(of:routing:)`: loads per link direction summed over the
  /// transfers, the busiest (lowest cluster link index on ties) bounds the step.
  func bottleneck(of transfers: [FlowTransfer], routing: FlowRouting) -> FlowBottleneck {
    let count = slotNode.count * linksPerNode
    // Along and against each link's shared direction.
    var along = [Double](repeating: 0, count: count)
    var against = [Double](repeating: 0, count: count)
    var latency = 0.0
    for item in transfers where item.weight > 0 && item.from != item.to {
      let effect = transfer(item.from, item.to)
      let sourceBase = memberSlot[item.from] * linksPerNode
      let destinationBase = memberSlot[item.to] * linksPerNode
      switch routing {
      case .electrical:
        for (position, unit) in effect.electricalSource {
          let flow = unit * item.weight
          if flow > 0 { along[sourceBase + position] += flow } else { against[sourceBase + position] -= flow }
        }
        for (position, unit) in effect.electricalDestination {
          let flow = unit * item.weight
          if flow > 0 { along[destinationBase + position] += flow } else { against[destinationBase + position] -= flow }
        }
        latency = max(latency, effect.electricalLatencySeconds)
      case .singlePath:
        for (position, forward) in effect.pathSource {
          if forward {
            along[sourceBase + position] += item.weight
          } else {
            against[sourceBase + position] += item.weight
          }
        }
        for (position, forward) in effect.pathDestination {
          if forward {
            along[destinationBase + position] += item.weight
          } else {
            against[destinationBase + position] += item.weight
          }
        }
        latency = max(latency, effect.pathLatencySeconds)
      }
    }
    var result = FlowBottleneck(
      secondsPerUnit: 0, edge: -1, forward: true, load: 0, latencySeconds: latency, routing: routing)
    var resultLink = Int.max
    for index in 0..<count {
      let position = index % linksPerNode
      let load = linkHalfDuplex[position] ? along[index] + against[index] : max(along[index], against[index])
      let seconds = load / linkBytesPerSecond[position]
      guard seconds > 0, seconds >= result.secondsPerUnit else { continue }
      let link = nodeLinks[slotNode[index / linksPerNode]][position]
      guard seconds > result.secondsPerUnit || link < resultLink else { continue }
      result.secondsPerUnit = seconds
      result.edge = index
      // In the link's own a → b terms, as `FlowNetwork` reports it (ties count as forward).
      result.forward = along[index] == against[index] ? true : (along[index] > against[index]) != linkFlipped[link]
      result.load = load
      resultLink = link
    }
    return result
  }
}

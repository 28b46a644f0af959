import PlanCore

/// A group spread over many identical nodes, costed from one two-node solve instead of the
/// whole graph: what `FlowNetwork` would answer for the group, at a cost linear in its size.
///
/// Why it is exact. When relabelling nodes is an automorphism of the cluster (`NodeSymmetry`),
/// every node of the group holds the same GPUs of the group (as local indices), and each node's
/// part of the group network (its switches and member GPUs) touches the network between nodes
/// at one vertex only (one InfiniBand switch or spine, as in DGX clusters on one fabric), that
/// vertex is a cut vertex. Then
/// - the electrical flow of a transfer between two nodes runs only inside those two nodes and
///   through the shared vertex (no current enters a third node: it would have to leave through
///   the vertex it came in by), and a transfer inside a node stays in that node;
/// - the widest single path between two nodes runs through the shared vertex likewise, and
///   its choice inside each node does not depend on which two nodes they are.
/// So every transfer's per-link flows, latency and effective resistance are those of the same
/// transfer on two representative nodes, solved once (a `FlowNetwork` of 2 nodes); a set of
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
  /// Per ordered pair of local indices (p, q), `pair = p · localCount + q`: the unit transfer
  /// from local p to local q inside one node, and from local p in one node to local q in
  /// another. Flows are sparse lists of (link position, flow along the shared direction).
  let localCount: Int
  let intra: [Transfer]
  let inter: [Transfer]
  /// Effective resistance per pair, intra-node pairs first then inter-node pairs (the greedy
  /// ring order reads it n² times, so it is kept flat).
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
    let pattern = locals[0].sorted()
    for slot in 1..<locals.count where locals[slot].sorted() != pattern { return nil }
    let localCount = (pattern.last ?? 0) + 1
    // Two representative nodes: the group's first two, each with its members in group order.
    let (nodeA, nodeB) = (slotNode[0], slotNode[1])
    let pair = members.filter { cluster.nodeOfGPU[$0] == nodeA } + members.filter { cluster.nodeOfGPU[$0] == nodeB }
    var positionA = [Int](repeating: -1, count: localCount)
    var positionB = [Int](repeating: -1, count: localCount)
    for (position, gpu) in pair.enumerated() {
      if cluster.nodeOfGPU[gpu] == nodeA {
        positionA[symmetry.localIndex[gpu]] = position
      } else {
        positionB[symmetry.localIndex[gpu]] = position
      }
    }
    let network = try FlowNetwork.build(
      cluster: cluster, adjacency: adjacency, nodeOfVertex: nodeOfVertex, members: pair)
    guard !network.relaysThroughOtherGPUs else { return nil }
    // Each node must touch the network between nodes at one vertex, and no flow may run on
    // links between nodes' shared vertices.
    var attachments = Set<Int>()
    for edge in network.edges {
      let (nodeOfA, nodeOfB) = (network.vertexNode[edge.a], network.vertexNode[edge.b])
      if nodeOfA == nodeA && nodeOfB < 0 { attachments.insert(edge.b) }
      if nodeOfB == nodeA && nodeOfA < 0 { attachments.insert(edge.a) }
    }
    guard attachments.count == 1 else { return nil }
    // Position of each cluster link in its node's shared order.
    let linksPerNode = symmetry.nodeLinks[nodeA].count
    var positionOfLink: [Int: (node: Int, position: Int)] = [:]
    for node in [nodeA, nodeB] {
      for (position, link) in symmetry.nodeLinks[node].enumerated() { positionOfLink[link] = (node, position) }
    }
    let flipped = symmetry.linkFlipped
    /// Splits a per-edge vector of the two-node network into the source and destination nodes'
    /// sparse lists (shared direction); nil if anything flows outside the two nodes.
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
    var intra = [Transfer](repeating: Transfer(), count: localCount * localCount)
    var inter = [Transfer](repeating: Transfer(), count: localCount * localCount)
    for p in pattern {
      for q in pattern {
        let k = positionA[p]
        for (into, l, sameNode) in [(0, positionA[q], true), (1, positionB[q], false)] where !(sameNode && p == q) {
          let domain = network.domains[network.domainIndex(k, l)]
          let flow = zip(domain.memberFlow[k], domain.memberFlow[l]).map { $0 - $1 }
          guard let electrical = split(flow, source: nodeA), let widest = path(from: k, to: l, source: nodeA) else {
            return nil
          }
          let transfer = Transfer(
            electricalSource: electrical.source, electricalDestination: electrical.destination,
            electricalLatencySeconds: network.latencySeconds(from: k, to: l, routing: .electrical),
            resistance: network.effectiveResistance(from: k, to: l), pathSource: widest.source,
            pathDestination: widest.destination,
            pathLatencySeconds: network.latencySeconds(from: k, to: l, routing: .singlePath))
          if into == 0 { intra[p * localCount + q] = transfer } else { inter[p * localCount + q] = transfer }
        }
      }
    }
    self.members = members
    self.memberSlot = memberSlot
    self.memberLocal = members.map { symmetry.localIndex[$0] }
    self.slotNode = slotNode
    self.linksPerNode = linksPerNode
    self.linkBytesPerSecond = symmetry.nodeLinks[nodeA].map { cluster.links[$0].bytesPerSecond }
    self.linkHalfDuplex = symmetry.nodeLinks[nodeA].map { cluster.links[$0].duplex == .half }
    self.nodeLinks = symmetry.nodeLinks
    self.linkFlipped = flipped
    self.localCount = localCount
    self.intra = intra
    self.inter = inter
    self.resistance = intra.map(\.resistance) + inter.map(\.resistance)
    // Every member and every node sees the same links as on two nodes.
    self.ringStepLowerBound = network.ringStepLowerBoundSecondsPerUnit()
    self.relaysThroughOtherGPUs = false
  }

  @inline(__always)
  func transfer(_ k: Int, _ l: Int) -> Transfer {
    let index = memberLocal[k] * localCount + memberLocal[l]
    return memberSlot[k] == memberSlot[l] ? intra[index] : inter[index]
  }

  func clusterGPU(_ k: Int) -> Int { members[k] }

  func clusterLink(ofEdge edge: Int) -> Int { nodeLinks[slotNode[edge / linksPerNode]][edge % linksPerNode] }

  func latencySeconds(from k: Int, to l: Int, routing: FlowRouting) -> Double {
    routing == .electrical ? transfer(k, l).electricalLatencySeconds : transfer(k, l).pathLatencySeconds
  }

  func effectiveResistance(from k: Int, to l: Int) -> Double {
    let index = memberLocal[k] * localCount + memberLocal[l]
    return resistance[memberSlot[k] == memberSlot[l] ? index : localCount * localCount + index]
  }

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

  /// As `FlowNetwork.bestBottleneck(of:)`.
  func bestBottleneck(of transfers: [FlowTransfer]) -> FlowBottleneck {
    let electrical = bottleneck(of: transfers, routing: .electrical)
    let single = bottleneck(of: transfers, routing: .singlePath)
    let tolerance = 1e-12 * max(electrical.secondsPerUnit, single.secondsPerUnit)
    if single.secondsPerUnit < electrical.secondsPerUnit - tolerance { return single }
    if electrical.secondsPerUnit < single.secondsPerUnit - tolerance { return electrical }
    return single.latencySeconds < electrical.latencySeconds ? single : electrical
  }
}

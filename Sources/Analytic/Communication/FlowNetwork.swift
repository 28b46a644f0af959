import LinearAlgebra
import PlanCore

/// How the traffic of one transfer is spread over the network.
public enum FlowRouting: String, Sendable, Hashable, Codable {
  /// Split over every path like current in a resistor network whose conductances are the link
  /// bandwidths (the solution of the weighted Laplacian system `L φ = b`).
  case electrical
  /// All of it on the widest single path (largest bottleneck bandwidth, then lowest latency).
  case singlePath = "single_path"
}

/// The part of a cluster one communicator's traffic may cross, solved as an electrical network.
///
/// Which vertices may forward traffic (transit rules):
/// - switches (NVSwitch, PCIe and InfiniBand switches) and the GPUs of the communicator
///   itself. A GPU is not a router, and one outside the group runs none of the group's
///   kernels, so it cannot relay the group's data (NCCL relays only through ranks of the
///   communicator). Only when the members are joined through nothing else do we let other
///   GPUs relay, and say so (`relaysThroughOtherGPUs`);
/// - traffic between two GPUs of the same node stays on that node's own fabric (its GPUs of
///   the group and its switches) when that fabric joins them: NCCL moves intra-node data over
///   NVLink/PCIe peer-to-peer, not out through a NIC and back.
/// Each such domain (the whole group network, and each node's fabric) is one solved network.
///
/// Electrical model: one unit of current enters at GPU `s` and leaves at GPU `t`; with the
/// Laplacian `L` (conductance = link bytes/s) and one vertex grounded, `L φ = e_s − e_t` gives
/// potentials and each link carries `g (φ_a − φ_b)`. We factor each domain's grounded
/// Laplacian once (LAPACK LU through `solve(_:columns:)`) for all members' unit injections
/// `e_k` at once; any demand's flow is then a difference of two stored flow vectors, O(links).
struct FlowNetwork: Sendable {
  struct Edge: Sendable {
    /// Local vertex indices; positive flow runs a → b.
    var a: Int
    var b: Int
    var bytesPerSecond: Double
    var latencySeconds: Double
    var halfDuplex: Bool
    /// Index into `Cluster.links`.
    var clusterLink: Int
  }

  /// One solved sub-network.
  struct Domain: Sendable {
    /// Which edges of the network belong to it.
    let edgeMask: [Bool]
    /// `memberFlow[k][e]`: current on edge e (a → b positive) when one unit enters at member
    /// k and leaves at the domain's grounded vertex (zero for members outside the domain).
    /// Demand k → l is `memberFlow[k] − memberFlow[l]`.
    let memberFlow: [[Double]]
    /// Widest-path tree from each member inside the domain (single-path routing).
    let widest: [WidestTree]
  }

  /// Cluster vertex of each local vertex.
  let clusterVertex: [Int]
  let edges: [Edge]
  /// Local vertex → indices of the edges touching it.
  let adjacency: [[Int]]
  /// Member k (position in the group as given) → local vertex.
  let memberVertex: [Int]
  /// Domain 0 is the whole network; `domainOfNode[node]` is the domain of traffic inside a
  /// node (0 when the node's own fabric does not join its members).
  let domains: [Domain]
  let memberNode: [Int]
  let domainOfNode: [Int]
  /// Node of each local vertex (-1: the network between nodes).
  let vertexNode: [Int]
  /// True when the members could only be joined through GPUs outside the group.
  let relaysThroughOtherGPUs: Bool

  /// The domain a transfer k → l is routed in.
  @inline(__always)
  func domainIndex(_ k: Int, _ l: Int) -> Int {
    let node = memberNode[k]
    return node == memberNode[l] && node >= 0 && node < domainOfNode.count ? domainOfNode[node] : 0
  }

  /// Builds and solves the network for `members` (distinct, valid GPU indices, at least two).
  static func build(
    cluster: Cluster, adjacency clusterAdjacency: [[Int]], nodeOfVertex: [Int?], members: [Int]
  ) throws -> FlowNetwork {
    for (index, link) in cluster.links.enumerated() {
      guard link.a >= 0, link.b >= 0, link.a < cluster.vertexCount, link.b < cluster.vertexCount, link.a != link.b
      else { throw CommError("link \(index) of cluster \(cluster.name) has invalid endpoints (\(link.a), \(link.b))") }
      guard link.bytesPerSecond.isFinite, link.bytesPerSecond > 0 else {
        throw CommError(
          "link \(index) of cluster \(cluster.name) has bandwidth \(link.bytesPerSecond) B/s; it must be positive")
      }
      guard link.latencySeconds.isFinite, link.latencySeconds >= 0 else {
        throw CommError("link \(index) of cluster \(cluster.name) has latency \(link.latencySeconds) s; it must be ≥ 0")
      }
    }
    guard cluster.nodeOfGPU.count == cluster.gpuCount,
      cluster.nodeOfGPU.allSatisfy({ $0 >= 0 && $0 < cluster.nodeCount })
    else { throw CommError("cluster \(cluster.name) does not give every GPU a valid node") }
    let memberSet = Set(members)
    let memberNodes = Set(members.map { cluster.nodeOfGPU[$0] })
    var component: [Bool]
    var relayed = false
    // A group inside one node first tries that node's own fabric (it never needs the NICs).
    if memberNodes.count == 1, let node = memberNodes.first {
      component = reachable(from: members[0], cluster: cluster, adjacency: clusterAdjacency) {
        nodeOfVertex[$0] == node && ($0 >= cluster.gpuCount || memberSet.contains($0))
      }
      if !members.allSatisfy({ component[$0] }) {
        component = reachable(from: members[0], cluster: cluster, adjacency: clusterAdjacency) {
          $0 >= cluster.gpuCount || memberSet.contains($0)
        }
      }
    } else {
      component = reachable(from: members[0], cluster: cluster, adjacency: clusterAdjacency) {
        $0 >= cluster.gpuCount || memberSet.contains($0)
      }
    }
    if !members.allSatisfy({ component[$0] }) {
      component = reachable(from: members[0], cluster: cluster, adjacency: clusterAdjacency) { _ in true }
      let cut = members.filter { !component[$0] }
      guard cut.isEmpty else {
        let names = cut.map { cluster.vertexNames[$0] }.joined(separator: ", ")
        throw CommError(
          "no path joins \(names) to \(cluster.vertexNames[members[0]]) in cluster \(cluster.name): the graph is "
            + "disconnected, so its Laplacian is singular and no flow between them exists")
      }
      relayed = true
    }

    var local = [Int](repeating: -1, count: cluster.vertexCount)
    var clusterVertex: [Int] = []
    for v in 0..<cluster.vertexCount where component[v] {
      local[v] = clusterVertex.count
      clusterVertex.append(v)
    }
    var edges: [Edge] = []
    for (index, link) in cluster.links.enumerated() where component[link.a] && component[link.b] {
      edges.append(
        Edge(
          a: local[link.a], b: local[link.b], bytesPerSecond: link.bytesPerSecond,
          latencySeconds: link.latencySeconds, halfDuplex: link.duplex == .half, clusterLink: index))
    }
    let m = clusterVertex.count
    var adjacency = [[Int]](repeating: [], count: m)
    for (index, edge) in edges.enumerated() {
      adjacency[edge.a].append(index)
      adjacency[edge.b].append(index)
    }
    let memberVertex = members.map { local[$0] }
    let context = "GPUs \(members) in cluster \(cluster.name)"

    var domains = [
      try solveDomain(
        vertexMask: [Bool](repeating: true, count: m), edges: edges, adjacency: adjacency, memberVertex: memberVertex,
        context: context)
    ]
    // Node fabrics: the node's switches and its members, if they join its members.
    let memberNode = members.map { cluster.nodeOfGPU[$0] }
    var domainOfNode = [Int](repeating: 0, count: cluster.nodeCount)
    let vertexNode = nodeOfVertex
    for node in 0..<cluster.nodeCount where memberNode.filter({ $0 == node }).count >= 2 {
      let inside = (0..<m).map { v -> Bool in
        let c = clusterVertex[v]
        return vertexNode[c] == node && (c >= cluster.gpuCount || memberSet.contains(c))
      }
      let first = memberVertex[memberNode.firstIndex(of: node)!]
      var reached = [Bool](repeating: false, count: m)
      reached[first] = true
      var stack = [first]
      while let u = stack.popLast() {
        for index in adjacency[u] {
          let v = edges[index].a == u ? edges[index].b : edges[index].a
          if inside[v] && !reached[v] {
            reached[v] = true
            stack.append(v)
          }
        }
      }
      let joined = zip(memberVertex, memberNode).allSatisfy { vertex, n in n != node || reached[vertex] }
      // A node fabric that is the whole network already needs no second solution.
      guard joined, reached.contains(false) else { continue }
      domainOfNode[node] = domains.count
      domains.append(
        try solveDomain(
          vertexMask: reached, edges: edges, adjacency: adjacency, memberVertex: memberVertex, context: context))
    }
    return FlowNetwork(
      clusterVertex: clusterVertex, edges: edges, adjacency: adjacency, memberVertex: memberVertex, domains: domains,
      memberNode: memberNode, domainOfNode: domainOfNode, vertexNode: clusterVertex.map { vertexNode[$0] ?? -1 },
      relaysThroughOtherGPUs: relayed)
  }

  /// Solves the connected sub-network on the vertices of `vertexMask`.
  static func solveDomain(
    vertexMask: [Bool], edges: [Edge], adjacency: [[Int]], memberVertex: [Int], context: String
  ) throws -> Domain {
    let vertices = vertexMask.indices.filter { vertexMask[$0] }
    var sub = [Int](repeating: -1, count: vertexMask.count)
    for (i, v) in vertices.enumerated() { sub[v] = i }
    let edgeMask = edges.map { vertexMask[$0.a] && vertexMask[$0.b] }
    // Ground the last vertex (a switch when there is one, since switches follow GPUs).
    // Conductances are scaled by the widest link so entries are O(1); currents do not
    // depend on that scale.
    let size = vertices.count - 1
    let ground = vertices.count - 1
    let widest = zip(edges, edgeMask).filter(\.1).map(\.0.bytesPerSecond).max() ?? 1
    var laplacian = Matrix(rows: size, columns: size)
    for (edge, inside) in zip(edges, edgeMask) where inside {
      let g = edge.bytesPerSecond / widest
      let (a, b) = (sub[edge.a], sub[edge.b])
      if a != ground { laplacian[a, a] += g }
      if b != ground { laplacian[b, b] += g }
      if a != ground && b != ground {
        laplacian[a, b] -= g
        laplacian[b, a] -= g
      }
    }
    let injected = Array(Set(memberVertex.filter { vertexMask[$0] && sub[$0] != ground })).sorted()
    var flowOfVertex: [Int: [Double]] = [:]
    if size > 0 && !injected.isEmpty {
      let columns = injected.map { vertex -> [Double] in
        var column = [Double](repeating: 0, count: size)
        column[sub[vertex]] = 1
        return column
      }
      let potentials: [[Double]]
      do {
        potentials = try solve(laplacian, columns: columns)
      } catch let error as LinearAlgebraError {
        throw CommError(
          "the flow network of \(context) is numerically singular (\(error)); its link bandwidths span too many "
            + "orders of magnitude")
      }
      for (column, vertex) in injected.enumerated() {
        let phi = potentials[column]
        flowOfVertex[vertex] = zip(edges, edgeMask).map { edge, inside in
          guard inside else { return 0 }
          let (a, b) = (sub[edge.a], sub[edge.b])
          return edge.bytesPerSecond / widest * ((a == ground ? 0 : phi[a]) - (b == ground ? 0 : phi[b]))
        }
      }
    }
    let zero = [Double](repeating: 0, count: edges.count)
    let none = WidestTree(via: [], bytesPerSecond: [], latencySeconds: [])
    return Domain(
      edgeMask: edgeMask, memberFlow: memberVertex.map { flowOfVertex[$0] ?? zero },
      widest: memberVertex.map {
        vertexMask[$0] ? widestTree(from: $0, edges: edges, adjacency: adjacency, edgeMask: edgeMask) : none
      })
  }

  /// Cluster GPU index of member k.
  func clusterGPU(_ k: Int) -> Int { clusterVertex[memberVertex[k]] }

  /// Cluster vertices reachable from `start` through vertices that `mayEnter` allows.
  static func reachable(
    from start: Int, cluster: Cluster, adjacency: [[Int]], mayEnter: (Int) -> Bool
  ) -> [Bool] {
    var seen = [Bool](repeating: false, count: cluster.vertexCount)
    seen[start] = true
    var stack = [start]
    while let vertex = stack.popLast() {
      for index in adjacency[vertex] {
        let link = cluster.links[index]
        let other = link.a == vertex ? link.b : link.a
        guard other >= 0, other < cluster.vertexCount, !seen[other], mayEnter(other) else { continue }
        seen[other] = true
        stack.append(other)
      }
    }
    return seen
  }

  /// Widest-path tree from one source: for every local vertex, the edge it is reached by,
  /// and the path's bottleneck bandwidth and latency.
  struct WidestTree: Sendable {
    var via: [Int]
    var bytesPerSecond: [Double]
    var latencySeconds: [Double]
  }

  /// Widest paths from `source` to every vertex (a Dijkstra variant, O(V²)): the largest
  /// bottleneck bandwidth, ties broken by the lower latency.
  static func widestTree(from source: Int, edges: [Edge], adjacency: [[Int]], edgeMask: [Bool]) -> WidestTree {
    widestTree(from: source, edges: edges, adjacency: adjacency, edgeMask: edgeMask) { index, _ in
      edges[index].bytesPerSecond
    }
  }

  /// The same search over any per-direction capacity (`capacity(edge, forward)`, forward =
  /// the edge's a → b); a direction with capacity ≤ 0 is closed.
  static func widestTree(
    from source: Int, edges: [Edge], adjacency: [[Int]], edgeMask: [Bool], capacity: (Int, Bool) -> Double
  ) -> WidestTree {
    let m = adjacency.count
    var width = [Double](repeating: 0, count: m)
    var latency = [Double](repeating: .infinity, count: m)
    var via = [Int](repeating: -1, count: m)
    var done = [Bool](repeating: false, count: m)
    width[source] = .infinity
    latency[source] = 0
    while true {
      var u = -1
      for v in 0..<m where !done[v] && width[v] > 0 {
        if u < 0 || width[v] > width[u] || (width[v] == width[u] && latency[v] < latency[u]) { u = v }
      }
      if u < 0 { break }
      done[u] = true
      for index in adjacency[u] where edgeMask[index] {
        let edge = edges[index]
        let forward = edge.a == u
        let v = forward ? edge.b : edge.a
        let open = capacity(index, forward)
        if done[v] || open <= 0 { continue }
        let w = min(width[u], open)
        let t = latency[u] + edge.latencySeconds
        if w > width[v] || (w == width[v] && t < latency[v]) {
          width[v] = w
          latency[v] = t
          via[v] = index
        }
      }
    }
    return WidestTree(via: via, bytesPerSecond: width, latencySeconds: latency)
  }

  /// Calls `body(edge, forward)` for each edge of the widest path from member k to member l
  /// (forward = the edge's a → b), from l back to k.
  @inline(__always)
  func forEachWidestPathEdge(from k: Int, to l: Int, _ body: (Int, Bool) -> Void) {
    let tree = domains[domainIndex(k, l)].widest[k]
    let source = memberVertex[k]
    var v = memberVertex[l]
    while v != source {
      let index = tree.via[v]
      let edge = edges[index]
      let from = edge.a == v ? edge.b : edge.a
      body(index, edge.a == from)
      v = from
    }
  }

  /// Path latency of transfer k → l: the widest path's latency, or for the electrical flow the
  /// flow-weighted mean `Σ_e |f_e| ℓ_e` over its paths.
  func latencySeconds(from k: Int, to l: Int, routing: FlowRouting) -> Double {
    switch routing {
    case .electrical:
      let domain = domains[domainIndex(k, l)]
      let fk = domain.memberFlow[k]
      let fl = domain.memberFlow[l]
      var total = 0.0
      for e in edges.indices { total += abs(fk[e] - fl[e]) * edges[e].latencySeconds }
      return total
    case .singlePath:
      return domains[domainIndex(k, l)].widest[k].latencySeconds[memberVertex[l]]
    }
  }

  /// Effective resistance between members k and l (energy of a unit flow, Σ f²/bandwidth, in
  /// s/B up to one common scale): the electrical distance, small for short, wide, parallel
  /// routes. Greedy ring orders hop to the nearest member by it.
  func effectiveResistance(from k: Int, to l: Int) -> Double {
    let domain = domains[domainIndex(k, l)]
    let fk = domain.memberFlow[k]
    let fl = domain.memberFlow[l]
    var energy = 0.0
    for e in edges.indices {
      let f = fk[e] - fl[e]
      energy += f * f / edges[e].bytesPerSecond
    }
    return energy
  }

  /// Seconds per byte of a lone transfer k → l under `routing`: the busiest link's load
  /// over its bandwidth.
  func loneSecondsPerByte(from k: Int, to l: Int, routing: FlowRouting) -> Double {
    switch routing {
    case .electrical:
      var worst = 0.0
      let domain = domains[domainIndex(k, l)]
      let fk = domain.memberFlow[k]
      let fl = domain.memberFlow[l]
      for e in edges.indices { worst = max(worst, abs(fk[e] - fl[e]) / edges[e].bytesPerSecond) }
      return worst
    case .singlePath:
      return 1 / domains[domainIndex(k, l)].widest[k].bytesPerSecond[memberVertex[l]]
    }
  }
}

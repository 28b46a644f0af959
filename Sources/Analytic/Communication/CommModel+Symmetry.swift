import Foundation
import PlanCore

/// Node symmetry of a cluster, so that collective curves computed for one group serve every
/// group of the same shape (a TP group on GPUs 0–7 of node 0 costs what one on node 37 does).
///
/// Sound only when relabelling nodes is an automorphism of the topology: every node has the
/// same GPUs, the same internal switches and links (bandwidth, latency, duplex), and the same
/// links to the same global switches, and no link joins two nodes directly. Then a group's
/// cost depends only on its canonical form: each GPU written as (rank of its node in order of
/// first appearance in the group, its index inside the node). Clusters that are not symmetric
/// get no canonical form and every group is costed on its own.
struct NodeSymmetry: Sendable {
  /// Index of each GPU inside its node.
  let localIndex: [Int]
  let nodeOfGPU: [Int]
  /// S when GPU i sits in node i / S for every i (nodes of S GPUs numbered one after the
  /// other): then a block of consecutive GPUs starting at `a` has a shape fixed by `a mod S`.
  let consecutiveNodeSize: Int?
  /// Each node's links (indices into `Cluster.links`) in one order shared by all nodes: the
  /// i-th link of every node plays the same part (sorted by the signature below, then index).
  let nodeLinks: [[Int]]
  /// For each cluster link, whether its a → b runs against the shared order's direction
  /// (from the lesser endpoint token to the greater one); false for links between nodes.
  let linkFlipped: [Bool]

  init?(cluster: Cluster, nodeOfVertex: [Int?]) {
    guard cluster.nodeCount > 1 else { return nil }
    var local = [Int](repeating: 0, count: cluster.gpuCount)
    var seen = [Int](repeating: 0, count: cluster.nodeCount)
    for gpu in 0..<cluster.gpuCount {
      let node = cluster.nodeOfGPU[gpu]
      local[gpu] = seen[node]
      seen[node] += 1
    }
    // A vertex's name relative to its node: "g3" for a GPU, "s:<suffix>" for a node switch,
    // "G:<name>" for a global vertex.
    func token(_ vertex: Int) -> String {
      if vertex < cluster.gpuCount { return "g\(local[vertex])" }
      if let node = nodeOfVertex[vertex] {
        let prefix = cluster.nodeNames[node] + "/"
        let name = cluster.vertexNames[vertex]
        return "s:" + (name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name)
      }
      return "G:" + cluster.vertexNames[vertex]
    }
    var signatures = [[(signature: String, link: Int)]](repeating: [], count: cluster.nodeCount)
    var flipped = [Bool](repeating: false, count: cluster.links.count)
    for (index, link) in cluster.links.enumerated() {
      guard link.a >= 0, link.b >= 0, link.a < nodeOfVertex.count, link.b < nodeOfVertex.count else { return nil }
      let nodeA = nodeOfVertex[link.a]
      let nodeB = nodeOfVertex[link.b]
      if let nodeA, let nodeB, nodeA != nodeB { return nil }  // a direct node-to-node link
      guard let node = nodeA ?? nodeB else { continue }  // global-to-global links are shared by all
      let (tokenA, tokenB) = (token(link.a), token(link.b))
      flipped[index] = tokenA > tokenB
      let ends = min(tokenA, tokenB) + "~" + max(tokenA, tokenB)
      signatures[node].append(
        ("\(ends)|\(link.bytesPerSecond)|\(link.latencySeconds)|\(link.duplex.rawValue)", index))
    }
    for node in signatures.indices { signatures[node].sort { ($0.signature, $0.link) < ($1.signature, $1.link) } }
    let first = signatures[0].map(\.signature)
    for node in 1..<cluster.nodeCount where !signatures[node].map(\.signature).elementsEqual(first) { return nil }
    nodeLinks = signatures.map { $0.map(\.link) }
    linkFlipped = flipped
    localIndex = local
    nodeOfGPU = cluster.nodeOfGPU
    let size = cluster.gpuCount / cluster.nodeCount
    consecutiveNodeSize =
      cluster.gpuCount % cluster.nodeCount == 0
        && (0..<cluster.gpuCount).allSatisfy { cluster.nodeOfGPU[$0] == $0 / size }
      ? size : nil
  }

  /// The group written as (node rank by first appearance, index in node), flattened.
  func canonical(_ gpus: [Int]) -> [Int] {
    var nodes: [Int] = []
    var result: [Int] = []
    result.reserveCapacity(gpus.count * 2)
    for gpu in gpus {
      let node = nodeOfGPU[gpu]
      let rank: Int
      if let found = nodes.firstIndex(of: node) {
        rank = found
      } else {
        rank = nodes.count
        nodes.append(node)
      }
      result.append(rank)
      result.append(localIndex[gpu])
    }
    return result
  }
}

/// Memo of algorithm curves keyed by a group's canonical form (see `NodeSymmetry`).
final class CanonicalCurveCache: @unchecked Sendable {
  struct Key: Hashable {
    var collective: Collective
    var shape: [Int]
  }

  static let capacity = 65_536
  private let lock = NSLock()
  private var entries: [Key: [CollectiveCostCurve]] = [:]

  func lookup(_ key: Key) -> [CollectiveCostCurve]? {
    lock.lock()
    defer { lock.unlock() }
    return entries[key]
  }

  func store(_ value: [CollectiveCostCurve], for key: Key) {
    lock.lock()
    defer { lock.unlock() }
    if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
    entries[key] = value
  }
}

import PlanCore

/// Where a layout's GPUs sit on the cluster, and what that costs in slow links.
public struct PlacementPlan: Sendable, Hashable, Codable {
  public var placement: Placement
  /// Some TP group spans two nodes (its all-reduces cross the slow inter-node links).
  public var tensorGroupsSpanNodes: Bool
  /// Pipeline hops (stage s → s+1, over all replicas) that leave a node.
  public var interNodeStageHops: Int
  /// Nodes holding at least one of the layout's GPUs.
  public var nodesUsed: Int
  /// One phrase for people: "1 node", "2 nodes, stages across nodes", ….
  public var summary: String
}

/// Places a layout's groups on the topology: TP groups inside the fastest domain (a node)
/// first, a replica's pipeline stages on one node when they fit, across nodes only when needed.
public enum TopologyPlacement {
  /// Greedy placement, deterministic:
  /// 1. A replica whose TP·PP GPUs fit on one node goes to the node with the fewest free GPUs
  ///    that still holds it (best fit keeps whole nodes free for larger replicas).
  /// 2. Otherwise stage by stage: the previous stage's node while it has room for a TP group,
  ///    else the node with the most free GPUs that holds one (so the next stages can follow).
  /// 3. A TP group larger than any node's free GPUs takes GPUs from the nodes with the most
  ///    free GPUs (flagged: its collectives cross nodes).
  /// 4. Expert-parallel layouts: the replicas of one EP group (`Layout.replicasPerExpertGroup`
  ///    consecutive replicas) go together to the node with the fewest free GPUs that holds them
  ///    all, so their all-to-alls stay on NVLink; when no node holds the group, replica by
  ///    replica as above (the summary then says "EP groups across nodes").
  /// Within a node GPUs are taken in index order. Ties go to the lower node index.
  ///
  /// - Complexity: O(nodes + GPUs placed · log nodes) for nodes of bounded size: nodes are kept
  ///   in buckets by free GPU count (`FreeNodes`), so a 4,096-replica layout does not scan
  ///   every node for every replica.
  /// - Throws: `PlannerError` when the cluster has fewer GPUs than the layout.
  public static func place(
    _ layout: Layout, on cluster: Cluster, index: PlacementIndex? = nil
  ) throws
    -> PlacementPlan
  {
    guard layout.totalGPUs <= cluster.gpuCount else {
      throw PlannerError("\(layout) needs \(layout.totalGPUs) GPUs; cluster \(cluster.name) has \(cluster.gpuCount)")
    }
    let index = index ?? PlacementIndex(cluster)
    let nodeCount = index.start.count - 1
    var next = index.start
    var nodes = index.freeNodes
    func take(_ count: Int, from node: Int) -> [Int] {
      let end = min(next[node] + count, index.start[node + 1])
      let chosen = Array(index.byNode[next[node]..<end])
      next[node] = end
      nodes.remove(chosen.count, from: node)
      return chosen
    }
    var tpSpans = false
    var gpus: [[[Int]]] = []
    gpus.reserveCapacity(layout.dp)
    let group = layout.replicasPerExpertGroup
    var groupNode: Int?
    for replica in 0..<layout.dp {
      let need = layout.gpusPerReplica
      if group > 1, replica % group == 0 { groupNode = nodes.fewestFree(atLeast: group * need) }
      var stages: [[Int]] = []
      if let node = groupNode.flatMap({ nodes.freeCount[$0] >= need ? $0 : nil }) ?? nodes.fewestFree(atLeast: need) {
        let block = take(need, from: node)
        for stage in 0..<layout.pp { stages.append(Array(block[(stage * layout.tp)..<((stage + 1) * layout.tp)])) }
      } else {
        var previous: Int?
        for _ in 0..<layout.pp {
          if let node = previous, nodes.freeCount[node] >= layout.tp {
            stages.append(take(layout.tp, from: node))
            continue
          }
          if let node = nodes.mostFree(atLeast: layout.tp) {
            stages.append(take(layout.tp, from: node))
            previous = node
          } else {
            tpSpans = true
            var group: [Int] = []
            while group.count < layout.tp, let node = nodes.mostFree(atLeast: 1) {
              group += take(layout.tp - group.count, from: node)
            }
            stages.append(group)
            previous = nil
          }
        }
      }
      gpus.append(stages)
    }
    // Sorted distinct nodes of a stage (a TP group spans few nodes).
    func nodesOf(_ stage: [Int]) -> [Int] {
      var result: [Int] = []
      for gpu in stage where !result.contains(cluster.nodeOfGPU[gpu]) { result.append(cluster.nodeOfGPU[gpu]) }
      return result.sorted()
    }
    var hops = 0
    var used = [Bool](repeating: false, count: nodeCount)
    var nodesUsed = 0
    for replica in gpus {
      var here = nodesOf(replica[0])
      for stage in replica.indices {
        for node in here where !used[node] {
          used[node] = true
          nodesUsed += 1
        }
        guard stage + 1 < replica.count else { break }
        let next = nodesOf(replica[stage + 1])
        if here != next || here.count > 1 { hops += 1 }
        here = next
      }
    }
    var summary = nodesUsed == 1 ? "1 node" : "\(nodesUsed) nodes"
    if tpSpans { summary += ", TP groups across nodes" } else if hops > 0 { summary += ", stages across nodes" }
    if group > 1, expertGroupsSpanNodes(gpus, group: group, cluster: cluster) { summary += ", EP groups across nodes" }
    return PlacementPlan(
      placement: Placement(gpus: gpus), tensorGroupsSpanNodes: tpSpans, interNodeStageHops: hops,
      nodesUsed: nodesUsed, summary: summary)
  }
}

extension TopologyPlacement {
  /// Whether some stage of some EP group (`group` consecutive replicas) has GPUs on two nodes.
  static func expertGroupsSpanNodes(_ gpus: [[[Int]]], group: Int, cluster: Cluster) -> Bool {
    stride(from: 0, to: gpus.count, by: group).contains { first in
      let members = gpus[first..<min(first + group, gpus.count)]
      return (0..<(members.first?.count ?? 0)).contains { stage in
        Set(members.flatMap { $0[stage] }.map { cluster.nodeOfGPU[$0] }).count > 1
      }
    }
  }
}

/// A cluster's GPUs grouped by node, computed once per cluster so that placing thousands of
/// layouts on a 100,000-GPU cluster does not regroup its GPUs for each (O(GPUs) each time).
public struct PlacementIndex: Sendable {
  /// GPUs by node in index order: node n holds `byNode[start[n]..<start[n + 1]]`.
  let byNode: [Int]
  let start: [Int]
  /// Every node with all its GPUs free.
  let freeNodes: FreeNodes

  public init(_ cluster: Cluster) {
    let nodeCount = max(cluster.nodeCount, 1)
    var start = [Int](repeating: 0, count: nodeCount + 1)
    for gpu in 0..<cluster.gpuCount { start[cluster.nodeOfGPU[gpu] + 1] += 1 }
    for node in 0..<nodeCount { start[node + 1] += start[node] }
    var next = Array(start.dropLast())
    var byNode = [Int](repeating: 0, count: cluster.gpuCount)
    for gpu in 0..<cluster.gpuCount {
      byNode[next[cluster.nodeOfGPU[gpu]]] = gpu
      next[cluster.nodeOfGPU[gpu]] += 1
    }
    self.byNode = byNode
    self.start = start
    freeNodes = FreeNodes(freeCounts: (0..<nodeCount).map { start[$0 + 1] - start[$0] })
  }
}

/// Nodes in buckets by free GPU count, each bucket sorted with the lowest node index last, so
/// the placement's best-fit and most-free choices cost O(distinct free counts + log nodes)
/// instead of a scan of every node.
struct FreeNodes: Sendable {
  private(set) var freeCount: [Int]
  /// `buckets[f]`: nodes with f free GPUs, in descending index order.
  private var buckets: [[Int]]

  init(freeCounts: [Int]) {
    freeCount = freeCounts
    buckets = [[Int]](repeating: [], count: (freeCounts.max() ?? 0) + 1)
    for node in freeCounts.indices.reversed() { buckets[freeCounts[node]].append(node) }
  }

  /// The node with the fewest free GPUs that still has `need` (lowest index on ties).
  func fewestFree(atLeast need: Int) -> Int? {
    guard need < buckets.count else { return nil }
    for count in max(need, 0)..<buckets.count where !buckets[count].isEmpty { return buckets[count].last }
    return nil
  }

  /// The node with the most free GPUs, if it has at least `need` (lowest index on ties).
  func mostFree(atLeast need: Int) -> Int? {
    for count in stride(from: buckets.count - 1, through: max(need, 0), by: -1) where !buckets[count].isEmpty {
      return buckets[count].last
    }
    return nil
  }

  /// Marks `count` more GPUs of `node` as taken.
  mutating func remove(_ count: Int, from node: Int) {
    guard count > 0 else { return }
    let old = freeCount[node]
    buckets[old].remove(at: Self.index(of: node, in: buckets[old]))
    let new = old - count
    freeCount[node] = new
    buckets[new].insert(node, at: Self.insertionIndex(of: node, in: buckets[new]))
  }

  /// Position of `node` in a descending bucket (binary search).
  private static func index(of node: Int, in bucket: [Int]) -> Int {
    let position = insertionIndex(of: node, in: bucket)
    return position
  }

  /// First position whose node is ≤ `node` in a descending bucket.
  private static func insertionIndex(of node: Int, in bucket: [Int]) -> Int {
    var (low, high) = (0, bucket.count)
    while low < high {
      let middle = (low + high) / 2
      if bucket[middle] > node { low = middle + 1 } else { high = middle }
    }
    return low
  }
}

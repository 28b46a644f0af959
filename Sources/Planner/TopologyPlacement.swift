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
  /// Within a node GPUs are taken in index order. Ties go to the lower node index.
  ///
  /// - Throws: `PlannerError` when the cluster has fewer GPUs than the layout.
  public static func place(_ layout: Layout, on cluster: Cluster) throws -> PlacementPlan {
    guard layout.totalGPUs <= cluster.gpuCount else {
      throw PlannerError("\(layout) needs \(layout.totalGPUs) GPUs; cluster \(cluster.name) has \(cluster.gpuCount)")
    }
    var free = [[Int]](repeating: [], count: max(cluster.nodeCount, 1))
    for gpu in 0..<cluster.gpuCount { free[cluster.nodeOfGPU[gpu]].append(gpu) }
    func take(_ count: Int, from node: Int) -> [Int] {
      let chosen = Array(free[node].prefix(count))
      free[node].removeFirst(chosen.count)
      return chosen
    }
    var tpSpans = false
    var gpus: [[[Int]]] = []
    for _ in 0..<layout.dp {
      let need = layout.gpusPerReplica
      var stages: [[Int]] = []
      let fitting = free.indices.filter { free[$0].count >= need }
      if let node = fitting.min(by: { (free[$0].count, $0) < (free[$1].count, $1) }) {
        let block = take(need, from: node)
        for stage in 0..<layout.pp { stages.append(Array(block[(stage * layout.tp)..<((stage + 1) * layout.tp)])) }
      } else {
        var previous: Int?
        for _ in 0..<layout.pp {
          if let node = previous, free[node].count >= layout.tp {
            stages.append(take(layout.tp, from: node))
            continue
          }
          let holding = free.indices.filter { free[$0].count >= layout.tp }
          if let node = holding.min(by: { (-free[$0].count, $0) < (-free[$1].count, $1) }) {
            stages.append(take(layout.tp, from: node))
            previous = node
          } else {
            tpSpans = true
            var group: [Int] = []
            while group.count < layout.tp {
              let node = free.indices.min(by: { (-free[$0].count, $0) < (-free[$1].count, $1) })!
              group += take(layout.tp - group.count, from: node)
            }
            stages.append(group)
            previous = nil
          }
        }
      }
      gpus.append(stages)
    }
    var hops = 0
    for replica in gpus where replica.count > 1 {
      for stage in 0..<(replica.count - 1) {
        let here = Set(replica[stage].map { cluster.nodeOfGPU[$0] })
        let next = Set(replica[stage + 1].map { cluster.nodeOfGPU[$0] })
        if here != next || here.count > 1 { hops += 1 }
      }
    }
    let nodes = Set(gpus.joined().joined().map { cluster.nodeOfGPU[$0] }).count
    var summary = nodes == 1 ? "1 node" : "\(nodes) nodes"
    if tpSpans { summary += ", TP groups across nodes" } else if hops > 0 { summary += ", stages across nodes" }
    return PlacementPlan(
      placement: Placement(gpus: gpus), tensorGroupsSpanNodes: tpSpans, interNodeStageHops: hops, nodesUsed: nodes,
      summary: summary)
  }
}

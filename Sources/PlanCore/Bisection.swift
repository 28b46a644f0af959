/// The narrowest balanced cut of a cluster's network.
///
/// Bisection bandwidth is the minimum, over all ways of splitting the GPUs into two halves of
/// equal size (sizes ⌊n/2⌋ and ⌈n/2⌉ when n is odd), of the bandwidth that can cross from one
/// half to the other: the maximum flow between the halves, which equals the minimum cut.
/// Switches belong to neither half: the flow may route through them, so the cut places each
/// switch on whichever side makes it cheapest. A link counts its per-direction bandwidth, so
/// the result is bytes per second in one direction.
public struct Bisection: Sendable, Hashable, Codable {
  /// Bytes per second that can cross the narrowest balanced cut in one direction.
  public var bytesPerSecond: Double
  /// GPU indices on one side of that cut (the other side is every other GPU).
  public var half: [Int]
  /// True when every balanced split of the GPUs was examined, so `bytesPerSecond` is the
  /// bisection bandwidth. False for large clusters, where only splits along node boundaries
  /// (or, failing those, GPUs in index order) were examined: then it is an upper bound.
  public var exhaustive: Bool

  public init(bytesPerSecond: Double, half: [Int], exhaustive: Bool) {
    self.bytesPerSecond = bytesPerSecond
    self.half = half
    self.exhaustive = exhaustive
  }
}

extension Cluster {
  /// Up to this many GPUs every balanced split is tried: C(16, 8)/2 = 6435 max-flow problems.
  public static let exhaustiveBisectionGPULimit = 16
  /// Up to this many nodes, larger clusters try every split along node boundaries.
  public static let nodeBisectionNodeLimit = 16

  /// Bisection bandwidth of the cluster (see `Bisection`), or nil with fewer than two GPUs.
  public func bisection() -> Bisection? {
    guard gpuCount >= 2 else { return nil }
    let network = BisectionNetwork(cluster: self)
    if gpuCount <= Self.exhaustiveBisectionGPULimit {
      return network.narrowest(of: balancedGPUSubsets(), exhaustive: true)
    }
    if nodeCount >= 2, nodeCount <= Self.nodeBisectionNodeLimit {
      return network.narrowest(of: balancedNodeSubsets(), exhaustive: false)
    }
    return network.narrowest(of: [Array(0..<(gpuCount / 2))], exhaustive: false)
  }

  /// Maximum flow, bytes/s in one direction, from the GPUs in `sources` to those in `sinks`,
  /// with every other vertex free to relay.
  public func maxFlowBytesPerSecond(from sources: [Int], to sinks: [Int]) -> Double {
    var network = BisectionNetwork(cluster: self)
    return network.flow(sources: Set(sources), sinks: Set(sinks))
  }

  /// Every set of ⌊n/2⌋ GPUs; when n is even, only those holding GPU 0, since a set and its
  /// complement describe the same split.
  func balancedGPUSubsets() -> [[Int]] {
    let size = gpuCount / 2
    var result: [[Int]] = []
    var chosen: [Int] = []
    func extend(from start: Int) {
      if chosen.count == size {
        result.append(chosen)
        return
      }
      let remaining = size - chosen.count
      guard start <= gpuCount - remaining else { return }
      for gpu in start...(gpuCount - remaining) {
        if gpuCount % 2 == 0, chosen.isEmpty, gpu != 0 { break }
        chosen.append(gpu)
        extend(from: gpu + 1)
        chosen.removeLast()
      }
    }
    extend(from: 0)
    return result
  }

  /// The GPU sets made of whole nodes whose size is as close to half the GPUs as node sizes allow.
  func balancedNodeSubsets() -> [[Int]] {
    let perNode = gpusPerNode
    var best = Int.max
    var masks: [Int] = []
    // Node 0 stays on the first side: a set and its complement are the same split.
    for mask in stride(from: 1, to: 1 << nodeCount, by: 2) where mask != (1 << nodeCount) - 1 {
      let count = (0..<nodeCount).reduce(0) { mask & (1 << $1) != 0 ? $0 + perNode[$1] : $0 }
      let imbalance = abs(2 * count - gpuCount)
      if imbalance < best {
        best = imbalance
        masks = [mask]
      } else if imbalance == best {
        masks.append(mask)
      }
    }
    return masks.map { mask in (0..<gpuCount).filter { mask & (1 << nodeOfGPU[$0]) != 0 } }
  }
}

/// A cluster's links as a flow network with a super-source and super-sink joined to every GPU;
/// choosing a split only changes which of those joins are open.
private struct BisectionNetwork {
  var network: FlowNetwork
  let source: Int
  let sink: Int
  let gpuCount: Int
  /// Edge indices of source→GPU and GPU→sink joins.
  var sourceEdges: [Int] = []
  var sinkEdges: [Int] = []
  /// Larger than any cut: the joins must never be the bottleneck.
  let unbounded: Double

  init(cluster: Cluster) {
    gpuCount = cluster.gpuCount
    source = cluster.vertexCount
    sink = cluster.vertexCount + 1
    network = FlowNetwork(vertexCount: cluster.vertexCount + 2)
    unbounded = 2 * cluster.links.reduce(0) { $0 + $1.bytesPerSecond } + 1
    for link in cluster.links {
      network.addEdge(link.a, link.b, capacity: link.bytesPerSecond)
    }
    for gpu in 0..<gpuCount {
      sourceEdges.append(network.addEdge(source, gpu, capacity: 0))
      sinkEdges.append(network.addEdge(gpu, sink, capacity: 0))
    }
  }

  mutating func flow(sources: Set<Int>, sinks: Set<Int>) -> Double {
    for gpu in 0..<gpuCount {
      network.setCapacity(edge: sourceEdges[gpu], sources.contains(gpu) ? unbounded : 0)
      network.setCapacity(edge: sinkEdges[gpu], sinks.contains(gpu) && !sources.contains(gpu) ? unbounded : 0)
    }
    return network.maxFlow(from: source, to: sink)
  }

  func narrowest(of halves: [[Int]], exhaustive: Bool) -> Bisection {
    var copy = self
    var best = Bisection(bytesPerSecond: .infinity, half: [], exhaustive: exhaustive)
    for half in halves {
      let sides = Set(half)
      let others = Set(0..<gpuCount).subtracting(sides)
      let value = copy.flow(sources: sides, sinks: others)
      if value < best.bytesPerSecond {
        best.bytesPerSecond = value
        best.half = half
      }
    }
    return best
  }
}

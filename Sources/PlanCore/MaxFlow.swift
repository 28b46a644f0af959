/// Maximum flow on an undirected capacitated graph (Dinic's algorithm), for cut questions on
/// a cluster's network. Capacities are in any unit (bytes/s here); an undirected edge of
/// capacity c may carry up to c in either direction, which is how a cut counts a link.
struct FlowNetwork {
  private(set) var vertexCount: Int
  /// Arc storage: arc `2k` and `2k+1` are the two directions of edge `k`.
  private var head: [Int]
  private var capacity: [Double]
  private var outgoing: [[Int]]

  init(vertexCount: Int) {
    self.vertexCount = vertexCount
    head = []
    capacity = []
    outgoing = [[Int]](repeating: [], count: vertexCount)
  }

  /// Adds an undirected edge and returns its index (for `setCapacity`).
  @discardableResult
  mutating func addEdge(_ a: Int, _ b: Int, capacity value: Double) -> Int {
    let edge = head.count / 2
    outgoing[a].append(head.count)
    head.append(b)
    capacity.append(value)
    outgoing[b].append(head.count)
    head.append(a)
    capacity.append(value)
    return edge
  }

  /// Changes an edge's capacity (both directions) before a `maxFlow` call.
  mutating func setCapacity(edge: Int, _ value: Double) {
    capacity[2 * edge] = value
    capacity[2 * edge + 1] = value
  }

  /// Value of a maximum flow from `source` to `sink`. Leaves `self` unchanged (works on a copy
  /// of the capacities), so one network serves many source/sink choices.
  func maxFlow(from source: Int, to sink: Int) -> Double {
    guard source != sink else { return 0 }
    var residual = capacity
    let largest = capacity.max() ?? 0
    guard largest > 0 else { return 0 }
    // Residual capacities below this are rounding noise of earlier augmentations.
    let epsilon = largest * 1e-12
    var total = 0.0
    var level = [Int](repeating: -1, count: vertexCount)
    var nextArc = [Int](repeating: 0, count: vertexCount)
    var queue = [Int]()
    queue.reserveCapacity(vertexCount)

    func augment(_ vertex: Int, _ limit: Double) -> Double {
      if vertex == sink { return limit }
      while nextArc[vertex] < outgoing[vertex].count {
        let arc = outgoing[vertex][nextArc[vertex]]
        let next = head[arc]
        if residual[arc] > epsilon, level[next] == level[vertex] + 1 {
          let pushed = augment(next, min(limit, residual[arc]))
          if pushed > 0 {
            residual[arc] -= pushed
            residual[arc ^ 1] += pushed
            return pushed
          }
        }
        nextArc[vertex] += 1
      }
      return 0
    }

    while true {
      // Breadth-first levels over arcs with residual capacity.
      for index in level.indices { level[index] = -1 }
      level[source] = 0
      queue.removeAll(keepingCapacity: true)
      queue.append(source)
      var cursor = 0
      while cursor < queue.count {
        let vertex = queue[cursor]
        cursor += 1
        for arc in outgoing[vertex] where residual[arc] > epsilon && level[head[arc]] < 0 {
          level[head[arc]] = level[vertex] + 1
          queue.append(head[arc])
        }
      }
      guard level[sink] >= 0 else { return total }
      for index in nextArc.indices { nextArc[index] = 0 }
      while true {
        let pushed = augment(source, .infinity)
        guard pushed > 0 else { break }
        total += pushed
      }
    }
  }
}

import PlanCore

extension Cluster {
  /// Node of every vertex (nil for the network between nodes). GPUs: `nodeOfGPU`. A switch
  /// belongs to a node when its name is "<node>/…" (a switch declared inside the node in the
  /// cluster file, such as "node0/nvswitch"), or else when it touches only GPUs and all of
  /// them sit in that one node; any other switch (an InfiniBand switch, a spine) joins nodes.
  /// O(vertices + links): node names are looked up by each "/"-ended prefix of a switch name.
  var nodeOfVertex: [Int?] {
    var result = [Int?](repeating: nil, count: vertexCount)
    for gpu in 0..<min(gpuCount, nodeOfGPU.count, vertexCount) { result[gpu] = nodeOfGPU[gpu] }
    var neighbours = [[Int]](repeating: [], count: vertexCount)
    for link in links where link.a >= 0 && link.b >= 0 && link.a < vertexCount && link.b < vertexCount {
      neighbours[link.a].append(link.b)
      neighbours[link.b].append(link.a)
    }
    var nodeNamed: [Substring: Int] = [:]
    for (index, name) in nodeNames.enumerated().reversed() { nodeNamed[Substring(name)] = index }
    for vertex in gpuCount..<vertexCount {
      // The first node (in node order) whose name followed by "/" begins the switch's name.
      let name = vertexNames[vertex]
      var owner: Int?
      for slash in name.indices where name[slash] == "/" {
        if let node = nodeNamed[name[..<slash]], node < (owner ?? .max) { owner = node }
      }
      if let owner {
        result[vertex] = owner
        continue
      }
      let around = neighbours[vertex]
      guard !around.isEmpty, around.allSatisfy({ $0 < gpuCount }) else { continue }
      let nodes = Set(around.map { result[$0] })
      if nodes.count == 1, let node = nodes.first { result[vertex] = node }
    }
    return result
  }
}

import Foundation

extension Cluster {
  /// Link kinds a cluster file may name (for people and listings; the model uses only the
  /// bandwidth, latency and duplex of a link).
  public static let linkKinds: [String] = [
    "nvlink", "nvswitch", "pcie", "infiniband", "ethernet", "roce", "xgmi", "ici", "other",
  ]

  static let topLevelKeys: Set<String> = [
    "name", "display_name", "description", "gpu", "nodes", "switches", "links", "source", "note",
  ]
  static let nodeKeys: Set<String> = ["name", "gpus", "switches", "note"]
  static let linkKeys: Set<String> = ["from", "to", "bandwidth", "latency", "duplex", "kind", "note"]

  /// Reads `Models/clusters/NAME.json`:
  ///
  /// ```json
  /// { "name": "ring4-cross", "gpu": "a100-80gb-sxm",
  ///   "nodes": [{"name": "node0", "gpus": 4, "switches": ["nvswitch"]}],
  ///   "switches": ["ib-spine"],
  ///   "links": [{"from": "node0/gpu0", "to": "node0/gpu1", "bandwidth": "600 Gbit/s",
  ///              "latency": "1 us", "duplex": "full", "kind": "nvlink"}] }
  /// ```
  /// `from` may end in `gpu*` to mean every GPU of that node (one link each). Bandwidth is
  /// per direction. Optional top-level `display_name` and `description` are for people.
  ///
  /// Sizes are checked against `Plausibility` (GPUs, switches, links) before anything is
  /// allocated for them, and a pair of vertices may be linked once: a second link between the
  /// same pair is refused (write one link with the combined bandwidth). Loading is linear in
  /// the number of GPUs and links (hash lookups; `gpu*` expands over the node's own range).
  public static func load(from reader: FieldReader, name: String) throws -> Cluster {
    try reader.rejectUnknown(allowed: topLevelKeys)
    let nodes = try reader.objects("nodes")
    guard !nodes.isEmpty else { throw reader.error("nodes", "at least one node is required") }
    // Sizes first: count GPUs before creating a name for any of them.
    var gpusOfNode: [Int] = []
    gpusOfNode.reserveCapacity(nodes.count)
    var gpuCount = 0
    for node in nodes {
      try node.rejectUnknown(allowed: nodeKeys)
      let gpus = try node.count("gpus", Plausibility.nodeGPUs)
      gpuCount += gpus
      guard gpuCount <= Plausibility.clusterGPUs.upper else {
        throw node.error(
          "gpus",
          "the cluster's nodes hold more than \(PlausibleCount.grouped(Plausibility.clusterGPUs.upper)) GPUs "
            + "(the limit for \(Plausibility.clusterGPUs.quantity), \(Plausibility.clusterGPUs))")
      }
      gpusOfNode.append(gpus)
    }

    var vertexNames: [String] = []
    vertexNames.reserveCapacity(gpuCount)
    var nodeOfGPU: [Int] = []
    nodeOfGPU.reserveCapacity(gpuCount)
    var nodeNames: [String] = []
    var nodeIndex: [String: Int] = [:]
    var firstGPUOfNode: [Int] = []
    var switchNames: [String] = []
    for (index, node) in nodes.enumerated() {
      let nodeName = try node.string("name")
      guard nodeIndex[nodeName] == nil else { throw node.error("name", "duplicate node name \"\(nodeName)\"") }
      nodeIndex[nodeName] = index
      nodeNames.append(nodeName)
      firstGPUOfNode.append(vertexNames.count)
      for g in 0..<gpusOfNode[index] {
        vertexNames.append("\(nodeName)/gpu\(g)")
        nodeOfGPU.append(index)
      }
      if let switches = try node.optionalArray("switches") {
        for item in switches {
          guard let text = item as? String else { throw node.error("switches", "must be a list of names") }
          switchNames.append("\(nodeName)/\(text)")
        }
      }
    }
    if let switches = try reader.optionalArray("switches") {
      for item in switches {
        guard let text = item as? String else { throw reader.error("switches", "must be a list of names") }
        switchNames.append(text)
      }
    }
    guard Plausibility.clusterSwitches.contains(switchNames.count) else {
      throw reader.error(
        "switches",
        "\(switchNames.count) switches exceed the limit for \(Plausibility.clusterSwitches.quantity), "
          + "\(Plausibility.clusterSwitches)")
    }
    var index: [String: Int] = [:]
    index.reserveCapacity(vertexNames.count + switchNames.count)
    for (vertex, vertexName) in vertexNames.enumerated() { index[vertexName] = vertex }
    for switchName in switchNames {
      guard index[switchName] == nil else {
        throw reader.error("switches", "duplicate vertex \"\(switchName)\"")
      }
      index[switchName] = vertexNames.count
      vertexNames.append(switchName)
    }

    var links: [Link] = []
    /// The `links` entry that first joined each unordered pair of vertices.
    var firstEntryOfPair: [Int: Int] = [:]
    let vertexCount = vertexNames.count
    // A lone GPU needs no links; with several, the connectivity check below asks for them.
    let linkReaders = reader.has("links") ? try reader.objects("links") : []
    for (entry, link) in linkReaders.enumerated() {
      try link.rejectUnknown(allowed: linkKeys)
      let fromText = try link.string("from")
      let toText = try link.string("to")
      let froms: Range<Int>
      if fromText.hasSuffix("/gpu*") {
        let nodeName = String(fromText.dropLast(5))
        guard let node = nodeIndex[nodeName] else {
          throw link.error("from", "unknown node \"\(nodeName)\"")
        }
        froms = firstGPUOfNode[node]..<(firstGPUOfNode[node] + gpusOfNode[node])
      } else {
        guard let vertex = index[fromText] else {
          throw link.error("from", "unknown GPU or switch \"\(fromText)\" (GPUs are named like \"\(vertexNames[0])\")")
        }
        froms = vertex..<(vertex + 1)
      }
      guard let to = index[toText] else {
        throw link.error("to", "unknown GPU or switch \"\(toText)\" (GPUs are named like \"\(vertexNames[0])\")")
      }
      let bandwidth = try link.quantity("bandwidth", Plausibility.linkBandwidth)
      let latency = try link.optionalQuantity("latency", Plausibility.linkLatency) ?? 0
      let duplexText = try link.optionalString("duplex") ?? "full"
      guard let duplex = Duplex(rawValue: duplexText) else {
        throw link.error("duplex", "must be \"full\" or \"half\", found \"\(duplexText)\"")
      }
      let kind = try link.optionalString("kind") ?? ""
      guard kind.isEmpty || linkKinds.contains(kind) else {
        throw link.error("kind", "unknown link kind \"\(kind)\" (allowed: \(linkKinds.joined(separator: ", ")))")
      }
      guard links.count + froms.count <= Plausibility.clusterLinks.upper else {
        throw link.error(
          "from",
          "the cluster's links exceed the limit for \(Plausibility.clusterLinks.quantity), \(Plausibility.clusterLinks)"
        )
      }
      for from in froms {
        guard from != to else { throw link.error("to", "a link cannot join \"\(toText)\" to itself") }
        let pair = min(from, to) * vertexCount + max(from, to)
        if let earlier = firstEntryOfPair[pair] {
          throw link.error(
            "to",
            "\"\(vertexNames[from])\" and \"\(vertexNames[to])\" are already joined by links[\(earlier)]; "
              + "list each link once (one link with the combined bandwidth for parallel cables)")
        }
        firstEntryOfPair[pair] = entry
        links.append(
          Link(a: from, b: to, bytesPerSecond: bandwidth, latencySeconds: latency, duplex: duplex, kind: kind))
      }
    }
    let cluster = Cluster(
      name: name, displayName: try reader.optionalString("display_name") ?? name,
      summary: try reader.optionalString("description"), defaultGPU: try reader.optionalString("gpu"),
      vertexNames: vertexNames, gpuCount: gpuCount,
      nodeOfGPU: nodeOfGPU, nodeNames: nodeNames, links: links)
    if gpuCount > 1 {
      let connected = cluster.reachable(from: 0)
      if let lonely = (0..<gpuCount).first(where: { !connected.contains($0) }) {
        throw reader.error("links", "GPU \"\(vertexNames[lonely])\" is not connected to \"\(vertexNames[0])\"")
      }
    }
    return cluster
  }
}

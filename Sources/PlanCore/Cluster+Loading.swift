import Foundation

extension Cluster {
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
  public static func load(from reader: FieldReader, name: String) throws -> Cluster {
    var vertexNames: [String] = []
    var nodeOfGPU: [Int] = []
    var nodeNames: [String] = []
    var switchNames: [String] = []
    let nodes = try reader.objects("nodes")
    guard !nodes.isEmpty else { throw reader.error("nodes", "at least one node is required") }
    for (nodeIndex, node) in nodes.enumerated() {
      let nodeName = try node.string("name")
      guard !nodeNames.contains(nodeName) else { throw node.error("name", "duplicate node name \"\(nodeName)\"") }
      nodeNames.append(nodeName)
      let gpus = try node.positiveInt("gpus")
      for g in 0..<gpus {
        vertexNames.append("\(nodeName)/gpu\(g)")
        nodeOfGPU.append(nodeIndex)
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
    let gpuCount = vertexNames.count
    for switchName in switchNames {
      guard !vertexNames.contains(switchName) else {
        throw reader.error("switches", "duplicate vertex \"\(switchName)\"")
      }
      vertexNames.append(switchName)
    }
    let index = Dictionary(uniqueKeysWithValues: vertexNames.enumerated().map { ($1, $0) })

    var links: [Link] = []
    // A lone GPU needs no links; with several, the connectivity check below asks for them.
    let linkReaders = reader.has("links") ? try reader.objects("links") : []
    for link in linkReaders {
      let fromText = try link.string("from")
      let toText = try link.string("to")
      let froms: [Int]
      if fromText.hasSuffix("/gpu*") {
        let nodeName = String(fromText.dropLast(5))
        guard let nodeIndex = nodeNames.firstIndex(of: nodeName) else {
          throw link.error("from", "unknown node \"\(nodeName)\"")
        }
        froms = (0..<gpuCount).filter { nodeOfGPU[$0] == nodeIndex }
      } else {
        guard let vertex = index[fromText] else {
          throw link.error("from", "unknown GPU or switch \"\(fromText)\" (GPUs are named like \"\(vertexNames[0])\")")
        }
        froms = [vertex]
      }
      guard let to = index[toText] else {
        throw link.error("to", "unknown GPU or switch \"\(toText)\" (GPUs are named like \"\(vertexNames[0])\")")
      }
      let bandwidth = try link.quantity("bandwidth", parse: Units.bytesPerSecond)
      guard bandwidth > 0 else { throw link.error("bandwidth", "must be positive, found \(bandwidth) B/s") }
      let latency = try link.optionalQuantity("latency", parse: Units.seconds) ?? 0
      guard latency >= 0 else { throw link.error("latency", "must not be negative") }
      let duplexText = try link.optionalString("duplex") ?? "full"
      guard let duplex = Duplex(rawValue: duplexText) else {
        throw link.error("duplex", "must be \"full\" or \"half\", found \"\(duplexText)\"")
      }
      let kind = try link.optionalString("kind") ?? ""
      for from in froms {
        guard from != to else { throw link.error("to", "a link cannot join \"\(toText)\" to itself") }
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

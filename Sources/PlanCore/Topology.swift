import Foundation

/// A cluster's network as a graph: GPUs and switches are vertices, links are edges.
///
/// GPUs are vertices `0..<gpuCount` (in file order, node by node); switches follow. Link
/// bandwidth is per direction; a full-duplex link carries that much each way at once, a
/// half-duplex one shares it between the two directions.
public struct Cluster: Sendable, Hashable, Codable {
  public enum Duplex: String, Sendable, Codable { case full, half }

  public struct Link: Sendable, Hashable, Codable {
    public var a: Int
    public var b: Int
    public var bytesPerSecond: Double
    public var latencySeconds: Double
    public var duplex: Duplex
    /// Free-form kind for people ("nvlink", "pcie", "infiniband").
    public var kind: String

    public init(
      a: Int, b: Int, bytesPerSecond: Double, latencySeconds: Double, duplex: Duplex = .full, kind: String = ""
    ) {
      self.a = a
      self.b = b
      self.bytesPerSecond = bytesPerSecond
      self.latencySeconds = latencySeconds
      self.duplex = duplex
      self.kind = kind
    }
  }

  public var name: String
  public var displayName: String
  /// One or two sentences for people, from the file's `description` field.
  public var summary: String?
  /// Catalog name of the GPU this cluster is built from, if the file says.
  public var defaultGPU: String?
  /// Vertex names: GPUs first ("node0/gpu3"), then switches ("node0/nvswitch").
  public var vertexNames: [String]
  public var gpuCount: Int
  /// Node index of each GPU (GPUs in one node share its fast domain).
  public var nodeOfGPU: [Int]
  public var nodeNames: [String]
  public var links: [Link]

  public init(
    name: String, displayName: String? = nil, summary: String? = nil, defaultGPU: String? = nil,
    vertexNames: [String], gpuCount: Int, nodeOfGPU: [Int], nodeNames: [String], links: [Link]
  ) {
    self.name = name
    self.displayName = displayName ?? name
    self.summary = summary
    self.defaultGPU = defaultGPU
    self.vertexNames = vertexNames
    self.gpuCount = gpuCount
    self.nodeOfGPU = nodeOfGPU
    self.nodeNames = nodeNames
    self.links = links
  }

  public var vertexCount: Int { vertexNames.count }
  public var nodeCount: Int { nodeNames.count }
  public var gpusPerNode: [Int] {
    var counts = [Int](repeating: 0, count: nodeCount)
    for node in nodeOfGPU { counts[node] += 1 }
    return counts
  }

  /// Links touching each vertex (indices into `links`).
  public var adjacency: [[Int]] {
    var result = [[Int]](repeating: [], count: vertexCount)
    for (index, link) in links.enumerated() {
      result[link.a].append(index)
      result[link.b].append(index)
    }
    return result
  }

  /// Vertices reachable from `start` over links.
  public func reachable(from start: Int) -> Set<Int> {
    let adjacency = self.adjacency
    var seen: Set<Int> = [start]
    var stack = [start]
    while let vertex = stack.popLast() {
      for index in adjacency[vertex] {
        let link = links[index]
        let other = link.a == vertex ? link.b : link.a
        if seen.insert(other).inserted { stack.append(other) }
      }
    }
    return seen
  }
}

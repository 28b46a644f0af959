import PlanCore

extension Cluster {
  /// Bytes/s per direction assumed for a GPU whose spec names no intra-node link: PCIe 4.0 x16
  /// (16 GT/s × 16 lanes × 128/130 encoding ≈ 31.5 GB/s; we use 32 GB/s).
  public static let pcie4x16BytesPerSecond = 32e9

  /// The cluster `estimate` and `ops` use when none is given: enough 8-GPU nodes, DGX-style,
  /// for `gpuCount` GPUs. Inside a node every GPU links to one switch vertex at the GPU's
  /// intra-node link bandwidth (`GPUSpec.intraNodeLinkBytesPerSecond`, per direction; PCIe 4.0
  /// x16 when the spec names none), an ideal non-blocking NVSwitch. Between nodes every GPU has
  /// its own InfiniBand NIC to a non-blocking spine: 400 Gbit/s NDR when the intra-node link is
  /// NVLink 4 class (≥ 450 GB/s per direction, as in DGX H100), else 200 Gbit/s HDR (DGX A100).
  /// Link latencies are 0 inside a node (the efficiency profile's collective step latency
  /// carries the per-step cost) and 1 µs per InfiniBand hop (NIC plus switch port).
  public static func idealNodes(gpu: GPUSpec, gpuCount: Int) -> Cluster {
    let gpusPerNode = 8
    let nodes = max(1, (gpuCount + gpusPerNode - 1) / gpusPerNode)
    let link = gpu.intraNodeLinkBytesPerSecond ?? pcie4x16BytesPerSecond
    let linkKind = gpu.intraNodeLinkBytesPerSecond == nil ? "pcie" : "nvlink"
    let nicBytesPerSecond = link >= 450e9 ? 400e9 / 8 : 200e9 / 8
    var vertexNames: [String] = []
    var nodeOfGPU: [Int] = []
    var nodeNames: [String] = []
    for node in 0..<nodes {
      nodeNames.append("node\(node)")
      for g in 0..<gpusPerNode {
        vertexNames.append("node\(node)/gpu\(g)")
        nodeOfGPU.append(node)
      }
    }
    let gpus = vertexNames.count
    var links: [Cluster.Link] = []
    for node in 0..<nodes {
      let switchVertex = vertexNames.count
      vertexNames.append("node\(node)/switch")
      for g in 0..<gpusPerNode {
        links.append(
          Cluster.Link(
            a: node * gpusPerNode + g, b: switchVertex, bytesPerSecond: link, latencySeconds: 0, kind: linkKind))
      }
    }
    if nodes > 1 {
      let spine = vertexNames.count
      vertexNames.append("ib-spine")
      for g in 0..<gpus {
        links.append(
          Cluster.Link(a: g, b: spine, bytesPerSecond: nicBytesPerSecond, latencySeconds: 1e-6, kind: "infiniband"))
      }
    }
    let name = nodes == 1 ? "ideal-\(gpusPerNode)gpu-node" : "ideal-\(nodes)x\(gpusPerNode)gpu-nodes"
    return Cluster(
      name: name,
      displayName:
        "built-in: \(nodes) × \(gpusPerNode)-GPU \(linkKind == "nvlink" ? "NVSwitch" : "PCIe switch") node(s)",
      defaultGPU: gpu.name, vertexNames: vertexNames, gpuCount: gpus, nodeOfGPU: nodeOfGPU, nodeNames: nodeNames,
      links: links)
  }
}

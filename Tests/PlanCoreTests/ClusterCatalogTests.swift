import Testing

@testable import PlanCore

@Suite struct ClusterCatalogTests {
  @Test func catalogHoldsTheSevenClusters() {
    #expect(
      Fixtures.catalog.names(.cluster) == [
        "dgx-a100", "dgx-a100-2node-ib", "dgx-h100", "dgx-h100-2node-ib", "mi300x-8-mesh", "pcie4", "ring4-cross",
      ])
  }

  @Test func everyClusterNamesAnExistingGPUAndDescribesItself() throws {
    for cluster in try Fixtures.catalog.allClusters() {
      let gpu = try #require(cluster.defaultGPU)
      _ = try Fixtures.catalog.gpu(gpu)  // throws if the cluster names a GPU the catalog lacks
      #expect((cluster.summary ?? "").count > 20, "\(cluster.name) needs a description")
    }
  }

  @Test func dgxA100WildcardGivesOneLinkPerGPU() throws {
    let cluster = try Fixtures.catalog.cluster("dgx-a100")
    #expect(cluster.gpuCount == 8 && cluster.nodeCount == 1)
    // 8 GPUs + the node's NVSwitch vertex.
    #expect(cluster.vertexCount == 9)
    #expect(cluster.vertexNames.last == "node0/nvswitch")
    #expect(cluster.links.count == 8)
    let switchVertex = cluster.vertexCount - 1
    #expect(Set(cluster.links.map(\.a)) == Set(0..<8))
    #expect(
      cluster.links.allSatisfy { $0.b == switchVertex && $0.bytesPerSecond == 300e9 && $0.latencySeconds == 0.25e-6 })
  }

  @Test func ringWithCrossLinks() throws {
    let cluster = try Fixtures.catalog.cluster("ring4-cross")
    #expect(cluster.gpuCount == 4 && cluster.vertexCount == 4 && cluster.links.count == 6)
    func bandwidth(_ a: Int, _ b: Int) -> [Double] {
      cluster.links.filter { Set([$0.a, $0.b]) == Set([a, b]) }.map(\.bytesPerSecond)
    }
    // Ring links at 600 Gbit/s = 75e9 B/s, gpu3→gpu0 included; diagonals at 300 Gbit/s = 37.5e9 B/s.
    for (a, b) in [(0, 1), (1, 2), (2, 3), (3, 0)] { #expect(bandwidth(a, b) == [75e9]) }
    for (a, b) in [(0, 2), (1, 3)] { #expect(bandwidth(a, b) == [37.5e9]) }
  }

  @Test func pcieSwitch() throws {
    let cluster = try Fixtures.catalog.cluster("pcie4")
    try #require(cluster.gpuCount == 4 && cluster.links.count == 4)
    #expect(cluster.links.allSatisfy { $0.bytesPerSecond == 32e9 && $0.kind == "pcie" })
    // PCIe through a switch is slower to start than NVLink.
    let nvlink = try #require(try Fixtures.catalog.cluster("dgx-a100").links.first)
    #expect(cluster.links[0].latencySeconds > nvlink.latencySeconds)
  }

  @Test func twoNodesOverInfiniBand() throws {
    let cluster = try Fixtures.catalog.cluster("dgx-a100-2node-ib")
    #expect(cluster.gpuCount == 16 && cluster.nodeCount == 2)
    #expect(cluster.gpusPerNode == [8, 8])
    #expect(cluster.nodeOfGPU == Array(repeating: 0, count: 8) + Array(repeating: 1, count: 8))
    // 16 GPUs, two node switches and one global InfiniBand switch.
    #expect(cluster.vertexCount == 19)
    #expect(cluster.vertexNames[8] == "node1/gpu0")
    // 8 NVLink + 8 IB links per node.
    #expect(cluster.links.count == 32)
    let infiniband = cluster.links.filter { $0.kind == "infiniband" }
    #expect(infiniband.count == 16)
    // 200 Gbit/s per NIC = 25e9 B/s; 8 per node = 200e9 B/s out of each node.
    #expect(infiniband.allSatisfy { $0.bytesPerSecond == 25e9 })
  }
}

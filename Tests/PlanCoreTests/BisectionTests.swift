import Testing

@testable import PlanCore

@Suite struct BisectionTests {
  @Test func ringWithCrossLinks() throws {
    let cluster = try Fixtures.catalog.cluster("ring4-cross")
    // Ring links 75 GB/s (600 Gbit/s), diagonals 0–2 and 1–3 at 37.5 GB/s. The three balanced
    // splits of four GPUs:
    //   {0,1}|{2,3}: ring 1–2 and 3–0 + both diagonals = 75 + 75 + 37.5 + 37.5 = 225 GB/s
    //   {0,3}|{1,2}: ring 0–1 and 2–3 + both diagonals = 225 GB/s
    //   {0,2}|{1,3}: all four ring links, no diagonal  = 300 GB/s
    // The bisection is the narrowest: 225 GB/s per direction.
    let bisection = try #require(cluster.bisection())
    #expect(bisection.bytesPerSecond == 225e9)
    #expect(bisection.exhaustive)
    #expect(Set(bisection.half) == [0, 1] || Set(bisection.half) == [0, 3])
  }

  @Test func nvswitchNode() throws {
    // Four GPUs on each side; whichever side holds the switch, the four links of the other
    // side's GPUs are cut: 4 × 300 GB/s on DGX A100, 4 × 450 GB/s on DGX H100.
    #expect(try Fixtures.catalog.cluster("dgx-a100").bisection()?.bytesPerSecond == 1200e9)
    #expect(try Fixtures.catalog.cluster("dgx-h100").bisection()?.bytesPerSecond == 1800e9)
    // PCIe switch: 2 × 32 GB/s.
    #expect(try Fixtures.catalog.cluster("pcie4").bisection()?.bytesPerSecond == 64e9)
  }

  @Test func twoNodesAreSplitAtTheInfiniBand() throws {
    // Node against node: the IB switch joins one side, so the other node's 8 NICs are cut:
    // 8 × 25 GB/s = 200 GB/s. Any split through a node instead cuts ≥ 4 NVLink links of
    // 300 GB/s, far more.
    let bisection = try #require(try Fixtures.catalog.cluster("dgx-a100-2node-ib").bisection())
    #expect(bisection.bytesPerSecond == 200e9)
    #expect(Set(bisection.half) == Set(0..<8))
    #expect(bisection.exhaustive)
  }

  @Test func switchesRelayAndTheNarrowerHopLimits() {
    // gpu0 —10 GB/s— switch —20 GB/s— gpu1: the flow is limited by the 10 GB/s hop.
    let cluster = Cluster(
      name: "chain", vertexNames: ["n/gpu0", "n/gpu1", "n/sw"], gpuCount: 2, nodeOfGPU: [0, 0], nodeNames: ["n"],
      links: [
        .init(a: 0, b: 2, bytesPerSecond: 10e9, latencySeconds: 0),
        .init(a: 2, b: 1, bytesPerSecond: 20e9, latencySeconds: 0),
      ])
    #expect(cluster.bisection()?.bytesPerSecond == 10e9)
    #expect(cluster.maxFlowBytesPerSecond(from: [1], to: [0]) == 10e9)
  }

  @Test func parallelPathsAdd() {
    // Two GPUs joined directly at 10 GB/s and through a switch at 5 + 5 GB/s: 15 GB/s.
    let cluster = Cluster(
      name: "paths", vertexNames: ["n/gpu0", "n/gpu1", "n/sw"], gpuCount: 2, nodeOfGPU: [0, 0], nodeNames: ["n"],
      links: [
        .init(a: 0, b: 1, bytesPerSecond: 10e9, latencySeconds: 0),
        .init(a: 0, b: 2, bytesPerSecond: 5e9, latencySeconds: 0),
        .init(a: 2, b: 1, bytesPerSecond: 5e9, latencySeconds: 0),
      ])
    #expect(cluster.bisection()?.bytesPerSecond == 15e9)
  }

  @Test func oddGPUCountSplitsOneAgainstTwo() {
    // Three GPUs on a switch at 100 GB/s: the lone GPU's link is the cut, 100 GB/s.
    let cluster = switched(gpusPerNode: [3], bandwidth: 100e9)
    #expect(cluster.bisection()?.bytesPerSecond == 100e9)
    #expect(cluster.bisection()?.half.count == 1)
  }

  @Test func singleGPUHasNoBisection() {
    #expect(switched(gpusPerNode: [1], bandwidth: 1e9).bisection() == nil)
  }

  @Test func largeClusterSplitsAlongNodes() throws {
    // Four 8-GPU nodes (32 GPUs, past the exhaustive limit), each GPU with a 25 GB/s NIC to
    // one spine: two nodes against two cut 16 NICs = 400 GB/s. Only node-aligned splits are
    // tried, so the result is marked as not exhaustive.
    let cluster = switched(gpusPerNode: [8, 8, 8, 8], bandwidth: 300e9, spine: 25e9)
    let bisection = try #require(cluster.bisection())
    #expect(bisection.bytesPerSecond == 400e9)
    #expect(bisection.half.count == 16)
    #expect(!bisection.exhaustive)
  }

  /// Nodes with a switch each (GPU links at `bandwidth`) and, when `spine` is given, one
  /// global switch every GPU links to at `spine` bytes/s.
  func switched(gpusPerNode: [Int], bandwidth: Double, spine: Double? = nil) -> Cluster {
    var names: [String] = []
    var nodeOf: [Int] = []
    for (node, count) in gpusPerNode.enumerated() {
      for g in 0..<count {
        names.append("node\(node)/gpu\(g)")
        nodeOf.append(node)
      }
    }
    let gpuCount = names.count
    var links: [Cluster.Link] = []
    for node in gpusPerNode.indices {
      names.append("node\(node)/sw")
      for gpu in 0..<gpuCount where nodeOf[gpu] == node {
        links.append(.init(a: gpu, b: names.count - 1, bytesPerSecond: bandwidth, latencySeconds: 0))
      }
    }
    if let spine {
      names.append("spine")
      for gpu in 0..<gpuCount {
        links.append(.init(a: gpu, b: names.count - 1, bytesPerSecond: spine, latencySeconds: 0))
      }
    }
    return Cluster(
      name: "synthetic", vertexNames: names, gpuCount: gpuCount, nodeOfGPU: nodeOf,
      nodeNames: gpusPerNode.indices.map { "node\($0)" }, links: links)
  }
}

import Foundation
import PlanCore
import Testing

@testable import Analytic

/// Large clusters of identical nodes: the node-aggregate network (`NodeAggregateNetwork`) must
/// give what the whole-graph solve gives, and the costs must behave as physics says.
enum LargeClusterFixtures {
  /// `nodes` DGX-H100-like nodes: `gpusPerNode` GPUs on a node switch ("nodeK/nvswitch",
  /// `nvlink` B/s, 1 µs), every GPU with its own NIC (`nic` B/s, 2.5 µs) to one global switch,
  /// as `Models/clusters/dgx-h100-2node-ib.json`.
  static func dgx(
    nodes: Int, gpusPerNode: Int = 8, nvlink: Double = 450e9, nic: Double = 50e9, nvlinkLatency: Double = 1e-6,
    nicLatency: Double = 2.5e-6
  ) -> Cluster {
    let gpus = nodes * gpusPerNode
    var names = (0..<gpus).map { "node\($0 / gpusPerNode)/gpu\($0 % gpusPerNode)" }
    names += (0..<nodes).map { "node\($0)/nvswitch" } + ["ib-switch"]
    var links: [Cluster.Link] = []
    for gpu in 0..<gpus {
      links.append(
        Cluster.Link(
          a: gpu, b: gpus + gpu / gpusPerNode, bytesPerSecond: nvlink, latencySeconds: nvlinkLatency, kind: "nvlink"))
      links.append(
        Cluster.Link(a: gpu, b: gpus + nodes, bytesPerSecond: nic, latencySeconds: nicLatency, kind: "infiniband"))
    }
    return Cluster(
      name: "dgx\(nodes)", vertexNames: names, gpuCount: gpus, nodeOfGPU: (0..<gpus).map { $0 / gpusPerNode },
      nodeNames: (0..<nodes).map { "node\($0)" }, links: links)
  }

  /// Nodes of 4 GPUs joined in a ring by direct links (no node switch) and each GPU's NIC to
  /// one global switch: a node whose inside is not a star.
  static func ringNodes(nodes: Int) -> Cluster {
    let gpus = nodes * 4
    var links: [Cluster.Link] = []
    for node in 0..<nodes {
      for i in 0..<4 {
        links.append(
          Cluster.Link(a: 4 * node + i, b: 4 * node + (i + 1) % 4, bytesPerSecond: 100e9, latencySeconds: 1e-6))
      }
    }
    for gpu in 0..<gpus { links.append(Cluster.Link(a: gpu, b: gpus, bytesPerSecond: 25e9, latencySeconds: 3e-6)) }
    return Cluster(
      name: "ring-nodes\(nodes)", vertexNames: (0..<gpus).map { "node\($0 / 4)/gpu\($0 % 4)" } + ["spine"],
      gpuCount: gpus, nodeOfGPU: (0..<gpus).map { $0 / 4 }, nodeNames: (0..<nodes).map { "node\($0)" }, links: links)
  }

  /// DGX-like nodes on a rail-optimised fabric: GPU j of every node on rail switch j. Each
  /// node touches the fabric at 8 switches, so it is a path between rails.
  static func rails(nodes: Int) -> Cluster {
    let gpus = nodes * 8
    var names = (0..<gpus).map { "node\($0 / 8)/gpu\($0 % 8)" }
    names += (0..<nodes).map { "node\($0)/nvswitch" } + (0..<8).map { "rail\($0)" }
    var links: [Cluster.Link] = []
    for gpu in 0..<gpus {
      links.append(Cluster.Link(a: gpu, b: gpus + gpu / 8, bytesPerSecond: 450e9, latencySeconds: 1e-6))
      links.append(Cluster.Link(a: gpu, b: gpus + nodes + gpu % 8, bytesPerSecond: 50e9, latencySeconds: 2.5e-6))
    }
    return Cluster(
      name: "rails\(nodes)", vertexNames: names, gpuCount: gpus, nodeOfGPU: (0..<gpus).map { $0 / 8 },
      nodeNames: (0..<nodes).map { "node\($0)" }, links: links)
  }

  static func relativelyEqual(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)
  }
}

@Suite struct LargeClusterTests {
  typealias F = LargeClusterFixtures

  /// Both networks' algorithm costs for one group.
  func bothWays(
    _ cluster: Cluster, _ collective: Collective, _ gpus: [Int], profile: EfficiencyProfile? = nil
  )
    throws -> (full: [AlgorithmCost], aggregate: [AlgorithmCost])
  {
    let model = CommModel(cluster: cluster, efficiency: profile ?? CommFixtures.ideal())
    let symmetry = try #require(model.symmetry)
    let full = try FlowNetwork.build(
      cluster: cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, members: gpus)
    let aggregate = try #require(
      try NodeAggregateNetwork(
        cluster: cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, symmetry: symmetry,
        members: gpus))
    return (
      model.computeAlgorithms(collective, gpus: gpus, network: full),
      model.computeAlgorithms(collective, gpus: gpus, network: aggregate)
    )
  }

  func expectSame(_ full: [AlgorithmCost], _ aggregate: [AlgorithmCost], _ label: String) {
    #expect(full.count == aggregate.count, "\(label)")
    for (a, b) in zip(full, aggregate) {
      #expect(a.curve.algorithm == b.curve.algorithm, "\(label)")
      #expect(F.relativelyEqual(a.curve.latencySeconds, b.curve.latencySeconds), "\(label) \(a.curve.algorithm)")
      #expect(F.relativelyEqual(a.curve.secondsPerByte, b.curve.secondsPerByte), "\(label) \(a.curve.algorithm)")
      #expect(F.relativelyEqual(a.loadPerMessageByte, b.loadPerMessageByte), "\(label) \(a.curve.algorithm)")
      #expect(a.routing == b.routing, "\(label) \(a.curve.algorithm)")
      #expect(a.order == b.order, "\(label) \(a.curve.algorithm)")
      #expect(a.channels == b.channels, "\(label) \(a.curve.algorithm)")
    }
  }

  @Test(arguments: [2, 3, 4])
  func aggregateEqualsFullSolveOnWholeDGXNodes(nodes: Int) throws {
    let cluster = F.dgx(nodes: nodes)
    let all = Array(0..<cluster.gpuCount)
    for collective in [Collective.allReduce, .allGather] {
      let (full, aggregate) = try bothWays(cluster, collective, all)
      expectSame(full, aggregate, "\(nodes) nodes \(collective)")
      // With the measured H100 profile too (latency and efficiency terms on).
      let (fullReal, aggregateReal) = try bothWays(cluster, collective, all, profile: GPUSpec.h100Profile)
      expectSame(fullReal, aggregateReal, "\(nodes) nodes \(collective) H100 profile")
    }
  }

  @Test func aggregateEqualsFullSolveOnPartialNodesAndOtherNodeShapes() throws {
    // GPUs 0–3 of each of three DGX nodes (the other GPUs may not relay), in node order.
    let dgx = F.dgx(nodes: 3)
    let half = (0..<3).flatMap { node in (0..<4).map { node * 8 + $0 } }
    let (full, aggregate) = try bothWays(dgx, .allReduce, half)
    expectSame(full, aggregate, "half nodes")
    // The same GPUs in another rank order.
    let shuffled = [9, 8, 1, 0, 17, 16, 3, 2, 11, 10, 19, 18]
    let (fullShuffled, aggregateShuffled) = try bothWays(dgx, .allReduce, shuffled)
    expectSame(fullShuffled, aggregateShuffled, "shuffled")
    // Whole nodes and one partial node (two patterns), as `comm --gpus 20` asks on DGX nodes.
    for count in [12, 20, 28] {
      let dgx4 = F.dgx(nodes: 4)
      for collective in [Collective.allReduce, .allGather] {
        let (fullPartial, aggregatePartial) = try bothWays(dgx4, collective, Array(0..<count))
        expectSame(fullPartial, aggregatePartial, "\(count) GPUs \(collective)")
      }
    }
    // Nodes whose GPUs form a ring (several paths inside a node).
    let ring = F.ringNodes(nodes: 4)
    for collective in [Collective.allReduce, .allGather] {
      let (fullRing, aggregateRing) = try bothWays(ring, collective, Array(0..<ring.gpuCount))
      expectSame(fullRing, aggregateRing, "ring nodes \(collective)")
    }
  }

  @Test func railOptimisedFabricIsNotAggregatedAndStillCosted() throws {
    // Each node bridges the eight rails, so a transfer's current crosses third nodes: the
    // aggregate would be wrong there and must refuse; the whole network answers instead.
    let cluster = F.rails(nodes: 9)
    let model = CommModel(cluster: cluster, efficiency: CommFixtures.ideal())
    let symmetry = try #require(model.symmetry)
    let all = Array(0..<cluster.gpuCount)
    #expect(
      try NodeAggregateNetwork(
        cluster: cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, symmetry: symmetry,
        members: all) == nil)
    let estimate = try model.estimate(.allReduce, bytes: 64e6, gpus: all)
    #expect(estimate.seconds.isFinite && estimate.seconds > 0)
  }

  @Test func largeGroupEstimateEqualsFullSolve() throws {
    // 16 nodes, 128 GPUs: `estimate` takes the aggregate (more than 64 GPUs); the whole
    // network is still cheap enough to compare with.
    let cluster = F.dgx(nodes: 16)
    let all = Array(0..<cluster.gpuCount)
    let model = CommModel(cluster: cluster, efficiency: GPUSpec.h100Profile)
    let full = model.computeAlgorithms(
      .allReduce, gpus: all,
      network: try FlowNetwork.build(
        cluster: cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, members: all))
    for bytes in [4096.0, 1e6, 256e6] {
      let estimate = try model.estimate(.allReduce, bytes: bytes, gpus: all)
      let best = full.map { $0.curve.seconds(bytes: bytes) }.min()!
      #expect(F.relativelyEqual(estimate.seconds, best), "\(bytes) B")
    }
  }

  /// Ring all-reduce over many DGX nodes is bound by each node's NICs: every ring step moves
  /// one chunk out of each node, spread by the node-rotated channels over its 8 NICs, so with
  /// no latency and ideal efficiency `T = 2(n−1)/n · B / (8 · 50 GB/s)`.
  @Test func ringAllReduceOverManyNodesRunsAtTheNodesNICBandwidth() throws {
    let cluster = F.dgx(nodes: 64, nvlinkLatency: 0, nicLatency: 0)
    let model = CommModel(cluster: cluster, efficiency: CommFixtures.ideal(stepSeconds: 0))
    let n = Double(cluster.gpuCount)
    let ring = try model.curve(.allReduce, gpus: Array(0..<cluster.gpuCount))
    let bytes = 1e9
    #expect(ring.algorithm == "ring")
    #expect(F.relativelyEqual(ring.seconds(bytes: bytes), 2 * (n - 1) / n * bytes / (8 * 50e9)))
    let gather = try model.curve(.allGather, gpus: Array(0..<cluster.gpuCount))
    #expect(F.relativelyEqual(gather.seconds(bytes: bytes), (n - 1) / n * bytes / (8 * 50e9)))
  }

  /// More GPUs never make the same collective faster: every added node adds ring steps and
  /// tree levels and no bandwidth per step (the groups span the threshold where `estimate`
  /// switches from the whole network to the aggregate).
  @Test func allReduceTimeIsMonotoneInWholeNodes() throws {
    let cluster = F.dgx(nodes: 32)
    let model = CommModel(cluster: cluster, efficiency: GPUSpec.h100Profile)
    for bytes in [8192.0, 64e6] {
      var previous = 0.0
      for nodes in 1...32 {
        let seconds = try model.estimate(.allReduce, bytes: bytes, gpus: Array(0..<(8 * nodes))).seconds
        #expect(seconds >= previous * (1 - 1e-12), "\(nodes) nodes, \(bytes) B: \(seconds) < \(previous)")
        previous = seconds
      }
    }
  }

  /// k identical nodes on one switch: the narrowest balanced cut separates k/2 nodes, whose
  /// 8 NICs each carry 50 GB/s across, so the bisection is k/2 · 8 · 50 GB/s.
  @Test(arguments: [2, 4, 6, 20])
  func bisectionOfIdenticalNodesIsHalfTheirNICs(nodes: Int) throws {
    let cluster = F.dgx(nodes: nodes)
    let bisection = try #require(cluster.bisection())
    #expect(F.relativelyEqual(bisection.bytesPerSecond, Double(nodes / 2) * 8 * 50e9, 1e-9))
  }
}

extension GPUSpec {
  /// An efficiency profile with every collective term on (step latency, half-saturation,
  /// bandwidth below 1), as a measured profile has.
  static let h100Profile = EfficiencyProfile(
    computeMax: 0.7, computeHalfSaturationFLOPs: 1e9, memoryMax: 0.8, memoryHalfSaturationBytes: 1e6,
    kernelLaunchSeconds: 5e-6, collectiveBandwidthMax: 0.8, collectiveHalfSaturationBytes: 2e6,
    collectiveStepSeconds: 5e-6, iterationOverheadSeconds: 1e-4, source: "test: H100-like")
}

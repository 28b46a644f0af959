import Foundation
import PlanCore
import Testing

@testable import Analytic

/// Clusters built in code (the catalog files are written elsewhere) and a profile with the
/// efficiency law switched off, so that expected times follow from link bandwidths alone.
enum CommFixtures {
  /// Efficiency 1, no half-saturation: a link delivers its datasheet bandwidth.
  static func ideal(stepSeconds: Double = 2e-6) -> EfficiencyProfile {
    EfficiencyProfile(
      computeMax: 1, computeHalfSaturationFLOPs: 0, memoryMax: 1, memoryHalfSaturationBytes: 0,
      kernelLaunchSeconds: 0, collectiveBandwidthMax: 1, collectiveHalfSaturationBytes: 0,
      collectiveStepSeconds: stepSeconds, iterationOverheadSeconds: 0, source: "test: ideal")
  }

  /// `n` GPUs on one switch (an NVSwitch node), every GPU–switch link `bytesPerSecond`.
  static func star(gpus n: Int, bytesPerSecond: Double, latency: Double) -> Cluster {
    Cluster(
      name: "star\(n)", vertexNames: (0..<n).map { "node0/gpu\($0)" } + ["node0/nvswitch"], gpuCount: n,
      nodeOfGPU: [Int](repeating: 0, count: n), nodeNames: ["node0"],
      links: (0..<n).map {
        Cluster.Link(a: $0, b: n, bytesPerSecond: bytesPerSecond, latencySeconds: latency, kind: "nvlink")
      })
  }

  /// `n` GPUs in a ring (i — i+1), optionally with the two diagonals of a 4-ring.
  static func ring(
    gpus n: Int, bytesPerSecond: Double, latency: Double = 1e-6, duplex: Cluster.Duplex = .full,
    diagonalBytesPerSecond: Double? = nil
  ) -> Cluster {
    var links = (0..<n).map {
      Cluster.Link(
        a: $0, b: ($0 + 1) % n, bytesPerSecond: bytesPerSecond, latencySeconds: latency, duplex: duplex, kind: "nvlink")
    }
    if n == 2 { links = [links[0]] }
    if let diagonal = diagonalBytesPerSecond {
      links.append(
        Cluster.Link(a: 0, b: 2, bytesPerSecond: diagonal, latencySeconds: latency, duplex: duplex, kind: "nvlink"))
      links.append(
        Cluster.Link(a: 1, b: 3, bytesPerSecond: diagonal, latencySeconds: latency, duplex: duplex, kind: "nvlink"))
    }
    return Cluster(
      name: "ring\(n)", vertexNames: (0..<n).map { "node0/gpu\($0)" }, gpuCount: n,
      nodeOfGPU: [Int](repeating: 0, count: n), nodeNames: ["node0"], links: links)
  }

  /// The issue's 4-GPU ring with cross links: ring links 600 Gbit/s, diagonals 300 Gbit/s.
  static let ringLinkBytesPerSecond = 600e9 / 8
  static let diagonalBytesPerSecond = 300e9 / 8

  /// Two 8-GPU NVSwitch nodes (300 GB/s per GPU) whose GPUs each have a 200 Gbit/s NIC into
  /// one InfiniBand switch.
  static let nvlinkBytesPerSecond = 300e9
  static let nicBytesPerSecond = 200e9 / 8
  static let nvlinkLatency = 0.7e-6
  static let nicLatency = 2.5e-6
  static var twoNodes: Cluster {
    var names: [String] = []
    for node in 0..<2 { for g in 0..<8 { names.append("node\(node)/gpu\(g)") } }
    names += ["node0/nvswitch", "node1/nvswitch", "ib-switch"]
    var links: [Cluster.Link] = []
    for gpu in 0..<16 {
      links.append(
        Cluster.Link(
          a: gpu, b: 16 + gpu / 8, bytesPerSecond: nvlinkBytesPerSecond, latencySeconds: nvlinkLatency, kind: "nvlink"))
      links.append(
        Cluster.Link(a: gpu, b: 18, bytesPerSecond: nicBytesPerSecond, latencySeconds: nicLatency, kind: "infiniband"))
    }
    return Cluster(
      name: "two-nodes", vertexNames: names, gpuCount: 16, nodeOfGPU: (0..<16).map { $0 / 8 },
      nodeNames: ["node0", "node1"], links: links)
  }

  /// Relative closeness for floating-point results of a linear solve.
  static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b))
  }
}

@Suite struct CommModelClosedFormTests {
  typealias F = CommFixtures

  @Test func ringAllReduceOnAnNVSwitchStarIsTheTextbookFormula() throws {
    // Every GPU reaches the switch through one link: a ring step moves bytes/n up each GPU's
    // link and down the next one's, nothing else can share it. Ring all-reduce:
    // 2(n−1)/n · bytes/B + 2(n−1)·(α + 2ℓ), the path crossing two links of latency ℓ.
    let n = 8
    let b = 300e9
    let ell = 0.5e-6
    let alpha = 2e-6
    let model = CommModel(
      cluster: F.star(gpus: n, bytesPerSecond: b, latency: ell), efficiency: F.ideal(stepSeconds: alpha))
    let curve = try model.curve(.allReduce, gpus: Array(0..<n))
    #expect(curve.algorithm == "ring")
    #expect(F.close(curve.secondsPerByte, 2 * Double(n - 1) / Double(n) / b))
    #expect(F.close(curve.latencySeconds, 2 * Double(n - 1) * (alpha + 2 * ell)))
    let bytes = 16e6
    let estimate = try model.estimate(.allReduce, bytes: bytes, gpus: Array(0..<n))
    let ring = try #require(estimate.alternatives.first { $0.algorithm == "ring" })
    #expect(F.close(ring.seconds, 2 * Double(n - 1) / Double(n) * bytes / b + 2 * Double(n - 1) * (alpha + 2 * ell)))
    // nccl-tests' bus bandwidth of a bandwidth-bound ring equals the per-GPU link bandwidth;
    // with latency it is somewhat lower.
    #expect(estimate.busBytesPerSecond < b)
  }

  @Test func ringAllReduceOnAHalfDuplexRingIsTheTextbookFormula() throws {
    // Half duplex: a link's two directions share B, so a ring step cannot go faster than
    // chunk/B (n transfers, n links, each transfer crossing ≥ 1 link), and the ring of
    // neighbours achieves it: 2(n−1)/n · bytes/B + 2(n−1)(α + ℓ).
    let n = 5
    let b = 75e9
    let ell = 1e-6
    let alpha = 3e-6
    let model = CommModel(
      cluster: F.ring(gpus: n, bytesPerSecond: b, latency: ell, duplex: .half), efficiency: F.ideal(stepSeconds: alpha))
    let curve = try model.curve(.allReduce, gpus: Array(0..<n))
    #expect(F.close(curve.secondsPerByte, 2 * Double(n - 1) / Double(n) / b))
    #expect(F.close(curve.latencySeconds, 2 * Double(n - 1) * (alpha + ell)))
    // All-gather: n−1 steps of (gathered bytes)/n.
    let gather = try model.curve(.allGather, gpus: Array(0..<n))
    #expect(F.close(gather.secondsPerByte, Double(n - 1) / Double(n) / b))
    #expect(F.close(gather.latencySeconds, Double(n - 1) * (alpha + ell)))
  }

  @Test func twoGPUsOnOneLinkAllReduceIsBytesOverBandwidth() throws {
    // n = 2: each GPU sends half its buffer twice over the one full-duplex link, both
    // directions at once: 2·(1/2)·bytes/B + 2(α + ℓ).
    let b = 50e9
    let model = CommModel(
      cluster: F.ring(gpus: 2, bytesPerSecond: b, latency: 1e-6), efficiency: F.ideal(stepSeconds: 2e-6))
    let estimate = try model.estimate(.allReduce, bytes: 8e6, gpus: [0, 1])
    #expect(F.close(estimate.seconds, 8e6 / b + 2 * 3e-6))
  }

  @Test func fullDuplexRingRunsRingsBothWays() throws {
    // Full duplex, n GPUs in a ring: each GPU can send 2B (one link each way), and a ring
    // step needs each to send one chunk, so chunk/(2B) is a lower bound; two rings in
    // opposite directions with half the data each reach it: 2(n−1)/n · bytes/(2B).
    let n = 4
    let b = F.ringLinkBytesPerSecond
    let model = CommModel(cluster: F.ring(gpus: n, bytesPerSecond: b), efficiency: F.ideal())
    let curve = try model.curve(.allReduce, gpus: Array(0..<n))
    #expect(F.close(curve.secondsPerByte, 2 * Double(n - 1) / Double(n) / (2 * b)))
    let estimate = try model.estimate(.allReduce, bytes: 1e9, gpus: Array(0..<n))
    try #require(estimate.channels.count == 2)
    #expect(estimate.channels[1] == Array(estimate.channels[0].reversed()))
  }
}

@Suite struct CommModelFlowTests {
  typealias F = CommFixtures

  @Test func parallelPathsSplitInProportionToConductance() throws {
    // GPU0 — GPU1 directly at 2B, and GPU0 — switch — GPU1 over two links of B. The two-hop
    // path is two conductances B in series: B/2. Current divides like conductance: direct
    // 2B/(2B + B/2) = 0.8, detour 0.2. Busiest link: the direct one, 0.8/(2B) = 0.4/B per
    // byte (the detour links: 0.2/B). A single path would give 1/(2B) = 0.5/B.
    let b = 10e9
    let cluster = Cluster(
      name: "two-paths", vertexNames: ["gpu0", "gpu1", "switch"], gpuCount: 2, nodeOfGPU: [0, 0], nodeNames: ["node0"],
      links: [
        Cluster.Link(a: 0, b: 1, bytesPerSecond: 2 * b, latencySeconds: 1e-6, kind: "direct"),
        Cluster.Link(a: 0, b: 2, bytesPerSecond: b, latencySeconds: 2e-6, kind: "hop"),
        Cluster.Link(a: 2, b: 1, bytesPerSecond: b, latencySeconds: 2e-6, kind: "hop"),
      ])
    let alpha = 1e-6
    let model = CommModel(cluster: cluster, efficiency: F.ideal(stepSeconds: alpha))
    let curve = try model.curve(.sendRecv, gpus: [0, 1])
    #expect(F.close(curve.secondsPerByte, 0.4 / b))
    // Latency: α plus the flow-weighted path latency 0.8·1 µs + 0.2·(2 + 2) µs = 1.6 µs.
    #expect(F.close(curve.latencySeconds, alpha + 1.6e-6))
    let estimate = try model.estimate(.sendRecv, bytes: 1e6, gpus: [0, 1])
    #expect(estimate.routing == "electrical")
    let link = try #require(estimate.busiestLink)
    #expect(link.kind == "direct" && link.fromVertex == "gpu0" && link.toVertex == "gpu1")
    #expect(F.close(link.loadBytes, 0.8e6))
  }

  @Test func laplacianSolutionOfTheCrossLinkedRing() throws {
    // Unit current 0 → 1 on the 4-ring with diagonals (conductance 2 on ring links, 1 on
    // diagonals, in units of 37.5 GB/s). The mirror swapping 0↔1 and 2↔3 maps the network to
    // itself and flips the current, so φ0 = −φ1 = a, φ3 = −φ2 = c. Kirchhoff at 3:
    // 2(2c) + 2(c − a) + (c + a) = 0 ⇒ a = 7c; at 0: 2(2a) + 2(a − c) + (a + c) = 1 ⇒ 7a − c = 1
    // ⇒ a = 7/48, c = 1/48. Currents: direct 0→1: 2·2a = 7/12; 0→3: 2(a − c) = 1/4;
    // diagonal 0→2: a + c = 1/6 (sum 1).
    let cluster = F.ring(
      gpus: 4, bytesPerSecond: F.ringLinkBytesPerSecond, diagonalBytesPerSecond: F.diagonalBytesPerSecond)
    let model = CommModel(cluster: cluster, efficiency: F.ideal())
    let network = try FlowNetwork.build(
      cluster: cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, members: [0, 1, 2, 3])
    func current(_ a: Int, _ b: Int) throws -> Double {
      let e = try #require(network.edges.firstIndex { ($0.a == a && $0.b == b) || ($0.a == b && $0.b == a) })
      let sign = network.edges[e].a == a ? 1.0 : -1.0
      let flow = network.domains[0].memberFlow
      return sign * (flow[0][e] - flow[1][e])
    }
    #expect(abs(try current(0, 1) - 7.0 / 12) < 1e-12)
    #expect(abs(try current(0, 3) - 1.0 / 4) < 1e-12)
    #expect(abs(try current(0, 2) - 1.0 / 6) < 1e-12)
    // 0→3 (1/4) continues as 3→1 over the diagonal (φ3 − φ1 = c + a = 1/6) and 3→2
    // (2 · 2c = 1/12): Kirchhoff's current law at 3.
    #expect(abs(try current(3, 1) - 1.0 / 6) < 1e-12)
    #expect(abs(try current(3, 2) - 1.0 / 12) < 1e-12)
  }

  @Test func electricalRingStepOnAPureRing() throws {
    // Ring step 0→1, 1→2, …: each demand splits between its direct link (conductance B) and
    // the n−1 links the other way round (B/(n−1) in series): fractions (n−1)/n and 1/n. A
    // link's forward direction carries its own demand's (n−1)/n, its backward direction 1/n
    // from each of the other n−1 detours: (n−1)/n too. Step time (n−1)/n · chunk/B.
    for n in [3, 4, 6] {
      let b = 20e9
      let cluster = F.ring(gpus: n, bytesPerSecond: b)
      let model = CommModel(cluster: cluster, efficiency: F.ideal())
      let network = try FlowNetwork.build(
        cluster: cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, members: Array(0..<n))
      let transfers = (0..<n).map { FlowTransfer(from: $0, to: ($0 + 1) % n, weight: 1) }
      let bound = network.bottleneck(of: transfers, routing: .electrical)
      #expect(F.close(bound.secondsPerUnit, Double(n - 1) / Double(n) / b))
      #expect(F.close(bound.load, Double(n - 1) / Double(n)))
    }
  }

  @Test func crossLinksCarryPartOfTheRingTraffic() throws {
    // Adding the diagonals adds capacity: the ring all-reduce must get faster, and it cannot
    // beat each GPU's injection bound (75 + 75 + 37.5 GB/s out of every GPU, 2(n−1)/n of the
    // buffer to send).
    let plain = CommModel(cluster: F.ring(gpus: 4, bytesPerSecond: F.ringLinkBytesPerSecond), efficiency: F.ideal())
    let crossed = CommModel(
      cluster: F.ring(
        gpus: 4, bytesPerSecond: F.ringLinkBytesPerSecond, diagonalBytesPerSecond: F.diagonalBytesPerSecond),
      efficiency: F.ideal())
    let group = [0, 1, 2, 3]
    let withoutCross = try plain.curve(.allReduce, gpus: group)
    let withCross = try crossed.curve(.allReduce, gpus: group)
    #expect(withCross.secondsPerByte < withoutCross.secondsPerByte * (1 - 1e-6))
    let injection = 1.5 / (2 * F.ringLinkBytesPerSecond + F.diagonalBytesPerSecond)
    #expect(withCross.secondsPerByte >= injection * (1 - 1e-9))
    // The electrical flow alone, one ring step 0→1, 1→2, 2→3, 3→0. Pure ring: 3/4 of a chunk
    // on each link direction (see electricalRingStepOnAPureRing). With diagonals, rotate the
    // lone 0→1 solution of laplacianSolutionOfTheCrossLinkedRing (0→1 7/12, 0→3 1/4, 3→2 1/12,
    // 3→1 1/6, 0→2 1/6, 2→1 1/4) to the four demands: ring link 0→1 carries 7/12 forward and
    // 1/4 + 1/12 + 1/4 = 7/12 backward; diagonal 0→2 carries 1/6 from demands 0→1 and 1→2
    // each way: 1/3 per direction. Busiest: a diagonal, (1/3)/37.5 GB/s < (3/4)/75 GB/s.
    for (model, crossLinks) in [(crossed, true), (plain, false)] {
      let network = try FlowNetwork.build(
        cluster: model.cluster, adjacency: model.adjacency, nodeOfVertex: model.nodeOfVertex, members: group)
      let step = network.bottleneck(
        of: (0..<4).map { FlowTransfer(from: $0, to: ($0 + 1) % 4, weight: 1) }, routing: .electrical)
      if crossLinks {
        #expect(F.close(step.secondsPerUnit, (1.0 / 3) / F.diagonalBytesPerSecond))
        #expect(network.edges[step.edge].bytesPerSecond == F.diagonalBytesPerSecond)
      } else {
        #expect(F.close(step.secondsPerUnit, 0.75 / F.ringLinkBytesPerSecond))
      }
    }
  }

  @Test func gpusJoinedOnlyThroughOtherGPUsRelayAndSaySo() throws {
    // Ring of four, group {0, 2}: no link or switch joins them, so GPUs 1 and 3 must relay.
    // Two equal two-link paths in parallel: half the bytes on each, B/2 per byte on every
    // link ⇒ bytes/(2B); latency α + 2ℓ on either path.
    let b = 40e9
    let ell = 1e-6
    let alpha = 2e-6
    let model = CommModel(
      cluster: F.ring(gpus: 4, bytesPerSecond: b, latency: ell), efficiency: F.ideal(stepSeconds: alpha))
    let curve = try model.curve(.sendRecv, gpus: [0, 2])
    #expect(F.close(curve.secondsPerByte, 1 / (2 * b)))
    #expect(F.close(curve.latencySeconds, alpha + 2 * ell))
    #expect(try model.estimate(.sendRecv, bytes: 1e6, gpus: [0, 2]).relaysThroughOtherGPUs)
    #expect(try !model.estimate(.sendRecv, bytes: 1e6, gpus: [0, 1]).relaysThroughOtherGPUs)
  }

  @Test func cachedCurvesAreTheSameFromManyTasks() async throws {
    // The memo is shared by copies of the model and guarded by a lock: concurrent callers
    // must all see the curve a fresh model computes.
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal())
    let expected = try CommModel(cluster: F.twoNodes, efficiency: F.ideal()).curve(.allReduce, gpus: [0, 1, 8, 9])
    let curves = try await withThrowingTaskGroup(of: CollectiveCostCurve.self) { group in
      for _ in 0..<16 { group.addTask { try model.curve(.allReduce, gpus: [0, 1, 8, 9]) } }
      var all: [CollectiveCostCurve] = []
      for try await curve in group { all.append(curve) }
      return all
    }
    #expect(curves.count == 16 && curves.allSatisfy { $0 == expected })
  }
}

@Suite struct CommModelPlacementTests {
  typealias F = CommFixtures

  @Test func tensorParallelGroupInsideANodeBeatsOneAcrossInfiniBand() throws {
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal())
    for bytes in [4e3, 16e6, 1e9] {
      let inside = try model.estimate(.allReduce, bytes: bytes, gpus: [0, 1, 2, 3])
      let across = try model.estimate(.allReduce, bytes: bytes, gpus: [0, 1, 8, 9])
      #expect(inside.seconds < across.seconds)
      #expect(inside.busiestLink?.kind == "nvlink")
      #expect(across.busiestLink?.kind == "infiniband")
    }
    // Inside a node the group sees only its own NVSwitch links: the NVSwitch star formula.
    let curve = try model.curve(.allReduce, gpus: [0, 1, 2, 3])
    #expect(curve.secondsPerByte <= 1.5 / F.nvlinkBytesPerSecond * (1 + 1e-9))
  }

  @Test func sendRecvAcrossNodesIsBoundByTheNIC() throws {
    // GPU0 → GPU8 may cross only switches and the two endpoints: the NVSwitches lead only to
    // other GPUs (dead ends), so all of it goes NIC0 → IB switch → NIC8:
    // bytes/25 GB/s + α + 2 · 2.5 µs.
    let alpha = 2e-6
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal(stepSeconds: alpha))
    let curve = try model.curve(.sendRecv, gpus: [0, 8])
    #expect(F.close(curve.secondsPerByte, 1 / F.nicBytesPerSecond))
    #expect(F.close(curve.latencySeconds, alpha + 2 * F.nicLatency))
    let estimate = try model.estimate(.sendRecv, bytes: 64e6, gpus: [0, 8])
    #expect(estimate.busiestLink?.kind == "infiniband")
    #expect(F.close(estimate.busiestLink?.loadBytes ?? 0, 64e6))
    // Inside a node the same transfer rides NVLink and is at least 300/25 = 12× faster per byte.
    let local = try model.curve(.sendRecv, gpus: [0, 1])
    #expect(local.secondsPerByte * 12 <= curve.secondsPerByte * (1 + 1e-9))
  }

  @Test func ringsAcrossNodesSpreadOverEveryNIC() throws {
    // 16 GPUs over two nodes. Every ring crosses from node 0 to node 1 at least once per
    // step, so each step sends ≥ one chunk out of node 0, whose only way out is its 8 NICs:
    // ≥ chunk/(8 · 25 GB/s). Eight rings that leave and enter the nodes at different GPUs put
    // 1/8 of a chunk on each NIC and reach that bound (each GPU's NVLink carries 7/8 of a
    // chunk at 300 GB/s, faster). Ring all-reduce: 2(n−1) steps of chunk = bytes/n, so
    // 2(n−1)/n · bytes/(8 · 25 GB/s) with n = 16.
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal())
    let curve = try model.curve(.allReduce, gpus: Array(0..<16))
    #expect(F.close(curve.secondsPerByte, 2 * 15.0 / 16 / (8 * F.nicBytesPerSecond)))
  }

  @Test func ringOrderFollowsTheLinks() throws {
    // Rank order 0, 2, 1, 3 on a ring of neighbours puts two of four hops across two links.
    // The model tries a topology-aware order and must cost it like the neighbour ring.
    let model = CommModel(cluster: F.ring(gpus: 4, bytesPerSecond: 50e9, duplex: .half), efficiency: F.ideal())
    let scrambled = try model.curve(.allReduce, gpus: [0, 2, 1, 3])
    let neighbours = try model.curve(.allReduce, gpus: [0, 1, 2, 3])
    #expect(F.close(scrambled.secondsPerByte, neighbours.secondsPerByte))
    #expect(F.close(scrambled.secondsPerByte, 1.5 / 50e9))
    let estimate = try model.estimate(.allReduce, bytes: 1e9, gpus: [0, 2, 1, 3])
    let ring = try #require(estimate.channels.first)
    try #require(ring.count == 4)
    for i in 0..<4 {
      let (a, b) = (ring[i], ring[(i + 1) % 4])
      #expect((a - b + 4) % 4 == 1 || (b - a + 4) % 4 == 1, "ring \(ring) hops \(a) → \(b), not neighbours")
    }
  }

  @Test func treeWinsSmallMessagesAndTheEnvelopeIsTheMinimum() throws {
    // 16 GPUs over two nodes: the ring pays 2·15 step latencies, the tree 2·(7 chain hops + 1
    // level between nodes) = 16, so tiny messages go to the tree.
    let alpha = 5e-6
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal(stepSeconds: alpha))
    let group = Array(0..<16)
    let envelope = try model.envelope(.allReduce, gpus: group)
    let ring = try #require(envelope.curves.first { $0.algorithm == "ring" })
    let tree = try #require(envelope.curves.first { $0.algorithm == "tree" })
    #expect(ring.latencySeconds >= 30 * (alpha + 2 * F.nvlinkLatency) * (1 - 1e-12))
    #expect(tree.latencySeconds >= 16 * (alpha + 2 * F.nvlinkLatency) * (1 - 1e-12))
    #expect(tree.latencySeconds < ring.latencySeconds)
    #expect(try model.estimate(.allReduce, bytes: 1e3, gpus: group).algorithm == "tree")
    for bytes in [1e3, 1e5, 1e7, 1e9] {
      let best = min(ring.seconds(bytes: bytes), tree.seconds(bytes: bytes))
      #expect(envelope.seconds(bytes: bytes) == best)
      let estimate = try model.estimate(.allReduce, bytes: bytes, gpus: group)
      #expect(estimate.seconds == best)
      #expect(estimate.alternatives.first?.seconds == best)
      #expect(try model.curve(.allReduce, gpus: group, typicalBytes: bytes).seconds(bytes: bytes) == best)
    }
    // `curve(_:gpus:)` without a size is the ring.
    #expect(try model.curve(.allReduce, gpus: group) == ring)
  }
}

@Suite struct CommModelEfficiencyAndErrorTests {
  typealias F = CommFixtures

  @Test func efficiencyLawScalesTheBandwidthTerm() throws {
    // achieved = B · max · b/(b + h) ⇒ t = α + ℓ + (b + h)/(B · max).
    let b = 25e9
    var profile = F.ideal(stepSeconds: 1e-6)
    profile.collectiveBandwidthMax = 0.5
    profile.collectiveHalfSaturationBytes = 1e6
    let model = CommModel(cluster: F.ring(gpus: 2, bytesPerSecond: b, latency: 1e-6), efficiency: profile)
    let bytes = 3e6
    let estimate = try model.estimate(.sendRecv, bytes: bytes, gpus: [0, 1])
    #expect(F.close(estimate.seconds, 2e-6 + (bytes + 1e6) / (b * 0.5)))
    #expect(F.close(estimate.bottleneckBytesPerSecond, b * 0.5 * bytes / (bytes + 1e6)))
    #expect(F.close(estimate.busiestLink?.busySeconds ?? 0, (bytes + 1e6) / (b * 0.5)))
  }

  @Test func trivialRequestsCostNothing() throws {
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal())
    #expect(try model.curve(.allReduce, gpus: [3]) == .free)
    #expect(try model.estimate(.allReduce, bytes: 1e6, gpus: [3]).seconds == 0)
    #expect(try model.estimate(.allReduce, bytes: 0, gpus: [0, 1]).seconds == 0)
  }

  @Test func badRequestsThrow() throws {
    let model = CommModel(cluster: F.twoNodes, efficiency: F.ideal())
    #expect(throws: CommError.self) { try model.curve(.allReduce, gpus: []) }
    #expect(throws: CommError.self) { try model.curve(.allReduce, gpus: [0, 1, 1]) }
    #expect(throws: CommError.self) { try model.curve(.allReduce, gpus: [0, 16]) }
    #expect(throws: CommError.self) { try model.curve(.allReduce, gpus: [-1, 0]) }
    #expect(throws: CommError.self) { try model.curve(.sendRecv, gpus: [0, 1, 2]) }
    #expect(throws: CommError.self) { try model.estimate(.allReduce, bytes: -1, gpus: [0, 1]) }
    #expect(throws: CommError.self) { try model.estimate(.allReduce, bytes: .nan, gpus: [0, 1]) }
    #expect(throws: CommError.self) { try model.estimate(.allReduce, bytes: .infinity, gpus: [0, 1]) }
    #expect(throws: CommError.self) { try model.curve(.allReduce, gpus: [0, 1], typicalBytes: -5) }
    var profile = F.ideal()
    profile.collectiveBandwidthMax = 0
    #expect(throws: CommError.self) {
      try CommModel(cluster: F.twoNodes, efficiency: profile).curve(.allReduce, gpus: [0, 1])
    }
    var broken = F.ring(gpus: 3, bytesPerSecond: 1e9)
    broken.links[1].bytesPerSecond = 0
    #expect(throws: CommError.self) {
      try CommModel(cluster: broken, efficiency: F.ideal()).curve(.allReduce, gpus: [0, 1])
    }
  }

  @Test func disconnectedClusterIsAClearErrorNotACrash() throws {
    // Links 0–1 and 2–3 only: two islands, the Laplacian of the whole has two zero
    // eigenvalues and no flow joins the islands.
    let cluster = Cluster(
      name: "islands", vertexNames: (0..<4).map { "gpu\($0)" }, gpuCount: 4, nodeOfGPU: [0, 0, 0, 0],
      nodeNames: ["node0"],
      links: [
        Cluster.Link(a: 0, b: 1, bytesPerSecond: 1e9, latencySeconds: 0),
        Cluster.Link(a: 2, b: 3, bytesPerSecond: 1e9, latencySeconds: 0),
      ])
    let model = CommModel(cluster: cluster, efficiency: F.ideal())
    do {
      _ = try model.curve(.allReduce, gpus: [0, 1, 2, 3])
      Issue.record("a disconnected group must throw")
    } catch let error as CommError {
      #expect(error.reason.contains("disconnected"))
    }
    #expect(throws: CommError.self) { try model.estimate(.sendRecv, bytes: 1, gpus: [1, 2]) }
    // Each island on its own is fine: 1 GB/s, n = 2 ⇒ bytes/B.
    #expect(F.close(try model.curve(.allReduce, gpus: [2, 3]).secondsPerByte, 1e-9))
  }

  @Test func numericallySingularNetworkIsAClearError() throws {
    // 1 TB/s next to 1 µB/s: scaled by the widest link the second conductance is 1e-18, below
    // the round-off of 1, so the grounded Laplacian is singular in floating point.
    let cluster = Cluster(
      name: "extreme", vertexNames: ["gpu0", "gpu1", "gpu2"], gpuCount: 3, nodeOfGPU: [0, 0, 0], nodeNames: ["node0"],
      links: [
        Cluster.Link(a: 0, b: 1, bytesPerSecond: 1e12, latencySeconds: 0),
        Cluster.Link(a: 1, b: 2, bytesPerSecond: 1e-6, latencySeconds: 0),
      ])
    let model = CommModel(cluster: cluster, efficiency: F.ideal())
    do {
      _ = try model.curve(.allReduce, gpus: [0, 1, 2])
      Issue.record("a numerically singular network must throw")
    } catch let error as CommError {
      #expect(error.reason.contains("singular"))
    }
  }
}

@Suite struct CollectiveTreeShapeTests {
  @Test func doubleBinaryTreesAreTreesWithComplementaryLeaves() throws {
    for n in 1...40 {
      let trees = DoubleBinaryTree(count: n)
      try #require(trees.parents.count == 2, "n = \(n): two trees")
      for parents in trees.parents {
        // Every parent is a rank of the group (the walks below index with them).
        try #require(parents.count == n && parents.allSatisfy { $0.map { (0..<n).contains($0) } ?? true })
        #expect(parents.filter { $0 == nil }.count == 1, "n = \(n): one root")
        var children = [Int](repeating: 0, count: n)
        for (i, parent) in parents.enumerated() {
          guard let parent else { continue }
          children[parent] += 1
          // Following parents reaches the root in at most n steps (no cycles).
          var j = i
          var steps = 0
          while let up = parents[j], steps <= n {
            j = up
            steps += 1
          }
          #expect(steps <= n)
        }
        #expect(children.allSatisfy { $0 <= 2 }, "n = \(n): binary")
      }
      // Depth of an in-order binary tree on n positions: ⌊log2 n⌋.
      #expect(trees.depth == Int.bitWidth - 1 - n.leadingZeroBitCount)
      // Sanders et al.: for even n no rank is an inner node of both trees.
      if n % 2 == 0 {
        for rank in 0..<n {
          let inner = trees.parents.map { parents in parents.contains { $0 == rank } }
          #expect(!(inner[0] && inner[1]), "n = \(n): rank \(rank) is inner in both trees")
        }
      }
    }
  }

  @Test func ncclTreesChainInsideNodes() throws {
    // Two nodes of two GPUs, ring order 0 1 2 3: chains 0–1 and 2–3; tree A enters each node
    // at its first GPU, tree B at its last, and one link per tree joins the nodes.
    let trees = CollectiveTrees(order: [0, 1, 2, 3], node: [0, 0, 1, 1])
    try #require(trees.parents.count == 2 && trees.parents.allSatisfy { $0.count == 4 })
    #expect(trees.chainHops == 1)
    #expect(trees.interNodeLevels == 1)
    #expect(trees.parents[0][1] == 0 && trees.parents[0][3] == 2)
    #expect(trees.parents[1][0] == 1 && trees.parents[1][2] == 3)
    let crossing = trees.parents.map { parents in
      parents.enumerated().filter { i, parent in parent.map { [0, 0, 1, 1][$0] != [0, 0, 1, 1][i] } ?? false }.count
    }
    #expect(crossing == [1, 1])
  }
}

import Foundation
import PlanCore
import Testing

@testable import Analytic

/// NCCL's protocols and the engines' custom all-reduce (`CollectiveProtocols`), checked against
/// physics and invariants rather than against fitted numbers.
@Suite struct CommModelProtocolTests {
  static let link = 450e9

  /// NCCL's tuner constants at full efficiency, plus a custom all-reduce law with one-shot
  /// cheaper to launch and two-shot cheaper per byte.
  static func profile(groupFactors: [String: Double] = [:]) -> EfficiencyProfile {
    var profile = CommFixtures.ideal(stepSeconds: 0)
    var laws = CollectiveProtocols.ncclDefaults(bandwidthMax: 1)
    laws.groupBandwidthFactors = groupFactors
    laws.customAllReduce = CustomAllReduceLaw(
      oneShotLaunchSeconds: 4e-6, oneShotBandwidthFraction: 0.6, oneShotRampBytes: 0, twoShotLaunchSeconds: 8e-6,
      twoShotBandwidthFraction: 0.8, twoShotRampBytes: 1e6, eagerSeconds: 15e-6, eagerCopyBytesPerSecond: 1.5e12)
    profile.collectiveProtocols = laws
    return profile
  }

  static let vllmPolicy = AllReducePolicy(
    customEnabled: true, customMaxBytes: 8 * 1024 * 1024, customMaxGPUs: 8, oneShotMaxBytes: 256 * 1024)

  @Test func ringBusBandwidthNeverBeatsTheLink() throws {
    for n in [2, 4, 8] {
      let model = CommModel(
        cluster: CommFixtures.star(gpus: n, bytesPerSecond: Self.link, latency: 0.25e-6),
        efficiency: Self.profile(groupFactors: ["2": 0.7]))
      for bytes in [1e3, 1e6, 1e8, 1e10] {
        let estimate = try model.estimate(.allReduce, bytes: bytes, gpus: Array(0..<n))
        // A ring moves 2(n−1)/n of the message over every GPU's link: busbw ≤ link bandwidth.
        #expect(estimate.busBytesPerSecond <= Self.link * (1 + 1e-12), "n=\(n) bytes=\(bytes)")
      }
      // At 10 GB latencies vanish: busbw → η_Simple · g · link (1 · g here).
      let plateau = try model.estimate(.allReduce, bytes: 1e10, gpus: Array(0..<n)).busBytesPerSecond
      let expected = Self.link * (n == 2 ? 0.7 : 1)
      #expect(plateau > expected * 0.995 && plateau <= expected * (1 + 1e-12), "n=\(n): \(plateau)")
    }
  }

  @Test func protocolChoiceIsTheMinimumAndTimeGrowsWithSize() throws {
    let model = CommModel(
      cluster: CommFixtures.star(gpus: 8, bytesPerSecond: Self.link, latency: 0.25e-6), efficiency: Self.profile())
    var previous = 0.0
    var bytes = 64.0
    while bytes <= 4e9 {
      let estimate = try model.estimate(.allReduce, bytes: bytes, gpus: Array(0..<8))
      // Every algorithm × protocol is listed (ring and tree, three protocols each).
      #expect(estimate.alternatives.count == 6)
      let fastest = estimate.alternatives.map(\.seconds).min()!
      #expect(estimate.seconds == fastest)
      #expect(estimate.seconds >= previous, "time fell from \(previous) to \(estimate.seconds) at \(bytes) B")
      previous = estimate.seconds
      bytes *= 1.5
    }
    // LL has the lowest latency and Simple the highest bandwidth in NCCL's constants.
    #expect(try model.estimate(.allReduce, bytes: 1024, gpus: Array(0..<8)).protocolName == "LL")
    #expect(try model.estimate(.allReduce, bytes: 4e9, gpus: Array(0..<8)).protocolName == "Simple")
  }

  @Test func protocolLatencyIsLaunchPlusStepsOfStepAndPath() throws {
    // A ring all-reduce of n GPUs on a switch: 2(n−1) steps, each crossing two links.
    let latency = 0.25e-6
    let n = 8
    let model = CommModel(
      cluster: CommFixtures.star(gpus: n, bytesPerSecond: Self.link, latency: latency), efficiency: Self.profile())
    let curves = try model.envelope(.allReduce, gpus: Array(0..<n)).curves
    let ll = try #require(curves.first { $0.algorithm == "ring" && $0.protocolName == "LL" })
    let steps = Double(2 * (n - 1))
    #expect(CommFixtures.close(ll.latencySeconds, 3.6e-6 + steps * (0 + 2 * latency)))
    // Seconds per byte: 2(n−1)/n of the message over the link at ¼ of its rate.
    #expect(CommFixtures.close(ll.secondsPerByte, steps / Double(n) / (Self.link / 4)))
  }

  @Test func oneShotBeatsTwoShotBelowTheCrossoverAndLosesAbove() throws {
    let n = 8.0
    let model = CommModel(
      cluster: CommFixtures.star(gpus: 8, bytesPerSecond: Self.link, latency: 0.25e-6), efficiency: Self.profile())
    let policy = AllReducePolicy(customEnabled: true, customMaxBytes: 1e12, customMaxGPUs: 8, oneShotMaxBytes: 0)
    let curve = try model.allReduceCurve(gpus: Array(0..<8), policy: policy)
    let one = try #require(curve.oneShot)
    let two = try #require(curve.twoShot)
    // Crossover where 4 µs + 7·b/(0.6·B) = 8 µs + 1.75·(b + 1 MB)/(0.8·B).
    let a1 = (n - 1) / (0.6 * Self.link)
    let a2 = 2 * (n - 1) / n / (0.8 * Self.link)
    let crossover = (8e-6 - 4e-6 + a2 * 1e6) / (a1 - a2)
    #expect(one.seconds(bytes: crossover / 2) < two.seconds(bytes: crossover / 2))
    #expect(one.seconds(bytes: crossover * 2) > two.seconds(bytes: crossover * 2))
    #expect(abs(one.seconds(bytes: crossover) - two.seconds(bytes: crossover)) < 1e-12)
  }

  @Test func customFollowsThePolicyAndFallsBackToNCCL() throws {
    let node = CommModel(
      cluster: CommFixtures.star(gpus: 8, bytesPerSecond: Self.link, latency: 0.25e-6), efficiency: Self.profile())
    let curve = try node.allReduceCurve(gpus: Array(0..<8), policy: Self.vllmPolicy)
    #expect(curve.customAvailable)
    #expect(curve.curve(bytes: 100e3).algorithm == "one_shot")
    #expect(curve.curve(bytes: 1e6).algorithm == "two_shot")
    // Beyond customMaxBytes: NCCL.
    let nccl = try node.envelope(.allReduce, gpus: Array(0..<8))
    #expect(curve.seconds(bytes: 64e6) == nccl.seconds(bytes: 64e6))
    // NCCL policy: NCCL at every size.
    let plain = try node.allReduceCurve(gpus: Array(0..<8), policy: .nccl)
    #expect(!plain.customAvailable && plain.seconds(bytes: 1e5) == nccl.seconds(bytes: 1e5))
    // Larger group than the kernel supports.
    var small = Self.vllmPolicy
    small.customMaxGPUs = 4
    #expect(node.customAllReduceRefusal(gpus: Array(0..<8), policy: small) != nil)
    #expect(try !node.allReduceCurve(gpus: Array(0..<8), policy: small).customAvailable)
    // Across nodes.
    let twoNodes = CommModel(cluster: CommFixtures.twoNodes, efficiency: Self.profile())
    #expect(twoNodes.customAllReduceRefusal(gpus: [0, 8], policy: Self.vllmPolicy) == "the group spans nodes")
    #expect(try !twoNodes.allReduceCurve(gpus: [0, 8], policy: Self.vllmPolicy).customAvailable)
    // No NVLink (a PCIe switch).
    var pcie = CommFixtures.star(gpus: 4, bytesPerSecond: 32e9, latency: 5e-6)
    pcie.links = pcie.links.map { link in
      var link = link
      link.kind = "pcie"
      return link
    }
    let pcieModel = CommModel(cluster: pcie, efficiency: Self.profile())
    #expect(try !pcieModel.allReduceCurve(gpus: Array(0..<4), policy: Self.vllmPolicy).customAvailable)
    // A GPU whose laws do not describe the kernel.
    var bare = Self.profile()
    bare.collectiveProtocols?.customAllReduce = nil
    let bareModel = CommModel(
      cluster: CommFixtures.star(gpus: 8, bytesPerSecond: Self.link, latency: 0.25e-6), efficiency: bare)
    #expect(try !bareModel.allReduceCurve(gpus: Array(0..<8), policy: Self.vllmPolicy).customAvailable)
  }

  @Test func eagerCallsPayTheHostOverheadAndTheBufferCopy() throws {
    let model = CommModel(
      cluster: CommFixtures.star(gpus: 4, bytesPerSecond: Self.link, latency: 0.25e-6), efficiency: Self.profile())
    let graph = try model.allReduceCurve(gpus: Array(0..<4), policy: Self.vllmPolicy, cudaGraphs: true)
    let eager = try model.allReduceCurve(gpus: Array(0..<4), policy: Self.vllmPolicy, cudaGraphs: false)
    for bytes in [1e3, 1e5, 4e6] {
      let extra = eager.seconds(bytes: bytes) - graph.seconds(bytes: bytes)
      #expect(CommFixtures.close(extra, 15e-6 + bytes / 1.5e12, 1e-9), "\(bytes)")
    }
  }

  @Test func replicaCostModelUsesThePolicy() throws {
    let cluster = CommFixtures.star(gpus: 8, bytesPerSecond: Self.link, latency: 0.25e-6)
    var gpu = Fixtures.a100_80gb
    gpu.efficiency = Self.profile()
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: gpu, tp: 8)
    let nccl = try ReplicaCostModel(cost: cost, cluster: cluster, stageGPUs: [Array(0..<8)])
    let custom = try ReplicaCostModel(
      cost: cost, cluster: cluster, stageGPUs: [Array(0..<8)], allReducePolicy: Self.vllmPolicy)
    let batch = BatchShape.decode(batch: 8, context: 512)
    let comm = CommModel(cluster: cluster, efficiency: gpu.efficiency)
    let bytes = cost.allReduceBytes(batch: batch)
    let expected = try comm.allReduceCurve(gpus: Array(0..<8), policy: Self.vllmPolicy).seconds(bytes: bytes)
    let ncclExpected = try comm.envelope(.allReduce, gpus: Array(0..<8)).seconds(bytes: bytes)
    #expect(custom.allReduceCurves[0].seconds(bytes: bytes) == expected)
    #expect(nccl.allReduceCurves[0].seconds(bytes: bytes) == ncclExpected)
  }
}

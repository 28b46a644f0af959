import Analytic
import PlanCore
import Testing

@testable import Calibration

@Suite struct CollectiveFitTests {
  /// Synthetic timings from the CommModel with known efficiency parameters, on the two-node
  /// DGX H100 cluster: all-reduce over 2, 4 and 8 GPUs of a node, send/recv inside a node and
  /// across nodes, 4 KB – 64 MB, each time multiplied by (1 + σ·z) with seeded Gaussian z.
  static func synthetic(
    truth: EfficiencyProfile, sigma: Double, seed: UInt64
  ) throws -> (CollectiveTiming, [CollectiveMeasurement]) {
    let timing = CollectiveTiming(cluster: try Paths.catalog.cluster("dgx-h100-2node-ib"))
    var random = SplitMix64(seed: seed)
    var result: [CollectiveMeasurement] = []
    let groups: [(Collective, Int, Int)] = [
      (.allReduce, 2, 2), (.allReduce, 4, 4), (.allReduce, 8, 8), (.sendRecv, 2, 2), (.sendRecv, 2, 1),
    ]
    for (collective, gpus, perNode) in groups {
      for bytes in logSpaced(4096, 64 * 1_048_576, count: 24) {
        var m = CollectiveMeasurement(
          collective: collective, gpus: gpus, gpusPerNode: perNode, bytes: bytes, seconds: 1,
          origin: MeasurementOrigin(file: "synthetic", line: result.count + 1))
        m.seconds = try timing.seconds(m, profile: truth) * (1 + sigma * random.normal())
        result.append(m)
      }
    }
    return (timing, result)
  }

  static func profile(bandwidthMax: Double, halfBytes: Double, stepSeconds: Double) throws -> EfficiencyProfile {
    var profile = try Paths.catalog.gpu("h100-80gb-sxm").efficiency
    // The single α–β law (GPUs without protocol laws); the protocol laws have their own tests.
    profile.collectiveProtocols = nil
    profile.collectiveBandwidthMax = bandwidthMax
    profile.collectiveHalfSaturationBytes = halfBytes
    profile.collectiveStepSeconds = stepSeconds
    return profile
  }

  @Test func recoversKnownParametersWithinTheirStandardErrors() throws {
    let truth = try Self.profile(bandwidthMax: 0.7, halfBytes: 1_000_000, stepSeconds: 3e-6)
    let sigma = 0.03
    let (timing, points) = try Self.synthetic(truth: truth, sigma: sigma, seed: 7)
    // Start from the datasheet defaults, which are off in every parameter.
    var prior = try Paths.catalog.gpu("h100-80gb-sxm").efficiency
    prior.collectiveProtocols = nil
    let fit = try CollectiveCalibration(timing: timing, prior: prior).run(points)
    #expect(fit.refusal == nil && fit.converged)
    #expect(fit.fitted == [true, true, true])
    let truthLaw = CollectiveLaw(truth)
    for (index, (estimate, expected)) in zip(fit.law.vector, truthLaw.vector).enumerated() {
      let standardError = try #require(fit.standardErrors[index])
      // Least squares is unbiased for this linear model; 4 standard errors leave a 1-in-15 000
      // chance of a false failure.
      #expect(abs(estimate - expected) <= 4 * standardError, "parameter \(CollectiveLaw.names[index])")
      // And the data pin each parameter down: a standard error under a quarter of its value.
      #expect(standardError < 0.25 * abs(expected), "parameter \(CollectiveLaw.names[index]) poorly determined")
    }
    // Residuals are the injected noise: their RMS matches σ within sampling error (120 points).
    let rms = (fit.relativeErrors.reduce(0) { $0 + $1 * $1 } / Double(fit.relativeErrors.count)).squareRoot()
    #expect(abs(rms / sigma - 1) < 0.25)
  }

  @Test func timingsFasterThanTheLinksAreRefused() throws {
    // Timings of a law with 90 % of the link bandwidth, then divided by 1.6: large messages now
    // move at 0.9 × 1.6 = 144 % of what the links carry, which no collective does.
    let truth = try Self.profile(bandwidthMax: 0.9, halfBytes: 500_000, stepSeconds: 2e-6)
    var (timing, points) = try Self.synthetic(truth: truth, sigma: 0.01, seed: 11)
    for index in points.indices { points[index].seconds /= 1.6 }
    var prior = try Paths.catalog.gpu("h100-80gb-sxm").efficiency
    prior.collectiveProtocols = nil
    let fit = try CollectiveCalibration(timing: timing, prior: prior).run(points)
    let refusal = try #require(fit.refusal)
    #expect(refusal.contains("bandwidth efficiency") && refusal.contains("> 1"))
    // The physical stand-in holds the bandwidth fraction at its limit.
    let alternative = try #require(fit.physicalAlternative)
    #expect(alternative.law.bandwidthMax == 1 && alternative.held.first?.hasPrefix("bandwidth max held at 1") == true)
  }

  @Test func batchTimingAgreesWithTheCommModelsEstimate() throws {
    let profile = try Paths.catalog.gpu("h100-80gb-sxm").efficiency
    let (timing, points) = try Self.synthetic(truth: profile, sigma: 0, seed: 1)
    let batch = try timing.secondsAll(points, profile: profile)
    for (m, seconds) in zip(points, batch) {
      let single = try CommModel(cluster: timing.cluster, efficiency: profile).estimate(
        m.collective, bytes: m.bytes, gpus: timing.gpus(for: m))
      #expect(abs(seconds / single.seconds - 1) < 1e-12, "\(m.groupLabel) \(m.bytes)")
    }
  }

  @Test func groupsTheClusterCannotHostAreNamed() throws {
    let timing = CollectiveTiming(cluster: try Paths.catalog.cluster("dgx-h100"))
    let crossNode = CollectiveMeasurement(
      collective: .sendRecv, gpus: 2, gpusPerNode: 1, bytes: 1e6, seconds: 1e-4,
      origin: MeasurementOrigin(file: "f", line: 2))
    #expect(throws: TimingError("the group spans 2 nodes; cluster dgx-h100 has 1 (pass a --cluster with more nodes)")) {
      _ = try timing.gpus(for: crossNode)
    }
    // Inside one node the group is the node's first GPUs.
    var inside = crossNode
    inside.gpusPerNode = 2
    #expect(try timing.gpus(for: inside) == [0, 1])
  }
}

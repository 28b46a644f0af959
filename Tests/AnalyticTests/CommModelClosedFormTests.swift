import PlanCore
import Testing

@testable import Analytic

/// Ring collectives on an ideal star: every GPU has one full-duplex link of bandwidth B and
/// latency ℓ to one switch, so a ring step (each GPU sends one chunk to the next) loads each
/// link direction with exactly one chunk, and every path crosses two links (2ℓ). The
/// α–β forms of `CommModel+Algorithms.swift` (Thakur, Rabenseifner and Gropp 2005; Patarasuk
/// and Yuan 2009) are then exact, with τ = 1 / (B · e) and e the collective efficiency:
///   all-reduce  T = 2(n−1)(α + 2ℓ) + 2(n−1)/n · bytes / (B·e)
///   all-gather  T =  (n−1)(α + 2ℓ) +  (n−1)/n · bytes / (B·e)
/// and nccl-tests' bus bandwidth (algbw × 2(n−1)/n for all-reduce, × (n−1)/n for all-gather)
/// of a bandwidth-bound ring is the achieved link bandwidth B·e, while the algorithm
/// bandwidth is B·e · n / (2(n−1)) (all-reduce) or B·e · n / (n−1) (all-gather).
/// No all-reduce beats the ring here: each GPU must send and receive 2(n−1)/n · bytes
/// (Patarasuk and Yuan's lower bound) through its one link, so whichever algorithm the
/// estimate picks, its time is the ring's.
@Suite struct StarCollectiveClosedFormTests {
  typealias F = CommFixtures

  static let linkBytesPerSecond = 100e9
  /// 2²⁰ × 10 bytes: divisible by 2, 4 and 8, so every chunk is a whole number of bytes.
  static let bytes = 10_485_760.0

  /// Collective efficiency e = `bandwidthMax` · b / (b + `halfSaturationBytes`) and step
  /// latency α; everything else ideal.
  func profile(bandwidthMax: Double, halfSaturationBytes: Double, stepSeconds: Double) -> EfficiencyProfile {
    EfficiencyProfile(
      computeMax: 1, computeHalfSaturationFLOPs: 0, memoryMax: 1, memoryHalfSaturationBytes: 0,
      kernelLaunchSeconds: 0, collectiveBandwidthMax: bandwidthMax,
      collectiveHalfSaturationBytes: halfSaturationBytes, collectiveStepSeconds: stepSeconds,
      iterationOverheadSeconds: 0, source: "test: star closed form")
  }

  @Test(arguments: [2, 4, 8])
  func allReduceWithoutLatencyRunsAtBusBandwidthEqualToTheLink(n: Int) throws {
    // No α, no ℓ, efficiency 1: T = 2(n−1)/n · bytes / B, so busbw = B exactly and
    // algbw = B · n / (2(n−1)).
    let b = Self.linkBytesPerSecond
    let model = CommModel(
      cluster: F.star(gpus: n, bytesPerSecond: b, latency: 0),
      efficiency: profile(bandwidthMax: 1, halfSaturationBytes: 0, stepSeconds: 0))
    let estimate = try model.estimate(.allReduce, bytes: Self.bytes, gpus: Array(0..<n))
    let steps = Double(2 * (n - 1))
    #expect(F.close(estimate.seconds, steps / Double(n) * Self.bytes / b, 1e-12))
    #expect(F.close(estimate.busBytesPerSecond, b, 1e-12))
    #expect(F.close(estimate.algorithmBytesPerSecond, b * Double(n) / steps, 1e-12))
    #expect(F.close(estimate.bottleneckBytesPerSecond, b, 1e-12))
  }

  @Test(arguments: [2, 4, 8])
  func allGatherWithoutLatencyRunsAtBusBandwidthEqualToTheLink(n: Int) throws {
    // T = (n−1)/n · bytes / B: busbw = B, algbw = B · n / (n−1).
    let b = Self.linkBytesPerSecond
    let model = CommModel(
      cluster: F.star(gpus: n, bytesPerSecond: b, latency: 0),
      efficiency: profile(bandwidthMax: 1, halfSaturationBytes: 0, stepSeconds: 0))
    let estimate = try model.estimate(.allGather, bytes: Self.bytes, gpus: Array(0..<n))
    let steps = Double(n - 1)
    #expect(estimate.algorithm == "ring")
    #expect(F.close(estimate.seconds, steps / Double(n) * Self.bytes / b, 1e-12))
    #expect(F.close(estimate.busBytesPerSecond, b, 1e-12))
    #expect(F.close(estimate.algorithmBytesPerSecond, b * Double(n) / steps, 1e-12))
  }

  @Test(arguments: [2, 4, 8])
  func allReduceWithLatencyAndEfficiencyIsTheAlphaBetaForm(n: Int) throws {
    // α = 3 µs per step, ℓ = 0.5 µs per link (2ℓ per path), efficiency 0.5 · b/(b + h)
    // with h = bytes/4, so e = 0.4 at this size: every term of the closed form matters.
    let b = Self.linkBytesPerSecond
    let alpha = 3e-6
    let ell = 0.5e-6
    let h = Self.bytes / 4
    let model = CommModel(
      cluster: F.star(gpus: n, bytesPerSecond: b, latency: ell),
      efficiency: profile(bandwidthMax: 0.5, halfSaturationBytes: h, stepSeconds: alpha))
    let e = 0.5 * Self.bytes / (Self.bytes + h)
    #expect(F.close(e, 0.4, 1e-15))
    let steps = Double(2 * (n - 1))
    let latency = steps * (alpha + 2 * ell)
    let bandwidthTerm = steps / Double(n) * Self.bytes / (b * e)
    let seconds = latency + bandwidthTerm

    // The ring's own curve (the first all-reduce algorithm) is this α–β line.
    let ring = try model.curve(.allReduce, gpus: Array(0..<n))
    #expect(ring.algorithm == "ring")
    #expect(F.close(ring.latencySeconds, latency, 1e-12))
    #expect(F.close(ring.secondsPerByte, steps / Double(n) / (b * 0.5), 1e-12))
    #expect(F.close(ring.seconds(bytes: Self.bytes), seconds, 1e-12))

    let estimate = try model.estimate(.allReduce, bytes: Self.bytes, gpus: Array(0..<n))
    #expect(F.close(estimate.seconds, seconds, 1e-12))
    #expect(F.close(estimate.algorithmBytesPerSecond, Self.bytes / seconds, 1e-12))
    // busbw = algbw × 2(n−1)/n; without the α terms it would be exactly B·e.
    #expect(F.close(estimate.busBytesPerSecond, Self.bytes / seconds * steps / Double(n), 1e-12))
    #expect(F.close(estimate.busBytesPerSecond, b * e * bandwidthTerm / seconds, 1e-12))
    #expect(F.close(estimate.bottleneckBytesPerSecond, b * e, 1e-12))
    // Each direction of the busiest link carries one chunk per step: 2(n−1) · bytes/n.
    let link = try #require(estimate.busiestLink)
    #expect(F.close(link.loadBytes, steps * Self.bytes / Double(n), 1e-12))
    #expect(F.close(link.busySeconds, bandwidthTerm, 1e-12))
  }

  @Test(arguments: [2, 4, 8])
  func allGatherWithLatencyAndEfficiencyIsTheAlphaBetaForm(n: Int) throws {
    // n−1 steps of (gathered bytes)/n each, same profile as above (e = 0.4).
    let b = Self.linkBytesPerSecond
    let alpha = 3e-6
    let ell = 0.5e-6
    let h = Self.bytes / 4
    let model = CommModel(
      cluster: F.star(gpus: n, bytesPerSecond: b, latency: ell),
      efficiency: profile(bandwidthMax: 0.5, halfSaturationBytes: h, stepSeconds: alpha))
    let e = 0.4
    let steps = Double(n - 1)
    let latency = steps * (alpha + 2 * ell)
    let bandwidthTerm = steps / Double(n) * Self.bytes / (b * e)
    let seconds = latency + bandwidthTerm
    let estimate = try model.estimate(.allGather, bytes: Self.bytes, gpus: Array(0..<n))
    #expect(estimate.algorithm == "ring")
    #expect(F.close(estimate.latencySeconds, latency, 1e-12))
    #expect(F.close(estimate.seconds, seconds, 1e-12))
    #expect(F.close(estimate.algorithmBytesPerSecond, Self.bytes / seconds, 1e-12))
    #expect(F.close(estimate.busBytesPerSecond, Self.bytes / seconds * steps / Double(n), 1e-12))
    let link = try #require(estimate.busiestLink)
    #expect(F.close(link.loadBytes, steps * Self.bytes / Double(n), 1e-12))
  }
}

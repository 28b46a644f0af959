import Testing

@testable import PlanCore

@Suite struct GPUCatalogTests {
  @Test func catalogHoldsTheFourGPUs() {
    #expect(Fixtures.catalog.names(.gpu) == ["a100-40gb-sxm", "a100-80gb-sxm", "h100-80gb-sxm", "h200-141gb-sxm"])
  }

  /// Datasheet figures (NVIDIA A100, H100 and H200 datasheets): peak dense fp16, HBM bytes and
  /// bytes/s, NVLink bytes/s per direction (half the datasheet's bidirectional total).
  @Test(
    arguments: [
      ("a100-40gb-sxm", 312e12, 40e9, 1555e9, 300e9),
      ("a100-80gb-sxm", 312e12, 80e9, 2039e9, 300e9),
      ("h100-80gb-sxm", 989.4e12, 80e9, 3.35e12, 450e9),
      ("h200-141gb-sxm", 989.4e12, 141e9, 4.8e12, 450e9),
    ])
  func datasheetFigures(name: String, fp16: Double, memory: Double, bandwidth: Double, link: Double) throws {
    let gpu = try Fixtures.catalog.gpu(name)
    #expect(gpu.peakFLOPS(.fp16) == fp16)
    #expect(gpu.peakFLOPS(.bf16) == fp16)
    #expect(gpu.memoryBytes == memory)
    #expect(gpu.memoryBandwidthBytesPerSecond == bandwidth)
    #expect(gpu.intraNodeLinkBytesPerSecond == link)
    #expect(gpu.source.contains("datasheet"))
  }

  /// The datasheet-derived efficiency law every GPU file follows until calibration (issue 7:
  /// shaped by the shared H100 measurements, scaled by each GPU's own datasheet): the
  /// half-saturation sizes are 5 µs of peak compute, 2 µs of HBM traffic and 2 µs of NVLink
  /// traffic, and non-GEMM kernels carry their own memory fractions (files round to four
  /// significant figures, hence the 0.1 % tolerance).
  @Test(arguments: ["a100-40gb-sxm", "a100-80gb-sxm", "h100-80gb-sxm", "h200-141gb-sxm"])
  func efficiencyFollowsTheDatasheetLaw(name: String) throws {
    let gpu = try Fixtures.catalog.gpu(name)
    let law = gpu.efficiency
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-3 * abs(b) }
    let peak = try #require(gpu.peakFLOPS(.fp16))
    let link = try #require(gpu.intraNodeLinkBytesPerSecond)
    let bandwidth = gpu.memoryBandwidthBytesPerSecond
    #expect(law.computeMax == 0.70)
    #expect(close(law.computeHalfSaturationFLOPs, peak * 5e-6))
    #expect(law.memoryMax == 0.70)
    #expect(close(law.memoryHalfSaturationBytes, bandwidth * 2e-6))
    #expect(close(law.kernelLaunchSeconds, 1e-6))
    #expect(law.collectiveBandwidthMax == 0.70)
    #expect(close(law.collectiveHalfSaturationBytes, link * 2e-6))
    #expect(close(law.collectiveStepSeconds, 0.5e-6))
    #expect(close(law.iterationOverheadSeconds, 1e-3))
    // Per-kernel-class memory fractions, with ramps of 0.5 µs (norms), 0.3 µs (activation,
    // embedding) and none (residual add) of this GPU's HBM bandwidth.
    for (kernel, fraction, rampSeconds) in [
      ("input_norm", 0.43, 0.5e-6), ("post_attention_norm", 0.43, 0.5e-6), ("mlp_act", 0.55, 0.3e-6),
      ("residual_add", 1.0, 0.0), ("embedding", 0.15, 0.3e-6),
    ] {
      let resolved = law.forOperator(kernel)
      #expect(resolved.memoryMax == fraction, "\(kernel)")
      #expect(
        abs(resolved.memoryHalfSaturationBytes - bandwidth * rampSeconds) <= 1e-3 * bandwidth * rampSeconds, "\(kernel)"
      )
      #expect(resolved.computeMax == law.computeMax, "\(kernel) inherits the compute law")
    }
    // Uncalibrated files carry the wider uncalibrated error bands.
    #expect(law.uncertainty?.calibrated == false)
    // A GEMM of exactly the half-saturation size runs at half of computeMax.
    #expect(close(law.computeEfficiency(flops: law.computeHalfSaturationFLOPs), law.computeMax / 2))
  }

  @Test func hopperHasFP8AndA100DoesNot() throws {
    // H100 SXM datasheet: FP8 3,958 TFLOPS with sparsity = 1,978.9 dense.
    #expect(try Fixtures.catalog.gpu("h100-80gb-sxm").peakFLOPS(.fp8) == 1978.9e12)
    #expect(try Fixtures.catalog.gpu("a100-80gb-sxm").peakFLOPS(.fp8) == nil)
  }

  @Test func efficiencyBlockRoundTripsThroughItsJSONForm() throws {
    // `calibrate --out` writes `jsonObject`; reading it back must give the same profile.
    let law = try Fixtures.catalog.gpu("a100-80gb-sxm").efficiency
    let reread = try EfficiencyProfile.load(from: FieldReader(file: "roundtrip", object: law.jsonObject))
    #expect(reread == law)
  }
}

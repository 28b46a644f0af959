import Testing

@testable import PlanCore

@Suite struct GPUCatalogTests {
  @Test func catalogHoldsTheEightGPUs() {
    #expect(
      Fixtures.catalog.names(.gpu) == [
        "a100-40gb-sxm", "a100-80gb-sxm", "b200-180gb-sxm", "h100-80gb-sxm", "h200-141gb-sxm", "l4-24gb-pcie",
        "l40s-48gb-pcie", "mi300x-192gb-oam",
      ])
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
  /// shaped by the vendored H100 measurements, scaled by each GPU's own datasheet): the
  /// half-saturation sizes are 4.5 µs of peak compute, 1.3 µs of HBM traffic and 2 µs of
  /// NVLink traffic, a quarter of a GEMM's idle last-wave tiles costs time, and non-GEMM kernels
  /// carry their own memory fractions and L2 byte costs (files round to four significant
  /// figures, hence the 0.1 % tolerance).
  @Test(
    arguments: [
      "a100-40gb-sxm", "a100-80gb-sxm", "h100-80gb-sxm", "h200-141gb-sxm", "b200-180gb-sxm", "mi300x-192gb-oam",
    ])
  func efficiencyFollowsTheDatasheetLaw(name: String) throws {
    let gpu = try Fixtures.catalog.gpu(name)
    let law = gpu.efficiency
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-3 * abs(b) }
    let peak = try #require(gpu.peakFLOPS(.fp16))
    let link = try #require(gpu.intraNodeLinkBytesPerSecond)
    let bandwidth = gpu.memoryBandwidthBytesPerSecond
    #expect(law.computeMax == 0.73)
    #expect(close(law.computeHalfSaturationFLOPs, peak * 4.5e-6))
    #expect(law.waveQuantization == 0.25)
    #expect(law.memoryMax == 0.75)
    #expect(close(law.memoryHalfSaturationBytes, bandwidth * 1.3e-6))
    #expect(law.l2ByteCost == 1)
    #expect(close(law.kernelLaunchSeconds, 1e-6))
    #expect(law.collectiveBandwidthMax == 0.70)
    #expect(close(law.collectiveHalfSaturationBytes, link * 2e-6))
    #expect(close(law.collectiveStepSeconds, 0.5e-6))
    #expect(close(law.iterationOverheadSeconds, 1e-3))
    // Per-kernel-class memory fractions, ramps in µs of this GPU's HBM bandwidth, and the cost
    // of an L2-resident byte (1: no gain).
    for (kernel, fraction, rampSeconds, l2ByteCost) in [
      ("input_norm", 0.28, 0.55e-6, 0.56), ("post_attention_norm", 0.28, 0.55e-6, 0.56), ("mlp_act", 0.55, 0.3e-6, 1),
      ("residual_add", 0.95, 0.4e-6, 0.70), ("embedding", 0.18, 0.25e-6, 1),
    ] {
      let resolved = law.forOperator(kernel)
      #expect(resolved.memoryMax == fraction, "\(kernel)")
      #expect(resolved.l2ByteCost == l2ByteCost, "\(kernel)")
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

  /// Architecture figures (A100 and H100 whitepapers; H200 is the H100 SXM5's GH100): the SM
  /// count GEMM waves are cut by and the L2 size streaming kernels can stay in.
  @Test(
    arguments: [
      ("a100-40gb-sxm", 108, 40e6), ("a100-80gb-sxm", 108, 40e6), ("h100-80gb-sxm", 132, 50e6),
      ("h200-141gb-sxm", 132, 50e6),
    ])
  func architectureFigures(name: String, sms: Int, l2: Double) throws {
    let gpu = try Fixtures.catalog.gpu(name)
    #expect(gpu.streamingMultiprocessors == sms)
    #expect(gpu.l2CacheBytes == l2)
  }

  /// A minimal GPU file with `extra` fields and efficiency fields merged in.
  func gpuFile(_ extra: [String: Any], efficiency: [String: Any] = [:]) throws -> [String: Any] {
    var law = try Fixtures.catalog.gpu("a100-80gb-sxm").efficiency.jsonObject
    law.merge(efficiency) { _, new in new }
    var object: [String: Any] = [
      "peak_dense": ["fp16": "312 TFLOP/s"], "memory": "80 GB", "memory_bandwidth": "2039 GB/s", "efficiency": law,
      "source": "test",
    ]
    object.merge(extra) { _, new in new }
    return object
  }

  @Test func waveAndL2FieldsLoadAndBadValuesAreNamed() throws {
    let good = try GPUSpec.load(
      from: FieldReader(
        file: "g.json",
        object: try gpuFile(
          ["l2_cache": "40 MB", "sm_count": 108],
          efficiency: [
            "wave_quantization": 0.3, "l2_byte_cost": 0.6,
            "operators": ["input_norm": ["l2_byte_cost": 0.5], "qkv_proj": ["wave_quantization": 0.25]],
          ])), name: "g")
    #expect(good.l2CacheBytes == 40e6 && good.streamingMultiprocessors == 108)
    #expect(good.efficiency.waveQuantization == 0.3 && good.efficiency.l2ByteCost == 0.6)
    #expect(good.efficiency.forOperator("input_norm").l2ByteCost == 0.5)
    #expect(good.efficiency.forOperator("qkv_proj").waveQuantization == 0.25)
    #expect(good.efficiency.forOperator("mlp_act").l2ByteCost == 0.6)
    let bad: [([String: Any], [String: Any], String)] = [
      (["sm_count": 0], [:], "sm_count"),
      (["l2_cache": "0 MB"], [:], "l2_cache"),
      ([:], ["wave_quantization": 1.5], "wave_quantization"),
      ([:], ["l2_byte_cost": 0.0], "l2_byte_cost"),
      ([:], ["l2_byte_cost": 1.2], "l2_byte_cost"),
      ([:], ["operators": ["mlp_act": ["wave_quantization": -0.1]]], "wave_quantization"),
    ]
    for (extra, efficiency, field) in bad {
      do {
        _ = try GPUSpec.load(
          from: FieldReader(file: "g.json", object: try gpuFile(extra, efficiency: efficiency)), name: "g")
        Issue.record("\(field): a bad value was accepted")
      } catch {
        // The error names the file and the field.
        #expect(error is CatalogError && "\(error)".contains("g.json") && "\(error)".contains(field), "\(error)")
      }
    }
  }

  @Test func efficiencyBlockRoundTripsThroughItsJSONForm() throws {
    // `calibrate --out` writes `jsonObject`; reading it back must give the same profile.
    let law = try Fixtures.catalog.gpu("a100-80gb-sxm").efficiency
    let reread = try EfficiencyProfile.load(from: FieldReader(file: "roundtrip", object: law.jsonObject))
    #expect(reread == law)
    // With wave quantisation and L2 residency in use, globally and per operator.
    var tuned = law
    tuned.waveQuantization = 0.3
    tuned.l2ByteCost = 0.55
    tuned.operators["residual_add"] = OperatorEfficiency(memoryMax: 0.9, l2ByteCost: 0.7)
    tuned.operators["mlp_down_proj"] = OperatorEfficiency(computeMax: 0.8, waveQuantization: 0.45)
    #expect(try EfficiencyProfile.load(from: FieldReader(file: "roundtrip", object: tuned.jsonObject)) == tuned)
  }
}

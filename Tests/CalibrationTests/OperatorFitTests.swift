import Analytic
import PlanCore
import Testing

@testable import Calibration

@Suite struct OperatorFitTests {
  /// Truth: an H100 whose kernels follow known laws, per operator, with a 1.5 µs launch; the
  /// GEMMs lose part of their idle last-wave tiles (β) and the norm reads L2 at κ.
  static func truthGPU() throws -> GPUSpec {
    var gpu = try Paths.catalog.gpu("h100-80gb-sxm")
    gpu.efficiency.kernelLaunchSeconds = 1.5e-6
    gpu.efficiency.operators = [
      "qkv_proj": OperatorEfficiency(
        computeMax: 0.72, computeHalfSaturationFLOPs: 6e9, memoryMax: 0.8, memoryHalfSaturationBytes: 8e6,
        waveQuantization: 0.2),
      "mlp_down_proj": OperatorEfficiency(
        computeMax: 0.78, computeHalfSaturationFLOPs: 4e9, memoryMax: 0.65, memoryHalfSaturationBytes: 2e6,
        waveQuantization: 0.5),
      "input_norm": OperatorEfficiency(memoryMax: 0.45, memoryHalfSaturationBytes: 2e6, l2ByteCost: 0.6),
      // No ramp: its fixed cost per kernel is the launch alone, so the fit can find the launch.
      "residual_add": OperatorEfficiency(memoryMax: 0.9, memoryHalfSaturationBytes: 0),
    ]
    return gpu
  }

  /// Timings of one Llama-2-7B layer's operators from the cost model with `truth`, 32 token
  /// counts from 1 to 4096 at TP 1, 2, 4, 8, each multiplied by (1 + σ·z), z seeded Gaussian.
  static func synthetic(truth: GPUSpec, operators: [String], sigma: Double, seed: UInt64) throws -> MeasurementSet {
    let model = try Paths.catalog.model("llama-2-7b")
    var random = SplitMix64(seed: seed)
    var set = MeasurementSet()
    for name in operators {
      for tp in [1, 2, 4, 8] {
        for tokens in logSpaced(1, 4096, count: 32) {
          var m = OperatorMeasurement(
            operatorName: name, measuredName: name, shareOfOperator: name == "residual_add" ? 0.5 : 1, model: model,
            tensorParallel: tp, batch: .prefill(tokens: Int(tokens), cached: 0), seconds: 1,
            origin: MeasurementOrigin(file: "synthetic", line: set.operators.count + 2))
          m.seconds = try OperatorTiming.costModel.seconds(m, truth) * (1 + sigma * random.normal())
          set.operators.append(m)
        }
      }
    }
    return set
  }

  @Test func recoversKnownOperatorLawsAndTheLaunch() throws {
    let truth = try Self.truthGPU()
    let names = ["qkv_proj", "mlp_down_proj", "input_norm", "residual_add"]
    let sigma = 0.02
    let set = try Self.synthetic(truth: truth, operators: names, sigma: sigma, seed: 42)
    // Start from the datasheet defaults of the catalog GPU, with a 4 µs launch: operator timings
    // only show each kernel's total fixed cost, so the fit can lower the launch to the smallest
    // fixed cost it sees (the add's 1.5 µs) but has no reason to raise it.
    var prior = try Paths.catalog.gpu("h100-80gb-sxm")
    prior.efficiency.kernelLaunchSeconds = 4e-6
    let result = try Calibrator(gpu: prior, cluster: nil, operatorTiming: .costModel).calibrate(
      set, sourceNote: "synthetic")
    #expect(result.isPhysical, "refusals: \(result.refusals)")
    let peak = 989.4e12
    let bandwidth = 3.35e12
    for name in names {
      let fit = try #require(result.operatorLaws.first { $0.name == name })
      #expect(fit.converged, "\(name) did not converge")
      // Launch equivalents are structural: one kernel per booking costs the launch once, so one
      // launch equals `bandwidth` bytes (or `peak` FLOPs) of ramp; the two residual adds are
      // booked together, each measured add is half the booking: 2 × bandwidth.
      let bytesPerLaunch = try #require(fit.launchEquivalent.bytes)
      let expectedBytesPerLaunch = name == "residual_add" ? 2 * bandwidth : bandwidth
      #expect(abs(bytesPerLaunch / expectedBytesPerLaunch - 1) < 1e-6, "\(name)")
      let law = truth.efficiency.forOperator(name)
      // What the fit estimates: 1/max and the fixed cost folded with the launch.
      var expected = OperatorLaw(law).vector
      expected[1] += 1.5e-6 * peak
      expected[3] += 1.5e-6 * expectedBytesPerLaunch
      // Norms and adds never hit the compute roof: their compute law is not determined. Wave
      // quantisation applies to GEMMs only, L2 residency to streaming kernels only.
      let computeDetermined = name.hasSuffix("proj")
      #expect(
        fit.fitted == [computeDetermined, computeDetermined, true, true, computeDetermined, !computeDetermined],
        "\(name)")
      for index in 0..<OperatorLaw.count where fit.fitted[index] {
        let standardError = try #require(fit.standardErrors[index])
        // Unbiased estimates: within 4 standard errors (a 1-in-15 000 false alarm per parameter).
        #expect(
          abs(fit.foldedLaw.vector[index] - expected[index]) <= 4 * standardError, "\(name) \(OperatorLaw.names[index])"
        )
        // And well determined by 128 points at 2 % noise: under 10 % relative error.
        #expect(
          standardError < 0.1 * abs(expected[index]) || expected[index] == 0, "\(name) \(OperatorLaw.names[index])")
      }
    }
    // The launch: the smallest fixed cost per kernel, the residual add's (it has no ramp).
    let add = try #require(result.operatorLaws.first { $0.name == "residual_add" })
    let launchError = try #require(add.standardErrors[3]) / (2 * bandwidth)
    let launch = try #require(result.launchSeconds)
    #expect(abs(launch - 1.5e-6) <= 4 * launchError)
    // The written profile carries each operator's law.
    let calibrated = result.calibratedGPU.efficiency
    let qkv = calibrated.forOperator("qkv_proj")
    let qkvFit = try #require(result.operatorLaws.first { $0.name == "qkv_proj" })
    // max = 1/u: relative error of max = relative error of u.
    let relative = try #require(qkvFit.standardErrors[0]) / qkvFit.foldedLaw.inverseComputeMax
    #expect(abs(qkv.computeMax / 0.72 - 1) <= 4 * relative)
    // β and κ are recovered too (w = β·u_c, d = (1 − κ)·u_m within 4 standard errors above).
    #expect(abs(calibrated.forOperator("mlp_down_proj").waveQuantization - 0.5) < 0.05)
    #expect(abs(calibrated.forOperator("input_norm").l2ByteCost - 0.6) < 0.05)
    #expect(calibrated.uncertainty?.calibrated == true)
    // Residuals after the fit are the injected noise: p10 and p90 of measured/predicted − 1
    // near ∓1.28 σ (normal quantiles), well inside ±3 σ.
    let uncertainty = try #require(calibrated.uncertainty)
    #expect(uncertainty.compute.p10 < 0 && uncertainty.compute.p10 > -3 * sigma)
    #expect(uncertainty.compute.p90 > 0 && uncertainty.compute.p90 < 3 * sigma)
  }

  @Test func dataFasterThanHBMAreRefusedWithTheReason() throws {
    var truth = try Self.truthGPU()
    // A norm streaming at 130 % of the HBM bandwidth: no kernel does that from HBM.
    truth.efficiency.operators["input_norm"] = OperatorEfficiency(memoryMax: 1.3, memoryHalfSaturationBytes: 1e6)
    let set = try Self.synthetic(truth: truth, operators: ["input_norm", "qkv_proj"], sigma: 0.01, seed: 5)
    let prior = try Paths.catalog.gpu("h100-80gb-sxm")
    let result = try Calibrator(gpu: prior, cluster: nil, operatorTiming: .costModel).calibrate(
      set, sourceNote: "synthetic")
    #expect(!result.isPhysical)
    #expect(result.refusals.count == 1)
    let refusal = try #require(result.refusals.first)
    // (1.3 within the noise; the L2 saving, free here, takes up part of it)
    #expect(refusal.hasPrefix("input_norm: memory efficiency 1.") && refusal.contains("> 1"), "\(refusal)")
    // The physical alternative holds the efficiency at its limit and says so.
    let norm = try #require(result.operatorLaws.first { $0.name == "input_norm" })
    let alternative = try #require(norm.physicalAlternative)
    #expect(alternative.law.memoryMax == 1 && alternative.held.count == 1)
    #expect(alternative.held.first?.hasPrefix("memory max held at 1 (fit: 1.") == true)
    // qkv_proj was physical and is unaffected.
    #expect(result.operatorLaws.first { $0.name == "qkv_proj" }?.refusal == nil)
  }

  @Test func calibratedProfileRoundTripsThroughTheGPUFile() throws {
    var efficiency = try Paths.catalog.gpu("h100-80gb-sxm").efficiency
    efficiency.operators = ["input_norm": OperatorEfficiency(memoryMax: 0.44, memoryHalfSaturationBytes: 1.9e6)]
    efficiency.uncertainty = PredictionUncertainty(
      calibrated: true, compute: ResidualQuantiles(p10: -0.1, p50: 0.01, p90: 0.12),
      communication: ResidualQuantiles(p10: -0.2, p50: 0, p90: 0.3),
      byName: ["all_reduce": ResidualQuantiles(p10: -0.15, p50: 0, p90: 0.2)],
      source: "test")
    let reader = FieldReader(file: "x.json", object: ["efficiency": efficiency.jsonObject])
    let loaded = try EfficiencyProfile.load(from: reader.object("efficiency"))
    #expect(loaded == efficiency)
  }
}

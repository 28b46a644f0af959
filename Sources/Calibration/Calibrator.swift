import Analytic
import PlanCore

/// Everything `llmplan calibrate` prints and writes.
public struct CalibrationResult: Sendable {
  public var gpu: GPUSpec
  /// The GPU with the calibrated profile (residual quantiles included).
  public var calibratedGPU: GPUSpec
  public var pooledLaw: OperatorLawFit?
  public var operatorLaws: [OperatorLawFit]
  public var launchSeconds: Double?
  public var collectiveLaw: CollectiveLawFit?
  /// Kernel laws fitted on bare-kernel timings (attention prefill and decode, fp8 GEMM).
  public var kernelLaws: [KernelLawFit] = []
  /// The protocol laws' fit, when the GPU's collectives follow `CollectiveProtocols`.
  public var collectiveProtocolFit: CollectiveProtocolFit? = nil
  public var before: AccuracyReport
  public var after: AccuracyReport
  /// Parameter sets that were not physical and are therefore not written, with the reason.
  public var refusals: [String]
  public var notes: [String]

  /// True when every fitted parameter set is physical.
  public var isPhysical: Bool { refusals.isEmpty }
}

/// Fits a GPU's efficiency profile (compute, memory, launch, collectives) to measurements by
/// linear least squares (LAPACK), refusing parameters that are not physical.
public struct Calibrator: Sendable {
  public let gpu: GPUSpec
  public let cluster: Cluster?
  public let operatorTiming: OperatorTiming

  /// How the `source` of every profile `calibrate` writes begins: `llmplan calibrate --out`
  /// recognises its own files by it (and overwrites no other file without `--force`).
  public static let sourcePrefix = "Calibrated by llmplan calibrate"

  public init(gpu: GPUSpec, cluster: Cluster?, operatorTiming: OperatorTiming) {
    self.gpu = gpu
    self.cluster = cluster
    self.operatorTiming = operatorTiming
  }

  public func calibrate(_ measurements: MeasurementSet, sourceNote: String) throws -> CalibrationResult {
    guard !measurements.isEmpty else { throw TimingError("no usable measurements") }
    let collectiveTiming = cluster.map(CollectiveTiming.init)
    var refusals: [String] = []
    var notes: [String] = []
    var profile = gpu.efficiency

    // Only points the model can time on this hardware take part.
    var operators: [OperatorMeasurement] = []
    var layerAttention = 0
    for m in measurements.operators {
      // Attention has its own law (AttentionEfficiency), fitted on bare attention calls
      // (kernel tables); the per-operator compute/memory law would not change its time.
      if m.operatorName == "attention" {
        layerAttention += 1
        continue
      }
      if (try? operatorTiming.seconds(m, gpu)) != nil { operators.append(m) }
    }
    if layerAttention > 0 {
      notes.append(
        "\(layerAttention) layer-level attention timings are scored but not fitted: attention has its own law, fitted from bare attention calls (AIConfigurator context_attention / generation_attention tables)"
      )
    }
    var collectives: [CollectiveMeasurement] = []
    for m in measurements.collectives {
      if let collectiveTiming, (try? collectiveTiming.gpus(for: m)) != nil { collectives.append(m) }
    }
    if operators.count < measurements.operators.count {
      notes.append(
        "\(measurements.operators.count - operators.count) operator timings cannot be timed by the model and are left out"
      )
    }
    if collectives.count < measurements.collectives.count {
      let reason = cluster == nil ? "no --cluster given" : "cluster \(cluster!.name) cannot host their groups"
      notes.append("\(measurements.collectives.count - collectives.count) collective timings left out: \(reason)")
    }

    guard !operators.isEmpty || !collectives.isEmpty || !measurements.kernels.isEmpty else {
      // Nothing would be fitted: writing the prior back marked "calibrated" (with the error band
      // of zero points) would claim a calibration that never happened.
      throw TimingError(
        "none of the \(measurements.operators.count + measurements.collectives.count) timings can be used ("
          + notes.joined(separator: "; ") + "); nothing to calibrate, nothing written")
    }

    var pooled: OperatorLawFit?
    var laws: [OperatorLawFit] = []
    var launch: Double?
    if !operators.isEmpty {
      let result = try OperatorCalibration(gpu: gpu, timing: operatorTiming).run(operators)
      pooled = result.pooled
      laws = result.perOperator
      launch = result.launchSeconds
      notes.append(result.launchNote)
      refusals += ([result.pooled] + result.perOperator).compactMap(\.refusal)
      let iterationOverhead = profile.iterationOverheadSeconds
      let kept = profile
      profile = result.profile
      profile.iterationOverheadSeconds = iterationOverhead
      profile.fittedLaws = kept.fittedLaws.union(["gemm", "operators"])
      notes.append(
        "iteration overhead kept at \(Units.formatSeconds(iterationOverhead)): operator and collective timings do not determine it"
      )
    }
    var collectiveFit: CollectiveLawFit?
    var protocolFit: CollectiveProtocolFit?
    if !collectives.isEmpty, let collectiveTiming, gpu.efficiency.collectiveProtocols != nil {
      // Under protocol laws the single α–β law no longer shapes any time: fit the protocols.
      protocolFit = try CollectiveProtocolCalibration(timing: collectiveTiming, prior: gpu.efficiency).run(collectives)
      if let protocolFit {
        profile.collectiveProtocols = protocolFit.protocols
        notes += protocolFit.notes.map { "collectives: \($0)" }
      }
    } else if !collectives.isEmpty, let collectiveTiming {
      let fit = try CollectiveCalibration(timing: collectiveTiming, prior: gpu.efficiency).run(collectives)
      collectiveFit = fit
      if let refusal = fit.refusal {
        refusals.append(refusal)
        if let alternative = fit.physicalAlternative {
          profile = alternative.law.applied(to: profile)
          notes.append(
            "collectives: the physical alternative (\(alternative.held.joined(separator: "; "))) stands in for the refused fit"
          )
        } else {
          notes.append("collectives: refused; \(gpu.name)'s own collective law is kept")
        }
      } else {
        profile = fit.law.applied(to: profile)
        profile.fittedLaws.insert("collectives")
      }
    }
    for fit in laws where fit.refusal != nil {
      if let alternative = fit.physicalAlternative {
        notes.append(
          "\(fit.name): the physical alternative (\(alternative.held.joined(separator: "; "))) stands in for the refused fit"
        )
      } else {
        notes.append("\(fit.name): refused; it keeps \(gpu.name)'s own law")
      }
    }
    var kernelLaws: [KernelLawFit] = []
    if !measurements.kernels.isEmpty {
      var kernelGPU = gpu
      kernelGPU.efficiency = profile
      let result = try KernelCalibration(gpu: kernelGPU).run(measurements.kernels)
      kernelLaws = result.fits
      notes += result.notes
      refusals += result.fits.compactMap(\.refusal)
      let fitted = result.profile
      profile.attention = fitted.attention
      profile.gemmDTypes = fitted.gemmDTypes
      profile.fittedLaws.formUnion(fitted.fittedLaws)
    }
    let operatorCount = operators.count
    let collectiveCount = collectives.count
    profile.source =
      "\(Self.sourcePrefix) from \(operatorCount) operator, \(collectiveCount) collective and \(measurements.kernels.count) kernel timings (\(sourceNote)); "
      + "prior: \(gpu.efficiency.source)"

    var calibrated = gpu
    calibrated.efficiency = profile
    let before = AccuracyReport.evaluate(
      gpu: gpu, measurements: measurements, operatorTiming: operatorTiming, collectiveTiming: collectiveTiming)
    let after = AccuracyReport.evaluate(
      gpu: calibrated, measurements: measurements, operatorTiming: operatorTiming, collectiveTiming: collectiveTiming)
    calibrated.efficiency.uncertainty = after.uncertainty(
      calibrated: true,
      source:
        "residual quantiles (measured / predicted - 1) of the calibrated model on its \(operatorCount + collectiveCount) calibration timings",
      fallback: gpu.efficiency.uncertainty)
    var result = CalibrationResult(
      gpu: gpu, calibratedGPU: calibrated, pooledLaw: pooled, operatorLaws: laws, launchSeconds: launch,
      collectiveLaw: collectiveFit, before: before, after: after, refusals: refusals, notes: notes)
    result.kernelLaws = kernelLaws
    result.collectiveProtocolFit = protocolFit
    return result
  }
}

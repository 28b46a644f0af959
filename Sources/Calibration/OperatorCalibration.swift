import PlanCore

/// The fit of one operator law (one operator, or the pooled law of several).
public struct OperatorLawFit: Sendable {
  /// Operator name, or "(all GEMMs)" style label for the pooled law.
  public var name: String
  public var points: Int
  /// The law as fitted, launch folded into the ramps (what the data determine).
  public var foldedLaw: OperatorLaw
  /// The law with the common kernel launch taken out of its ramps (what the profile stores).
  public var law: OperatorLaw
  /// Which of the parameters the data determined (others come from the fallback law).
  public var fitted: [Bool]
  /// Standard errors of the fitted parameters (same order as `OperatorLaw.vector`; nil if held).
  public var standardErrors: [Double?]
  public var rounds: Int
  public var converged: Bool
  /// Why these parameters are not physical, when they are not (then they are not written).
  public var refusal: String?
  /// `predicted / measured − 1` per fitted point.
  public var relativeErrors: [Double]
  /// Ramp FLOPs and ramp bytes that cost as much as one kernel launch in this operator as the
  /// cost model books it (peak FLOP/s and bandwidth for one kernel per booking; twice that
  /// when two kernels are booked together, as the two residual adds).
  public var launchEquivalent: (flops: Double?, bytes: Double?) = (nil, nil)
  /// For a refused law: the best physical law, with the offending parameters held at their
  /// limits (efficiency 1, fixed cost 0) and the rest refitted; written only on request.
  public var physicalAlternative: PhysicalAlternative?

  public struct PhysicalAlternative: Sendable {
    public var foldedLaw: OperatorLaw
    public var law: OperatorLaw
    public var fitted: [Bool]
    public var relativeErrors: [Double]
    /// What was held where, e.g. "memory max held at 1 (fit: 1.165)".
    public var held: [String]
  }
}

/// Fits the compute/memory laws of the operators in a measurement set.
struct OperatorCalibration {
  let gpu: GPUSpec
  let timing: OperatorTiming

  /// GEMM-like operators whose pooled law becomes the profile's global law (the LM head, without
  /// an entry of its own, is a GEMM too). Attention is not: it has its own law.
  static let matrixOperators: Set<String> = [
    "qkv_proj", "out_proj", "mlp_up_proj", "mlp_down_proj", "lm_head",
  ]

  struct Result {
    var pooled: OperatorLawFit
    var perOperator: [OperatorLawFit]
    var launchSeconds: Double
    var launchNote: String
    /// The calibrated profile's compute/memory part (collective fields untouched).
    var profile: EfficiencyProfile
  }

  func peak(_ measurement: OperatorMeasurement) throws -> Double {
    guard let value = gpu.peakFLOPS(measurement.model.dtype) else {
      throw TimingError("\(gpu.name) lists no peak FLOP/s for \(measurement.model.dtype.rawValue)")
    }
    return value
  }

  /// A prior law with the kernel launch folded into its ramps (the fit sees launch as part of
  /// every kernel's fixed cost).
  func folded(_ profile: EfficiencyProfile, peak: Double) -> OperatorLaw {
    var law = OperatorLaw(profile)
    // compute seconds = (FLOPs · u + r) / peak + launch = (FLOPs · u + r + launch · peak) / peak.
    law.computeRampFLOPs += profile.kernelLaunchSeconds * peak
    law.memoryRampBytes += profile.kernelLaunchSeconds * gpu.memoryBandwidthBytesPerSecond
    return law
  }

  func fit(
    _ measurements: [OperatorMeasurement], name: String, start: OperatorLaw, fallback: OperatorLaw,
    frozen: [Int: Double] = [:]
  ) throws -> OperatorLawFit {
    let prior = gpu.efficiency
    let timing = self.timing
    let gpu = self.gpu
    let peak = try self.peak(measurements[0])
    let bandwidth = gpu.memoryBandwidthBytesPerSecond
    var held = fallback.vector
    for (index, value) in frozen { held[index] = value }
    var startVector = start.vector
    for (index, value) in frozen { startVector[index] = value }
    var fitter = PiecewiseLinearFit(
      evaluateAll: { theta in
        var probe = gpu
        probe.efficiency = OperatorLaw(vector: theta).applied(to: prior, launchSeconds: 0)
        return try timing.secondsAll(measurements, probe)
      },
      measured: measurements.map(\.seconds),
      scales: [1, peak * 1e-6, 1, bandwidth * 1e-6, 1, 1],
      droppable: [[4, 5], [1, 3]], prior: held)
    fitter.frozen = Set(frozen.keys)
    let outcome = try fitter.run(start: startVector) { theta in
      if !(theta[0] > 0 && theta[2] > 0) { return "a fitted efficiency is not positive" }
      if theta[1] < 0 {
        return
          "the best fit needs a negative fixed cost on compute-bound kernels (\(Units.formatSeconds(theta[1] / peak)))"
      }
      if theta[3] < 0 {
        return
          "the best fit needs a negative fixed cost on memory-bound kernels (\(Units.formatSeconds(theta[3] / bandwidth)))"
      }
      if theta[4] < 0 {
        return
          "the best fit needs a negative wave quantization (\(String(format: "%.3f", theta[4] / theta[0]))): partly filled waves cannot be cheaper than full ones"
      }
      if theta[5] >= theta[2] {
        return "the best fit needs L2-resident bytes to cost nothing or less"
      }
      return nil
    }
    let law = OperatorLaw(vector: outcome.theta)
    return OperatorLawFit(
      name: name, points: measurements.count, foldedLaw: law, law: law, fitted: outcome.fitted,
      standardErrors: outcome.standardErrors, rounds: outcome.rounds,
      converged: outcome.converged, refusal: outcome.stoppedOutside, relativeErrors: outcome.relativeErrors)
  }

  /// Why a fitted law is not physical (every reason, most telling first), or nil.
  func physicalCheck(_ fit: OperatorLawFit, peak: Double) -> String? {
    let law = fit.foldedLaw
    let bandwidth = gpu.memoryBandwidthBytesPerSecond
    var reasons: [String] = []
    if fit.fitted[0] && law.computeMax > 1 {
      reasons.append(
        "compute efficiency \(format(law.computeMax)) > 1: the timings imply "
          + "\(Units.formatFLOPS(peak * law.computeMax)) on large kernels, above the \(Units.formatFLOPS(peak)) peak of \(gpu.name) "
          + "(wrong --gpu, wrong time unit, or sparse/low-precision kernels)")
    }
    if fit.fitted[2] && law.memoryMax > 1 {
      reasons.append(
        "memory efficiency \(format(law.memoryMax)) > 1: the timings imply "
          + "\(Units.formatBytesPerSecond(bandwidth * law.memoryMax)), above the \(Units.formatBytesPerSecond(bandwidth)) HBM bandwidth "
          + "of \(gpu.name) (working sets served from cache, wrong --gpu, or a wrong time unit)")
    }
    if fit.fitted[4] && law.waveQuantization > 1 {
      reasons.append(
        "wave quantization \(format(law.waveQuantization)) > 1: idle tiles of a last wave cost more than full ones")
    }
    if fit.fitted[5] && law.l2Saving < 0 {
      reasons.append(
        "L2 byte cost \(format(law.l2ByteCost)) > 1: bytes that fit in L2 would be slower than bytes from HBM")
    }
    if let stopped = fit.refusal {
      reasons.append(stopped)
    } else {
      if fit.fitted[1] && law.computeRampFLOPs < 0 {
        reasons.append(
          "negative fixed cost on compute-bound kernels (\(Units.formatSeconds(law.computeRampFLOPs / peak)))")
      }
      if fit.fitted[3] && law.memoryRampBytes < 0 {
        reasons.append(
          "negative fixed cost on memory-bound kernels (\(Units.formatSeconds(law.memoryRampBytes / bandwidth)))")
      }
    }
    return reasons.isEmpty ? nil : "\(fit.name): " + reasons.joined(separator: "; ")
  }

  /// Ramp FLOPs and bytes equal to one kernel launch for these measurements (see
  /// `OperatorLawFit.launchEquivalent`), read off the cost model by probing: the time one more
  /// second of launch adds, over the time one more ramp unit adds. Nil where no point is in
  /// that region.
  func launchEquivalents(_ measurements: [OperatorMeasurement], law: OperatorLaw) -> (flops: Double?, bytes: Double?) {
    let prior = gpu.efficiency
    var flops: [Double] = []
    var bytes: [Double] = []
    func seconds(_ m: OperatorMeasurement, _ law: OperatorLaw, launch: Double) -> Double? {
      var probe = gpu
      probe.efficiency = law.applied(to: prior, launchSeconds: launch)
      return try? timing.seconds(m, probe)
    }
    for m in measurements {
      guard let base = seconds(m, law, launch: 0), let launched = seconds(m, law, launch: 1e-6) else { continue }
      let perLaunch = (launched - base) / 1e-6
      var compute = law
      let flopStep = max(law.computeRampFLOPs, 1e6) * 1e-6
      compute.computeRampFLOPs += flopStep
      var memory = law
      let byteStep = max(law.memoryRampBytes, 1e3) * 1e-6
      memory.memoryRampBytes += byteStep
      if let t = seconds(m, compute, launch: 0), t > base { flops.append(perLaunch / ((t - base) / flopStep)) }
      if let t = seconds(m, memory, launch: 0), t > base { bytes.append(perLaunch / ((t - base) / byteStep)) }
    }
    return (flops.isEmpty ? nil : quantile(flops, 0.5), bytes.isEmpty ? nil : quantile(bytes, 0.5))
  }

  /// The best physical law when `fit` is not physical: hold each offending parameter at its
  /// limit and refit the others, until nothing is out of bounds (at most one round per parameter).
  func physicalAlternative(
    _ fit: OperatorLawFit, points: [OperatorMeasurement], fallback: OperatorLaw, peak: Double
  ) -> OperatorLawFit.PhysicalAlternative? {
    var frozen: [Int: Double] = [:]
    var held: [String] = []
    var current = fit
    // Each limit: the parameter, when it is out of bounds, the value to hold it at, and how
    // to say so.
    let limits: [(index: Int, isOut: (OperatorLaw) -> Bool, limit: Double, label: (OperatorLaw) -> String)] = [
      (0, { $0.inverseComputeMax < 1 }, 1, { String(format: "compute max held at 1 (fit: %.3f)", $0.computeMax) }),
      (2, { $0.inverseMemoryMax < 1 }, 1, { String(format: "memory max held at 1 (fit: %.3f)", $0.memoryMax) }),
      (1, { $0.computeRampFLOPs < 0 }, 0, { _ in "compute fixed cost held at 0" }),
      (3, { $0.memoryRampBytes < 0 }, 0, { _ in "memory fixed cost held at 0" }),
      (4, { $0.waveWeight < 0 }, 0, { _ in "wave quantization held at 0" }),
      (5, { $0.l2Saving < 0 }, 0, { String(format: "L2 byte cost held at 1 (fit: %.3f)", $0.l2ByteCost) }),
    ]
    for _ in 0..<OperatorLaw.count {
      let law = current.foldedLaw
      var changed = false
      for limit in limits where current.fitted[limit.index] && frozen[limit.index] == nil && limit.isOut(law) {
        frozen[limit.index] = limit.limit
        held.append(limit.label(law))
        changed = true
      }
      if !changed { break }
      guard
        let refit = try? self.fit(points, name: fit.name, start: current.foldedLaw, fallback: fallback, frozen: frozen)
      else {
        return nil
      }
      current = refit
      if current.refusal == nil && physicalCheck(current, peak: peak) == nil {
        return OperatorLawFit.PhysicalAlternative(
          foldedLaw: current.foldedLaw, law: current.foldedLaw, fitted: current.fitted,
          relativeErrors: current.relativeErrors, held: held)
      }
    }
    return nil
  }

  func run(_ measurements: [OperatorMeasurement]) throws -> Result {
    let prior = gpu.efficiency
    let peak = try self.peak(measurements[0])
    let bandwidth = gpu.memoryBandwidthBytesPerSecond
    for m in measurements where try self.peak(m) != peak {
      throw TimingError(
        "measurements mix precisions with different peaks (\(m.model.dtype.rawValue) at \(m.origin.description)); calibrate one precision at a time"
      )
    }
    let byName = Dictionary(grouping: measurements, by: \.operatorName)
    let names = byName.keys.sorted()

    // The pooled law: every GEMM-like operator together (all operators when none is GEMM-like).
    let matrixPoints = measurements.filter { Self.matrixOperators.contains($0.operatorName) }
    let pooledPoints = matrixPoints.isEmpty ? measurements : matrixPoints
    let priorLaw = folded(prior, peak: peak)
    var pooled = try fit(
      pooledPoints, name: matrixPoints.isEmpty ? "pooled (all operators)" : "pooled (GEMM operators)", start: priorLaw,
      fallback: priorLaw)
    pooled.refusal = physicalCheck(pooled, peak: peak)
    pooled.launchEquivalent = launchEquivalents(pooledPoints, law: pooled.foldedLaw)
    let fallback = pooled.refusal == nil ? pooled.foldedLaw : priorLaw

    var perOperator: [OperatorLawFit] = []
    for name in names {
      let points = byName[name]!
      let start = prior.operators[name] != nil ? folded(prior.forOperator(name), peak: peak) : fallback
      var result: OperatorLawFit
      do {
        result = try fit(points, name: name, start: start, fallback: fallback)
        result.refusal = physicalCheck(result, peak: peak)
        if result.refusal != nil {
          result.physicalAlternative = physicalAlternative(result, points: points, fallback: fallback, peak: peak)
        }
        let equivalentLaw = result.physicalAlternative?.foldedLaw ?? result.foldedLaw
        result.launchEquivalent = launchEquivalents(points, law: equivalentLaw)
      } catch let failure as PiecewiseLinearFit.Failure {
        result = OperatorLawFit(
          name: name, points: points.count, foldedLaw: fallback, law: fallback,
          fitted: [Bool](repeating: false, count: OperatorLaw.count),
          standardErrors: [Double?](repeating: nil, count: OperatorLaw.count), rounds: 0, converged: false,
          refusal: "\(name): \(failure.description)",
          relativeErrors: [])
      }
      perOperator.append(result)
    }

    // The kernel launch: the smallest fixed cost per kernel that any accepted, fitted law shows
    // (every kernel pays it); each law keeps the rest of its fixed cost as its ramp.
    var floors: [Double] = []
    for fit in [pooled] + perOperator {
      // A refused law counts through its physical alternative (its ramps were refitted).
      let law: OperatorLaw
      let fitted: [Bool]
      if fit.refusal == nil {
        (law, fitted) = (fit.foldedLaw, fit.fitted)
      } else if let alternative = fit.physicalAlternative {
        (law, fitted) = (alternative.foldedLaw, alternative.fitted)
      } else {
        continue
      }
      if fitted[1], let flops = fit.launchEquivalent.flops { floors.append(law.computeRampFLOPs / flops) }
      if fitted[3], let bytes = fit.launchEquivalent.bytes { floors.append(law.memoryRampBytes / bytes) }
    }
    let launch: Double
    let launchNote: String
    if let smallest = floors.min(), smallest < prior.kernelLaunchSeconds {
      launch = smallest
      launchNote =
        "kernel launch = the smallest fixed cost per kernel among the fitted laws (\(Units.formatSeconds(smallest)))"
    } else if let smallest = floors.min() {
      // Every measured kernel costs more than the prior launch: the excess is each law's ramp,
      // and operators nobody measured keep the prior's launch.
      launch = prior.kernelLaunchSeconds
      launchNote =
        "kernel launch kept at \(Units.formatSeconds(launch)): the smallest fitted fixed cost per kernel (\(Units.formatSeconds(smallest))) is larger, the rest is ramp"
    } else {
      launch = prior.kernelLaunchSeconds
      launchNote = "kernel launch kept at \(Units.formatSeconds(launch)): no fitted law determined a fixed cost"
    }
    func unfold(_ law: OperatorLaw, _ equivalent: (flops: Double?, bytes: Double?)) -> OperatorLaw {
      var result = law
      result.computeRampFLOPs = max(0, law.computeRampFLOPs - launch * (equivalent.flops ?? peak))
      result.memoryRampBytes = max(0, law.memoryRampBytes - launch * (equivalent.bytes ?? bandwidth))
      return result
    }
    pooled.law = unfold(pooled.foldedLaw, pooled.launchEquivalent)
    for index in perOperator.indices {
      let fit = perOperator[index]
      perOperator[index].law = unfold(fit.foldedLaw, fit.launchEquivalent)
      if let alternative = fit.physicalAlternative {
        perOperator[index].physicalAlternative!.law = unfold(alternative.foldedLaw, fit.launchEquivalent)
      }
    }

    var profile = pooled.refusal == nil ? pooled.law.applied(to: prior, launchSeconds: launch) : prior
    profile.kernelLaunchSeconds = launch
    profile.operators = prior.operators
    for fit in perOperator {
      if fit.refusal == nil {
        profile.operators[fit.name] = fit.law.override(fitted: fit.fitted)
      } else if let alternative = fit.physicalAlternative {
        profile.operators[fit.name] = alternative.law.override(fitted: alternative.fitted)
      }
    }
    return Result(
      pooled: pooled, perOperator: perOperator, launchSeconds: launch, launchNote: launchNote, profile: profile)
  }

  private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

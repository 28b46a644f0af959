import Analytic
import PlanCore

/// Times bare-kernel measurements with the cost model's kernel laws.
public enum KernelTiming {
  /// Seconds the cost model gives `m` on `gpu` (attention computes in bf16, as measured).
  public static func seconds(_ m: KernelMeasurement, gpu: GPUSpec) throws -> Double {
    switch m.work {
    case .gemm(let shape): return try CostModel.gemmSeconds(shape, gpu: gpu)
    case .attention(let call): return try CostModel.attentionSeconds(call, gpu: gpu, computeDType: .bf16)
    case .moe(let call): return try CostModel.expertSeconds(call, gpu: gpu)
    }
  }
}

/// The fit of one kernel law (attention prefill, attention decode, fp8 GEMM).
public struct KernelLawFit: Sendable {
  public var name: String
  public var points: Int
  /// Parameter names and fitted values, in the law's order.
  public var parameters: [(name: String, value: Double)]
  /// Why the fit is not physical (then it is not written), or nil.
  public var refusal: String?
  /// `predicted / measured − 1` on the fitted points.
  public var relativeErrors: [Double]
}

/// Fits the attention law (both phases) and the fp8 GEMM law to bare-kernel timings by
/// iteratively reweighted relative least squares (LAPACK `dgelsd`): the attention law is linear
/// in its coefficients (`AttentionLaw`), the fp8 GEMM law linear in 1/compute max and
/// half-saturation/compute max on its compute-bound points.
struct KernelCalibration {
  let gpu: GPUSpec

  struct Result {
    var fits: [KernelLawFit]
    var profile: EfficiencyProfile
    var notes: [String]
  }

  static let prefillNames = [
    "floor (s)", "matmul cost", "matmul cost, fp8 KV", "softmax cost", "memory cost", "KV re-read cost",
  ]
  static let decodeNames = [
    "floor (s)", "floor per 128 head dim (s)", "wave (s)", "wave per 128 head dim (s)", "memory cost",
    "occupancy cost", "fp8 byte surcharge",
  ]

  /// Relative least squares with IRLS towards least absolute relative error (the median is what
  /// is reported): 20 rounds of weights 1 / max(|r|, 0.001).
  /// Coefficients in `frozen` are held at their values (a physical limit), the others fitted.
  static func irls(design: [[Double]], measured: [Double], frozen: [Int: Double] = [:]) throws -> [Double]? {
    let columns = design.first?.count ?? 0
    let active = (0..<columns).filter { frozen[$0] == nil }
    let fixed = design.map { row in frozen.reduce(0) { $0 + row[$1.key] * $1.value } }
    var weights = [Double](repeating: 1, count: measured.count)
    var solution: [Double]?
    for _ in 0..<20 {
      guard
        let outcome = try RelativeLeastSquares.solve(
          design: design, fixed: fixed, measured: measured, weights: weights, active: active),
        outcome.coefficients.count == active.count
      else { return nil }
      var theta = [Double](repeating: 0, count: columns)
      for (index, value) in frozen { theta[index] = value }
      for (position, column) in active.enumerated() { theta[column] = outcome.coefficients[position] }
      solution = theta
      for i in measured.indices {
        var predicted = 0.0
        for j in 0..<columns { predicted += design[i][j] * theta[j] }
        weights[i] = 1 / max(abs(predicted / measured[i] - 1), 1e-3)
      }
    }
    return solution
  }

  func run(_ kernels: [KernelMeasurement]) throws -> Result {
    var profile = gpu.efficiency
    var fits: [KernelLawFit] = []
    var notes: [String] = []
    let peak = gpu.peakFLOPS(.bf16) ?? 0
    let hardware = AttentionHardware(
      peakFLOPSPerSecond: peak, bandwidthBytesPerSecond: gpu.memoryBandwidthBytesPerSecond,
      streamingMultiprocessors: Double(gpu.streamingMultiprocessors ?? 0))
    var calls: [AttentionCall.Phase: [(AttentionCall, Double)]] = [:]
    for m in kernels {
      if case .attention(let call) = m.work { calls[call.phase, default: []].append((call, m.seconds)) }
    }
    var law = profile.attention ?? .datasheetDefault
    var attentionFitted = false
    for phase in [AttentionCall.Phase.prefill, .decode] {
      guard let points = calls[phase], peak > 0 else { continue }
      let names = phase == .prefill ? Self.prefillNames : Self.decodeNames
      let design = points.map { AttentionLaw.features($0.0, hardware) }
      let measured = points.map(\.1)
      // Each coefficient needs a column that varies; a table with one KV dtype cannot fit the other.
      let active = (0..<names.count).filter { j in design.contains { $0[j] != 0 } }
      guard points.count > 2 * names.count, active.count == names.count else {
        notes.append(
          "attention \(phase.rawValue): \(points.count) points do not determine all \(names.count) coefficients (need both KV dtypes and more than \(2 * names.count) points); law kept"
        )
        continue
      }
      guard var theta = try Self.irls(design: design, measured: measured) else {
        notes.append("attention \(phase.rawValue): the least-squares system is rank-deficient; law kept")
        continue
      }
      // Physical limits: no cost is negative, and decode (which streams the cache) cannot beat
      // the datasheet bandwidth (memory cost ≥ 1). A fit outside them is refitted with the
      // offending coefficients held at their limits (the physical alternative), one round per
      // coefficient at most.
      var frozen: [Int: Double] = [:]
      for _ in 0..<names.count {
        var changed = false
        for index in theta.indices where frozen[index] == nil {
          let limit = phase == .decode && index == 4 ? 1.0 : 0.0
          if theta[index] < limit {
            frozen[index] = limit
            notes.append(
              "attention \(phase.rawValue): \(names[index]) fitted \(String(format: "%.4g", theta[index])), below its limit \(limit); held at \(limit) and the rest refitted"
            )
            changed = true
          }
        }
        guard changed else { break }
        guard let refit = try Self.irls(design: design, measured: measured, frozen: frozen) else { break }
        theta = refit
      }
      let errors = zip(design, measured).map { row, t in zip(row, theta).reduce(0) { $0 + $1.0 * $1.1 } / t - 1 }
      var refusal: String?
      if let index = theta.indices.first(where: { theta[$0] < 0 }) {
        refusal = "attention \(phase.rawValue): \(names[index]) fitted negative (\(theta[index])): not physical"
      } else if phase == .decode, theta[4] < 1 - 1e-12 {
        refusal =
          "attention decode: memory cost \(theta[4]) < 1 implies more than the \(Units.formatBytesPerSecond(gpu.memoryBandwidthBytesPerSecond)) datasheet bandwidth"
      }
      fits.append(
        KernelLawFit(
          name: "attention \(phase.rawValue)", points: points.count,
          parameters: Array(zip(names, theta)).map { (name: $0.0, value: $0.1) }, refusal: refusal,
          relativeErrors: errors))
      guard refusal == nil else { continue }
      attentionFitted = true
      if phase == .prefill {
        law = AttentionEfficiency(prefill: theta, decode: law.decodeVector, fittedOnThisGPU: true, source: "")
      } else {
        law = AttentionEfficiency(prefill: law.prefillVector, decode: theta, fittedOnThisGPU: true, source: "")
      }
    }
    if attentionFitted {
      law.source = "fitted by llmplan calibrate on \(calls.values.reduce(0) { $0 + $1.count }) attention timings"
      profile.attention = law
      profile.fittedLaws.insert("attention")
    }
    if let fit = try fitFP8GEMM(kernels) {
      fits.append(fit.fit)
      if fit.fit.refusal == nil {
        profile.gemmDTypes["fp8"] = fit.law
        profile.fittedLaws.insert("gemm_fp8")
      }
    } else if kernels.contains(where: {
      if case .gemm(let s) = $0.work { return s.dtype == .fp8 } else { return false }
    }) {
      notes.append("gemm fp8: \(gpu.name) lists no fp8 peak, or too few compute-bound fp8 points; no fp8 law fitted")
    }
    return Result(fits: fits, profile: profile, notes: notes)
  }

  /// Fits the compute max of the fp8 GEMM law on the compute-bound fp8 points (under the GPU's
  /// current law); wave quantisation and the half-saturation time constant are held at the profile's.
  func fitFP8GEMM(_ kernels: [KernelMeasurement]) throws -> (fit: KernelLawFit, law: OperatorEfficiency)? {
    guard let peak = gpu.peakFLOPS(.fp8), peak > 0 else { return nil }
    // Points are chosen, and the fixed parts costed, under the datasheet-derived fp8 law (the
    // profile's own fractions at the fp8 peak), not under an fp8 law the file may already hold:
    // the fit then does not depend on its own previous result.
    var probe = gpu
    probe.efficiency.gemmDTypes["fp8"] = nil
    let beta = probe.efficiency.gemmLaw(.fp8)!.waveQuantization
    let sms = Double(gpu.streamingMultiprocessors ?? 0)
    var design: [[Double]] = []
    var measured: [Double] = []
    for m in kernels {
      guard case .gemm(let shape) = m.work, shape.dtype == .fp8 else { continue }
      // The fixed parts (launch, activation quantisation) under the current law: the time with
      // zero FLOPs' worth of compute, i.e. the prediction minus its compute term.
      let law = probe.efficiency.gemmLaw(.fp8)!
      var effective = shape.flops
      if beta > 0, sms > 0 {
        let tiles = (Double(shape.m) / 128).rounded(.up) * (Double(shape.n) / 128).rounded(.up)
        let padding = (tiles / sms).rounded(.up) * sms * 128 * 128 / (Double(shape.m) * Double(shape.n))
        effective *= 1 + beta * (padding - 1)
      }
      let compute = (effective + law.computeHalfSaturationFLOPs) / (peak * law.computeMax)
      let memory = shape.bytes / (gpu.memoryBandwidthBytesPerSecond * law.memoryEfficiency(bytes: shape.bytes))
      guard compute > 2 * memory else { continue }
      let predicted = try CostModel.gemmSeconds(shape, gpu: probe)
      let fixed = predicted - compute
      guard m.seconds > fixed * 1.05 else { continue }
      design.append([effective / peak, 1 / peak])
      measured.append(m.seconds - fixed)
    }
    // The half-saturation is held as the profile's time constant (half-saturation FLOPs per
    // FLOP/s achieved): the compute-bound points are large GEMMs that pin the plateau (compute
    // max) but not the ramp, and a free ramp there would be extrapolated to every small GEMM.
    let prior = probe.efficiency.gemmLaw(.fp8)!
    let heldRamp = prior.computeHalfSaturationFLOPs / prior.computeMax
    guard design.count > 8, let theta = try Self.irls(design: design, measured: measured, frozen: [1: heldRamp])
    else { return nil }
    // theta[0] = 1 / compute max; theta[1] = half-saturation FLOPs / compute max.
    let computeMax = 1 / theta[0]
    let half = theta[1] * computeMax
    let errors = zip(design, measured).map { row, t in (row[0] * theta[0] + row[1] * theta[1]) / t - 1 }
    var refusal: String?
    if !(computeMax > 0 && computeMax <= 1) {
      refusal = "gemm fp8: compute max \(computeMax) outside (0, 1]"
    } else if half < 0 {
      refusal = "gemm fp8: negative half-saturation (\(half) FLOP)"
    }
    return (
      KernelLawFit(
        name: "gemm fp8 (compute-bound points)", points: design.count,
        parameters: [("compute max", computeMax), ("compute half-saturation (FLOP, held as time)", half)],
        refusal: refusal,
        relativeErrors: errors),
      OperatorEfficiency(computeMax: computeMax, computeHalfSaturationFLOPs: half, waveQuantization: beta)
    )
  }
}

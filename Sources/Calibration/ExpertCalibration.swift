import Analytic
import PlanCore

/// Fits `ExpertKernelLaw` (one per expert kernel family: bf16, fp8 block, fp8 per tensor, int4)
/// to fused-MoE timings by iteratively reweighted relative least squares, as the attention law
/// is fitted (`KernelCalibration.irls`). Physical limits: no cost is negative and the weight
/// bytes cannot stream faster than the datasheet bandwidth (weight byte cost ≥ 1); a fit past
/// a limit is refitted with that coefficient held at it.
public enum ExpertCalibration {
  /// The fitted law of each family present in `kernels`, with its fit statistics.
  public static func fit(
    _ kernels: [KernelMeasurement], gpu: GPUSpec
  ) throws -> [(
    weights: ExpertCall.Weights, law: ExpertKernelLaw, fit: KernelLawFit
  )] {
    var byFamily: [ExpertCall.Weights: [(ExpertCall, Double)]] = [:]
    for m in kernels {
      if case .moe(let call) = m.work { byFamily[call.weights, default: []].append((call, m.seconds)) }
    }
    var result: [(weights: ExpertCall.Weights, law: ExpertKernelLaw, fit: KernelLawFit)] = []
    let names = ExpertKernelLaw.parameterNames
    for weights in ExpertCall.Weights.allCases {
      guard let points = byFamily[weights], points.count > 2 * names.count else { continue }
      guard let peak = gpu.peakFLOPS(weights.fp8Compute ? .fp8 : .bf16), peak > 0 else { continue }
      let bandwidth = gpu.memoryBandwidthBytesPerSecond
      let design = points.map { point -> [Double] in
        let f = ExpertKernelLaw.features(point.0, peakFLOPSPerSecond: peak, bandwidthBytesPerSecond: bandwidth)
        return (0..<names.count).map { f[$0] }
      }
      let measured = points.map(\.1)
      guard var theta = try KernelCalibration.irls(design: design, measured: measured) else { continue }
      var frozen: [Int: Double] = [:]
      for _ in 0..<names.count {
        var changed = false
        for index in theta.indices where frozen[index] == nil {
          let limit = index == 2 ? 1.0 : 0.0
          if theta[index] < limit {
            frozen[index] = limit
            changed = true
          }
        }
        guard changed, let refit = try KernelCalibration.irls(design: design, measured: measured, frozen: frozen)
        else { break }
        theta = refit
      }
      let errors = zip(design, measured).map { row, t in zip(row, theta).reduce(0) { $0 + $1.0 * $1.1 } / t - 1 }
      let held = frozen.keys.sorted().map { "\(names[$0]) held at \(frozen[$0]!)" }
      result.append(
        (
          weights, ExpertKernelLaw(theta),
          KernelLawFit(
            name: "moe \(weights.rawValue)" + (held.isEmpty ? "" : " (\(held.joined(separator: ", ")))"),
            points: points.count, parameters: Array(zip(names, theta)).map { (name: $0.0, value: $0.1) },
            refusal: nil, relativeErrors: errors)
        ))
    }
    return result
  }
}

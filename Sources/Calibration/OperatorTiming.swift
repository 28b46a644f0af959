import Analytic
import PlanCore

/// Times operator measurements with a model of the GPU. `seconds(m, gpu)` must use
/// `gpu.efficiency` (its per-operator overrides included) and return the time of the share of
/// the operator the measurement covers.
public struct OperatorTiming: Sendable {
  public let seconds: @Sendable (OperatorMeasurement, GPUSpec) throws -> Double

  public init(seconds: @escaping @Sendable (OperatorMeasurement, GPUSpec) throws -> Double) {
    self.seconds = seconds
  }
}

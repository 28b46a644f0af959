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

  /// LLMPlan's analytic `CostModel`: the operator's roofline time for the measured batch on one
  /// GPU of the TP group (FLOPs and bytes are the cost model's own), times the measured share.
  public static let costModel = OperatorTiming { measurement, gpu in
    guard let kind = OperatorKind(rawValue: measurement.operatorName) else {
      throw TimingError("the cost model has no operator \"\(measurement.operatorName)\"")
    }
    let model = try CostModel(model: measurement.model, gpu: gpu, tp: measurement.tensorParallel)
    return model.cost(kind, batch: measurement.batch.shape).seconds * measurement.shareOfOperator
  }
}

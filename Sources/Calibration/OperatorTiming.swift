import Analytic
import PlanCore

/// Times operator measurements with a model of the GPU. `seconds(m, gpu)` must use
/// `gpu.efficiency` (its per-operator overrides included) and return the time of the share of
/// the operator the measurement covers.
public struct OperatorTiming: Sendable {
  public let seconds: @Sendable (OperatorMeasurement, GPUSpec) throws -> Double
  /// Many measurements at once (defaults to one `seconds` call each).
  public let secondsAll: @Sendable ([OperatorMeasurement], GPUSpec) throws -> [Double]

  public init(
    seconds: @escaping @Sendable (OperatorMeasurement, GPUSpec) throws -> Double,
    secondsAll: (@Sendable ([OperatorMeasurement], GPUSpec) throws -> [Double])? = nil
  ) {
    self.seconds = seconds
    self.secondsAll = secondsAll ?? { measurements, gpu in try measurements.map { try seconds($0, gpu) } }
  }

  /// LLMPlan's analytic `CostModel`: the operator's roofline time for the measured batch on one
  /// GPU of the TP group (FLOPs and bytes are the cost model's own), times the measured share.
  public static let costModel = OperatorTiming(
    seconds: { measurement, gpu in
      let model = try CostModel(model: measurement.model, gpu: gpu, tp: measurement.tensorParallel)
      return try costModelSeconds(measurement, model)
    },
    secondsAll: { measurements, gpu in
      // One cost model per (model, TP): building it resolves the per-operator profiles.
      var models: [ShapeKey: CostModel] = [:]
      return try measurements.map { measurement in
        let key = ShapeKey(model: measurement.model, tp: measurement.tensorParallel)
        if models[key] == nil {
          models[key] = try CostModel(model: measurement.model, gpu: gpu, tp: measurement.tensorParallel)
        }
        return try costModelSeconds(measurement, models[key]!)
      }
    })

  private struct ShapeKey: Hashable {
    var model: ModelSpec
    var tp: Int
  }

  private static func costModelSeconds(_ measurement: OperatorMeasurement, _ model: CostModel) throws -> Double {
    guard let kind = OperatorKind(rawValue: measurement.operatorName) else {
      throw TimingError("the cost model has no operator \"\(measurement.operatorName)\"")
    }
    return model.cost(kind, batch: measurement.batch.shape).seconds * measurement.shareOfOperator
  }
}

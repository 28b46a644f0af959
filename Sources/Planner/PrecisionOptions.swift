import Analytic
import Foundation
import PlanCore

/// The precision one candidate is served in: its weights and its KV cache.
public struct PlanPrecision: Sendable, Hashable, Codable, CustomStringConvertible {
  public var weights: WeightPrecision
  public var kvCache: DType

  public init(weights: WeightPrecision, kvCache: DType) {
    self.weights = weights
    self.kvCache = kvCache
  }

  /// The precision a request's model and engine describe.
  public init(model: ModelSpec, engine: EngineConfig) {
    self.init(weights: WeightPrecision(model: model), kvCache: engine.kvCacheDType ?? model.dtype)
  }

  /// "fp8 weights, fp8 KV": for sentences.
  public var description: String { "\(weights) weights, \(kvCache.rawValue) KV cache" }
  /// "fp8/fp8": for table cells.
  public var cell: String { "\(weights)/\(kvCache.rawValue)" }

  enum CodingKeys: String, CodingKey { case weights, kvCache, quantization }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    weights = try c.decode(WeightPrecision.self, forKey: .quantization)
    kvCache = try c.decode(DType.self, forKey: .kvCache)
  }

  /// Labels for people and the structured weights for programs.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(weights.description, forKey: .weights)
    try c.encode(kvCache, forKey: .kvCache)
    try c.encode(weights, forKey: .quantization)
  }
}

/// Which precisions a request searches, and the request each one is planned as.
public enum PrecisionOptions {
  /// The weight precisions a request tries, the checkpoint's own first:
  /// - no `precision.weights`: the checkpoint's own only;
  /// - a fixed one: that one only;
  /// - `auto`: the checkpoint's own, fp8 (w8a8) where the GPU has fp8 tensor cores, and int4-g128
  ///   weight-only (AWQ-style; groups of `WeightPrecision.defaultGroupSize`, 128, whatever other
  ///   group sizes a fixed spelling may ask for), each only when it stores fewer bytes per
  ///   weight than the checkpoint (a quantized checkpoint is not re-inflated).
  public static func weightOptions(model: ModelSpec, gpu: GPUSpec, choice: WeightPrecisionChoice?) -> [WeightPrecision]
  {
    let own = WeightPrecision(model: model)
    switch choice {
    case nil: return [own]
    case .fixed(let precision): return [precision]
    case .search:
      var options = [own]
      var candidates: [WeightPrecision] = []
      if gpu.peakFLOPS(.fp8) != nil { candidates.append(.fp8) }
      candidates.append(.int4(groupSize: WeightPrecision.defaultGroupSize))
      for option in candidates where option.storageBits < own.storageBits && !options.contains(option) {
        options.append(option)
      }
      return options
    }
  }

  /// KV-cache dtypes a request tries: the configured one (else the model's), plus fp8 when searched.
  public static func kvOptions(model: ModelSpec, engine: EngineConfig, search: Bool) -> [DType] {
    let own = engine.kvCacheDType ?? model.dtype
    return search && own != .fp8 ? [own, .fp8] : [own]
  }

  /// Every precision of the request, the checkpoint's own (and configured KV dtype) first.
  public static func precisions(_ request: PlanRequest) -> [PlanPrecision] {
    let weights = weightOptions(model: request.model, gpu: request.gpu, choice: request.scenario.precision.weights)
    let kv = kvOptions(model: request.model, engine: request.engine, search: request.scenario.precision.searchKVCache)
    return weights.flatMap { w in kv.map { PlanPrecision(weights: w, kvCache: $0) } }
  }

  /// Checks a fixed weight precision against the GPU (fp8 on an A100 is refused in one line).
  public static func check(_ request: PlanRequest, field: String = "--weight-dtype") throws {
    if case .fixed(let precision) = request.scenario.precision.weights {
      try precision.checkSupported(on: request.gpu, field: field)
    }
  }
}

extension PlanRequest {
  /// Whether reports show the precision and EP columns: an MoE model, a quantized checkpoint,
  /// or a precision the scenario or flags set or search.
  public var showsExpertsOrPrecision: Bool {
    model.experts != nil || model.weightQuantization != nil || scenario.precision.isSet
  }

  /// The same request served in `precision`: the model's weights re-quantized, the engine's
  /// KV-cache dtype set.
  public func serving(_ precision: PlanPrecision) -> PlanRequest {
    var copy = self
    copy.model = precision.weights.applied(to: model)
    copy.engine.kvCacheDType = precision.kvCache == model.dtype && engine.kvCacheDType == nil ? nil : precision.kvCache
    return copy
  }
}

import Foundation

/// The weight precision a plan serves a model in: unquantized in a 16-bit dtype, or stored
/// quantized (fp8 or int8 w8a8, int8/int4 weight-only with group scales).
public struct WeightPrecision: Sendable, Hashable, Codable, CustomStringConvertible {
  /// Unquantized weights in this dtype (bf16, fp16); nil when `quantization` is set.
  public var dtype: DType?
  /// Quantized linear-layer weights; nil: unquantized.
  public var quantization: WeightQuantization?

  public init(dtype: DType) {
    self.dtype = dtype
    quantization = nil
  }

  public init(quantization: WeightQuantization) {
    dtype = nil
    self.quantization = quantization
  }

  /// The precision a model's own checkpoint has.
  public init(model: ModelSpec) {
    if let q = model.weightQuantization { self.init(quantization: q) } else { self.init(dtype: model.dtype) }
  }

  /// fp8 (e4m3) weights and activations (w8a8), vLLM `--quantization fp8`.
  public static let fp8 = WeightPrecision(quantization: .fp8)
  /// int8 weights and activations (w8a8), vLLM's int8 W8A8: what `int8` means everywhere.
  public static let int8 = WeightPrecision(quantization: .int8)

  /// Weight-only int4 with one scale per `groupSize` weights (AWQ-style w4a16), `int4-g<N>`.
  public static func int4(groupSize: Int = defaultGroupSize) -> WeightPrecision {
    WeightPrecision(quantization: .int4WeightOnly(groupSize: groupSize))
  }

  /// Weight-only int8 with group scales (GPTQ 8-bit, w8a16), `int8-g<N>` (not `int8`, which is w8a8).
  public static func int8WeightOnly(groupSize: Int = defaultGroupSize) -> WeightPrecision {
    WeightPrecision(quantization: .int8WeightOnly(groupSize: groupSize))
  }

  /// AWQ's and GPTQ's usual group size (AutoAWQ `q_group_size` 128, GPTQ `group_size` 128): the
  /// one the planner searches.
  public static let defaultGroupSize = WeightQuantization.defaultGroupSize

  /// `bf16`, `fp16`, `fp8`, `int8`, `int8-g128`, `int4-g128`: the spelling `--weight-dtype` accepts.
  public var description: String { quantization?.label ?? (dtype ?? .bf16).rawValue }

  /// Bits per stored linear-layer weight: the quantized format's, else the dtype's.
  public var storageBits: Int { quantization?.bits ?? Int((dtype ?? .bf16).bytes * 8) }

  /// Width of the square matrix `bytesPerWeight` is taken on: 8,192, Llama-2-70B's and
  /// Llama-3-70B's hidden size (a typical large projection; the figure only orders precisions).
  public static let referenceMatrixWidth = 8192

  /// Bytes per linear-layer weight, scales, zero points and GPTQ's `g_idx` included, of a
  /// `referenceMatrixWidth`-square matrix (`WeightQuantization.bytes(inputs:outputs:)`, the
  /// formula checkpoint sizes use); the dtype's bytes when unquantized. For ordering precisions.
  public var bytesPerWeight: Double {
    guard let q = quantization else { return (dtype ?? .bf16).bytes }
    let n = Self.referenceMatrixWidth
    return q.bytes(inputs: n, outputs: n) / (Double(n) * Double(n))
  }

  /// The model served in this precision: `ModelSpec.withWeights` (quantization replaced, or
  /// dropped), and for a 16-bit precision its dtype.
  public func applied(to model: ModelSpec) -> ModelSpec {
    var result = model.withWeights(quantization)
    if let dtype { result.dtype = dtype }
    return result
  }

  /// Throws unless `gpu` can run these weights: fp8 and int8 w8a8 need the GPU's tensor-core
  /// rate for that dtype (an A100 has no fp8); weight-only formats run on any GPU. The message
  /// offers spellings `WeightQuantization.parse` reads: int8-g128 and int4-g128 weight-only, and
  /// plain int8 (w8a8) where the GPU lists an int8 peak.
  public func checkSupported(on gpu: GPUSpec, field: String) throws {
    guard let q = quantization, q.quantizedActivations else { return }
    let dtype: DType = q.method == .int8 ? .int8 : .fp8
    guard gpu.peakFLOPS(dtype) == nil else { return }
    let group = Self.defaultGroupSize
    var offers = "int8-g\(group) or int4-g\(group) (weight-only, w8a16/w4a16)"
    if dtype != .int8, gpu.peakFLOPS(.int8) != nil { offers += ", or int8 (w8a8 on its int8 tensor cores)" }
    throw PrecisionError(
      "\(field) \(self): \(gpu.displayName) has no \(dtype.rawValue) tensor cores (its GPU file lists no "
        + "\(dtype.rawValue) peak); use \(offers) instead")
  }
}

/// `--weight-dtype` / `precision.weights`: a fixed precision, or `auto` (the planner searches).
public enum WeightPrecisionChoice: Sendable, Hashable, Codable {
  case search
  case fixed(WeightPrecision)

  /// `auto`, else any spelling `WeightQuantization.parse` reads (case-insensitive); its errors
  /// become one-line `PrecisionError`s naming `field`.
  public static func parse(_ text: String, field: String) throws -> WeightPrecisionChoice {
    if text.trimmingCharacters(in: .whitespaces).lowercased() == "auto" { return .search }
    let quantization: WeightQuantization?
    do { quantization = try WeightQuantization.parse(text) } catch let error as WeightQuantization.ParseError {
      throw PrecisionError("\(field) \(error)")
    }
    if let quantization { return .fixed(WeightPrecision(quantization: quantization)) }
    guard let dtype = WeightQuantization.unquantizedDType(text) else {
      throw PrecisionError("\(field) \"\(text)\": expected \(allowed)")
    }
    return .fixed(WeightPrecision(dtype: dtype))
  }

  /// Every spelling, `auto` included.
  public static let allowed = WeightQuantization.precisionNames + ", or auto (recommend searches)"
}

/// `--kv-dtype` / `precision.kv_cache`: a fixed KV-cache dtype, or `auto` (the planner searches
/// the model's dtype and fp8).
public enum KVPrecisionChoice: Sendable, Hashable, Codable {
  case search
  case fixed(DType)

  /// `auto | fp16 | bf16 | fp8`.
  public static func parse(_ text: String, field: String) throws -> KVPrecisionChoice {
    if text.lowercased() == "auto" { return .search }
    guard let dtype = DType.kvCache(text) else {
      throw PrecisionError("\(field) \"\(text)\": expected auto (search), \(DType.kvCacheNames)")
    }
    return .fixed(dtype)
  }
}

/// A scenario's `precision: {weights: …, kv_cache: …}`; nil fields: the checkpoint's own
/// weights, the scheduler's `kv_cache_dtype` (else the model's dtype).
public struct ScenarioPrecision: Sendable, Hashable, Codable {
  public var weights: WeightPrecisionChoice?
  /// True for `kv_cache: auto`: the planner tries the model's dtype and fp8. A fixed
  /// `kv_cache` is stored in `ScenarioScheduler.kvCacheDType`.
  public var searchKVCache: Bool

  public init(weights: WeightPrecisionChoice? = nil, searchKVCache: Bool = false) {
    self.weights = weights
    self.searchKVCache = searchKVCache
  }

  /// Whether the plan searches or overrides precision (reports then show the precision columns).
  public var isSet: Bool { weights != nil || searchKVCache }

  /// Reads `precision:` of a scenario file into `scenario` (a fixed `kv_cache` goes to the
  /// scheduler; one that contradicts `scheduler.kv_cache_dtype` is an error).
  static func parse(_ reader: FieldReader, into scenario: inout Scenario) throws {
    guard let p = try reader.optionalObject("precision") else { return }
    try p.rejectUnknown(allowed: ["weights", "kv_cache"])
    if let text = try p.optionalString("weights") {
      do { scenario.precision.weights = try WeightPrecisionChoice.parse(text, field: "weights") } catch let e
        as PrecisionError
      { throw p.error("weights", e.reason) }
    }
    if let text = try p.optionalString("kv_cache") {
      let choice: KVPrecisionChoice
      do { choice = try KVPrecisionChoice.parse(text, field: "kv_cache") } catch let e as PrecisionError {
        throw p.error("kv_cache", e.reason)
      }
      switch choice {
      case .search: scenario.precision.searchKVCache = true
      case .fixed(let dtype):
        if let other = scenario.scheduler.kvCacheDType, other != dtype {
          throw p.error(
            "kv_cache", "\(dtype.rawValue) contradicts scheduler.kv_cache_dtype \(other.rawValue); give one of them")
        }
        scenario.scheduler.kvCacheDType = dtype
      }
    }
  }
}

extension Scenario {
  /// `expert_imbalance:` a measured max/mean routed-token factor replacing the closed form.
  static func parseExpertImbalance(_ reader: FieldReader, into scenario: inout Scenario) throws {
    scenario.expertImbalance = try reader.optionalQuantity("expert_imbalance", Plausibility.expertImbalance)
  }
}

/// A precision the command line or a scenario asks for that cannot be served, in one line.
public struct PrecisionError: Error, CustomStringConvertible, Equatable, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

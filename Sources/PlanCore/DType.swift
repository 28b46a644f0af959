/// Numeric formats of weights, activations and KV cache.
public enum DType: String, Codable, CaseIterable, Sendable, Hashable {
  case fp32, fp16, bf16, fp8, int8

  /// Bytes per element.
  public var bytes: Double {
    switch self {
    case .fp32: 4
    case .fp16, .bf16: 2
    case .fp8, .int8: 1
    }
  }

  /// Reads HuggingFace `torch_dtype` spellings ("float16", "bfloat16", "float32") and ours.
  public init?(huggingFace name: String) {
    switch name.lowercased() {
    case "float16", "fp16", "half": self = .fp16
    case "bfloat16", "bf16": self = .bf16
    case "float32", "fp32", "float": self = .fp32
    case "float8", "fp8", "float8_e4m3fn": self = .fp8
    case "int8": self = .int8
    default: return nil
    }
  }
}

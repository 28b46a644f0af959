import Foundation

/// Weight precisions as written on the command line (`--weight-dtype int4-g128`) and in tables.
extension WeightQuantization {
  /// Default group size of int4 weight-only quantization (AWQ's and GPTQ's usual `group_size`).
  public static let defaultGroupSize = 128

  /// The spellings `parse` accepts, for help texts and messages.
  public static let precisionNames = "bf16, fp16, fp8, fp8-b128, int8, int4, int4-g<N>, int8-g<N>, awq, gptq"

  /// A precision that cannot be read, with the text and what is allowed.
  public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public let text: String
    public let reason: String
    public var description: String { "\"\(text)\": \(reason)" }
  }

  /// Reads a weight precision:
  /// - `bf16`, `fp16`: unquantized (nil: the model's own 16-bit weights);
  /// - `fp8`: fp8 weights and activations (w8a8), one scale per output channel (vLLM
  ///   `--quantization fp8`); `fp8-b128`: 128 × 128 block scales (DeepSeek-V3's checkpoint);
  /// - `int8`: int8 weights and activations (w8a8, SmoothQuant-style), per-channel scales;
  /// - `int4`, `awq`: AWQ int4 weights with fp16 activations (w4a16), groups of 128 with zero
  ///   points; `int4-g<N>`: groups of N; `gptq`: GPTQ int4, groups of 128;
  /// - `int8-g<N>`: GPTQ int8 weight-only (w8a16), groups of N.
  public static func parse(_ text: String) throws -> WeightQuantization? {
    let name = text.trimmingCharacters(in: .whitespaces).lowercased()
    switch name {
    case "bf16", "fp16", "bfloat16", "float16": return nil
    case "fp8": return WeightQuantization(method: .fp8, bits: 8, quantizedActivations: true)
    case "fp8-b128":
      return WeightQuantization(method: .fp8, bits: 8, groupSize: 128, quantizedActivations: true, blockRows: 128)
    case "int8": return WeightQuantization(method: .int8, bits: 8, quantizedActivations: true)
    case "int4", "awq":
      return WeightQuantization(method: .awq, bits: 4, groupSize: defaultGroupSize, quantizedActivations: false)
    case "gptq":
      return WeightQuantization(method: .gptq, bits: 4, groupSize: defaultGroupSize, quantizedActivations: false)
    default: break
    }
    for (prefix, bits, method) in [("int4-", 4, Method.awq), ("int8-", 8, Method.gptq)] where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      if rest == "channel" {
        return WeightQuantization(method: method, bits: bits, quantizedActivations: false)
      }
      guard rest.hasPrefix("g"), let group = Int(rest.dropFirst()) else { break }
      let range = Plausibility.quantizationGroupSize
      guard range.contains(group) else {
        throw ParseError(
          text: text, reason: "group size \(group) is outside the plausible range of \(range.quantity), \(range)")
      }
      return WeightQuantization(method: method, bits: bits, groupSize: group, quantizedActivations: false)
    }
    throw ParseError(text: text, reason: "unknown weight precision (allowed: \(precisionNames))")
  }

  /// The precision as `parse` reads it back: "fp8", "fp8-b128", "int8", "int4-g128",
  /// "int4-channel", "int8-g128".
  public var label: String {
    switch method {
    case .fp8:
      if let rows = blockRows, let group = groupSize, rows == group { return "fp8-b\(group)" }
      return "fp8"
    case .int8 where quantizedActivations: return "int8"
    case .awq, .gptq, .int8: return "int\(bits)-" + (groupSize.map { "g\($0)" } ?? "channel")
    }
  }
}

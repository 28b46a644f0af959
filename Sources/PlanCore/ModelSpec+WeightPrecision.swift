import Foundation

/// Weight precisions as written on the command line (`--weight-dtype int4-g128`) and in tables.
extension WeightQuantization {
  /// Default group size of int4 weight-only quantization (AWQ's and GPTQ's usual `group_size`).
  public static let defaultGroupSize = 128

  /// The spellings `parse` accepts, for help texts and messages.
  public static let precisionNames =
    "bf16, fp16, fp8 (w8a8), fp8-b128, int8 (w8a8), int4 or awq (AWQ int4-g128), gptq (GPTQ int4-g128), "
    + "int4-g<N>, int8-g<N> (weight-only, groups of N), int4-channel, int8-channel"

  /// fp8 (e4m3) weights and activations (w8a8), one scale per output channel (vLLM
  /// `--quantization fp8`).
  public static let fp8 = WeightQuantization(method: .fp8, bits: 8, quantizedActivations: true)
  /// int8 weights and activations (w8a8, SmoothQuant-style), per-channel scales: vLLM's int8
  /// W8A8 (compressed-tensors), which needs the GPU's int8 tensor cores.
  public static let int8 = WeightQuantization(method: .int8, bits: 8, quantizedActivations: true)

  /// AWQ int4 weight-only (w4a16) with zero points, one scale per `groupSize` weights
  /// (nil: per output channel).
  public static func int4WeightOnly(groupSize: Int? = defaultGroupSize) -> WeightQuantization {
    WeightQuantization(method: .awq, bits: 4, groupSize: groupSize, quantizedActivations: false)
  }

  /// GPTQ int8 weight-only (w8a16), one scale per `groupSize` weights (nil: per output channel).
  public static func int8WeightOnly(groupSize: Int? = defaultGroupSize) -> WeightQuantization {
    WeightQuantization(method: .gptq, bits: 8, groupSize: groupSize, quantizedActivations: false)
  }

  /// The 16-bit dtype an unquantized spelling names (`bf16`, `bfloat16`, `fp16`, `float16`), else nil.
  public static func unquantizedDType(_ text: String) -> DType? {
    switch text.trimmingCharacters(in: .whitespaces).lowercased() {
    case "bf16", "bfloat16": .bf16
    case "fp16", "float16": .fp16
    default: nil
    }
  }

  /// A precision that cannot be read, with the text and what is allowed.
  public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public let text: String
    public let reason: String
    public var description: String { "\"\(text)\": \(reason)" }
  }

  /// Reads a weight precision, the one place its spellings are defined (`--weight-dtype`,
  /// `precision.weights` and tables all come here):
  /// - `bf16`, `fp16`: unquantized (nil: the model's own 16-bit weights; `unquantizedDType`
  ///   says which);
  /// - `fp8`: fp8 weights and activations (w8a8), one scale per output channel (vLLM
  ///   `--quantization fp8`); `fp8-b128`: 128 × 128 block scales (DeepSeek-V3's checkpoint);
  /// - `int8`: int8 weights and activations (w8a8, SmoothQuant-style), per-channel scales;
  /// - `int4`, `awq`: AWQ int4 weights with fp16 activations (w4a16), groups of 128 with zero
  ///   points; `int4-g<N>`: groups of N; `gptq`: GPTQ int4, groups of 128;
  /// - `int8-g<N>`: GPTQ int8 weight-only (w8a16), groups of N;
  /// - `int4-channel`, `int8-channel`: weight-only with one scale per output channel.
  /// Group sizes are checked against `Plausibility.quantizationGroupSize`.
  public static func parse(_ text: String) throws -> WeightQuantization? {
    if unquantizedDType(text) != nil { return nil }
    let name = text.trimmingCharacters(in: .whitespaces).lowercased()
    switch name {
    case "fp8": return .fp8
    case "fp8-b128":
      return WeightQuantization(method: .fp8, bits: 8, groupSize: 128, quantizedActivations: true, blockRows: 128)
    case "int8": return .int8
    case "int4", "awq": return int4WeightOnly()
    case "gptq":
      return WeightQuantization(method: .gptq, bits: 4, groupSize: defaultGroupSize, quantizedActivations: false)
    default: break
    }
    for (prefix, make) in [("int4-", int4WeightOnly), ("int8-", int8WeightOnly)] where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      if rest == "channel" { return make(nil) }
      guard rest.hasPrefix("g"), let group = Int(rest.dropFirst()) else { break }
      let range = Plausibility.quantizationGroupSize
      guard range.contains(group) else {
        throw ParseError(
          text: text, reason: "group size \(group) is outside the plausible range of \(range.quantity), \(range)")
      }
      return make(group)
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

import Foundation

/// Reading a checkpoint's `quantization_config` (or the older `compression_config`) into
/// `WeightQuantization`: AWQ, GPTQ, fp8 and compressed-tensors (int4/int8 weight-only, int8
/// w8a8, fp8). Other methods (bitsandbytes, mxfp4, …) are refused by
/// `ModelSpec+UnsupportedFields.swift` before this runs.
extension ModelSpec {
  /// `quant_method` values this reader models.
  static let modelledQuantMethods: Set<String> = ["awq", "gptq", "fp8", "compressed-tensors"]

  /// The stated method (compressed-tensors files may leave it out and carry `config_groups`).
  static func quantMethod(_ config: FieldReader) -> String? {
    if let method = config.object["quant_method"] as? String { return method.lowercased() }
    return config.has("config_groups") ? "compressed-tensors" : nil
  }

  static func readWeightQuantization(_ reader: FieldReader, hasExperts: Bool) throws -> WeightQuantization? {
    guard let key = reader.firstKey(["quantization_config", "compression_config"]),
      let config = try reader.optionalObject(key)
    else { return nil }
    let method = quantMethod(config) ?? "unstated"
    switch method {
    case "awq":
      let bitsKey = config.firstKey(["bits", "w_bit"]) ?? "bits"
      let bits = try config.int(bitsKey)
      guard bits == 4 else {
        throw config.error(bitsKey, "\(bits) bits: AWQ checkpoints are modelled at 4 bits only")
      }
      try checkUnquantizedModules(config, "modules_to_not_convert", hasExperts: hasExperts)
      return WeightQuantization(
        method: .awq, bits: 4, groupSize: try groupSize(config, config.firstKey(["group_size", "q_group_size"])),
        quantizedActivations: false, zeroPoints: try config.optionalBool("zero_point") ?? true)
    case "gptq":
      let bits = try config.int("bits")
      guard bits == 4 || bits == 8 else {
        throw config.error("bits", "\(bits) bits: GPTQ checkpoints are modelled at 4 or 8 bits (vLLM's GPTQ kernels)")
      }
      try checkUnquantizedModules(config, "modules_to_not_convert", hasExperts: hasExperts)
      // GPTQ stores `qzeros` (and `g_idx`) whether or not `sym` is set.
      return WeightQuantization(
        method: .gptq, bits: bits, groupSize: try groupSize(config, config.firstKey(["group_size"])),
        quantizedActivations: false, zeroPoints: true, actOrder: try config.optionalBool("desc_act") ?? false)
    case "fp8":
      if let format = try config.optionalString("fmt"), !["e4m3", "e5m2"].contains(format.lowercased()) {
        throw config.error("fmt", "\"\(format)\": fp8 formats are e4m3 and e5m2")
      }
      try checkUnquantizedModules(config, "modules_to_not_convert", hasExperts: hasExperts)
      try checkUnquantizedModules(config, "ignored_layers", hasExperts: hasExperts)
      let (group, rows) = try block(config, "weight_block_size")
      return WeightQuantization(
        method: .fp8, bits: 8, groupSize: group, quantizedActivations: true, zeroPoints: false, blockRows: rows)
    case "compressed-tensors":
      return try readCompressedTensors(config, hasExperts: hasExperts)
    default:
      throw config.error("quant_method", "\"\(method)\" is not modelled")  // refused earlier, by field
    }
  }

  /// `group_size`: −1 (or absent) means one scale per output channel.
  static func groupSize(_ config: FieldReader, _ key: String?) throws -> Int? {
    guard let key, let value = try config.optionalInt(key), value != -1 else { return nil }
    return try config.count(key, Plausibility.quantizationGroupSize)
  }

  /// A `[rows, columns]` block of weights sharing one scale: (columns, rows), or (nil, nil).
  static func block(_ config: FieldReader, _ key: String) throws -> (Int?, Int?) {
    guard let list = try config.optionalArray(key) else { return (nil, nil) }
    let sizes = list.compactMap { FieldReader.isBoolean($0) ? nil : $0 as? Int }
    guard sizes.count == 2, sizes.allSatisfy(Plausibility.quantizationGroupSize.contains) else {
      throw config.error(
        key, "must be [rows, columns], two whole numbers in \(Plausibility.quantizationGroupSize)")
    }
    return (sizes[1], sizes[0])
  }

  /// Modules a checkpoint leaves unquantized: allowed when they are parts LLMPlan keeps in the
  /// model's dtype anyway (LM head, embeddings, router); any other is a mixed-precision
  /// checkpoint whose bytes would be miscounted.
  static func checkUnquantizedModules(_ config: FieldReader, _ key: String, hasExperts: Bool) throws {
    guard let entries = try config.optionalArray(key) else { return }
    var kept: Set<String> = ["lm_head", "embed_tokens", "router", "shared_expert_gate"]
    if hasExperts { kept.insert("gate") }
    for entry in entries {
      guard let text = entry as? String else { throw config.error(key, "must be a list of module names") }
      var name = text.hasPrefix("re:") ? String(text.dropFirst(3)) : text
      name = name.trimmingCharacters(in: CharacterSet(charactersIn: "^$*."))
      let last = name.split(separator: ".").last.map(String.init) ?? name
      guard kept.contains(last) else {
        throw config.error(
          key,
          "\"\(text)\" stays unquantized: mixed-precision checkpoints are not modelled (only the LM head, embeddings and router may stay in the model's dtype)"
        )
      }
    }
  }

  /// compressed-tensors (llm-compressor): one scheme applied to every `Linear`.
  static func readCompressedTensors(_ config: FieldReader, hasExperts: Bool) throws -> WeightQuantization {
    let groups = try config.object("config_groups")
    guard groups.object.count == 1, let name = groups.object.keys.first else {
      throw config.error(
        "config_groups",
        "\(groups.object.count) quantization schemes: only one scheme for every linear layer is modelled")
    }
    let scheme = try groups.object(name)
    let targets = (try scheme.optionalArray("targets") ?? []).compactMap { $0 as? String }
    guard targets.contains("Linear") else {
      throw scheme.error("targets", "\(targets): only a scheme targeting every Linear layer is modelled")
    }
    try checkUnquantizedModules(config, "ignore", hasExperts: hasExperts)
    let weights = try scheme.object("weights")
    let bits = try weights.int("num_bits")
    let type = (try weights.optionalString("type") ?? "int").lowercased()
    let activations = try scheme.optionalObject("input_activations")
    let strategy = (try weights.optionalString("strategy") ?? "tensor").lowercased()
    var group: Int?
    var rows: Int?
    switch strategy {
    case "tensor", "channel": break
    case "group": group = try groupSize(weights, "group_size")
    case "block": (group, rows) = try block(weights, "block_structure")
    default: throw weights.error("strategy", "\"\(strategy)\" is not modelled (tensor, channel, group, block)")
    }
    let symmetric = try weights.optionalBool("symmetric") ?? true
    switch (type, bits) {
    case ("float", 8):
      return WeightQuantization(
        method: .fp8, bits: 8, groupSize: group, quantizedActivations: activations != nil, zeroPoints: false,
        blockRows: rows)
    case ("int", 8) where activations != nil:
      return WeightQuantization(
        method: .int8, bits: 8, groupSize: group, quantizedActivations: true, zeroPoints: !symmetric, blockRows: rows)
    case ("int", 4), ("int", 8):
      // Weight-only integers run on the same (Marlin) kernels as GPTQ in vLLM.
      return WeightQuantization(
        method: .gptq, bits: bits, groupSize: group, quantizedActivations: false, zeroPoints: !symmetric,
        blockRows: rows)
    default:
      throw weights.error(
        "num_bits", "\(bits)-bit \(type) weights are not modelled (int4, int8 and fp8 weights are)")
    }
  }
}

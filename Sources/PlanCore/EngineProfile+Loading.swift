import Foundation

extension EngineProfile {
  /// The fields an engine file may have; any other is an error naming the nearest of these.
  static let topLevelKeys: Set<String> = [
    "name", "engine", "version", "display_name", "iteration_overhead", "all_reduce", "cuda_graphs", "defaults",
    "source", "note",
  ]
  static let overheadKeys: Set<String> = [
    "fixed", "per_sequence", "per_token", "multi_gpu_fixed", "multi_gpu_per_sequence", "eager_launch_per_layer",
    "source", "note",
  ]
  static let allReduceKeys: Set<String> = [
    "custom", "custom_max_size", "custom_max_gpus", "one_shot_max_size", "source", "note",
  ]
  static let cudaGraphKeys: Set<String> = ["enabled", "source", "note"]
  static let defaultsKeys: Set<String> = [
    "max_num_seqs", "max_num_batched_tokens", "block_size", "gpu_memory_utilization", "source", "note",
  ]

  /// Reads an engine file. Every figure must lie in its plausible range (`Plausibility`) and
  /// every block must say where its figures come from (`source`); errors name file and field.
  public static func load(from reader: FieldReader, name: String) throws -> EngineProfile {
    try reader.rejectUnknown(allowed: topLevelKeys)
    let familyText = try reader.string("engine")
    guard let family = Family(rawValue: familyText) else {
      throw reader.error(
        "engine",
        FieldReader.unknownReason(familyText, known: Set(Family.allCases.map(\.rawValue)), what: "engine"))
    }
    let version = try reader.string("version")
    guard !version.trimmingCharacters(in: .whitespaces).isEmpty else {
      throw reader.error("version", "must name the engine version the figures describe")
    }

    let overhead = try reader.object("iteration_overhead")
    try overhead.rejectUnknown(allowed: overheadKeys)
    let perItem = Plausibility.overheadPerItem
    let fixed = try overhead.quantity("fixed", Plausibility.overheadTime)
    let perSequence = try overhead.optionalQuantity("per_sequence", perItem) ?? 0
    let perToken = try overhead.optionalQuantity("per_token", perItem) ?? 0
    let multiFixed = try overhead.optionalQuantity("multi_gpu_fixed", Plausibility.overheadTime) ?? 0
    let multiPerSequence = try overhead.optionalQuantity("multi_gpu_per_sequence", perItem) ?? 0
    let eager = try overhead.optionalQuantity("eager_launch_per_layer", perItem)
    let overheadSource = try overhead.string("source")

    let allReduce = try reader.object("all_reduce")
    try allReduce.rejectUnknown(allowed: allReduceKeys)
    guard let custom = try allReduce.optionalBool("custom") else { throw allReduce.error("custom", "missing") }
    var customMaxBytes = 0.0
    var customMaxGPUs = 0
    var oneShotMaxBytes = 0.0
    if custom {
      customMaxBytes = try allReduce.quantity("custom_max_size", Plausibility.allReduceLimit)
      customMaxGPUs = try allReduce.count("custom_max_gpus", Plausibility.customAllReduceGPUs)
      oneShotMaxBytes = try allReduce.quantity("one_shot_max_size", Plausibility.allReduceLimit)
      guard oneShotMaxBytes <= customMaxBytes else {
        throw allReduce.error(
          "one_shot_max_size",
          "\(Units.formatBytes(oneShotMaxBytes)) exceeds custom_max_size (\(Units.formatBytes(customMaxBytes))); "
            + "the one-shot kernel is a case of the custom all-reduce")
      }
    } else {
      for key in ["custom_max_size", "custom_max_gpus", "one_shot_max_size"] where allReduce.has(key) {
        throw allReduce.error(key, "only meaningful with \"custom\": true")
      }
    }
    let allReduceSource = try allReduce.string("source")

    let graphs = try reader.object("cuda_graphs")
    try graphs.rejectUnknown(allowed: cudaGraphKeys)
    guard let cudaGraphs = try graphs.optionalBool("enabled") else { throw graphs.error("enabled", "missing") }
    let cudaGraphsSource = try graphs.string("source")
    if !cudaGraphs && eager == nil {
      throw overhead.error(
        "eager_launch_per_layer", "required when cuda_graphs.enabled is false (host launch time per decoder layer)")
    }

    let defaults = try reader.object("defaults")
    try defaults.rejectUnknown(allowed: defaultsKeys)
    let maxNumSeqs = try defaults.count("max_num_seqs", Plausibility.maxNumSeqs)
    let maxBatched = try defaults.count("max_num_batched_tokens", Plausibility.maxBatchedTokens)
    let blockSize = try defaults.count("block_size", Plausibility.blockSize)
    let utilisation = try defaults.quantity("gpu_memory_utilization", Plausibility.memoryUtilisation)
    let defaultsSource = try defaults.string("source")

    return EngineProfile(
      name: name, family: family, version: version,
      displayName: try reader.optionalString("display_name") ?? name,
      overheadFixedSeconds: fixed, overheadPerSequenceSeconds: perSequence, overheadPerTokenSeconds: perToken,
      overheadMultiGPUFixedSeconds: multiFixed, overheadMultiGPUPerSequenceSeconds: multiPerSequence,
      eagerLaunchPerLayerSeconds: cudaGraphs ? nil : eager, overheadSource: overheadSource,
      customAllReduce: custom, customAllReduceMaxBytes: customMaxBytes, customAllReduceMaxGPUs: customMaxGPUs,
      oneShotMaxBytes: oneShotMaxBytes, allReduceSource: allReduceSource,
      cudaGraphs: cudaGraphs, cudaGraphsSource: cudaGraphsSource,
      maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: maxBatched, blockSize: blockSize,
      gpuMemoryUtilization: utilisation, defaultsSource: defaultsSource,
      source: try reader.string("source"))
  }
}

import ArgumentParser
import PlanCore

/// `llmplan engines`: the catalog's serving-engine profiles (`Models/engines/`).
struct EnginesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engines",
    abstract: "List serving-engine profiles: version, host overhead per iteration, all-reduce, CUDA graphs, defaults.",
    discussion: """
      An engine profile is what LLMPlan assumes of the serving engine beyond the GPU kernels: the \
      host time per iteration outside kernels (fixed + per sequence + per token, plus a term when \
      a stage spans several GPUs), whether TP all-reduces use the engine's own one-shot/two-shot \
      kernel inside an NVLink node or NCCL, whether decode replays CUDA graphs, and the scheduler \
      defaults. Select one with --engine NAME on estimate, simulate, recommend and validate, or \
      `engine:` in a scenario file (default: vllm). Every figure's source is in the file.
      """)

  @OptionGroup var listing: ListingOptions

  func run() throws {
    try withUserFacingErrors { print(try render()) }
  }

  /// The text this command prints.
  func render() throws -> String {
    try listing.render(.engine, load: { try $0.engine($1) }, facts: EngineFacts.init, table: EngineFacts.table)
  }
}

/// One engine profile as listed by `llmplan engines` (SI units in JSON).
struct EngineFacts: Encodable, Equatable {
  var name: String
  var engine: String
  var version: String
  var displayName: String
  var overheadFixedSeconds: Double
  var overheadPerSequenceSeconds: Double
  var overheadPerTokenSeconds: Double
  var overheadMultiGPUFixedSeconds: Double
  var overheadMultiGPUPerSequenceSeconds: Double
  var eagerLaunchPerLayerSeconds: Double?
  /// Host time of a decode step of 1 and of 64 sequences on one GPU, for comparison.
  var overheadBatch1Seconds: Double
  var overheadBatch64Seconds: Double
  var customAllReduce: Bool
  var customAllReduceMaxBytes: Double
  var customAllReduceMaxGPUs: Int
  var oneShotMaxBytes: Double
  var cudaGraphs: Bool
  var maxNumSeqs: Int
  var maxNumBatchedTokens: Int
  var blockSize: Int
  var gpuMemoryUtilization: Double
  var source: String
  var overheadSource: String
  var allReduceSource: String
  var cudaGraphsSource: String
  var defaultsSource: String

  init(_ p: EngineProfile) {
    name = p.name
    engine = p.family.rawValue
    version = p.version
    displayName = p.displayName
    overheadFixedSeconds = p.overheadFixedSeconds
    overheadPerSequenceSeconds = p.overheadPerSequenceSeconds
    overheadPerTokenSeconds = p.overheadPerTokenSeconds
    overheadMultiGPUFixedSeconds = p.overheadMultiGPUFixedSeconds
    overheadMultiGPUPerSequenceSeconds = p.overheadMultiGPUPerSequenceSeconds
    eagerLaunchPerLayerSeconds = p.eagerLaunchPerLayerSeconds
    overheadBatch1Seconds = p.overheadSeconds(sequences: 1, tokens: 1, gpus: 1)
    overheadBatch64Seconds = p.overheadSeconds(sequences: 64, tokens: 64, gpus: 1)
    customAllReduce = p.customAllReduce
    customAllReduceMaxBytes = p.customAllReduceMaxBytes
    customAllReduceMaxGPUs = p.customAllReduceMaxGPUs
    oneShotMaxBytes = p.oneShotMaxBytes
    cudaGraphs = p.cudaGraphs
    maxNumSeqs = p.maxNumSeqs
    maxNumBatchedTokens = p.maxNumBatchedTokens
    blockSize = p.blockSize
    gpuMemoryUtilization = p.gpuMemoryUtilization
    source = p.source
    overheadSource = p.overheadSource
    allReduceSource = p.allReduceSource
    cudaGraphsSource = p.cudaGraphsSource
    defaultsSource = p.defaultsSource
  }

  static func table(_ engines: [EngineFacts]) -> String {
    var table = TextTable([
      .init("NAME"), .init("ENGINE"), .init("HOST/STEP B=1", .right), .init("B=64", .right), .init("TP>1 ADDS"),
      .init("ALL-REDUCE"), .init("GRAPHS"), .init("MAX SEQS", .right), .init("VERSION"),
    ])
    let s = Units.formatSeconds
    for e in engines {
      let multi =
        e.overheadMultiGPUFixedSeconds == 0 && e.overheadMultiGPUPerSequenceSeconds == 0
        ? "-" : "\(s(e.overheadMultiGPUFixedSeconds)) + \(s(e.overheadMultiGPUPerSequenceSeconds))/seq"
      let allReduce =
        e.customAllReduce
        ? "custom ≤ \(Units.formatBytes(e.customAllReduceMaxBytes)), ≤ \(e.customAllReduceMaxGPUs) GPUs" : "NCCL"
      table.append([
        e.name, e.engine, s(e.overheadBatch1Seconds), s(e.overheadBatch64Seconds), multi, allReduce,
        e.cudaGraphs ? "yes" : "no", "\(e.maxNumSeqs)", e.version,
      ])
    }
    return table.rendered
  }
}

import ArgumentParser
import PlanCore

/// `llmplan gpus`: the catalog's GPUs with datasheet figures and efficiency law.
struct GPUsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gpus",
    abstract: "List GPUs with peak dense FLOP/s, memory, memory bandwidth and intra-node link.")

  @OptionGroup var listing: ListingOptions

  func run() throws {
    try withUserFacingErrors { print(try render()) }
  }

  /// The text this command prints.
  func render() throws -> String {
    try listing.render(.gpu, load: { try $0.gpu($1) }, facts: GPUFacts.init, table: GPUFacts.table)
  }
}

/// One GPU as listed by `llmplan gpus`.
struct GPUFacts: Encodable, Equatable {
  var name: String
  var displayName: String
  /// Peak dense FLOP/s per dtype ("fp16", "bf16", "fp8", "fp32").
  var peakDenseFLOPSPerSecond: [String: Double]
  var memoryBytes: Double
  var memoryBandwidthBytesPerSecond: Double
  /// NVLink (or other intra-node link) bytes/s per direction.
  var intraNodeLinkBytesPerSecond: Double?
  var intraNodeLinkName: String?
  /// Streaming multiprocessors (GEMM waves), when the file gives them.
  var streamingMultiprocessors: Int?
  /// L2 cache bytes (L2-resident streaming kernels), when the file gives them.
  var l2CacheBytes: Double?
  var efficiency: EfficiencyProfile
  var source: String

  init(_ gpu: GPUSpec) {
    name = gpu.name
    displayName = gpu.displayName
    peakDenseFLOPSPerSecond = Dictionary(
      uniqueKeysWithValues: gpu.peakFLOPSPerSecond.map { ($0.key.rawValue, $0.value) })
    memoryBytes = gpu.memoryBytes
    memoryBandwidthBytesPerSecond = gpu.memoryBandwidthBytesPerSecond
    intraNodeLinkBytesPerSecond = gpu.intraNodeLinkBytesPerSecond
    intraNodeLinkName = gpu.intraNodeLinkName
    streamingMultiprocessors = gpu.streamingMultiprocessors
    l2CacheBytes = gpu.l2CacheBytes
    efficiency = gpu.efficiency
    source = gpu.source
  }

  static func table(_ gpus: [GPUFacts]) -> String {
    var table = TextTable([
      .init("NAME"), .init("GPU"), .init("FP16 DENSE", .right), .init("FP8 DENSE", .right), .init("MEMORY", .right),
      .init("HBM BW", .right), .init("LINK / DIR", .right), .init("LINK"), .init("SMS", .right), .init("L2", .right),
      .init("GEMM EFF", .right),
    ])
    for gpu in gpus {
      let fp16 = gpu.peakDenseFLOPSPerSecond["fp16"] ?? gpu.peakDenseFLOPSPerSecond["bf16"]
      table.append([
        gpu.name, gpu.displayName, fp16.map(Units.formatFLOPS) ?? "-",
        gpu.peakDenseFLOPSPerSecond["fp8"].map(Units.formatFLOPS) ?? "-", Units.formatBytes(gpu.memoryBytes),
        Units.formatBytesPerSecond(gpu.memoryBandwidthBytesPerSecond),
        gpu.intraNodeLinkBytesPerSecond.map(Units.formatBytesPerSecond) ?? "-", gpu.intraNodeLinkName ?? "-",
        gpu.streamingMultiprocessors.map { "\($0)" } ?? "-", gpu.l2CacheBytes.map(Units.formatBytes) ?? "-",
        "\(Int((gpu.efficiency.computeMax * 100).rounded()))%",
      ])
    }
    return table.rendered
  }
}

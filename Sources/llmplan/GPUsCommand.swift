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
  /// The memory system (`memory_kind`), when the file gives it.
  var memoryKind: String?
  /// Per law ("gemm", "operators", "attention", "gemm_fp8", "kernel_floor", "collectives"): how
  /// its numbers were obtained — "fitted" on this GPU's own measurements, "datasheet-derived"
  /// (fractions from another GPU's fit on this GPU's datasheet rates), or "none" with the reason.
  var laws: [String: String]
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
    memoryKind = gpu.memoryKind?.rawValue
    laws = Self.lawProvenance(gpu)
    source = gpu.source
  }

  /// How each law of `gpu` was obtained (see `laws`).
  static func lawProvenance(_ gpu: GPUSpec) -> [String: String] {
    let e = gpu.efficiency
    func fitted(_ name: String) -> String { e.fittedLaws.contains(name) ? "fitted" : "datasheet-derived" }
    var laws: [String: String] = [:]
    laws["gemm"] = fitted("gemm")
    laws["collectives"] = fitted("collectives")
    if e.operators.isEmpty {
      laws["operators"] = "datasheet-derived (the GEMM law's memory fractions)"
    } else if !e.operatorFractionsApply(to: gpu.memoryKind) {
      laws["operators"] =
        "datasheet-derived: fractions fitted on \(e.operatorsFittedOn?.rawValue ?? "?") not applied to \(gpu.memoryKind?.rawValue ?? "?")"
    } else {
      laws["operators"] = fitted("operators")
    }
    laws["attention"] =
      e.attention?.fittedOnThisGPU == true || e.fittedLaws.contains("attention") ? "fitted" : "datasheet-derived"
    if gpu.peakFLOPS(.fp8) == nil {
      laws["gemm_fp8"] = "none (no fp8 peak: fp8 GEMMs refused)"
    } else {
      laws["gemm_fp8"] = fitted("gemm_fp8")
    }
    laws["kernel_floor"] = e.kernelFloorSeconds > 0 ? fitted("kernel_floor") : "none"
    return laws
  }

  static func table(_ gpus: [GPUFacts]) -> String {
    var table = TextTable([
      .init("NAME"), .init("GPU"), .init("FP16 DENSE", .right), .init("FP8 DENSE", .right), .init("MEMORY", .right),
      .init("HBM BW", .right), .init("LINK / DIR", .right), .init("LINK"), .init("SMS", .right), .init("L2", .right),
      .init("GEMM EFF", .right), .init("MEM"), .init("FITTED ON THIS GPU"),
    ])
    for gpu in gpus {
      let fp16 = gpu.peakDenseFLOPSPerSecond["fp16"] ?? gpu.peakDenseFLOPSPerSecond["bf16"]
      table.append([
        gpu.name, gpu.displayName, fp16.map(Units.formatFLOPS) ?? "-",
        gpu.peakDenseFLOPSPerSecond["fp8"].map(Units.formatFLOPS) ?? "-", Units.formatBytes(gpu.memoryBytes),
        Units.formatBytesPerSecond(gpu.memoryBandwidthBytesPerSecond),
        gpu.intraNodeLinkBytesPerSecond.map(Units.formatBytesPerSecond) ?? "-", gpu.intraNodeLinkName ?? "-",
        gpu.streamingMultiprocessors.map { "\($0)" } ?? "-", gpu.l2CacheBytes.map(Units.formatBytes) ?? "-",
        "\(Int((gpu.efficiency.computeMax * 100).rounded()))%", gpu.memoryKind ?? "-",
        fittedSummary(gpu.laws),
      ])
    }
    // Laws not under FITTED ON THIS GPU are datasheet-derived (or absent); --json gives each
    // law's provenance (`laws`).
    return table.rendered
  }

  /// "gemm, attention, gemm_fp8", or "none".
  static func fittedSummary(_ laws: [String: String]) -> String {
    let names = EfficiencyProfile.lawNames.filter { laws[$0] == "fitted" }
    return names.isEmpty ? "none" : names.joined(separator: ", ")
  }
}

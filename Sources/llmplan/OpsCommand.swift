import Analytic
import ArgumentParser
import Foundation
import PlanCore

/// `llmplan ops`: the operator roofline of one decoder layer on one GPU of a TP group.
struct OpsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ops",
    abstract: "Per-operator FLOPs, bytes, time and bound of one decoder layer (plus embedding and LM head).",
    discussion: """
      Prefill: one sequence processing --tokens new prompt tokens with --context tokens already \
      cached (default 0). Decode: --tokens sequences producing one token each, every one with \
      --context tokens cached (default 1024). Times are per GPU of the TP group; the TP \
      all-reduces are costed on --cluster (default: a built-in 8-GPU NVSwitch-style node with \
      the GPU's own NVLink bandwidth).
      """)

  enum Phase: String, ExpressibleByArgument, CaseIterable {
    case prefill, decode
  }

  @OptionGroup var catalogOptions: CatalogOptions

  @Option(help: "Model: catalog name or path to a HuggingFace config.json.")
  var model: String

  @Option(help: "GPU: catalog name or path.")
  var gpu: String

  @Option(help: "Cluster: catalog name or path (default: built-in ideal NVSwitch node).")
  var cluster: String?

  @Option(parsing: .unconditional, help: "Tensor-parallel degree.")
  var tp: Int = 1

  @Option(parsing: .unconditional, help: "Prefill: prompt tokens of the chunk. Decode: sequences in the batch.")
  var tokens: Int

  @Option(
    parsing: .unconditional, help: "Tokens already in each sequence's KV cache (default: 0 prefill, 1024 decode).")
  var context: Int?

  func validate() throws {
    try FlagCheck.atLeast(tp, 1, "--tp")
    try FlagCheck.atLeast(tokens, 1, "--tokens")
    try FlagCheck.atLeast(context, 0, "--context")
  }

  @Option(help: "prefill or decode.")
  var phase: Phase = .prefill

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    try withUserFacingErrors {
      let report = try makeReport()
      if json {
        try JSONOutput.print(report)
      } else {
        print(report.text)
      }
    }
  }

  func makeReport() throws -> OpsReport {
    guard tokens >= 1 else { throw UserFacingError(message: "--tokens must be at least 1") }
    let contextTokens = context ?? (phase == .prefill ? 0 : 1024)
    guard contextTokens >= 0 else { throw UserFacingError(message: "--context must not be negative") }
    if phase == .decode && contextTokens < 1 {
      throw UserFacingError(message: "a decoding sequence has at least 1 cached token (--context ≥ 1)")
    }
    let catalog = try catalogOptions.load()
    let modelSpec = try catalog.model(model)
    let gpuSpec = try catalog.gpu(gpu)
    let clusterSpec = try cluster.map { try catalog.cluster($0) } ?? Cluster.idealNodes(gpu: gpuSpec, gpuCount: tp)
    let layout = try Layout.checked(tp: tp, pp: 1, dp: 1)
    try layout.validate(model: modelSpec, cluster: clusterSpec)

    var batch = BatchShape()
    switch phase {
    case .prefill: batch.addPrefill(tokens: tokens, cached: contextTokens)
    case .decode: batch = .decode(batch: tokens, context: contextTokens)
    }
    let cost = try CostModel(model: modelSpec, gpu: gpuSpec, tp: tp)
    let group = Array(0..<tp)
    let comm = CommModel(cluster: clusterSpec, efficiency: gpuSpec.efficiency)
    let allReduce = try comm.estimate(.allReduce, bytes: cost.allReduceBytes(batch: batch), gpus: group)

    var rows = cost.layerOperators(batch: batch).map { OpsReport.Row($0, scope: "layer") }
    let layer = cost.layerTotals(batch: batch)
    // MoE models: the MoE layers' operators too (experts tensor-parallel, EP 1), and how many
    // of the model's layers are MoE layers; the rows above are its dense layers'.
    var expertLayer: CostTotals?
    var expertLayers = 0
    if let experts = modelSpec.experts {
      rows += cost.expertLayerOperators(batch: batch).map { OpsReport.Row($0, scope: "expertLayer") }
      expertLayer = cost.expertLayerTotals(batch: batch)
      expertLayers = experts.expertLayerCount(in: 0..<modelSpec.numLayers)
    }
    rows.append(OpsReport.Row(cost.cost(.embedding, batch: batch), scope: "firstStage"))
    rows.append(OpsReport.Row(cost.cost(.lmHead, batch: batch), scope: "lastStage"))
    return OpsReport(
      model: modelSpec.name, gpu: gpuSpec.name, cluster: clusterSpec.name, tp: tp, phase: phase.rawValue,
      tokens: tokens, contextTokens: contextTokens, kvHeadsPerGPU: cost.kvHeadsPerGPU, operators: rows,
      layerFLOPs: layer.flops, layerBytes: layer.bytes, layerSeconds: layer.seconds,
      allReduceBytes: allReduce.bytes, allReduceSeconds: tp > 1 ? allReduce.seconds : 0,
      allReducesPerLayer: tp > 1 ? 2 : 0,
      layerWithCommunicationSeconds: layer.seconds + (tp > 1 ? 2 * allReduce.seconds : 0),
      layers: modelSpec.numLayers, expertLayers: expertLayers, expertLayerFLOPs: expertLayer?.flops,
      expertLayerBytes: expertLayer?.bytes, expertLayerSeconds: expertLayer?.seconds)
  }
}

/// What `llmplan ops` prints.
struct OpsReport: Encodable {
  struct Row: Encodable {
    var name: String
    /// "layer" (every decoder layer; a MoE model's dense layers), "expertLayer" (a MoE model's
    /// MoE layers), "firstStage" (embedding) or "lastStage" (LM head).
    var scope: String
    var flops: Double
    var bytes: Double
    var seconds: Double
    var bound: String
    var kernels: Int
    var computeBoundSeconds: Double
    var memoryBoundSeconds: Double
    var arithmeticIntensityFLOPsPerByte: Double

    init(_ cost: OperatorCost, scope: String) {
      name = cost.name
      self.scope = scope
      flops = cost.flops
      bytes = cost.bytes
      seconds = cost.seconds
      bound = cost.bound.rawValue
      kernels = cost.kernels
      computeBoundSeconds = cost.computeBoundSeconds
      memoryBoundSeconds = cost.memoryBoundSeconds
      arithmeticIntensityFLOPsPerByte = cost.bytes > 0 ? cost.flops / cost.bytes : 0
    }
  }

  var model: String
  var gpu: String
  var cluster: String
  var tp: Int
  var phase: String
  var tokens: Int
  var contextTokens: Int
  var kvHeadsPerGPU: Int
  var operators: [Row]
  var layerFLOPs: Double
  var layerBytes: Double
  var layerSeconds: Double
  var allReduceBytes: Double
  var allReduceSeconds: Double
  var allReducesPerLayer: Int
  var layerWithCommunicationSeconds: Double
  var layers: Int
  /// MoE layers among `layers` (0 for a dense model) and one MoE layer's totals (nil: dense).
  var expertLayers: Int
  var expertLayerFLOPs: Double?
  var expertLayerBytes: Double?
  var expertLayerSeconds: Double?

  var text: String {
    let what =
      phase == "prefill"
      ? "prefill of \(tokens) tokens (\(contextTokens) cached)"
      : "decode of \(tokens) sequences (\(contextTokens) cached each)"
    var lines = ["\(model) on \(gpu), TP=\(tp): \(what); per GPU, one layer"]
    var table: [[String]] = [["operator", "FLOPs", "bytes", "FLOP/B", "time", "bound"]]
    func add(_ row: Row, label: String? = nil) {
      table.append([
        label ?? row.name, TextTable.count(row.flops), Units.formatBytes(row.bytes),
        Units.threeSignificant(row.arithmeticIntensityFLOPsPerByte), Units.formatSeconds(row.seconds), row.bound,
      ])
    }
    // A MoE model whose every layer is an MoE layer has no dense layer to show.
    let denseLayers = layers - expertLayers
    if expertLayers > 0, denseLayers > 0 {
      table.append(["dense layer (\(denseLayers) of \(layers))", "", "", "", "", ""])
    }
    if denseLayers > 0 {
      for row in operators where row.scope == "layer" { add(row) }
      table.append([
        "layer total", TextTable.count(layerFLOPs), Units.formatBytes(layerBytes), "",
        Units.formatSeconds(layerSeconds), "",
      ])
    }
    if allReducesPerLayer > 0 {
      table.append([
        "tp all-reduce ×\(allReducesPerLayer)", "", Units.formatBytes(allReduceBytes), "",
        Units.formatSeconds(Double(allReducesPerLayer) * allReduceSeconds), "comm",
      ])
      if denseLayers > 0 {
        table.append(["layer + comm", "", "", "", Units.formatSeconds(layerWithCommunicationSeconds), ""])
      }
    }
    if let expertLayerFLOPs, let expertLayerBytes, let expertLayerSeconds {
      table.append(["MoE layer (\(expertLayers) of \(layers)), EP 1", "", "", "", "", ""])
      for row in operators where row.scope == "expertLayer" { add(row) }
      table.append([
        "MoE layer total", TextTable.count(expertLayerFLOPs), Units.formatBytes(expertLayerBytes), "",
        Units.formatSeconds(expertLayerSeconds), "",
      ])
    }
    for row in operators where row.scope == "firstStage" { add(row, label: "\(row.name) (first stage)") }
    for row in operators where row.scope == "lastStage" { add(row, label: "\(row.name) (last stage)") }
    lines.append(TextTable.render(table, rightAligned: [1, 2, 3, 4]))
    lines.append("KV heads per GPU: \(kvHeadsPerGPU); all-reduces costed on \(cluster).")
    return lines.joined(separator: "\n")
  }
}

import ArgumentParser
import PlanCore

/// `llmplan models`: the catalog's models (or the user's `config.json` files) with derived facts.
struct ModelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "models",
    abstract:
      "List models with their architecture (dense or MoE, attention kind), total and active parameter counts, weight and KV precision, weight bytes and KV-cache bytes per token.",
    discussion: """
      With no argument, lists every model under the catalog's llm/ folder. Give catalog names or \
      paths to HuggingFace config.json files (positionally or with --file) to show just those.
      """)

  @OptionGroup var listing: ListingOptions

  func run() throws {
    try withUserFacingErrors { print(try render()) }
  }

  /// The text this command prints.
  func render() throws -> String {
    try listing.render(.model, load: { try $0.model($1) }, facts: ModelFacts.init, table: ModelFacts.table)
  }
}

/// One model's architecture and derived facts, as listed by `llmplan models` (JSON field
/// names carry their units).
struct ModelFacts: Encodable, Equatable {
  var name: String
  var displayName: String
  /// Derived total parameter count (every expert).
  var parameters: Double
  /// Parameters one token uses: top-k routed and shared experts plus the dense parts
  /// (`ModelSpec.activeParameterCount`); equal to `parameters` for a dense model.
  var activeParameters: Double
  /// The count the file's `llmplan.published_parameters` states, if any.
  var publishedParameters: Double?
  /// (derived − published) / published.
  var parameterDeviationFraction: Double?
  var dtype: String
  /// "dense" or "MoE".
  var architecture: String
  /// "MHA", "GQA" or "MQA" from the query and key/value head counts, or "MLA" (latent attention).
  var attentionKind: String
  /// Precision of the linear layers' weights: the model's dtype, or the quantized format
  /// ("int4-g128", "fp8", "fp8-b128", "int8").
  var weightDType: String
  /// "awq", "gptq", "fp8" or "int8" for a quantized checkpoint.
  var weightQuantizationMethod: String?
  /// Routed experts per MoE layer, experts per token, shared experts, one expert's MLP width,
  /// and the number of MoE layers (absent for a dense model).
  var routedExperts: Int?
  var expertsPerToken: Int?
  var sharedExperts: Int?
  var expertIntermediateSize: Int?
  var expertLayers: Int?
  /// Latent attention's cached latent rank and rotary key width (absent without MLA).
  var kvLoraRank: Int?
  var qkRopeHeadDim: Int?
  /// Precision of the KV cache the per-token byte counts use.
  var kvCacheDType: String
  /// Bytes of all weights as stored (quantized linear layers with their scales, the rest in the
  /// model's dtype).
  var weightBytes: Double
  /// Bytes of all weights unquantized in each dtype ("fp16", "fp8", …).
  var weightBytesPerDType: [String: Double]
  /// K and V bytes for one token over all layers, in the model's dtype.
  var kvCacheBytesPerToken: Double
  var kvCacheBytesPerTokenPerLayer: Double
  var numLayers: Int
  var hiddenSize: Int
  var numHeads: Int
  var numKVHeads: Int
  var headDim: Int
  var intermediateSize: Int
  var vocabSize: Int
  var maxPositionEmbeddings: Int
  var gatedMLP: Bool
  var activation: String
  var normalization: String
  var positionEmbedding: String
  var tieWordEmbeddings: Bool
  var attentionBias: Bool

  init(_ model: ModelSpec) {
    name = model.name
    displayName = model.displayName
    parameters = model.parameterCount
    activeParameters = model.activeParameterCount
    publishedParameters = model.publishedParameters
    parameterDeviationFraction = model.publishedParameters.map { (model.parameterCount - $0) / $0 }
    dtype = model.dtype.rawValue
    architecture = model.architecture
    attentionKind = model.attentionKind.rawValue
    weightDType = model.weightPrecision
    weightQuantizationMethod = model.weightQuantization?.method.rawValue
    routedExperts = model.experts?.routedExperts
    expertsPerToken = model.experts?.expertsPerToken
    sharedExperts = model.experts?.sharedExperts
    expertIntermediateSize = model.experts?.expertIntermediateSize
    expertLayers = model.experts == nil ? nil : model.expertLayerCount
    kvLoraRank = model.latentAttention?.kvLoraRank
    qkRopeHeadDim = model.latentAttention?.qkRopeHeadDim
    kvCacheDType = model.kvCacheDType.rawValue
    weightBytes = model.weightBytes()
    weightBytesPerDType = Dictionary(uniqueKeysWithValues: DType.allCases.map { ($0.rawValue, model.weightBytes($0)) })
    kvCacheBytesPerToken = model.kvCacheBytesPerToken
    kvCacheBytesPerTokenPerLayer = model.kvCacheBytesPerTokenPerLayer
    numLayers = model.numLayers
    hiddenSize = model.hiddenSize
    numHeads = model.numHeads
    numKVHeads = model.numKVHeads
    headDim = model.headDim
    intermediateSize = model.intermediateSize
    vocabSize = model.vocabSize
    maxPositionEmbeddings = model.maxPositionEmbeddings
    gatedMLP = model.gatedMLP
    activation = model.activation
    normalization = model.normalization.rawValue
    positionEmbedding = model.positionEmbedding.rawValue
    tieWordEmbeddings = model.tieWordEmbeddings
    attentionBias = model.attentionBias
  }

  static func table(_ models: [ModelFacts]) -> String {
    var table = TextTable([
      .init("NAME"), .init("MODEL"), .init("ARCH"), .init("EXPERTS"), .init("ATTN"), .init("PARAMS", .right),
      .init("ACTIVE", .right), .init("PUBLISHED", .right), .init("W DTYPE"), .init("KV DTYPE"),
      .init("WEIGHTS", .right),
      .init("KV B/TOKEN", .right), .init("LAYERS", .right), .init("HIDDEN", .right),
      .init("HEADS/KV", .right), .init("FFN", .right), .init("VOCAB", .right), .init("CONTEXT", .right),
    ])
    for model in models {
      table.append([
        model.name, model.displayName, model.architecture, model.expertsText, model.attentionKind,
        ListingFormat.count(model.parameters), ListingFormat.count(model.activeParameters),
        model.publishedParameters.map(ListingFormat.count) ?? "-", model.weightDType, model.kvCacheDType,
        Units.formatBytes(model.weightBytes),
        ListingFormat.grouped(model.kvCacheBytesPerToken), "\(model.numLayers)", "\(model.hiddenSize)",
        "\(model.numHeads)/\(model.numKVHeads)", model.mlpText,
        "\(model.vocabSize)", "\(model.maxPositionEmbeddings)",
      ])
    }
    return table.rendered
  }

  /// "8 top-2", "256 top-8 +1 shared", or "-" for a dense model.
  var expertsText: String {
    guard let routed = routedExperts, let perToken = expertsPerToken else { return "-" }
    let shared = (sharedExperts ?? 0) > 0 ? " +\(sharedExperts ?? 0) shared" : ""
    return "\(routed) top-\(perToken)\(shared)"
  }

  /// The MLP width: the dense MLP's, or one expert's for an MoE model ("768/expert").
  var mlpText: String {
    let gated = gatedMLP ? " gated" : ""
    if let width = expertIntermediateSize { return "\(width)/expert\(gated)" }
    return "\(intermediateSize)\(gated)"
  }
}

import ArgumentParser
import PlanCore

/// `llmplan models`: the catalog's models (or the user's `config.json` files) with derived facts.
struct ModelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "models",
    abstract:
      "List models with their architecture, derived parameter count, weight and KV precision, weight bytes and KV-cache bytes per token.",
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
  /// Derived total parameter count.
  var parameters: Double
  /// The count the file's `llmplan.published_parameters` states, if any.
  var publishedParameters: Double?
  /// (derived − published) / published.
  var parameterDeviationFraction: Double?
  var dtype: String
  /// "dense" (mixture-of-experts configs are refused by the loader until they are modelled).
  var architecture: String
  /// "MHA", "GQA" or "MQA", from the query and key/value head counts.
  var attentionKind: String
  /// Precision of the weights (the model's dtype; quantized checkpoints are refused for now).
  var weightDType: String
  /// Precision of the KV cache the per-token byte counts use.
  var kvCacheDType: String
  /// Bytes of all weights in the model's own dtype.
  var weightBytes: Double
  /// Bytes of all weights in each dtype ("fp16", "fp8", …).
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
    publishedParameters = model.publishedParameters
    parameterDeviationFraction = model.publishedParameters.map { (model.parameterCount - $0) / $0 }
    dtype = model.dtype.rawValue
    architecture = model.architecture
    attentionKind = model.attentionKind.rawValue
    weightDType = model.dtype.rawValue
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
      .init("NAME"), .init("MODEL"), .init("ARCH"), .init("ATTN"), .init("PARAMS", .right),
      .init("PUBLISHED", .right), .init("W DTYPE"), .init("KV DTYPE"), .init("WEIGHTS", .right),
      .init("KV B/TOKEN", .right), .init("LAYERS", .right), .init("HIDDEN", .right),
      .init("HEADS/KV", .right), .init("FFN", .right), .init("VOCAB", .right), .init("CONTEXT", .right),
    ])
    for model in models {
      table.append([
        model.name, model.displayName, model.architecture, model.attentionKind, ListingFormat.count(model.parameters),
        model.publishedParameters.map(ListingFormat.count) ?? "-", model.weightDType, model.kvCacheDType,
        Units.formatBytes(model.weightBytes),
        ListingFormat.grouped(model.kvCacheBytesPerToken), "\(model.numLayers)", "\(model.hiddenSize)",
        "\(model.numHeads)/\(model.numKVHeads)", "\(model.intermediateSize)\(model.gatedMLP ? " gated" : "")",
        "\(model.vocabSize)", "\(model.maxPositionEmbeddings)",
      ])
    }
    return table.rendered
  }
}

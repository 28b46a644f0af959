import Foundation

/// A decoder-only transformer (dense or mixture-of-experts, standard or latent attention,
/// unquantized or with quantized weights), as described by a HuggingFace `config.json`.
///
/// Only architecture facts are stored; everything else (parameter count, weight bytes,
/// KV bytes per token) is derived, so a user's `config.json` needs nothing typed in by hand.
public struct ModelSpec: Sendable, Hashable, Codable {
  public enum Normalization: String, Sendable, Codable { case rmsNorm, layerNorm }
  public enum PositionEmbedding: String, Sendable, Codable { case rotary, learned }

  /// Catalog name (file stem), e.g. `llama-2-7b`.
  public var name: String
  public var displayName: String
  public var hiddenSize: Int
  public var numLayers: Int
  public var numHeads: Int
  /// Key/value heads: equal to `numHeads` for multi-head attention, fewer for GQA/MQA.
  public var numKVHeads: Int
  public var headDim: Int
  /// MLP width (`intermediate_size`, GPT's `n_inner`, 4·d by default for GPT-style models).
  public var intermediateSize: Int
  public var vocabSize: Int
  public var maxPositionEmbeddings: Int
  public var dtype: DType
  /// Gated MLP (SwiGLU: gate and up projections, then down) as in Llama; else up → act → down.
  public var gatedMLP: Bool
  public var activation: String
  public var tieWordEmbeddings: Bool
  public var normalization: Normalization
  public var positionEmbedding: PositionEmbedding
  /// Biases on the attention projections (GPT-2/3) or not (Llama).
  public var attentionBias: Bool
  /// Biases on the MLP projections.
  public var mlpBias: Bool
  /// Published total parameter count, when the file states one (checked against ours).
  public var publishedParameters: Double?
  /// Mixture-of-experts layers (nil: every layer has the dense MLP above).
  public var experts: MixtureOfExperts?
  /// Multi-head latent attention (DeepSeek-V2/V3); nil: standard MHA/GQA/MQA attention.
  public var latentAttention: LatentAttention?
  /// How the checkpoint's linear-layer weights are stored when not in `dtype` (AWQ, GPTQ, fp8);
  /// nil: every weight in `dtype`.
  public var weightQuantization: WeightQuantization?

  public init(
    name: String, displayName: String? = nil, hiddenSize: Int, numLayers: Int, numHeads: Int,
    numKVHeads: Int? = nil, headDim: Int? = nil, intermediateSize: Int, vocabSize: Int,
    maxPositionEmbeddings: Int, dtype: DType = .fp16, gatedMLP: Bool, activation: String = "silu",
    tieWordEmbeddings: Bool = false, normalization: Normalization = .rmsNorm,
    positionEmbedding: PositionEmbedding = .rotary, attentionBias: Bool = false, mlpBias: Bool = false,
    publishedParameters: Double? = nil, experts: MixtureOfExperts? = nil, latentAttention: LatentAttention? = nil,
    weightQuantization: WeightQuantization? = nil
  ) {
    self.name = name
    self.displayName = displayName ?? name
    self.hiddenSize = hiddenSize
    self.numLayers = numLayers
    self.numHeads = numHeads
    self.numKVHeads = numKVHeads ?? numHeads
    self.headDim = headDim ?? (numHeads > 0 ? hiddenSize / numHeads : 0)
    self.intermediateSize = intermediateSize
    self.vocabSize = vocabSize
    self.maxPositionEmbeddings = maxPositionEmbeddings
    self.dtype = dtype
    self.gatedMLP = gatedMLP
    self.activation = activation
    self.tieWordEmbeddings = tieWordEmbeddings
    self.normalization = normalization
    self.positionEmbedding = positionEmbedding
    self.attentionBias = attentionBias
    self.mlpBias = mlpBias
    self.publishedParameters = publishedParameters
    self.experts = experts
    self.latentAttention = latentAttention
    self.weightQuantization = weightQuantization
  }

  // MARK: Derived facts

  /// How the attention heads share keys and values.
  public enum AttentionKind: String, Sendable, Codable {
    /// Multi-head: one key/value head per query head.
    case mha = "MHA"
    /// Grouped-query: several query heads share each key/value head.
    case gqa = "GQA"
    /// Multi-query: one key/value head for all query heads.
    case mqa = "MQA"
    /// Multi-head latent attention (DeepSeek-V2/V3): the cache holds one compressed latent and
    /// one rotary key per token, shared by every head (`latentAttention`).
    case mla = "MLA"
  }

  public var attentionKind: AttentionKind {
    if latentAttention != nil { return .mla }
    return numKVHeads == numHeads ? .mha : numKVHeads == 1 ? .mqa : .gqa
  }

  /// The architecture the arithmetic describes: "MoE" when the model has expert layers, else "dense".
  public var architecture: String { experts == nil ? "dense" : "MoE" }

  /// Precision of the KV cache this spec's byte counts use (the model's own dtype).
  public var kvCacheDType: DType { dtype }

  /// Width of the query projection output (heads × head dim); equals `hiddenSize` usually.
  /// With latent attention, heads × (`qkNopeHeadDim` + `qkRopeHeadDim`).
  public var queryWidth: Int { numHeads * headDim }
  /// Width of each of the key and value projection outputs (the decompressed heads, for latent
  /// attention: the cache stores `latentAttention.cachedElementsPerTokenPerLayer` instead).
  public var kvWidth: Int { numKVHeads * headDim }

  /// Parameters of the attention block of one layer: Q, K, V and output projections (for latent
  /// attention, its down- and up-projections and their two norms; see `ModelSpec+Experts.swift`).
  public var attentionParametersPerLayer: Double {
    if let latent = latentAttention { return latentAttentionParameters(latent) }
    let d = Double(hiddenSize)
    let weights = d * Double(queryWidth) + 2 * d * Double(kvWidth) + Double(queryWidth) * d
    let biases = attentionBias ? Double(queryWidth + 2 * kvWidth) + d : 0
    return weights + biases
  }

  /// Parameters of the dense MLP of one layer: 3·d·f when gated (gate, up, down), else 2·d·f.
  /// A mixture-of-experts layer has `expertLayerParameters` instead.
  public var mlpParametersPerLayer: Double { mlpParameters(width: intermediateSize) }

  /// Parameters of one MLP of width `f`, with biases when `mlpBias`.
  func mlpParameters(width f: Int) -> Double {
    let d = Double(hiddenSize)
    let matrices: Double = gatedMLP ? 3 : 2
    let biases = mlpBias ? (matrices - 1) * Double(f) + d : 0
    return matrices * d * Double(f) + biases
  }

  /// Norm parameters of one layer: two norms, scale only (RMSNorm) or scale and shift (LayerNorm).
  public var normParametersPerLayer: Double {
    Double(hiddenSize) * (normalization == .rmsNorm ? 2 : 4)
  }

  /// Parameters of decoder layer `index` (0-based): attention, norms, and its dense MLP or its
  /// mixture of experts.
  public func parameters(ofLayer index: Int) -> Double {
    let mlp = experts.map { $0.isExpertLayer(index) ? expertLayerParameters($0) : mlpParametersPerLayer }
    return attentionParametersPerLayer + normParametersPerLayer + (mlp ?? mlpParametersPerLayer)
  }

  /// Decoder-layer parameters averaged over the layers (every layer's, for a dense model).
  public var parametersPerLayer: Double { decoderParameters / Double(max(numLayers, 1)) }

  /// All decoder layers' parameters.
  public var decoderParameters: Double {
    let shared = Double(numLayers) * (attentionParametersPerLayer + normParametersPerLayer)
    guard let experts else { return shared + Double(numLayers) * mlpParametersPerLayer }
    let moeLayers = Double(expertLayerCount)
    return shared + moeLayers * expertLayerParameters(experts)
      + (Double(numLayers) - moeLayers) * mlpParametersPerLayer
  }

  /// Token embedding (V·d) plus learned position embedding (P·d) where the model has one.
  public var embeddingParameters: Double {
    let d = Double(hiddenSize)
    return Double(vocabSize) * d + (positionEmbedding == .learned ? Double(maxPositionEmbeddings) * d : 0)
  }

  /// Output projection to the vocabulary (none of its own when tied to the embedding),
  /// plus the final norm.
  public var lmHeadParameters: Double {
    let d = Double(hiddenSize)
    let finalNorm = d * (normalization == .rmsNorm ? 1 : 2)
    return (tieWordEmbeddings ? 0 : Double(vocabSize) * d) + finalNorm
  }

  /// Total parameters: every expert of every layer, embeddings and LM head.
  public var parameterCount: Double {
    decoderParameters + embeddingParameters + lmHeadParameters
  }

  /// Bytes of all weights: in `format` when given (every parameter at that width, as an
  /// unquantized checkpoint of that dtype would hold them), else as stored — honouring
  /// `weightQuantization` (see `ModelSpec+WeightBytes.swift`).
  public func weightBytes(_ format: DType? = nil) -> Double {
    if let format { return parameterCount * format.bytes }
    guard let weightQuantization else { return parameterCount * dtype.bytes }
    return quantizedWeightBytes(weightQuantization)
  }

  /// KV-cache bytes for one token across all layers: 2 · L · kvHeads · headDim · bytes, or for
  /// latent attention L · (kv_lora_rank + qk_rope_head_dim) · bytes.
  public var kvCacheBytesPerToken: Double {
    Double(numLayers) * kvCacheBytesPerTokenPerLayer
  }

  /// KV bytes for one token in one layer.
  public var kvCacheBytesPerTokenPerLayer: Double {
    if let latent = latentAttention { return Double(latent.cachedElementsPerTokenPerLayer) * dtype.bytes }
    return 2 * Double(kvWidth) * dtype.bytes
  }
}

import Foundation

/// A dense decoder-only transformer, as described by a HuggingFace `config.json`.
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
  }

  public var attentionKind: AttentionKind {
    numKVHeads == numHeads ? .mha : numKVHeads == 1 ? .mqa : .gqa
  }

  /// The architecture the arithmetic describes. Every loadable model is dense: configs with
  /// experts (MoE) are refused by the loader until they are modelled.
  public var architecture: String { "dense" }

  /// Precision of the KV cache this spec's byte counts use (the model's own dtype).
  public var kvCacheDType: DType { dtype }

  /// Width of the query projection output (heads × head dim); equals `hiddenSize` usually.
  public var queryWidth: Int { numHeads * headDim }
  /// Width of each of the key and value projection outputs.
  public var kvWidth: Int { numKVHeads * headDim }

  /// Parameters of the attention block of one layer: Q, K, V and output projections.
  public var attentionParametersPerLayer: Double {
    let d = Double(hiddenSize)
    let weights = d * Double(queryWidth) + 2 * d * Double(kvWidth) + Double(queryWidth) * d
    let biases = attentionBias ? Double(queryWidth + 2 * kvWidth) + d : 0
    return weights + biases
  }

  /// Parameters of the MLP of one layer: 3·d·f when gated (gate, up, down), else 2·d·f.
  public var mlpParametersPerLayer: Double {
    let d = Double(hiddenSize)
    let f = Double(intermediateSize)
    let matrices: Double = gatedMLP ? 3 : 2
    let biases = mlpBias ? (matrices - 1) * f + d : 0
    return matrices * d * f + biases
  }

  /// Norm parameters of one layer: two norms, scale only (RMSNorm) or scale and shift (LayerNorm).
  public var normParametersPerLayer: Double {
    Double(hiddenSize) * (normalization == .rmsNorm ? 2 : 4)
  }

  public var parametersPerLayer: Double {
    attentionParametersPerLayer + mlpParametersPerLayer + normParametersPerLayer
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

  /// Total parameters.
  public var parameterCount: Double {
    Double(numLayers) * parametersPerLayer + embeddingParameters + lmHeadParameters
  }

  /// Bytes of all weights in `dtype` (the model's own dtype by default).
  public func weightBytes(_ format: DType? = nil) -> Double { parameterCount * (format ?? dtype).bytes }

  /// Key and value cache bytes for one token across all layers: 2 · L · kvHeads · headDim · bytes.
  public var kvCacheBytesPerToken: Double {
    2 * Double(numLayers) * Double(kvWidth) * dtype.bytes
  }

  /// KV bytes for one token in one layer.
  public var kvCacheBytesPerTokenPerLayer: Double { 2 * Double(kvWidth) * dtype.bytes }
}

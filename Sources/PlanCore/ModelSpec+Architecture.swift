/// The parts of a model's architecture beyond the dense decoder: expert layers, latent
/// attention and quantized weights. Stored on `ModelSpec` as optionals (nil: the dense reading),
/// so a dense model's files, JSON and arithmetic are unchanged.

/// Mixture-of-experts layers: a router picks `expertsPerToken` of `routedExperts` gated MLPs
/// for each token; `sharedExperts` MLPs run on every token (DeepSeek, Qwen2-MoE).
public struct MixtureOfExperts: Sendable, Hashable, Codable {
  /// Routed experts per MoE layer (`num_local_experts`, `num_experts`, `n_routed_experts`).
  public var routedExperts: Int
  /// Routed experts each token goes through (`num_experts_per_tok`).
  public var expertsPerToken: Int
  /// Width of one routed expert's MLP (`moe_intermediate_size`; Mixtral: `intermediate_size`).
  public var expertIntermediateSize: Int
  /// Experts every token goes through besides the routed ones (`n_shared_experts`; 0: none).
  public var sharedExperts: Int
  /// Width of one shared expert's MLP (DeepSeek: `moe_intermediate_size`; Qwen2-MoE:
  /// `shared_expert_intermediate_size`).
  public var sharedExpertIntermediateSize: Int
  /// The first layers that keep the dense MLP of `ModelSpec.intermediateSize`
  /// (`first_k_dense_replace`; 0: none).
  public var leadingDenseLayers: Int
  /// Every `layerStep`-th layer (1-based) after the leading dense ones is an MoE layer
  /// (`decoder_sparse_step`; 1: all of them).
  public var layerStep: Int
  /// Further layers (0-based) that keep the dense MLP (`mlp_only_layers`).
  public var denseLayerIndices: [Int]
  /// Bias on the router's logits (gpt-oss) or a per-expert score correction (DeepSeek-V3's
  /// `e_score_correction_bias`): `routedExperts` parameters per layer when true.
  public var routerBias: Bool
  /// A sigmoid gate (a `hidden_size` → 1 projection) scaling the shared expert's output
  /// (Qwen2-MoE's `shared_expert_gate`): `hidden_size` parameters per MoE layer when true.
  public var sharedExpertGate: Bool

  public init(
    routedExperts: Int, expertsPerToken: Int, expertIntermediateSize: Int, sharedExperts: Int = 0,
    sharedExpertIntermediateSize: Int? = nil, leadingDenseLayers: Int = 0, layerStep: Int = 1,
    denseLayerIndices: [Int] = [], routerBias: Bool = false, sharedExpertGate: Bool = false
  ) {
    self.routedExperts = routedExperts
    self.expertsPerToken = expertsPerToken
    self.expertIntermediateSize = expertIntermediateSize
    self.sharedExperts = sharedExperts
    self.sharedExpertIntermediateSize = sharedExpertIntermediateSize ?? expertIntermediateSize
    self.leadingDenseLayers = leadingDenseLayers
    self.layerStep = layerStep
    self.denseLayerIndices = denseLayerIndices
    self.routerBias = routerBias
    self.sharedExpertGate = sharedExpertGate
  }

  enum CodingKeys: String, CodingKey {
    case routedExperts, expertsPerToken, expertIntermediateSize, sharedExperts, sharedExpertIntermediateSize
    case leadingDenseLayers, layerStep, denseLayerIndices, routerBias, sharedExpertGate
  }

  /// Fields added after the first contract default when absent.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      routedExperts: try c.decode(Int.self, forKey: .routedExperts),
      expertsPerToken: try c.decode(Int.self, forKey: .expertsPerToken),
      expertIntermediateSize: try c.decode(Int.self, forKey: .expertIntermediateSize),
      sharedExperts: try c.decodeIfPresent(Int.self, forKey: .sharedExperts) ?? 0,
      sharedExpertIntermediateSize: try c.decodeIfPresent(Int.self, forKey: .sharedExpertIntermediateSize),
      leadingDenseLayers: try c.decodeIfPresent(Int.self, forKey: .leadingDenseLayers) ?? 0,
      layerStep: try c.decodeIfPresent(Int.self, forKey: .layerStep) ?? 1,
      denseLayerIndices: try c.decodeIfPresent([Int].self, forKey: .denseLayerIndices) ?? [],
      routerBias: try c.decodeIfPresent(Bool.self, forKey: .routerBias) ?? false,
      sharedExpertGate: try c.decodeIfPresent(Bool.self, forKey: .sharedExpertGate) ?? false)
  }

  /// Whether decoder layer `index` (0-based) is an MoE layer: past the leading dense layers,
  /// on the step (HF `(index + 1) % decoder_sparse_step == 0`), and not listed as dense.
  public func isExpertLayer(_ index: Int) -> Bool {
    index >= leadingDenseLayers && (layerStep <= 1 || (index + 1) % layerStep == 0)
      && !denseLayerIndices.contains(index)
  }

  /// MoE layers among layers `range` (0-based) of the model.
  public func expertLayerCount(in range: Range<Int>) -> Int {
    range.reduce(0) { $0 + (isExpertLayer($1) ? 1 : 0) }
  }
}

/// Multi-head latent attention (DeepSeek-V2/V3, arXiv:2405.04434 §2.1): keys and values are
/// projected through a rank-`kvLoraRank` latent that the KV cache stores, plus one shared
/// rotary key of `qkRopeHeadDim`; queries go through a rank-`qLoraRank` latent when given.
public struct LatentAttention: Sendable, Hashable, Codable {
  public var kvLoraRank: Int
  /// nil: queries are projected directly from the hidden state (DeepSeek-V2-Lite).
  public var qLoraRank: Int?
  public var qkRopeHeadDim: Int
  public var qkNopeHeadDim: Int
  public var vHeadDim: Int

  public init(kvLoraRank: Int, qLoraRank: Int?, qkRopeHeadDim: Int, qkNopeHeadDim: Int, vHeadDim: Int) {
    self.kvLoraRank = kvLoraRank
    self.qLoraRank = qLoraRank
    self.qkRopeHeadDim = qkRopeHeadDim
    self.qkNopeHeadDim = qkNopeHeadDim
    self.vHeadDim = vHeadDim
  }

  /// Elements the KV cache stores per token per layer: the latent and the rotary key (no
  /// separate K and V, no heads).
  public var cachedElementsPerTokenPerLayer: Int { kvLoraRank + qkRopeHeadDim }
}

/// Storage of quantized linear-layer weights (AWQ, GPTQ, fp8 checkpoints, or `--weight-dtype`).
/// Embeddings, norms, the router and the LM head stay in the model's `dtype` (as AWQ, GPTQ and
/// vLLM's fp8 leave them).
public struct WeightQuantization: Sendable, Hashable, Codable {
  public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
    /// Activation-aware int4 weights, fp16 activations (w4a16).
    case awq
    /// GPTQ int4/int8 weights, fp16 activations (w4a16 / w8a16).
    case gptq
    /// fp8 (e4m3) weights; on GPUs with fp8 tensor cores the GEMMs also run in fp8 (w8a8).
    case fp8
    /// int8 weights with int8 activations (SmoothQuant-style w8a8).
    case int8
  }
  public var method: Method
  /// Bits per stored weight: 4 or 8.
  public var bits: Int
  /// Weights sharing one scale (and zero point); nil: one scale per output channel.
  public var groupSize: Int?
  /// Whether the activations are quantized too (w8a8) so the GEMM runs at the low-precision
  /// tensor-core rate; false: weight-only, dequantized to the model's dtype inside the kernel.
  public var quantizedActivations: Bool
  /// Whether each group also stores a zero point of `bits` bits (asymmetric AWQ, `zero_point:
  /// true`; GPTQ checkpoints store `qzeros` even when symmetric).
  public var zeroPoints: Bool
  /// Output rows sharing one scale, with `groupSize` input columns: block-wise fp8 (DeepSeek-V3's
  /// `weight_block_size: [128, 128]`); nil: one row (per-channel or per-group scales).
  public var blockRows: Int?
  /// GPTQ's activation order (`desc_act`): the checkpoint's input channels are permuted, which
  /// vLLM's kernels undo with `g_idx`; it changes no byte count.
  public var actOrder: Bool

  public init(
    method: Method, bits: Int, groupSize: Int? = nil, quantizedActivations: Bool, zeroPoints: Bool? = nil,
    blockRows: Int? = nil, actOrder: Bool = false
  ) {
    self.method = method
    self.bits = bits
    self.groupSize = groupSize
    self.quantizedActivations = quantizedActivations
    self.zeroPoints = zeroPoints ?? (method == .awq || method == .gptq)
    self.blockRows = blockRows
    self.actOrder = actOrder
  }

  enum CodingKeys: String, CodingKey {
    case method, bits, groupSize, quantizedActivations, zeroPoints, blockRows, actOrder
  }

  /// Fields added after the first contract default when absent.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      method: try c.decode(Method.self, forKey: .method), bits: try c.decode(Int.self, forKey: .bits),
      groupSize: try c.decodeIfPresent(Int.self, forKey: .groupSize),
      quantizedActivations: try c.decode(Bool.self, forKey: .quantizedActivations),
      zeroPoints: try c.decodeIfPresent(Bool.self, forKey: .zeroPoints),
      blockRows: try c.decodeIfPresent(Int.self, forKey: .blockRows),
      actOrder: try c.decodeIfPresent(Bool.self, forKey: .actOrder) ?? false)
  }
}

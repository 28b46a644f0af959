/// Parameter counts of mixture-of-experts layers and multi-head latent attention: the total a
/// checkpoint stores and the share one token's forward pass touches.
extension ModelSpec {
  /// MoE layers among the model's layers (0 for a dense model).
  public var expertLayerCount: Int { experts?.expertLayerCount(in: 0..<numLayers) ?? 0 }

  /// Parameters of one routed expert: a gated MLP of `expertIntermediateSize`.
  public var routedExpertParameters: Double {
    experts.map { mlpParameters(width: $0.expertIntermediateSize) } ?? 0
  }

  /// Router (gate) parameters of one MoE layer: a d × experts projection, its bias or score
  /// correction, and Qwen2-MoE's shared-expert gate.
  func routerParameters(_ moe: MixtureOfExperts) -> Double {
    let d = Double(hiddenSize)
    return d * Double(moe.routedExperts) + (moe.routerBias ? Double(moe.routedExperts) : 0)
      + (moe.sharedExpertGate ? d : 0)
  }

  /// Shared-expert parameters of one MoE layer.
  func sharedExpertParameters(_ moe: MixtureOfExperts) -> Double {
    Double(moe.sharedExperts) * mlpParameters(width: moe.sharedExpertIntermediateSize)
  }

  /// Parameters of one MoE layer's MLP block: every routed expert, the shared experts, the router.
  public func expertLayerParameters(_ moe: MixtureOfExperts) -> Double {
    Double(moe.routedExperts) * mlpParameters(width: moe.expertIntermediateSize) + sharedExpertParameters(moe)
      + routerParameters(moe)
  }

  /// Parameters of one MoE layer's MLP block that one token uses: its top-k routed experts, the
  /// shared experts and the router.
  public func activeExpertLayerParameters(_ moe: MixtureOfExperts) -> Double {
    Double(moe.expertsPerToken) * mlpParameters(width: moe.expertIntermediateSize) + sharedExpertParameters(moe)
      + routerParameters(moe)
  }

  /// Parameters one token's forward pass uses: attention, norms and dense MLPs of every layer,
  /// the top-k routed plus shared experts and router of each MoE layer, the LM head, and the
  /// embedding table (the convention of Mistral's "12.9B active" and Qwen's "3.3B activated";
  /// DeepSeek leaves the embedding out: `activeParameterCount − embeddingParameters`). Equal to
  /// `parameterCount` for a dense model.
  public var activeParameterCount: Double {
    guard let experts else { return parameterCount }
    let moeLayers = Double(expertLayerCount)
    return parameterCount - moeLayers * (expertLayerParameters(experts) - activeExpertLayerParameters(experts))
  }

  /// Parameters of one layer's latent attention (arXiv:2405.04434 §2.1; transformers'
  /// `DeepseekV3Attention`): the query down-projection d × q_rank, its RMSNorm and up-projection
  /// q_rank × heads·(nope + rope) (or one d × heads·(nope + rope) projection without q_lora_rank);
  /// the joint KV down-projection d × (kv_rank + rope), its RMSNorm, the up-projection
  /// kv_rank × heads·(nope + v); the output projection heads·v × d. With `attention_bias`, the
  /// two down-projections and the output projection carry biases.
  func latentAttentionParameters(_ latent: LatentAttention) -> Double {
    let d = Double(hiddenSize)
    let heads = Double(numHeads)
    let queryHead = Double(latent.qkNopeHeadDim + latent.qkRopeHeadDim)
    let kvDown = Double(latent.kvLoraRank + latent.qkRopeHeadDim)
    var query = d * heads * queryHead
    var biases = attentionBias ? kvDown + d : 0
    if let rank = latent.qLoraRank.map(Double.init) {
      query = d * rank + rank + rank * heads * queryHead
      if attentionBias { biases += rank }
    }
    let keyValue =
      d * kvDown + Double(latent.kvLoraRank)
      + Double(latent.kvLoraRank) * heads * Double(latent.qkNopeHeadDim + latent.vHeadDim)
    let output = heads * Double(latent.vHeadDim) * d
    return query + keyValue + output + biases
  }
}

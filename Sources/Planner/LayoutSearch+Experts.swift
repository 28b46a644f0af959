import PlanCore

/// The expert-parallel and precision-dependent parts of the layout search.
extension LayoutSearch {
  /// Expert-parallel degrees of a (TP, DP) layout of `model`: every EP = TP · r > 1 with r
  /// dividing DP (an EP group is the same stage of r consecutive replicas; vLLM's EP size is
  /// TP × DP of the data-parallel group it spans) and EP dividing the routed experts, ascending.
  /// Empty for a dense model.
  public static func expertParallelDegrees(model: ModelSpec, tp: Int, dp: Int) -> [Int] {
    guard let experts = model.experts, tp >= 1, dp >= 1 else { return [] }
    return (1...dp).compactMap { r in
      let ep = tp * r
      return dp % r == 0 && ep > 1 && experts.routedExperts % ep == 0 ? ep : nil
    }
  }

  /// Whether a serving engine can split `model`'s weights `tp` ways beyond the head and MLP
  /// width rules of `tensorParallelDegrees`:
  /// - experts are split by TP like a dense MLP when not expert-parallel, so TP divides the
  ///   expert width (`moe_intermediate_size`) and the shared experts' width;
  /// - group-quantized weights (AWQ/GPTQ int4/int8, group G) need every row-parallel input per
  ///   rank (the attention output's heads × head dim, the MLP and expert widths) to be a whole
  ///   number of groups, else vLLM refuses to load them ("The input size is not aligned with the
  ///   quantized weight shape. This can be caused by too large tensor parallel size.",
  ///   https://github.com/vllm-project/vllm/issues/5675 and #2699: Qwen1.5-14B-AWQ at TP 2).
  /// MLA models cache one latent per token, replicated on every rank, so no KV-head rule applies
  /// beyond the heads dividing by TP (vLLM shards DeepSeek's 128 query heads).
  public static func expertAndQuantizationAllow(model: ModelSpec, tp: Int) -> Bool {
    var widths = [model.intermediateSize]
    if let experts = model.experts {
      widths.append(experts.expertIntermediateSize)
      if experts.sharedExperts > 0 { widths.append(experts.sharedExpertIntermediateSize * experts.sharedExperts) }
    }
    guard widths.allSatisfy({ $0 % tp == 0 }) else { return false }
    if let group = model.weightQuantization?.groupSize, group > 0 {
      let rowInputs = widths + [model.numHeads * model.headDim]
      return rowInputs.allSatisfy { ($0 / tp) % group == 0 }
    }
    return true
  }

  /// `layout` and, for an MoE model, the same layout with every expert-parallel degree, each
  /// kept when it validates on the cluster.
  static func withExpertParallel(_ layout: Layout, model: ModelSpec, cluster: Cluster) -> [Layout] {
    var result: [Layout] = []
    if (try? layout.validate(model: model, cluster: cluster)) != nil { result.append(layout) }
    for ep in expertParallelDegrees(model: model, tp: layout.tp, dp: layout.dp) {
      let expert = Layout(tp: layout.tp, pp: layout.pp, dp: layout.dp, ep: ep)
      if (try? expert.validate(model: model, cluster: cluster)) != nil { result.append(expert) }
    }
    return result
  }
}

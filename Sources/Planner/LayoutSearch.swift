import PlanCore

/// Which kind of parallelism a layout uses beyond replication: the families the shortlist
/// keeps one representative of, so a report always shows the alternatives.
public enum LayoutFamily: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// TP = PP = 1: whole-model replicas only.
  case replicas
  /// TP > 1, PP = 1.
  case tensorParallel = "tensor-parallel"
  /// TP = 1, PP > 1.
  case pipelineParallel = "pipeline-parallel"
  /// TP > 1 and PP > 1.
  case tensorAndPipeline = "tensor-and-pipeline"
  /// EP > 1 (mixture-of-experts models): experts split over an expert-parallel group.
  case expertParallel = "expert-parallel"

  public init(_ layout: Layout) {
    if layout.ep > 1 {
      self = .expertParallel
      return
    }
    switch (layout.tp > 1, layout.pp > 1) {
    case (false, false): self = .replicas
    case (true, false): self = .tensorParallel
    case (false, true): self = .pipelineParallel
    case (true, true): self = .tensorAndPipeline
    }
  }

  public var description: String { rawValue }
}

/// Enumerates the layouts worth evaluating for a model on a cluster within a GPU budget.
public enum LayoutSearch {
  /// Tensor-parallel degrees a serving engine accepts for `model`: TP divides the attention
  /// heads and the MLP width (column/row-parallel linears split both evenly, as vLLM requires),
  /// and is ≤ or a multiple of the KV heads (KV heads are split, or replicated when TP
  /// exceeds them). Capped by `maxTP`.
  public static func tensorParallelDegrees(model: ModelSpec, maxTP: Int) -> [Int] {
    guard maxTP >= 1 else { return [] }
    return (1...maxTP).filter { tp in
      model.numHeads % tp == 0 && model.intermediateSize % tp == 0
        && (tp <= model.numKVHeads || tp % model.numKVHeads == 0) && expertAndQuantizationAllow(model: model, tp: tp)
    }
  }

  /// Every layout with TP from `tensorParallelDegrees` (at most the GPUs of the largest node:
  /// a TP group's all-reduces run every layer, so it stays inside the fastest domain), PP from
  /// 1 to the layer count, and every DP with TP·PP·DP ≤ `gpuBudget`; for an MoE model each also
  /// with every expert-parallel degree (`expertParallelDegrees`). Sorted by (TP, PP, DP, EP).
  ///
  /// When that is more than `exhaustiveLayoutLimit` layouts (budgets of thousands of GPUs:
  /// 4,096 GPUs give ~31,000 layouts of a 32-layer model, most of them the same replica
  /// repeated), PP and DP run over `coarseDegrees` instead: every degree up to 16, then steps of
  /// about 25 % up to the largest. Neighbouring replica counts differ in GPUs and capacity by at
  /// most that step, so the best layout found is within one step of the exhaustive answer,
  /// and the search stays at a few thousand layouts whatever the budget.
  ///
  /// - Complexity: O(TP degrees · PP · DP) layouts, at most ~`exhaustiveLayoutLimit` or, past
  ///   it, O(TP degrees · log² budget).
  /// - Throws: `PlannerError` when the budget is not positive or exceeds the cluster.
  public static func candidates(model: ModelSpec, cluster: Cluster, gpuBudget: Int) throws -> [Layout] {
    guard gpuBudget >= 1 else { throw PlannerError("the GPU budget must be at least 1 (got \(gpuBudget))") }
    guard gpuBudget <= cluster.gpuCount else {
      throw PlannerError(
        "a budget of \(gpuBudget) GPUs exceeds the \(cluster.gpuCount) GPUs of cluster \(cluster.name)")
    }
    let largestNode = cluster.gpusPerNode.max() ?? cluster.gpuCount
    let degrees = tensorParallelDegrees(model: model, maxTP: min(gpuBudget, max(largestNode, 1)))
    // Layouts of the exhaustive enumeration, counted without building them.
    var exhaustiveCount = 0
    for tp in degrees {
      for pp in 1...max(1, min(model.numLayers, gpuBudget / tp)) { exhaustiveCount += gpuBudget / (tp * pp) }
    }
    let coarse = exhaustiveCount > exhaustiveLayoutLimit
    var result: [Layout] = []
    for tp in degrees {
      let maxPP = max(1, min(model.numLayers, gpuBudget / tp))
      for pp in coarse ? coarseDegrees(upTo: maxPP) : Array(1...maxPP) where tp * pp <= gpuBudget {
        let maxDP = gpuBudget / (tp * pp)
        for dp in coarse ? coarseDegrees(upTo: maxDP) : Array(1...maxDP) {
          result += withExpertParallel(Layout(tp: tp, pp: pp, dp: dp), model: model, cluster: cluster)
        }
      }
    }
    return result
  }

  /// Most layouts enumerated exhaustively; larger searches take `coarseDegrees`.
  public static let exhaustiveLayoutLimit = 4_096

  /// 1…16, then ⌈1.25 · previous⌉ while below `maximum`, then `maximum`: ascending, distinct.
  public static func coarseDegrees(upTo maximum: Int) -> [Int] {
    guard maximum >= 1 else { return [] }
    var result = Array(1...min(16, maximum))
    var degree = result[result.count - 1]
    while degree < maximum {
      degree = min(maximum, (degree * 5 + 3) / 4)
      result.append(degree)
    }
    return result
  }
}

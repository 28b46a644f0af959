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

  public init(_ layout: Layout) {
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
        && (tp <= model.numKVHeads || tp % model.numKVHeads == 0)
    }
  }

  /// Every layout with TP from `tensorParallelDegrees` (at most the GPUs of the largest node:
  /// a TP group's all-reduces run every layer, so it stays inside the fastest domain), PP from
  /// 1 to the layer count, and every DP with TP·PP·DP ≤ `gpuBudget`. Sorted by (TP, PP, DP).
  ///
  /// - Throws: `PlannerError` when the budget is not positive or exceeds the cluster.
  public static func candidates(model: ModelSpec, cluster: Cluster, gpuBudget: Int) throws -> [Layout] {
    guard gpuBudget >= 1 else { throw PlannerError("the GPU budget must be at least 1 (got \(gpuBudget))") }
    guard gpuBudget <= cluster.gpuCount else {
      throw PlannerError(
        "a budget of \(gpuBudget) GPUs exceeds the \(cluster.gpuCount) GPUs of cluster \(cluster.name)")
    }
    let largestNode = cluster.gpusPerNode.max() ?? cluster.gpuCount
    var result: [Layout] = []
    for tp in tensorParallelDegrees(model: model, maxTP: min(gpuBudget, max(largestNode, 1))) {
      for pp in 1...max(1, min(model.numLayers, gpuBudget / tp)) where tp * pp <= gpuBudget {
        for dp in 1...(gpuBudget / (tp * pp)) {
          let layout = Layout(tp: tp, pp: pp, dp: dp)
          if (try? layout.validate(model: model, cluster: cluster)) != nil { result.append(layout) }
        }
      }
    }
    return result
  }
}

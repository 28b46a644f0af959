import PlanCore

extension ReplicaCostModel {
  /// The GPUs of each stage's expert-parallel group for replica `replica` of `layout`: the
  /// same stage of the `layout.replicasPerExpertGroup` consecutive replicas that replica
  /// belongs to, in replica then rank order (`Layout.ep`). nil without expert parallelism.
  public static func expertGroupGPUs(layout: Layout, placement: Placement, replica: Int) -> [[Int]]? {
    guard layout.ep > 1 else { return nil }
    let size = layout.replicasPerExpertGroup
    let first = replica / size * size
    let members = first..<min(first + size, placement.gpus.count)
    return (0..<layout.pp).map { stage in members.flatMap { placement.gpus[$0][stage] } }
  }

  /// Bytes one GPU of an EP group sends in one dispatch (and receives back in one combine) for
  /// `batch`, before imbalance: its 1/TP share of the replica's tokens, each routed to top-k
  /// experts, hidden × activation bytes per copy. The pairwise all-to-all books the
  /// (ep − 1)/ep of it that leaves the GPU.
  @inline(__always)
  public func expertDispatchBytesPerGPU(batch: BatchShape) -> Double {
    guard let experts = cost.model.experts else { return 0 }
    return cost.activationBytes(batch: batch) / Double(cost.tp) * Double(experts.expertsPerToken)
  }

  /// The expert load imbalance of `batch`'s iteration: the closed form (or override) at the
  /// group's tokens, every replica of the group running a batch of the same size (lockstep).
  @inline(__always)
  public func expertImbalanceFactor(batch: BatchShape) -> Double {
    expertImbalance?.factor(tokens: batch.totalTokens * replicasPerExpertGroup) ?? 1
  }

  /// One MoE layer's expert-parallel communication for `batch` on `stage`: dispatch and combine
  /// of the busiest GPU's bytes (mean × imbalance), in the DeepEP mode the iteration runs, plus
  /// the TP all-gather of the tokens when TP > 1. 0 without expert parallelism. O(1), no allocation.
  @inline(__always)
  public func expertExchangeSeconds(stage: Int, batch: BatchShape) -> Double {
    guard stage >= 0, stage < expertAllToAllCurves.count, !batch.isEmpty else { return 0 }
    let curve = expertAllToAllCurves[stage]
    let tokensPerGPU = Double(batch.totalTokens) / Double(cost.tp)
    let mode = ExpertAllToAllMode.forIteration(prefillTokens: batch.prefillTokens, tokensPerGPU: tokensPerGPU)
    let bytes = expertDispatchBytesPerGPU(batch: batch) * expertImbalanceFactor(batch: batch)
    var seconds =
      curve.seconds(.dispatch, mode: mode, bytesPerGPU: bytes) + curve.seconds(.combine, mode: mode, bytesPerGPU: bytes)
    if stage < expertGatherCurves.count {
      seconds += expertGatherCurves[stage].seconds(bytes: cost.activationBytes(batch: batch))
    }
    return seconds
  }
}

import PlanCore

/// Iteration timing of one replica: its pipeline stages, each a TP group on real GPUs.
///
/// A stage's time for a batch is its layers' operator roofline (one layer × its layer count),
/// its tensor-parallel collectives (two all-reduces per layer, Megatron-style, plus one after
/// the vocabulary-parallel embedding on the first stage and the logits gather on the last), the
/// embedding (first stage), the final norm and LM head (last stage), and the engine's
/// per-iteration host overhead, booked once per iteration on the first stage: the engine
/// profile's law `fixed + perSequence · sequences + perToken · tokens` (`Models/engines/`),
/// or, without one, the GPU file's flat `iteration_overhead`. Without CUDA graphs each stage
/// also waits for its kernels to be launched one by one: it takes at least its layers' launch
/// time (the overhead law's `eagerLaunchSecondsPerLayer`), the excess booked as overhead. Between stages the
/// hidden states travel as in vLLM's pipeline: each TP rank sends 1/TP of them to its peer
/// rank of the next stage, which all-gathers them.
///
/// Collective costs come from `CommModel` curves for the replica's actual GPUs, computed once
/// here, so `stageSeconds` and `transferSeconds` are O(1) and allocation-free.
///
/// Mixture-of-experts models mix layer kinds: stage s runs
/// `model.experts.expertLayerCount(in: its layers)` MoE layers (`CostModel.expertLayerTotals`)
/// and the rest dense (`CostModel.layerTotals`). Without expert parallelism an MoE layer keeps
/// a dense layer's two TP all-reduces. With it (`CostModel.ep` > 1) an MoE layer pays the
/// attention's all-reduce, then the dispatch and combine all-to-alls over the expert-parallel
/// group (the same stage of `replicasPerExpertGroup` replicas; `ExpertAllToAllCurve`, priced on
/// the cluster graph), each GPU sending its 1/TP share of the tokens × top-k copies, scaled by
/// the group's expert load imbalance (`ExpertImbalance`: the busiest GPU receives that factor
/// times the mean), and with TP > 1 an all-gather re-assembling the tokens across the TP ranks.
/// Lockstep approximation: every replica of a group is costed as if its peers ran a batch of
/// the same size (the group's tokens are the replica's × `replicasPerExpertGroup`); in vLLM the
/// peers run their own schedulers and pad idle ranks with dummy batches, so a replica with a
/// smaller batch than its peers waits for them, which this does not model.
public struct ReplicaCostModel: IterationTiming, Hashable {
  public let cost: CostModel
  /// Decoder layers of each stage.
  public let stageLayers: [Int]
  /// `stageGPUs[stage][rank]`: the cluster GPU of each TP rank of each stage.
  public let stageGPUs: [[Int]]
  /// Host time per iteration outside kernels, booked on stage 0 (the engine profile's law,
  /// multi-GPU term included; or the GPU file's flat `iteration_overhead` when none is given).
  public let iterationOverhead: IterationOverheadLaw
  /// How the engine runs TP all-reduces (costed by the collectives model).
  public let allReducePolicy: AllReducePolicy
  /// Whether decode replays CUDA graphs; without them stages pay host launch time per layer,
  /// and the custom all-reduce runs eagerly.
  public let cudaGraphs: Bool
  /// Per stage: the TP all-reduce under the engine's policy (custom kernel or NCCL).
  let allReduceCurves: [AllReduceCostCurve]
  let logitsGatherCurve: CollectiveCostEnvelope
  /// Per stage boundary: the slowest of the TP peer-to-peer sends, then the receiving stage's all-gather.
  let sendCurves: [CollectiveCostEnvelope]
  let receiveGatherCurves: [CollectiveCostEnvelope]
  /// MoE decoder layers of each stage (all 0 for a dense model).
  public let stageExpertLayers: [Int]
  /// Per stage, with expert parallelism: the EP group's all-to-all (empty without EP).
  let expertAllToAllCurves: [ExpertAllToAllCurve]
  /// Per stage, with expert parallelism and TP > 1: the all-gather of the tokens across the TP
  /// ranks after combine (empty otherwise).
  let expertGatherCurves: [CollectiveCostEnvelope]
  /// Replicas whose same stage forms one expert-parallel group (`ep / tp`; 1 without EP).
  public let replicasPerExpertGroup: Int
  /// The routing statistics the all-to-all's load imbalance is taken from (nil: dense model).
  public let expertImbalance: ExpertImbalance?

  /// A replica whose stages run on `stageGPUs` (one array of TP ranks per stage).
  ///
  /// - Throws: `CostModelError` for a malformed stage list, `CommError` for GPUs the cluster
  ///   does not have or cannot connect.
  /// `comm` lets many replicas and layouts on one cluster share one collective memo (pass the
  /// same `CommModel` to every call of a search); by default a fresh one is made.
  /// `iterationOverhead` is the engine's host-overhead law for this replica's stage size
  /// (`EngineConfig.overheadLaw(stageGPUs:)`); nil falls back to the GPU file's flat value.
  /// `allReducePolicy` chooses the TP all-reduce implementation (the engine's custom kernel or
  /// NCCL) and `cudaGraphs` whether the custom kernel runs graph-captured or eager.
  /// `expertGroupGPUs[stage]`: with expert parallelism (`cost.ep` > 1), the GPUs of the stage's
  /// EP group (`cost.ep` of them, this replica's stage among them; see
  /// `expertGroupGPUs(layout:placement:replica:)`); nil when `cost.ep` is 1, or when EP equals
  /// TP (the group is the stage itself). `expertAllToAllLaw` times its all-to-alls and
  /// `expertImbalanceOverride` replaces the closed-form load imbalance of the all-to-all.
  public init(
    cost: CostModel, cluster: Cluster, stageGPUs: [[Int]], comm: CommModel? = nil,
    iterationOverhead: IterationOverheadLaw? = nil, allReducePolicy: AllReducePolicy = .nccl, cudaGraphs: Bool = true,
    expertGroupGPUs: [[Int]]? = nil, expertAllToAllLaw: ExpertAllToAllLaw = .deepEPH100,
    expertImbalanceOverride: Double? = nil
  ) throws {
    let stages = stageGPUs.count
    guard stages >= 1 else { throw CostModelError("a replica needs at least one pipeline stage") }
    guard stages <= cost.model.numLayers else {
      throw CostModelError("PP=\(stages) exceeds the \(cost.model.numLayers) layers of \(cost.model.name)")
    }
    guard stageGPUs.allSatisfy({ $0.count == cost.tp }) else {
      throw CostModelError("every stage needs exactly TP=\(cost.tp) GPUs")
    }
    let comm = comm ?? CommModel(cluster: cluster, efficiency: cost.gpu.efficiency)
    self.cost = cost
    self.stageGPUs = stageGPUs
    stageLayers = ReplicaCostModel.partitionLayers(cost.model.numLayers, stages: stages)
    self.iterationOverhead =
      iterationOverhead ?? IterationOverheadLaw(fixedSeconds: cost.gpu.efficiency.iterationOverheadSeconds)
    self.allReducePolicy = allReducePolicy
    self.cudaGraphs = cudaGraphs
    allReduceCurves = try stageGPUs.map {
      try comm.allReduceCurve(gpus: $0, policy: allReducePolicy, cudaGraphs: cudaGraphs)
    }
    logitsGatherCurve = try comm.envelope(.allGather, gpus: stageGPUs[stages - 1])
    var sends: [CollectiveCostEnvelope] = []
    var gathers: [CollectiveCostEnvelope] = []
    for stage in 0..<(stages - 1) {
      var slowest = CollectiveCostEnvelope(curves: [.free])
      for rank in 0..<cost.tp {
        let curve = try comm.envelope(.sendRecv, gpus: [stageGPUs[stage][rank], stageGPUs[stage + 1][rank]])
        // Slowest pair at the message sizes that matter (activations of 1–10⁴ tokens).
        if curve.seconds(bytes: 1e6) > slowest.seconds(bytes: 1e6) { slowest = curve }
      }
      sends.append(slowest)
      gathers.append(try comm.envelope(.allGather, gpus: stageGPUs[stage + 1]))
    }
    sendCurves = sends
    receiveGatherCurves = gathers
    var firstLayer = 0
    stageExpertLayers = stageLayers.map { count in
      defer { firstLayer += count }
      return cost.model.experts?.expertLayerCount(in: firstLayer..<(firstLayer + count)) ?? 0
    }
    expertImbalance = ExpertImbalance(model: cost.model, ep: cost.ep, override: expertImbalanceOverride)
    if cost.ep > 1 {
      guard cost.model.experts != nil else {
        throw CostModelError("EP=\(cost.ep) needs a mixture-of-experts model; \(cost.model.name) is dense")
      }
      guard cost.ep % cost.tp == 0 else { throw CostModelError("EP=\(cost.ep) must be a multiple of TP=\(cost.tp)") }
      let groups = expertGroupGPUs ?? (cost.ep == cost.tp ? stageGPUs : nil)
      guard let groups else {
        throw CostModelError("EP=\(cost.ep) spans several replicas: pass the expert-parallel group's GPUs per stage")
      }
      guard groups.count == stages else {
        throw CostModelError("expert-parallel groups given for \(groups.count) stages; the replica has \(stages)")
      }
      for (stage, group) in groups.enumerated() {
        guard group.count == cost.ep, stageGPUs[stage].allSatisfy(group.contains) else {
          throw CostModelError(
            "the expert-parallel group of stage \(stage) must be EP=\(cost.ep) GPUs including the stage's own \(stageGPUs[stage])"
          )
        }
      }
      replicasPerExpertGroup = cost.ep / cost.tp
      expertAllToAllCurves = try groups.map { try comm.expertAllToAll(gpus: $0, law: expertAllToAllLaw) }
      expertGatherCurves = cost.tp > 1 ? try stageGPUs.map { try comm.envelope(.allGather, gpus: $0) } : []
    } else {
      guard expertGroupGPUs == nil else {
        throw CostModelError("expert-parallel groups given, but the cost model has EP=1")
      }
      replicasPerExpertGroup = 1
      expertAllToAllCurves = []
      expertGatherCurves = []
    }
  }

  /// Replica `replica` of `layout` placed by `placement` (contiguous by default).
  public init(
    model: ModelSpec, gpu: GPUSpec, cluster: Cluster, layout: Layout, placement: Placement? = nil, replica: Int = 0,
    engine: EngineConfig = EngineConfig()
  ) throws {
    let placement = placement ?? Placement.contiguous(layout)
    try layout.validate(model: model, cluster: cluster, placement: placement)
    guard replica >= 0, replica < layout.dp else {
      throw CostModelError("replica \(replica) does not exist in \(layout)")
    }
    try self.init(
      cost: CostModel(
        model: model, gpu: gpu, tp: layout.tp, ep: layout.ep, kvCacheDType: engine.kvCacheDType,
        expertImbalance: ExpertImbalance.costModelFactor(model: model, layout: layout)),
      cluster: cluster, stageGPUs: placement.gpus[replica],
      iterationOverhead: engine.overheadLaw(stageGPUs: layout.tp), allReducePolicy: engine.allReduce,
      cudaGraphs: engine.cudaGraphs,
      expertGroupGPUs: ReplicaCostModel.expertGroupGPUs(layout: layout, placement: placement, replica: replica))
  }

  /// Layers per stage, as balanced as the layer count allows. Following vLLM's default
  /// partition (`get_pp_indices`), the leftover layers go to the stages just before the last,
  /// because the last stage also runs the final norm and the LM head.
  public static func partitionLayers(_ layers: Int, stages: Int) -> [Int] {
    guard stages >= 1, layers >= stages else { return [] }
    var result = [Int](repeating: layers / stages, count: stages)
    let remainder = layers % stages
    if remainder > 0 {
      for offset in 2..<(remainder + 2) { result[stages - offset] += 1 }
    }
    return result
  }

  public var stageCount: Int { stageLayers.count }

  // MARK: IterationTiming

  public func stageSeconds(stage: Int, batch: BatchShape) -> Double {
    stageTime(stage: stage, batch: batch, layer: cost.layerTotals(batch: batch)).totalSeconds
  }

  /// Whether any stage runs MoE layers (then a batch needs `CostModel.expertLayerTotals` too).
  @inline(__always)
  public var hasExpertLayers: Bool { cost.model.experts != nil }

  public func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double {
    guard stage >= 0, stage < sendCurves.count, !batch.isEmpty else { return 0 }
    let bytes = cost.activationBytes(batch: batch)
    return sendCurves[stage].seconds(bytes: bytes / Double(cost.tp)) + receiveGatherCurves[stage].seconds(bytes: bytes)
  }

  // MARK: Breakdowns

  /// Stage `stage`'s time for `batch`, split by component, given one dense layer's totals
  /// `layer` (computed once per batch and shared by all stages). A stage with MoE layers costs
  /// them with `cost.expertLayerTotals(batch:)`, computed here; callers that time many stages
  /// pass both through `stageTime(stage:batch:layer:expertLayer:)`.
  public func stageTime(stage: Int, batch: BatchShape, layer: CostTotals) -> TimeBreakdown {
    let hasExperts = stage >= 0 && stage < stageExpertLayers.count && stageExpertLayers[stage] > 0
    return stageTime(
      stage: stage, batch: batch, layer: layer, expertLayer: hasExperts ? cost.expertLayerTotals(batch: batch) : layer)
  }

  /// Stage `stage`'s time for `batch`, given one dense layer's totals `layer` and one MoE
  /// layer's `expertLayer` (ignored on stages without MoE layers).
  public func stageTime(stage: Int, batch: BatchShape, layer: CostTotals, expertLayer: CostTotals) -> TimeBreakdown {
    var result = TimeBreakdown()
    guard stage >= 0, stage < stageLayers.count, !batch.isEmpty else { return result }
    let layers = Double(stageLayers[stage])
    let expertLayers = Double(stageExpertLayers[stage])
    let denseLayers = layers - expertLayers
    result.computeBoundSeconds = layer.computeBoundSeconds * denseLayers
    result.memoryBoundSeconds = layer.memoryBoundSeconds * denseLayers
    if expertLayers > 0 {
      result.computeBoundSeconds += expertLayer.computeBoundSeconds * expertLayers
      result.memoryBoundSeconds += expertLayer.memoryBoundSeconds * expertLayers
    }
    let allReduce = allReduceCurves[stage].seconds(bytes: cost.allReduceBytes(batch: batch))
    if expertLayers > 0, !expertAllToAllCurves.isEmpty {
      // MoE layers under EP: the attention's all-reduce, then dispatch, combine and (TP > 1) the TP all-gather.
      result.communicationSeconds =
        2 * denseLayers * allReduce + expertLayers * (allReduce + expertExchangeSeconds(stage: stage, batch: batch))
    } else {
      result.communicationSeconds = 2 * layers * allReduce
    }
    if stage == 0 {
      let embedding = cost.cost(.embedding, batch: batch)
      result.computeBoundSeconds += embedding.computeBoundSeconds
      result.memoryBoundSeconds += embedding.memoryBoundSeconds
      result.communicationSeconds += allReduce
      result.overheadSeconds = overheadSeconds(batch)
    }
    if stage == stageLayers.count - 1 {
      let head = cost.cost(.lmHead, batch: batch)
      result.computeBoundSeconds += head.computeBoundSeconds
      result.memoryBoundSeconds += head.memoryBoundSeconds
      result.communicationSeconds += logitsGatherCurve.seconds(bytes: cost.logitsBytes(batch: batch))
    }
    if !cudaGraphs, iterationOverhead.eagerLaunchSecondsPerLayer > 0 {
      // Kernels launched one by one: the GPU cannot run ahead of the host's launches, so the
      // stage lasts at least its layers' launch time; the excess over the kernels is overhead.
      let kernels = result.computeBoundSeconds + result.memoryBoundSeconds + result.communicationSeconds
      result.overheadSeconds += max(0, layers * iterationOverhead.eagerLaunchSecondsPerLayer - kernels)
    }
    return result
  }

  /// Host overhead of one iteration over `batch` (booked once, on stage 0).
  @inline(__always)
  public func overheadSeconds(_ batch: BatchShape) -> Double {
    iterationOverhead.seconds(
      sequences: batch.prefillSequences + batch.decodeSequences, tokens: batch.totalTokens)
  }

  /// `batch` through every stage and transfer: its lone latency, the busiest stage, and the
  /// breakdown. O(stages), allocation-free.
  public func pass(_ batch: BatchShape) -> PipelinePass {
    blendedPass(batch, batch, weight: 0)
  }

  /// The pass of an "average" iteration that is `a` with weight 1 − `weight` and `b` with
  /// weight `weight`, blended stage by stage (so the busiest stage is that of the average).
  /// Steady-state throughput uses it: decode steps with a fraction of a prompt's prefill added.
  public func blendedPass(_ a: BatchShape, _ b: BatchShape, weight: Double) -> PipelinePass {
    var result = PipelinePass()
    let layerA = cost.layerTotals(batch: a)
    let layerB = weight == 0 ? layerA : cost.layerTotals(batch: b)
    let experts = hasExpertLayers
    let expertA = experts ? cost.expertLayerTotals(batch: a) : layerA
    let expertB = weight == 0 ? expertA : (experts ? cost.expertLayerTotals(batch: b) : layerB)
    let last = stageLayers.count - 1
    for stage in 0...last {
      var time = stageTime(stage: stage, batch: a, layer: layerA, expertLayer: expertA)
      if weight != 0 {
        time = time.blended(
          with: stageTime(stage: stage, batch: b, layer: layerB, expertLayer: expertB), weight: weight)
      }
      let seconds = time.totalSeconds
      result.breakdown.add(time)
      result.serialSeconds += seconds
      result.maxStageSeconds = max(result.maxStageSeconds, seconds)
      if stage < last {
        var transfer = transferSeconds(afterStage: stage, batch: a)
        if weight != 0 { transfer += weight * (transferSeconds(afterStage: stage, batch: b) - transfer) }
        result.breakdown.pipelineSeconds += transfer
        result.serialSeconds += transfer
      }
    }
    return result
  }
}

import Foundation
import PlanCore

/// Mixture-of-experts layers on one GPU: the router GEMM and its top-k softmax, the routed
/// experts as one fused grouped-GEMM call (`ExpertCall`, timed by `ExpertKernelLaw`), and the
/// shared experts as a dense gated MLP split by TP.
///
/// Placement (vLLM): with EP = 1 every GPU holds every expert, its columns split by TP, and
/// routes its replica's tokens. With EP > 1 an expert-parallel group of EP GPUs (EP / TP
/// replicas, see `Layout.ep`) holds routed experts / EP whole experts per GPU; each GPU gets
/// its 1/EP share of the group's (token, expert) pairs, times `expertImbalance` on the busiest
/// GPU. The dispatch/combine all-to-all is a collective, not costed here.
extension CostModel {
  /// Operators of one MoE decoder layer, in execution order: attention as in a dense layer, then
  /// `router`, `moe_experts` and, when the model has them, `shared_experts`.
  public static let expertLayerKinds: [OperatorKind] = [
    .inputNorm, .qkvProj, .attention, .outProj, .residualAdd, .postAttentionNorm, .router, .moeExperts,
    .sharedExperts,
  ]

  /// The operators of one MoE decoder layer for `batch` (a dense model: `layerOperators`).
  public func expertLayerOperators(batch: BatchShape) -> [OperatorCost] {
    guard model.experts != nil else { return layerOperators(batch: batch) }
    return Self.expertLayerKinds.map { cost($0, batch: batch) }
  }

  /// One MoE decoder layer's totals for `batch` on one GPU (attention, router, routed and
  /// shared experts at `ep` and `expertImbalance`), without allocating; the expert-parallel
  /// all-to-all is the replica's (a collective). A dense model: `layerTotals`.
  public func expertLayerTotals(batch: BatchShape) -> CostTotals {
    guard model.experts != nil else { return layerTotals(batch: batch) }
    var totals = CostTotals()
    for kind in Self.expertLayerKinds {
      totals.add(cost(kind, batch: batch))
    }
    return totals
  }

  /// Weight bytes of one MoE decoder layer on one GPU: attention and norms as a dense layer,
  /// the router (replicated), this GPU's routed experts (all of them ÷ TP by columns at EP = 1,
  /// routed experts / EP whole ones otherwise) and the shared experts ÷ TP.
  public var expertLayerWeightBytesPerGPU: Double {
    guard let moe = model.experts else { return layerWeightBytesPerGPU }
    let d = hidden
    let router = (d * Double(moe.routedExperts) + (moe.routerBias ? Double(moe.routedExperts) : 0)) * elementBytes
    let routed = localExperts * 3 * d * expertColumns * linear.weightElementBytes
    let shared = 3 * d * sharedExpertColumns * linear.weightElementBytes
    return attentionAndNormWeightBytesPerGPU + router + routed + shared
  }

  /// Routed experts this GPU holds.
  var localExperts: Double {
    guard let moe = model.experts else { return 0 }
    return Double(moe.routedExperts) / Double(ep)
  }

  /// One routed expert's MLP width on this GPU: ÷ TP at EP = 1, whole with EP.
  var expertColumns: Double {
    guard let moe = model.experts else { return 0 }
    return Double(moe.expertIntermediateSize) / Double(ep > 1 ? 1 : tp)
  }

  /// Shared experts' total MLP width on this GPU (÷ TP).
  var sharedExpertColumns: Double {
    guard let moe = model.experts else { return 0 }
    return Double(moe.sharedExperts * moe.sharedExpertIntermediateSize) / Double(tp)
  }

  /// The expert call of one MoE layer for `tokens` tokens of this replica on this GPU, under
  /// random routing: the EP group's tokens (`tokens` × EP / TP replicas) spread their
  /// top-k pairs evenly over the EP GPUs, the busiest getting `expertImbalance` × its share;
  /// of the local experts, those hit by at least one token are expected to number
  /// local · (1 − (1 − k/E)^group tokens) (each token picks k of E experts).
  public func expertCall(tokens: Double) -> ExpertCall? {
    guard let moe = model.experts, tokens > 0 else { return nil }
    let replicas = ep > 1 ? Double(ep) / Double(tp) : 1
    let groupTokens = tokens * replicas
    let k = Double(moe.expertsPerToken)
    let experts = Double(moe.routedExperts)
    let rows = groupTokens * k / Double(ep) * expertImbalance
    let missProbability = max(0, 1 - k / experts)
    let hit = localExperts * (1 - Foundation.pow(missProbability, groupTokens))
    let active = max(1, min(localExperts, hit, rows.rounded(.up)))
    return ExpertCall(
      weights: linear.expertWeights, hidden: hidden, columns: expertColumns, activeExperts: active, rows: rows,
      weightElementBytes: linear.weightElementBytes)
  }

  /// Books the router: the gate GEMM (tokens × experts, model dtype, replicated on every rank as
  /// vLLM's `ReplicatedLinear`), then the softmax/top-k kernel reading the fp32 logits and writing
  /// k ids and weights per token.
  @inline(__always)
  func router(_ cost: inout OperatorCost, tokens: Double) {
    guard let moe = model.experts else { return }
    let d = hidden
    let e = Double(moe.routedExperts)
    let flops = 2 * tokens * d * e
    let bytes = (d * e + tokens * d + tokens * e) * elementBytes
    book(&cost, flops: flops, bytes: bytes, kernels: 1, kind: .matrix, outputRows: tokens, outputColumns: e)
    // Softmax over E logits: exp, sum, divide ≈ 5 FLOPs per logit; top-k selection ≈ k per logit.
    let topK = Double(moe.expertsPerToken)
    book(
      &cost, flops: (5 + topK) * tokens * e, bytes: tokens * e * 4 + tokens * topK * 8, kernels: 1, kind: .streaming)
  }

  /// Books the routed experts of one layer (`ExpertKernelLaw` of the weights' kernel family, on
  /// this GPU's datasheet rates).
  @inline(__always)
  func routedExperts(_ cost: inout OperatorCost, tokens: Double) {
    guard let call = expertCall(tokens: tokens) else { return }
    let time = expertLaw.seconds(call, peakFLOPSPerSecond: expertPeakFLOPSPerSecond, bandwidthBytesPerSecond: bandwidth)
    let seconds = max(time.seconds, kernelFloorSeconds)
    bookTimed(
      &cost, flops: call.flops, bytes: call.weightBytes + call.activationBytes, kernels: 4, seconds: seconds,
      computeBound: time.computeBound)
  }

  /// Books the shared experts: a gated MLP of width shared experts × their width, ÷ TP.
  @inline(__always)
  func sharedExperts(_ cost: inout OperatorCost, tokens: Double) {
    let f = sharedExpertColumns
    guard f > 0 else { return }
    let d = hidden
    if quantizedLinear {
      bookLinear(
        &cost, flops: 2 * tokens * d * 2 * f, weightElements: d * 2 * f, activationElements: tokens * (d + 2 * f),
        inputElements: tokens * d, outputRows: tokens, outputColumns: 2 * f)
    } else {
      book(
        &cost, flops: 2 * tokens * d * 2 * f, bytes: (d * 2 * f + tokens * d + tokens * 2 * f) * elementBytes,
        kernels: 1, kind: .matrix, outputRows: tokens, outputColumns: 2 * f)
    }
    book(&cost, flops: 5 * tokens * f, bytes: 3 * tokens * f * elementBytes, kernels: 1, kind: .streaming)
    if quantizedLinear {
      bookLinear(
        &cost, flops: 2 * tokens * f * d, weightElements: f * d, activationElements: tokens * (f + d),
        inputElements: tokens * f, outputRows: tokens, outputColumns: d)
    } else {
      book(
        &cost, flops: 2 * tokens * f * d, bytes: (f * d + tokens * f + tokens * d) * elementBytes, kernels: 1,
        kind: .matrix, outputRows: tokens, outputColumns: d)
    }
  }

  /// Seconds of one bare fused-MoE call on `gpu` (for measurements of the kernel alone), at the
  /// peak of the call's compute dtype.
  ///
  /// - Throws: `CostModelError` when the call computes in fp8 and the GPU has no fp8 peak.
  public static func expertSeconds(_ call: ExpertCall, gpu: GPUSpec) throws -> Double {
    let dtype: DType = call.weights.fp8Compute ? .fp8 : .bf16
    guard let peak = gpu.peakFLOPS(dtype), peak > 0 else {
      throw CostModelError(
        "GPU \(gpu.name) lists no peak dense FLOP/s for \(dtype.rawValue): it cannot run \(call.weights.rawValue) MoE experts"
      )
    }
    let time = ExpertKernelLaw.fitted(call.weights).seconds(
      call, peakFLOPSPerSecond: peak, bandwidthBytesPerSecond: gpu.memoryBandwidthBytesPerSecond)
    return max(time.seconds, gpu.efficiency.kernelFloorSeconds)
  }
}

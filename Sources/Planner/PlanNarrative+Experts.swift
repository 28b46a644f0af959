import Analytic
import Foundation
import PlanCore

/// The words a plan adds for mixture-of-experts models and for precision: candidate labels,
/// why a quantized precision won (or did not), and the assumptions behind both.
extension PlanNarrative {
  /// "TP2·PP1·DP4", or "TP2·PP1·DP4 with fp8 weights, fp8 KV cache" when the plan shows precision.
  static func label(_ layout: Layout, _ precision: PlanPrecision?) -> String {
    precision.map { "\(layout) with \($0)" } ?? layout.description
  }

  static func label(_ c: SimulatedCandidate) -> String { label(c.layout, c.precision) }
  static func label(_ c: AnalyticCandidate) -> String { label(c.layout, c.precision) }

  /// Why the winner's precision was chosen over the checkpoint's own (or that the checkpoint's
  /// own won), when the plan compared precisions; nil when it did not.
  static func precisionReason(
    best: SimulatedCandidate, ranked: [AnalyticCandidate], simulated: [SimulatedCandidate], request: PlanRequest
  ) -> String? {
    let precisions = Set(ranked.compactMap(\.precision))
    guard let chosen = best.precision, precisions.count > 1 else { return nil }
    let own = PlanPrecision(model: request.model, engine: request.engine)
    let caveat =
      " Quantization changes the model's outputs: LLMPlan plans speed and memory only, so check the quantized "
      + "model's quality on your own evaluation before serving it."
    let ownBest =
      simulated.first { $0.precision == own && $0.meetsSLO }.map { ($0.layout, $0.gpus, "in simulation") }
      ?? ranked.first { $0.precision == own && $0.meetsSLO }.map { ($0.layout, $0.gpus, "analytically") }
    if chosen == own {
      let others = precisions.subtracting([own]).map(\.description).sorted().joined(separator: "; ")
      return "Precision: the checkpoint's own (\(own)) wins; the quantized options searched (\(others)) did not "
        + "rank higher under the objective."
    }
    let chosenMemory = ranked.first { $0.key == best.key }?.memory
    let sameLayoutOwn = ranked.first { $0.layout == best.layout && $0.precision == own }?.memory
    var text = "Precision: \(chosen) instead of the checkpoint's \(own)"
    if let chosenMemory, let sameLayoutOwn, sameLayoutOwn.kvCacheBytesPerGPU <= 0 {
      text +=
        " stores \(Units.formatBytes(chosenMemory.weightBytesPerGPU)) of weights per GPU instead of "
        + "\(Units.formatBytes(sameLayoutOwn.weightBytesPerGPU)), so \(best.layout) fits, which it does not in \(own)"
    } else if let chosenMemory, let sameLayoutOwn {
      text +=
        " stores \(Units.formatBytes(chosenMemory.weightBytesPerGPU)) of weights per GPU instead of "
        + "\(Units.formatBytes(sameLayoutOwn.weightBytesPerGPU)) in \(best.layout), leaving "
        + "\(Units.formatBytes(chosenMemory.kvCacheBytesPerGPU)) for KV cache instead of "
        + "\(Units.formatBytes(max(0, sameLayoutOwn.kvCacheBytesPerGPU)))"
    }
    if let (layout, gpus, how) = ownBest {
      text += "; in \(own) the best layout meeting the SLO is \(layout) on \(gpus) GPUs (\(how))"
      if gpus > best.gpus {
        text += ", so \(chosen.weights) saves \(gpus - best.gpus) GPU" + (gpus - best.gpus == 1 ? "" : "s")
      }
    } else {
      text += "; no layout in \(own) meets the SLO within the budget"
    }
    return text + "." + caveat
  }

  /// The precision of the plan, the expert-parallel model and its load imbalance, listed when
  /// the plan involves an MoE model or a precision setting (dense plans: none, so their reports
  /// are unchanged).
  static func expertAndPrecisionAssumptions(request: PlanRequest) -> [Assumption] {
    guard request.showsExpertsOrPrecision else { return [] }
    var list: [Assumption] = []
    let options = PrecisionOptions.precisions(request)
    list.append(
      Assumption(
        topic: "precision",
        statement: (options.count > 1
          ? "Searched: \(options.map(\.description).joined(separator: "; ")). "
          : "\(options.first.map(\.description) ?? "the model's own"). ")
          + "Quantized linear layers store bits ÷ 8 bytes per weight plus one 16-bit scale per group "
          + "(embeddings, norms, router and LM head stay in \(request.model.dtype)); fp8 (w8a8) GEMMs run at the GPU's "
          + "fp8 tensor-core rate, only on GPUs that have one; int4/int8 weight-only (w4a16/w8a16) kernels read the "
          + "small weights and dequantize to 16 bits, so they help memory-bound decode more than compute-bound prefill. "
          + "An fp8 KV cache halves KV bytes per token. Output quality is not modelled.",
        source: "WeightPrecision in Sources/PlanCore/Scenario+Precision.swift; the quantized GEMM costs in "
          + "Sources/Analytic/Compute; vLLM quantization docs, https://docs.vllm.ai/en/latest/features/quantization/"))
    if let experts = request.model.experts {
      list.append(
        Assumption(
          topic: "mixture of experts",
          statement: "\(experts.routedExperts) routed experts (top-\(experts.expertsPerToken))"
            + (experts.sharedExperts > 0 ? " plus \(experts.sharedExperts) shared" : "")
            + " per MoE layer. EP = 1: every GPU of a TP group holds a 1/TP slice of every expert. EP > 1: an EP group "
            + "(the same stage of EP ÷ TP consecutive replicas, attention data-parallel) splits the experts EP ways; "
            + "tokens reach their experts by an all-to-all (dispatch) and come back by another (combine), routed on the "
            + "cluster graph; an EP group's replicas are placed together on one node when one holds them, across "
            + "nodes (all-to-alls on the inter-node links) otherwise. The busiest GPU of a group gets more than the mean share of routed tokens and every MoE "
            + "layer waits for it: expert load imbalance "
            + imbalanceStatement(request: request, experts: experts) + ".",
          source:
            "vLLM expert parallel deployment, https://docs.vllm.ai/en/latest/serving/expert_parallel_deployment/; "
            + "ExpertImbalance (random-routing closed form; DeepSeek-V3 report arXiv:2412.19437 on balancing) and the "
            + "MoE costs in Sources/Analytic/Compute"))
      list.append(
        Assumption(
          topic: "lockstep expert parallelism",
          statement: "Each replica of an EP group keeps its own scheduler and KV cache, but the group's all-to-alls "
            + "synchronise them every MoE layer: the analytic model and the simulator cost every replica as if its "
            + "peers ran a batch of the same size (lockstep), so a replica with a short batch is not slowed by a "
            + "busier peer as it would be in reality; EP figures are optimistic when replicas' batches differ a lot.",
          source: "LLMPlan approximation; vLLM runs dummy forward passes on idle DP ranks of an MoE model for the same "
            + "reason, https://docs.vllm.ai/en/latest/serving/data_parallel_deployment/"))
    }
    return list
  }

  /// "1.3 (measured, given)" or the closed form's values at a full decode batch for a few EP degrees.
  static func imbalanceStatement(request: PlanRequest, experts: MixtureOfExperts) -> String {
    if let given = request.expertImbalance {
      return "\(Format.number(given)) (given: expert_imbalance / --expert-imbalance)"
    }
    let tokens = ExpertImbalance.representativeTokensPerReplica
    let degrees = [2, 8, 16, 32].filter { $0 <= request.gpuBudget && experts.routedExperts % $0 == 0 }
    let values = degrees.map {
      "EP \($0): \(Format.number(ExpertImbalance.default(tokens: tokens * $0, experts: experts.routedExperts, topk: experts.expertsPerToken, ep: $0)))"
    }
    return "from random routing's expected maximum (closed form, \(tokens) tokens per replica, TP 1"
      + (values.isEmpty ? "" : ": " + values.joined(separator: ", ")) + "; a measured factor replaces it)"
  }
}

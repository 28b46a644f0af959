import Analytic
import Foundation
import PlanCore

/// The launch command for a chosen layout in the engine profile's own flags: `vllm serve`,
/// `trtllm-serve` or `python -m sglang.launch_server` (vLLM's without a profile).
public enum LaunchCommandBuilder {
  /// `vllm serve MODEL --tensor-parallel-size … --pipeline-parallel-size … --data-parallel-size …
  /// --max-num-seqs … --gpu-memory-utilization … --max-num-batched-tokens … --block-size …`,
  /// plus `--enable-chunked-prefill` when the plan assumed it; notes on placement and versions.
  public static func build(request: PlanRequest, candidate: AnalyticCandidate) -> LaunchCommand {
    switch request.engine.profile?.family ?? .vllm {
    case .vllm: return vllm(request: request, candidate: candidate)
    case .trtllm: return trtllm(request: request, candidate: candidate)
    case .sglang: return sglang(request: request, candidate: candidate)
    }
  }

  /// `vllm serve …`, with `--disable-custom-all-reduce` / `--enforce-eager` when the engine
  /// profile says NCCL / no CUDA graphs.
  static func vllm(request: PlanRequest, candidate: AnalyticCandidate) -> LaunchCommand {
    let layout = candidate.layout
    let engine = request.engine
    var parts = [
      "vllm serve \(request.servedModel)",
      "--tensor-parallel-size \(layout.tp)",
      "--pipeline-parallel-size \(layout.pp)",
      "--data-parallel-size \(vllmDataParallelSize(request: request, layout: layout))",
      "--max-num-seqs \(engine.maxSequences)",
      "--gpu-memory-utilization \(decimal(engine.gpuMemoryUtilization))",
      "--max-num-batched-tokens \(engine.maxBatchedTokens)",
      "--block-size \(engine.blockSizeTokens)",
    ]
    let chunked = request.scenario.scheduler.chunkedPrefill ?? false
    if chunked { parts.append("--enable-chunked-prefill") }
    let experts = expertAndPrecision(.vllm, request: request, candidate: candidate)
    parts += experts.parts
    if layout.tp > 1, !engine.allReduce.customEnabled { parts.append("--disable-custom-all-reduce") }
    if !engine.cudaGraphs { parts.append("--enforce-eager") }
    var notes = profileNote(engine) + experts.notes
    notes += placementNotes(request: request, candidate: candidate)
    if layout.dp > 1, request.model.experts == nil {
      notes.append(
        "--data-parallel-size needs vLLM 0.9 or later; with older versions start \(layout.dp) servers "
          + "(one per replica, --data-parallel-size dropped) behind a \(routerName(request)) load balancer."
      )
    }
    if !chunked {
      notes.append(
        "The plan assumes prompts are prefilled whole (scheduler.chunked_prefill: false). vLLM's V1 engine always "
          + "chunks prefills; to plan for that, set chunked_prefill: true in the scenario.")
    }
    return LaunchCommand(command: parts.joined(separator: " \\\n  "), notes: notes)
  }

  /// `trtllm-serve …` (PyTorch backend) in TensorRT-LLM's own flags.
  static func trtllm(request: PlanRequest, candidate: AnalyticCandidate) -> LaunchCommand {
    let layout = candidate.layout
    let engine = request.engine
    var parts = [
      "trtllm-serve \(request.servedModel)",
      "--backend pytorch",
      "--tp_size \(layout.tp)",
      "--pp_size \(layout.pp)",
      "--max_batch_size \(engine.maxSequences)",
      "--max_num_tokens \(engine.maxBatchedTokens)",
      "--kv_cache_free_gpu_memory_fraction \(decimal(engine.gpuMemoryUtilization))",
      "--extra_llm_api_options extra.yaml",
    ]
    let experts = expertAndPrecision(.trtllm, request: request, candidate: candidate)
    parts.insert(contentsOf: experts.parts, at: parts.count - 1)
    let fp8KV = (candidate.precision?.kvCache ?? engine.kvCacheDType) == .fp8
    var extra = [
      "kv_cache_config: {tokens_per_block: \(engine.blockSizeTokens)\(fp8KV ? ", dtype: fp8" : "")}"
    ]
    if request.scenario.scheduler.chunkedPrefill ?? false { extra.append("enable_chunked_prefill: true") }
    if layout.tp > 1, !engine.allReduce.customEnabled { extra.append("allreduce_strategy: NCCL") }
    if !engine.cudaGraphs { extra.append("cuda_graph_config: null") }
    var notes = profileNote(engine) + experts.notes
    notes.append("extra.yaml: " + extra.joined(separator: "; ") + ".")
    notes.append(
      "--kv_cache_free_gpu_memory_fraction is a fraction of the memory left after weights, not of all memory as "
        + "LLMPlan's gpu_memory_utilization: the KV cache TensorRT-LLM allocates can differ from the plan's.")
    notes += placementNotes(request: request, candidate: candidate)
    if layout.dp > 1 {
      notes.append(
        "Start \(layout.dp) servers (one per replica) behind a \(routerName(request)) load balancer; trtllm-serve "
          + "has no data-parallel flag for dense models.")
    }
    return LaunchCommand(command: parts.joined(separator: " \\\n  "), notes: notes)
  }

  /// `python -m sglang.launch_server …` in SGLang's own flags.
  static func sglang(request: PlanRequest, candidate: AnalyticCandidate) -> LaunchCommand {
    let layout = candidate.layout
    let engine = request.engine
    var parts = [
      "python -m sglang.launch_server --model-path \(request.servedModel)",
      "--tp-size \(layout.tp)",
      "--pp-size \(layout.pp)",
      "--dp-size \(layout.dp)",
      "--max-running-requests \(engine.maxSequences)",
      "--chunked-prefill-size \(engine.maxBatchedTokens)",
      "--mem-fraction-static \(decimal(engine.gpuMemoryUtilization))",
      "--page-size \(engine.blockSizeTokens)",
    ]
    if layout.tp > 1, !engine.allReduce.customEnabled { parts.append("--disable-custom-all-reduce") }
    if !engine.cudaGraphs { parts.append("--disable-cuda-graph") }
    let experts = expertAndPrecision(.sglang, request: request, candidate: candidate)
    parts += experts.parts
    var notes = profileNote(engine) + experts.notes
    notes += placementNotes(request: request, candidate: candidate)
    if !(request.scenario.scheduler.chunkedPrefill ?? false) {
      notes.append(
        "The plan assumes prompts are prefilled whole (scheduler.chunked_prefill: false); SGLang chunks prefills "
          + "longer than --chunked-prefill-size.")
    }
    return LaunchCommand(command: parts.joined(separator: " \\\n  "), notes: notes)
  }

  /// Which engine profile the command is written for.
  static func profileNote(_ engine: EngineConfig) -> [String] {
    guard let profile = engine.profile else { return [] }
    return ["Written for engine profile \(profile.name): \(profile.version)."]
  }

  static func routerName(_ request: PlanRequest) -> String {
    request.scenario.router.rawValue.replacingOccurrences(of: "_", with: "-")
  }

  /// Where each replica's GPUs are.
  static func placementNotes(request: PlanRequest, candidate: AnalyticCandidate) -> [String] {
    var notes: [String] = []
    let gpuLists = candidate.placement.placement.gpus.map { replica in
      replica.joined().map(String.init).joined(separator: ",")
    }
    if candidate.placement.nodesUsed == 1 {
      notes.append(
        "Run on one node with CUDA_VISIBLE_DEVICES=\(gpuLists.joined(separator: ",")) (replica by replica, stage by stage)."
      )
    } else {
      notes.append(
        "The layout spans \(candidate.placement.nodesUsed) nodes: \(multiNodeHint(request)); "
          + "GPUs per replica: " + gpuLists.map { "[\($0)]" }.joined(separator: " ") + ".")
    }
    return notes
  }

  /// How the engine starts on several nodes.
  static func multiNodeHint(_ request: PlanRequest) -> String {
    switch request.engine.profile?.family ?? .vllm {
    case .vllm: return "start a Ray cluster over them first (vLLM's multi-node mode)"
    case .trtllm: return "launch trtllm-serve on every node with mpirun (one rank per GPU)"
    case .sglang: return "start the server on every node with --nnodes, --node-rank and --dist-init-addr"
    }
  }

  /// A short decimal: 0.9, 0.85 (no trailing zeros, no exponent).
  static func decimal(_ value: Double) -> String {
    var text = String(format: "%.4f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}

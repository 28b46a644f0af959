import Analytic
import Foundation
import PlanCore

/// The launch flags of quantized weights, an fp8 KV cache and expert parallelism, per engine.
///
/// Sources, one per flag:
/// - vLLM `--quantization fp8` (online dynamic fp8 of a 16-bit checkpoint, w8a8 on Ada/Hopper/
///   Blackwell): https://docs.vllm.ai/en/stable/features/quantization/fp8/
/// - vLLM `--quantization awq|gptq` (int4/int8 weight-only checkpoints; vLLM switches to the
///   Marlin kernels where the GPU supports them): https://docs.vllm.ai/en/latest/features/quantization/
/// - vLLM `--kv-cache-dtype fp8`: https://docs.vllm.ai/en/latest/features/quantization/quantized_kvcache/
/// - vLLM `--enable-expert-parallel` with `--data-parallel-size N` (EP size = TP × DP; without
///   the flag the expert layers form one TP group of DP × TP GPUs):
///   https://docs.vllm.ai/en/latest/serving/data_parallel_deployment/ and
///   https://docs.vllm.ai/en/latest/serving/expert_parallel_deployment/
/// - SGLang `--quantization`, `--kv-cache-dtype fp8_e4m3`, `--ep-size`:
///   https://docs.sglang.ai/advanced_features/server_arguments.html
/// - TensorRT-LLM `trtllm-serve --ep_size` and `kv_cache_config.dtype`:
///   https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve/trtllm-serve.html
extension LaunchCommandBuilder {
  /// vLLM's `--data-parallel-size` for one server: a dense model's DP; for an MoE model the
  /// replicas of one EP group (EP ÷ TP), since vLLM's DP group shares its expert layers, or 1
  /// without EP (each replica then a server of its own, experts tensor-parallel inside it).
  static func vllmDataParallelSize(request: PlanRequest, layout: Layout) -> Int {
    guard request.model.experts != nil else { return layout.dp }
    return layout.ep > 1 ? layout.replicasPerExpertGroup : 1
  }

  /// Extra flags and notes for `engine`.
  static func expertAndPrecision(
    _ engine: EngineProfile.Family, request: PlanRequest, candidate: AnalyticCandidate
  ) -> (parts: [String], notes: [String]) {
    let layout = candidate.layout
    let own = WeightPrecision(model: request.model)
    let weights = candidate.precision?.weights ?? own
    let kvFP8 = (candidate.precision?.kvCache ?? request.engine.kvCacheDType) == .fp8
    var parts: [String] = []
    var notes: [String] = []
    if let q = weights.quantization {
      let method: String? =
        switch q.method {
        case .fp8: "fp8"
        case .awq: "awq"
        case .gptq: "gptq"
        case .int8: nil
        }
      switch engine {
      case .vllm, .sglang:
        if let method { parts.append("--quantization \(method)") }
      case .trtllm:
        notes.append(
          "TensorRT-LLM does not quantize at load: serve a checkpoint quantized to \(weights) with NVIDIA ModelOpt.")
      }
      if weights != own {
        if q.method == .fp8, engine != .trtllm {
          notes.append(
            "--quantization fp8 quantizes the \(own) checkpoint to fp8 at load (per-tensor scales, no calibration "
              + "data); an fp8 checkpoint made with llm-compressor gives calibrated scales.")
        } else if q.method != .fp8 {
          notes.append(
            "\(weights) needs a checkpoint already quantized that way (e.g. made with AutoAWQ, GPTQModel or "
              + "llm-compressor): engines do not quantize to \(q.bits) bits at load. Serve that checkpoint instead of "
              + "\(request.servedModel).")
        }
      }
    }
    if kvFP8 {
      switch engine {
      case .vllm: parts.append("--kv-cache-dtype fp8")
      case .sglang: parts.append("--kv-cache-dtype fp8_e4m3")
      case .trtllm: break  // kv_cache_config.dtype in extra.yaml
      }
    }
    guard request.model.experts != nil else { return (parts, notes) }
    let group = layout.replicasPerExpertGroup
    let servers = layout.ep > 1 ? layout.dp / group : layout.dp
    switch engine {
    case .vllm:
      if layout.ep > 1 {
        parts.append("--enable-expert-parallel")
        notes.append(
          "Expert parallelism: each server is one EP group of \(group) data-parallel replica(s) × TP \(layout.tp) "
            + "(EP \(layout.ep)); attention stays data-parallel and the experts are split \(layout.ep) ways.")
      } else {
        notes.append(
          "No expert parallelism: every replica is its own server with its experts tensor-parallel (vLLM's "
            + "--data-parallel-size would make the expert layers of all replicas one TP group).")
      }
    case .sglang:
      if layout.ep > 1 {
        parts.append("--ep-size \(layout.ep)")
        notes.append(
          "SGLang: --ep-size \(layout.ep) splits the experts over the EP group; with several replicas per group "
            + "add --enable-dp-attention (attention data-parallel), as SGLang's DeepSeek guide does.")
      }
    case .trtllm:
      if layout.ep > 1 {
        parts.append("--ep_size \(layout.ep)")
        notes.append(
          "TensorRT-LLM: --ep_size \(layout.ep) splits the experts; attention data parallelism across the EP group "
            + "(enable_attention_dp in extra.yaml) is not modelled separately: check the plan's DP against it.")
      }
    }
    if servers > 1 {
      notes.append(
        "Start \(servers) such servers (\(layout.dp) replicas in all) behind a \(routerName(request)) load balancer.")
    }
    return (parts, notes)
  }
}

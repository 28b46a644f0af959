import Analytic
import Foundation
import PlanCore

/// The `vllm serve` command line for a chosen layout, in vLLM's own flags.
public enum LaunchCommandBuilder {
  /// `vllm serve MODEL --tensor-parallel-size … --pipeline-parallel-size … --data-parallel-size …
  /// --max-num-seqs … --gpu-memory-utilization … --max-num-batched-tokens … --block-size …`,
  /// plus `--enable-chunked-prefill` when the plan assumed it; notes on placement and versions.
  public static func build(request: PlanRequest, candidate: AnalyticCandidate) -> LaunchCommand {
    let layout = candidate.layout
    let engine = request.engine
    var parts = [
      "vllm serve \(request.servedModel)",
      "--tensor-parallel-size \(layout.tp)",
      "--pipeline-parallel-size \(layout.pp)",
      "--data-parallel-size \(layout.dp)",
      "--max-num-seqs \(engine.maxSequences)",
      "--gpu-memory-utilization \(decimal(engine.gpuMemoryUtilization))",
      "--max-num-batched-tokens \(engine.maxBatchedTokens)",
      "--block-size \(engine.blockSizeTokens)",
    ]
    let chunked = request.scenario.scheduler.chunkedPrefill ?? false
    if chunked { parts.append("--enable-chunked-prefill") }
    if engine.kvCacheDType == .fp8 { parts.append("--kv-cache-dtype fp8") }
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
        "The layout spans \(candidate.placement.nodesUsed) nodes: start a Ray cluster over them first (vLLM's multi-node mode); "
          + "GPUs per replica: " + gpuLists.map { "[\($0)]" }.joined(separator: " ") + ".")
    }
    if layout.dp > 1 {
      notes.append(
        "--data-parallel-size needs vLLM 0.9 or later; with older versions start \(layout.dp) servers "
          + "(one per replica, --data-parallel-size dropped) behind a \(request.scenario.router.rawValue.replacingOccurrences(of: "_", with: "-")) load balancer."
      )
    }
    if !chunked {
      notes.append(
        "The plan assumes prompts are prefilled whole (scheduler.chunked_prefill: false). vLLM's V1 engine always "
          + "chunks prefills; to plan for that, set chunked_prefill: true in the scenario.")
    }
    return LaunchCommand(command: parts.joined(separator: " \\\n  "), notes: notes)
  }

  /// A short decimal: 0.9, 0.85 (no trailing zeros, no exponent).
  static func decimal(_ value: Double) -> String {
    var text = String(format: "%.4f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}

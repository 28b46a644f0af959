import Analytic
import Foundation
import PlanCore

/// How to start a disaggregated layout: one `vllm serve` per instance with its
/// `--kv-transfer-config`, and the same deployment as a Dynamo-style worker list.
public struct DisaggregatedLaunch: Sendable, Hashable, Codable {
  /// One shell command per instance, prefill instances first.
  public var commands: [String]
  /// `prefill: 2 × TP4·PP1 on node0/gpu0-3, …`
  public var workers: [String]
  public var notes: [String]

  /// vLLM's connectors (https://docs.vllm.ai/en/latest/features/disagg_prefill/): the
  /// `NixlConnector` (https://docs.vllm.ai/en/stable/features/nixl_connector_usage.html) pulls the
  /// finished KV after the prefill (`kv_role: kv_both` on both sides), matching
  /// `kv_transfer.overlap: none`; layer-wise sending is LMCache's (`LMCacheConnectorV1`, the
  /// prefill side a `kv_producer`, the decode side a `kv_consumer`).
  public static func build(request: PlanRequest, candidate: DisaggregatedCandidate) -> DisaggregatedLaunch {
    let engine = request.engine
    let cluster = request.cluster
    let layerwise = candidate.transfer.overlap == .layerwise
    func config(_ prefill: Bool) -> String {
      layerwise
        ? "'{\"kv_connector\":\"LMCacheConnectorV1\",\"kv_role\":\"\(prefill ? "kv_producer" : "kv_consumer")\"}'"
        : "'{\"kv_connector\":\"NixlConnector\",\"kv_role\":\"kv_both\"}'"
    }
    let first = Dictionary(grouping: 0..<cluster.gpuCount, by: { cluster.nodeOfGPU[$0] }).mapValues { $0.min() ?? 0 }
    var commands: [String] = []
    var workers: [String] = []
    var port = 8100
    for (pool, layout, placement) in [
      ("prefill", candidate.layout.prefill, candidate.prefillPlacement),
      ("decode", candidate.layout.decode, candidate.decodePlacement),
    ] {
      for (index, instance) in placement.gpus.enumerated() {
        let gpus = instance.flatMap { $0 }
        let nodes = Set(gpus.map { cluster.nodeOfGPU[$0] }).sorted()
        let local = gpus.map { String($0 - (first[cluster.nodeOfGPU[$0]] ?? 0)) }.joined(separator: ",")
        let where_ = nodes.map { cluster.nodeNames[$0] }.joined(separator: "+")
        var parts = [
          "# \(pool) instance \(index) on \(where_)",
          "CUDA_VISIBLE_DEVICES=\(local) vllm serve \(request.servedModel)",
          "--port \(port)",
          "--tensor-parallel-size \(layout.tp)",
          "--pipeline-parallel-size \(layout.pp)",
          "--max-num-seqs \(engine.maxSequences)",
          "--gpu-memory-utilization \(LaunchCommandBuilder.decimal(engine.gpuMemoryUtilization))",
          "--max-num-batched-tokens \(engine.maxBatchedTokens)",
        ]
        if engine.kvCacheDType == .fp8 { parts.append("--kv-cache-dtype fp8") }
        parts.append("--kv-transfer-config \(config(pool == "prefill"))")
        commands.append(parts[0] + "\n" + parts.dropFirst().joined(separator: " \\\n  "))
        port += 1
      }
      workers.append(
        "\(pool): \(layout.dp) × TP\(layout.tp)·PP\(layout.pp) worker\(layout.dp == 1 ? "" : "s") "
          + "(\(layout.tp * layout.pp) GPU\(layout.tp * layout.pp == 1 ? "" : "s") each)")
    }
    var notes = [
      "A router sends each request to a prefill instance (ports 8100…), then to a decode instance with the "
        + "prefill's KV handle (vLLM: examples/online_serving/disaggregated_serving proxy; NVIDIA Dynamo: the "
        + "worker list above as prefill and decode workers).",
      "The plan spreads requests over instances with the \(request.scenario.router.rawValue) policy in each pool.",
    ]
    notes.append(
      layerwise
        ? "The plan assumed layer-wise KV sending (kv_transfer.overlap: layerwise); NixlConnector sends after the "
          + "prefill instead (set kv_transfer.overlap: none to plan for it)."
        : "The plan assumed the KV is sent after the prefill (kv_transfer.overlap: none), as NixlConnector does.")
    return DisaggregatedLaunch(commands: commands, workers: workers, notes: notes)
  }
}

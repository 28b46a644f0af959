import Analytic
import Foundation
import PlanCore

/// `estimate --static-batch --json`: what was predicted, on what, and the figures.
struct StaticBatchResult: Encodable {
  let model: String
  let gpu: String
  let cluster: String
  let layout: Layout
  let gpusTotal: Int
  /// The KV cache's precision (the model's dtype unless `--kv-dtype` was given).
  let kvCacheDType: DType
  let kvBytesPerTokenPerGPU: Double
  let staticBatch: StaticBatchPrediction

  init(evaluator: LayoutEvaluator, prediction: StaticBatchPrediction) {
    model = evaluator.cost.model.name
    gpu = evaluator.cost.gpu.name
    cluster = evaluator.cluster.name
    layout = evaluator.layout
    gpusTotal = evaluator.layout.totalGPUs
    kvCacheDType = evaluator.config.kvCacheDType ?? evaluator.cost.model.dtype
    kvBytesPerTokenPerGPU = evaluator.memory.stages.map(\.kvBytesPerToken).max() ?? 0
    staticBatch = prediction
  }
}

/// The readable form of a `StaticBatchPrediction`.
enum StaticBatchText {
  static func render(_ p: StaticBatchPrediction, evaluator: LayoutEvaluator) -> String {
    let s = Units.formatSeconds
    let shape = p.shape
    let kvDType = (evaluator.config.kvCacheDType ?? evaluator.cost.model.dtype).rawValue
    var out: [String] = []
    out.append(
      "\(evaluator.cost.model.name) on \(evaluator.layout.totalGPUs) × \(evaluator.cost.gpu.name) "
        + "(\(evaluator.layout)), cluster \(evaluator.cluster.name)")
    out.append(
      "static batch: \(shape.batch) prompts of \(shape.inputTokens) tokens, \(shape.outputTokens) output tokens each, "
        + "per replica")
    let prefillHow =
      shape.prefill == .whole
      ? "whole (each micro-batch's prompts in one pass)"
      : "chunked (\(p.prefillIterations) iterations of at most \(evaluator.config.maxBatchedTokens) tokens per micro-batch)"
    out.append(
      "prefill: \(prefillHow); \(p.microBatches) micro-batch(es) of \(p.sequencesPerMicroBatch) in flight")
    let m = p.memory
    out.append(
      "KV cache (\(kvDType)): \(m.blocksNeeded) of \(m.blocksAvailable) blocks of \(m.blockSizeTokens) tokens "
        + "(at most \(m.maxSequences) such sequences fit)")
    out.append("")
    var rows: [[String]] = [["", "value"]]
    rows.append(["time to the batch's first tokens (prefill)", s(p.prefillSeconds)])
    if let first = p.firstStepSeconds, let mean = p.meanStepSeconds, let last = p.lastStepSeconds {
      rows.append(["per-token latency, first step (context \(shape.inputTokens + 1))", s(first)])
      rows.append(["per-token latency, mean of \(p.decodeSteps) steps", s(mean)])
      rows.append(["per-token latency, last step (context \(shape.inputTokens + p.decodeSteps))", s(last)])
    } else {
      rows.append(["decode steps", "none (1 output token: the prefill yields it)"])
    }
    rows.append(["total latency", s(p.totalSeconds)])
    rows.append(["output tokens/s (one replica)", Units.threeSignificant(p.outputTokensPerSecond)])
    rows.append(["total tokens/s (one replica)", Units.threeSignificant(p.totalTokensPerSecond)])
    if evaluator.layout.dp > 1 {
      rows.append([
        "output tokens/s (DP=\(evaluator.layout.dp), a batch each)",
        Units.threeSignificant(p.layoutOutputTokensPerSecond),
      ])
    }
    out.append(TextTable.render(rows, rightAligned: [1], indent: "  "))
    out.append("")
    out.append("Breakdown")
    var breakdown: [[String]] = [["", "prefill", "decode (all steps)"]]
    let columns = [p.prefillBreakdown, p.decodeBreakdown]
    let parts: [(String, (TimeBreakdown) -> Double)] = [
      ("compute-bound", { $0.computeBoundSeconds }), ("memory-bound", { $0.memoryBoundSeconds }),
      ("communication", { $0.communicationSeconds }), ("pipeline", { $0.pipelineSeconds }),
      ("overhead", { $0.overheadSeconds }), ("total", { $0.totalSeconds }),
    ]
    for (name, value) in parts { breakdown.append([name] + columns.map { s(value($0)) }) }
    breakdown.append(["dominant"] + columns.map { $0.dominant.rawValue })
    out.append(TextTable.render(breakdown, rightAligned: [1, 2], indent: "  "))
    return out.joined(separator: "\n")
  }
}

import Analytic
import Foundation
import PlanCore

/// Throughput per GPU against interactivity (output tokens/s each user sees), AIConfigurator's
/// chart, from the analytic model: one point per replica shape (TP × PP, DP 1 — more replicas
/// scale both figures' totals, not their per-GPU and per-user values) and batch cap.
public enum ParetoFrontier {
  /// The points of one type's plan. `caps` are max_num_seqs values; a cap the KV cache cannot
  /// hold for mean-length sequences is left out, and the KV limit itself is added as a point.
  /// The point of the plan's recommended layout at the engine's max_num_seqs is marked.
  public static func points(request: PlanRequest, plan: PlanResult, caps: [Int]) throws -> [ParetoPoint] {
    let prompt = request.meanPromptTokens
    let output = request.meanOutputTokens
    let recommended = plan.recommendation.layout
    var result: [ParetoPoint] = []
    let shapes = plan.candidates.filter { $0.layout.dp == 1 && $0.fits && $0.load != nil }
      .map(\.layout).sorted { Ranking.lexicographicallyPrecedes(Ranking.layoutKey($0), Ranking.layoutKey($1)) }
    for layout in shapes {
      let probe = try LayoutProbe(request: request, layout: layout)
      let evaluator = probe.evaluator
      let kvLimit = evaluator.memory.maxConcurrentSequences(tokensPerSequence: prompt + output)
      guard kvLimit >= 1 else { continue }
      var batches = caps.filter { $0 <= kvLimit }
      if let top = caps.max(), kvLimit < top, !batches.contains(kvLimit) { batches.append(kvLimit) }
      let isRecommended = recommended.map { $0.tp == layout.tp && $0.pp == layout.pp } ?? false
      let engineBatch = min(request.engine.maxSequences, kvLimit)
      if isRecommended, !batches.contains(engineBatch) { batches.append(engineBatch) }
      for batch in batches.sorted() {
        let throughput =
          evaluator.replicas.map {
            $0.saturatedThroughput(promptTokens: prompt, outputTokens: output, batch: batch, config: evaluator.config)
              .outputTokensPerSecond
          }.min() ?? 0
        guard throughput > 0, throughput.isFinite else { continue }
        let marked = isRecommended && batch == engineBatch
        result.append(
          ParetoPoint(
            gpu: request.gpu.name, layout: marked ? recommended!.description : layout.description, maxSequences: batch,
            precision: nil, outputTokensPerSecondPerGPU: throughput / Double(layout.gpusPerReplica),
            outputTokensPerSecondPerUser: throughput / Double(batch), onFrontier: false, recommended: marked))
      }
    }
    return result
  }

  /// Whether `a` is at least as good as `b` on both axes and better on one.
  public static func dominates(_ a: ParetoPoint, _ b: ParetoPoint) -> Bool {
    a.outputTokensPerSecondPerGPU >= b.outputTokensPerSecondPerGPU
      && a.outputTokensPerSecondPerUser >= b.outputTokensPerSecondPerUser
      && (a.outputTokensPerSecondPerGPU > b.outputTokensPerSecondPerGPU
        || a.outputTokensPerSecondPerUser > b.outputTokensPerSecondPerUser)
  }

  /// Marks the points no other point of the same GPU type dominates.
  public static func markFrontier(_ points: [ParetoPoint]) -> [ParetoPoint] {
    points.map { point in
      var marked = point
      marked.onFrontier = !points.contains { $0.gpu == point.gpu && dominates($0, point) }
      return marked
    }
  }
}

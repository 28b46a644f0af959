import Analytic
import Foundation
import PlanCore

/// One instance shape (TP × PP) a disaggregated pool can be made of, evaluated once per plan:
/// its lone prefill of the mean prompt and its decode iterations at every batch its KV cache
/// holds, from the same `LayoutEvaluator` the aggregated layouts use.
struct DisaggregationPoolShape: Sendable {
  let tp: Int
  let pp: Int
  var gpus: Int { tp * pp }
  /// Lone prefill of the mean prompt on one instance (nil: the prompt does not fit).
  let prefillSeconds: Double?
  /// Lone prefills over the workload's prompt-length mix (`PromptMix` points, scaled so that the
  /// mean prompt's evaluation matches `prefillSeconds`): the prefill queue's service times.
  let prefillTimes: PrefillTimeMix?
  /// d(b), b = 1…B of a decode-only instance (empty: not one mean sequence fits).
  let decodeStepSecondsByBatch: [Double]
  /// KV tokens one instance holds.
  let kvTokens: Int

  /// The shapes worth pooling: every TP degree the model allows up to one node, each with the
  /// fewest pipeline stages that fit the weights (more stages only lengthen a prefill and a
  /// decode step; instances are replicated instead).
  static func shapes(request: PlanRequest, comm: CommModel) throws -> [DisaggregationPoolShape] {
    let cluster = request.cluster
    let largestNode = cluster.gpusPerNode.max() ?? cluster.gpuCount
    let degrees = LayoutSearch.tensorParallelDegrees(model: request.model, maxTP: min(request.gpuBudget, largestNode))
    var result: [DisaggregationPoolShape] = []
    for tp in degrees {
      for pp in 1...max(1, min(request.model.numLayers, request.gpuBudget / tp)) {
        let layout = Layout(tp: tp, pp: pp, dp: 1)
        guard (try? layout.validate(model: request.model, cluster: cluster)) != nil else { continue }
        let plan = try TopologyPlacement.place(layout, on: cluster)
        let evaluator = try LayoutEvaluator(
          model: request.model, gpu: request.gpu, cluster: cluster, layout: layout, placement: plan.placement,
          config: request.engine, comm: comm)
        guard evaluator.memory.fits else { continue }
        let prompt = request.meanPromptTokens
        let output = request.meanOutputTokens
        let inputs = try evaluator.loadInputs(promptTokens: prompt, outputTokens: output)
        let prefillFits = evaluator.memory.maxConcurrentSequences(tokensPerSequence: prompt + 1) >= 1
        guard prefillFits else { continue }
        let mix = try PromptMix(workload: request.scenario.workload, evaluator: evaluator)
        let meanPromptSeconds = try evaluator.evaluate(promptTokens: prompt, outputTokens: 1).ttftSeconds
        let scale = meanPromptSeconds > 0 ? inputs.prefillSeconds / meanPromptSeconds : 1
        result.append(
          DisaggregationPoolShape(
            tp: tp, pp: pp, prefillSeconds: inputs.prefillSeconds,
            prefillTimes: try PrefillTimeMix(
              seconds: mix.points.map { $0.prefillSeconds * scale }, weights: mix.points.map(\.weight)),
            decodeStepSecondsByBatch: inputs.decodeIterationSeconds,
            kvTokens: evaluator.memory.maxKVTokens))
        break
      }
    }
    return result
  }
}

/// Places the two pools on disjoint GPUs: instances one after the other, prefill first, each on
/// the first node with enough free GPUs (an instance larger than a node takes whole free nodes
/// in order). Nil when the pools do not fit the cluster that way.
enum DisaggregationPlacement {
  static func place(
    prefill: (tp: Int, pp: Int, count: Int), decode: (tp: Int, pp: Int, count: Int), cluster: Cluster
  ) -> (prefill: Placement, decode: Placement)? {
    let nodeSizes = cluster.gpusPerNode
    var free: [[Int]] = Array(repeating: [], count: nodeSizes.count)
    for gpu in 0..<cluster.gpuCount { free[cluster.nodeOfGPU[gpu]].append(gpu) }
    func take(_ count: Int) -> [Int]? {
      if let node = free.firstIndex(where: { $0.count >= count }) {
        let taken = Array(free[node].prefix(count))
        free[node].removeFirst(count)
        return taken
      }
      // Larger than any node's free GPUs: whole free nodes in order.
      var taken: [Int] = []
      for node in free.indices where free[node].count == nodeSizes[node] && taken.count < count {
        let part = Array(free[node].prefix(count - taken.count))
        taken += part
        free[node].removeFirst(part.count)
      }
      return taken.count == count ? taken : nil
    }
    func pool(_ shape: (tp: Int, pp: Int, count: Int)) -> Placement? {
      var instances: [[[Int]]] = []
      for _ in 0..<shape.count {
        guard let gpus = take(shape.tp * shape.pp) else { return nil }
        instances.append((0..<shape.pp).map { Array(gpus[($0 * shape.tp)..<(($0 + 1) * shape.tp)]) })
      }
      return Placement(gpus: instances)
    }
    guard let p = pool(prefill), let d = pool(decode) else { return nil }
    return (p, d)
  }
}

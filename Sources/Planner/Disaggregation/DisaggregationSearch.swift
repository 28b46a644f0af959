import Analytic
import Foundation
import PlanCore

/// Enumerates and scores disaggregated layouts: x prefill instances of one shape and y decode
/// instances of another (each shape from `DisaggregationPoolShape.shapes`), with
/// x·GPUs(P) + y·GPUs(D) within the GPU budget, placed on disjoint GPUs
/// (`DisaggregationPlacement`), the KV handoff routed between them (`KVTransferCost`), and the
/// two pools' queues at the target rate (`DisaggregatedLoadModel`). Ranked with the same
/// objective and SLO as the aggregated layouts (`Ranking.key`).
public struct DisaggregationSearch: Sendable {
  public let request: PlanRequest
  let comm: CommModel

  public init(_ request: PlanRequest, comm: CommModel? = nil) {
    self.request = request
    self.comm = comm ?? CommModel(cluster: request.cluster, efficiency: request.gpu.efficiency)
  }

  public var overlap: KVTransferOverlap { request.scenario.kvTransferOverlap ?? .layerwise }

  /// Whether `auto` considers disaggregation: the budget holds two instances of the smallest
  /// shape that fits, and requests have decode steps (more than one output token).
  public static func worthSearching(request: PlanRequest, smallestInstanceGPUs: Int?) -> Bool {
    guard let smallest = smallestInstanceGPUs, request.meanOutputTokens >= 2 else { return false }
    return request.gpuBudget >= 2 * smallest
  }

  /// Every disaggregated layout, best first (empty when no shape fits or the budget holds fewer
  /// than two instances).
  public func candidates() throws -> [DisaggregatedCandidate] {
    guard request.meanOutputTokens >= 2 else { return [] }
    let shapes = try DisaggregationPoolShape.shapes(request: request, comm: comm)
    let prefillShapes = shapes.filter { $0.prefillSeconds != nil }
    let decodeShapes = shapes.filter { !$0.decodeStepSecondsByBatch.isEmpty }
    let budget = request.gpuBudget
    let kvPerToken = KVTransferCost.kvBytesPerToken(model: request.model, kvCacheDType: request.engine.kvCacheDType)
    let bytes = KVTransferCost.kvBytes(promptTokens: request.meanPromptTokens, kvBytesPerToken: kvPerToken)
    var result: [DisaggregatedCandidate] = []
    for p in prefillShapes {
      // The prefill queue serves the mix: its service rate is 1/E[S] over the prompt lengths.
      let prefillTimes = p.prefillTimes ?? PrefillTimeMix(singleSeconds: p.prefillSeconds!)
      let prefillService = try DisaggregatedLoadModel.prefillService(
        prefillSeconds: prefillTimes.meanSeconds, queueCapacity: request.scenario.scheduler.waitingQueueCap)
      for d in decodeShapes where p.gpus + d.gpus <= budget {
        let decodeService = try DisaggregatedLoadModel.decodeService(
          decodeStepSecondsByBatch: d.decodeStepSecondsByBatch, meanOutputTokens: Double(request.meanOutputTokens),
          queueCapacity: request.scenario.scheduler.waitingQueueCap)
        for x in 1...(budget / p.gpus) {
          let left = budget - x * p.gpus
          guard left >= d.gpus else { break }
          for y in 1...(left / d.gpus) {
            guard
              let placed = DisaggregationPlacement.place(
                prefill: (p.tp, p.pp, x), decode: (d.tp, d.pp, y), cluster: request.cluster)
            else { continue }
            let transfer = try KVTransferCost(
              comm: comm, prefillInstances: placed.prefill.gpus.map { $0.flatMap { $0 } },
              decodeInstances: placed.decode.gpus.map { $0.flatMap { $0 } }, bytesPerRequest: bytes,
              prefillSeconds: p.prefillSeconds!, layers: request.model.numLayers, overlap: overlap)
            let pools = DisaggregatedPools(
              prefillInstances: x, prefillService: prefillService, decodeInstances: y, decodeService: decodeService,
              transfer: transfer, prefillTimes: prefillTimes)
            result.append(
              try candidate(
                layout: DisaggregatedLayout(
                  prefill: Layout(tp: p.tp, pp: p.pp, dp: x), decode: Layout(tp: d.tp, pp: d.pp, dp: y)),
                placed: placed, prefill: p, decode: d, pools: pools))
          }
        }
      }
    }
    return Self.rank(result, objective: request.objective)
  }

  /// Scores one layout at the target rate.
  func candidate(
    layout: DisaggregatedLayout, placed: (prefill: Placement, decode: Placement), prefill: DisaggregationPoolShape,
    decode: DisaggregationPoolShape, pools: DisaggregatedPools
  ) throws -> DisaggregatedCandidate {
    let rate = request.scenario.workload.rateRequestsPerSecond
    let load = try evaluate(pools, rate: rate)
    var reasons = violations(load)
    let longest = request.scenario.workload.maximumSequenceTokens
    if decode.kvTokens < longest {
      reasons.append(
        "the longest requests (\(longest) tokens) exceed the KV cache of a decode instance (\(decode.kvTokens) tokens)")
    }
    let meets = reasons.isEmpty
    return DisaggregatedCandidate(
      layout: layout, gpus: layout.totalGPUs, prefillPlacement: placed.prefill, decodePlacement: placed.decode,
      prefillSeconds: prefill.prefillSeconds ?? 0, decodeBatchLimit: decode.decodeStepSecondsByBatch.count,
      decodeStepBatch1Seconds: decode.decodeStepSecondsByBatch.first ?? 0,
      decodeStepAtLimitSeconds: decode.decodeStepSecondsByBatch.last ?? 0, transfer: pools.transfer, load: load,
      maxSustainableRequestsPerSecond: meets ? try maxSustainableRate(pools) : 0,
      goodputPerGPURequestsPerSecond: load.goodputRequestsPerSecond.map { $0 / Double(layout.totalGPUs) },
      meetsSLO: meets, reasons: reasons, rank: 0)
  }

  func evaluate(_ pools: DisaggregatedPools, rate: Double) throws -> DisaggregatedLoadPrediction {
    try DisaggregatedLoadModel.evaluate(
      rateRequestsPerSecond: rate, pools: pools, router: request.scenario.router, slo: request.slo,
      arrivals: request.scenario.workload.arrival)
  }

  /// Why the figures break the SLO, in the words the aggregated layouts use.
  func violations(_ load: DisaggregatedLoadPrediction) -> [String] {
    guard load.stable, let success = load.successRate else {
      return [
        "unstable: arrival rate exceeds capacity (\(Format.rate(load.capacityRequestsPerSecond)) < "
          + "\(Format.rate(load.rateRequestsPerSecond)); bound by the "
          + (load.prefillCapacityRequestsPerSecond <= load.decodeCapacityRequestsPerSecond ? "prefill" : "decode")
          + " pool)"
      ]
    }
    let slo = request.slo
    var reasons: [String] = []
    if let ttft = load.ttftP90Seconds, ttft > slo.ttftSeconds {
      reasons.append("TTFT p90 \(Units.formatSeconds(ttft)) > \(Units.formatSeconds(slo.ttftSeconds))")
    }
    if let tpot = load.tpotMeanSeconds, tpot > slo.tpotSeconds {
      reasons.append("TPOT \(Units.formatSeconds(tpot)) > \(Units.formatSeconds(slo.tpotSeconds))")
    }
    if success < slo.successRateFloor {
      reasons.append("success \(Format.percent(success)) < \(Format.percent(slo.successRateFloor))")
    }
    return reasons
  }

  /// The largest rate meeting the SLO, by bisection to 0.1 % between 0 and the capacity (the
  /// check is monotone in the rate, as for aggregated layouts).
  func maxSustainableRate(_ pools: DisaggregatedPools) throws -> Double {
    let capacity = pools.capacityRequestsPerSecond
    func meets(_ rate: Double) throws -> Bool { violations(try evaluate(pools, rate: rate)).isEmpty }
    var low = capacity * 1e-6
    guard try meets(low) else { return 0 }
    var high = capacity
    while high - low > 1e-3 * high {
      let middle = (low + high) / 2
      if try meets(middle) { low = middle } else { high = middle }
    }
    return low
  }

  /// The same ranking key as an aggregated layout's (`Ranking.key`), the prefill pool standing
  /// for the layout and the decode pool's degrees breaking the last ties.
  static func key(_ c: DisaggregatedCandidate, objective: PlanObjective) -> [Double] {
    Ranking.key(figures(c), objective: objective, layout: c.layout.prefill)
      + [Double(c.layout.decode.tp), Double(c.layout.decode.pp), Double(c.layout.decode.dp)]
  }

  static func figures(_ c: DisaggregatedCandidate) -> Ranking.Figures {
    Ranking.Figures(
      gpus: c.gpus, meets: c.meetsSLO, goodput: c.load.goodputRequestsPerSecond ?? 0,
      maxRate: c.maxSustainableRequestsPerSecond, ttftP90: c.load.ttftP90Seconds ?? .greatestFiniteMagnitude,
      achievableSuccess: c.load.successRate ?? c.load.successRateUpperBound)
  }

  static func rank(_ candidates: [DisaggregatedCandidate], objective: PlanObjective) -> [DisaggregatedCandidate] {
    var sorted = candidates.map { ($0, key($0, objective: objective)) }
      .sorted { Ranking.lexicographicallyPrecedes($0.1, $1.1) }.map(\.0)
    for index in sorted.indices { sorted[index].rank = index + 1 }
    return sorted
  }
}

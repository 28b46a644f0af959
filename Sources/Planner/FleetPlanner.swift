import Analytic
import Foundation
import PlanCore

/// Answers a `FleetQuestion`: plans every GPU type (concurrently: the plans are independent),
/// compares the best layout of each side by side, recommends a type by the objective, and adds
/// the growth curve and the Pareto points.
public enum FleetPlanner {
  /// What one GPU type's task returns.
  struct MemberResult: Sendable {
    var plan: PlanResult?
    var failure: String?
    var pareto: [ParetoPoint]
  }

  /// The whole fleet plan. With `concurrently` the types are planned in a task group, one task
  /// per type; the results are put back in the asked order, so the output is the same as the
  /// serial one (every plan is deterministic for its request and seed).
  public static func plan(_ question: FleetQuestion, concurrently: Bool = true) async throws -> FleetPlan {
    var results = [MemberResult?](repeating: nil, count: question.members.count)
    if concurrently {
      try await withThrowingTaskGroup(of: (Int, MemberResult).self) { group in
        for (index, member) in question.members.enumerated() {
          group.addTask { (index, try planMember(member, caps: question.paretoBatchCaps)) }
        }
        for try await (index, result) in group { results[index] = result }
      }
    } else {
      for (index, member) in question.members.enumerated() {
        results[index] = try planMember(member, caps: question.paretoBatchCaps)
      }
    }
    return assemble(question, results.map { $0! })
  }

  /// Plans one type; a type with no layout within its budget is an outcome, not an error.
  static func planMember(_ member: FleetMember, caps: [Int]) throws -> MemberResult {
    do {
      let plan = try Planner(member.request).plan()
      let pareto = try ParetoFrontier.points(request: member.request, plan: plan, caps: caps)
      return MemberResult(plan: plan, failure: nil, pareto: pareto)
    } catch let error as PlannerError where error.kind == .noFeasibleLayout {
      return MemberResult(plan: nil, failure: error.description, pareto: [])
    }
  }

  static func assemble(_ question: FleetQuestion, _ results: [MemberResult]) -> FleetPlan {
    let comparison = zip(question.members, results).map { member, result in
      outcome(member: member, plan: result.plan, failure: result.failure)
    }
    let (recommended, reason) = recommend(comparison, objective: question.objective)
    let rate = question.members.first?.request.scenario.workload.rateRequestsPerSecond ?? 0
    var pareto = results.flatMap(\.pareto)
    if let recommended {
      for index in pareto.indices where pareto[index].gpu != recommended { pareto[index].recommended = false }
    }
    pareto = ParetoFrontier.markFrontier(pareto)
    let growth =
      question.growthRates.isEmpty
      ? nil
      : GrowthPlanner.curve(
        members: question.members, plans: results.map(\.plan), rates: question.growthRates)
    return FleetPlan(
      plans: results.compactMap(\.plan), comparison: comparison, recommendedGPU: recommended, growth: growth,
      pareto: pareto, objective: question.objective, rateRequestsPerSecond: rate, recommendationReason: reason)
  }

  /// The best layout of one type, side by side with the others.
  public static func outcome(member: FleetMember, plan: PlanResult?, failure: String?) -> GPUTypeOutcome {
    let request = member.request
    var result = GPUTypeOutcome(
      gpu: request.gpu.name, gpuDisplayName: request.gpu.displayName, cluster: request.cluster.name,
      clusterNote: member.clusterNote, price: request.price)
    guard let plan else {
      result.why = failure ?? "no layout fits"
      return result
    }
    guard let layout = plan.recommendation.layout, let gpus = plan.recommendation.gpus else {
      result.why = plan.recommendation.sentence
      return result
    }
    let rate = plan.question.rateRequestsPerSecond
    let simulated = plan.shortlist.first { $0.layout == layout && $0.precision == plan.recommendation.precision }
    let analytic = plan.recommendedCandidate
    result.layout = layout.description
    result.gpus = gpus
    let capacity =
      simulated?.maxSustainableRate?.estimateRequestsPerSecond ?? analytic?.maxSustainableRequestsPerSecond
    result.capacityRequestsPerSecond = capacity
    if let capacity, rate > 0 { result.headroom = capacity / rate - 1 }
    result.ttftP90Seconds = simulated?.result.ttftSeconds?.p90
    result.tpotP90Seconds = simulated?.result.tpotSeconds?.p90
    result.meetsSLO = plan.recommendation.basis == .simulation
    result.cost = plan.cost(gpus: gpus)
    if !result.meetsSLO {
      let reasons = simulated?.reasons.joined(separator: "; ") ?? ""
      result.why = "no layout within \(request.gpuBudget) GPUs meets the SLO in simulation; closest: \(reasons)"
    } else if plan.price == nil {
      result.why = HourlyPrice.missingMessage(gpu: request.gpu.name)
    }
    return result
  }

  /// The type the objective prefers among those meeting the SLO, with one sentence why:
  ///
  /// - `min-cost`: lowest dollars per hour (types without a price are left out);
  /// - `min-gpus`: fewest GPUs, then lowest cost;
  /// - `min-ttft`: lowest simulated TTFT p90;
  /// - `goodput-per-gpu`, `throughput`: most sustainable requests/s per dollar-hour when every
  ///   candidate has a price, else per GPU.
  ///
  /// Ties (within 1 %) go to more headroom, then to the order asked.
  public static func recommend(_ outcomes: [GPUTypeOutcome], objective: PlanObjective) -> (String?, String) {
    let meeting = outcomes.filter { $0.meetsSLO && $0.gpus != nil }
    guard !meeting.isEmpty else {
      return (nil, "No GPU type meets the SLO at this rate within its budget.")
    }
    let allPriced = meeting.allSatisfy { $0.cost != nil }
    func capacity(_ o: GPUTypeOutcome) -> Double { o.capacityRequestsPerSecond ?? 0 }
    let scored: [(GPUTypeOutcome, Double)]
    let what: String
    switch objective {
    case .minCost:
      scored = meeting.compactMap { o in o.cost.map { (o, $0.dollarsPerHour) } }
      what = "the lowest cost per hour meeting the SLO"
    case .minGPUs:
      scored = meeting.map { ($0, Double($0.gpus ?? 0) + ($0.cost?.dollarsPerHour ?? 0) * 1e-9) }
      what = "the fewest GPUs meeting the SLO"
    case .minTTFT:
      scored = meeting.map { ($0, $0.ttftP90Seconds ?? .greatestFiniteMagnitude) }
      what = "the lowest simulated TTFT p90"
    case .goodputPerGPU, .throughput:
      if allPriced {
        scored = meeting.map { ($0, -capacity($0) / max($0.cost!.dollarsPerHour, 1e-9)) }
        what = "the most sustainable requests/s per dollar-hour"
      } else {
        scored = meeting.map { ($0, -capacity($0) / Double(max($0.gpus ?? 1, 1))) }
        what = "the most sustainable requests/s per GPU (not every type has a price)"
      }
    }
    guard !scored.isEmpty else {
      return (nil, "No GPU type that meets the SLO has a price; add --price GPU=DOLLARS_PER_GPU_HOUR.")
    }
    let best = scored.enumerated().min { a, b in
      let ka = Ranking.bucketSigned(a.element.1)
      let kb = Ranking.bucketSigned(b.element.1)
      if ka != kb { return ka < kb }
      let ha = a.element.0.headroom ?? 0
      let hb = b.element.0.headroom ?? 0
      if ha != hb { return ha > hb }
      return a.offset < b.offset
    }!.element.0
    var sentence = "\(best.gpuDisplayName) (\(best.layout ?? "?"), \(best.gpus ?? 0) GPUs"
    if let cost = best.cost { sentence += ", \(Format.dollars(cost.dollarsPerHour))/h" }
    sentence +=
      outcomes.count == 1
      ? ") meets the SLO (the only GPU type asked)" : ") has \(what) of the \(outcomes.count) GPU types compared"
    let others = scored.filter { $0.0.gpu != best.gpu }
    if objective == .minCost, let next = others.min(by: { $0.1 < $1.1 }), let cost = best.cost {
      sentence +=
        "; next: \(next.0.gpuDisplayName) at \(Format.dollars(next.1))/h (+\(Format.percent(next.1 / cost.dollarsPerHour - 1)))"
    }
    return (best.gpu, sentence + ".")
  }
}

extension Ranking {
  /// The 1 % bucket of a figure of either sign (smaller first).
  static func bucketSigned(_ value: Double) -> Double {
    value >= 0 ? bucket(value) : -bucket(-value)
  }
}

extension Format {
  /// "$12.34", "$0.0123": dollars with four significant figures below $10 and cents above.
  public static func dollars(_ value: Double) -> String {
    guard value.isFinite else { return "—" }
    if value >= 10 { return "$" + String(format: "%.2f", value) }
    if value >= 1 { return "$" + String(format: "%.3f", value) }
    return "$" + String(format: "%.3g", value)
  }
}

extension FleetPlanner {
  /// `plan` for synchronous callers (the command line): runs it in a task and waits. The
  /// waiting thread is the caller's, not one of the concurrency pool's, so it cannot starve
  /// the task it waits for.
  public static func planBlocking(_ question: FleetQuestion, concurrently: Bool = true) throws -> FleetPlan {
    let box = ResultBox()
    let done = DispatchSemaphore(value: 0)
    Task {
      do { box.set(.success(try await plan(question, concurrently: concurrently))) } catch { box.set(.failure(error)) }
      done.signal()
    }
    done.wait()
    return try box.get()
  }

  /// The one result a task hands to the thread waiting for it.
  final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<FleetPlan, any Error>?
    func set(_ value: Result<FleetPlan, any Error>) { lock.withLock { result = value } }
    func get() throws -> FleetPlan { try lock.withLock { result! }.get() }
  }

  /// A one-type fleet plan around a plan already made: its comparison row and its Pareto
  /// points (for the single-GPU report).
  public static func single(_ request: PlanRequest, plan: PlanResult, clusterNote: String) throws -> FleetPlan {
    let member = FleetMember(request: request, clusterNote: clusterNote)
    let pareto = try ParetoFrontier.points(request: request, plan: plan, caps: FleetQuestion.defaultBatchCaps)
    let question = FleetQuestion(members: [member], objective: request.objective)
    return assemble(question, [MemberResult(plan: plan, failure: nil, pareto: pareto)])
  }
}

import Foundation
import PlanCore

// The wait between a request's arrival and the start of its prefill when a batch slot is free.

extension LoadModel {
  /// The admission wait of an arrival that finds a free batch slot (the chain's slot wait
  /// covers the others), as the engine schedules: without chunked prefill an iteration is
  /// either prompts or decodes, and waiting prompts go first (vLLM V0).
  ///
  /// **Model.** Stage 0 (the whole engine with PP = 1) is a single server taking prompts in
  /// FCFS order, non-preemptively, with priority over decode iterations; decode iterations run
  /// while no prompt waits. This is an M/G/1 queue whose server, when it has no prompt, is busy
  /// with decodes (a vacation in queueing terms). By the mean-value argument (PASTA + Little),
  /// an arrival waits for the residual R of whatever stage 0 is doing, then for the prompts
  /// queued ahead, E[N_q]·p₀ with E[N_q] = λ·E[W]:
  ///
  ///     E[W] = E[R] / (1 − λ·p₀),   E[R] = Σ_activities P(in it) · E[length²] / (2 E[length]).
  ///
  /// Arrivals more regular than Poisson queue less: the part of E[W] beyond E[R],
  /// E[R]·λp₀/(1 − λp₀), is scaled by the squared coefficient of variation c_a² of the gaps
  /// between arrivals at a replica (Kingman's heavy-traffic / Allen–Cunneen approximation for
  /// GI/G/1, with c_s² = 0 for prompts of one length): a round-robin router hands each replica
  /// every dp-th arrival of a Poisson stream, c_a² = 1/dp (`admissionArrivalVariability`).
  ///
  /// With deterministic lengths the residual of an activity of length x is x/2. Stage 0 is
  /// busy with prompts a fraction λ·p₀ of the time; of the rest, while a batch decodes, it is
  /// busy d₀/d of the time (its share of the decode iteration d; 1 with PP = 1). Given the
  /// replica is busy (at least one request in it, probability 1 − π₀ − P(slot wait) among
  /// arrivals that find a free slot), φ = λp₀/(1 − π₀) of the time goes to prompts, and
  ///
  ///     E[R | busy] = φ·p₀/2 + (1 − φ)·(d₀/d)·d₀/2,
  ///     P(stage 0 busy | busy) = φ + (1 − φ)·d₀/d.
  ///
  /// When the prompts waiting at an iteration's end are admitted together, the request's
  /// prefill iteration also carries the prompts that arrived after it during its wait: λ·W more
  /// prompts of p each, so the wait stretches by the factor (1 + λ·p).
  ///
  /// **Distribution** (for p90, not just the mean). Given a wait, R is uniform over the
  /// activity it lands in (the residual of a fixed-length interval seen at a random moment):
  /// on [0, p₀] with probability φ/P(stage 0 busy | busy), else on [0, d₀]. The rest, the
  /// prompts ahead (and alongside), is present with probability λp₀ (PASTA: stage 0 is on
  /// prompts that fraction of the time) and taken as exponential (M/G/1 waiting tails are
  /// asymptotically exponential) with the mean that makes the total E[W] above. The decode
  /// iteration is taken at the mean running batch.
  ///
  /// Reductions: with no prompt work (p = 0) it is the residual of the decode iteration, d/2
  /// on average for a busy replica; a replica of one slot (B = 1) never has a free slot while
  /// busy, so nothing is added (M/M/1 stays exact); at λ → 0 it vanishes.
  ///
  /// - Parameters:
  ///   - queue: the solved chain (one replica's, or the pooled one of `replicas`).
  ///   - perReplica: replicas the chain spreads over (1 for a replica's own chain).
  /// - Returns: nil when no arrival waits (idle replica, B = 1, no free slot ever).
  static func admissionWait(
    queue: QueueSolution, service: ReplicaServiceModel, perReplica: Double, arrivalVariability ca2: Double = 1
  ) -> WaitingTimeDistribution.AdmissionWait? {
    let lambda = queue.throughputPerSecond / perReplica
    guard lambda > 0 else { return nil }
    let slotWait = queue.waiting.probabilityOfWaiting * (1 - queue.blockingProbability)
    guard slotWait < 1 else { return nil }
    let busyFreeSlot = max(0, 1 - queue.probabilityEmpty - slotWait) / (1 - slotWait)
    guard busyFreeSlot > 1e-12 else { return nil }
    let p = service.prefillSeconds
    let p0 = service.admissionPrefillSeconds
    let batch = queue.meanBusyServers / perReplica
    let d = decodeStepSeconds(atMeanBatch: batch, table: service.decodeStepSecondsByBatch)
    let d0 = decodeStepSeconds(atMeanBatch: batch, table: service.admissionDecodeSecondsByBatch)
    let prefillLoad = lambda * p0  // < λ·p_occ < 1 in a stable replica
    guard prefillLoad < 1 else { return nil }
    let phi = min(1, prefillLoad / max(1 - queue.probabilityEmpty, 1e-300))
    let share = min(1, d0 / d)
    let residual = phi * p0 / 2 + (1 - phi) * share * d0 / 2
    let busyStage = phi + (1 - phi) * share
    guard busyStage > 0, residual > 0 else { return nil }
    // R, then the prompts ahead: R·λp₀/(1 − λp₀) for Poisson arrivals, times c_a² otherwise
    // (Kingman's / Allen–Cunneen's GI/G/1 scaling with deterministic prompts, c_s² = 0).
    let meanGivenBusy = (residual + ca2 * residual * prefillLoad / (1 - prefillLoad)) * (1 + lambda * p)
    // Given stage 0 is busy: the residual R (uniform over what runs), then the queued prompts.
    let prefillShare = phi / busyStage
    let residualGivenWait = residual / busyStage
    let queueGivenWait = meanGivenBusy / busyStage - residualGivenWait
    let queueProbability = queueGivenWait > 0 ? min(1, prefillLoad) : 0
    return WaitingTimeDistribution.AdmissionWait(
      probability: (1 - queue.waiting.probabilityOfWaiting) * busyFreeSlot * busyStage,
      prefillShare: prefillShare, prefillResidualSpanSeconds: p0, decodeResidualSpanSeconds: d0,
      queueProbability: queueProbability,
      queueMeanSeconds: queueProbability > 0 ? queueGivenWait / queueProbability : 0)
  }

  /// The wait before a request's prefill starts (for a batch slot, then for the engine), the
  /// distribution TTFT = wait + prefill is read from; for TTFT quantiles over a prompt mix.
  /// - Throws: as `queue`.
  public static func firstTokenWait(
    rateRequestsPerSecond lambda: Double, replicas: Int, router: RouterPolicy, service: ReplicaServiceModel,
    arrivals: ArrivalProcess = .poisson
  ) throws -> WaitingTimeDistribution {
    let queue = try queue(
      rateRequestsPerSecond: lambda, replicas: replicas, router: router, service: service, arrivals: arrivals)
    let perReplica = (router == .roundRobin || replicas == 1) ? 1 : Double(replicas)
    return queue.waiting.withAdmission(
      admissionWait(
        queue: queue, service: service.atRate(lambda / Double(replicas)), perReplica: perReplica,
        arrivalVariability: admissionArrivalVariability(arrivals, router: router, replicas: replicas)))
  }

  /// c_a²: squared coefficient of variation of the gaps between arrivals at one replica. Poisson
  /// 1, gamma cv², constant 0, a trace taken as Poisson; a round-robin router divides it by dp
  /// (each replica gets every dp-th arrival: a sum of dp gaps). Least-loaded routers are left
  /// as the stream's (conservative).
  static func admissionArrivalVariability(_ arrivals: ArrivalProcess, router: RouterPolicy, replicas: Int) -> Double {
    let stream: Double
    switch arrivals {
    case .poisson, .trace: stream = 1
    case .constant: stream = 0
    case .gamma(let cv): stream = cv * cv
    }
    return router == .roundRobin ? stream / Double(max(replicas, 1)) : stream
  }
}

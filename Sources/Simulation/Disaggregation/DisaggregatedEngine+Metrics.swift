import PlanCore

extension DisaggregatedEngine {
  /// Where request `i` ended, over both pools, and the times that define its latencies.
  struct Fate {
    var outcome: RequestOutcome
    var reason: RejectReason
    var firstToken: Double
    var finish: Double
    /// The replica index of `SimulationResult.replicas` it ended on (prefill instances first).
    var instance: Int
  }

  func fate(_ i: Int) -> Fate {
    let prefillInstance = Int(prefill.replicaOf[i])
    if prefill.state[i] == .rejected {
      return Fate(
        outcome: .rejected, reason: prefill.rejectReason[i], firstToken: -1, finish: prefill.finish[i],
        instance: prefillInstance)
    }
    if output[i] == 1 {
      let done = prefill.state[i] == .done
      return Fate(
        outcome: done ? .succeeded : .unfinished, reason: .none, firstToken: done ? prefill.firstToken[i] : -1,
        finish: done ? prefill.finish[i] : -1, instance: prefillInstance)
    }
    let decodeInstance = Int(decode.replicaOf[i])
    switch decode.state[i] {
    case .done:
      return Fate(
        outcome: .succeeded, reason: .none, firstToken: handoff[i], finish: decode.finish[i],
        instance: prefill.dp + decodeInstance)
    case .rejected:
      return Fate(
        outcome: .rejected, reason: decode.rejectReason[i], firstToken: handoff[i], finish: decode.finish[i],
        instance: prefill.dp + decodeInstance)
    default:
      return Fate(
        outcome: .unfinished, reason: .none, firstToken: handoff[i], finish: -1,
        instance: decodeInstance >= 0 ? prefill.dp + decodeInstance : prefillInstance)
    }
  }

  /// Classifies every request and summarises the run (definitions as in `SimulationResult`).
  func outcome() -> DisaggregatedOutcome {
    let n = arrival.count
    let slo = simulator.slo
    let record = simulator.options.recordRequests
    let instances = prefill.dp + decode.dp
    var arrived = 0
    var succeeded = 0
    var failed = 0
    var rejected = 0
    var unfinished = 0
    var warmup = 0
    var rejections = RejectionCounts()
    var completedPerInstance = [Int](repeating: 0, count: instances)
    var rejectedPerInstance = [Int](repeating: 0, count: instances)
    var ttft: [Double] = []
    var tpot: [Double] = []
    var e2e: [Double] = []
    var queueing: [Double] = []
    var inSystemArea = 0.0
    var records: [RequestRecord] = []
    var prefillInstance: [Int] = []
    var decodeInstance: [Int] = []
    var bytes: [Double] = []
    if record {
      records.reserveCapacity(n)
      prefillInstance.reserveCapacity(n)
      decodeInstance.reserveCapacity(n)
      bytes.reserveCapacity(n)
    }

    for i in 0..<n {
      let measured = arrival[i] >= windowStart
      var fate = fate(i)
      if fate.outcome == .succeeded, let slo {
        let firstTokenDelay = fate.firstToken - arrival[i]
        let perToken = output[i] >= 2 ? (fate.finish - fate.firstToken) / Double(output[i] - 1) : nil
        if !(firstTokenDelay <= slo.ttftSeconds && (perToken.map { $0 <= slo.tpotSeconds } ?? true)) {
          fate.outcome = .failedSLO
        }
      }
      // In the system from arrival to completion or rejection (or the end of the run).
      inSystemArea += overlap(arrival[i], fate.finish >= 0 ? fate.finish : .infinity, windowStart, windowEnd)
      if measured {
        arrived += 1
        switch fate.outcome {
        case .succeeded, .failedSLO:
          if fate.outcome == .succeeded { succeeded += 1 } else { failed += 1 }
          completedPerInstance[fate.instance] += 1
          e2e.append(fate.finish - arrival[i])
          if output[i] >= 2 { tpot.append((fate.finish - fate.firstToken) / Double(output[i] - 1)) }
        case .rejected:
          rejected += 1
          rejectedPerInstance[fate.instance] += 1
          switch fate.reason {
          case .queueFull: rejections.queueFull += 1
          case .timeout: rejections.timeout += 1
          case .tooLong, .none: rejections.tooLong += 1
          }
        case .unfinished: unfinished += 1
        }
        if fate.firstToken >= 0 { ttft.append(fate.firstToken - arrival[i]) }
        if prefill.firstScheduled[i] >= 0 { queueing.append(prefill.firstScheduled[i] - arrival[i]) }
      } else {
        warmup += 1
      }
      if record {
        let decoded = decode.replicaOf[i] >= 0
        records.append(
          RequestRecord(
            arrivalSeconds: arrival[i], promptTokens: Int(prompt[i]), outputTokens: Int(output[i]),
            generatedTokens: Int(decoded ? decode.generated[i] : prefill.generated[i]),
            replica: fate.instance, measured: measured, outcome: fate.outcome,
            firstScheduledSeconds: prefill.firstScheduled[i] >= 0 ? prefill.firstScheduled[i] : nil,
            firstTokenSeconds: fate.firstToken >= 0 ? fate.firstToken : nil,
            finishSeconds: fate.finish >= 0 ? fate.finish : nil,
            preemptions: Int(prefill.preemptCount[i] + decode.preemptCount[i]),
            iterations: Int(prefill.iterations[i] + decode.iterations[i]),
            stagePasses: simulator.options.checkInvariants
              ? Int(prefill.totalStagePasses[i] + decode.totalStagePasses[i]) : 0))
        prefillInstance.append(Int(prefill.replicaOf[i]))
        decodeInstance.append(Int(decode.replicaOf[i]))
        bytes.append(transferredBytes[i])
      }
    }

    let window = windowEnd - windowStart
    let hasWindow = window > 0
    func perSecond(_ count: Int) -> Double? { hasWindow ? Double(count) / window : nil }
    func results(_ engine: Engine, offset: Int) -> [ReplicaResult] {
      let capacity = Double(engine.config.kvCacheBlocks)
      return (0..<engine.dp).map { r in
        let replica = engine.replicas[r]
        return ReplicaResult(
          requests: replica.routedMeasured, completed: completedPerInstance[offset + r],
          rejected: rejectedPerInstance[offset + r], outputTokens: replica.windowTokens,
          preemptions: replica.windowPreemptions,
          stageBusyFraction: hasWindow ? replica.busySeconds.map { $0 / window } : nil,
          kvCacheUtilisation: hasWindow ? replica.kvArea / (capacity * window) : nil,
          peakKVCacheUtilisation: Double(replica.peakUsedBlocks) / capacity, peakRunningSequences: replica.peakRunning)
      }
    }
    let replicaResults = results(prefill, offset: 0) + results(decode, offset: prefill.dp)
    var stageBusy: [Double]?
    var kvUtilisation: Double?
    if hasWindow {
      stageBusy = (0..<max(prefill.pp, decode.pp)).map { s in
        let having = replicaResults.compactMap { $0.stageBusyFraction }.filter { $0.count > s }
        return having.reduce(0) { $0 + $1[s] } / Double(having.count)
      }
      kvUtilisation = replicaResults.reduce(0) { $0 + ($1.kvCacheUtilisation ?? 0) } / Double(instances)
    }
    let windowTokens = (prefill.replicas + decode.replicas).reduce(0) { $0 + $1.windowTokens }
    let result = SimulationResult(
      arrived: arrived, succeeded: succeeded, failedSLO: failed, rejected: rejected, unfinished: unfinished,
      warmupRequests: warmup, rejections: rejections,
      successRate: arrived > 0 ? Double(succeeded) / Double(arrived) : nil,
      goodputRequestsPerSecond: perSecond(succeeded), outputTokensPerSecond: perSecond(windowTokens),
      requestsPerSecond: perSecond(prefill.windowCompletions + decode.windowCompletions),
      arrivalRatePerSecond: perSecond(arrived), ttftSeconds: LatencySummary.of(&ttft),
      tpotSeconds: LatencySummary.of(&tpot), e2eSeconds: LatencySummary.of(&e2e),
      queueingDelaySeconds: LatencySummary.of(&queueing), replicas: replicaResults, stageBusyFraction: stageBusy,
      kvCacheUtilisation: kvUtilisation,
      peakKVCacheUtilisation: replicaResults.map(\.peakKVCacheUtilisation).max() ?? 0,
      preemptions: (prefill.replicas + decode.replicas).reduce(0) { $0 + $1.windowPreemptions },
      meanRequestsInSystem: hasWindow ? inSystemArea / window : nil, waitingAtWindowEnd: waitingAtWindowEnd ?? 0,
      totalOutputTokens: prefill.totalOutputTokens + decode.totalOutputTokens,
      events: events + prefill.events + decode.events, simulatedSeconds: now, windowStartSeconds: windowStart,
      windowSeconds: max(window, 0))
    return DisaggregatedOutcome(
      result: result, requests: records, prefillInstance: prefillInstance, decodeInstance: decodeInstance,
      transferredBytes: bytes, transfers: transfers, totalTransferredBytes: totalTransferredBytes, handoffs: handoffs,
      stagePassChecks: prefill.stagePassChecks + decode.stagePassChecks, kvChecks: prefill.kvChecks + decode.kvChecks,
      conservationChecks: conservationChecks)
  }
}

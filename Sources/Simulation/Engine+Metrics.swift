import PlanCore

extension Engine {
  /// Classifies every request and summarises the run (see `SimulationResult` for definitions).
  func outcome() -> SimulationOutcome {
    let n = arrival.count
    var arrived = 0
    var succeeded = 0
    var failed = 0
    var rejected = 0
    var unfinished = 0
    var warmup = 0
    var rejections = RejectionCounts()
    var completedPerReplica = [Int](repeating: 0, count: dp)
    var rejectedPerReplica = [Int](repeating: 0, count: dp)
    var ttft: [Double] = []
    var tpot: [Double] = []
    var e2e: [Double] = []
    var queueing: [Double] = []
    ttft.reserveCapacity(n)
    tpot.reserveCapacity(n)
    e2e.reserveCapacity(n)
    queueing.reserveCapacity(n)
    var records: [RequestRecord] = []
    if options.recordRequests { records.reserveCapacity(n) }

    for i in 0..<n {
      let measured = arrival[i] >= windowStart
      let outcome: RequestOutcome
      switch state[i] {
      case .done:
        let firstTokenDelay = firstToken[i] - arrival[i]
        let perToken = output[i] >= 2 ? (finish[i] - firstToken[i]) / Double(output[i] - 1) : nil
        var meets = true
        if let slo {
          meets = firstTokenDelay <= slo.ttftSeconds && (perToken.map { $0 <= slo.tpotSeconds } ?? true)
        }
        outcome = meets ? .succeeded : .failedSLO
        if measured {
          e2e.append(finish[i] - arrival[i])
          if let perToken { tpot.append(perToken) }
        }
      case .rejected: outcome = .rejected
      default: outcome = .unfinished
      }
      if measured {
        arrived += 1
        let r = Int(replicaOf[i])
        switch outcome {
        case .succeeded:
          succeeded += 1
          completedPerReplica[r] += 1
        case .failedSLO:
          failed += 1
          completedPerReplica[r] += 1
        case .rejected:
          rejected += 1
          rejectedPerReplica[r] += 1
          switch rejectReason[i] {
          case .queueFull: rejections.queueFull += 1
          case .timeout: rejections.timeout += 1
          case .tooLong, .none: rejections.tooLong += 1
          }
        case .unfinished: unfinished += 1
        }
        if firstToken[i] >= 0 { ttft.append(firstToken[i] - arrival[i]) }
        if firstScheduled[i] >= 0 { queueing.append(firstScheduled[i] - arrival[i]) }
      } else {
        warmup += 1
      }
      if options.recordRequests {
        records.append(
          RequestRecord(
            arrivalSeconds: arrival[i], promptTokens: Int(prompt[i]), outputTokens: Int(output[i]),
            generatedTokens: Int(generated[i]), replica: Int(replicaOf[i]), measured: measured, outcome: outcome,
            firstScheduledSeconds: firstScheduled[i] >= 0 ? firstScheduled[i] : nil,
            firstTokenSeconds: firstToken[i] >= 0 ? firstToken[i] : nil,
            finishSeconds: finish[i] >= 0 ? finish[i] : nil, preemptions: Int(preemptCount[i]),
            iterations: Int(iterations[i]), stagePasses: options.checkInvariants ? Int(totalStagePasses[i]) : 0))
      }
    }

    let window = windowEnd - windowStart
    let hasWindow = window > 0
    func perSecond(_ count: Int) -> Double? { hasWindow ? Double(count) / window : nil }
    let capacity = Double(config.kvCacheBlocks)
    let replicaResults = (0..<dp).map { r in
      let replica = replicas[r]
      return ReplicaResult(
        requests: replica.routedMeasured, completed: completedPerReplica[r], rejected: rejectedPerReplica[r],
        outputTokens: replica.windowTokens, preemptions: replica.windowPreemptions,
        stageBusyFraction: hasWindow ? replica.busySeconds.map { $0 / window } : nil,
        kvCacheUtilisation: hasWindow ? replica.kvArea / (capacity * window) : nil,
        peakKVCacheUtilisation: Double(replica.peakUsedBlocks) / capacity, peakRunningSequences: replica.peakRunning)
    }
    var stageBusy: [Double]?
    var kvUtilisation: Double?
    if hasWindow {
      stageBusy = (0..<pp).map { s in replicaResults.reduce(0) { $0 + ($1.stageBusyFraction?[s] ?? 0) } / Double(dp) }
      kvUtilisation = replicaResults.reduce(0) { $0 + ($1.kvCacheUtilisation ?? 0) } / Double(dp)
    }

    let result = SimulationResult(
      arrived: arrived, succeeded: succeeded, failedSLO: failed, rejected: rejected, unfinished: unfinished,
      warmupRequests: warmup, rejections: rejections,
      successRate: arrived > 0 ? Double(succeeded) / Double(arrived) : nil,
      goodputRequestsPerSecond: perSecond(succeeded),
      outputTokensPerSecond: perSecond(replicas.reduce(0) { $0 + $1.windowTokens }),
      requestsPerSecond: perSecond(windowCompletions), arrivalRatePerSecond: perSecond(arrived),
      ttftSeconds: LatencySummary.of(&ttft), tpotSeconds: LatencySummary.of(&tpot),
      e2eSeconds: LatencySummary.of(&e2e), queueingDelaySeconds: LatencySummary.of(&queueing),
      replicas: replicaResults, stageBusyFraction: stageBusy, kvCacheUtilisation: kvUtilisation,
      peakKVCacheUtilisation: replicaResults.map(\.peakKVCacheUtilisation).max() ?? 0,
      preemptions: replicas.reduce(0) { $0 + $1.windowPreemptions },
      meanRequestsInSystem: hasWindow ? inSystemArea / window : nil,
      waitingAtWindowEnd: waitingAtWindowEnd ?? 0, totalOutputTokens: totalOutputTokens, events: events,
      simulatedSeconds: now, windowStartSeconds: windowStart, windowSeconds: max(window, 0))
    return SimulationOutcome(
      result: result, requests: records, stagePassChecks: stagePassChecks, kvChecks: kvChecks,
      blockCountChecks: blockCountChecks, launchOrderChecks: launchOrderChecks)
  }
}

import Analytic
import PlanCore

/// The event loop of a disaggregated run: two `Engine`s (the prefill pool and the decode pool,
/// each with its own replicas, scheduler, KV cache and event heap) on one clock, the arrivals,
/// and the KV transfers between them on the route's links (processor sharing, `ContentionState`).
///
/// At equal times: the prefill pool's events, then the decode pool's, then transfer
/// completions, then arrivals; once every event of an instant has run, what they handed over
/// (prefills that ended, decode admissions, transfers of zero seconds) is passed on together,
/// and the replicas touched are scheduled once. Deterministic for given inputs.
struct DisaggregatedEngine {
  let simulator: DisaggregatedSimulator
  let kvLinks: SharedLinks
  let endTime: Double
  let windowStart: Double
  let windowEnd: Double

  var prefill: Engine
  var decode: Engine

  // Per request.
  let arrival: [Double]
  let prompt: [Int32]
  let output: [Int32]
  /// Time the first token was delivered (end of the KV transfer, or of the prefill for a
  /// one-token output); −1: not yet.
  var handoff: [Double]
  /// End of the prefill (the engine's own first token) and the seconds of its last prefill
  /// iteration; −1: not yet.
  var prefillEnd: [Double]
  var prefillIterationSeconds: [Double]
  /// Decode admission time (the transfer starts); −1: not yet.
  var pullStart: [Double]
  var transferredBytes: [Double]

  // Transfers.
  var contention: ContentionState
  /// When the next transfer ends (∞: none in progress); updated on every change.
  var transferDue = Double.infinity
  var finishedScratch = ContiguousArray<ContentionState.Transfer>()
  var touchedPrefill: [Bool]
  var touchedDecode: [Bool]

  // Clock and counters.
  var now = 0.0
  var events = 0
  var transfers = 0
  var handoffs = 0
  var totalTransferredBytes = 0.0
  var stoppedByLimit = false
  var waitingAtWindowEnd: Int?
  var conservationChecks = 0

  init(simulator: DisaggregatedSimulator, requests: SampledRequests) {
    self.simulator = simulator
    let workload = simulator.workload
    let layout = simulator.layout
    prefill = Engine(
      requests: requests, layout: layout.prefill, timings: simulator.prefillTimings,
      config: simulator.prefillScheduler, router: simulator.router, slo: simulator.slo, options: simulator.options,
      links: simulator.prefillLinks, warmupSeconds: workload.warmupSeconds, drainSeconds: workload.drainSeconds,
      role: .prefill)
    decode = Engine(
      requests: requests, layout: layout.decode, timings: simulator.decodeTimings,
      config: simulator.decodeScheduler, router: simulator.router, slo: simulator.slo, options: simulator.options,
      links: simulator.decodeLinks, warmupSeconds: workload.warmupSeconds, drainSeconds: workload.drainSeconds,
      role: .decode)
    endTime = prefill.endTime
    windowStart = prefill.windowStart
    windowEnd = prefill.windowEnd
    let n = requests.count
    arrival = requests.arrivalSeconds
    prompt = requests.promptTokens
    output = requests.outputTokens
    handoff = Array(repeating: -1, count: n)
    prefillEnd = Array(repeating: -1, count: n)
    prefillIterationSeconds = Array(repeating: 0, count: n)
    pullStart = Array(repeating: -1, count: n)
    transferredBytes = Array(repeating: 0, count: n)
    let route = simulator.transfer
    kvLinks = SharedLinks(
      resources: (0..<route.prefillInstances).map { i in
        (0..<route.decodeInstances).map { j in route.path(from: i, to: j).links }
      }, sharedCount: route.linkNames.count, sharedNames: route.linkNames)
    contention = ContentionState(sharedCount: route.linkNames.count, capacity: 64)
    touchedPrefill = Array(repeating: false, count: layout.prefill.dp)
    touchedDecode = Array(repeating: false, count: layout.decode.dp)
  }

  // MARK: Event loop

  mutating func run(progress: ((Double) -> Void)?) throws {
    let n = arrival.count
    var nextArrival = 0
    let interval = max(simulator.options.progressInterval, 1)
    while true {
      let arrivalTime = nextArrival < n ? arrival[nextArrival] : Double.infinity
      let prefillTime = prefill.nextEventTime ?? .infinity
      let decodeTime = decode.nextEventTime ?? .infinity
      let transferTime = transferDue
      let eventTime = min(prefillTime, decodeTime, transferTime)
      if (!prefill.handoffs.isEmpty || !decode.pulls.isEmpty) && min(eventTime, arrivalTime) > now {
        // Everything at this instant has run: hand over what it made due, together.
        try passOn()
        continue
      }
      if eventTime <= arrivalTime && eventTime < .infinity {
        if eventTime > endTime {
          stoppedByLimit = true
          break
        }
        snapshotWindowEnd(before: eventTime)
        now = max(now, eventTime)
        if prefillTime == eventTime {
          try prefill.processNextEvent()
        } else if decodeTime == eventTime {
          try decode.processNextEvent()
        } else {
          events += 1
          try finishTransfers()
        }
      } else if nextArrival < n {
        snapshotWindowEnd(before: arrivalTime)
        now = arrivalTime
        events += 1
        try arrive(nextArrival)
        nextArrival += 1
        if let progress, nextArrival % interval == 0 { progress(Double(nextArrival) / Double(n)) }
      } else {
        break
      }
    }
    snapshotWindowEnd(before: .infinity)
    let stopTime = stoppedByLimit ? endTime : now
    prefill.close(at: stopTime)
    decode.close(at: stopTime)
    now = stopTime
    if simulator.options.checkInvariants { try checkConservation() }
    progress?(1)
  }

  private mutating func snapshotWindowEnd(before time: Double) {
    if waitingAtWindowEnd == nil && time > windowEnd {
      waitingAtWindowEnd = prefill.waitingCount + decode.waitingCount
    }
  }

  // MARK: Arrivals and routing

  private mutating func arrive(_ i: Int) throws {
    prefill.now = now
    let r = routePrefill()
    let p = Int(prompt[i])
    let o = Int(output[i])
    if o >= 2 && decode.blocksFor(p + o - 1) > simulator.decodeScheduler.kvCacheBlocks {
      prefill.rejectTooLong(i, at: r)
      return
    }
    try prefill.arrive(i, at: r)
  }

  private mutating func routePrefill() -> Int {
    guard simulator.router == .leastOutstanding else { return prefill.route() }
    var best = 0
    var bestLoad = Int.max
    for r in 0..<prefill.dp {
      let load = prefill.outstandingPrefillTokens(r)
      if load < bestLoad {
        best = r
        bestLoad = load
      }
    }
    return best
  }

  // MARK: Handoffs and transfers

  /// Passes on what the last event made due: ended prefills go to a decode queue, decode
  /// admissions start their transfers, instant transfers end; the replicas touched are
  /// scheduled once everything due now is handed over; repeated until nothing is left.
  private mutating func passOn() throws {
    while !prefill.handoffs.isEmpty || !decode.pulls.isEmpty {
      if !prefill.handoffs.isEmpty {
        decode.now = now
        for (index, request) in prefill.handoffs.enumerated() {
          let i = Int(request)
          prefillEnd[i] = now
          prefillIterationSeconds[i] = prefill.handoffIterationSeconds[index]
          let j = decode.route()
          decode.enqueuePrefilled(i, at: j)
          touchedDecode[j] = true
          handoffs += 1
        }
        prefill.handoffs.removeAll(keepingCapacity: true)
        prefill.handoffIterationSeconds.removeAll(keepingCapacity: true)
        try scheduleTouched()
      }
      if !decode.pulls.isEmpty {
        var instant: [Int32] = []
        contention.advance(to: now)
        var started = false
        for request in decode.pulls {
          let i = Int(request)
          pullStart[i] = now
          let seconds = transferSeconds(i)
          guard seconds.isFinite, seconds >= 0 else {
            throw SimulationError.invalidConfiguration(
              "KV transfer of request \(i) (\(prompt[i]) tokens) would take \(seconds) s")
          }
          if seconds == 0 {
            instant.append(request)
            continue
          }
          let from = Int(prefill.replicaOf[i])
          let to = Int(decode.replicaOf[i])
          contention.transfers.append(
            .init(replica: Int32(from), slot: request, boundary: Int32(to), remaining: seconds, rate: 1))
          for resource in kvLinks.resources[from][to] { contention.users[Int(resource)] += 1 }
          started = true
        }
        decode.pulls.removeAll(keepingCapacity: true)
        if started {
          contention.recomputeRates(kvLinks)
          transferDue = contention.nextCompletion() ?? .infinity
        }
        for request in instant { try completeTransfer(Int(request)) }
        try scheduleTouched()
      }
    }
  }

  /// Seconds of request `i`'s KV transfer at full speed, from its decode admission.
  private func transferSeconds(_ i: Int) -> Double {
    let from = Int(prefill.replicaOf[i])
    let to = Int(decode.replicaOf[i])
    let path = simulator.transfer.path(from: from, to: to)
    let bytes = Double(prompt[i]) * simulator.kvBytesPerToken
    let sending = bytes / path.bytesPerSecond
    guard simulator.layerwiseOverlap, pullStart[i] == prefillEnd[i], simulator.layers > 1 else {
      return path.latencySeconds + sending
    }
    let layers = Double(simulator.layers)
    let overlapped = (layers - 1) / layers * prefillIterationSeconds[i]
    return path.latencySeconds + max(sending / layers, sending - overlapped)
  }

  private mutating func completeTransfer(_ i: Int) throws {
    transfers += 1
    let bytes = Double(prompt[i]) * simulator.kvBytesPerToken
    transferredBytes[i] = bytes
    totalTransferredBytes += bytes
    handoff[i] = now
    prefill.now = now
    decode.now = now
    try prefill.releaseHeld(i)
    try decode.kvArrived(i)
    touchedPrefill[Int(prefill.replicaOf[i])] = true
    touchedDecode[Int(decode.replicaOf[i])] = true
  }

  private mutating func finishTransfers() throws {
    var finished = ContiguousArray<ContentionState.Transfer>()
    swap(&finished, &finishedScratch)
    contention.completeTransfers(at: now, links: kvLinks, into: &finished)
    transferDue = contention.nextCompletion() ?? .infinity
    for transfer in finished { try completeTransfer(Int(transfer.slot)) }
    finished.removeAll(keepingCapacity: true)
    swap(&finished, &finishedScratch)
    try scheduleTouched()
  }

  private mutating func scheduleTouched() throws {
    prefill.now = now
    decode.now = now
    for r in touchedPrefill.indices where touchedPrefill[r] {
      touchedPrefill[r] = false
      try prefill.trySchedule(r)
    }
    for r in touchedDecode.indices where touchedDecode[r] {
      touchedDecode[r] = false
      try decode.trySchedule(r)
    }
  }
}

import Analytic
import Collections
import PlanCore

/// Life-cycle of a request inside the engine.
enum RequestState: UInt8 {
  case pending, waiting
  /// Admitted (holds KV blocks), not in a micro-batch now.
  case idle
  /// In a micro-batch that has not left the last stage.
  case inFlight
  case done, rejected
  /// Prefill pool of a disaggregated run: prefilled, KV blocks kept until the KV transfer to
  /// a decode instance ends.
  case held
  /// Decode pool of a disaggregated run: admitted (KV blocks reserved), its KV still arriving.
  case pulling
}

/// What an engine serves: everything (an aggregated replica set), or one pool of a
/// disaggregated deployment (`DisaggregatedEngine` drives two engines).
enum EngineRole: UInt8 {
  case aggregated
  /// Prompts only: a sequence whose prefill ends is `held` and listed in `handoffs`.
  case prefill
  /// Decodes of requests prefilled elsewhere, queued by `enqueuePrefilled`; admission lists
  /// them in `pulls` (preempted ones recompute here as usual).
  case decode
}

enum RejectReason: UInt8 { case none, queueFull, timeout, tooLong }

/// Scheduler and pipeline state of one DP replica.
struct ReplicaState {
  /// FCFS queue of requests not admitted; preempted requests go back to its front.
  var waiting = Deque<Int32>()
  /// KV blocks the requests in `waiting` need to be admitted (least-KV-load routing).
  var waitingBlocks = 0
  /// Admitted requests, in admission order (the most recently admitted is preempted first).
  var running = ContiguousArray<Int32>()
  var freeBlocks: Int
  var inFlight = 0
  var launched = 0
  var stageBusy: [Bool]
  /// Per stage, the launch order of the micro-batch allowed to start there next: micro-batches
  /// pass every stage in launch order.
  var nextOrder: [Int]
  var busySeconds: [Double]
  var kvArea = 0.0
  var kvLast = 0.0
  var peakUsedBlocks = 0
  /// Most requests admitted (holding KV blocks) at once.
  var peakRunning = 0
  var hasFinished = false
  /// Prefill role: KV blocks of requests whose prefill ended, kept until their transfer ends.
  /// Such requests leave `running` (vLLM frees the request and delays only its blocks).
  var heldBlocks = 0
  var routedMeasured = 0
  var windowTokens = 0
  var windowPreemptions = 0

  init(blocks: Int, stages: Int, maxNumSeqs: Int) {
    freeBlocks = blocks
    stageBusy = Array(repeating: false, count: stages)
    nextOrder = Array(repeating: 0, count: stages)
    busySeconds = Array(repeating: 0, count: stages)
    running.reserveCapacity(maxNumSeqs)
  }
}

/// One micro-batch slot (each replica has PP of them).
struct MicroBatch {
  var sequences = ContiguousArray<Int32>()
  var shape = BatchShape()
  var order = 0
  var inUse = false
  /// The stage it has reached and waits to start on, or −1.
  var waitingAtStage = -1
  /// When it started on stage 0.
  var launchTime = 0.0
}

/// The discrete-event engine. A value type with its state in flat arrays (struct of arrays
/// per request, preallocated), so the event loop allocates nothing per event in steady state.
struct Engine {
  // Inputs.
  let pp: Int
  let dp: Int
  let timings: [any IterationTiming]
  let config: SchedulerConfig
  let blockSize: Int32
  let router: RouterPolicy
  let slo: SLO?
  let options: SimulationOptions
  let links: SharedLinks
  let windowStart: Double
  let windowEnd: Double
  let endTime: Double
  let role: EngineRole

  // Requests (struct of arrays).
  let arrival: [Double]
  let prompt: [Int32]
  let output: [Int32]
  var replicaOf: [Int32]
  var computed: [Int32]
  var generated: [Int32]
  var blocks: [Int32]
  var scheduled: [Int32]
  var state: [RequestState]
  var rejectReason: [RejectReason]
  var firstScheduled: [Double]
  var firstToken: [Double]
  var finish: [Double]
  var preemptCount: [Int32]
  var iterations: [Int32]
  var stagePasses: [Int32]
  var totalStagePasses: [Int32]

  // Cluster.
  var replicas: [ReplicaState]
  var slots: [MicroBatch]
  var heap: Heap<Event>
  var contention: ContentionState
  var finishedScratch = ContiguousArray<ContentionState.Transfer>()
  var sequenceCounter: UInt64 = 0
  var roundRobinNext = 0

  // Clock and counters.
  var now = 0.0
  var events = 0
  var totalOutputTokens = 0
  var windowCompletions = 0
  var inSystem = 0
  var inSystemArea = 0.0
  var inSystemLast = 0.0
  var waitingAtWindowEnd: Int?
  var stoppedByLimit = false
  var stagePassChecks = 0
  var kvChecks = 0
  /// Checking mode only (empty otherwise): tokens each sequence was last admitted with
  /// (prompt + tokens generated before a preemption), whose KV blocks admission reserves.
  var admittedTokens: [Int32]
  /// Checking mode only (empty otherwise): micro-batches started so far on each stage, per
  /// replica (index replica × PP + stage).
  var stageStarts: [Int]
  var blockCountChecks = 0
  var launchOrderChecks = 0
  /// Prefill role: requests whose prefill ended since the driver last emptied this, with the
  /// seconds of their last prefill iteration (launch to leaving the last stage).
  var handoffs = ContiguousArray<Int32>()
  var handoffIterationSeconds = ContiguousArray<Double>()
  /// Decode role: requests admitted since the driver last emptied this, whose KV is to be pulled.
  var pulls = ContiguousArray<Int32>()

  init(
    requests: SampledRequests, layout: Layout, timings: [any IterationTiming], config: SchedulerConfig,
    router: RouterPolicy, slo: SLO?, options: SimulationOptions, links: SharedLinks, warmupSeconds: Double,
    drainSeconds: Double, role: EngineRole = .aggregated
  ) {
    self.role = role
    pp = layout.pp
    dp = layout.dp
    self.timings = timings
    self.config = config
    blockSize = Int32(config.blockSizeTokens)
    self.router = router
    self.slo = slo
    self.options = options
    self.links = links
    let n = requests.count
    endTime = n > 0 ? requests.arrivalSeconds[n - 1] + drainSeconds : requests.windowEndSeconds
    windowStart = warmupSeconds
    windowEnd = max(min(requests.windowEndSeconds, endTime), warmupSeconds)
    arrival = requests.arrivalSeconds
    prompt = requests.promptTokens
    output = requests.outputTokens
    replicaOf = Array(repeating: -1, count: n)
    computed = Array(repeating: 0, count: n)
    generated = Array(repeating: 0, count: n)
    blocks = Array(repeating: 0, count: n)
    scheduled = Array(repeating: 0, count: n)
    state = Array(repeating: .pending, count: n)
    rejectReason = Array(repeating: .none, count: n)
    firstScheduled = Array(repeating: -1, count: n)
    firstToken = Array(repeating: -1, count: n)
    finish = Array(repeating: -1, count: n)
    preemptCount = Array(repeating: 0, count: n)
    iterations = Array(repeating: 0, count: n)
    stagePasses = options.checkInvariants ? Array(repeating: 0, count: n) : []
    totalStagePasses = options.checkInvariants ? Array(repeating: 0, count: n) : []
    admittedTokens = options.checkInvariants ? Array(repeating: 0, count: n) : []
    stageStarts = options.checkInvariants ? Array(repeating: 0, count: layout.dp * layout.pp) : []
    replicas = (0..<layout.dp).map { _ in
      ReplicaState(blocks: config.kvCacheBlocks, stages: layout.pp, maxNumSeqs: config.maxNumSeqs)
    }
    var slot = MicroBatch()
    slot.sequences.reserveCapacity(min(config.maxNumSeqs, 4096))
    slots = Array(repeating: slot, count: layout.dp * layout.pp)
    // Arrays in `slots` share one buffer until first written; give each its own now.
    for index in slots.indices {
      slots[index].sequences = ContiguousArray(); slots[index].sequences.reserveCapacity(min(config.maxNumSeqs, 4096))
    }
    heap = Heap(minimumCapacity: 4 * layout.dp * layout.pp + 16)
    contention = ContentionState(sharedCount: links.sharedCount, capacity: layout.dp * layout.pp)
  }

  // MARK: Event loop

  mutating func run(progress: ((Double) -> Void)?) throws {
    let n = arrival.count
    var nextArrival = 0
    let interval = max(options.progressInterval, 1)
    while true {
      let arrivalTime = nextArrival < n ? arrival[nextArrival] : Double.infinity
      // Equal times: timed events (which may free capacity) before the arrival.
      if let top = heap.min, top.time <= arrivalTime {
        if top.time > endTime {
          stoppedByLimit = true
          break
        }
        snapshotWindowEnd(before: top.time)
        heap.removeMin()
        now = top.time
        try handle(top)
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
    close(at: stoppedByLimit ? endTime : now)
    progress?(1)
  }

  /// Ends the run at `stopTime`: rejects the waiting requests whose queue timeout passed
  /// before it, and closes the in-system and KV-use integrals.
  mutating func close(at stopTime: Double) {
    // Requests still waiting whose timeout passed before the end are rejected at that moment.
    if let timeout = config.queueTimeoutSeconds {
      for r in 0..<dp {
        var kept = Deque<Int32>()
        for request in replicas[r].waiting {
          let i = Int(request)
          let expiry = arrival[i] + timeout
          if firstScheduled[i] < 0 && expiry < stopTime {
            reject(i, .timeout, at: expiry)
          } else {
            kept.append(request)
          }
        }
        replicas[r].waiting = kept
      }
    }
    now = stopTime
    advanceInSystem(to: windowEnd)
    for r in 0..<dp { touchKV(r, at: max(stopTime, windowEnd)) }
  }

  private mutating func snapshotWindowEnd(before time: Double) {
    if waitingAtWindowEnd == nil && time > windowEnd {
      waitingAtWindowEnd = replicas.reduce(0) { $0 + $1.waiting.count }
    }
  }

  mutating func handle(_ event: Event) throws {
    let r = Int(event.replica)
    switch event.kind {
    case .stageDone:
      events += 1
      try stageDone(r, slot: Int(event.slot), stage: Int(event.stage))
    case .transferDone:
      events += 1
      try arriveAtStage(r, slot: Int(event.slot), stage: Int(event.stage) + 1)
    case .contentionCheck:
      guard event.version == contention.version else { return }  // superseded
      events += 1
      try finishContendedTransfers()
    }
  }

  @inline(__always)
  private mutating func push(
    _ kind: EventKind, at time: Double, replica: Int, slot: Int, stage: Int, version: UInt64 = 0
  ) {
    sequenceCounter += 1
    heap.insert(
      Event(
        time: time, sequence: sequenceCounter, kind: kind, replica: Int32(replica), slot: Int32(slot),
        stage: Int32(stage), version: version))
  }

  // MARK: Arrivals and routing

  /// Request `i` arrives now; routed by `router`, or to replica `chosen` when given.
  mutating func arrive(_ i: Int, at chosen: Int? = nil) throws {
    advanceInSystem(to: now)
    inSystem += 1
    let r: Int
    if let chosen { r = chosen } else { r = route() }
    replicaOf[i] = Int32(r)
    if arrival[i] >= windowStart { replicas[r].routedMeasured += 1 }
    let p = Int(prompt[i])
    let o = Int(output[i])
    // The longest the sequence's cache gets: prompt + output − 1 tokens (the last token is
    // never fed back).
    // A prefill instance keeps the prompt's KV only.
    let longest = role == .prefill ? p : p + o - 1
    if blocksFor(longest) > config.kvCacheBlocks || (!config.chunkedPrefill && p > config.maxNumBatchedTokens) {
      reject(i, .tooLong, at: now)
      return
    }
    if let cap = config.waitingQueueCap, replicas[r].waiting.count >= cap {
      reject(i, .queueFull, at: now)
      return
    }
    state[i] = .waiting
    replicas[r].waiting.append(Int32(i))
    replicas[r].waitingBlocks += blocksFor(p)
    try trySchedule(r)
  }

  mutating func route() -> Int {
    switch router {
    case .roundRobin:
      let r = roundRobinNext
      roundRobinNext = (roundRobinNext + 1) % dp
      return r
    case .leastOutstanding:
      var best = 0
      var bestLoad = Int.max
      for r in 0..<dp {
        let load = replicas[r].waiting.count + replicas[r].running.count
        if load < bestLoad {
          best = r
          bestLoad = load
        }
      }
      return best
    case .leastKVLoad:
      var best = 0
      var bestLoad = Int.max
      for r in 0..<dp {
        let load = config.kvCacheBlocks - replicas[r].freeBlocks + replicas[r].waitingBlocks
        if load < bestLoad {
          best = r
          bestLoad = load
        }
      }
      return best
    }
  }

  @inline(__always)
  func blocksFor(_ tokens: Int) -> Int { (tokens + Int(blockSize) - 1) / Int(blockSize) }

  /// Marks request `i` rejected at time `time` (≤ now: a timeout found late is dated exactly).
  mutating func reject(_ i: Int, _ reason: RejectReason, at time: Double) {
    advanceInSystem(to: now)
    state[i] = .rejected
    rejectReason[i] = reason
    finish[i] = time
    inSystem -= 1
    // It was counted in the system from `time` to now by mistake: take that back.
    inSystemArea -= overlap(time, now, windowStart, windowEnd)
  }

  @inline(__always)
  private mutating func advanceInSystem(to time: Double) {
    if time > inSystemLast {
      inSystemArea += Double(inSystem) * overlap(inSystemLast, time, windowStart, windowEnd)
      inSystemLast = time
    }
  }

  @inline(__always)
  mutating func touchKV(_ r: Int, at time: Double) {
    let used = config.kvCacheBlocks - replicas[r].freeBlocks
    let last = replicas[r].kvLast
    if time > last {
      replicas[r].kvArea += Double(used) * overlap(last, time, windowStart, windowEnd)
      replicas[r].kvLast = time
    }
  }

  // MARK: Scheduling (vLLM-like)

  /// Launches a micro-batch on replica `r` if stage 0 is free, fewer than PP micro-batches are
  /// in flight, and there is work.
  mutating func trySchedule(_ r: Int) throws {
    guard !replicas[r].stageBusy[0], replicas[r].inFlight < pp else { return }
    var slotIndex = -1
    for k in 0..<pp where !slots[r * pp + k].inUse {
      slotIndex = r * pp + k
      break
    }
    guard slotIndex >= 0 else { return }
    touchKV(r, at: now)

    var running = ContiguousArray<Int32>()
    var waiting = Deque<Int32>()
    var batch = ContiguousArray<Int32>()
    swap(&running, &replicas[r].running)
    swap(&waiting, &replicas[r].waiting)
    swap(&batch, &slots[slotIndex].sequences)
    var freeBlocks = replicas[r].freeBlocks
    var waitingBlocks = replicas[r].waitingBlocks
    var preemptions = 0
    var shape = BatchShape()

    if replicas[r].hasFinished {
      // Drop completed (and, prefill role, held) sequences, keeping admission order.
      var kept = 0
      for index in running.indices {
        let sequenceState = state[Int(running[index])]
        guard sequenceState != .done && sequenceState != .held else { continue }
        running[kept] = running[index]
        kept += 1
      }
      running.removeLast(running.count - kept)
      replicas[r].hasFinished = false
    }

    var budget = config.maxNumBatchedTokens
    let chunked = config.chunkedPrefill

    /// Decodes (one token each) of idle admitted sequences, in admission order, allocating a
    /// block when a sequence's cache crosses a block boundary and preempting the most recently
    /// admitted idle sequence (possibly itself) by recompute when none is free.
    func scheduleDecodes(_ engine: inout Engine) {
      var i = 0
      while i < running.count && budget > 0 {
        let s = Int(running[i])
        guard engine.state[s] == .idle else {
          i += 1
          continue
        }
        let c = engine.computed[s]
        if chunked && (c == 0 || engine.prompt[s] + engine.generated[s] - c != 1) {
          i += 1  // still prefilling: handled with the chunks
          continue
        }
        if c + 1 > engine.blocks[s] * engine.blockSize {
          var preemptedSelf = false
          while freeBlocks == 0 {
            var j = running.count - 1
            while j > i && engine.state[Int(running[j])] != .idle { j -= 1 }
            let victim = Int(running[j])
            running.remove(at: j)
            freeBlocks += Int(engine.blocks[victim])
            engine.blocks[victim] = 0
            engine.computed[victim] = 0
            engine.state[victim] = .waiting
            engine.preemptCount[victim] += 1
            waiting.prepend(Int32(victim))
            waitingBlocks += engine.blocksFor(Int(engine.prompt[victim] + engine.generated[victim]))
            preemptions += 1
            if j == i {
              preemptedSelf = true
              break
            }
          }
          if preemptedSelf { continue }
          freeBlocks -= 1
          engine.blocks[s] += 1
        }
        engine.state[s] = .inFlight
        engine.scheduled[s] = 1
        shape.addDecode(context: Int(c) + 1)
        batch.append(Int32(s))
        budget -= 1
        i += 1
      }
    }

    /// Admits waiting requests in FCFS order while the head fits (sequence slots, token
    /// budget, KV blocks for its whole prompt); expired and impossible ones are rejected.
    func admit(_ engine: inout Engine) {
      while let head = waiting.first {
        let h = Int(head)
        if engine.role == .decode && engine.computed[h] > 0 {
          // Prefilled elsewhere: reserve blocks for its prompt's KV, which is then pulled.
          guard running.count < engine.config.maxNumSeqs else { break }
          let needBlocks = engine.blocksFor(Int(engine.computed[h]))
          guard needBlocks <= freeBlocks else { break }
          waiting.removeFirst()
          waitingBlocks -= needBlocks
          freeBlocks -= needBlocks
          engine.blocks[h] = Int32(needBlocks)
          if engine.options.checkInvariants { engine.admittedTokens[h] = engine.computed[h] }
          running.append(head)
          engine.state[h] = .pulling
          engine.pulls.append(head)
          continue
        }
        if let timeout = engine.config.queueTimeoutSeconds, engine.firstScheduled[h] < 0,
          engine.now - engine.arrival[h] > timeout
        {
          waiting.removeFirst()
          waitingBlocks -= engine.blocksFor(Int(engine.prompt[h]))
          engine.reject(h, .timeout, at: engine.arrival[h] + timeout)
          continue
        }
        let need = Int(engine.prompt[h] + engine.generated[h])
        if !chunked && need > engine.config.maxNumBatchedTokens {
          // A preempted request whose recompute no longer fits one batch (vLLM ignores it).
          waiting.removeFirst()
          waitingBlocks -= engine.blocksFor(need)
          engine.reject(h, .tooLong, at: engine.now)
          continue
        }
        guard running.count < engine.config.maxNumSeqs, budget > 0, chunked || need <= budget else { break }
        let needBlocks = engine.blocksFor(need)
        guard needBlocks <= freeBlocks else { break }
        waiting.removeFirst()
        waitingBlocks -= needBlocks
        freeBlocks -= needBlocks
        engine.blocks[h] = Int32(needBlocks)
        if engine.options.checkInvariants { engine.admittedTokens[h] = engine.prompt[h] + engine.generated[h] }
        running.append(head)
        if engine.firstScheduled[h] < 0 { engine.firstScheduled[h] = engine.now }
        let chunk = min(need, budget)
        engine.state[h] = .inFlight
        engine.scheduled[h] = Int32(chunk)
        shape.addPrefill(tokens: chunk, cached: 0)
        batch.append(head)
        budget -= chunk
      }
    }

    if chunked {
      scheduleDecodes(&self)
      // Continue partly prefilled sequences, then admit new ones, within the token budget.
      for index in running.indices where budget > 0 {
        let s = Int(running[index])
        guard state[s] == .idle else { continue }
        let c = computed[s]
        let left = Int(prompt[s] + generated[s] - c)
        guard c > 0, left > 1 else { continue }
        let chunk = min(left, budget)
        state[s] = .inFlight
        scheduled[s] = Int32(chunk)
        shape.addPrefill(tokens: chunk, cached: Int(c))
        batch.append(Int32(s))
        budget -= chunk
      }
      admit(&self)
    } else {
      // vLLM V0 default: a batch of prefills if any can be admitted, else one of decodes.
      admit(&self)
      if batch.isEmpty {
        scheduleDecodes(&self)
        // A sequence that preempted itself freed its blocks: the queue head may fit now.
        if batch.isEmpty && preemptions > 0 { admit(&self) }
      }
    }

    replicas[r].freeBlocks = freeBlocks
    replicas[r].waitingBlocks = waitingBlocks
    if now >= windowStart && now < windowEnd { replicas[r].windowPreemptions += preemptions }
    let used = config.kvCacheBlocks - freeBlocks
    if used > replicas[r].peakUsedBlocks { replicas[r].peakUsedBlocks = used }
    if running.count > replicas[r].peakRunning { replicas[r].peakRunning = running.count }
    swap(&running, &replicas[r].running)
    swap(&waiting, &replicas[r].waiting)
    swap(&batch, &slots[slotIndex].sequences)
    if options.checkInvariants { try checkKV(r) }
    guard !slots[slotIndex].sequences.isEmpty else { return }

    slots[slotIndex].shape = shape
    slots[slotIndex].inUse = true
    slots[slotIndex].launchTime = now
    slots[slotIndex].order = replicas[r].launched
    replicas[r].launched += 1
    replicas[r].inFlight += 1
    try startStage(r, slot: slotIndex - r * pp, stage: 0)
  }

  // MARK: Pipeline

  private mutating func startStage(_ r: Int, slot k: Int, stage s: Int) throws {
    let index = r * pp + k
    let seconds = timings[r].stageSeconds(stage: s, batch: slots[index].shape)
    guard seconds.isFinite, seconds >= 0 else {
      throw SimulationError.invalidConfiguration(
        "iteration timing of replica \(r) gave \(seconds) s for stage \(s) of \(slots[index].shape)")
    }
    replicas[r].stageBusy[s] = true
    replicas[r].busySeconds[s] += overlap(now, now + seconds, windowStart, windowEnd)
    slots[index].waitingAtStage = -1
    if options.checkInvariants {
      try checkLaunchOrder(r, slot: k, stage: s)
      for sequence in slots[index].sequences {
        let i = Int(sequence)
        guard stagePasses[i] == Int32(s) else {
          throw SimulationError.invariantViolated(
            "request \(i) enters stage \(s) of replica \(r) after \(stagePasses[i]) stage passes this iteration")
        }
        stagePasses[i] += 1
        stagePassChecks += 1
      }
    }
    push(.stageDone, at: now + seconds, replica: r, slot: k, stage: s)
  }

  private mutating func stageDone(_ r: Int, slot k: Int, stage s: Int) throws {
    replicas[r].stageBusy[s] = false
    replicas[r].nextOrder[s] += 1
    if s < pp - 1 {
      let index = r * pp + k
      let seconds = timings[r].transferSeconds(afterStage: s, batch: slots[index].shape)
      guard seconds.isFinite, seconds >= 0 else {
        throw SimulationError.invalidConfiguration(
          "iteration timing of replica \(r) gave \(seconds) s for the transfer after stage \(s)")
      }
      if seconds == 0 {
        try arriveAtStage(r, slot: k, stage: s + 1)
      } else if links.resources[r][s].isEmpty {
        push(.transferDone, at: now + seconds, replica: r, slot: k, stage: s)
      } else {
        startContendedTransfer(r, slot: k, boundary: s, seconds: seconds)
      }
    } else {
      try completeMicroBatch(r, slot: k)
    }
    if s > 0 { try tryStartStage(r, stage: s) }
    if s == 0 || s == pp - 1 { try trySchedule(r) }
  }

  private mutating func arriveAtStage(_ r: Int, slot k: Int, stage s: Int) throws {
    slots[r * pp + k].waitingAtStage = s
    try tryStartStage(r, stage: s)
  }

  /// Starts, on free stage `s`, the micro-batch next in launch order if it has arrived.
  private mutating func tryStartStage(_ r: Int, stage s: Int) throws {
    guard !replicas[r].stageBusy[s] else { return }
    let order = replicas[r].nextOrder[s]
    for k in 0..<pp {
      let slot = slots[r * pp + k]
      if slot.inUse && slot.waitingAtStage == s && slot.order == order {
        try startStage(r, slot: k, stage: s)
        return
      }
    }
  }

  /// The micro-batch left the last stage: its tokens are out.
  private mutating func completeMicroBatch(_ r: Int, slot k: Int) throws {
    let index = r * pp + k
    touchKV(r, at: now)
    advanceInSystem(to: now)
    var batch = ContiguousArray<Int32>()
    swap(&batch, &slots[index].sequences)
    let inWindow = now >= windowStart && now < windowEnd
    var freed = 0
    for sequence in batch {
      let i = Int(sequence)
      if options.checkInvariants {
        guard stagePasses[i] == Int32(pp) else {
          throw SimulationError.invariantViolated(
            "request \(i) leaves replica \(r) after \(stagePasses[i]) of \(pp) stage passes")
        }
        stagePasses[i] = 0
        totalStagePasses[i] += Int32(pp)
      }
      iterations[i] += 1
      computed[i] += scheduled[i]
      let total = prompt[i] + generated[i]
      if computed[i] == total {
        // The iteration processed the sequence's last uncomputed token: one token out.
        generated[i] += 1
        totalOutputTokens += 1
        if inWindow { replicas[r].windowTokens += 1 }
        if generated[i] == 1 { firstToken[i] = now }
        if generated[i] == output[i] {
          state[i] = .done
          finish[i] = now
          freed += Int(blocks[i])
          blocks[i] = 0
          inSystem -= 1
          if inWindow { windowCompletions += 1 }
          replicas[r].hasFinished = true
          continue
        }
        if role == .prefill {
          // Prefill done: its KV stays here until the transfer to a decode instance ends.
          state[i] = .held
          replicas[r].heldBlocks += Int(blocks[i])
          replicas[r].hasFinished = true
          handoffs.append(sequence)
          handoffIterationSeconds.append(now - slots[index].launchTime)
          continue
        }
      }
      state[i] = .idle
    }
    batch.removeAll(keepingCapacity: true)
    swap(&batch, &slots[index].sequences)
    replicas[r].freeBlocks += freed
    slots[index].inUse = false
    replicas[r].inFlight -= 1
    if options.checkInvariants { try checkKV(r) }
  }

  // MARK: Shared links

  private mutating func startContendedTransfer(_ r: Int, slot k: Int, boundary s: Int, seconds: Double) {
    contention.advance(to: now)
    contention.transfers.append(
      .init(replica: Int32(r), slot: Int32(k), boundary: Int32(s), remaining: seconds, rate: 1))
    for resource in links.resources[r][s] { contention.users[Int(resource)] += 1 }
    contention.recomputeRates(links)
    scheduleContentionCheck()
  }

  private mutating func scheduleContentionCheck() {
    contention.version += 1
    if let next = contention.nextCompletion() {
      push(.contentionCheck, at: max(next, now), replica: 0, slot: 0, stage: 0, version: contention.version)
    }
  }

  private mutating func finishContendedTransfers() throws {
    var finished = ContiguousArray<ContentionState.Transfer>()
    swap(&finished, &finishedScratch)
    contention.completeTransfers(at: now, links: links, into: &finished)
    scheduleContentionCheck()
    for transfer in finished {
      try arriveAtStage(Int(transfer.replica), slot: Int(transfer.slot), stage: Int(transfer.boundary) + 1)
    }
    finished.removeAll(keepingCapacity: true)
    swap(&finished, &finishedScratch)
  }
}

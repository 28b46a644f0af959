/// The hooks `DisaggregatedEngine` drives one pool's `Engine` with: stepping its events from
/// outside, and handing requests between the pools. The driver sets `now` before calling any
/// of these outside `processNextEvent`, and calls `trySchedule` on the replicas it touched once
/// it has handed over everything due at that moment (so requests ready together run together).
extension Engine {
  /// Time of the next timed event, if any.
  var nextEventTime: Double? { heap.min?.time }

  /// Runs the next timed event.
  mutating func processNextEvent() throws {
    let event = heap.removeMin()
    now = event.time
    try handle(event)
  }

  /// Rejects arriving request `i` on replica `r` as too long (it fits this pool but not the
  /// other one).
  mutating func rejectTooLong(_ i: Int, at r: Int) {
    replicaOf[i] = Int32(r)
    if arrival[i] >= windowStart { replicas[r].routedMeasured += 1 }
    reject(i, .tooLong, at: now)
  }

  /// Prefill pool: prompt tokens waiting on replica `r` (counted in whole KV blocks, from
  /// the queue's running total) plus those admitted and not yet prefilled. O(admitted).
  func outstandingPrefillTokens(_ r: Int) -> Int {
    var tokens = replicas[r].waitingBlocks * Int(blockSize)
    for request in replicas[r].running {
      let i = Int(request)
      if state[i] == .idle || state[i] == .inFlight { tokens += Int(prompt[i] - computed[i]) }
    }
    return tokens
  }

  /// Prefill pool: the transfer of held request `i`'s KV ended; its blocks are freed.
  /// (Schedule its replica afterwards.)
  mutating func releaseHeld(_ i: Int) throws {
    let r = Int(replicaOf[i])
    guard state[i] == .held else {
      throw SimulationError.invariantViolated("request \(i) released by prefill instance \(r) in state \(state[i])")
    }
    touchKV(r, at: now)
    replicas[r].freeBlocks += Int(blocks[i])
    replicas[r].heldBlocks -= Int(blocks[i])
    blocks[i] = 0
    state[i] = .done
    finish[i] = now
    if options.checkInvariants { try checkKV(r) }
  }

  /// Decode pool: request `i`, prefilled elsewhere (its prompt's KV and first token made),
  /// joins the FCFS queue of replica `r`. Never capped or timed out. (Schedule afterwards.)
  mutating func enqueuePrefilled(_ i: Int, at r: Int) {
    replicaOf[i] = Int32(r)
    if arrival[i] >= windowStart { replicas[r].routedMeasured += 1 }
    computed[i] = prompt[i]
    generated[i] = 1
    firstScheduled[i] = now
    state[i] = .waiting
    replicas[r].waiting.append(Int32(i))
    replicas[r].waitingBlocks += blocksFor(Int(prompt[i]))
  }

  /// Decode pool: the KV of admitted request `i` has arrived; it can decode. (Schedule its
  /// replica afterwards.)
  mutating func kvArrived(_ i: Int) throws {
    guard state[i] == .pulling else {
      throw SimulationError.invariantViolated(
        "KV of request \(i) arrived at decode instance \(replicaOf[i]) in state \(state[i])")
    }
    state[i] = .idle
  }

  /// Requests waiting (not admitted) on all replicas.
  var waitingCount: Int { replicas.reduce(0) { $0 + $1.waiting.count } }
}

/// Bookkeeping invariants, checked only with `SimulationOptions.checkInvariants` (the normal
/// event loop never calls these, so it stays allocation-free and branch-light).
extension Engine {
  /// KV blocks of replica `r`, after every scheduling step and every completed micro-batch:
  /// - free blocks lie in 0…capacity and equal capacity minus the blocks the admitted
  ///   sequences hold; waiting (never admitted or preempted) requests hold none;
  /// - every admitted sequence holds exactly ⌈tokens / block size⌉ blocks (vLLM's paged KV
  ///   cache), where tokens is what its cache must hold now: the larger of the tokens it was
  ///   last admitted with (prompt + tokens generated before a preemption, all reserved at
  ///   admission, also by a chunked prefill) and the tokens computed so far plus those of the
  ///   micro-batch it is in. A decode-ready sequence has computed all but its newest token,
  ///   whose KV its next iteration writes, so it holds ⌈computed / block size⌉ until that
  ///   decode is scheduled and ⌈(computed + 1) / block size⌉ from then on.
  /// The block count is recomputed here with its own arithmetic, not the scheduler's.
  mutating func checkKV(_ r: Int) throws {
    kvChecks += 1
    let free = replicas[r].freeBlocks
    guard free >= 0, free <= config.kvCacheBlocks else {
      throw SimulationError.invariantViolated("replica \(r) has \(free) free KV blocks of \(config.kvCacheBlocks)")
    }
    // Prefill role: requests whose prefill ended hold `heldBlocks` (checked per request by
    // `DisaggregatedEngine.checkConservation`), also while still listed in `running`.
    var held = replicas[r].heldBlocks
    for sequence in replicas[r].running where state[Int(sequence)] != .held { held += Int(blocks[Int(sequence)]) }
    for sequence in replicas[r].waiting where blocks[Int(sequence)] != 0 {
      throw SimulationError.invariantViolated("waiting request \(sequence) holds \(blocks[Int(sequence)]) KV blocks")
    }
    guard held == config.kvCacheBlocks - free else {
      throw SimulationError.invariantViolated(
        "replica \(r): sequences hold \(held) KV blocks but \(config.kvCacheBlocks - free) are in use")
    }
    let size = Int(blockSize)
    for sequence in replicas[r].running {
      let i = Int(sequence)
      // Completed sequences stay in `running` (holding nothing) until the next scheduling step.
      if state[i] == .held { continue }
      if state[i] == .done {
        guard blocks[i] == 0 else {
          throw SimulationError.invariantViolated("completed request \(i) still holds \(blocks[i]) KV blocks")
        }
        continue
      }
      let inBatch = state[i] == .inFlight ? Int(scheduled[i]) : 0
      let tokens = max(Int(admittedTokens[i]), Int(computed[i]) + inBatch)
      let expected = (tokens + size - 1) / size
      guard Int(blocks[i]) == expected else {
        throw SimulationError.invariantViolated(
          "request \(i) on replica \(r) holds \(blocks[i]) KV blocks for \(tokens) tokens "
            + "(⌈\(tokens) / \(size)⌉ = \(expected); prompt \(prompt[i]), generated \(generated[i]), "
            + "computed \(computed[i]), preempted \(preemptCount[i])×)")
      }
      blockCountChecks += 1
    }
  }

  /// Micro-batches pass every stage in launch order (so they also leave the pipeline in it):
  /// the k-th micro-batch to start on stage `s` of replica `r` is the one launched k-th.
  /// Counted here independently of the scheduler's `nextOrder`.
  mutating func checkLaunchOrder(_ r: Int, slot k: Int, stage s: Int) throws {
    let started = stageStarts[r * pp + s]
    let order = slots[r * pp + k].order
    guard order == started else {
      throw SimulationError.invariantViolated(
        "stage \(s) of replica \(r) starts micro-batch \(order) (launch order) but micro-batch \(started) is due first")
    }
    stageStarts[r * pp + s] += 1
    launchOrderChecks += 1
  }
}

/// Checks across the two pools, run at the end of a run with `SimulationOptions.checkInvariants`
/// (each pool's engine checks its own KV blocks, stage passes and launch order as it goes).
extension DisaggregatedEngine {
  /// Every arrival is in exactly one place, and the places agree with each other:
  /// - rejected on arrival or in a pool; or complete (a one-token output on its prefill
  ///   instance, any other on its decode instance); or in flight: waiting or prefilling on a
  ///   prefill instance, held there while queued for, or pulled by, a decode instance, or
  ///   decoding;
  /// - a request on a decode instance was prefilled (its prefill instance holds its KV while
  ///   it waits there or its transfer runs, and has freed it once the transfer ended), and
  ///   exactly the requests whose transfer ended were sent prompt × KV bytes per token;
  /// - the counts of each place, found from the requests' states, equal those found from the
  ///   engines' queues and the transfers in progress.
  mutating func checkConservation() throws {
    let n = arrival.count
    var rejected = 0
    var complete = 0
    var inFlight = 0
    var transferring = 0
    var heldCount = 0
    var transferredRequests = 0
    var bytes = 0.0
    var heldBlocks = [Int](repeating: 0, count: prefill.dp)
    for i in 0..<n {
      let p = prefill.state[i]
      let d = decode.state[i]
      func fail(_ what: String) -> SimulationError {
        .invariantViolated("request \(i): \(what) (prefill pool: \(p), decode pool: \(d))")
      }
      if p == .held {
        heldCount += 1
        let expected = prefill.blocksFor(Int(prompt[i]))
        guard Int(prefill.blocks[i]) == expected else {
          throw fail(
            "holds \(prefill.blocks[i]) KV blocks on its prefill instance for \(prompt[i]) tokens (⌈…⌉ = \(expected))")
        }
        heldBlocks[Int(prefill.replicaOf[i])] += expected
      }
      if d == .pulling { transferring += 1 }
      if handoff[i] >= 0 && output[i] >= 2 {
        transferredRequests += 1
        let expected = Double(prompt[i]) * simulator.kvBytesPerToken
        guard transferredBytes[i] == expected else {
          throw fail("sent \(transferredBytes[i]) KV bytes for \(prompt[i]) prompt tokens (expected \(expected))")
        }
        bytes += transferredBytes[i]
      } else if transferredBytes[i] != 0 {
        throw fail("sent \(transferredBytes[i]) KV bytes without a completed transfer")
      }
      switch (p, d) {
      case (.pending, .pending): throw fail("never arrived")
      case (.rejected, .pending): rejected += 1
      case (.done, .pending):
        guard output[i] == 1 else { throw fail("prefill freed its KV but no decode instance has it") }
        complete += 1
      case (.waiting, .pending), (.idle, .pending), (.inFlight, .pending): inFlight += 1
      case (.held, .waiting), (.held, .pulling):
        guard handoff[i] < 0 else { throw fail("transfer ended but the prefill instance still holds the KV") }
        inFlight += 1
      case (.done, .done):
        guard handoff[i] >= 0 else { throw fail("decoded without a KV transfer") }
        complete += 1
      case (.done, .rejected):
        rejected += 1
      case (.done, .waiting), (.done, .idle), (.done, .inFlight):
        guard handoff[i] >= 0 else { throw fail("decoding without a KV transfer") }
        inFlight += 1
      default: throw fail("inconsistent states")
      }
    }
    guard rejected + complete + inFlight == n else {
      throw SimulationError.invariantViolated(
        "\(n) arrivals but \(rejected) rejected + \(complete) complete + \(inFlight) in flight")
    }
    guard transferring == contention.transfers.count else {
      throw SimulationError.invariantViolated(
        "\(transferring) requests are pulling KV but \(contention.transfers.count) transfers are in progress")
    }
    let queuedForDecode = decode.replicas.reduce(0) { total, replica in
      total + replica.waiting.filter { prefill.state[Int($0)] == .held }.count
    }
    guard heldCount == transferring + queuedForDecode else {
      throw SimulationError.invariantViolated(
        "prefill instances hold the KV of \(heldCount) requests; \(transferring) are being pulled and \(queuedForDecode) wait for a decode instance"
      )
    }
    for r in 0..<prefill.dp where heldBlocks[r] != prefill.replicas[r].heldBlocks {
      throw SimulationError.invariantViolated(
        "prefill instance \(r) counts \(prefill.replicas[r].heldBlocks) held KV blocks; its held requests have \(heldBlocks[r])"
      )
    }
    guard transferredRequests == transfers, bytes == totalTransferredBytes else {
      throw SimulationError.invariantViolated(
        "\(transfers) transfers of \(totalTransferredBytes) bytes counted, \(transferredRequests) requests with \(bytes) bytes found"
      )
    }
    conservationChecks += n
  }
}

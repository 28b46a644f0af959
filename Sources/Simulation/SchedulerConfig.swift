import PlanCore

/// Settings of the vLLM-like scheduler every replica runs. Capacities are inputs: the memory
/// model computes `kvCacheBlocks`.
public struct SchedulerConfig: Sendable, Hashable, Codable {
  /// KV-cache capacity of one replica, in blocks.
  public var kvCacheBlocks: Int
  /// Tokens per KV block (vLLM's default 16).
  public var blockSizeTokens: Int
  /// Most sequences admitted (holding KV blocks) at once (vLLM `max_num_seqs`).
  public var maxNumSeqs: Int
  /// Most tokens in one micro-batch (vLLM `max_num_batched_tokens`). Without chunked prefill
  /// a prompt longer than this can never run and is rejected on arrival.
  public var maxNumBatchedTokens: Int
  /// Split long prompts into chunks that share iterations with decodes (vLLM
  /// `enable_chunked_prefill`). Without it an iteration is either all prefill or all decode,
  /// prefills first (vLLM V0's default policy).
  public var chunkedPrefill: Bool
  /// Requests arriving while this many already wait are rejected; nil: no cap.
  public var waitingQueueCap: Int?
  /// Requests that wait longer than this for their first scheduling are rejected; nil: never.
  public var queueTimeoutSeconds: Double?

  public init(
    kvCacheBlocks: Int, blockSizeTokens: Int = 16, maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 8192,
    chunkedPrefill: Bool = false, waitingQueueCap: Int? = nil, queueTimeoutSeconds: Double? = nil
  ) {
    self.kvCacheBlocks = kvCacheBlocks
    self.blockSizeTokens = blockSizeTokens
    self.maxNumSeqs = maxNumSeqs
    self.maxNumBatchedTokens = maxNumBatchedTokens
    self.chunkedPrefill = chunkedPrefill
    self.waitingQueueCap = waitingQueueCap
    self.queueTimeoutSeconds = queueTimeoutSeconds
  }

  /// KV capacity of one replica in tokens.
  public var kvCacheTokens: Int { kvCacheBlocks * blockSizeTokens }

  func validate() throws {
    func fail(_ reason: String) -> SimulationError { .invalidConfiguration(reason) }
    guard kvCacheBlocks > 0 else {
      throw fail("kvCacheBlocks must be positive (got \(kvCacheBlocks)); the model does not fit")
    }
    guard blockSizeTokens > 0, blockSizeTokens <= 65536 else {
      throw fail("blockSizeTokens must be 1…65536 (got \(blockSizeTokens))")
    }
    guard maxNumSeqs > 0 else { throw fail("maxNumSeqs must be positive (got \(maxNumSeqs))") }
    guard maxNumBatchedTokens >= maxNumSeqs else {
      throw fail("maxNumBatchedTokens (\(maxNumBatchedTokens)) must be at least maxNumSeqs (\(maxNumSeqs)), as in vLLM")
    }
    if let cap = waitingQueueCap, cap < 0 { throw fail("waitingQueueCap must not be negative (got \(cap))") }
    if let timeout = queueTimeoutSeconds, !(timeout.isFinite && timeout >= 0) {
      throw fail("queueTimeoutSeconds must be a finite number ≥ 0 (got \(timeout))")
    }
  }
}

/// Knobs of a run that do not change the modelled system.
public struct SimulationOptions: Sendable, Hashable {
  /// Check bookkeeping invariants as the run goes (every sequence passes stages 0…PP−1 in
  /// order exactly once per iteration; every stage starts micro-batches in launch order; KV
  /// blocks in use equal the blocks held and stay within 0…capacity; every admitted sequence
  /// holds exactly ⌈tokens / block size⌉ blocks, also right after re-admission following a
  /// preemption — see `Engine.checkKV`) and throw `SimulationError.invariantViolated` on the
  /// first failure. Costs time proportional to batch × stages per iteration and running
  /// sequences per scheduling step; tests turn it on. Off, none of it runs.
  public var checkInvariants: Bool
  /// Keep one `RequestRecord` per request in `SimulationOutcome.requests`.
  public var recordRequests: Bool
  /// Call the progress handler after every this many arrivals (and once at the end).
  public var progressInterval: Int

  public init(checkInvariants: Bool = false, recordRequests: Bool = false, progressInterval: Int = 1000) {
    self.checkInvariants = checkInvariants
    self.recordRequests = recordRequests
    self.progressInterval = progressInterval
  }
}

extension SchedulerConfig {
  /// The scheduler a scenario asks for: its overrides on top of this type's defaults, with
  /// the KV capacity from the scenario if it gives one, else `kvCacheBlocks` (from the
  /// memory model). Throws if the result is inconsistent.
  public init(_ options: ScenarioScheduler, kvCacheBlocks: Int) throws {
    let defaults = SchedulerConfig(kvCacheBlocks: kvCacheBlocks)
    self.init(
      kvCacheBlocks: options.kvCacheBlocks ?? kvCacheBlocks,
      blockSizeTokens: options.blockSizeTokens ?? defaults.blockSizeTokens,
      maxNumSeqs: options.maxNumSeqs ?? defaults.maxNumSeqs,
      maxNumBatchedTokens: options.maxNumBatchedTokens ?? defaults.maxNumBatchedTokens,
      chunkedPrefill: options.chunkedPrefill ?? defaults.chunkedPrefill, waitingQueueCap: options.waitingQueueCap,
      queueTimeoutSeconds: options.queueTimeoutSeconds)
    try validate()
  }
}

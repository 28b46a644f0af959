/// Mean and nearest-rank percentiles of a set of samples (seconds).
///
/// The q-th percentile is the nearest-rank one: the smallest sample with at least q·n samples
/// at or below it (sorted[⌈q·n⌉ − 1]). Absent (null in JSON) when there are no samples.
public struct LatencySummary: Sendable, Hashable, Codable {
  public var count: Int
  public var mean: Double
  public var p50: Double
  public var p90: Double
  public var p99: Double
  public var max: Double

  public init(count: Int, mean: Double, p50: Double, p90: Double, p99: Double, max: Double) {
    self.count = count
    self.mean = mean
    self.p50 = p50
    self.p90 = p90
    self.p99 = p99
    self.max = max
  }

  /// Summarises `samples` (sorted in place); nil when empty.
  public static func of(_ samples: inout [Double]) -> LatencySummary? {
    guard !samples.isEmpty else { return nil }
    samples.sort()
    let n = samples.count
    func rank(_ q: Double) -> Double {
      let index = Int((q * Double(n)).rounded(.up)) - 1
      return samples[Swift.min(Swift.max(index, 0), n - 1)]
    }
    // Kahan-free plain sum is fine: values are positive and of similar size.
    let mean = samples.reduce(0, +) / Double(n)
    return LatencySummary(count: n, mean: mean, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: samples[n - 1])
  }
}

/// Figures of one DP replica.
public struct ReplicaResult: Sendable, Hashable, Codable {
  /// Measured requests the router sent here (including ones rejected here).
  public var requests: Int
  /// Of those, completed before the drain limit (within the SLO or not).
  public var completed: Int
  public var rejected: Int
  /// Output tokens this replica produced during the measurement window (any request).
  public var outputTokens: Int
  /// Preemptions (by recompute) during the measurement window.
  public var preemptions: Int
  /// Per pipeline stage: fraction of the measurement window the stage was computing.
  /// 1 − this is idle time, pipeline bubbles included. Null when the window is empty.
  public var stageBusyFraction: [Double]?
  /// Time-averaged fraction of the KV-cache blocks in use over the measurement window.
  public var kvCacheUtilisation: Double?
  /// Largest fraction of the KV-cache blocks in use at any moment of the run.
  public var peakKVCacheUtilisation: Double
  /// Most requests admitted at once (holding KV blocks, prefilling or decoding) at any moment
  /// of the run: the concurrency the KV cache and `maxNumSeqs` allowed.
  public var peakRunningSequences: Int

  enum CodingKeys: String, CodingKey {
    case requests, completed, rejected, outputTokens, preemptions, stageBusyFraction, kvCacheUtilisation,
      peakKVCacheUtilisation, peakRunningSequences
  }

  public init(
    requests: Int, completed: Int, rejected: Int, outputTokens: Int, preemptions: Int, stageBusyFraction: [Double]?,
    kvCacheUtilisation: Double?, peakKVCacheUtilisation: Double, peakRunningSequences: Int = 0
  ) {
    self.requests = requests
    self.completed = completed
    self.rejected = rejected
    self.outputTokens = outputTokens
    self.preemptions = preemptions
    self.stageBusyFraction = stageBusyFraction
    self.kvCacheUtilisation = kvCacheUtilisation
    self.peakKVCacheUtilisation = peakKVCacheUtilisation
    self.peakRunningSequences = peakRunningSequences
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(requests, forKey: .requests)
    try container.encode(completed, forKey: .completed)
    try container.encode(rejected, forKey: .rejected)
    try container.encode(outputTokens, forKey: .outputTokens)
    try container.encode(preemptions, forKey: .preemptions)
    try container.encode(stageBusyFraction, forKey: .stageBusyFraction)
    try container.encode(kvCacheUtilisation, forKey: .kvCacheUtilisation)
    try container.encode(peakKVCacheUtilisation, forKey: .peakKVCacheUtilisation)
    try container.encode(peakRunningSequences, forKey: .peakRunningSequences)
  }
}

/// Why requests were rejected.
public struct RejectionCounts: Sendable, Hashable, Codable {
  /// The waiting queue was at its cap when the request arrived.
  public var queueFull: Int
  /// The request waited longer than the queue timeout for its first scheduling.
  public var timeout: Int
  /// The request could never run on this replica: prompt + output exceed the KV cache, or
  /// (without chunked prefill) the prompt, or a preempted request's recompute, exceeds
  /// `maxNumBatchedTokens`.
  public var tooLong: Int

  public init(queueFull: Int = 0, timeout: Int = 0, tooLong: Int = 0) {
    self.queueFull = queueFull
    self.timeout = timeout
    self.tooLong = tooLong
  }
}

/// What one simulation run measured. All rates and latencies in SI units (seconds,
/// per second). Latency and rate figures with no samples, or over an empty window, are null.
///
/// Accounting: only requests arriving in the measurement window (at or after the warm-up, up
/// to the end of the arrival window) are *measured*; requests arriving during the warm-up are
/// simulated (they load the system) but appear in no count or latency except
/// `warmupRequests`. Every measured request ends in exactly one class:
/// `arrived == succeeded + failedSLO + rejected + unfinished`.
///
/// Rates (`outputTokensPerSecond`, `requestsPerSecond`) count what happened inside the window
/// [warm-up, min(duration, end of run)], whichever request it belonged to: steady-state
/// throughput. `goodputRequestsPerSecond` is `succeeded` / window length.
public struct SimulationResult: Sendable, Hashable, Codable {
  /// Measured requests (arrived in the measurement window).
  public var arrived: Int
  /// Completed before the drain limit and within the SLO (TTFT and TPOT bounds; TPOT is
  /// undefined for a one-token output, which is judged on TTFT alone). Without an SLO every
  /// completed request succeeds.
  public var succeeded: Int
  /// Completed before the drain limit but outside the SLO.
  public var failedSLO: Int
  /// Turned away (queue cap, queue timeout, or too long to ever run).
  public var rejected: Int
  /// Still waiting or running at the drain limit.
  public var unfinished: Int
  /// Requests that arrived during the warm-up (simulated, not measured).
  public var warmupRequests: Int
  public var rejections: RejectionCounts
  /// succeeded / arrived.
  public var successRate: Double?
  /// succeeded / window length.
  public var goodputRequestsPerSecond: Double?
  /// Output tokens produced inside the window / window length.
  public var outputTokensPerSecond: Double?
  /// Requests completed inside the window / window length.
  public var requestsPerSecond: Double?
  /// Measured requests per second of window (offered load).
  public var arrivalRatePerSecond: Double?
  /// Arrival → first output token leaves the last stage, over measured requests that got one.
  public var ttftSeconds: LatencySummary?
  /// (completion − first token) / (output tokens − 1), over completed measured requests with ≥ 2 output tokens.
  public var tpotSeconds: LatencySummary?
  /// Arrival → last token, over completed measured requests.
  public var e2eSeconds: LatencySummary?
  /// Arrival → first scheduled into a batch, over measured requests that were scheduled.
  public var queueingDelaySeconds: LatencySummary?
  public var replicas: [ReplicaResult]
  /// Per stage, the mean over replicas of `ReplicaResult.stageBusyFraction`.
  public var stageBusyFraction: [Double]?
  /// Mean over replicas of the time-averaged KV-cache utilisation in the window.
  public var kvCacheUtilisation: Double?
  /// Largest KV-cache utilisation of any replica at any moment.
  public var peakKVCacheUtilisation: Double
  /// Preemptions (by recompute) in the window, all replicas.
  public var preemptions: Int
  /// Time-average number of requests in the system (arrived, not yet completed or rejected)
  /// over the window: the L of Little's law.
  public var meanRequestsInSystem: Double?
  /// Requests waiting (not yet admitted) at the end of the arrival window: a growing backlog
  /// means the load exceeds what the layout serves.
  public var waitingAtWindowEnd: Int
  /// Output tokens produced over the whole run (warm-up and drain included).
  public var totalOutputTokens: Int
  /// Events processed: arrivals, stage completions, activation-transfer completions.
  public var events: Int
  /// Simulated time when the run stopped: the last event, or the drain limit if requests were
  /// still in progress there.
  public var simulatedSeconds: Double
  /// Measurement window: start (the warm-up) and length, seconds.
  public var windowStartSeconds: Double
  public var windowSeconds: Double

  enum CodingKeys: String, CodingKey {
    case arrived, succeeded, failedSLO, rejected, unfinished, warmupRequests, rejections, successRate,
      goodputRequestsPerSecond, outputTokensPerSecond, requestsPerSecond, arrivalRatePerSecond, ttftSeconds,
      tpotSeconds, e2eSeconds, queueingDelaySeconds, replicas, stageBusyFraction, kvCacheUtilisation,
      peakKVCacheUtilisation, preemptions, meanRequestsInSystem, waitingAtWindowEnd, totalOutputTokens, events,
      simulatedSeconds, windowStartSeconds, windowSeconds
  }

  // Explicit so that absent values are written as null (stable keys), never omitted.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(arrived, forKey: .arrived)
    try c.encode(succeeded, forKey: .succeeded)
    try c.encode(failedSLO, forKey: .failedSLO)
    try c.encode(rejected, forKey: .rejected)
    try c.encode(unfinished, forKey: .unfinished)
    try c.encode(warmupRequests, forKey: .warmupRequests)
    try c.encode(rejections, forKey: .rejections)
    try c.encode(successRate, forKey: .successRate)
    try c.encode(goodputRequestsPerSecond, forKey: .goodputRequestsPerSecond)
    try c.encode(outputTokensPerSecond, forKey: .outputTokensPerSecond)
    try c.encode(requestsPerSecond, forKey: .requestsPerSecond)
    try c.encode(arrivalRatePerSecond, forKey: .arrivalRatePerSecond)
    try c.encode(ttftSeconds, forKey: .ttftSeconds)
    try c.encode(tpotSeconds, forKey: .tpotSeconds)
    try c.encode(e2eSeconds, forKey: .e2eSeconds)
    try c.encode(queueingDelaySeconds, forKey: .queueingDelaySeconds)
    try c.encode(replicas, forKey: .replicas)
    try c.encode(stageBusyFraction, forKey: .stageBusyFraction)
    try c.encode(kvCacheUtilisation, forKey: .kvCacheUtilisation)
    try c.encode(peakKVCacheUtilisation, forKey: .peakKVCacheUtilisation)
    try c.encode(preemptions, forKey: .preemptions)
    try c.encode(meanRequestsInSystem, forKey: .meanRequestsInSystem)
    try c.encode(waitingAtWindowEnd, forKey: .waitingAtWindowEnd)
    try c.encode(totalOutputTokens, forKey: .totalOutputTokens)
    try c.encode(events, forKey: .events)
    try c.encode(simulatedSeconds, forKey: .simulatedSeconds)
    try c.encode(windowStartSeconds, forKey: .windowStartSeconds)
    try c.encode(windowSeconds, forKey: .windowSeconds)
  }
}

/// How one request ended.
public enum RequestOutcome: String, Sendable, Hashable, Codable {
  case succeeded, failedSLO, rejected, unfinished
}

/// One request's history (kept when `SimulationOptions.recordRequests` is set).
public struct RequestRecord: Sendable, Hashable {
  public var arrivalSeconds: Double
  public var promptTokens: Int
  public var outputTokens: Int
  /// Output tokens produced (equals `outputTokens` when completed).
  public var generatedTokens: Int
  public var replica: Int
  /// Arrived in the measurement window (not during the warm-up).
  public var measured: Bool
  public var outcome: RequestOutcome
  public var firstScheduledSeconds: Double?
  public var firstTokenSeconds: Double?
  /// Completion, or rejection, time.
  public var finishSeconds: Double?
  /// Times the request was preempted (and later recomputed).
  public var preemptions: Int
  /// Engine iterations (micro-batches) the request took part in that reached the last stage.
  public var iterations: Int
  /// Stage passes over those iterations (only counted with `checkInvariants`; else 0).
  public var stagePasses: Int
}

/// A run's result together with per-request records and invariant-check counts.
public struct SimulationOutcome: Sendable {
  public var result: SimulationResult
  /// One record per request in arrival order (empty unless `recordRequests`).
  public var requests: [RequestRecord]
  /// How many sequence stage passes and KV-block checks were verified (0 unless `checkInvariants`).
  public var stagePassChecks: Int
  public var kvChecks: Int
  /// How many per-sequence ⌈tokens / block size⌉ block counts and per-stage launch-order
  /// starts were verified (0 unless `checkInvariants`).
  public var blockCountChecks: Int = 0
  public var launchOrderChecks: Int = 0
}

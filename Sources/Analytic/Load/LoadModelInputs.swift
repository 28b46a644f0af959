import Foundation

/// Why the load model refused a question. Bad input is reported, never clamped or turned into NaN.
public struct LoadModelError: Error, CustomStringConvertible, Equatable, Sendable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// How a data-parallel deployment spreads requests over its replicas.

/// What the load model needs to know about one replica, filled in by the cost and memory
/// models for one layout. Validated once at construction, so the evaluation hot path does no
/// checks and no allocation.
///
/// **Service rate.** With continuous batching, `b` running requests share the engine: each
/// decode iteration (time `d(b)`) advances all of them by one token, and every admitted request
/// also costs one prefill (time `p`) that the others wait through (vLLM runs prefill before
/// decode; chunked prefill costs the same compute, spread out). Counting engine time per
/// completed request at a steady occupancy `b`:
///
///     engine seconds per completion  =  p + (N − 1) · d(b) / b
///
/// (its own prefill, plus its `N − 1` decode tokens sharing `b`-wide iterations; the first
/// output token comes out of the prefill). So the replica completes requests at
///
///     μ(b) = b / (b · p + (N − 1) · d(b)),
///
/// and by Little's law on the running batch a request stays `b / μ(b) = b·p + (N − 1)·d(b)`
/// in it. With pipeline parallelism d(b) is the serial pass of the whole batch (the engine runs
/// it as one micro-batch, `ReplicaCostModel.decodeMicroBatches`) and p by p_occ(b) =
/// `prefillOccupancySecondsByBatch`, what a prompt's own micro-batch, run ahead of the decode
/// batch, delays it (`ReplicaCostModel.prefillHoldSeconds`). With exponential holding times this is the departure rate of the birth–death chain
/// in state `min(n, B)`. The exponential assumption is the model's approximation (real decode
/// lengths are closer to deterministic for a fixed output length); the simulator measures the
/// difference.
public struct ReplicaServiceModel: Sendable, Hashable {
  /// B: the most sequences the replica runs at once (KV cache over the tokens the workload's
  /// mean sequence holds on average, prompt + output/2, or the scheduler's cap, whichever is
  /// lower; `LayoutEvaluator.meanHeldBatch`).
  public let maxConcurrentSequences: Int
  /// p: seconds to prefill one mean prompt with nothing else running.
  public let prefillSeconds: Double
  /// d(b): `decodeStepSecondsByBatch[b - 1]` is one decode iteration at batch `b`, b = 1…B.
  public let decodeStepSecondsByBatch: [Double]
  /// N: mean output tokens per request (≥ 1; the first comes from the prefill).
  public let meanOutputTokens: Double
  /// Requests that may wait for a batch slot before new arrivals are rejected; `nil` means an
  /// unbounded queue (vLLM's default), so nothing is ever rejected.
  public let queueCapacity: Int?
  /// p_occ(b), b = 1…B: how long one prefill holds a decode batch of b back (= p with PP = 1;
  /// with PP > 1 `ReplicaCostModel.prefillHoldSeconds`). It replaces p in μ(b) and in the
  /// stalls a decoding request sees.
  public internal(set) var prefillOccupancySecondsByBatch: [Double]
  /// The hold of a prompt that runs alone (the input p_occ(b)); `atRate` shortens it for the
  /// prompts that pipeline behind one another.
  public let soloPrefillHoldSecondsByBatch: [Double]
  /// p₀ and d₀(b): stage 0's share of a prefill and of a decode iteration at batch b (= p and
  /// d(b) with PP = 1). A new prompt is scheduled when stage 0 frees, so these set its
  /// admission wait (`LoadModel.admissionWait`).
  public let admissionPrefillSeconds: Double
  public let admissionDecodeSecondsByBatch: [Double]
  /// μ(b), b = 1…B: requests completed per second at occupancy `b` (see the type's doc).
  public internal(set) var departureRatesPerSecond: [Double]
  /// 1 / μ(b): engine seconds per completion at occupancy `b` (precomputed for the hot path).
  var secondsPerDeparture: [Double]
  /// Requests per second one replica completes with its batch full: μ(B), at the arrival rate
  /// that equals it (`atRate`). Above it the queue grows without bound.
  public let capacityRequestsPerSecond: Double

  /// - Throws: `LoadModelError` when B < 1, the decode table does not have B positive finite
  ///   entries, the prefill time is negative or not finite, N < 1, or the queue capacity is
  ///   negative.
  public init(
    maxConcurrentSequences: Int, prefillSeconds: Double, decodeStepSecondsByBatch: [Double],
    meanOutputTokens: Double, queueCapacity: Int?, prefillOccupancySecondsByBatch: [Double]? = nil,
    admissionPrefillSeconds: Double? = nil, admissionDecodeSecondsByBatch: [Double]? = nil
  ) throws {
    guard maxConcurrentSequences >= 1 else {
      throw LoadModelError(
        "maxConcurrentSequences must be at least 1 (got \(maxConcurrentSequences)); a replica that cannot hold one sequence serves nothing"
      )
    }
    guard decodeStepSecondsByBatch.count == maxConcurrentSequences else {
      throw LoadModelError(
        "decodeStepSecondsByBatch has \(decodeStepSecondsByBatch.count) entries, expected one per batch size 1…\(maxConcurrentSequences)"
      )
    }
    if let bad = decodeStepSecondsByBatch.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
      throw LoadModelError(
        "decode step at batch \(bad + 1) is \(decodeStepSecondsByBatch[bad]) s; it must be positive and finite")
    }
    guard prefillSeconds.isFinite, prefillSeconds >= 0 else {
      throw LoadModelError("prefillSeconds must be finite and ≥ 0 (got \(prefillSeconds))")
    }
    guard meanOutputTokens.isFinite, meanOutputTokens >= 1 else {
      throw LoadModelError("meanOutputTokens must be finite and ≥ 1 (got \(meanOutputTokens))")
    }
    if let queueCapacity, queueCapacity < 0 {
      throw LoadModelError("queueCapacity must be ≥ 0 or nil for unbounded (got \(queueCapacity))")
    }
    if prefillSeconds == 0 && meanOutputTokens == 1 {
      throw LoadModelError(
        "a request with no prefill time and no decode tokens takes no time: service rate is infinite")
    }
    let occupancy =
      prefillOccupancySecondsByBatch ?? [Double](repeating: prefillSeconds, count: maxConcurrentSequences)
    let admissionPrefill = admissionPrefillSeconds ?? prefillSeconds
    let admissionDecode = admissionDecodeSecondsByBatch ?? decodeStepSecondsByBatch
    guard occupancy.count == maxConcurrentSequences else {
      throw LoadModelError("prefillOccupancySecondsByBatch needs one entry per batch size 1…\(maxConcurrentSequences)")
    }
    for (what, value) in occupancy.map({ ("prefill occupancy", $0) }) + [("admissionPrefillSeconds", admissionPrefill)]
    where !(value.isFinite && value > 0 && value <= prefillSeconds * (1 + 1e-12))
      && !(prefillSeconds == 0 && value == 0)
    {
      throw LoadModelError("\(what) must be finite, > 0 and at most prefillSeconds \(prefillSeconds) (got \(value))")
    }
    guard admissionDecode.count == maxConcurrentSequences,
      zip(admissionDecode, decodeStepSecondsByBatch).allSatisfy({ $0.isFinite && $0 > 0 && $0 <= $1 * (1 + 1e-12) })
    else {
      throw LoadModelError(
        "admissionDecodeSecondsByBatch needs one positive entry per batch size 1…\(maxConcurrentSequences), each at most the decode step"
      )
    }
    var rates = [Double](repeating: 0, count: maxConcurrentSequences)
    var inverse = [Double](repeating: 0, count: maxConcurrentSequences)
    for b in 1...maxConcurrentSequences {
      let seconds = occupancy[b - 1] + (meanOutputTokens - 1) * decodeStepSecondsByBatch[b - 1] / Double(b)
      inverse[b - 1] = seconds
      rates[b - 1] = 1 / seconds
    }
    self.maxConcurrentSequences = maxConcurrentSequences
    self.prefillSeconds = prefillSeconds
    self.decodeStepSecondsByBatch = decodeStepSecondsByBatch
    self.meanOutputTokens = meanOutputTokens
    self.queueCapacity = queueCapacity
    self.prefillOccupancySecondsByBatch = occupancy
    self.soloPrefillHoldSecondsByBatch = occupancy
    let b = Double(maxConcurrentSequences)
    capacityRequestsPerSecond = Self.fixedPointCapacity(
      soloHold: occupancy[maxConcurrentSequences - 1], firstStagePrefill: admissionPrefill,
      decodePerCompletion: (meanOutputTokens - 1) * decodeStepSecondsByBatch[maxConcurrentSequences - 1] / b)
    self.admissionPrefillSeconds = admissionPrefill
    self.admissionDecodeSecondsByBatch = admissionDecode
    self.departureRatesPerSecond = rates
    self.secondsPerDeparture = inverse
  }

  /// This replica at a per-replica arrival rate λ: prompts that arrive while others hold the
  /// decode batch back pipeline behind them (PP > 1), each adding only its stage-0 time p₀.
  /// A group of prompts starts with one solo hold H and grows by the arrivals during it, each
  /// adding p₀: an M/G/1 busy period of mean H / (1 − λp₀) with 1 + λH / (1 − λp₀) prompts, so
  /// the hold per prompt is
  ///
  ///     hold(λ) = H / (1 + λ (H − p₀)),
  ///
  /// H at λ → 0, and exactly p when H = p₀ = p (PP = 1: nothing changes). μ(b) is recomputed
  /// with it.
  public func atRate(_ lambda: Double) -> ReplicaServiceModel {
    guard lambda > 0 else { return self }
    var result = self
    for b in 1...maxConcurrentSequences {
      let solo = soloPrefillHoldSecondsByBatch[b - 1]
      let hold = solo / (1 + lambda * max(0, solo - admissionPrefillSeconds))
      result.prefillOccupancySecondsByBatch[b - 1] = hold
      let seconds = hold + (meanOutputTokens - 1) * decodeStepSecondsByBatch[b - 1] / Double(b)
      result.secondsPerDeparture[b - 1] = seconds
      result.departureRatesPerSecond[b - 1] = 1 / seconds
    }
    return result
  }

  /// The rate λ* with λ* = μ_{λ*}(B) = 1 / (hold(λ*) + a), a = (N − 1) d(B) / B: with
  /// c = H − p₀, a c λ² + (p₀ + a) λ − 1 = 0, whose positive root is λ* (1 / (H + a) when c = 0).
  static func fixedPointCapacity(
    soloHold h: Double, firstStagePrefill p0: Double, decodePerCompletion a: Double
  )
    -> Double
  {
    let c = max(0, h - p0)
    if c == 0 { return 1 / (h + a) }
    if a == 0 { return 1 / p0 }
    let q = a * c
    let linear = p0 + a
    // Stable form of (−linear + √(linear² + 4q)) / (2q).
    return 2 / (linear + (linear * linear + 4 * q).squareRoot())
  }
}

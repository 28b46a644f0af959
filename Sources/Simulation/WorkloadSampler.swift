import Foundation
import PlanCore

/// The requests of one run, drawn up front in arrival order (struct of arrays: no object per
/// request). Arrival times come from one random stream and lengths from another, so changing
/// the length distributions leaves the arrival times unchanged for a given seed.
public struct SampledRequests: Sendable, Equatable {
  public var arrivalSeconds: [Double] = []
  public var promptTokens: [Int32] = []
  public var outputTokens: [Int32] = []
  /// Index into `Workload.profiles`; −1 for trace requests.
  public var profileIndex: [Int16] = []
  /// End of the arrival window, seconds: the workload duration, or for a trace the later of
  /// that and the last arrival (a trace is always replayed whole).
  public var windowEndSeconds: Double = 0

  public var count: Int { arrivalSeconds.count }

  /// Longest prompt or output accepted (10⁸ tokens, `Plausibility.tokens`, the limit files and
  /// flags are read with): keeps the engine's 32-bit token arithmetic (prompt + output + a
  /// block) far from overflow.
  public static let maximumTokens = Plausibility.tokens.upper

  /// Most requests one run may draw: the 5·10⁷ of `validate`'s rate × duration bound, with
  /// room for a bursty process that draws more than its mean in the window.
  public static let maximumRequests = 60_000_000

  /// Most output tokens one run is expected to generate (rate × duration × mean output).
  public static let maximumExpectedOutputTokens = 1e8

  /// Draws the requests of `workload` with `seed`. Throws `SimulationError.invalidWorkload`
  /// naming what is wrong.
  public static func sample(_ workload: Workload, seed: UInt64) throws -> SampledRequests {
    try validate(workload)
    var result = SampledRequests()
    if workload.arrival == .trace {
      guard let trace = workload.trace, !trace.isEmpty else {
        throw SimulationError.invalidWorkload("arrival is \"trace\" but the workload holds no trace requests")
      }
      // Stable order by arrival time (ties keep file order).
      let order = trace.indices.sorted { (trace[$0].arrivalSeconds, $0) < (trace[$1].arrivalSeconds, $1) }
      result.arrivalSeconds.reserveCapacity(trace.count)
      result.promptTokens.reserveCapacity(trace.count)
      result.outputTokens.reserveCapacity(trace.count)
      result.profileIndex.reserveCapacity(trace.count)
      for index in order {
        let request = trace[index]
        guard request.arrivalSeconds.isFinite, request.arrivalSeconds >= 0 else {
          throw SimulationError.invalidWorkload("trace request \(index + 1) arrives at \(request.arrivalSeconds) s")
        }
        guard request.promptTokens >= 1, request.outputTokens >= 1, request.promptTokens <= maximumTokens,
          request.outputTokens <= maximumTokens
        else {
          throw SimulationError.invalidWorkload(
            "trace request \(index + 1) has \(request.promptTokens) prompt and \(request.outputTokens) output tokens (each must be 1…\(maximumTokens))"
          )
        }
        result.arrivalSeconds.append(request.arrivalSeconds)
        result.promptTokens.append(Int32(request.promptTokens))
        result.outputTokens.append(Int32(request.outputTokens))
        result.profileIndex.append(-1)
      }
      result.windowEndSeconds = max(workload.durationSeconds, result.arrivalSeconds.last ?? 0)
      return result
    }

    var arrivals = Xoshiro256StarStar(seed: seed, stream: 1)
    var lengths = Xoshiro256StarStar(seed: seed, stream: 2)
    let rate = workload.rateRequestsPerSecond
    let expected = Int(min(rate * workload.durationSeconds * 1.05 + 16, 50_000_000))
    result.arrivalSeconds.reserveCapacity(expected)
    result.promptTokens.reserveCapacity(expected)
    result.outputTokens.reserveCapacity(expected)
    result.profileIndex.reserveCapacity(expected)
    var cumulative: [Double] = []
    var running = 0.0
    for share in workload.profileShares {
      running += share
      cumulative.append(running)
    }

    var time = 0.0
    var index = 0
    while true {
      switch workload.arrival {
      case .poisson: time += arrivals.exponential(rate: rate)
      case .gamma(let cv):
        // Gamma gaps with mean 1/rate and coefficient of variation cv: shape 1/cv², scale cv²/rate.
        let shape = 1 / (cv * cv)
        time += arrivals.gamma(shape: shape, scale: 1 / (rate * shape))
      case .constant: time = Double(index) / rate
      case .trace: break  // handled above
      }
      guard time < workload.durationSeconds else { break }
      guard index < maximumRequests else {
        throw SimulationError.invalidWorkload(
          "the arrival process drew more than \(maximumRequests) requests in \(workload.durationSeconds) s; lower the rate or the duration"
        )
      }
      let draw = lengths.uniform()
      var profile = cumulative.count - 1
      for (candidate, bound) in cumulative.enumerated() where draw < bound {
        profile = candidate
        break
      }
      let spec = workload.profiles[profile]
      result.arrivalSeconds.append(time)
      result.promptTokens.append(Int32(sampleLength(spec.prompt, &lengths)))
      result.outputTokens.append(Int32(sampleLength(spec.output, &lengths)))
      result.profileIndex.append(Int16(profile))
      index += 1
    }
    result.windowEndSeconds = workload.durationSeconds
    return result
  }

  /// One draw of a (validated) length distribution, in whole tokens.
  static func sampleLength(_ distribution: LengthDistribution, _ generator: inout Xoshiro256StarStar) -> Int {
    switch distribution {
    case .fixed(let n): return n
    case .uniform(let low, let high): return low + Int(generator.integer(below: UInt64(high - low + 1)))
    case .normal(let mean, let sd, let lo, let hi):
      return clip(mean + sd * generator.standardNormal(), lo, hi)
    case .logNormal(let median, let sigma, let lo, let hi):
      return clip(median * exp(sigma * generator.standardNormal()), lo, hi)
    case .empirical(let values): return values[Int(generator.integer(below: UInt64(values.count)))]
    }
  }

  /// Rounds to the nearest token and clips to the distribution's stated bounds (part of the
  /// distribution's definition, see `LengthDistribution`).
  private static func clip(_ value: Double, _ lo: Int, _ hi: Int) -> Int {
    let rounded = value.rounded()
    if !(rounded >= Double(lo)) { return lo }
    if rounded > Double(hi) { return hi }
    return Int(rounded)
  }

  static func validate(_ workload: Workload) throws {
    func fail(_ reason: String) -> SimulationError { .invalidWorkload(reason) }
    guard workload.durationSeconds.isFinite, workload.durationSeconds > 0 || workload.arrival == .trace else {
      throw fail("duration must be a positive number of seconds (got \(workload.durationSeconds))")
    }
    guard workload.warmupSeconds.isFinite, workload.warmupSeconds >= 0 else {
      throw fail("warm-up must be ≥ 0 s (got \(workload.warmupSeconds))")
    }
    guard workload.drainSeconds.isFinite, workload.drainSeconds >= 0 else {
      throw fail("drain must be ≥ 0 s (got \(workload.drainSeconds))")
    }
    if workload.arrival == .trace { return }
    guard workload.warmupSeconds < workload.durationSeconds else {
      throw fail(
        "warm-up (\(workload.warmupSeconds) s) must be shorter than the duration (\(workload.durationSeconds) s)")
    }
    guard workload.rateRequestsPerSecond.isFinite, workload.rateRequestsPerSecond > 0 else {
      throw fail("rate must be a positive number of requests per second (got \(workload.rateRequestsPerSecond))")
    }
    guard workload.rateRequestsPerSecond * workload.durationSeconds <= 5e7 else {
      throw fail(
        "rate × duration is \(workload.rateRequestsPerSecond * workload.durationSeconds) requests; the simulator is limited to 5·10⁷"
      )
    }
    // The engine's work grows with the tokens it generates: 10⁸ expected output tokens per run
    // (an hour at 50 req/s of 450-token answers is 8·10⁷, about a second of simulation) bounds
    // one run to seconds, not hours, whatever rate and duration a file asks for.
    let expectedOutputTokens =
      workload.rateRequestsPerSecond * workload.durationSeconds * workload.meanOutputTokens
    guard expectedOutputTokens <= maximumExpectedOutputTokens else {
      throw fail(
        "rate × duration × mean output is \(Units.threeSignificant(expectedOutputTokens)) generated tokens; "
          + "one simulation is limited to 10⁸ (shorten the duration or lower the rate)")
    }
    if case .gamma(let cv) = workload.arrival {
      // Gamma(1/CV², ·) draws: past CV 20 nearly every gap underflows to 0 s and the process
      // cannot be represented in a Double (see `Plausibility.arrivalCV`).
      let range = Plausibility.arrivalCV
      guard cv.isFinite, range.contains(cv) else {
        throw fail("gamma arrivals need a coefficient of variation in \(range) (got \(cv))")
      }
    }
    guard !workload.profiles.isEmpty else { throw fail("at least one client profile is needed") }
    guard workload.profiles.allSatisfy({ $0.weight.isFinite && $0.weight >= 0 }),
      workload.profiles.reduce(0, { $0 + $1.weight }) > 0
    else { throw fail("profile weights must be finite, ≥ 0, and not all zero") }
    for profile in workload.profiles {
      try validate(profile.prompt, what: "profile \"\(profile.name)\" prompt")
      try validate(profile.output, what: "profile \"\(profile.name)\" output")
    }
  }

  static func validate(_ distribution: LengthDistribution, what: String) throws {
    func fail(_ reason: String) -> SimulationError { .invalidWorkload("\(what): \(reason)") }
    let limit = maximumTokens
    switch distribution {
    case .fixed(let n):
      guard n >= 1, n <= limit else { throw fail("length must be 1…\(limit) tokens (got \(n))") }
    case .uniform(let low, let high):
      guard low >= 1, low <= high, high <= limit else {
        throw fail("uniform range \(low)–\(high) must satisfy 1 ≤ low ≤ high ≤ \(limit)")
      }
    case .normal(let mean, let sd, let lo, let hi):
      guard mean.isFinite, sd.isFinite, sd >= 0 else { throw fail("normal needs a finite mean and σ ≥ 0") }
      guard lo >= 1, lo <= hi, hi <= limit else {
        throw fail("normal clip range \(lo)–\(hi) must satisfy 1 ≤ min ≤ max ≤ \(limit)")
      }
    case .logNormal(let median, let sigma, let lo, let hi):
      guard median.isFinite, median > 0, sigma.isFinite, sigma >= 0 else {
        throw fail("log-normal needs a median > 0 and σ ≥ 0")
      }
      guard lo >= 1, lo <= hi, hi <= limit else {
        throw fail("log-normal clip range \(lo)–\(hi) must satisfy 1 ≤ min ≤ max ≤ \(limit)")
      }
    case .empirical(let values):
      guard !values.isEmpty, values.allSatisfy({ $0 >= 1 && $0 <= limit }) else {
        throw fail("an empirical distribution needs at least one value, all in 1…\(limit)")
      }
    }
  }
}

import Foundation

/// Quantiles of Student's t distribution for two-sided 95 % intervals.
public enum StudentT {
  /// t₀.₉₇₅ for ν = 1…30 degrees of freedom, from the standard table (NIST/SEMATECH
  /// e-Handbook of Statistical Methods, §1.3.6.7.2, "Critical values of Student's t").
  static let quantiles975: [Double] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
  ]

  /// t₀.₉₇₅ with `degreesOfFreedom` ν ≥ 1: the table up to 30, above it the Cornish–Fisher
  /// expansion around z = 1.959964 (Abramowitz & Stegun 26.7.5):
  /// t ≈ z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²), within 10⁻³ of the table at ν = 30.
  public static func quantile975(degreesOfFreedom: Int) -> Double {
    let nu = max(degreesOfFreedom, 1)
    if nu <= quantiles975.count { return quantiles975[nu - 1] }
    let z = 1.959_964
    let v = Double(nu)
    let z3 = z * z * z
    let z5 = z3 * z * z
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
  }
}

/// A two-sided 95 % confidence interval for the expected value of a simulated figure over
/// the measurement window, from independent replications (the method of independent
/// replications: Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1):
/// `mean ± t₀.₉₇₅,ₙ₋₁ · s / √n`, s the sample standard deviation of the n replication values.
/// The bounds are then held to the figure's physical range (a success rate stays in [0, 1],
/// a latency ≥ 0), since the t interval is symmetric and the figure is not.
public struct ConfidenceInterval: Sendable, Hashable, Codable {
  /// Mean of the replication values: the point estimate the interval is around.
  public var mean: Double
  public var lowerBound: Double
  public var upperBound: Double
  /// Replications the interval is built from (those that gave a value).
  public var replications: Int
  /// Coverage probability, 0.95.
  public var confidence: Double

  /// Nil with fewer than two finite values (no spread can be estimated from one run).
  public init?(_ values: [Double], range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude) {
    let finite = values.filter(\.isFinite)
    let n = finite.count
    guard n >= 2 else { return nil }
    let mean = finite.reduce(0, +) / Double(n)
    let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    let half = StudentT.quantile975(degreesOfFreedom: n - 1) * (variance / Double(n)).squareRoot()
    self.mean = mean
    lowerBound = min(max(mean - half, range.lowerBound), range.upperBound)
    upperBound = max(min(mean + half, range.upperBound), range.lowerBound)
    replications = n
    confidence = 0.95
  }

  /// Whether `value` lies within the interval (bounds included).
  public func contains(_ value: Double) -> Bool { value >= lowerBound && value <= upperBound }

  /// Half the interval's width.
  public var halfWidth: Double { (upperBound - lowerBound) / 2 }
}

/// Independent replications of a simulation: the same workload with different seeds, run
/// concurrently.
public enum Replications {
  /// Replications the planner and `validate` run of each simulated point. Five gives
  /// t₀.₉₇₅,₄ = 2.776, an interval ≈ 1.24 standard deviations of one run wide on each side.
  public static let defaultCount = 5

  /// Seed of replication `index`: the base seed itself for 0 (so the first replication is the
  /// run `simulate` makes with the scenario's seed), otherwise a SplitMix64 output of the
  /// base seed and the index: deterministic, and distinct streams for every replication.
  public static func seed(base: UInt64, replication index: Int) -> UInt64 {
    guard index > 0 else { return base }
    var mixer = SplitMix64(seed: base ^ (UInt64(index) &* 0xA24B_AED4_963E_E407))
    return mixer.next()
  }

  /// `body(0)`, …, `body(count − 1)` run concurrently (`DispatchQueue.concurrentPerform`, one
  /// worker per core); results in index order, so the outcome does not depend on scheduling.
  /// Rethrows the error of the lowest failing index.
  public static func concurrentMap<T>(count: Int, _ body: (Int) throws -> T) throws -> [T] {
    guard count > 1 else { return try (0..<max(count, 0)).map(body) }
    let slots = Slots<T>(count: count)
    withoutActuallyEscaping(body) { body in
      let work = UncheckedBox(body)
      DispatchQueue.concurrentPerform(iterations: count) { index in
        let outcome = Result { try work.value(index) }
        slots.set(index, outcome)
      }
    }
    return try slots.values().map { try $0.get() }
  }
}

/// Results written by concurrent workers, each to its own index, under a lock.
private final class Slots<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [Result<T, any Error>?]

  init(count: Int) { storage = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ value: Result<T, any Error>) { lock.withLock { storage[index] = value } }

  /// Every slot, once all workers have finished.
  func values() -> [Result<T, any Error>] { lock.withLock { storage.map { $0! } } }
}

/// Carries a closure into `concurrentPerform`'s workers. Callers pass closures that are safe
/// to call from several threads at once (each call works on its own simulation).
private struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

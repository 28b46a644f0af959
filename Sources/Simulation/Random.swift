import Foundation

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; constants as in Vigna's public-domain reference `splitmix64.c`). Used only to
/// expand one 64-bit seed into the 256-bit state of `Xoshiro256StarStar`, as its authors
/// recommend.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64
  public init(seed: UInt64) { state = seed }

  @inline(__always)
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
/// ACM TOMS 47(4), 2021): 256-bit state, period 2^256 − 1, passes BigCrush. Our own so that
/// streams are seedable and identical on every platform and Swift version (the standard
/// library's generator cannot be seeded, and its `random(in:using:)` algorithms may change).
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  /// A generator whose state is four successive SplitMix64 outputs from `seed` (never all
  /// zero: SplitMix64 is a bijection of its counter, and four consecutive outputs cannot all
  /// be zero).
  public init(seed: UInt64) {
    var mixer = SplitMix64(seed: seed)
    s0 = mixer.next()
    s1 = mixer.next()
    s2 = mixer.next()
    s3 = mixer.next()
  }

  /// An independent stream derived from `seed` and a stream number (arrivals, lengths, …),
  /// so that changing how one stream is consumed does not shift the others.
  public init(seed: UInt64, stream: UInt64) {
    var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    self.init(seed: mixer.next())
  }

  @inline(__always)
  private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = Self.rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = Self.rotl(s3, 45)
    return result
  }

  // MARK: Variates (our own algorithms, so results never depend on the standard library's)

  /// Uniform on [0, 1): the top 53 bits scaled by 2⁻⁵³.
  @inline(__always)
  public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// Uniform on (0, 1]: safe to take the logarithm of.
  @inline(__always)
  public mutating func uniformPositive() -> Double { Double((next() >> 11) + 1) * 0x1.0p-53 }

  /// Uniform integer in `0..<bound` (bound > 0), by Lemire's multiply-shift with rejection
  /// ("Fast random integer generation in an interval", ACM TOMACS 2019): unbiased.
  public mutating func integer(below bound: UInt64) -> UInt64 {
    precondition(bound > 0, "bound must be positive")
    var product = next().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
    }
    return product.high
  }

  /// Exponential with the given rate (mean 1/rate), by inversion: −ln U / rate.
  @inline(__always)
  public mutating func exponential(rate: Double) -> Double { -log(uniformPositive()) / rate }

  /// Standard normal by the Box–Muller transform (one of the pair; two uniforms per draw).
  public mutating func standardNormal() -> Double {
    let radius = (-2 * log(uniformPositive())).squareRoot()
    return radius * cos(2 * Double.pi * uniform())
  }

  /// Gamma(shape, scale) by Marsaglia & Tsang, "A simple method for generating gamma
  /// variables", ACM TOMS 26(3), 2000; for shape < 1 the boost Gamma(a) = Gamma(a + 1)·U^(1/a).
  public mutating func gamma(shape: Double, scale: Double) -> Double {
    if shape < 1 {
      let boosted = gamma(shape: shape + 1, scale: scale)
      return boosted * pow(uniformPositive(), 1 / shape)
    }
    let d = shape - 1.0 / 3.0
    let c = 1 / (9 * d).squareRoot()
    while true {
      let z = standardNormal()
      let base = 1 + c * z
      guard base > 0 else { continue }
      let v = base * base * base
      let u = uniformPositive()
      if log(u) < 0.5 * z * z + d - d * v + d * log(v) { return d * v * scale }
    }
  }

  /// Geometric on {1, 2, …} with success probability p (mean 1/p), by inversion.
  public mutating func geometric(successProbability p: Double) -> Int {
    precondition(p > 0 && p <= 1, "p must be in (0, 1]")
    if p == 1 { return 1 }
    return 1 + Int(floor(log(uniformPositive()) / log1p(-p)))
  }
}

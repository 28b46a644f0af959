import Simulation

/// The fuzzer's random numbers: SplitMix64 (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014), chosen because a case's generator is a pure
/// function of (seed, case index): case K can be replayed alone, on any platform, without
/// generating cases 0..<K first.
///
/// The stream itself is the simulator's `SplitMix64`; this type adds the per-case seeding and
/// the draws the mutator needs.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
  private var generator: SplitMix64

  public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

  /// The generator of case `index` under `seed`: the two are mixed through one SplitMix step
  /// each, so neighbouring seeds and indices give unrelated streams.
  public init(seed: UInt64, caseIndex: Int) {
    var mixer = FuzzRandom(seed: seed)
    let a = mixer.next()
    var indexMixer = FuzzRandom(seed: UInt64(truncatingIfNeeded: caseIndex) &+ 0x5851_F42D_4C95_7F2D)
    generator = SplitMix64(seed: a ^ indexMixer.next())
  }

  public mutating func next() -> UInt64 { generator.next() }

  /// A whole number in `0..<bound` (bound > 0).
  public mutating func below(_ bound: Int) -> Int {
    Int(next() % UInt64(max(1, bound)))
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool {
    Double(next() >> 11) / Double(1 << 53) < p
  }

  /// One element of a non-empty collection.
  public mutating func pick<C: RandomAccessCollection>(_ items: C) -> C.Element where C.Index == Int {
    items[items.startIndex + below(items.count)]
  }
}

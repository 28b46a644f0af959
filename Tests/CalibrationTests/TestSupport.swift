import Foundation
import PlanCore
import Testing

@testable import Calibration

/// Paths and catalog shared by the calibration tests.
enum Paths {
  /// `<package>`, found from this file's location so tests do not depend on the cwd.
  static let package: String =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static let catalog = Catalog(root: package + "/Models")
  /// Real H100 measurements vendored in the repository (Vidur profiler, MIT; see the README
  /// in that folder for source and licence).
  static let measurements = package + "/Models/measurements/h100-dgx-vidur"

  static func measurement(_ name: String) throws -> String {
    let path = measurements + "/" + name
    guard FileManager.default.fileExists(atPath: path) else {
      throw TimingError("vendored measurement file missing at \(path)")
    }
    return path
  }
}

/// SplitMix64: a small, seedable, platform-independent random stream for test noise.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1).
  mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
  /// Standard normal (Box–Muller).
  mutating func normal() -> Double {
    (-2 * Foundation.log(uniform())).squareRoot() * Foundation.cos(2 * Double.pi * uniform())
  }
}

/// `count` sizes spaced evenly in log between `low` and `high`, rounded to whole units.
func logSpaced(_ low: Double, _ high: Double, count: Int) -> [Double] {
  (0..<count).map { k in (low * Foundation.pow(high / low, Double(k) / Double(count - 1))).rounded() }
}

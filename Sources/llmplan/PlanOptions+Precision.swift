import ArgumentParser
import PlanCore

extension PlanOptions {
  /// `--kv-dtype` and `--weight-dtype` over the scenario's `precision:` and scheduler.
  func applyPrecision(to s: inout Scenario) throws {
    switch try FlagCheck.kvChoice(kvDType) {
    case .search?: s.precision.searchKVCache = true
    case .fixed(let dtype)?:
      s.scheduler.kvCacheDType = dtype
      s.precision.searchKVCache = false
    case nil: break
    }
    if let weights = try FlagCheck.weightChoice(weightDType, searchAllowed: true) { s.precision.weights = weights }
    if let expertImbalance { s.expertImbalance = expertImbalance }
  }
}

extension FlagCheck {
  /// `--expert-imbalance`: a factor in `Plausibility.expertImbalance`.
  static func imbalance(_ value: Double?) throws {
    guard let value else { return }
    guard value.isFinite, Plausibility.expertImbalance.contains(value) else {
      throw ValidationError(
        "--expert-imbalance \(value) is outside \(Plausibility.expertImbalance), the range of "
          + Plausibility.expertImbalance.quantity)
    }
  }
}

extension Layout {
  /// The same layout with expert-parallel degree `ep`.
  func withExpertParallel(_ ep: Int) -> Layout {
    var copy = self
    copy.ep = ep
    return copy
  }
}

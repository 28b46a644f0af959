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

/// Why a simulation cannot run, or (in checking mode) an internal invariant that broke.
public enum SimulationError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The workload cannot be sampled (bad rate, duration, distribution …).
  case invalidWorkload(String)
  /// The cluster, layout, timings or scheduler settings are inconsistent.
  case invalidConfiguration(String)
  /// A bookkeeping invariant failed (only checked with `SimulationOptions.checkInvariants`).
  case invariantViolated(String)

  public var description: String {
    switch self {
    case .invalidWorkload(let reason): return "invalid workload: \(reason)"
    case .invalidConfiguration(let reason): return "invalid simulation setup: \(reason)"
    case .invariantViolated(let reason): return "simulator invariant violated: \(reason)"
    }
  }
}

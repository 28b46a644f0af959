import PlanCore

/// Work in progress: the coupled prefill/decode event loop.
struct DisaggregatedEngine {
  init(simulator: DisaggregatedSimulator, requests: SampledRequests) {}
  mutating func run() throws {
    throw SimulationError.invalidConfiguration("the disaggregated simulator is not built yet")
  }
  func outcome() -> DisaggregatedOutcome { fatalError("unreachable") }
}

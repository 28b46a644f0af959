import Analytic
import PlanCore
import Planner
import Simulation
import Testing

/// The simulator's peak-concurrency figure (`ReplicaResult.peakRunningSequences`), which the
/// pp-memory scenario reads, against cases whose answer is known exactly.
@Suite("Peak concurrency")
struct PeakConcurrencyTests {
  static func deployment() throws -> Deployment {
    let catalog = try Catalog.locate()
    return try Deployment(
      model: try catalog.model("llama-2-7b"), gpu: try catalog.gpu("a100-80gb-sxm"),
      cluster: try catalog.cluster("dgx-a100"), layout: Layout(tp: 1, pp: 1, dp: 1))
  }

  @Test func loneRequestsRunOneAtATime() throws {
    // One request every 2 s; each takes ≈ 0.12 s of prefill + 49 × 12 ms of decode ≈ 0.7 s.
    let workload = Workload(
      rateRequestsPerSecond: 0.5, arrival: .constant,
      profiles: [ClientProfile(name: "doc", prompt: .fixed(2000), output: .fixed(50))], durationSeconds: 20,
      drainSeconds: 10)
    let result = try Self.deployment().simulate(workload: workload, slo: nil)
    try #require(result.replicas.count == 1)
    #expect(result.replicas[0].peakRunningSequences == 1)
  }

  @Test func overloadFillsTheSequenceCap() throws {
    // 100 req/s of short requests against max_num_seqs = 4: the scheduler admits exactly 4.
    let workload = Workload(
      rateRequestsPerSecond: 100, profiles: [ClientProfile(name: "chat", prompt: .fixed(100), output: .fixed(100))],
      durationSeconds: 5, drainSeconds: 1)
    let result = try Self.deployment().simulate(
      workload: workload, slo: nil, scheduler: ScenarioScheduler(maxNumSeqs: 4))
    try #require(result.replicas.count == 1)
    #expect(result.replicas[0].peakRunningSequences == 4)
  }
}

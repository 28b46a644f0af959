import Foundation
import PlanCore
import Planner
import Testing

/// Shared fixtures: the repository root and catalog, found from this file's location so the
/// tests do not depend on the working directory, and small planning requests.
enum Fixtures {
  static let repositoryRoot: String =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  static let catalog = Catalog(root: repositoryRoot + "/Models")

  /// A fresh temporary directory.
  static func temporaryDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "llmplan-planner-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.path
  }

  /// A single-profile scenario, short enough to simulate quickly in a debug build.
  static func scenario(
    model: String, gpu: String, cluster: String, rate: Double, prompt: LengthDistribution, output: LengthDistribution,
    budget: Int, slo: SLO = SLO(ttftSeconds: 2, tpotSeconds: 0.1, successRateFloor: 0.95), duration: Double = 60,
    warmup: Double = 15, objective: PlanObjective = .goodputPerGPU
  ) -> Scenario {
    Scenario(
      name: "test", model: model, gpu: gpu, cluster: cluster,
      workload: Workload(
        rateRequestsPerSecond: rate, profiles: [ClientProfile(name: "test", prompt: prompt, output: output)],
        durationSeconds: duration, warmupSeconds: warmup, drainSeconds: 60, seed: 3),
      slo: slo, objective: objective.rawValue, gpuBudget: budget)
  }
}

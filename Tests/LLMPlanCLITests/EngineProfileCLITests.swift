import Analytic
import Foundation
import PlanCore
import Planner
import Testing

@testable import llmplan

private let catalogRoot =
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Models").path

@Suite struct EnginesCommandTests {
  @Test func textListsEveryProfile() throws {
    let text = try EnginesCommand.parse(["--catalog", catalogRoot]).render()
    for name in ["vllm", "vllm-v0", "sglang", "trtllm"] { #expect(text.contains(name)) }
    #expect(text.contains("custom ≤ 8.39 MB"))
  }

  /// JSON carries SI numbers; the host time at batch 64 is the law: vllm-v0 1.29 ms + 64 ·
  /// 0.104 ms = 7.946 ms.
  @Test func jsonCarriesTheLaw() throws {
    let output = try EnginesCommand.parse(["--catalog", catalogRoot, "--json", "vllm-v0"]).render()
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
    #expect(rows.count == 1)
    let row = rows[0]
    #expect(row["name"] as? String == "vllm-v0")
    let batch64 = try #require(row["overheadBatch64Seconds"] as? Double)
    #expect(abs(batch64 - 7.946e-3) < 1e-9)
    #expect(row["customAllReduce"] as? Bool == true)
  }
}

@Suite struct EngineFlagTests {
  func tpot(_ extra: [String], tp: Int) throws -> Double {
    let command = try EstimateCommand.parse(
      [
        "--catalog", catalogRoot, "--model", "llama-2-70b", "--gpu", "h100-80gb-sxm", "--tp", "\(tp)",
        "--prompt", "512", "--output", "128", "--batch", "4",
      ] + extra)
    return try command.makePrediction().0.tpotSeconds
  }

  /// `--engine vllm-v0` (2024 V0, synchronous host work) predicts a slower step than the default
  /// (`vllm`, async scheduling) by the difference of the two laws at batch 4 (the KV cache of
  /// Llama-2-70B on TP2 holds 5 such sequences): on TP > 1,
  /// (1.29 + 0.104 · 4) + (2.40 + 0.094 · 4) − 0.16 = 4.322 ms; the default equals `--engine vllm`.
  @Test(arguments: [2, 4, 8]) func olderEngineIsSlowerPerStep(tp: Int) throws {
    let standard = try tpot([], tp: tp)
    #expect(try tpot(["--engine", "vllm"], tp: tp) == standard)
    let old = try tpot(["--engine", "vllm-v0"], tp: tp)
    #expect(abs((old - standard) - 4.322e-3) < 1e-9)
  }

  @Test func unknownEngineIsAnError() throws {
    #expect(throws: (any Error).self) { _ = try tpot(["--engine", "vllm-v7"], tp: 2) }
  }
}

/// The launch command follows the engine profile.
@Suite struct EngineLaunchCommandTests {
  func launch(engine: String, tp: Int = 2) throws -> LaunchCommand {
    let catalog = Catalog(root: catalogRoot)
    let workload = Workload(
      rateRequestsPerSecond: 1, arrival: .poisson,
      profiles: [ClientProfile(name: "chat", prompt: .fixed(200), output: .fixed(100))], durationSeconds: 20,
      warmupSeconds: 5, drainSeconds: 10, seed: 1)
    let scenario = Scenario(
      name: "launch", model: "llama-2-7b", gpu: "h100-80gb-sxm", workload: workload, gpuBudget: tp, engine: engine)
    let request = try PlanRequest(scenario: scenario, catalog: catalog, searchSimulatedMaxRate: false)
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    let candidate = try #require(ranked.first { $0.layout.tp == tp && $0.layout.pp == 1 })
    return LaunchCommandBuilder.build(request: request, candidate: candidate)
  }

  @Test func vllmUsesItsCustomAllReduceAndGraphs() throws {
    let command = try launch(engine: "vllm").command
    #expect(command.hasPrefix("vllm serve"))
    #expect(command.contains("--tensor-parallel-size 2"))
    #expect(!command.contains("--disable-custom-all-reduce") && !command.contains("--enforce-eager"))
  }

  @Test func sglangAndTensorRTLLMGetTheirOwnLaunchers() throws {
    let sglang = try launch(engine: "sglang")
    #expect(sglang.command.hasPrefix("python -m sglang.launch_server"))
    #expect(sglang.command.contains("--tp-size 2") && sglang.command.contains("--page-size 1"))
    #expect(sglang.command.contains("--mem-fraction-static 0.88"))
    let trtllm = try launch(engine: "trtllm")
    #expect(trtllm.command.hasPrefix("trtllm-serve") && trtllm.command.contains("--tp_size 2"))
    #expect(trtllm.command.contains("--max_batch_size 2048"))
    #expect(trtllm.notes.contains { $0.contains("tokens_per_block: 32") })
  }

  /// A profile that says NCCL and no CUDA graphs gets `--disable-custom-all-reduce` and
  /// `--enforce-eager`.
  @Test func ncclAndEagerProfileFlags() throws {
    let object: [String: Any] = [
      "engine": "vllm", "version": "test: NCCL, eager",
      "iteration_overhead": ["fixed": "1 ms", "eager_launch_per_layer": "0.1 ms", "source": "test"],
      "all_reduce": ["custom": false, "source": "test"],
      "cuda_graphs": ["enabled": false, "source": "test"],
      "defaults": [
        "max_num_seqs": 128, "max_num_batched_tokens": 4096, "block_size": 16, "gpu_memory_utilization": 0.9,
        "source": "test",
      ],
      "source": "test",
    ]
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("nccl-eager.json").path
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    let command = try launch(engine: path).command
    #expect(command.contains("--disable-custom-all-reduce") && command.contains("--enforce-eager"))
    #expect(command.contains("--max-num-seqs 128") && command.contains("--max-num-batched-tokens 4096"))
  }
}

/// The simulator and the analytic model book the same overhead: a deployment's simulator
/// timings and its evaluator's replica are the same law, stage by stage.
@Suite struct EngineOverheadInvariantTests {
  @Test(arguments: ["vllm", "vllm-v0", "sglang", "trtllm"]) func sameTimingsInBothHalves(name: String) throws {
    let catalog = Catalog(root: catalogRoot)
    let profile = try catalog.engine(name)
    let model = try catalog.model("llama-2-7b")
    let gpu = try catalog.gpu("h100-80gb-sxm")
    let layout = Layout(tp: 2, pp: 2, dp: 1)
    let deployment = try Deployment(
      model: model, gpu: gpu, cluster: Cluster.idealNodes(gpu: gpu, gpuCount: 4), layout: layout,
      engine: EngineConfig(profile: profile))
    let simulated = deployment.timings[0]
    let analytic = deployment.evaluator.replicas[0]
    #expect(simulated.iterationOverhead == analytic.iterationOverhead)
    for batch in [BatchShape.decode(batch: 1, context: 300), .decode(batch: 100, context: 300), .prefill(tokens: 2000)]
    {
      for stage in 0..<2 {
        #expect(simulated.stageSeconds(stage: stage, batch: batch) == analytic.stageSeconds(stage: stage, batch: batch))
      }
      let expected = profile.overheadSeconds(
        sequences: batch.prefillSequences + batch.decodeSequences, tokens: batch.totalTokens, gpus: 2)
      #expect(abs(analytic.pass(batch).breakdown.overheadSeconds - expected) < 1e-12)
    }
  }
}

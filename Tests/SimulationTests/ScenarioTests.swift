import Foundation
import PlanCore
import Simulation
import Testing

@Suite struct ScenarioTests {
  func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "llmplan-scenario-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  func write(_ text: String, _ path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  @Test func yamlScenarioReadsEveryField() throws {
    let directory = try temporaryDirectory()
    let path = directory + "/s.yaml"
    try write(
      """
      name: mix
      model: llama-2-7b
      gpu: a100-80gb
      cluster: dgx-a100
      layout: {tp: 2, pp: 1, dp: 4}
      workload:
        rate: "20 req/s"
        arrival: {type: gamma, cv: 2.5}
        profiles:
          - {name: chat, weight: 3, prompt: "100-400", output: {dist: lognormal, median: 300, sigma: 0.6, max: 2000}}
          - {name: summarise, prompt: 2000, output: 50}
          - {name: n, weight: 0.5, prompt: {dist: normal, mean: 500, sd: 100, min: 10, max: 1000}, output: {dist: uniform, min: 1, max: 9}}
      duration: 10 min
      warmup: 60 s
      drain: 2 min
      seed: 42
      slo: {ttft: 500 ms, tpot: 50 ms, success_rate: 0.99}
      objective: min_gpus
      gpu_budget: 8
      router: least_kv_load
      scheduler: {max_num_seqs: 128, max_num_batched_tokens: 4096, chunked_prefill: true, block_size: 32,
                  waiting_queue_cap: 500, queue_timeout: 30 s, kv_cache_blocks: 20000, gpu_memory_utilisation: 0.85}
      """, path)
    let scenario = try Scenario.load(path)
    #expect(scenario.name == "mix" && scenario.model == "llama-2-7b" && scenario.gpu == "a100-80gb")
    #expect(scenario.layout == Layout(tp: 2, pp: 1, dp: 4))
    let w = scenario.workload
    #expect(w.rateRequestsPerSecond == 20 && w.arrival == .gamma(coefficientOfVariation: 2.5))
    #expect(w.durationSeconds == 600 && w.warmupSeconds == 60 && w.drainSeconds == 120 && w.seed == 42)
    try #require(w.profiles.map(\.name) == ["chat", "summarise", "n"])
    #expect(w.profiles.map(\.weight) == [3, 1, 0.5])
    #expect(w.profiles[0].prompt == .uniform(low: 100, high: 400))
    #expect(w.profiles[0].output == .logNormal(median: 300, sigma: 0.6, min: 1, max: 2000))
    #expect(w.profiles[1].prompt == .fixed(2000) && w.profiles[1].output == .fixed(50))
    #expect(w.profiles[2].prompt == .normal(mean: 500, standardDeviation: 100, min: 10, max: 1000))
    #expect(scenario.slo == SLO(ttftSeconds: 0.5, tpotSeconds: 0.05, successRateFloor: 0.99))
    #expect(scenario.objective == "min_gpus" && scenario.gpuBudget == 8 && scenario.router == .leastKVLoad)
    #expect(
      scenario.scheduler
        == ScenarioScheduler(
          maxNumSeqs: 128, maxNumBatchedTokens: 4096, chunkedPrefill: true, blockSizeTokens: 32, waitingQueueCap: 500,
          queueTimeoutSeconds: 30, kvCacheBlocks: 20000, gpuMemoryUtilisation: 0.85))
  }

  @Test func jsonScenarioWithTraceResolvesThePathBesideTheFile() throws {
    let directory = try temporaryDirectory()
    try write(
      "arrival_seconds,prompt_tokens,output_tokens\n0,100,10\n# comment\n\n2.5,200,20\r\n4,300,30\n",
      directory + "/t.csv")
    try write(
      #"{"model": "m", "workload": {"arrival": {"type": "trace", "path": "t.csv"}}, "drain": 10}"#,
      directory + "/s.json")
    let scenario = try Scenario.load(directory + "/s.json")
    #expect(scenario.name == "s")
    #expect(scenario.workload.arrival == .trace)
    #expect(scenario.workload.trace?.map(\.promptTokens) == [100, 200, 300])
    #expect(scenario.workload.durationSeconds == 4)  // the last arrival
    #expect(scenario.workload.rateRequestsPerSecond == 0.75)
    #expect(scenario.router == .roundRobin && scenario.slo == nil)
  }

  @Test func errorsNameTheFieldAndTheRowAndColumn() throws {
    let directory = try temporaryDirectory()
    func failure(_ yaml: String) -> String {
      let path = directory + "/bad-\(UUID().uuidString).yaml"
      try? write(yaml, path)
      do {
        _ = try Scenario.load(path)
        return "no error"
      } catch { return String(describing: error) }
    }
    let base = "model: m\nworkload: {rate: 1, prompt: 10, output: 10}\n"
    #expect(failure("model: m\nworkload: {rate: 1, prompt: \"10-x\", output: 5}").contains("workload.prompt"))
    #expect(failure(base + "warmpu: 5").contains("warmpu: unknown field"))
    #expect(failure(base + "router: random").contains("router: unknown router"))
    #expect(failure(base + "slo: {ttft: 5 parsecs, tpot: 1}").contains("slo.ttft"))
    #expect(
      failure("model: m\nworkload: {rate: 1, arrival: gamma, prompt: 1, output: 1}").contains(
        "coefficient of variation"))
    #expect(
      failure("model: m\nworkload: {rate: 1, profiles: [{prompt: 1, output: {dist: normal, mean: 5, sd: 1}}]}")
        .contains("workload.profiles[0].output.max: missing"))
    #expect(failure(base + "duration: 10\nwarmup: 20").contains("warmup"))

    let csv = "arrival_seconds,prompt_tokens,output_tokens\n0,10,10\n1,ten,10\n"
    #expect(
      throws: CatalogError(
        file: "t.csv", field: "line 3, column 2 (prompt_tokens)",
        reason: "\"ten\" is not a whole number of tokens in 1 … 100,000,000")
    ) {
      _ = try TraceFile.parse(csv, file: "t.csv")
    }
    let negative = "prompt_tokens,output_tokens,arrival_seconds\n10,10,-1\n"
    #expect(
      throws: CatalogError(
        file: "t.csv", field: "line 2, column 3 (arrival_seconds)", reason: "\"-1\" is not a time in seconds ≥ 0")
    ) {
      _ = try TraceFile.parse(negative, file: "t.csv")
    }
    #expect(throws: CatalogError.self) { _ = try TraceFile.parse("time,prompt,output\n1,2,3\n", file: "t.csv") }
    #expect(throws: CatalogError.self) {
      _ = try TraceFile.parse("arrival_seconds,prompt_tokens,output_tokens\n1,2\n", file: "t.csv")
    }
  }

  @Test func theExampleScenarioLoadsAndSimulates() throws {
    // Reports/scenarios/example.yaml, found from this source file's location.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let scenario = try Scenario.load(root.appendingPathComponent("Reports/scenarios/example.yaml").path)
    #expect(scenario.workload.profiles.count >= 2)
    // Run a short slice of it on the test roofline to show the pieces fit together.
    var workload = scenario.workload
    workload.durationSeconds = 30
    workload.warmupSeconds = 5
    let layout = scenario.layout ?? Layout(tp: 1, pp: 1, dp: 1)
    let result = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: layout.pp, dp: layout.dp),
      timing: SimpleRooflineTiming.llama2_7B_A100(stages: layout.pp),
      scheduler: try SchedulerConfig(scenario.scheduler, kvCacheBlocks: 6850), router: scenario.router,
      slo: scenario.slo
    ).run()
    #expect(result.arrived > 0)
    // The example's overrides reach the scheduler; unspecified ones keep the defaults.
    let config = try SchedulerConfig(scenario.scheduler, kvCacheBlocks: 6850)
    #expect(config.waitingQueueCap == 2000 && config.queueTimeoutSeconds == 60 && config.kvCacheBlocks == 6850)
    #expect(throws: SimulationError.self) {
      _ = try SchedulerConfig(ScenarioScheduler(maxNumSeqs: 512, maxNumBatchedTokens: 256), kvCacheBlocks: 10)
    }
  }
}

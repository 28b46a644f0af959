import PlanCore

extension Scenario {
  /// The question `llmplan recommend` answers with no arguments: Llama-2-13B on one DGX A100
  /// node fitted with 40 GB A100s, serving a mix of chat, summarisation and long generation at
  /// 6 requests/s under a 2 s TTFT / 100 ms TPOT SLO for 95 % of requests.
  ///
  /// Why these numbers: 13B in fp16 is 26 GB of weights, so on a 40 GB GPU a single-GPU
  /// replica keeps only ~8 GB for KV cache and serves well under 1 request/s of this mix; at
  /// 6 requests/s even eight such replicas fall short, while TP 2, TP 4, TP 8 and pipelined
  /// layouts can all serve it with different GPU counts — the choice is not obvious. The
  /// simulation measures 120 s (about 720 requests) after a 60 s warm-up — longer than a
  /// long-generation request lasts (≈ 1150 tokens × 30–60 ms), so the window sees the steady
  /// state — and a whole `recommend` still takes about a second in a release build. The same
  /// scenario as a file: `Reports/examples/default.yaml`.
  public static let defaultPlanning = Scenario(
    name: "llama-2-13b-a100-40gb-mixed", model: "llama-2-13b", gpu: "a100-40gb-sxm", cluster: "dgx-a100",
    workload: Workload(
      rateRequestsPerSecond: 6, arrival: .poisson,
      profiles: [
        ClientProfile(
          name: "chat", weight: 3, prompt: .uniform(low: 100, high: 500), output: .uniform(low: 100, high: 600)),
        ClientProfile(
          name: "summarise", weight: 1, prompt: .uniform(low: 1500, high: 2000), output: .uniform(low: 50, high: 150)),
        ClientProfile(
          name: "long-generation", weight: 1, prompt: .uniform(low: 500, high: 1000),
          output: .uniform(low: 800, high: 1500)),
      ], durationSeconds: 180, warmupSeconds: 60, drainSeconds: 60, seed: 1),
    slo: SLO(ttftSeconds: 2, tpotSeconds: 0.1, successRateFloor: 0.95), objective: PlanObjective.goodputPerGPU.rawValue,
    gpuBudget: 8, router: .roundRobin)
}

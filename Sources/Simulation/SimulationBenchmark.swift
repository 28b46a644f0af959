import Foundation
import PlanCore

/// Measures the simulator's own speed (wall clock is read here, never inside the simulator).
public enum SimulationBenchmark {
  /// The benchmark scenario. Defaults: Llama-2-7B-like timing (`SimpleRooflineTiming`) on 4
  /// DP replicas of one A100 each, Poisson arrivals at 50 req/s for one simulated hour,
  /// prompts uniform on 1000–2000 tokens and outputs on 100–800. (This load exceeds what four
  /// A100s serve for 7B — prefill alone needs ≈ 1.2 GPU-seconds per second per replica — so
  /// queues grow and the KV caches stay full: the heaviest case for the event loop.)
  public struct Configuration: Sendable, Hashable {
    public var durationSeconds: Double
    public var rateRequestsPerSecond: Double
    public var replicas: Int
    public var stages: Int
    public var prompt: LengthDistribution
    public var output: LengthDistribution
    public var chunkedPrefill: Bool
    public var seed: UInt64

    public init(
      durationSeconds: Double = 3600, rateRequestsPerSecond: Double = 50, replicas: Int = 4, stages: Int = 1,
      prompt: LengthDistribution = .uniform(low: 1000, high: 2000),
      output: LengthDistribution = .uniform(low: 100, high: 800),
      chunkedPrefill: Bool = false, seed: UInt64 = 1
    ) {
      self.durationSeconds = durationSeconds
      self.rateRequestsPerSecond = rateRequestsPerSecond
      self.replicas = replicas
      self.stages = stages
      self.prompt = prompt
      self.output = output
      self.chunkedPrefill = chunkedPrefill
      self.seed = seed
    }
  }

  /// What one benchmark run measured.
  public struct Figures: Sendable, Hashable, Codable {
    public var requests: Int
    public var events: Int
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    public var requestsPerWallSecond: Double
    public var eventsPerWallSecond: Double
    /// Peak resident set of the process (VmHWM from /proc/self/status), bytes; null where
    /// the platform does not report it.
    public var peakRSSBytes: Int?
    /// The simulated system's own figures, for orientation.
    public var outputTokensPerSecond: Double?
    public var successRate: Double?
    public var preemptions: Int
  }

  public static func run(_ configuration: Configuration = Configuration()) throws -> Figures {
    let workload = Workload(
      rateRequestsPerSecond: configuration.rateRequestsPerSecond, arrival: .poisson,
      profiles: [ClientProfile(name: "bench", prompt: configuration.prompt, output: configuration.output)],
      durationSeconds: configuration.durationSeconds, warmupSeconds: 0, drainSeconds: 0, seed: configuration.seed)
    let scheduler = SchedulerConfig(
      kvCacheBlocks: SimpleRooflineTiming.llama2_7B_A100_kvCacheBlocks * configuration.stages,
      chunkedPrefill: configuration.chunkedPrefill)
    let simulator = try Simulator(
      workload: workload, layout: Layout(tp: 1, pp: configuration.stages, dp: configuration.replicas),
      timing: SimpleRooflineTiming.llama2_7B_A100(stages: configuration.stages), scheduler: scheduler,
      router: .roundRobin, slo: SLO(ttftSeconds: 2, tpotSeconds: 0.1))
    let clock = ContinuousClock()
    let start = clock.now
    let result = try simulator.run()
    let elapsed = clock.now - start
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let requests = result.arrived + result.warmupRequests
    return Figures(
      requests: requests, events: result.events, simulatedSeconds: result.simulatedSeconds, wallSeconds: wall,
      requestsPerWallSecond: wall > 0 ? Double(requests) / wall : 0,
      eventsPerWallSecond: wall > 0 ? Double(result.events) / wall : 0, peakRSSBytes: peakResidentBytes(),
      outputTokensPerSecond: result.outputTokensPerSecond, successRate: result.successRate,
      preemptions: result.preemptions)
  }

  /// VmHWM ("high water mark" of the resident set) from /proc/self/status, in bytes.
  public static func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let parts = line.split(separator: " ", omittingEmptySubsequences: true)
      guard parts.count >= 3, let kilobytes = Int(parts[1]), parts[2] == "kB" else { return nil }
      return kilobytes * 1024
    }
    return nil
  }
}

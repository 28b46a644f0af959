import Analytic
import ArgumentParser
import Foundation
import PlanCore
import Planner
import Simulation

/// `llmplan simulate`: replay a workload through the discrete-event serving simulator.
struct SimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulate serving a workload on one layout, request by request and iteration by iteration.",
    discussion: """
      Every iteration is timed with the same cost and communication models as `estimate`; the \
      simulator adds queueing, continuous batching with a paged KV cache (blocks from the memory \
      model), preemption, pipeline micro-batches and DP routing. Give the run with flags, or keep \
      it in a scenario file (--scenario FILE, YAML or JSON; see Reports/scenarios/example.yaml). \
      Lengths are a number (fixed) or LO-HI (uniform). --profile NAME:WEIGHT:PROMPT:OUTPUT adds a \
      client profile (repeatable), e.g. --profile chat:3:100-400:200-800 \
      --profile summarise:1:2000:50. Same inputs and --seed give byte-identical output.
      """)

  @OptionGroup var catalogOptions: CatalogOptions

  @Option(help: "Scenario file (YAML or JSON). Replaces the workload, model and layout flags.")
  var scenario: String?

  @Option(help: "Model: catalog name or path to a HuggingFace config.json.") var model: String?
  @Option(help: "GPU: catalog name or path (default: the cluster's GPU).") var gpu: String?
  @Option(help: "Cluster: catalog name or path (default: built-in ideal nodes).") var cluster: String?
  @Option(help: "Tensor-parallel degree.") var tp: Int = 1
  @Option(help: "Pipeline-parallel degree.") var pp: Int = 1
  @Option(help: "Data-parallel degree (replicas).") var dp: Int = 1
  @Option(help: "Arrival rate, requests/s.") var rate: Double?
  @Option(help: "Arrival window, e.g. \"300 s\" or \"10 min\".") var duration: String = "300 s"
  @Option(help: "Leading part of the window excluded from the metrics.") var warmup: String = "0 s"
  @Option(help: "How long the run may go on after the last arrival.") var drain: String = "120 s"
  @Option(help: "Prompt tokens: N or LO-HI.") var prompt: String?
  @Option(help: "Output tokens: N or LO-HI.") var output: String?
  @Option(help: "Client profile NAME:WEIGHT:PROMPT:OUTPUT (repeatable).") var profile: [String] = []
  @Option(help: "Arrival process: poisson, constant, or gamma:CV.") var arrival: String = "poisson"
  @Option(help: "Trace CSV (arrival_seconds,prompt_tokens,output_tokens) replacing rate and lengths.")
  var trace: String?
  @Option(help: "Random seed (default 1, or the scenario's).") var seed: UInt64?
  @Flag(help: "Chunked prefill (decodes first, prompts fill the token budget).") var chunkedPrefill = false
  @OptionGroup var engine: EngineOptions
  @OptionGroup var load: LoadOptions
  @Flag(help: "Print JSON instead of text.") var json = false

  func run() throws {
    try withUserFacingErrors {
      let catalog = try catalogOptions.load()
      let scenario = try self.scenario.map(Scenario.load) ?? flagScenario()
      let resolved = try ResolvedScenario(scenario, catalog: catalog)
      guard let layout = scenario.layout else {
        throw UserFacingError(
          message: "the scenario has no layout: add `layout: {tp, pp, dp}` (or use `llmplan recommend`)")
      }
      let deployment = try Deployment(
        model: resolved.model, gpu: resolved.gpu, cluster: resolved.cluster, layout: layout,
        engine: self.scenario == nil ? engine.config : Deployment.engineConfig(scenario.scheduler))
      let bar = ProgressBar(label: "simulating")
      let result = try deployment.simulate(
        workload: scenario.workload, router: scenario.router, slo: scenario.slo, scheduler: scenario.scheduler,
        seed: seed, progress: bar.update)
      bar.finish()
      if json {
        try JSONOutput.print(result)
      } else {
        print(
          "\(resolved.model.name) on \(layout.totalGPUs) × \(resolved.gpu.name) (\(layout)), cluster \(resolved.cluster.name)"
        )
        print(result.renderedText())
      }
    }
  }

  /// The scenario the flags describe.
  func flagScenario() throws -> Scenario {
    guard let model else { throw UserFacingError(message: "give --model (or --scenario FILE)") }
    let durationSeconds = try parseSeconds(duration, option: "--duration")
    let warmupSeconds = try Units.seconds(warmup)
    let drainSeconds = try Units.seconds(drain)
    guard warmupSeconds >= 0, warmupSeconds < durationSeconds, drainSeconds >= 0 else {
      throw UserFacingError(message: "need 0 ≤ --warmup < --duration and --drain ≥ 0")
    }
    var profiles: [ClientProfile] = []
    for text in profile {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      guard parts.count == 4, let weight = Double(parts[1]), weight > 0 else {
        throw UserFacingError(message: "--profile \"\(text)\": expected NAME:WEIGHT:PROMPT:OUTPUT with WEIGHT > 0")
      }
      profiles.append(
        ClientProfile(
          name: parts[0], weight: weight, prompt: try LengthDistribution.parse(parts[2], option: "prompt"),
          output: try LengthDistribution.parse(parts[3], option: "output")))
    }
    var traceRequests: [TraceRequest]?
    var arrivalProcess: ArrivalProcess
    switch arrival.lowercased() {
    case "poisson": arrivalProcess = .poisson
    case "constant": arrivalProcess = .constant
    case let text where text.hasPrefix("gamma:"):
      guard let cv = Double(text.dropFirst(6)), cv > 0 else {
        throw UserFacingError(message: "--arrival gamma:CV needs a positive coefficient of variation")
      }
      arrivalProcess = .gamma(coefficientOfVariation: cv)
    default: throw UserFacingError(message: "--arrival must be poisson, constant or gamma:CV (got \"\(arrival)\")")
    }
    if let trace {
      traceRequests = try TraceFile.load(trace)
      arrivalProcess = .trace
    } else {
      if profiles.isEmpty {
        guard let prompt, let output else {
          throw UserFacingError(message: "give --prompt and --output, one or more --profile, or --trace")
        }
        profiles = [
          ClientProfile(
            name: "default", prompt: try LengthDistribution.parse(prompt, option: "--prompt"),
            output: try LengthDistribution.parse(output, option: "--output"))
        ]
      }
      guard let rate, rate > 0, rate.isFinite else {
        throw UserFacingError(message: "--rate must be a positive number of requests per second")
      }
    }
    let lastArrival = traceRequests?.map(\.arrivalSeconds).max()
    let workload = Workload(
      rateRequestsPerSecond: rate ?? 0, arrival: arrivalProcess, profiles: profiles,
      durationSeconds: trace != nil ? (lastArrival ?? durationSeconds) : durationSeconds,
      warmupSeconds: warmupSeconds, drainSeconds: drainSeconds, seed: seed ?? 1, trace: traceRequests)
    var scheduler = ScenarioScheduler()
    scheduler.chunkedPrefill = chunkedPrefill
    return Scenario(
      name: "command-line", model: model, gpu: gpu, cluster: cluster,
      layout: try Layout.checked(tp: tp, pp: pp, dp: dp),
      workload: workload, tracePath: trace, slo: try load.slo(), router: try load.routerPolicy(), scheduler: scheduler)
  }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and the work has taken more
/// than a second; silent otherwise (pipes, CI, tests).
final class ProgressBar: @unchecked Sendable {
  private let label: String
  private let start = Date()
  private let enabled = isatty(STDERR_FILENO) != 0
  private var drawn = false
  private var lastPercent = -1

  init(label: String) { self.label = label }

  func update(_ fraction: Double) {
    guard enabled, Date().timeIntervalSince(start) > 1 else { return }
    let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
    guard percent != lastPercent else { return }
    lastPercent = percent
    let width = 30
    let filled = percent * width / 100
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
    drawn = true
  }

  func finish() {
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}

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
      it in a scenario file (--scenario FILE, YAML or JSON; see Reports/examples/); flags given with \
      a scenario override its fields (e.g. --dp 2 on a scenario without a layout). \
      Lengths are a number (fixed) or LO-HI (uniform). --profile NAME:WEIGHT:PROMPT:OUTPUT adds a \
      client profile (repeatable), e.g. --profile chat:3:100-400:200-800 \
      --profile summarise:1:2000:50. Same inputs and --seed give byte-identical output. Requests \
      longer than the model's context window (any profile's longest prompt + output, any trace \
      request) are refused, naming the flag or field (exit status 1).
      """)

  @OptionGroup var catalogOptions: CatalogOptions

  @Option(help: "Scenario file (YAML or JSON). Flags given with it override its fields.")
  var scenario: String?

  @Option(help: "Model: catalog name or path to a HuggingFace config.json.") var model: String?
  @Option(help: "GPU: catalog name or path (default: the cluster's GPU).") var gpu: String?
  @Option(help: "Cluster: catalog name or path (default: built-in ideal nodes).") var cluster: String?
  @Option(parsing: .unconditional, help: "Tensor-parallel degree (default 1, or the scenario's).") var tp: Int?
  @Option(parsing: .unconditional, help: "Pipeline-parallel degree (default 1, or the scenario's).") var pp: Int?
  @Option(parsing: .unconditional, help: "Data-parallel degree, replicas (default 1, or the scenario's).") var dp: Int?
  @Option(parsing: .unconditional, help: "Expert-parallel degree, MoE models (default 1, or the scenario's).")
  var ep: Int?
  @Option(parsing: .unconditional, help: "Arrival rate, requests/s.") var rate: Double?
  @Option(parsing: .unconditional, help: "Arrival window, e.g. \"300 s\" or \"10 min\" (default 300 s).")
  var duration: String?
  @Option(parsing: .unconditional, help: "Leading part of the window excluded from the metrics (default 0 s).")
  var warmup: String?
  @Option(parsing: .unconditional, help: "How long the run may go on after the last arrival (default 120 s).")
  var drain: String?
  @Option(parsing: .unconditional, help: "Prompt tokens: N or LO-HI.") var prompt: String?
  @Option(parsing: .unconditional, help: "Output tokens: N or LO-HI.") var output: String?
  @Option(help: "Client profile NAME:WEIGHT:PROMPT:OUTPUT (repeatable).") var profile: [String] = []
  @Option(help: "Arrival process: poisson, constant, or gamma:CV (default poisson).") var arrival: String?
  @Option(help: "Trace CSV (arrival_seconds,prompt_tokens,output_tokens) replacing rate and lengths.")
  var trace: String?
  @Option(parsing: .unconditional, help: "Random seed (default 1, or the scenario's).") var seed: UInt64?
  @Flag(help: "Chunked prefill (decodes first, prompts fill the token budget).") var chunkedPrefill = false
  @OptionGroup var engine: EngineOptions
  @OptionGroup var engineProfile: EngineProfileOption
  @OptionGroup var load: LoadOptions
  @Flag(help: "Print JSON instead of text.") var json = false

  func validate() throws {
    try FlagCheck.atLeast(tp, 1, "--tp")
    try FlagCheck.atLeast(pp, 1, "--pp")
    try FlagCheck.atLeast(dp, 1, "--dp")
    try FlagCheck.atLeast(ep, 1, "--ep")
    try FlagCheck.positive(rate, "--rate", unit: "requests per second", range: Plausibility.rate)
    _ = try FlagCheck.seconds(duration, "--duration")
    _ = try FlagCheck.seconds(warmup, "--warmup", zeroAllowed: true)
    _ = try FlagCheck.seconds(drain, "--drain", zeroAllowed: true)
    _ = try FlagCheck.length(prompt, "--prompt")
    _ = try FlagCheck.length(output, "--output")
    _ = try FlagCheck.profiles(profile)
    _ = try FlagCheck.arrival(arrival)
    guard (prompt == nil) == (output == nil) else { throw ValidationError("give --prompt and --output together") }
    if !profile.isEmpty, prompt != nil { throw ValidationError("give either --profile or --prompt/--output, not both") }
    if trace != nil, prompt != nil || !profile.isEmpty || rate != nil {
      throw ValidationError("--trace supplies the arrivals and lengths: drop --rate, --prompt/--output and --profile")
    }
  }

  func run() throws {
    try withUserFacingErrors {
      let catalog = try catalogOptions.load()
      var (scenario, lengths) = try makeScenario()
      if let weights = try engine.weightPrecision() { scenario.precision.weights = .fixed(weights) }
      let resolved = try ResolvedScenario(scenario, catalog: catalog)
      try scenario.workload.checkContextWindow(model: resolved.model, source: lengths, tracePath: scenario.tracePath)
      guard let layout = scenario.layout else {
        throw UserFacingError(
          message: "the scenario has no layout: add `layout: {tp, pp, dp}`, give --tp/--pp/--dp, "
            + "or use `llmplan recommend`")
      }
      let model = try Self.servedModel(resolved, precision: scenario.precision)
      let deployment = try Deployment(
        model: model, gpu: resolved.gpu, cluster: resolved.cluster, layout: layout,
        engine: Deployment.engineConfig(scenario.scheduler, profile: resolved.engineProfile),
        expertImbalance: scenario.expertImbalance)
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

  /// The scenario to simulate: the file's with every flag given laid over it, or the flags'
  /// alone; and where its request lengths were written (for context-window errors).
  func makeScenario() throws -> (Scenario, LengthSource) {
    guard let path = self.scenario else { return (try flagScenario(), .flags) }
    var s = try Scenario.load(path)
    var lengths = LengthSource.scenarioFile(path)
    if let model { s.model = model }
    if let gpu { s.gpu = gpu }
    if let cluster { s.cluster = cluster }
    if tp != nil || pp != nil || dp != nil || ep != nil {
      let base = s.layout ?? Layout(tp: 1, pp: 1, dp: 1)
      s.layout = try Layout.checked(tp: tp ?? base.tp, pp: pp ?? base.pp, dp: dp ?? base.dp)
      s.layout?.ep = ep ?? base.ep
    }
    if let trace {
      let requests = try TraceFile.load(trace)
      s.workload.trace = requests
      s.workload.arrival = .trace
      s.workload.profiles = [
        ClientProfile(
          name: "trace", prompt: .empirical(requests.map(\.promptTokens)),
          output: .empirical(requests.map(\.outputTokens)))
      ]
      s.workload.durationSeconds = requests.map(\.arrivalSeconds).max() ?? s.workload.durationSeconds
      s.tracePath = trace
      lengths = .flags
    }
    if let rate {
      guard s.workload.trace == nil else {
        throw UserFacingError(
          message: "--rate does not apply: the scenario replays a trace, whose arrivals set the rate")
      }
      s.workload.rateRequestsPerSecond = rate
    }
    if !profile.isEmpty || prompt != nil {
      guard s.workload.trace == nil else {
        throw UserFacingError(message: "--prompt/--output/--profile do not apply: the scenario replays a trace")
      }
      s.workload.profiles = try flagProfiles()
      lengths = .flags
    }
    if let arrival = try FlagCheck.arrival(arrival) {
      guard s.workload.trace == nil else {
        throw UserFacingError(message: "--arrival does not apply: the scenario replays a trace")
      }
      s.workload.arrival = arrival
    }
    if let duration = try FlagCheck.seconds(duration, "--duration") { s.workload.durationSeconds = duration }
    if let warmup = try FlagCheck.seconds(warmup, "--warmup", zeroAllowed: true) { s.workload.warmupSeconds = warmup }
    if let drain = try FlagCheck.seconds(drain, "--drain", zeroAllowed: true) { s.workload.drainSeconds = drain }
    if let seed { s.workload.seed = seed }
    guard s.workload.warmupSeconds < s.workload.durationSeconds else {
      throw UserFacingError(
        message: "the warm-up (\(Units.formatSeconds(s.workload.warmupSeconds))) must be shorter than the duration "
          + "(\(Units.formatSeconds(s.workload.durationSeconds)))")
    }
    if chunkedPrefill { s.scheduler.chunkedPrefill = true }
    engine.apply(to: &s.scheduler)
    engineProfile.apply(to: &s)
    if let queueCapacity = load.queueCapacity { s.scheduler.waitingQueueCap = queueCapacity }
    if load.setsSLO { s.slo = try load.slo(base: s.slo) }
    s.router = try load.routerPolicy(base: s.router)
    return (s, lengths)
  }

  /// The single profile of `--prompt`/`--output`, or the `--profile`s.
  func flagProfiles() throws -> [ClientProfile] {
    if let prompt = try FlagCheck.length(prompt, "--prompt"), let output = try FlagCheck.length(output, "--output") {
      return [ClientProfile(name: "default", prompt: prompt, output: output)]
    }
    return try FlagCheck.profiles(profile)
  }

  /// The scenario the flags describe.
  func flagScenario() throws -> Scenario {
    guard let model else { throw UserFacingError(message: "give --model (or --scenario FILE)") }
    let durationSeconds = try FlagCheck.seconds(duration, "--duration") ?? 300
    let warmupSeconds = try FlagCheck.seconds(warmup, "--warmup", zeroAllowed: true) ?? 0
    let drainSeconds = try FlagCheck.seconds(drain, "--drain", zeroAllowed: true) ?? 120
    guard warmupSeconds < durationSeconds else {
      throw UserFacingError(message: "--warmup must be shorter than --duration")
    }
    var profiles: [ClientProfile] = []
    var traceRequests: [TraceRequest]?
    var arrivalProcess = try FlagCheck.arrival(arrival) ?? .poisson
    if let trace {
      traceRequests = try TraceFile.load(trace)
      arrivalProcess = .trace
    } else {
      profiles = try flagProfiles()
      guard !profiles.isEmpty else {
        throw UserFacingError(message: "give --prompt and --output, one or more --profile, or --trace")
      }
      guard rate != nil else {
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
    engine.apply(to: &scheduler)
    scheduler.waitingQueueCap = load.queueCapacity
    return Scenario(
      name: "command-line", model: model, gpu: gpu, cluster: cluster,
      layout: try Layout.checked(tp: tp ?? 1, pp: pp ?? 1, dp: dp ?? 1).withExpertParallel(ep ?? 1), workload: workload,
      tracePath: trace, slo: try load.slo(), router: try load.routerPolicy(), scheduler: scheduler,
      engine: engineProfile.engine)
  }

  /// The resolved model in the scenario's or `--weight-dtype`'s precision; `auto` is refused
  /// (simulate runs one precision; recommend searches them).
  static func servedModel(_ resolved: ResolvedScenario, precision: ScenarioPrecision) throws -> ModelSpec {
    if precision.searchKVCache {
      throw UserFacingError(message: "precision.kv_cache: auto searches precisions, which recommend does; give one")
    }
    switch precision.weights {
    case nil: return resolved.model
    case .search?:
      throw UserFacingError(message: "precision.weights: auto searches precisions, which recommend does; give one")
    case .fixed(let weights)?:
      try weights.checkSupported(on: resolved.gpu, field: "precision.weights")
      return weights.applied(to: resolved.model)
    }
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

import Analytic
import ArgumentParser
import Foundation
import PlanCore
import Planner
import Reporting

/// The question `recommend` and `validate` share: a scenario file, the built-in default
/// scenario, or flags; flags given alongside a scenario override its fields.
struct PlanOptions: ParsableArguments {
  @OptionGroup var catalogOptions: CatalogOptions

  @Option(
    help: "Scenario file (YAML or JSON; see Reports/examples/). Without it and without --model: the built-in scenario.")
  var scenario: String?

  @Option(help: "Model: catalog name or path to a HuggingFace config.json.") var model: String?
  @Option(help: "GPU: catalog name or path (default: the cluster's GPU).") var gpu: String?
  @Option(help: "Cluster: catalog name or path (default: built-in 8-GPU nodes).") var cluster: String?
  @Option(help: "Arrival rate, requests/s.") var rate: Double?
  @Option(help: "Prompt tokens: N or LO-HI.") var prompt: String?
  @Option(help: "Output tokens: N or LO-HI.") var output: String?
  @Option(help: "Client profile NAME:WEIGHT:PROMPT:OUTPUT (repeatable), e.g. chat:3:100-500:100-600.")
  var profile: [String] = []
  @Option(help: "Arrival process: poisson, constant, or gamma:CV.") var arrival: String?
  @Option(help: "Arrival window simulated, e.g. \"70 s\" (default 70 s with flags).") var duration: String?
  @Option(help: "Leading part of the window excluded from the metrics (default 10 s with flags).") var warmup: String?
  @Option(help: "How long a simulation may go on after the last arrival (default 60 s with flags).") var drain: String?
  @Option(help: "Random seed of the simulated arrivals.") var seed: UInt64?
  @Option(name: .customLong("ttft-slo"), help: "TTFT p90 objective, e.g. \"2 s\" (default 2 s).") var ttftSLO: String?
  @Option(name: .customLong("tpot-slo"), help: "TPOT p90 objective, e.g. \"100 ms\" (default 100 ms).") var tpotSLO:
    String?
  @Option(name: .customLong("success-floor"), help: "Fraction of requests that must succeed (default 0.95).")
  var successFloor: Double?
  @Option(help: "DP router: round-robin, least-outstanding or least-kv.") var router: String?
  @Option(help: "GPUs the plan may use (default: the whole cluster, or 8).") var gpuBudget: Int?
  @Option(help: "Fraction of GPU memory the engine may use (vLLM gpu_memory_utilization, default 0.9).")
  var gpuMemoryUtilization: Double?
  @Option(help: "Most sequences per replica (vLLM max_num_seqs, default 256).") var maxNumSeqs: Int?
  @Option(help: "Token budget per iteration (vLLM max_num_batched_tokens, default 8192).") var maxBatchedTokens: Int?
  @Option(help: "KV-cache block size in tokens (vLLM block_size, default 16).") var blockSize: Int?
  @Flag(help: "Plan with chunked prefill.") var chunkedPrefill = false
  @Option(help: "Relative analytic-vs-simulated gap flagged in the report (default 0.15).") var gapThreshold: Double?

  /// The scenario file's path, for provenance.
  var scenarioFile: String? { scenario }

  func buildScenario() throws -> Scenario {
    guard (prompt == nil) == (output == nil) else {
      throw UserFacingError(message: "give --prompt and --output together")
    }
    var s: Scenario
    if let scenario {
      s = try Scenario.load(scenario)
    } else if let model {
      s = try flagScenario(model: model)
    } else {
      s = Scenario.defaultPlanning
    }
    if let gpu { s.gpu = gpu }
    if let cluster { s.cluster = cluster }
    if model != nil, scenario != nil { s.model = model! }
    if let rate {
      guard rate > 0, rate.isFinite else {
        throw UserFacingError(message: "--rate must be a positive number of requests/s")
      }
      s.workload.rateRequestsPerSecond = rate
    }
    if let seed { s.workload.seed = seed }
    if model == nil || scenario != nil {
      if !profile.isEmpty { s.workload.profiles = try profiles() }
      if let prompt, let output {
        s.workload.profiles = [
          ClientProfile(
            name: "default", prompt: try LengthDistribution.parse(prompt, option: "--prompt"),
            output: try LengthDistribution.parse(output, option: "--output"))
        ]
      }
      if let arrival { s.workload.arrival = try arrivalProcess(arrival) }
      if let duration { s.workload.durationSeconds = try parseSeconds(duration, option: "--duration") }
      if let warmup { s.workload.warmupSeconds = try Units.seconds(warmup) }
      if let drain { s.workload.drainSeconds = try Units.seconds(drain) }
    }
    guard s.workload.warmupSeconds >= 0, s.workload.warmupSeconds < s.workload.durationSeconds,
      s.workload.drainSeconds >= 0
    else { throw UserFacingError(message: "need 0 ≤ warm-up < duration and drain ≥ 0") }
    if ttftSLO != nil || tpotSLO != nil || successFloor != nil {
      let base = s.slo ?? PlanRequest.defaultSLO
      let floor = successFloor ?? base.successRateFloor
      guard floor > 0, floor <= 1 else { throw UserFacingError(message: "--success-floor must be in (0, 1]") }
      s.slo = SLO(
        ttftSeconds: try ttftSLO.map { try parseSeconds($0, option: "--ttft-slo") } ?? base.ttftSeconds,
        tpotSeconds: try tpotSLO.map { try parseSeconds($0, option: "--tpot-slo") } ?? base.tpotSeconds,
        successRateFloor: floor)
    }
    if let router {
      guard let policy = RouterPolicy(cliName: router) else {
        throw UserFacingError(
          message: "--router must be round-robin, least-outstanding or least-kv (got \"\(router)\")")
      }
      s.router = policy
    }
    if let maxNumSeqs { s.scheduler.maxNumSeqs = maxNumSeqs }
    if let maxBatchedTokens { s.scheduler.maxNumBatchedTokens = maxBatchedTokens }
    if let blockSize { s.scheduler.blockSizeTokens = blockSize }
    if let gpuMemoryUtilization { s.scheduler.gpuMemoryUtilisation = gpuMemoryUtilization }
    if chunkedPrefill { s.scheduler.chunkedPrefill = true }
    return s
  }

  func profiles() throws -> [ClientProfile] {
    try profile.map { text in
      let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      guard parts.count == 4, let weight = Double(parts[1]), weight > 0 else {
        throw UserFacingError(message: "--profile \"\(text)\": expected NAME:WEIGHT:PROMPT:OUTPUT with WEIGHT > 0")
      }
      return ClientProfile(
        name: parts[0], weight: weight, prompt: try LengthDistribution.parse(parts[2], option: "prompt"),
        output: try LengthDistribution.parse(parts[3], option: "output"))
    }
  }

  func arrivalProcess(_ text: String) throws -> ArrivalProcess {
    switch text.lowercased() {
    case "poisson": return .poisson
    case "constant": return .constant
    case let t where t.hasPrefix("gamma:"):
      guard let cv = Double(t.dropFirst(6)), cv > 0 else {
        throw UserFacingError(message: "--arrival gamma:CV needs a positive coefficient of variation")
      }
      return .gamma(coefficientOfVariation: cv)
    default: throw UserFacingError(message: "--arrival must be poisson, constant or gamma:CV (got \"\(text)\")")
    }
  }

  func flagScenario(model: String) throws -> Scenario {
    var profiles = try self.profiles()
    if profiles.isEmpty {
      guard let prompt, let output else {
        throw UserFacingError(message: "with --model, give --prompt and --output or one or more --profile")
      }
      profiles = [
        ClientProfile(
          name: "default", prompt: try LengthDistribution.parse(prompt, option: "--prompt"),
          output: try LengthDistribution.parse(output, option: "--output"))
      ]
    }
    guard let rate, rate > 0, rate.isFinite else {
      throw UserFacingError(message: "with --model, give --rate (requests per second)")
    }
    let durationSeconds = try parseSeconds(duration ?? "70 s", option: "--duration")
    let workload = Workload(
      rateRequestsPerSecond: rate, arrival: try arrivalProcess(arrival ?? "poisson"), profiles: profiles,
      durationSeconds: durationSeconds, warmupSeconds: try Units.seconds(warmup ?? "10 s"),
      drainSeconds: try Units.seconds(drain ?? "60 s"), seed: seed ?? 1)
    let stem = Catalog.isFilePath(model) ? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent : model
    return Scenario(
      name: "\(stem)-\(Units.threeSignificant(rate))rps", model: model, gpu: gpu, cluster: cluster, workload: workload)
  }

  func request(
    objective: PlanObjective?, topK: Int = PlanRequest.defaultTopK, searchMaxRate: Bool = true
  ) throws
    -> PlanRequest
  {
    try PlanRequest(
      scenario: try buildScenario(), catalog: try catalogOptions.load(), objective: objective, gpuBudget: gpuBudget,
      topK: topK, gapThreshold: gapThreshold ?? PlanRequest.defaultGapThreshold, searchSimulatedMaxRate: searchMaxRate)
  }

  /// Files whose hashes the report lists: the scenario file, then the catalog files and trace.
  func inputFiles(_ request: PlanRequest) -> [String] { (scenario.map { [$0] } ?? []) + request.inputFiles }
}

/// The command line as typed (after the executable), for "regenerate with".
func typedCommand() -> String {
  "llmplan " + CommandLineText.join(Array(CommandLine.arguments.dropFirst()))
}

/// `llmplan recommend`: the planner.
struct RecommendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recommend",
    abstract: "Recommend a layout: search every TP × PP × DP layout, simulate the best, report the gap.",
    discussion: """
      With no arguments, answers the built-in scenario (Llama-2-13B on an 8 × A100-40GB node, a \
      mix of chat, summarisation and long generation at 6 req/s, TTFT p90 ≤ 2 s, TPOT p90 ≤ 100 ms, \
      95 % success) and writes its report to Reports/<scenario>.md. Every layout within the GPU \
      budget is placed on the topology and scored by the analytic model (memory fit, then the \
      objective under the SLO); the top --top-k plus the best layout of each family (replicas, \
      TP, PP, TP+PP) are simulated and ranked again; the report shows both views side by side. \
      Objectives: goodput-per-gpu (default), throughput, min-ttft, min-gpus. The report refuses \
      to overwrite a file llmplan did not write unless --force.
      """)

  @OptionGroup var options: PlanOptions
  @Option(help: "goodput-per-gpu, throughput, min-ttft or min-gpus (default: the scenario's, else goodput-per-gpu).")
  var objective: String?
  @Option(help: "Layouts simulated from the top of the analytic ranking.") var topK: Int = PlanRequest.defaultTopK
  @Option(help: "Markdown report path (default: Reports/<scenario>.md).") var report: String?
  @Flag(help: "Do not write the Markdown report.") var noReport = false
  @Flag(help: "Overwrite the report file even if llmplan did not write it.") var force = false
  @Flag(help: "Skip the search for each shortlisted layout's simulated maximum rate (faster).")
  var noMaxRateSearch = false
  @Flag(help: "Print the report as JSON on stdout instead of the summary.") var json = false

  func run() throws {
    try withUserFacingErrors {
      let request = try options.request(
        objective: try objective.map(PlanObjective.parse), topK: topK, searchMaxRate: !noMaxRateSearch)
      let bar = ProgressBar(label: "simulating the shortlist")
      let plan = try Planner(request).plan(progress: bar.update)
      bar.finish()
      let planReport = try PlanReport(
        plan: plan, inputFiles: options.inputFiles(request),
        baseDirectory: FileManager.default.currentDirectoryPath, command: typedCommand())
      let fileName = request.scenario.name.replacingOccurrences(of: "/", with: "-")
      let path = report ?? "Reports/\(fileName).md"
      if !noReport {
        try ReportFile.write(PlanMarkdown.render(planReport), to: path, force: force)
      }
      if json {
        print(try planReport.json())
        return
      }
      print(plan.recommendation.sentence)
      print()
      var table = TextTable([
        .init("sim #", .right), .init("layout"), .init("GPUs", .right), .init("success", .right),
        .init("TTFT p90", .right), .init("TPOT p90", .right), .init("verdict"),
      ])
      for c in plan.shortlist {
        table.append([
          "\(c.rank)", c.layout.description, "\(c.gpus)", Cell.percent(c.result.successRate),
          Cell.time(c.result.ttftSeconds?.p90), Cell.time(c.result.tpotSeconds?.p90),
          c.meetsSLO ? "meets SLO" : c.reasons.joined(separator: "; "),
        ])
      }
      print(table.rendered)
      if plan.recommendation.rankingsDisagree { print("\n" + plan.recommendation.rankingNote) }
      if !noReport { print("\nReport: \(path)") }
    }
  }
}

/// `llmplan bench recommend`: wall time of a whole `recommend` of the built-in scenario.
struct BenchRecommendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recommend",
    abstract: "Wall time of a whole recommend (search + simulated shortlist) of the built-in scenario.",
    discussion: "Runs the planner --runs times in this process (no report written) and prints each time and the median."
  )

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Runs.") var runs: Int = 3
  @Flag(help: "Print JSON.") var json = false

  struct Output: Encodable {
    let scenario: String
    let layouts: Int
    let simulatedLayouts: Int
    let analyticSeconds: [Double]
    let totalSeconds: [Double]
    let medianSeconds: Double
  }

  func run() throws {
    try withUserFacingErrors {
      guard runs >= 1 else { throw UserFacingError(message: "--runs must be at least 1") }
      let request = try PlanRequest(scenario: Scenario.defaultPlanning, catalog: try catalogOptions.load())
      let clock = ContinuousClock()
      func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
      }
      var analytic: [Double] = []
      var totals: [Double] = []
      var plan: PlanResult?
      for _ in 0..<runs {
        let start = clock.now
        let planner = Planner(request)
        _ = try planner.analyticRanking(try planner.probes())
        analytic.append(seconds(clock.now - start))
        let wholeStart = clock.now
        plan = try planner.plan()
        totals.append(seconds(clock.now - wholeStart))
      }
      let median = totals.sorted()[totals.count / 2]
      let output = Output(
        scenario: request.scenario.name, layouts: plan?.candidates.count ?? 0,
        simulatedLayouts: plan?.shortlist.count ?? 0,
        analyticSeconds: analytic, totalSeconds: totals, medianSeconds: median)
      if json {
        try JSONOutput.print(output)
        return
      }
      print(
        "recommend \(output.scenario): \(output.layouts) layouts scored, \(output.simulatedLayouts) simulated "
          + "(with their maximum-rate searches)")
      print("  analytic search alone: " + analytic.map(Units.formatSeconds).joined(separator: ", "))
      print(
        "  whole recommend:       " + totals.map(Units.formatSeconds).joined(separator: ", ")
          + "  (median \(Units.formatSeconds(median)))")
    }
  }
}

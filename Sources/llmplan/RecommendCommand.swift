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
  @OptionGroup var engineProfile: EngineProfileOption

  @Option(
    help: "Scenario file (YAML or JSON; see Reports/examples/). Without it and without --model: the built-in scenario.")
  var scenario: String?

  @Option(help: "Model: catalog name or path to a HuggingFace config.json.") var model: String?
  @Option(
    help:
      "GPU: catalog name or path (default: the cluster's GPU). recommend also takes a list a,b,c or all: each type is planned on a cluster of its own kind and compared."
  ) var gpu: String?
  @Option(help: "Cluster: catalog name or path (default: built-in 8-GPU nodes).") var cluster: String?
  @Option(
    parsing: .unconditional,
    help: "Arrival rate, requests/s. recommend also takes a range A..B or A..B:STEP (growth curve; planned at B).")
  var rate: String?
  @Option(parsing: .unconditional, help: "Prompt tokens: N or LO-HI.") var prompt: String?
  @Option(parsing: .unconditional, help: "Output tokens: N or LO-HI.") var output: String?
  @Option(help: "Client profile NAME:WEIGHT:PROMPT:OUTPUT (repeatable), e.g. chat:3:100-500:100-600.")
  var profile: [String] = []
  @Option(help: "Arrival process: poisson, constant, or gamma:CV.") var arrival: String?
  @Option(parsing: .unconditional, help: "Arrival window simulated, e.g. \"70 s\" (default 70 s with flags).")
  var duration: String?
  @Option(
    parsing: .unconditional, help: "Leading part of the window excluded from the metrics (default 10 s with flags).")
  var warmup: String?
  @Option(
    parsing: .unconditional, help: "How long a simulation may go on after the last arrival (default 60 s with flags).")
  var drain: String?
  @Option(parsing: .unconditional, help: "Random seed of the simulated arrivals.") var seed: UInt64?
  @Option(
    name: .customLong("ttft-slo"), parsing: .unconditional, help: "TTFT p90 objective, e.g. \"2 s\" (default 2 s).")
  var ttftSLO: String?
  @Option(
    name: .customLong("tpot-slo"), parsing: .unconditional,
    help: "TPOT p90 objective, e.g. \"100 ms\" (default 100 ms).")
  var tpotSLO: String?
  @Option(
    name: .customLong("success-floor"), parsing: .unconditional,
    help: "Fraction of requests that must succeed, in (0, 1] (default 0.95).")
  var successFloor: Double?
  @Option(help: "DP router: round-robin, least-outstanding or least-kv.") var router: String?
  @Option(parsing: .unconditional, help: "GPUs the plan may use (default: the whole cluster, or 8).") var gpuBudget:
    Int?
  @Option(
    parsing: .unconditional,
    help: "Fraction of GPU memory the engine may use, in (0, 1] (vLLM gpu_memory_utilization, default 0.9).")
  var gpuMemoryUtilization: Double?
  @Option(parsing: .unconditional, help: "Most sequences per replica (vLLM max_num_seqs, default 256).")
  var maxNumSeqs: Int?
  @Option(parsing: .unconditional, help: "Token budget per iteration (vLLM max_num_batched_tokens, default 8192).")
  var maxBatchedTokens: Int?
  @Option(parsing: .unconditional, help: "KV-cache block size in tokens (vLLM block_size, default 16).")
  var blockSize: Int?
  @Flag(help: "Plan with chunked prefill.") var chunkedPrefill = false
  @Option(name: .customLong("kv-dtype"), help: FlagCheck.kvDTypeHelp) var kvDType: String?
  @Option(name: .customLong("weight-dtype"), help: FlagCheck.weightDTypeHelp(search: true)) var weightDType: String?
  @Option(
    name: .customLong("expert-imbalance"), parsing: .unconditional,
    help: "MoE: measured busiest-GPU / mean routed tokens of an EP group, replacing the closed form (≥ 1).")
  var expertImbalance: Double?
  @Option(help: "Disaggregated prefill/decode pools: auto (searched when 2 instances fit), off, on, only.")
  var disaggregation: String?
  @Option(
    parsing: .unconditional, help: "Relative analytic-vs-simulated gap flagged in the report (default 0.15).")
  var gapThreshold: Double?

  /// The scenario file's path, for provenance.
  var scenarioFile: String? { scenario }

  /// Parses every flag before anything is loaded (exit 64 with the reason).
  func validate() throws {
    if let rate, RateRange.isRange(rate) {
      do { _ = try RateRange.parse(rate) } catch { throw ValidationError("\(error)") }
    } else if let rate {
      guard let value = Double(rate) else {
        throw ValidationError("--rate \"\(rate)\": not a number of requests per second (or a range A..B)")
      }
      try FlagCheck.positive(value, "--rate", unit: "requests per second", range: Plausibility.rate)
    }
    _ = try FlagCheck.length(prompt, "--prompt")
    _ = try FlagCheck.length(output, "--output")
    _ = try FlagCheck.profiles(profile)
    _ = try FlagCheck.arrival(arrival)
    _ = try FlagCheck.seconds(duration, "--duration")
    _ = try FlagCheck.seconds(warmup, "--warmup", zeroAllowed: true)
    _ = try FlagCheck.seconds(drain, "--drain", zeroAllowed: true)
    _ = try FlagCheck.seconds(ttftSLO, "--ttft-slo", range: Plausibility.sloTime)
    _ = try FlagCheck.seconds(tpotSLO, "--tpot-slo", range: Plausibility.sloTime)
    try FlagCheck.fraction(successFloor, "--success-floor")
    _ = try FlagCheck.router(router)
    try FlagCheck.atLeast(gpuBudget, 1, "--gpu-budget")
    try FlagCheck.fraction(gpuMemoryUtilization, "--gpu-memory-utilization")
    try FlagCheck.atLeast(maxNumSeqs, 1, "--max-num-seqs")
    try FlagCheck.atLeast(maxBatchedTokens, 1, "--max-batched-tokens")
    try FlagCheck.atLeast(blockSize, 1, "--block-size")
    _ = try FlagCheck.kvChoice(kvDType)
    _ = try FlagCheck.weightChoice(weightDType, searchAllowed: true)
    try FlagCheck.imbalance(expertImbalance)
    try FlagCheck.positive(gapThreshold, "--gap-threshold")
    guard (prompt == nil) == (output == nil) else { throw ValidationError("give --prompt and --output together") }
    if !profile.isEmpty, prompt != nil { throw ValidationError("give either --profile or --prompt/--output, not both") }
  }

  /// Where the request lengths of `buildScenario()` come from, for context-window errors.
  var lengthSource: LengthSource {
    if prompt != nil || !profile.isEmpty || (scenario == nil && model != nil) { return .flags }
    return .scenarioFile(scenario ?? "the built-in scenario")
  }

  /// The one rate of `--rate` (a range's upper end), nil without the flag.
  var rateValue: Double? {
    guard let rate else { return nil }
    if RateRange.isRange(rate) { return (try? RateRange.parse(rate))?.last }
    return Double(rate)
  }

  /// The rates of a `--rate A..B[:S]` range, nil for one rate or none.
  func rateRange() throws -> [Double]? {
    guard let rate, RateRange.isRange(rate) else { return nil }
    return try RateRange.parse(rate)
  }

  /// `--gpu a,b,c` or `--gpu all`: several GPU types (nil for one or none).
  var gpuList: String? {
    guard let gpu, gpu.contains(",") || gpu.lowercased() == "all" else { return nil }
    return gpu
  }

  func buildScenario(severalAllowed: Bool = false) throws -> Scenario {
    if !severalAllowed {
      if gpuList != nil { throw UserFacingError(message: "--gpu \"\(gpu ?? "")\": a list of GPUs is for recommend") }
      if rate.map(RateRange.isRange) == true {
        throw UserFacingError(message: "--rate \"\(rate ?? "")\": a range of rates is for recommend; give one rate")
      }
    }
    let rate = rateValue
    var s: Scenario
    if let scenario {
      s = try Scenario.load(scenario)
    } else if let model {
      s = try flagScenario(model: model)
    } else {
      s = Scenario.defaultPlanning
    }
    if let gpu, gpuList == nil { s.gpu = gpu }
    if let cluster { s.cluster = cluster }
    if let model, scenario != nil { s.model = model }
    if let rate { s.workload.rateRequestsPerSecond = rate }
    if let seed { s.workload.seed = seed }
    if model == nil || scenario != nil {
      if !profile.isEmpty { s.workload.profiles = try FlagCheck.profiles(profile) }
      if let prompt = try FlagCheck.length(prompt, "--prompt"), let output = try FlagCheck.length(output, "--output") {
        s.workload.profiles = [ClientProfile(name: "default", prompt: prompt, output: output)]
      }
      if let arrival = try FlagCheck.arrival(arrival) { s.workload.arrival = arrival }
      if let duration = try FlagCheck.seconds(duration, "--duration") { s.workload.durationSeconds = duration }
      if let warmup = try FlagCheck.seconds(warmup, "--warmup", zeroAllowed: true) { s.workload.warmupSeconds = warmup }
      if let drain = try FlagCheck.seconds(drain, "--drain", zeroAllowed: true) { s.workload.drainSeconds = drain }
    }
    guard s.workload.warmupSeconds < s.workload.durationSeconds else {
      throw UserFacingError(
        message: "the warm-up (\(Units.formatSeconds(s.workload.warmupSeconds))) must be shorter than the duration "
          + "(\(Units.formatSeconds(s.workload.durationSeconds)))")
    }
    if ttftSLO != nil || tpotSLO != nil || successFloor != nil {
      let base = s.slo ?? PlanRequest.defaultSLO
      s.slo = SLO(
        ttftSeconds: try FlagCheck.seconds(ttftSLO, "--ttft-slo", range: Plausibility.sloTime) ?? base.ttftSeconds,
        tpotSeconds: try FlagCheck.seconds(tpotSLO, "--tpot-slo", range: Plausibility.sloTime) ?? base.tpotSeconds,
        successRateFloor: successFloor ?? base.successRateFloor)
    }
    if let policy = try FlagCheck.router(router) { s.router = policy }
    if let maxNumSeqs { s.scheduler.maxNumSeqs = maxNumSeqs }
    if let maxBatchedTokens { s.scheduler.maxNumBatchedTokens = maxBatchedTokens }
    if let blockSize { s.scheduler.blockSizeTokens = blockSize }
    if let gpuMemoryUtilization { s.scheduler.gpuMemoryUtilisation = gpuMemoryUtilization }
    if chunkedPrefill { s.scheduler.chunkedPrefill = true }
    engineProfile.apply(to: &s)
    try applyPrecision(to: &s)
    if let disaggregation {
      guard let mode = DisaggregationMode(rawValue: disaggregation) else {
        throw UserFacingError(message: "--disaggregation: \"\(disaggregation)\" is not auto, off, on or only")
      }
      s.disaggregation = mode
    }
    return s
  }

  func flagScenario(model: String) throws -> Scenario {
    var profiles = try FlagCheck.profiles(profile)
    if profiles.isEmpty {
      guard let prompt = try FlagCheck.length(prompt, "--prompt"), let output = try FlagCheck.length(output, "--output")
      else {
        throw UserFacingError(message: "with --model, give --prompt and --output or one or more --profile")
      }
      profiles = [ClientProfile(name: "default", prompt: prompt, output: output)]
    }
    guard let rate = rateValue else {
      throw UserFacingError(message: "with --model, give --rate (requests per second)")
    }
    let durationSeconds = try FlagCheck.seconds(duration, "--duration") ?? 70
    let workload = Workload(
      rateRequestsPerSecond: rate, arrival: try FlagCheck.arrival(arrival) ?? .poisson, profiles: profiles,
      durationSeconds: durationSeconds,
      warmupSeconds: try FlagCheck.seconds(warmup, "--warmup", zeroAllowed: true) ?? 10,
      drainSeconds: try FlagCheck.seconds(drain, "--drain", zeroAllowed: true) ?? 60, seed: seed ?? 1)
    let stem = Catalog.isFilePath(model) ? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent : model
    return Scenario(
      name: "\(stem)-\(Units.threeSignificant(rate))rps", model: model, gpu: gpu, cluster: cluster, workload: workload)
  }

  /// The resolved question. Requests longer than the model's context window are refused here,
  /// naming the flag or scenario field (see `Workload.checkContextWindow`).
  func request(
    objective: PlanObjective?, topK: Int = PlanRequest.defaultTopK, searchMaxRate: Bool = true,
    priceOverrides: [String: Double] = [:]
  ) throws
    -> PlanRequest
  {
    let scenario = try buildScenario()
    let catalog = try catalogOptions.load()
    try scenario.workload.checkContextWindow(
      model: try catalog.model(scenario.model), source: lengthSource, tracePath: scenario.tracePath)
    return try PlanRequest(
      scenario: scenario, catalog: catalog, objective: objective, gpuBudget: gpuBudget,
      topK: topK, gapThreshold: gapThreshold ?? PlanRequest.defaultGapThreshold, searchSimulatedMaxRate: searchMaxRate,
      priceOverrides: priceOverrides)
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
      95 % success) and writes its report to Reports/<scenario>.md, or .html with --format html \
      (with --json only when --report is given). Every layout within the GPU \
      budget is placed on the topology and scored by the analytic model (memory fit, then the \
      objective under the SLO); the top --top-k plus the best layout of each family (replicas, \
      TP, PP, TP+PP) are simulated and ranked again; the report shows both views side by side. \
      Objectives: goodput-per-gpu (default), throughput, min-ttft, min-gpus, min-cost. The report refuses \
      to overwrite a file llmplan did not write unless --force.

      Hardware and money: every layout's cost per hour and per million output tokens at the target \
      rate comes from the GPU file's list price, overridden by --price GPU=DOLLARS (repeatable) or the \
      scenario's prices:. --gpu a,b,c (or all) plans each GPU type on a cluster of its own kind and \
      compares them side by side; --rate A..B or A..B:STEP adds the growth curve (fewest GPUs and \
      cost per type at each rate, planned at B). Both reports add the Pareto frontier of throughput \
      per GPU against output tokens/s per user.

      Requests longer than the model's context window (prompt + output above max_position_embeddings; \
      in a mix, any profile whose longest prompt plus longest output is; in a trace, any request) are \
      refused with exit status 1, naming the flag or scenario field.

      Exit status: 0 a layout meets the SLO in simulation; 3 no feasible layout (nothing fits in \
      memory); 4 layouts fit but none meets the SLO (the closest is reported, the report is still \
      written); 1 input error; 64 usage error.
      """)

  @OptionGroup var options: PlanOptions
  @Option(
    help: "goodput-per-gpu, throughput, min-ttft, min-gpus or min-cost (default: the scenario's, else goodput-per-gpu)."
  )
  var objective: String?
  // Hardware and money (issue 14): prices; the GPU list and rate range are PlanOptions' --gpu and --rate.
  @Option(
    name: .customLong("price"),
    help: "GPU=DOLLARS: price per GPU-hour, overriding the GPU file's and the scenario's (repeatable).")
  var prices: [String] = []
  @Option(parsing: .unconditional, help: "Layouts simulated from the top of the analytic ranking.")
  var topK: Int = PlanRequest.defaultTopK
  @Option(
    help:
      "Report path (default: Reports/<scenario>.md or .html; with --json, no report unless --report is given).")
  var report: String?
  @Flag(help: "Do not write the report.") var noReport = false
  @Flag(help: "Overwrite the report file even if llmplan did not write it.") var force = false
  @Flag(help: "Skip the search for each shortlisted layout's simulated maximum rate (faster).")
  var noMaxRateSearch = false
  @Flag(help: "Print the report as JSON on stdout instead of the summary (writes Markdown only with --report).")
  var json = false
  @Option(
    help: ArgumentHelp(
      "Report format: markdown or html (default: from the --report extension, .md or .html, else markdown).",
      discussion: "html: one self-contained file (inline CSS and SVG charts, no network access); default path "
        + "Reports/<scenario>.html. A --format that contradicts the --report extension is refused."))
  var format: String?

  /// The report's format from `--format` and the `--report` extension.
  func reportFormat() throws -> ReportFormat {
    do { return try ReportFormat.resolve(format: format, reportPath: report) } catch {
      throw ValidationError("\(error)")
    }
  }

  func validate() throws {
    try FlagCheck.atLeast(topK, 1, "--top-k")
    if let objective {
      do { _ = try PlanObjective.parse(objective) } catch { throw ValidationError("--objective: \(error)") }
    }
    if noReport, report != nil { throw ValidationError("give --report PATH or --no-report, not both") }
    _ = try reportFormat()
    do { _ = try Self.priceTable(prices) } catch { throw ValidationError("\(error)") }
  }

  /// `--price` flags as a table GPU → dollars per GPU-hour; a GPU given twice is an error.
  static func priceTable(_ flags: [String]) throws -> [String: Double] {
    var table: [String: Double] = [:]
    for flag in flags {
      let (gpu, dollars) = try GPUPrice.parseOverride(flag)
      guard table[gpu] == nil else { throw PriceError("--price \(gpu) is given twice") }
      table[gpu] = dollars
    }
    return table
  }

  /// Checks that every `--price` names a GPU of the catalog (or a GPU file).
  static func checkPriceNames(_ table: [String: Double], catalog: Catalog) throws {
    for name in table.keys.sorted() {
      do { _ = try catalog.resolve(name, kind: .gpu) } catch {
        throw PriceError(
          "--price \(name)=…: no GPU \"\(name)\" in the catalog (known: \(catalog.names(.gpu).sorted().joined(separator: ", ")))"
        )
      }
    }
  }

  /// The report's path, or nil when none is written: `--report`, else (unless `--no-report`
  /// or `--json`) `Reports/<scenario>.md` (`.html` with `--format html`).
  func reportPath(scenarioName: String) throws -> String? {
    if noReport { return nil }
    if let report { return report }
    if json { return nil }
    return try ReportFile.defaultPath(scenarioName: scenarioName, fileExtension: try reportFormat().fileExtension)
  }

  /// The exit status a plan earns: 0 when a layout meets the SLO in simulation, `noFeasibleLayout`
  /// when none fits, `noLayoutMeetsSLO` when some fit but none meets the SLO.
  static func exitStatus(_ plan: PlanResult) -> LLMPlanExit {
    switch plan.recommendation.basis {
    case .simulation: return .success
    case .bestEffort: return .noLayoutMeetsSLO
    case .none: return .noFeasibleLayout
    }
  }

  func run() throws {
    var status = LLMPlanExit.success
    try withUserFacingErrors {
      let priceOverrides = try Self.priceTable(prices)
      try Self.checkPriceNames(priceOverrides, catalog: try options.catalogOptions.load())
      if options.gpuList != nil || options.rate.map(RateRange.isRange) == true {
        status = try runFleet(priceOverrides: priceOverrides)
        if status != .success {
          FileHandle.standardError.write(Data("llmplan: \(status.meaning) (exit \(status.rawValue))\n".utf8))
        }
        return
      }
      let request = try options.request(
        objective: try objective.map(PlanObjective.parse), topK: topK, searchMaxRate: !noMaxRateSearch,
        priceOverrides: priceOverrides)
      let path = try reportPath(scenarioName: request.scenario.name)
      if let path { try ReportFile.check(path, force: force) }  // refuse before the planning, not after
      let plan: PlanResult
      do {
        let bar = ProgressBar(label: "simulating the shortlist")
        plan = try Planner(request).plan(progress: bar.update)
        bar.finish()
      } catch let error as PlannerError where error.kind == .noFeasibleLayout {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        status = .noFeasibleLayout
        return
      }
      let planReport = try PlanReport(
        plan: plan, inputFiles: options.inputFiles(request),
        baseDirectory: FileManager.default.currentDirectoryPath, command: typedCommand())
      if let path {
        let fleet = try FleetPlanner.single(request, plan: plan, clusterNote: "")
        let text =
          try reportFormat() == .html
          ? PlanHTML.render(planReport, withParetoOf: fleet) : PlanMarkdown.render(planReport, withParetoOf: fleet)
        try ReportFile.write(text, to: path, force: force)
      }
      status = Self.exitStatus(plan)
      if json {
        print(try planReport.json())
      } else {
        for (index, line) in PlanHeadline.lines(plan).enumerated() {
          print(index == 0 ? line.sentence : "\(line.label): \(line.sentence)")
        }
        print()
        // A precision column only when the plan has precisions (MoE or quantized plans), so the
        // same layout in two precisions reads as two rows, not a repeat.
        let showsPrecision = plan.shortlist.contains { $0.precision != nil }
        var columns: [TextTable.Column] = [.init("sim #", .right), .init("layout")]
        if showsPrecision { columns.append(.init("weights/KV")) }
        columns += [
          .init("GPUs", .right), .init("success", .right), .init("TTFT p90", .right), .init("TPOT p90", .right),
          .init("verdict"),
        ]
        var table = TextTable(columns)
        for c in plan.shortlist {
          var row = ["\(c.rank)", c.layout.description]
          if showsPrecision { row.append(c.precision?.cell ?? "-") }
          row += [
            "\(c.gpus)", Cell.percent(c.result.successRate), Cell.time(c.result.ttftSeconds?.p90),
            Cell.time(c.result.tpotSeconds?.p90), c.meetsSLO ? "meets SLO" : c.reasons.joined(separator: "; "),
          ]
          table.append(row)
        }
        print(table.rendered)
        if plan.recommendation.rankingsDisagree { print("\n" + plan.recommendation.rankingNote) }
        if let path { print("\nReport: \(path)") }
      }
      if status != .success {
        FileHandle.standardError.write(Data("llmplan: \(status.meaning) (exit \(status.rawValue))\n".utf8))
      }
    }
    if status != .success { throw status.exitCode }
  }
}

extension RecommendCommand {
  /// `--gpu a,b,c` / `--gpu all` / `--rate A..B`: every type planned on a cluster of its own
  /// kind, compared; the growth curve and the Pareto frontier. Returns the exit status.
  func runFleet(priceOverrides: [String: Double]) throws -> LLMPlanExit {
    let catalog = try options.catalogOptions.load()
    let growth = try options.rateRange() ?? []
    let scenario = try options.buildScenario(severalAllowed: true)
    if !growth.isEmpty, scenario.workload.trace != nil {
      throw UserFacingError(
        message: "--rate A..B: a trace replays its own arrivals; a growth range needs a rate-driven workload")
    }
    try scenario.workload.checkContextWindow(
      model: try catalog.model(scenario.model), source: options.lengthSource, tracePath: scenario.tracePath)
    let clusterGPU = try scenario.cluster.flatMap { try catalog.cluster($0).defaultGPU }
    guard let gpuText = options.gpuList ?? scenario.gpu ?? clusterGPU else {
      throw UserFacingError(message: "give --gpu (one GPU, a list a,b,c, or all)")
    }
    let question = try FleetQuestion.build(
      scenario: scenario, catalog: catalog, gpus: try FleetQuestion.gpuList(gpuText, catalog: catalog),
      clusterFlag: options.cluster, objective: try objective.map(PlanObjective.parse), gpuBudget: options.gpuBudget,
      topK: topK, gapThreshold: options.gapThreshold ?? PlanRequest.defaultGapThreshold,
      searchSimulatedMaxRate: !noMaxRateSearch, priceOverrides: priceOverrides, growthRates: growth)
    let path = try reportPath(scenarioName: scenario.name)
    if let path { try ReportFile.check(path, force: force) }  // refuse before the planning, not after
    let bar = ProgressBar(label: "planning \(question.members.count) GPU type(s)")
    let fleet = try FleetPlanner.planBlocking(question)
    bar.finish()
    var files = options.scenario.map { [$0] } ?? []
    for file in question.members.flatMap(\.request.inputFiles) where !files.contains(file) { files.append(file) }
    let report = try FleetReport(
      fleet: fleet, inputFiles: files, baseDirectory: FileManager.default.currentDirectoryPath,
      command: typedCommand())
    if let path {
      let text =
        try reportFormat() == .html
        ? FleetHTML.render(fleet, command: report.command, inputs: report.inputs) : FleetMarkdown.render(report)
      try ReportFile.write(text, to: path, force: force)
    }
    if json {
      print(try report.json())
    } else {
      print(fleet.recommendationReason)
      print()
      var table = TextTable([
        .init("GPU"), .init("layout"), .init("GPUs", .right), .init("$/hour", .right), .init("$/M out tok", .right),
        .init("verdict"),
      ])
      for o in fleet.comparison {
        table.append([
          o.gpu, o.layout ?? "-", o.gpus.map(String.init) ?? "-",
          o.cost.map { Format.dollars($0.dollarsPerHour) } ?? "-",
          o.cost.map { Format.dollars($0.dollarsPerMillionOutputTokens) } ?? "-",
          o.gpu == fleet.recommendedGPU ? "recommended" : (o.meetsSLO ? "meets SLO" : (o.why ?? "")),
        ])
      }
      print(table.rendered)
      if let growth = fleet.growth, !growth.crossovers.isEmpty {
        print("\nGrowth: " + growth.crossovers.joined(separator: "; "))
      }
      if let path { print("\nReport: \(path)") }
    }
    if fleet.recommendedGPU != nil { return .success }
    return fleet.comparison.contains { $0.layout != nil } ? .noLayoutMeetsSLO : .noFeasibleLayout
  }
}

/// `llmplan bench recommend`: wall time of a whole `recommend` of the built-in scenario.
struct BenchRecommendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recommend",
    abstract: "Wall time of a whole recommend (search + simulated shortlist) of the built-in scenario.",
    discussion:
      "Runs the planner --runs times in this process (no report written) and prints each time and the median. "
      + "--deepseek-v3: the mixture-of-experts case instead (DeepSeek-V3 on two 8 × H200 nodes, TP × EP × PP × DP)."
  )

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Runs.") var runs: Int = 3
  @Option(help: "Scenario file to plan instead of the built-in scenario.") var scenario: String?
  @Flag(name: .customLong("deepseek-v3"), help: "Plan DeepSeek-V3 on two 8 × H200 nodes (the MoE case).")
  var deepSeekV3 = false
  @Flag(help: "Print JSON.") var json = false

  struct Output: Encodable {
    let scenario: String
    let layouts: Int
    let simulatedLayouts: Int
    let analyticSeconds: [Double]
    let totalSeconds: [Double]
    let medianSeconds: Double
    /// The same plans with the shortlist simulated one layout after another (the former way).
    let serialShortlistSeconds: [Double]
    let serialShortlistMedianSeconds: Double
    /// Process CPU seconds (user + system) of each mode's runs together: the work done,
    /// independent of how many cores were free.
    let cpuSeconds: Double
    let serialShortlistCPUSeconds: Double
    let identical: Bool
  }

  func run() throws {
    try withUserFacingErrors {
      guard runs >= 1 else { throw UserFacingError(message: "--runs must be at least 1") }
      let question =
        deepSeekV3
        ? AnalyticBenchmark.deepSeekV3H200Scenario : try scenario.map(Scenario.load) ?? Scenario.defaultPlanning
      let request = try PlanRequest(scenario: question, catalog: try catalogOptions.load())
      let clock = ContinuousClock()
      func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
      }
      var analytic: [Double] = []
      var totals: [Double] = []
      var serialTotals: [Double] = []
      var cpu = 0.0
      var serialCPU = 0.0
      var plan: PlanResult?
      var serialPlan: PlanResult?
      var serialRequest = request
      serialRequest.simulateShortlistConcurrently = false
      for _ in 0..<runs {
        let start = clock.now
        let planner = Planner(request)
        _ = try planner.analyticRanking(try planner.probes())
        analytic.append(seconds(clock.now - start))
        var cpuStart = ProcessCPU.seconds()
        let wholeStart = clock.now
        plan = try planner.plan()
        totals.append(seconds(clock.now - wholeStart))
        cpu += ProcessCPU.seconds() - cpuStart
        cpuStart = ProcessCPU.seconds()
        let serialStart = clock.now
        serialPlan = try Planner(serialRequest).plan()
        serialTotals.append(seconds(clock.now - serialStart))
        serialCPU += ProcessCPU.seconds() - cpuStart
      }
      let median = totals.sorted()[totals.count / 2]
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]  // keyed containers have no fixed order otherwise
      let output = Output(
        scenario: request.scenario.name, layouts: plan?.candidates.count ?? 0,
        simulatedLayouts: plan?.shortlist.count ?? 0,
        analyticSeconds: analytic, totalSeconds: totals, medianSeconds: median, serialShortlistSeconds: serialTotals,
        serialShortlistMedianSeconds: serialTotals.sorted()[serialTotals.count / 2], cpuSeconds: cpu,
        serialShortlistCPUSeconds: serialCPU,
        identical: try encoder.encode(plan?.shortlist) == encoder.encode(serialPlan?.shortlist))
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
          + "  (median \(Units.formatSeconds(median)); CPU \(Units.formatSeconds(cpu)) for all runs)")
      print(
        "  shortlist one by one:  " + serialTotals.map(Units.formatSeconds).joined(separator: ", ")
          + "  (median \(Units.formatSeconds(output.serialShortlistMedianSeconds)); CPU "
          + "\(Units.formatSeconds(serialCPU)) for all runs)")
      print(
        "  one by one / concurrent: \(Units.threeSignificant(output.serialShortlistMedianSeconds / median)); "
          + "same simulated ranking: " + (output.identical ? "yes" : "NO"))
    }
  }
}

/// CPU time this process has used (user + system), seconds.
enum ProcessCPU {
  static func seconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func value(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return value(usage.ru_utime) + value(usage.ru_stime)
  }
}

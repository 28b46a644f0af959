import Foundation

/// How requests are spread over the DP replicas.
public enum RouterPolicy: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// Replica i receives arrivals i, i + DP, i + 2·DP, …
  case roundRobin = "round_robin"
  /// The replica with the fewest requests waiting or admitted (ties: lowest index).
  case leastOutstanding = "least_outstanding"
  /// Join-shortest-queue by tokens: the replica whose KV blocks in use plus the blocks its
  /// waiting prompts need is smallest (ties: lowest index).
  case leastKVLoad = "least_kv_load"

  public var description: String { rawValue }
}

/// Scheduler settings a scenario may override (nil: the simulator's or memory model's default).
public struct ScenarioScheduler: Sendable, Hashable, Codable {
  public var maxNumSeqs: Int?
  public var maxNumBatchedTokens: Int?
  public var chunkedPrefill: Bool?
  public var blockSizeTokens: Int?
  public var waitingQueueCap: Int?
  public var queueTimeoutSeconds: Double?
  /// KV capacity per replica in blocks, overriding the memory model.
  public var kvCacheBlocks: Int?
  /// Fraction of GPU memory the engine may use (default 0.90, docs/METRICS.md, "Memory fit").
  public var gpuMemoryUtilisation: Double?
  /// Precision of the KV cache (vLLM `--kv-cache-dtype`): fp16, bf16 or fp8; nil = the model's.
  public var kvCacheDType: DType?

  public init(
    maxNumSeqs: Int? = nil, maxNumBatchedTokens: Int? = nil, chunkedPrefill: Bool? = nil, blockSizeTokens: Int? = nil,
    waitingQueueCap: Int? = nil, queueTimeoutSeconds: Double? = nil, kvCacheBlocks: Int? = nil,
    gpuMemoryUtilisation: Double? = nil
  ) {
    self.maxNumSeqs = maxNumSeqs
    self.maxNumBatchedTokens = maxNumBatchedTokens
    self.chunkedPrefill = chunkedPrefill
    self.blockSizeTokens = blockSizeTokens
    self.waitingQueueCap = waitingQueueCap
    self.queueTimeoutSeconds = queueTimeoutSeconds
    self.kvCacheBlocks = kvCacheBlocks
    self.gpuMemoryUtilisation = gpuMemoryUtilisation
  }
}

/// A planning or simulation question in one file (YAML or JSON, chosen by extension).
///
/// ```yaml
/// name: chat-and-summaries
/// model: llama-2-7b            # catalog name, or a path to a config.json
/// gpu: a100-80gb               # optional if the cluster names its GPU
/// cluster: dgx-a100            # catalog name or path
/// layout: {tp: 1, pp: 1, dp: 4} # optional: plan over layouts when absent (ep: MoE only)
/// precision: {weights: auto, kv_cache: fp8}  # optional: bf16|fp16|fp8|int8|int4[-gG]|auto
/// workload:
///   rate: 20                    # requests/s (also "20 req/s")
///   arrival: poisson            # poisson | constant | {type: gamma, cv: 2} | {type: trace, path: t.csv}
///   profiles:
///     - {name: chat, weight: 3, prompt: "100-400", output: {dist: lognormal, median: 300, sigma: 0.6, max: 2000}}
///     - {name: summarise, weight: 1, prompt: 2000, output: 50}
/// duration: 10 min              # arrival window ("600 s", "1 h", or seconds)
/// warmup: 60 s                  # excluded from the metrics
/// drain: 120 s                  # run at most this long after the last arrival
/// seed: 42
/// slo: {ttft: 500 ms, tpot: 50 ms, success_rate: 0.99}
/// objective: min_gpus           # passed to the planner
/// gpu_budget: 8
/// prices: {h100-80gb-sxm: 2.99}  # dollars per GPU-hour, overriding the GPU files' price
/// router: round_robin           # round_robin | least_outstanding | least_kv_load
/// engine: vllm                  # engine profile in Models/engines (default vllm) or a path
/// scheduler: {max_num_seqs: 256, max_num_batched_tokens: 8192, chunked_prefill: false,
///             block_size: 16, waiting_queue_cap: 1000, queue_timeout: 30 s,
///             kv_cache_blocks: 20000, gpu_memory_utilisation: 0.9, kv_cache_dtype: fp8}
/// ```
///
/// Lengths (prompt, output) are whole tokens: a number (fixed), `"LO-HI"` (uniform on the
/// integers), or an object `{dist: fixed, value}`, `{dist: uniform, min, max}`,
/// `{dist: normal, mean, sd, min, max}` or `{dist: lognormal, median, sigma, min, max}`
/// (normal and log-normal draws are rounded and clipped to `min`…`max`; `min` defaults to 1,
/// `max` is required). Instead of `profiles`, `workload` may give one `prompt` and `output`.
/// A trace (`arrival: {type: trace, path}`; the path is relative to the scenario file) is a
/// CSV read by `TraceFile`; it supplies arrival times and lengths, so `rate` and `profiles`
/// are not used, and `duration` defaults to the last arrival. Unknown fields are errors.
/// Every field, its unit and its plausible range: docs/FILE-FORMATS.md.
public struct Scenario: Sendable, Hashable, Codable {
  public var name: String
  public var model: String
  public var gpu: String?
  public var cluster: String?
  public var layout: Layout?
  public var workload: Workload
  /// The trace file the workload replays, if any (as resolved, for reports).
  public var tracePath: String?
  public var slo: SLO?
  /// Planner objective, as written (the planner validates it).
  public var objective: String?
  public var gpuBudget: Int?
  public var router: RouterPolicy
  public var scheduler: ScenarioScheduler
  /// Serving-engine profile: a name in `Models/engines/` or a path; nil = the default (`vllm`).
  public var engine: String?
  /// Dollars per GPU-hour by GPU name (`prices:`), overriding the GPU files' prices.
  public var prices: [String: Double] = [:]
  /// `precision:`: weight precision (fixed or searched) and whether the KV dtype is searched.
  public var precision = ScenarioPrecision()
  /// `expert_imbalance:` (MoE): the busiest EP GPU's routed tokens over the mean, replacing the
  /// closed form of `ExpertImbalance`; nil: the closed form.
  public var expertImbalance: Double?
  /// `disaggregation: auto | off | on | only` and `kv_transfer: {overlap: layerwise | none}` (nil: auto, layerwise).
  public var disaggregation: DisaggregationMode? = nil
  public var kvTransferOverlap: KVTransferOverlap? = nil

  public init(
    name: String, model: String, gpu: String? = nil, cluster: String? = nil, layout: Layout? = nil, workload: Workload,
    tracePath: String? = nil, slo: SLO? = nil, objective: String? = nil, gpuBudget: Int? = nil,
    router: RouterPolicy = .roundRobin, scheduler: ScenarioScheduler = ScenarioScheduler(), engine: String? = nil
  ) {
    self.name = name
    self.model = model
    self.gpu = gpu
    self.cluster = cluster
    self.layout = layout
    self.workload = workload
    self.tracePath = tracePath
    self.slo = slo
    self.objective = objective
    self.gpuBudget = gpuBudget
    self.router = router
    self.scheduler = scheduler
    self.engine = engine
  }

  /// Reads a scenario file (`.yaml`/`.yml` or `.json`). Errors name the file and field.
  public static func load(_ path: String) throws -> Scenario {
    let reader = try DataFile.read(path)
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    return try parse(reader, baseDirectory: directory)
  }

  static let topLevelKeys: Set<String> = [
    "name", "model", "gpu", "cluster", "layout", "workload", "duration", "warmup", "drain", "seed", "slo", "objective",
    "gpu_budget", "router", "scheduler", "engine", "prices", "precision", "expert_imbalance", "disaggregation",
    "kv_transfer",
  ]

  /// Builds a scenario from an already-read file; relative trace paths resolve against
  /// `baseDirectory`.
  public static func parse(_ reader: FieldReader, baseDirectory: String) throws -> Scenario {
    try ScenarioField.rejectUnknown(reader, allowed: topLevelKeys)
    let fileName = URL(fileURLWithPath: reader.file).deletingPathExtension().lastPathComponent
    let name = try reader.optionalString("name") ?? fileName
    let model = try reader.string("model")
    let gpu = try reader.optionalString("gpu")
    let cluster = try reader.optionalString("cluster")

    var layout: Layout?
    if let layoutReader = try reader.optionalObject("layout") {
      try ScenarioField.rejectUnknown(layoutReader, allowed: ["tp", "pp", "dp", "ep"])
      let degree = Plausibility.parallelDegree
      do {
        layout = try Layout.checked(
          tp: try layoutReader.optionalCount("tp", degree) ?? 1, pp: try layoutReader.optionalCount("pp", degree) ?? 1,
          dp: try layoutReader.optionalCount("dp", degree) ?? 1)
        layout?.ep = try layoutReader.optionalCount("ep", degree) ?? 1
      } catch let layoutError as LayoutError {
        throw reader.error("layout", layoutError.reason)
      }
    }

    let runTime = Plausibility.runTime
    let durationGiven = try reader.optionalQuantity("duration", runTime, bareNumberAllowed: true)
    let warmup = try reader.optionalQuantity("warmup", runTime, bareNumberAllowed: true) ?? 0
    let drain = try reader.optionalQuantity("drain", runTime, bareNumberAllowed: true) ?? 120
    if let durationGiven, durationGiven <= 0 { throw reader.error("duration", "must be positive") }
    var seed: UInt64 = 1
    if let seedValue = try reader.optionalInt("seed") {
      guard seedValue >= 0 else { throw reader.error("seed", "must not be negative") }
      seed = UInt64(seedValue)
    }

    let workloadReader = try reader.object("workload")
    try ScenarioField.rejectUnknown(workloadReader, allowed: ["rate", "arrival", "profiles", "prompt", "output"])
    var arrival = ArrivalProcess.poisson
    var tracePath: String?
    if workloadReader.has("arrival") {
      (arrival, tracePath) = try ScenarioField.arrival(workloadReader, baseDirectory: baseDirectory)
    }

    var workload: Workload
    if arrival == .trace, let tracePath {
      let trace = try TraceFile.load(tracePath)
      let lastArrival = trace.map(\.arrivalSeconds).max() ?? 0
      let duration = durationGiven ?? lastArrival
      let window = max(duration, lastArrival)
      workload = Workload(
        rateRequestsPerSecond: window > 0 ? Double(trace.count) / window : 0, arrival: .trace,
        profiles: [
          ClientProfile(
            name: "trace", prompt: .empirical(trace.map(\.promptTokens)), output: .empirical(trace.map(\.outputTokens)))
        ], durationSeconds: duration, warmupSeconds: warmup, drainSeconds: drain, seed: seed, trace: trace)
    } else {
      let rate = try ScenarioField.rate(workloadReader)
      var profiles: [ClientProfile] = []
      if workloadReader.has("profiles") {
        for profileReader in try workloadReader.objects("profiles") {
          try ScenarioField.rejectUnknown(profileReader, allowed: ["name", "weight", "prompt", "output"])
          let weight = try profileReader.optionalQuantity("weight", Plausibility.profileWeight) ?? 1
          profiles.append(
            ClientProfile(
              name: try profileReader.optionalString("name") ?? "profile\(profiles.count + 1)", weight: weight,
              prompt: try ScenarioField.length(profileReader, "prompt"),
              output: try ScenarioField.length(profileReader, "output")))
        }
        guard !profiles.isEmpty else { throw workloadReader.error("profiles", "must list at least one profile") }
        guard profiles.reduce(0, { $0 + $1.weight }) > 0 else {
          throw workloadReader.error("profiles", "weights must not all be zero")
        }
        if workloadReader.has("prompt") || workloadReader.has("output") {
          throw workloadReader.error("profiles", "give either profiles or one prompt/output pair, not both")
        }
      } else {
        profiles = [
          ClientProfile(
            name: "default", prompt: try ScenarioField.length(workloadReader, "prompt"),
            output: try ScenarioField.length(workloadReader, "output"))
        ]
      }
      let duration = durationGiven ?? 300
      guard warmup < duration else {
        throw reader.error("warmup", "must be shorter than the duration (\(Units.formatSeconds(duration)))")
      }
      workload = Workload(
        rateRequestsPerSecond: rate, arrival: arrival, profiles: profiles, durationSeconds: duration,
        warmupSeconds: warmup, drainSeconds: drain, seed: seed)
    }

    var slo: SLO?
    if let sloReader = try reader.optionalObject("slo") {
      try ScenarioField.rejectUnknown(sloReader, allowed: ["ttft", "tpot", "success_rate"])
      let ttft = try sloReader.quantity("ttft", Plausibility.sloTime, bareNumberAllowed: true)
      let tpot = try sloReader.quantity("tpot", Plausibility.sloTime, bareNumberAllowed: true)
      let floor = try sloReader.optionalDouble("success_rate") ?? 0.95
      guard floor > 0, floor <= 1 else { throw sloReader.error("success_rate", "must be in (0, 1], got \(floor)") }
      slo = SLO(ttftSeconds: ttft, tpotSeconds: tpot, successRateFloor: floor)
    }

    var router = RouterPolicy.roundRobin
    if let text = try reader.optionalString("router") {
      guard let policy = RouterPolicy(rawValue: text) else {
        throw reader.error(
          "router",
          "unknown router \"\(text)\" (known: \(RouterPolicy.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      router = policy
    }
    let gpuBudget = try reader.optionalCount("gpu_budget", Plausibility.gpuBudget)

    var scheduler = ScenarioScheduler()
    if let s = try reader.optionalObject("scheduler") {
      try ScenarioField.rejectUnknown(
        s,
        allowed: [
          "max_num_seqs", "max_num_batched_tokens", "chunked_prefill", "block_size", "waiting_queue_cap",
          "queue_timeout", "kv_cache_blocks", "gpu_memory_utilisation", "kv_cache_dtype",
        ])
      scheduler.maxNumSeqs = try s.optionalCount("max_num_seqs", Plausibility.maxNumSeqs)
      scheduler.maxNumBatchedTokens = try s.optionalCount("max_num_batched_tokens", Plausibility.maxBatchedTokens)
      scheduler.chunkedPrefill = try s.optionalBool("chunked_prefill")
      scheduler.blockSizeTokens = try s.optionalCount("block_size", Plausibility.blockSize)
      scheduler.waitingQueueCap = try s.optionalCount("waiting_queue_cap", Plausibility.waitingQueueCap)
      scheduler.queueTimeoutSeconds = try s.optionalQuantity(
        "queue_timeout", Plausibility.runTime, bareNumberAllowed: true)
      scheduler.kvCacheBlocks = try s.optionalCount("kv_cache_blocks", Plausibility.kvCacheBlocks)
      if let fraction = try s.optionalDouble("gpu_memory_utilisation") {
        guard fraction > 0, fraction <= 1 else {
          throw s.error("gpu_memory_utilisation", "must be in (0, 1], got \(fraction)")
        }
        scheduler.gpuMemoryUtilisation = fraction
      }
      if let text = try s.optionalString("kv_cache_dtype") {
        guard let dtype = DType.kvCache(text) else {
          throw s.error("kv_cache_dtype", "unknown KV-cache precision \"\(text)\" (allowed: \(DType.kvCacheNames))")
        }
        scheduler.kvCacheDType = dtype
      }
    }

    var parsed = Scenario(
      name: name, model: model, gpu: gpu, cluster: cluster, layout: layout, workload: workload, tracePath: tracePath,
      slo: slo, objective: try reader.optionalString("objective"), gpuBudget: gpuBudget, router: router,
      scheduler: scheduler, engine: try engineName(reader))
    parsed.prices = try ScenarioField.prices(reader)
    try ScenarioPrecision.parse(reader, into: &parsed)
    try parseExpertImbalance(reader, into: &parsed)
    (parsed.disaggregation, parsed.kvTransferOverlap) = try ScenarioField.disaggregation(reader)
    return parsed
  }

  /// The `engine:` field: a catalog name or a path (resolved, and its file validated, when the
  /// scenario is resolved against the catalog).
  static func engineName(_ reader: FieldReader) throws -> String? {
    guard let name = try reader.optionalString("engine") else { return nil }
    guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
      throw reader.error("engine", "must name an engine profile (see `llmplan engines`)")
    }
    return name
  }
}

/// Field parsers of the scenario format.
enum ScenarioField {
  /// `disaggregation: auto|off|on|only` and `kv_transfer: {overlap: layerwise|none}`.
  static func disaggregation(_ reader: FieldReader) throws -> (DisaggregationMode?, KVTransferOverlap?) {
    let names = { (all: [String]) in all.joined(separator: ", ") }
    let mode = try reader.optionalString("disaggregation").map { text in
      guard let mode = DisaggregationMode(rawValue: text) else {
        throw reader.error(
          "disaggregation", "unknown mode \"\(text)\" (allowed: \(names(DisaggregationMode.allCases.map(\.rawValue))))")
      }
      return mode
    }
    guard let transfer = try reader.optionalObject("kv_transfer") else { return (mode, nil) }
    try rejectUnknown(transfer, allowed: ["overlap"])
    let overlap = try transfer.optionalString("overlap").map { text in
      guard let overlap = KVTransferOverlap(rawValue: text) else {
        throw transfer.error(
          "overlap",
          "unknown KV-transfer overlap \"\(text)\" (allowed: \(names(KVTransferOverlap.allCases.map(\.rawValue))))")
      }
      return overlap
    }
    return (mode, overlap)
  }

  /// `prices: {h100-80gb-sxm: 2.99, l40s-48gb-pcie: 1.1}`: dollars per GPU-hour by GPU name.
  static func prices(_ reader: FieldReader) throws -> [String: Double] {
    guard let block = try reader.optionalObject("prices") else { return [:] }
    var prices: [String: Double] = [:]
    for name in block.object.keys.sorted() {
      guard let dollars = try block.optionalQuantity(name, Plausibility.gpuPrice) else {
        throw block.error(name, "missing dollars per GPU-hour (e.g. \(name): 2.99)")
      }
      prices[name] = dollars
    }
    return prices
  }

  static func rejectUnknown(_ reader: FieldReader, allowed: Set<String>) throws {
    try reader.rejectUnknown(allowed: allowed)
  }

  /// Requests per second: a number, or a string like "50 req/s" or "50/s".
  static func rate(_ reader: FieldReader) throws -> Double {
    guard reader.has("rate") else { throw reader.error("rate", "missing (requests per second)") }
    let value: Double
    if let text = reader.object["rate"] as? String {
      var body = text.trimmingCharacters(in: .whitespaces)
      for suffix in ["req/s", "requests/s", "/s"] where body.hasSuffix(suffix) {
        body = String(body.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
        break
      }
      guard let number = Double(body), number.isFinite else {
        throw reader.error("rate", "cannot read \"\(text)\" as requests per second (e.g. 20 or \"20 req/s\")")
      }
      value = number
    } else {
      value = try reader.double("rate")
    }
    guard value > 0 else { throw reader.error("rate", "must be positive, found \(FieldReader.written(value))") }
    do { try Plausibility.rate.check(value, written: FieldReader.written(value)) } catch let error as PlausibilityError
    {
      throw reader.error("rate", error.description)
    }
    return value
  }

  static func arrival(_ reader: FieldReader, baseDirectory: String) throws -> (ArrivalProcess, String?) {
    if let text = reader.object["arrival"] as? String {
      switch text {
      case "poisson": return (.poisson, nil)
      case "constant": return (.constant, nil)
      case "gamma":
        throw reader.error("arrival", "gamma arrivals need a coefficient of variation: {type: gamma, cv: 2}")
      case "trace": throw reader.error("arrival", "a trace needs its file: {type: trace, path: requests.csv}")
      default:
        throw reader.error("arrival", "unknown arrival process \"\(text)\" (known: poisson, constant, gamma, trace)")
      }
    }
    let spec = try reader.object("arrival")
    let type = try spec.string("type")
    switch type {
    case "poisson", "constant":
      try rejectUnknown(spec, allowed: ["type"])
      return (type == "poisson" ? .poisson : .constant, nil)
    case "gamma":
      try rejectUnknown(spec, allowed: ["type", "cv"])
      let cv = try spec.quantity("cv", Plausibility.arrivalCV)
      return (.gamma(coefficientOfVariation: cv), nil)
    case "trace":
      try rejectUnknown(spec, allowed: ["type", "path"])
      let path = try spec.string("path")
      let resolved = path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).path
      return (.trace, resolved)
    default:
      throw spec.error("type", "unknown arrival process \"\(type)\" (known: poisson, constant, gamma, trace)")
    }
  }

  /// A token-length distribution (see `Scenario` for the forms).
  static func length(_ reader: FieldReader, _ key: String) throws -> LengthDistribution {
    guard reader.has(key) else { throw reader.error(key, "missing (a token count, \"LO-HI\", or {dist: …})") }
    if let text = reader.object[key] as? String {
      let trimmed = text.trimmingCharacters(in: .whitespaces)
      let tokens = Plausibility.tokens
      if let n = Int(trimmed) {
        guard tokens.contains(n) else {
          throw reader.error(key, "must be a whole number of tokens in \(tokens), found \(n)")
        }
        return .fixed(n)
      }
      let parts = trimmed.split(whereSeparator: { $0 == "-" || $0 == "–" }).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]) else {
        throw reader.error(key, "cannot read \"\(text)\" as a length (a number or \"LO-HI\")")
      }
      guard low >= 1, low <= high, high <= tokens.upper else {
        throw reader.error(
          key, "range \(low)-\(high) must satisfy 1 ≤ LO ≤ HI ≤ \(PlausibleCount.grouped(tokens.upper))")
      }
      return .uniform(low: low, high: high)
    }
    if reader.object[key] is [String: Any] {
      let spec = try reader.object(key)
      let dist = try spec.string("dist")
      switch dist {
      case "fixed":
        try rejectUnknown(spec, allowed: ["dist", "value"])
        return .fixed(try spec.count("value", Plausibility.tokens))
      case "uniform":
        try rejectUnknown(spec, allowed: ["dist", "min", "max"])
        let low = try spec.count("min", Plausibility.tokens)
        let high = try spec.count("max", Plausibility.tokens)
        guard low <= high else { throw spec.error("max", "must be at least min (\(low)), found \(high)") }
        return .uniform(low: low, high: high)
      case "normal":
        try rejectUnknown(spec, allowed: ["dist", "mean", "sd", "min", "max"])
        let mean = try spec.quantity("mean", Plausibility.lengthParameter)
        let sd = try spec.quantity("sd", Plausibility.lengthParameter)
        let (low, high) = try bounds(spec)
        return .normal(mean: mean, standardDeviation: sd, min: low, max: high)
      case "lognormal", "log-normal", "log_normal":
        try rejectUnknown(spec, allowed: ["dist", "median", "sigma", "min", "max"])
        let median = try spec.quantity("median", Plausibility.lengthParameter)
        guard median > 0 else { throw spec.error("median", "must be positive") }
        let sigma = try spec.quantity("sigma", Plausibility.logNormalSigma)
        let (low, high) = try bounds(spec)
        return .logNormal(median: median, sigma: sigma, min: low, max: high)
      default:
        throw spec.error("dist", "unknown distribution \"\(dist)\" (known: fixed, uniform, normal, lognormal)")
      }
    }
    return .fixed(try reader.count(key, Plausibility.tokens))
  }

  private static func bounds(_ spec: FieldReader) throws -> (Int, Int) {
    let low = try spec.optionalCount("min", Plausibility.tokens) ?? 1
    let high = try spec.count("max", Plausibility.tokens)
    guard low <= high else { throw spec.error("max", "must be at least min (\(low)), found \(high)") }
    return (low, high)
  }
}

extension FieldReader {
  /// A positive whole number if present.
  func optionalPositive(_ key: String) throws -> Int? {
    guard has(key) else { return nil }
    return try positiveInt(key)
  }
}

/// Request traces as CSV: a header naming the columns `arrival_seconds`, `prompt_tokens` and
/// `output_tokens` (in any order), then one request per line. Blank lines and lines starting
/// with `#` are skipped. Arrival times are seconds from the start (≥ 0); lengths whole tokens
/// ≥ 1. A bad row is an error naming its line and column.
///
/// ```
/// arrival_seconds,prompt_tokens,output_tokens
/// 0.00,512,128
/// 0.37,2048,64
/// ```
public enum TraceFile {
  public static let columns = ["arrival_seconds", "prompt_tokens", "output_tokens"]

  public static func load(_ path: String) throws -> [TraceRequest] {
    try DataFile.checkSize(path, limit: Plausibility.maximumTraceFileBytes)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CatalogError(file: path, field: "", reason: "cannot read the trace (missing or unreadable)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw CatalogError(file: path, field: "", reason: "not UTF-8 text")
    }
    return try parse(text, file: path)
  }

  public static func parse(_ text: String, file: String) throws -> [TraceRequest] {
    var header: [String]?
    var position: [String: Int] = [:]
    var result: [TraceRequest] = []
    var lineNumber = 0
    // Character-wise: "\r\n" is one Character, and a newline.
    for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      lineNumber += 1
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let cells = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard let header else {
        let names = cells.map { $0.lowercased() }
        for column in columns {
          guard let index = names.firstIndex(of: column) else {
            throw CatalogError(
              file: file, field: "line \(lineNumber)",
              reason: "the header must name the columns \(columns.joined(separator: ",")); found \"\(trimmed)\"")
          }
          position[column] = index
        }
        header = names
        continue
      }
      guard cells.count == header.count else {
        throw CatalogError(
          file: file, field: "line \(lineNumber)", reason: "has \(cells.count) columns; the header has \(header.count)")
      }
      func cell(_ column: String) -> (String, String) {
        let index = position[column]!
        return (cells[index], "line \(lineNumber), column \(index + 1) (\(column))")
      }
      let (arrivalText, arrivalWhere) = cell("arrival_seconds")
      guard let arrivalSeconds = Double(arrivalText), arrivalSeconds.isFinite, arrivalSeconds >= 0 else {
        throw CatalogError(
          file: file, field: arrivalWhere, reason: "\"\(arrivalText)\" is not a time in seconds ≥ 0")
      }
      let window = Plausibility.runTime
      guard arrivalSeconds <= window.upper else {
        throw CatalogError(
          file: file, field: arrivalWhere,
          reason: "\(arrivalText) s is outside the plausible range of \(window.quantity), \(window)")
      }
      guard result.count < Plausibility.traceRequests.upper else {
        throw CatalogError(
          file: file, field: "line \(lineNumber)",
          reason:
            "more requests than the limit for \(Plausibility.traceRequests.quantity), \(Plausibility.traceRequests)")
      }
      func tokens(_ column: String) throws -> Int {
        let (value, location) = cell(column)
        let range = Plausibility.tokens
        guard let n = Int(value), range.contains(n) else {
          throw CatalogError(
            file: file, field: location, reason: "\"\(value)\" is not a whole number of tokens in \(range)")
        }
        return n
      }
      result.append(
        TraceRequest(
          arrivalSeconds: arrivalSeconds, promptTokens: try tokens("prompt_tokens"),
          outputTokens: try tokens("output_tokens")))
    }
    guard header != nil else {
      throw CatalogError(
        file: file, field: "", reason: "empty trace: expected the header \(columns.joined(separator: ","))")
    }
    guard !result.isEmpty else { throw CatalogError(file: file, field: "", reason: "the trace has no requests") }
    return result
  }
}

extension LengthDistribution {
  /// Reads a length written on the command line: `"2000"` (fixed) or `"1000-2000"` (uniform).
  /// Errors name `option`.
  public static func parse(_ text: String, option: String) throws -> LengthDistribution {
    let reader = FieldReader(file: "command line", object: [option: text])
    return try ScenarioField.length(reader, option)
  }
}

extension DType {
  /// The KV-cache precisions a scenario's `kv_cache_dtype` and `--kv-dtype` accept.
  public static let kvCacheChoices: [DType] = [.fp16, .bf16, .fp8]
  public static var kvCacheNames: String { kvCacheChoices.map(\.rawValue).joined(separator: ", ") }

  /// `fp16`, `bf16` or `fp8` (case-insensitive); nil for anything else. fp8 is a storage format
  /// here: vLLM stores the cache in fp8 on any GPU (A100 included) and converts on read.
  public static func kvCache(_ text: String) -> DType? {
    guard let dtype = DType(rawValue: text.lowercased()), kvCacheChoices.contains(dtype) else { return nil }
    return dtype
  }
}

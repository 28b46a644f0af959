import Foundation

/// The plausible range of one physical quantity LLMPlan reads from a file or a flag.
///
/// A value outside it is a typo or a unit slip (`"80"` meant as GB, `1e308 us`), never
/// hardware: the bounds are set wide enough for any real machine for decades, and tight
/// enough that every derived figure (times, byte counts, token counts in `Int`) stays finite
/// and representable. The table is `Plausibility`; docs/FILE-FORMATS.md mirrors it.
public struct PlausibleRange: Sendable, Hashable, CustomStringConvertible {
  /// How the value is written: which unit parser reads it, and whether a bare number is allowed.
  public enum Written: Sendable, Hashable {
    case bytes, bytesPerSecond, seconds, flopsPerSecond
    /// A count of FLOPs: a bare number or "4.5 GFLOP".
    case flops
    /// A plain number (a fraction, a coefficient of variation, requests per second).
    case number
  }

  /// What the quantity is, for messages: "a link's bandwidth".
  public let quantity: String
  /// Bounds in SI units (bytes, seconds, bytes per second, FLOP per second), both inclusive.
  public let lower: Double
  public let upper: Double
  /// The bounds as written in the docs and in messages ("1 Mbit/s"); a test checks that they
  /// parse back to `lower` and `upper`.
  public let lowerText: String
  public let upperText: String
  public let written: Written

  public init(
    _ quantity: String, _ lowerText: String, _ lower: Double, _ upperText: String, _ upper: Double,
    written: Written
  ) {
    self.quantity = quantity
    self.lower = lower
    self.upper = upper
    self.lowerText = lowerText
    self.upperText = upperText
    self.written = written
  }

  public var description: String { "\(lowerText) … \(upperText)" }

  public func contains(_ value: Double) -> Bool { value >= lower && value <= upper }

  /// Reads `text` with the quantity's unit parser (a unit is required, except for `.flops`
  /// and `.number`) and checks the range.
  public func parse(_ text: String) throws -> Double {
    let value: Double
    switch written {
    case .bytes: value = try Units.bytes(text)
    case .bytesPerSecond: value = try Units.bytesPerSecond(text)
    case .seconds: value = try Units.seconds(text)
    case .flopsPerSecond: value = try Units.flopsPerSecond(text)
    case .flops: value = try Units.flops(text)
    case .number:
      let (number, unit) = try Units.split(text)
      guard unit.isEmpty else { throw Units.ParseError(text: text, reason: "expected a plain number") }
      value = number
    }
    try check(value, written: "\"\(text)\"")
    return value
  }

  /// Throws `PlausibilityError` unless `value` lies in the range; `written` is the value as
  /// the user wrote it, for the message.
  public func check(_ value: Double, written: String) throws {
    guard contains(value) else { throw PlausibilityError(written: written, value: value, range: self) }
  }
}

/// A value outside its quantity's plausible range.
public struct PlausibilityError: Error, CustomStringConvertible, Equatable, Sendable {
  public let written: String
  public let value: Double
  public let range: PlausibleRange
  public var description: String {
    let sign = value <= 0 && range.lower > 0 ? " (it must be positive)" : ""
    return "\(written) is outside the plausible range of \(range.quantity), \(range)\(sign)"
  }
}

/// The plausible range of a whole-number quantity (a count of GPUs, tokens, layers).
public struct PlausibleCount: Sendable, Hashable, CustomStringConvertible {
  public let quantity: String
  public let lower: Int
  public let upper: Int

  public init(_ quantity: String, _ lower: Int, _ upper: Int) {
    self.quantity = quantity
    self.lower = lower
    self.upper = upper
  }

  public var description: String { "\(Self.grouped(lower)) … \(Self.grouped(upper))" }

  public func contains(_ value: Int) -> Bool { value >= lower && value <= upper }

  /// "1,048,576": digits in groups of three.
  static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
      result.append(digit)
    }
    return value < 0 ? "-" + result : result
  }
}

/// The table of plausible ranges (docs/FILE-FORMATS.md, "Plausible ranges", mirrors it).
public enum Plausibility {
  // MARK: GPU files

  public static let gpuMemory = PlausibleRange("a GPU's memory", "1 GB", 1e9, "1 PB", 1e15, written: .bytes)
  public static let memoryBandwidth = PlausibleRange(
    "a GPU's memory bandwidth", "1 GB/s", 1e9, "1 PB/s", 1e15, written: .bytesPerSecond)
  public static let peakFLOPS = PlausibleRange(
    "a peak compute rate", "1 GFLOP/s", 1e9, "1 EFLOP/s", 1e18, written: .flopsPerSecond)
  public static let l2Cache = PlausibleRange("an L2 cache size", "1 kB", 1e3, "100 GB", 1e11, written: .bytes)
  public static let smCount = PlausibleCount("a GPU's SM count", 1, 100_000)
  /// Achieved fractions of a peak (`compute_max`, `memory_max`, `collective_bandwidth_max`,
  /// `l2_byte_cost`): a kernel reaching under 0.1 % of peak at saturation is a typo.
  public static let efficiency = PlausibleRange(
    "an efficiency (a fraction of peak)", "0.001", 1e-3, "1", 1, written: .number)
  /// `wave_quantization`: 0 switches the effect off.
  public static let waveQuantization = PlausibleRange(
    "a wave-quantisation weight", "0", 0, "1", 1, written: .number)
  public static let halfSaturationFLOPs = PlausibleRange(
    "a half-saturation size in FLOPs", "0 FLOP", 0, "1 PFLOP", 1e15, written: .flops)
  public static let halfSaturationBytes = PlausibleRange(
    "a half-saturation size in bytes", "0 B", 0, "1 TB", 1e12, written: .bytes)
  /// The attention law's costs (`AttentionEfficiency`): reciprocal efficiencies and weights, 0
  /// (the term plays no part) to 100 (a hundredth of the datasheet rate).
  public static let attentionCost = PlausibleRange("an attention-law cost", "0", 0, "100", 100, written: .number)
  /// Kernel launch, collective step and iteration overhead.
  public static let overheadTime = PlausibleRange("a fixed overhead", "0 s", 0, "1 s", 1, written: .seconds)
  /// Residual quantiles of `measured / predicted − 1`: above −1 (a time cannot vanish), and a
  /// prediction off by more than a factor of 100 is no band at all.
  public static let residualQuantile = PlausibleRange(
    "a residual quantile", "-0.999", -0.999, "100", 100, written: .number)

  // MARK: Engine files

  /// Per-sequence, per-token and per-layer host times of an engine profile: 10 ms per
  /// sequence is a hundred times the slowest measured (vLLM V0, about 0.1 ms per sequence).
  public static let overheadPerItem = PlausibleRange(
    "a per-sequence, per-token or per-layer host time", "0 s", 0, "10 ms", 0.01, written: .seconds)
  /// Size limits of an engine's custom all-reduce (vLLM's default is 8 MiB).
  public static let allReduceLimit = PlausibleRange(
    "a custom all-reduce size limit", "0 B", 0, "1 GB", 1e9, written: .bytes)
  /// Fraction of GPU memory an engine may use (`gpu_memory_utilization`).
  public static let memoryUtilisation = PlausibleRange(
    "a GPU memory utilisation", "0.01", 0.01, "1", 1, written: .number)
  /// Largest group an engine's custom all-reduce serves (one NVLink domain).
  public static let customAllReduceGPUs = PlausibleCount("a custom all-reduce group size", 2, 1024)

  /// Rental price of one GPU, US dollars per GPU-hour (`price.dollars_per_gpu_hour`, scenario
  /// `prices:`, `--price`): a cent to a thousand dollars; zero is "no price", never a price.
  public static let gpuPrice = PlausibleRange(
    "a GPU price in dollars per GPU-hour", "0.01", 0.01, "1000", 1000, written: .number)

  // MARK: Cluster files

  /// Per direction, per link: 1 Mbit/s (old Ethernet) to 1 Pbit/s (beyond any optical link).
  public static let linkBandwidth = PlausibleRange(
    "a link's bandwidth", "1 Mbit/s", 1.25e5, "1 Pbit/s", 1.25e14, written: .bytesPerSecond)
  /// 0 (an ideal link, the default) to one second (beyond any network inside a datacentre).
  public static let linkLatency = PlausibleRange("a link's latency", "0 s", 0, "1 s", 1, written: .seconds)
  /// GPUs in one cluster: a 100,000-GPU cluster is a real question; 2²⁰ leaves room.
  public static let clusterGPUs = PlausibleCount("the GPUs of a cluster", 1, 1 << 20)
  /// GPUs in one node entry: a node is one host or one NVLink domain. The largest announced is
  /// 576 GPUs (NVIDIA's Rubin Ultra NVL576, GTC 2025); 1,024 leaves room. Beyond it, per-node
  /// analyses (bisection, placement inside a node) grow with the node's size for no real machine.
  public static let nodeGPUs = PlausibleCount("the GPUs of a node", 1, 1024)
  /// Switches in one cluster.
  public static let clusterSwitches = PlausibleCount("the switches of a cluster", 0, 1 << 20)
  /// Links after `gpu*` expansion (each costs about 50 bytes).
  public static let clusterLinks = PlausibleCount("the links of a cluster", 0, 1 << 23)

  // MARK: Model files

  public static let hiddenSize = PlausibleCount("a hidden size", 1, 1 << 20)
  public static let layers = PlausibleCount("a layer count", 1, 100_000)
  public static let heads = PlausibleCount("a head count", 1, 1 << 16)
  public static let headDim = PlausibleCount("a head dimension", 1, 1 << 16)
  public static let intermediateSize = PlausibleCount("an MLP width", 1, 1 << 24)
  public static let vocabulary = PlausibleCount("a vocabulary size", 1, 100_000_000)
  public static let publishedParameters = PlausibleRange(
    "a parameter count", "1", 1, "1e15", 1e15, written: .number)
  /// Routed experts per layer and experts per token (DeepSeek-V3 has 256; 65,536 leaves room).
  public static let experts = PlausibleCount("an expert count", 1, 1 << 16)
  public static let sharedExperts = PlausibleCount("a shared-expert count", 0, 1 << 16)
  /// Leading dense layers of an MoE model (`first_k_dense_replace`); also at most the layers.
  public static let denseLayers = PlausibleCount("a dense-layer count", 0, 100_000)
  /// Latent (LoRA) ranks of multi-head latent attention.
  public static let latentRank = PlausibleCount("a latent-projection rank", 1, 1 << 20)
  /// Weights sharing one quantization scale (`group_size`, `--weight-dtype int4-gN`).
  public static let quantizationGroupSize = PlausibleCount("a quantization group size", 1, 1 << 20)

  // MARK: Requests, workloads and layouts

  /// Tokens of one prompt or one output (and a model's context length): 10⁸ is a hundred times
  /// the longest context windows of 2025, and keeps token arithmetic far from `Int32` overflow.
  public static let tokens = PlausibleCount("a token count", 1, 100_000_000)
  /// Requests per second offered to a deployment.
  public static let rate = PlausibleRange(
    "a request rate in requests per second", "0.000001", 1e-6, "1000000", 1e6, written: .number)
  /// Coefficient of variation of gamma inter-arrival gaps. The sampler draws Gamma(1/CV², ·);
  /// beyond CV 20 almost every gap underflows to zero (U^(CV²) < 5·10⁻³²⁴) and the requested
  /// burstiness cannot be represented in a `Double`; below 0.01 the process is constant.
  public static let arrivalCV = PlausibleRange(
    "a coefficient of variation of inter-arrival gaps", "0.01", 0.01, "20", 20, written: .number)
  /// Expert load imbalance of an MoE expert-parallel group: the busiest GPU's routed tokens over
  /// the mean, at least 1 (even routing) and at most the EP degree (every token on one GPU).
  public static let expertImbalance = PlausibleRange(
    "an expert load imbalance factor (busiest GPU's routed tokens over the mean)", "1", 1, "256", 256,
    written: .number)
  /// Relative weight of a client profile in the mix.
  public static let profileWeight = PlausibleRange("a profile weight", "0", 0, "1000000", 1e6, written: .number)
  /// Mean, standard deviation and median of a length distribution, in tokens (real-valued).
  public static let lengthParameter = PlausibleRange(
    "a length-distribution parameter in tokens", "0", 0, "100000000", 1e8, written: .number)
  /// σ of the normal underlying a log-normal length: e^10 already spans four orders of magnitude.
  public static let logNormalSigma = PlausibleRange("a log-normal σ", "0", 0, "10", 10, written: .number)
  /// Arrival window, warm-up, drain, queue timeout and trace arrival times: up to 30 days.
  public static let runTime = PlausibleRange("a simulated time span", "0 s", 0, "720 h", 2_592_000, written: .seconds)
  /// TTFT and TPOT objectives.
  public static let sloTime = PlausibleRange("a latency objective", "1 us", 1e-6, "1 h", 3600, written: .seconds)
  /// One parallel degree (TP, PP or DP) and their product: at most `clusterGPUs.upper`.
  public static let parallelDegree = PlausibleCount("a parallel degree", 1, 1 << 20)
  public static let gpuBudget = PlausibleCount("a GPU budget", 1, 1 << 20)
  public static let maxNumSeqs = PlausibleCount("a sequence limit", 1, 1 << 20)
  public static let maxBatchedTokens = PlausibleCount("a batched-token limit", 1, 100_000_000)
  public static let blockSize = PlausibleCount("a KV block size in tokens", 1, 1 << 16)
  public static let kvCacheBlocks = PlausibleCount("a KV block count", 1, 1 << 24)
  public static let waitingQueueCap = PlausibleCount("a waiting-queue cap", 0, 100_000_000)
  /// Rows of a trace file.
  public static let traceRequests = PlausibleCount("the requests of a trace", 1, 50_000_000)

  // MARK: File sizes

  /// Largest model, GPU, cluster or scenario file read (JSON or YAML), bytes.
  public static let maximumDataFileBytes = 64 << 20
  /// Largest trace read, bytes (50 million rows of about 20 bytes).
  public static let maximumTraceFileBytes = 1 << 30
  /// Most YAML nodes a scenario may expand to once aliases are resolved (an "anchor bomb"
  /// of nine nested aliases would expand to 9¹² nodes).
  public static let maximumYAMLNodes = 1_000_000

  /// Every continuous range of the table, for the docs test.
  public static let allRanges: [PlausibleRange] = [
    gpuMemory, memoryBandwidth, peakFLOPS, l2Cache, efficiency, waveQuantization, halfSaturationFLOPs,
    halfSaturationBytes, attentionCost, overheadTime, residualQuantile, overheadPerItem, allReduceLimit,
    memoryUtilisation, linkBandwidth, linkLatency, publishedParameters, rate,
    arrivalCV, runTime, sloTime, profileWeight, lengthParameter, logNormalSigma, gpuPrice,
  ]

  /// Every whole-number range of the table, for the docs test.
  public static let allCounts: [PlausibleCount] = [
    smCount, customAllReduceGPUs, clusterGPUs, nodeGPUs, clusterSwitches, clusterLinks, hiddenSize, layers, heads,
    headDim,
    intermediateSize, vocabulary, experts, sharedExperts, denseLayers, latentRank, quantizationGroupSize, tokens,
    parallelDegree, gpuBudget, maxNumSeqs, maxBatchedTokens, blockSize,
    kvCacheBlocks, waitingQueueCap, traceRequests,
  ]
}

extension PlausibleRange {
  /// The unit an example in a message uses ("write e.g. \"80 GB\"").
  var exampleUnit: String {
    switch written {
    case .bytes: return "GB"
    case .bytesPerSecond: return "GB/s"
    case .seconds: return "us"
    case .flopsPerSecond: return "TFLOP/s"
    case .flops: return "GFLOP"
    case .number: return ""
    }
  }
}

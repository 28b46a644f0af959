import PlanCore

// The answers of a hardware-and-money plan (several GPU types, prices, growth, Pareto
// frontier). These types are the contract between the planner, which fills them, and the
// Markdown, JSON and HTML renderers, which only read them. Fields may be added; none removed.

/// An hourly price of one GPU, with where it came from.
public struct HourlyPrice: Sendable, Hashable, Codable {
  /// US dollars per GPU-hour.
  public var dollarsPerGPUHour: Double
  /// Where the price comes from (a cloud's list price page, or "--price" for a user's own).
  public var source: String
  /// When the price was read (ISO date, e.g. "2026-11-30"); nil for a user's override.
  public var asOf: String?
  /// True when the user gave it (`--price`, scenario `prices:`), false for the catalog's.
  public var userSupplied: Bool

  public init(dollarsPerGPUHour: Double, source: String, asOf: String?, userSupplied: Bool) {
    self.dollarsPerGPUHour = dollarsPerGPUHour
    self.source = source
    self.asOf = asOf
    self.userSupplied = userSupplied
  }
}

/// What one layout costs at a request rate.
public struct LayoutCost: Sendable, Hashable, Codable {
  /// GPUs × price per GPU-hour.
  public var dollarsPerHour: Double
  /// dollarsPerHour / (output tokens per hour at the rate) × 10⁶.
  public var dollarsPerMillionOutputTokens: Double
  /// dollarsPerHour / (requests per hour at the rate) × 10⁶.
  public var dollarsPerMillionRequests: Double

  public init(dollarsPerHour: Double, dollarsPerMillionOutputTokens: Double, dollarsPerMillionRequests: Double) {
    self.dollarsPerHour = dollarsPerHour
    self.dollarsPerMillionOutputTokens = dollarsPerMillionOutputTokens
    self.dollarsPerMillionRequests = dollarsPerMillionRequests
  }
}

/// The best layout of one GPU type for the question, side by side with the others.
public struct GPUTypeOutcome: Sendable, Hashable, Codable {
  /// Catalog name of the GPU (`h100-80gb-sxm`) and its display name.
  public var gpu: String
  public var gpuDisplayName: String
  /// The cluster it was planned on, and how it was chosen ("catalog cluster dgx-h100", or
  /// "built: nodes of 8 over the GPU's NVLink, 400 Gbit/s InfiniBand between nodes").
  public var cluster: String
  public var clusterNote: String
  /// The winning layout ("TP2 PP1 DP2"), nil when no layout of this type fits or meets the SLO.
  public var layout: String?
  public var gpus: Int?
  /// Largest sustainable rate of the layout (requests/s), and its headroom over the target rate
  /// (capacity / rate − 1).
  public var capacityRequestsPerSecond: Double?
  public var headroom: Double?
  public var ttftP90Seconds: Double?
  public var tpotP90Seconds: Double?
  public var meetsSLO: Bool
  public var price: HourlyPrice?
  /// nil when no price is known (then `why` says so) or no layout was found.
  public var cost: LayoutCost?
  /// One line: why this type has no layout, no price, or fails the SLO; nil when none of these.
  public var why: String?

  public init(
    gpu: String, gpuDisplayName: String, cluster: String, clusterNote: String, layout: String? = nil, gpus: Int? = nil,
    capacityRequestsPerSecond: Double? = nil, headroom: Double? = nil, ttftP90Seconds: Double? = nil,
    tpotP90Seconds: Double? = nil, meetsSLO: Bool = false, price: HourlyPrice? = nil, cost: LayoutCost? = nil,
    why: String? = nil
  ) {
    self.gpu = gpu
    self.gpuDisplayName = gpuDisplayName
    self.cluster = cluster
    self.clusterNote = clusterNote
    self.layout = layout
    self.gpus = gpus
    self.capacityRequestsPerSecond = capacityRequestsPerSecond
    self.headroom = headroom
    self.ttftP90Seconds = ttftP90Seconds
    self.tpotP90Seconds = tpotP90Seconds
    self.meetsSLO = meetsSLO
    self.price = price
    self.cost = cost
    self.why = why
  }
}

/// One rate of a growth curve: per GPU type, the cheapest (or fewest-GPU) layout meeting the SLO.
public struct GrowthPoint: Sendable, Hashable, Codable {
  public var rateRequestsPerSecond: Double
  /// Same order as `GrowthCurve.gpuTypes`; nil where that type cannot meet the SLO at this rate.
  public var gpus: [Int?]
  public var dollarsPerHour: [Double?]
  public var layouts: [String?]
  /// The GPU type that is cheapest at this rate (fewest GPUs when no prices), nil if none fits.
  public var cheapestGPU: String?

  public init(
    rateRequestsPerSecond: Double, gpus: [Int?], dollarsPerHour: [Double?], layouts: [String?], cheapestGPU: String?
  ) {
    self.rateRequestsPerSecond = rateRequestsPerSecond
    self.gpus = gpus
    self.dollarsPerHour = dollarsPerHour
    self.layouts = layouts
    self.cheapestGPU = cheapestGPU
  }
}

/// Capacity against traffic growth.
public struct GrowthCurve: Sendable, Hashable, Codable {
  public var gpuTypes: [String]
  public var points: [GrowthPoint]
  /// Rates at which the cheapest GPU type changes, with the types before and after, as
  /// sentences ("from 25 req/s H100 80GB SXM is cheaper than A100 80GB SXM").
  public var crossovers: [String]

  public init(gpuTypes: [String], points: [GrowthPoint], crossovers: [String]) {
    self.gpuTypes = gpuTypes
    self.points = points
    self.crossovers = crossovers
  }
}

/// One operating point of the throughput–interactivity trade-off.
public struct ParetoPoint: Sendable, Hashable, Codable {
  public var gpu: String
  public var layout: String
  /// The batch cap (max sequences) of this point.
  public var maxSequences: Int
  /// Weight precision where precisions are searched, nil otherwise.
  public var precision: String?
  /// Output tokens per second per GPU (x of AIConfigurator's chart is per user, y per GPU).
  public var outputTokensPerSecondPerGPU: Double
  /// Output tokens per second each user sees: 1 / TPOT.
  public var outputTokensPerSecondPerUser: Double
  public var onFrontier: Bool
  public var recommended: Bool

  public init(
    gpu: String, layout: String, maxSequences: Int, precision: String?, outputTokensPerSecondPerGPU: Double,
    outputTokensPerSecondPerUser: Double, onFrontier: Bool, recommended: Bool
  ) {
    self.gpu = gpu
    self.layout = layout
    self.maxSequences = maxSequences
    self.precision = precision
    self.outputTokensPerSecondPerGPU = outputTokensPerSecondPerGPU
    self.outputTokensPerSecondPerUser = outputTokensPerSecondPerUser
    self.onFrontier = onFrontier
    self.recommended = recommended
  }
}

/// A plan across GPU types: the per-type plans, their comparison, and optionally the growth
/// curve and the Pareto frontier.
public struct FleetPlan: Sendable, Codable {
  /// The plan of each GPU type that has a layout within its budget, in the order asked (a type
  /// without one has no plan; its `comparison` entry says why). Match by `question.gpu`.
  public var plans: [PlanResult]
  /// Best layout of each type at the target rate, same order.
  public var comparison: [GPUTypeOutcome]
  /// The type recommended (by the objective, e.g. min-cost), nil when none meets the SLO.
  public var recommendedGPU: String?
  public var growth: GrowthCurve?
  public var pareto: [ParetoPoint]
  /// The objective the types were compared by, the target rate, and one sentence saying why
  /// the recommended type wins (or why none does).
  public var objective: PlanObjective = .goodputPerGPU
  public var rateRequestsPerSecond: Double = 0
  public var recommendationReason: String = ""
  /// How the growth curve and the Pareto points were obtained (analytic or simulated), for readers.
  public var growthMethod: String = FleetPlan.growthMethodText
  public var paretoMethod: String = FleetPlan.paretoMethodText

  public init(
    plans: [PlanResult], comparison: [GPUTypeOutcome], recommendedGPU: String?, growth: GrowthCurve?,
    pareto: [ParetoPoint], objective: PlanObjective = .goodputPerGPU, rateRequestsPerSecond: Double = 0,
    recommendationReason: String = ""
  ) {
    self.plans = plans
    self.comparison = comparison
    self.recommendedGPU = recommendedGPU
    self.growth = growth
    self.pareto = pareto
    self.objective = objective
    self.rateRequestsPerSecond = rateRequestsPerSecond
    self.recommendationReason = recommendationReason
  }

  public static let growthMethodText =
    "analytic: at each rate, the fewest GPUs (at one price per GPU, the lowest cost) among the layouts whose "
    + "analytic maximum sustainable rate (load model, SLO met) reaches the rate; no simulation per rate. The "
    + "simulated recommendation at the target rate is in the comparison table."
  public static let paretoMethodText =
    "analytic: per replica shape (TP × PP) and batch cap (max_num_seqs, clipped to what the KV cache holds), the "
    + "saturated output throughput of the mean request (prefills blended in) ÷ GPUs of the replica, against "
    + "that throughput ÷ sequences in flight (output tokens/s each user sees = 1/TPOT); not simulated. The "
    + "frontier is taken per GPU type: points no other point of the same type beats on both axes."
}

import PlanCore

/// What the planner optimises, among the layouts that meet the SLO.
public enum PlanObjective: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// Most successful requests per second per GPU at the target rate (ties: most headroom per
  /// GPU, then fewer GPUs).
  case goodputPerGPU = "goodput-per-gpu"
  /// Highest sustainable request rate within the SLO (ties: fewer GPUs).
  case throughput
  /// Lowest TTFT p90 at the target rate (ties: fewer GPUs).
  case minTTFT = "min-ttft"
  /// Fewest GPUs that serve the target rate within the SLO (ties: most headroom).
  case minGPUs = "min-gpus"
  /// Cheapest layout (dollars per hour) that serves the target rate within the SLO (ties: most
  /// headroom). Needs a price for the GPU. Within one GPU type the price per GPU is one number,
  /// so this orders layouts as `min-gpus` does; across GPU types (`--gpu a,b,c`) the fleet
  /// comparison picks the type whose best layout costs least per hour.
  case minCost = "min-cost"

  public var description: String { rawValue }

  /// Reads an objective as written on the command line or in a scenario (`min-gpus`,
  /// `min_gpus` and `minGPUs` are the same). Throws naming the known objectives.
  public static func parse(_ text: String) throws -> PlanObjective {
    let key = text.lowercased().replacingOccurrences(of: "_", with: "-")
    if let value = PlanObjective(rawValue: key) { return value }
    for objective in allCases where objective.rawValue.replacingOccurrences(of: "-", with: "") == key {
      return objective
    }
    throw PlannerError(
      "unknown objective \"\(text)\" (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
  }

  /// One line for people: what the objective prefers.
  public var explanation: String {
    switch self {
    case .goodputPerGPU: return "most goodput (successful requests/s) per GPU at the target rate"
    case .throughput: return "highest request rate sustainable within the SLO"
    case .minTTFT: return "lowest TTFT p90 at the target rate"
    case .minGPUs: return "fewest GPUs that serve the target rate within the SLO"
    case .minCost: return "lowest cost per hour that serves the target rate within the SLO"
    }
  }
}

/// Why the planner cannot answer (bad request, nothing to evaluate).
public struct PlannerError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What kind of failure, so a caller can tell "nothing can serve this" from a bad request.
  public enum Kind: Sendable, Hashable {
    /// The request cannot be answered as asked (bad objective, budget, threshold).
    case invalidRequest
    /// No layout of the model exists within the GPU budget (`llmplan recommend` exits 3).
    case noFeasibleLayout
  }

  public let description: String
  public let kind: Kind
  public init(_ description: String, kind: Kind = .invalidRequest) {
    self.description = description
    self.kind = kind
  }
}

import Foundation
import PlanCore

/// The collectives LLMPlan costs.
public enum Collective: String, CaseIterable, Sendable, Codable {
  case allReduce = "all_reduce"
  case allGather = "all_gather"
  case sendRecv = "send_recv"
}

/// Time of a collective as an affine function of message size, for one fixed group of GPUs:
/// `seconds(bytes) = latencySeconds + bytes · secondsPerByte`. Precomputed once per group so
/// the hot paths (layout search, simulator) cost one multiply-add.
public struct CollectiveCostCurve: Sendable, Hashable {
  public var latencySeconds: Double
  public var secondsPerByte: Double
  /// Bytes added to every message by the size-dependent efficiency law (see `EfficiencyProfile`).
  public var halfSaturationBytes: Double
  public var algorithm: String

  public init(latencySeconds: Double, secondsPerByte: Double, halfSaturationBytes: Double, algorithm: String) {
    self.latencySeconds = latencySeconds
    self.secondsPerByte = secondsPerByte
    self.halfSaturationBytes = halfSaturationBytes
    self.algorithm = algorithm
  }

  /// A curve that costs nothing (a "collective" over one GPU).
  public static let free = CollectiveCostCurve(latencySeconds: 0, secondsPerByte: 0, halfSaturationBytes: 0, algorithm: "none")

  @inline(__always)
  public func seconds(bytes: Double) -> Double {
    if secondsPerByte == 0 && latencySeconds == 0 { return 0 }
    return latencySeconds + (bytes + halfSaturationBytes) * secondsPerByte
  }
}

/// One collective's estimate, with what bounded it.
public struct CollectiveEstimate: Sendable, Hashable {
  public var collective: Collective
  public var bytes: Double
  public var gpus: [Int]
  public var seconds: Double
  public var algorithm: String
  /// Effective bandwidth of the bottleneck, bytes/s (after efficiency).
  public var bottleneckBytesPerSecond: Double
  public var latencySeconds: Double
}

/// Errors of collective requests.
public struct CommError: Error, CustomStringConvertible, Sendable, Equatable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

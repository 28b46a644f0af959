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

/// Costs collectives on a cluster's topology.
///
/// This first version routes each ring step over the widest single path between the two
/// GPUs (the bottleneck link bounds it). The multi-path electrical-flow model replaces the
/// internals without changing this API.
public struct CommModel: Sendable {
  public let cluster: Cluster
  public let efficiency: EfficiencyProfile

  public init(cluster: Cluster, efficiency: EfficiencyProfile) {
    self.cluster = cluster
    self.efficiency = efficiency
  }

  /// The cost curve of `collective` over `gpus` (in rank order). For `sendRecv`, `gpus` is
  /// `[source, destination]`. For one GPU the curve is free.
  public func curve(_ collective: Collective, gpus: [Int]) throws -> CollectiveCostCurve {
    try validate(gpus, collective)
    let n = gpus.count
    if n == 1 { return .free }
    var bottleneck = Double.infinity
    var hopLatency = 0.0
    let pairs: [(Int, Int)] =
      collective == .sendRecv ? [(gpus[0], gpus[1])] : (0..<n).map { (gpus[$0], gpus[($0 + 1) % n]) }
    for (a, b) in pairs {
      let path = try widestPath(from: a, to: b)
      bottleneck = min(bottleneck, path.bytesPerSecond)
      hopLatency = max(hopLatency, path.latencySeconds)
    }
    let effective = bottleneck * efficiency.collectiveBandwidthMax
    let stepLatency = efficiency.collectiveStepSeconds + hopLatency
    switch collective {
    case .sendRecv:
      return CollectiveCostCurve(
        latencySeconds: stepLatency, secondsPerByte: 1 / effective,
        halfSaturationBytes: efficiency.collectiveHalfSaturationBytes, algorithm: "direct")
    case .allGather:
      // Ring all-gather: n−1 steps, each moving 1/n of the gathered buffer.
      let steps = Double(n - 1)
      return CollectiveCostCurve(
        latencySeconds: steps * stepLatency, secondsPerByte: steps / Double(n) / effective,
        halfSaturationBytes: efficiency.collectiveHalfSaturationBytes, algorithm: "ring")
    case .allReduce:
      // Ring all-reduce: reduce-scatter then all-gather, 2(n−1) steps of bytes/n each.
      let steps = 2 * Double(n - 1)
      return CollectiveCostCurve(
        latencySeconds: steps * stepLatency, secondsPerByte: steps / Double(n) / effective,
        halfSaturationBytes: efficiency.collectiveHalfSaturationBytes, algorithm: "ring")
    }
  }

  /// One collective's time for a message of `bytes` (the buffer each GPU holds).
  public func estimate(_ collective: Collective, bytes: Double, gpus: [Int]) throws -> CollectiveEstimate {
    guard bytes.isFinite, bytes >= 0 else { throw CommError("message size must be a finite, non-negative byte count") }
    let curve = try curve(collective, gpus: gpus)
    let seconds = curve.seconds(bytes: bytes)
    let bandwidth = curve.secondsPerByte > 0 ? 1 / curve.secondsPerByte : .infinity
    return CollectiveEstimate(
      collective: collective, bytes: bytes, gpus: gpus, seconds: seconds, algorithm: curve.algorithm,
      bottleneckBytesPerSecond: bandwidth, latencySeconds: curve.latencySeconds)
  }

  func validate(_ gpus: [Int], _ collective: Collective) throws {
    guard !gpus.isEmpty else { throw CommError("a collective needs at least one GPU") }
    guard Set(gpus).count == gpus.count else { throw CommError("a GPU appears twice in the group \(gpus)") }
    guard gpus.allSatisfy({ $0 >= 0 && $0 < cluster.gpuCount }) else {
      throw CommError("GPU index out of range (cluster \(cluster.name) has \(cluster.gpuCount) GPUs)")
    }
    if collective == .sendRecv && gpus.count != 2 {
      throw CommError("send_recv takes exactly two GPUs (source, destination)")
    }
  }

  /// The path of largest bottleneck bandwidth between two vertices (ties: lower latency).
  func widestPath(from source: Int, to target: Int) throws -> (bytesPerSecond: Double, latencySeconds: Double) {
    let adjacency = cluster.adjacency
    var best = [Double](repeating: 0, count: cluster.vertexCount)
    var latency = [Double](repeating: .infinity, count: cluster.vertexCount)
    var done = [Bool](repeating: false, count: cluster.vertexCount)
    best[source] = .infinity
    latency[source] = 0
    for _ in 0..<cluster.vertexCount {
      var u = -1
      for v in 0..<cluster.vertexCount where !done[v] && best[v] > 0 {
        if u < 0 || best[v] > best[u] || (best[v] == best[u] && latency[v] < latency[u]) { u = v }
      }
      if u < 0 { break }
      done[u] = true
      for index in adjacency[u] {
        let link = cluster.links[index]
        let v = link.a == u ? link.b : link.a
        let width = min(best[u], link.bytesPerSecond)
        let lat = latency[u] + link.latencySeconds
        if width > best[v] || (width == best[v] && lat < latency[v]) {
          best[v] = width
          latency[v] = lat
        }
      }
    }
    guard best[target] > 0 else {
      throw CommError("no path between \(cluster.vertexNames[source]) and \(cluster.vertexNames[target])")
    }
    return (best[target], latency[target])
  }
}

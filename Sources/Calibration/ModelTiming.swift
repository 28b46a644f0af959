import Analytic
import PlanCore

/// A measurement the model cannot time on the given hardware description, and why.
public struct TimingError: Error, CustomStringConvertible, Sendable, Equatable {
  public let reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// Times collective measurements with LLMPlan's `CommModel` on a cluster.
public struct CollectiveTiming: Sendable {
  public let cluster: Cluster

  public init(cluster: Cluster) { self.cluster = cluster }

  /// The GPUs a measured group maps onto: the first `gpusPerNode` GPUs of each of the first
  /// `nodes` nodes (profilers place groups that way: DGX rank order).
  public func gpus(for measurement: CollectiveMeasurement) throws -> [Int] {
    let perNode = cluster.gpusPerNode
    guard measurement.gpus % measurement.gpusPerNode == 0 else {
      throw TimingError("\(measurement.gpus) GPUs cannot be spread evenly at \(measurement.gpusPerNode) per node")
    }
    let nodes = measurement.nodes
    guard nodes <= cluster.nodeCount else {
      throw TimingError(
        "the group spans \(nodes) nodes; cluster \(cluster.name) has \(cluster.nodeCount) (pass a --cluster with more nodes)"
      )
    }
    var result: [Int] = []
    for node in 0..<nodes {
      let members = (0..<cluster.gpuCount).filter { cluster.nodeOfGPU[$0] == node }
      guard members.count >= measurement.gpusPerNode else {
        throw TimingError(
          "node \(cluster.nodeNames[node]) of \(cluster.name) has \(perNode[node]) GPUs, the group needs \(measurement.gpusPerNode)"
        )
      }
      result += members.prefix(measurement.gpusPerNode)
    }
    return result
  }

  /// Model seconds of many measurements at once: one CommModel and one cost envelope per group.
  public func secondsAll(_ measurements: [CollectiveMeasurement], profile: EfficiencyProfile) throws -> [Double] {
    let model = CommModel(cluster: cluster, efficiency: profile)
    var envelopes: [String: CollectiveCostEnvelope] = [:]
    return try measurements.map { m in
      let key = m.groupLabel
      if envelopes[key] == nil { envelopes[key] = try model.envelope(m.collective, gpus: gpus(for: m)) }
      return envelopes[key]!.seconds(bytes: m.bytes)
    }
  }

  /// Model seconds of `measurement` with `profile`'s collective efficiencies.
  public func seconds(_ measurement: CollectiveMeasurement, profile: EfficiencyProfile) throws -> Double {
    let model = CommModel(cluster: cluster, efficiency: profile)
    return try model.estimate(measurement.collective, bytes: measurement.bytes, gpus: gpus(for: measurement)).seconds
  }
}

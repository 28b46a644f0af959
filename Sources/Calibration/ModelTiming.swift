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
    var customs: [String: AllReduceCostCurve] = [:]
    return try measurements.map { m in
      let key = m.groupLabel
      if m.implementation.isCustom {
        if customs[key] == nil { customs[key] = try customCurve(m, model: model) }
        return customs[key]!.seconds(bytes: m.bytes)
      }
      if envelopes[key] == nil { envelopes[key] = try model.envelope(m.collective, gpus: gpus(for: m)) }
      return envelopes[key]!.seconds(bytes: m.bytes)
    }
  }

  /// Model seconds of `measurement` with `profile`'s collective efficiencies.
  public func seconds(_ measurement: CollectiveMeasurement, profile: EfficiencyProfile) throws -> Double {
    let model = CommModel(cluster: cluster, efficiency: profile)
    if measurement.implementation.isCustom {
      return try customCurve(measurement, model: model).seconds(bytes: measurement.bytes)
    }
    return try model.estimate(measurement.collective, bytes: measurement.bytes, gpus: gpus(for: measurement)).seconds
  }

  /// The policy a custom all-reduce measurement ran under: vLLM's kernel at every size the
  /// table holds, one-shot or two-shot by vLLM's own rule (`CustomAllReduceLaw.vllmOneShotMaxBytes`).
  public static func measuredPolicy(gpus: Int) -> AllReducePolicy {
    AllReducePolicy(
      customEnabled: true, customMaxBytes: .infinity, customMaxGPUs: gpus,
      oneShotMaxBytes: CustomAllReduceLaw.vllmOneShotMaxBytes(gpus: gpus))
  }

  func customCurve(_ m: CollectiveMeasurement, model: CommModel) throws -> AllReduceCostCurve {
    let group = try gpus(for: m)
    let policy = Self.measuredPolicy(gpus: m.gpus)
    if let refusal = model.customAllReduceRefusal(gpus: group, policy: policy) {
      throw TimingError("custom all-reduce cannot be timed: \(refusal)")
    }
    return try model.allReduceCurve(gpus: group, policy: policy, cudaGraphs: m.implementation == .customGraph)
  }
}

import PlanCore

/// NCCL's protocols on top of the topology's algorithms (`CollectiveProtocols`).
///
/// Each algorithm cost from the flow network (ring, tree, p2p, pairwise) gives the seconds per
/// message byte at full link rate on its busiest link (s₁), its number of sequential steps and
/// the links' latency over those steps. Under protocol laws every algorithm becomes one curve
/// per protocol p:
///
///     latency = launch_p + steps · step_p + path latency
///     seconds per byte = s₁ / (η_p · g),  bytes added = ramp_p
///
/// and the envelope (the minimum over algorithm × protocol, as NCCL's tuner picks) costs a
/// message. g is the factor of the group's shape (`CollectiveProtocols.groupKey`). Without
/// protocol laws the single α–β law (`EfficiencyProfile.collective*`) stays as it was.
extension CommModel {
  func withProtocols(_ costs: [AlgorithmCost], _ collective: Collective, gpus: [Int]) -> [AlgorithmCost] {
    guard let laws = efficiency.collectiveProtocols, !laws.protocols.isEmpty else { return costs }
    let node = cluster.nodeOfGPU[gpus[0]]
    let oneNode = gpus.allSatisfy { cluster.nodeOfGPU[$0] == node }
    let group = laws.groupFactor(
      CollectiveProtocols.groupKey(
        pointToPoint: collective == .sendRecv, spansNodes: !oneNode, gpus: gpus.count, allToAll: collective == .allToAll
      ))
    let alpha = efficiency.collectiveStepSeconds
    var result: [AlgorithmCost] = []
    result.reserveCapacity(costs.count * laws.protocols.count)
    for base in costs {
      // s₁ and the path latency, with the single law's efficiency and step latency taken out.
      let fullRate = base.curve.secondsPerByte * efficiency.collectiveBandwidthMax
      let pathLatency = max(0, base.curve.latencySeconds - base.steps * alpha)
      // Simple first: `curve(_:gpus:)` returns the first, the bandwidth-optimal protocol.
      for law in laws.protocols.reversed() {
        let fraction = law.bandwidthFraction * group
        var variant = base
        variant.curve = CollectiveCostCurve(
          latencySeconds: law.launchSeconds + base.steps * law.stepSeconds + pathLatency,
          secondsPerByte: fullRate / fraction, halfSaturationBytes: law.rampBytes, algorithm: base.curve.algorithm,
          protocolName: law.name)
        variant.bandwidthFraction = fraction
        result.append(variant)
      }
    }
    return result
  }
}

import Analytic
import Foundation
import PlanCore

/// One GPU type of a fleet question: its fully resolved plan request and why its cluster was
/// chosen.
public struct FleetMember: Sendable {
  public var request: PlanRequest
  public var clusterNote: String

  public init(request: PlanRequest, clusterNote: String) {
    self.request = request
    self.clusterNote = clusterNote
  }
}

/// A question asked of several GPU types at once (`recommend --gpu a,b,c`, `--gpu all`), with
/// optionally a growth range of rates (`--rate 5..50`).
public struct FleetQuestion: Sendable {
  /// One member per GPU type, in the order asked.
  public var members: [FleetMember]
  public var objective: PlanObjective
  /// Rates of the growth curve, ascending; empty: no growth curve.
  public var growthRates: [Double]
  /// Batch caps (max_num_seqs) the Pareto frontier is drawn over.
  public var paretoBatchCaps: [Int]

  public static let defaultBatchCaps = [8, 16, 32, 64, 128, 256, 512]

  public init(
    members: [FleetMember], objective: PlanObjective, growthRates: [Double] = [],
    paretoBatchCaps: [Int] = FleetQuestion.defaultBatchCaps
  ) {
    self.members = members
    self.objective = objective
    self.growthRates = growthRates
    self.paretoBatchCaps = paretoBatchCaps
  }

  /// The GPU names a `--gpu` list asks for: comma-separated names or paths, or `all` (every
  /// catalog GPU, by name); duplicates dropped, order kept.
  public static func gpuList(_ text: String, catalog: Catalog) throws -> [String] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
      throw PlannerError("--gpu \"\(text)\": give one GPU, a comma-separated list (a,b,c) or all")
    }
    var names: [String] = []
    for item in items {
      let expanded = item.lowercased() == "all" ? catalog.names(.gpu).sorted() : [item]
      for name in expanded where !names.contains(name) { names.append(name) }
    }
    return names
  }

  /// One member per GPU of `gpus`, each on a cluster of its own kind (see `chooseCluster`),
  /// with the GPU budget `gpuBudget`, else the scenario's, else the scenario cluster's GPU
  /// count, else 8.
  public static func build(
    scenario: Scenario, catalog: Catalog, gpus: [String], clusterFlag: String?, objective: PlanObjective?,
    gpuBudget: Int?, topK: Int = PlanRequest.defaultTopK, gapThreshold: Double = PlanRequest.defaultGapThreshold,
    searchSimulatedMaxRate: Bool = true, priceOverrides: [String: Double] = [:], growthRates: [Double] = []
  ) throws -> FleetQuestion {
    guard !gpus.isEmpty else { throw PlannerError("no GPU type to plan") }
    let budget =
      try gpuBudget ?? scenario.gpuBudget ?? scenario.cluster.map { try catalog.cluster($0).gpuCount }
      ?? PlanRequest.defaultGPUBudget
    var members: [FleetMember] = []
    for reference in gpus {
      let gpu = try catalog.gpu(reference)
      // One type on a scenario that names its cluster: that cluster (GPU replaced), as a
      // single-type plan would use it.
      let (cluster, note) =
        try clusterFlag == nil && gpus.count == 1 && scenario.cluster != nil
        ? (scenario.cluster, "the scenario's cluster \(scenario.cluster!)")
        : chooseCluster(gpu: gpu, scenario: scenario, clusterFlag: clusterFlag, catalog: catalog, budget: budget)
      var s = scenario
      s.gpu = reference
      s.cluster = cluster
      s.gpuBudget = budget
      let request = try PlanRequest(
        scenario: s, catalog: catalog, objective: objective, gpuBudget: budget, topK: topK,
        gapThreshold: gapThreshold, searchSimulatedMaxRate: searchSimulatedMaxRate, priceOverrides: priceOverrides)
      members.append(FleetMember(request: request, clusterNote: note))
    }
    return FleetQuestion(
      members: members, objective: members[0].request.objective, growthRates: growthRates.sorted())
  }

  /// The cluster a GPU type is planned on, and a note saying which and why:
  ///
  /// 1. `--cluster` given: that cluster for every type (its GPU replaced);
  /// 2. the scenario's cluster, when it is built of this GPU and holds the budget;
  /// 3. the smallest catalog cluster built of this GPU that holds the budget and joins its
  ///    GPUs with at least the GPU's own intra-node link bandwidth (so a PCIe test rig is not
  ///    taken for an NVLink node), ties by name;
  /// 4. otherwise nil: nodes of 8 built from the GPU's own link (`Cluster.idealNodes`).
  public static func chooseCluster(
    gpu: GPUSpec, scenario: Scenario, clusterFlag: String?, catalog: Catalog, budget: Int
  ) throws -> (cluster: String?, note: String) {
    if let clusterFlag {
      let cluster = try catalog.cluster(clusterFlag)
      let replaced = cluster.defaultGPU.flatMap { $0 == gpu.name ? nil : $0 }
      return (
        clusterFlag, "cluster \(cluster.name) as asked (--cluster)" + (replaced.map { ", its \($0) replaced" } ?? "")
      )
    }
    if let name = scenario.cluster, let cluster = try? catalog.cluster(name), cluster.defaultGPU == gpu.name,
      cluster.gpuCount >= budget
    {
      return (name, "the scenario's cluster \(cluster.name) (\(cluster.displayName))")
    }
    let own = catalog.names(.cluster).sorted().compactMap { name -> (String, Cluster)? in
      guard let cluster = try? catalog.cluster(name), cluster.defaultGPU == gpu.name, cluster.gpuCount >= budget,
        joinsWithOwnLinks(cluster, gpu: gpu)
      else { return nil }
      return (name, cluster)
    }
    if let (name, cluster) = own.min(by: { $0.1.gpuCount < $1.1.gpuCount }) {
      return (name, "catalog cluster \(cluster.name) (\(cluster.displayName))")
    }
    return (nil, builtNote(gpu: gpu, gpus: budget))
  }

  /// Every GPU of `cluster` has links adding up to at least the GPU's own intra-node link
  /// bandwidth (any cluster passes for a GPU without one).
  static func joinsWithOwnLinks(_ cluster: Cluster, gpu: GPUSpec) -> Bool {
    guard let own = gpu.intraNodeLinkBytesPerSecond else { return true }
    var total = [Double](repeating: 0, count: cluster.vertexCount)
    for link in cluster.links {
      total[link.a] += link.bytesPerSecond
      total[link.b] += link.bytesPerSecond
    }
    return (0..<cluster.gpuCount).allSatisfy { total[$0] >= 0.99 * own }
  }

  /// "built: nodes of 8 over NVLink 4 (450 GB/s per direction) behind a switch; 400 Gbit/s
  /// InfiniBand per GPU between nodes", as `Cluster.idealNodes` builds them.
  static func builtNote(gpu: GPUSpec, gpus: Int) -> String {
    let link = gpu.intraNodeLinkBytesPerSecond ?? Cluster.pcie4x16BytesPerSecond
    let linkText =
      gpu.intraNodeLinkBytesPerSecond == nil
      ? "PCIe 4.0 x16 (\(Units.formatBytesPerSecond(link)) per direction; the GPU has no NVLink) behind a PCIe switch"
      : "\(gpu.intraNodeLinkName ?? "its intra-node link") (\(Units.formatBytesPerSecond(link)) per direction) "
        + "behind a switch"
    let nodes = (gpus + 7) / 8
    let between =
      nodes > 1 ? "; \(link >= 450e9 ? 400 : 200) Gbit/s InfiniBand per GPU between the \(nodes) nodes" : ""
    return "built: nodes of 8 over \(linkText)\(between) (no catalog cluster of this GPU holds \(gpus) GPUs)"
  }
}

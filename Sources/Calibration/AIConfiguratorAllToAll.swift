import Analytic
import PlanCore

/// One measured expert-parallel all-to-all (dispatch or combine) of an EP group.
public struct ExpertAllToAllMeasurement: Sendable, Hashable {
  public var phase: ExpertAllToAllPhase
  public var mode: ExpertAllToAllMode
  /// GPUs in the group, and the nodes they span (evenly).
  public var ep: Int
  public var nodes: Int
  public var hiddenSize: Int
  public var topk: Int
  public var experts: Int
  /// Tokens each GPU dispatches.
  public var tokensPerGPU: Int
  public var seconds: Double
  public var origin: MeasurementOrigin

  /// Bytes of each GPU's message: tokens × top-k × hidden × 2 (bf16 activations), the
  /// quantity `ReplicaCostModel.expertDispatchBytesPerGPU` prices.
  public var bytesPerGPU: Double { Double(tokensPerGPU) * Double(topk) * Double(hiddenSize) * 2 }

  /// The busiest GPU's bytes: `bytesPerGPU` × the expert load imbalance of random routing at
  /// the group's tokens (`ExpertImbalance`; the collector routes tokens at random), as
  /// `ReplicaCostModel.expertExchangeSeconds` books them, so the fitted law is per busiest byte.
  public var busiestBytesPerGPU: Double {
    bytesPerGPU * ExpertImbalance.default(tokens: tokensPerGPU * ep, experts: experts, topk: topk, ep: ep)
  }

  /// "dispatch deepep_ll EP8 (1 node)", the group label used in reports and for the halves.
  public var groupLabel: String {
    "\(phase.rawValue) \(mode.rawValue) EP\(ep) (\(nodes == 1 ? "1 node" : "\(nodes) nodes"))"
  }
}

/// Reads NVIDIA AIConfigurator's `moe_a2a_perf` table (exported to CSV): columns `phase`
/// (dispatch, combine), `comm_backend` (deepep_ht, deepep_ll; the v2 kernels are skipped),
/// `ep_size`, `node_num`, `hidden_size`, `topk`, `num_experts`, `num_tokens` (per GPU) and
/// `latency`, which in this table is in MICROSECONDS (it equals the `transmit_us` column).
/// Checked against physics: a high-throughput combine of 65,536 tokens × top-8 × 7,168 × 2
/// bytes (7.5 GB per GPU, 7/8 of it leaving the GPU) takes 21,241 µs, 310 GB/s per GPU, under
/// the 450 GB/s per direction of H100 NVLink; read as milliseconds it would be 0.3 GB/s.
enum AIConfiguratorAllToAll {
  static func matches(_ table: CSVTable) -> Bool {
    table.has("phase") && table.has("ep_size") && table.has("num_tokens") && table.has("topk")
      && table.has("comm_backend") && table.has("latency")
  }

  static func read(_ table: CSVTable) throws -> MeasurementSet {
    var result = MeasurementSet()
    for row in table.rows {
      let backend = try table.string(row, "comm_backend").lowercased()
      guard let mode = ExpertAllToAllMode(rawValue: backend) else {
        result.noteSkipped(
          "moe_a2a \(backend)",
          reason: "only DeepEP's v1 kernels (deepep_ht for prefill, deepep_ll for decode) are costed")
        continue
      }
      let phaseText = try table.string(row, "phase").lowercased()
      guard let phase = ExpertAllToAllPhase(rawValue: phaseText) else {
        throw table.error(row, "phase", "must be dispatch or combine, found \(phaseText)")
      }
      let ep = try table.positiveInt(row, "ep_size")
      guard ep >= 2 else { throw table.error(row, "ep_size", "an all-to-all needs at least 2 GPUs, found \(ep)") }
      let nodes = table.has("node_num") ? try table.positiveInt(row, "node_num") : 1
      guard ep % nodes == 0 else {
        throw table.error(row, "node_num", "\(nodes) nodes do not split EP=\(ep) evenly")
      }
      let topk = try table.positiveInt(row, "topk")
      let experts = try table.positiveInt(row, "num_experts")
      guard topk <= experts else {
        throw table.error(row, "topk", "top-\(topk) exceeds the \(experts) experts of the row")
      }
      let microseconds = try table.double(row, "latency")
      guard microseconds > 0, microseconds.isFinite else {
        throw table.error(row, "latency", "a time must be positive, found \(microseconds) µs")
      }
      result.expertAllToAll.append(
        ExpertAllToAllMeasurement(
          phase: phase, mode: mode, ep: ep, nodes: nodes, hiddenSize: try table.positiveInt(row, "hidden_size"),
          topk: topk, experts: experts, tokensPerGPU: try table.positiveInt(row, "num_tokens"),
          seconds: microseconds * 1e-6, origin: MeasurementOrigin(file: table.file, line: row.line)))
    }
    return result
  }
}

/// Fits and applies `ExpertAllToAllLaw` to measured all-to-alls on a cluster.
public struct ExpertAllToAllTiming: Sendable {
  public let comm: CommModel

  public init(comm: CommModel) { self.comm = comm }

  public init(cluster: Cluster, gpu: GPUSpec) { comm = CommModel(cluster: cluster, efficiency: gpu.efficiency) }

  /// The measured group on the cluster: `ep / nodes` consecutive GPUs of each of the first
  /// `nodes` nodes.
  public func groupGPUs(_ m: ExpertAllToAllMeasurement) throws -> [Int] {
    let cluster = comm.cluster
    let perNode = m.ep / m.nodes
    var result: [Int] = []
    for node in 0..<m.nodes {
      let members = (0..<cluster.gpuCount).filter { cluster.nodeOfGPU[$0] == node }
      guard members.count >= perNode else {
        throw CommError(
          "cluster \(cluster.name) has no \(m.nodes) nodes of \(perNode) GPUs for \(m.groupLabel) (\(m.origin.file):\(m.origin.line))"
        )
      }
      result += members.prefix(perNode)
    }
    return result
  }

  /// The regressor of `m`: its message's time on the cluster graph (`ExpertAllToAllCurve.graphSeconds`).
  public func graphSeconds(_ m: ExpertAllToAllMeasurement) throws -> Double {
    try comm.expertAllToAll(gpus: groupGPUs(m)).graphSeconds(bytesPerGPU: m.busiestBytesPerGPU)
  }

  public func seconds(_ m: ExpertAllToAllMeasurement, law: ExpertAllToAllLaw) throws -> Double {
    let curve = try comm.expertAllToAll(gpus: groupGPUs(m), law: law)
    return curve.seconds(m.phase, mode: m.mode, bytesPerGPU: m.busiestBytesPerGPU)
  }

  /// Reweighting rounds of the robust fit (converged to < 0.1 % on the H100 data by 20).
  static let robustIterations = 30

  /// Least absolute relative error, one (latency, graph-time factor) pair per (phase, mode)
  /// present in `measurements`; terms without data keep `start`'s. Throws when a pair's fit is
  /// not physical (negative latency or factor).
  public func fit(
    _ measurements: [ExpertAllToAllMeasurement], start: ExpertAllToAllLaw = .deepEPH100
  ) throws
    -> ExpertAllToAllLaw
  {
    var law = start
    for phase in ExpertAllToAllPhase.allCases {
      for mode in ExpertAllToAllMode.allCases {
        let points = measurements.filter { $0.phase == phase && $0.mode == mode }
        guard points.count >= 2 else { continue }
        let design = try points.map { [1, try graphSeconds($0)] }
        let measured = points.map(\.seconds)
        let fixed = [Double](repeating: 0, count: points.count)
        // Least absolute relative deviation by iteratively reweighted least squares (weights
        // 1/|r|): the small low-latency rows scatter by 2–3× from run to run (46–134 µs for the
        // same shape), and squared errors would let those outliers set the latency.
        var weights = [Double](repeating: 1, count: points.count)
        var coefficients: [Double] = []
        for _ in 0..<Self.robustIterations {
          guard
            let outcome = try RelativeLeastSquares.solve(
              design: design, fixed: fixed, measured: measured, weights: weights, active: [0, 1]),
            outcome.rank == 2
          else { throw CommError("\(phase.rawValue) \(mode.rawValue): the all-to-all fit is rank-deficient") }
          coefficients = outcome.coefficients
          for i in points.indices {
            let residual = (coefficients[0] + coefficients[1] * design[i][1] - measured[i]) / measured[i]
            weights[i] = 1 / max(abs(residual), 1e-3)
          }
        }
        let (latency, factor) = (coefficients[0], coefficients[1])
        guard latency >= 0, factor > 0 else {
          throw CommError(
            "\(phase.rawValue) \(mode.rawValue): fitted latency \(latency) s and graph-time factor \(factor) are not physical"
          )
        }
        law.setTerm(phase, mode, ExpertAllToAllTerm(latencySeconds: latency, graphTimeFactor: factor))
      }
    }
    return law
  }

  /// Interleaved halves per group label after sorting by message size (as
  /// `MeasurementSet.interleavedHalves` does for collectives).
  public static func interleavedHalves(
    _ measurements: [ExpertAllToAllMeasurement]
  ) -> (
    fit: [ExpertAllToAllMeasurement], holdout: [ExpertAllToAllMeasurement]
  ) {
    var fit: [ExpertAllToAllMeasurement] = []
    var holdout: [ExpertAllToAllMeasurement] = []
    let groups = Dictionary(grouping: measurements.indices) { measurements[$0].groupLabel }
    for key in groups.keys.sorted() {
      let sorted = groups[key]!.sorted { a, b in
        let (ba, bb) = (measurements[a].bytesPerGPU, measurements[b].bytesPerGPU)
        return ba != bb ? ba < bb : a < b
      }
      for (position, index) in sorted.enumerated() {
        if position % 2 == 0 { fit.append(measurements[index]) } else { holdout.append(measurements[index]) }
      }
    }
    return (fit, holdout)
  }
}

extension AccuracyReport {
  /// The expert-parallel all-to-all rows: one `moe_all_to_all` collective row and one per
  /// (phase, mode, group), timed with the shipped law (`ExpertAllToAllLaw.deepEPH100`) on `cluster`.
  static func expertAllToAllRows(
    _ measurements: [ExpertAllToAllMeasurement], gpu: GPUSpec, cluster: Cluster?,
    noteUntimed: (String, String) -> Void
  ) -> [AccuracyRow] {
    guard !measurements.isEmpty else { return [] }
    guard let cluster else {
      for m in measurements { noteUntimed(m.groupLabel, "no cluster given (pass --cluster)") }
      return []
    }
    let timing = ExpertAllToAllTiming(cluster: cluster, gpu: gpu)
    var all: ([Double], [Double]) = ([], [])
    var groups: [String: ([Double], [Double])] = [:]
    for m in measurements {
      do {
        let predicted = try timing.seconds(m, law: .deepEPH100)
        all.0.append(predicted)
        all.1.append(m.seconds)
        groups[m.groupLabel, default: ([], [])].0.append(predicted)
        groups[m.groupLabel]!.1.append(m.seconds)
      } catch {
        noteUntimed(m.groupLabel, "\(error)")
      }
    }
    var rows: [AccuracyRow] = []
    if let stats = ErrorStatistics(predicted: all.0, measured: all.1) {
      rows.append(AccuracyRow(kind: .collective, name: "moe_all_to_all", measuredNames: ["moe_a2a"], statistics: stats))
    }
    for name in groups.keys.sorted() {
      if let stats = ErrorStatistics(predicted: groups[name]!.0, measured: groups[name]!.1) {
        rows.append(AccuracyRow(kind: .collectiveGroup, name: name, measuredNames: [], statistics: stats))
      }
    }
    return rows
  }
}

import Analytic
import Foundation
import PlanCore

/// The fit of a GPU's collective protocol laws (`CollectiveProtocols`) to measured timings.
public struct CollectiveProtocolFit: Sendable {
  /// The fitted laws (the prior's where the data said nothing).
  public var protocols: CollectiveProtocols
  /// NCCL all-reduce and send/recv timings the protocol laws were fitted on; custom all-reduce timings.
  public var ncclPoints: Int
  public var customPoints: Int
  /// Levenberg–Marquardt iterations of the NCCL fit.
  public var rounds: Int
  /// What was held, clamped or left at the prior, in words.
  public var notes: [String]
}

/// Fits NCCL's per-protocol laws on NCCL all-reduce (and send/recv) timings and the custom
/// all-reduce law on custom timings: bounded Levenberg–Marquardt (`BoundedLevenbergMarquardt`, LAPACK solves) on
/// the log of predicted / measured time, so a 5 µs and a 5 ms point count alike, each group
/// (collective × shape) with the same total weight.
///
/// NCCL: time is the minimum over algorithm × protocol of
/// `launch_p + steps·step_p + path + s₁·v_n·u_p·(bytes + ramp_p)` with `u_p = 1/η_p ≥ 1` and
/// `v_n = 1/g_n ≥ 1` per group size (the topology gives steps, path and s₁ per algorithm).
/// Two starts (the prior; NCCL's ordering with a Simple ramp), the lower cost wins. Send/recv
/// timings, when given, take part with their own shape factors ("p2p", "p2p_inter_node").
/// Only the products η_p·g_n are determined; the bounds (η_p ≤ 1, g ≤ 1, times and ramps ≥ 0)
/// keep every product physical, no protocol faster than the links. Other collectives
/// (all-gather, reduce-scatter, all-to-all) are not fitted: they are predicted with the
/// all-reduce's laws.
///
/// Custom all-reduce: the kernel that ran is known per point (vLLM's rule), the law has eight
/// parameters (launch, u, ramp of each shot; eager overhead and copy rate), bounded the same way.
struct CollectiveProtocolCalibration {
  let timing: CollectiveTiming
  let prior: EfficiencyProfile

  /// One algorithm's geometry for one group: path latency, steps, seconds per byte at full rate.
  struct Geometry {
    var path: Double
    var steps: Double
    var fullRate: Double
  }

  func run(_ measurements: [CollectiveMeasurement]) throws -> CollectiveProtocolFit? {
    let nccl = measurements.filter {
      ($0.collective == .allReduce || $0.collective == .sendRecv) && $0.implementation == .nccl
    }
    let custom = measurements.filter { $0.implementation.isCustom }
    guard !nccl.isEmpty || !custom.isEmpty else { return nil }
    var laws =
      prior.collectiveProtocols ?? CollectiveProtocols.ncclDefaults(bandwidthMax: prior.collectiveBandwidthMax)
    var notes: [String] = []
    var rounds = 0
    if !nccl.isEmpty {
      rounds = try fitNCCL(nccl, laws: &laws, notes: &notes)
    }
    // All-to-all: only its shape factor, with the protocol laws held (NCCL runs it as grouped
    // send/recv; the per-call costs are those the all-reduce and send/recv timings fixed).
    let allToAll = measurements.filter { $0.collective == .allToAll && $0.implementation == .nccl && $0.nodes == 1 }
    if !allToAll.isEmpty {
      _ = try fitNCCL(allToAll, laws: &laws, notes: &notes, holdLaws: true)
    }
    if !custom.isEmpty {
      try fitCustom(custom, laws: &laws, notes: &notes)
    }
    return CollectiveProtocolFit(
      protocols: laws, ncclPoints: nccl.count, customPoints: custom.count, rounds: rounds, notes: notes)
  }

  /// A profile whose single protocol has the given step latency and otherwise unit laws: its
  /// curves expose the topology's path latency, steps and full-rate seconds per byte.
  func unitProfile(step: Double) -> EfficiencyProfile {
    var unit = prior
    unit.collectiveStepSeconds = 0
    unit.collectiveBandwidthMax = 1
    unit.collectiveHalfSaturationBytes = 0
    unit.collectiveProtocols = CollectiveProtocols(
      protocols: [
        CollectiveProtocolLaw(name: "unit", launchSeconds: 0, stepSeconds: step, bandwidthFraction: 1, rampBytes: 0)
      ],
      customAllReduce: CustomAllReduceLaw(
        oneShotLaunchSeconds: 0, oneShotBandwidthFraction: 1, oneShotRampBytes: 0, twoShotLaunchSeconds: 0,
        twoShotBandwidthFraction: 1, twoShotRampBytes: 0, eagerSeconds: 0, eagerCopyBytesPerSecond: .infinity))
    return unit
  }

  func geometries(_ m: CollectiveMeasurement) throws -> [Geometry] {
    let gpus = try timing.gpus(for: m)
    let zero = try CommModel(cluster: timing.cluster, efficiency: unitProfile(step: 0)).envelope(
      m.collective, gpus: gpus)
    let one = try CommModel(cluster: timing.cluster, efficiency: unitProfile(step: 1)).envelope(
      m.collective, gpus: gpus)
    return zip(zero.curves, one.curves).map { a, b in
      Geometry(
        path: a.latencySeconds, steps: (b.latencySeconds - a.latencySeconds).rounded(), fullRate: a.secondsPerByte)
    }
  }

  func fitNCCL(
    _ points: [CollectiveMeasurement], laws: inout CollectiveProtocols, notes: inout [String], holdLaws: Bool = false
  ) throws -> Int {
    let geometry = try points.map(geometries)
    let groups = points.map {
      CollectiveProtocols.groupKey(
        pointToPoint: $0.collective == .sendRecv, spansNodes: $0.nodes > 1, gpus: $0.gpus,
        allToAll: $0.collective == .allToAll)
    }
    let sizes = Set(groups).sorted()
    let p = laws.protocols.count
    // x: per protocol (launch µs, step µs, u = 1/η, ramp MB), then v = 1/g per group size.
    let slot = Dictionary(uniqueKeysWithValues: sizes.enumerated().map { ($1, 4 * p + $0) })
    func model(_ x: [Double], _ i: Int) -> Double {
      let v = x[slot[groups[i]]!]
      var best = Double.infinity
      for g in geometry[i] {
        for q in 0..<p {
          let t =
            x[4 * q] * 1e-6 + g.steps * x[4 * q + 1] * 1e-6 + g.path
            + g.fullRate * v * x[4 * q + 2] * (points[i].bytes + x[4 * q + 3] * 1e6)
          best = min(best, t)
        }
      }
      return best
    }
    // Every group (collective × shape) weighs the same, however many points it has: 994
    // send/recv timings must not drown 21 all-reduce ones.
    var counts: [String: Int] = [:]
    for (i, m) in points.enumerated() { counts["\(m.collective.rawValue)|\(groups[i])", default: 0] += 1 }
    let weights = points.indices.map { i in
      (1 / Double(counts["\(points[i].collective.rawValue)|\(groups[i])"]!)).squareRoot()
    }
    func residuals(_ x: [Double]) -> [Double] {
      points.indices.map { weights[$0] * Foundation.log(model(x, $0) / points[$0].seconds) }
    }
    var solver = BoundedLevenbergMarquardt(
      lower: [Double](repeating: 0, count: 4 * p).enumerated().map { $0.offset % 4 == 2 ? 1 : 0 }
        + [Double](repeating: 1, count: sizes.count),
      upper: (0..<p).flatMap { _ in [1000.0, 100, 1000, 1000] } + [Double](repeating: 100, count: sizes.count))
    // Starts: the prior, and NCCL's ordering (LL lowest latency, Simple most bandwidth) with a
    // channel-fill ramp for Simple. The lower cost wins.
    let prior =
      laws.protocols.flatMap {
        [$0.launchSeconds * 1e6, $0.stepSeconds * 1e6, 1 / $0.bandwidthFraction, $0.rampBytes / 1e6]
      } + sizes.map { 1 / laws.groupFactor($0) }
    var starts = [prior]
    if holdLaws {
      // Equal bounds hold the protocol laws at the prior's values; only the factors move.
      for index in 0..<(4 * p) {
        solver.lower[index] = prior[index]
        solver.upper[index] = prior[index]
      }
    } else if p == 3 {
      starts.append([4, 0.5, 2.5, 0, 10, 1.5, 1.2, 0, 10, 0.5, 1, 10] + sizes.map { _ in 1 })
    }
    var best: BoundedLevenbergMarquardt.Outcome?
    for start in starts {
      let outcome = try solver.run(start: start, residuals: residuals)
      if best == nil || outcome.cost < best!.cost { best = outcome }
    }
    let x = best!.parameters
    var wins = Set<Int>()
    for i in points.indices {
      let v = x[slot[groups[i]]!]
      var bestTime = Double.infinity
      var winner = 0
      for g in geometry[i] {
        for q in 0..<p {
          let t =
            x[4 * q] * 1e-6 + g.steps * x[4 * q + 1] * 1e-6 + g.path
            + g.fullRate * v * x[4 * q + 2] * (points[i].bytes + x[4 * q + 3] * 1e6)
          if t < bestTime {
            bestTime = t
            winner = q
          }
        }
      }
      wins.insert(winner)
    }
    for q in 0..<p {
      laws.protocols[q].launchSeconds = x[4 * q] * 1e-6
      laws.protocols[q].stepSeconds = x[4 * q + 1] * 1e-6
      laws.protocols[q].bandwidthFraction = 1 / x[4 * q + 2]
      laws.protocols[q].rampBytes = x[4 * q + 3] * 1e6
      if !wins.contains(q) && !holdLaws {
        notes.append("\(laws.protocols[q].name): never the fastest on these timings, so not determined by them")
      }
    }
    for size in sizes { laws.groupBandwidthFactors[size] = 1 / x[slot[size]!] }
    return best!.iterations
  }

  func fitCustom(_ points: [CollectiveMeasurement], laws: inout CollectiveProtocols, notes: inout [String]) throws {
    let unit = CommModel(cluster: timing.cluster, efficiency: unitProfile(step: 0))
    // Per point: which shot ran (vLLM's rule) and its seconds per byte at full NVLink rate.
    var shots: [(oneShot: Bool, perByte: Double, eager: Bool)] = []
    for m in points {
      let gpus = try timing.gpus(for: m)
      let policy = CollectiveTiming.measuredPolicy(gpus: m.gpus)
      if let refusal = unit.customAllReduceRefusal(gpus: gpus, policy: policy) {
        throw TimingError("custom all-reduce timings cannot be fitted: \(refusal)")
      }
      let curve = try unit.allReduceCurve(gpus: gpus, policy: policy, cudaGraphs: true).curve(bytes: m.bytes)
      shots.append((curve.algorithm == "one_shot", curve.secondsPerByte, m.implementation == .customEager))
    }
    // x: one-shot (launch µs, u, ramp MB), two-shot (launch µs, u, ramp MB), eager (µs, ms per GB).
    func model(_ x: [Double], _ i: Int) -> Double {
      let shot = shots[i]
      let base = shot.oneShot ? 0 : 3
      var t = x[base] * 1e-6 + shot.perByte * x[base + 1] * (points[i].bytes + x[base + 2] * 1e6)
      if shot.eager { t += x[6] * 1e-6 + x[7] * 1e-3 * points[i].bytes / 1e9 }
      return t
    }
    let solver = BoundedLevenbergMarquardt(
      lower: [0, 1, 0, 0, 1, 0, 0, 0], upper: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000])
    var starts: [[Double]] = [[4, 1.5, 0, 8, 1.3, 1, 15, 0.5]]
    if let prior = laws.customAllReduce {
      starts.insert(
        [
          prior.oneShotLaunchSeconds * 1e6, 1 / prior.oneShotBandwidthFraction, prior.oneShotRampBytes / 1e6,
          prior.twoShotLaunchSeconds * 1e6, 1 / prior.twoShotBandwidthFraction, prior.twoShotRampBytes / 1e6,
          prior.eagerSeconds * 1e6, 1e12 / prior.eagerCopyBytesPerSecond,
        ], at: 0)
    }
    var best: BoundedLevenbergMarquardt.Outcome?
    for start in starts {
      let outcome = try solver.run(start: start) { x in
        points.indices.map { Foundation.log(model(x, $0) / points[$0].seconds) }
      }
      if best == nil || outcome.cost < best!.cost { best = outcome }
    }
    let x = best!.parameters
    if !shots.contains(where: \.eager) {
      notes.append("custom all-reduce: no eager timings; eager terms not determined")
    }
    laws.customAllReduce = CustomAllReduceLaw(
      oneShotLaunchSeconds: x[0] * 1e-6, oneShotBandwidthFraction: 1 / x[1], oneShotRampBytes: x[2] * 1e6,
      twoShotLaunchSeconds: x[3] * 1e-6, twoShotBandwidthFraction: 1 / x[4], twoShotRampBytes: x[5] * 1e6,
      eagerSeconds: x[6] * 1e-6, eagerCopyBytesPerSecond: x[7] > 0 ? 1e12 / x[7] : 1e15)
  }
}

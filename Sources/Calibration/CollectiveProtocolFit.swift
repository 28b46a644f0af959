import Analytic
import PlanCore

/// The fit of a GPU's collective protocol laws (`CollectiveProtocols`) to measured timings.
public struct CollectiveProtocolFit: Sendable {
  /// The fitted laws (the prior's where the data said nothing).
  public var protocols: CollectiveProtocols
  /// NCCL all-reduce timings the protocol laws were fitted on; custom all-reduce timings.
  public var ncclPoints: Int
  public var customPoints: Int
  /// Alternation rounds (protocol assignment, then linear solves) until nothing changed.
  public var rounds: Int
  /// What was held, clamped or left at the prior, in words.
  public var notes: [String]
}

/// Fits NCCL's per-protocol laws on NCCL all-reduce timings and the custom all-reduce law on
/// custom timings, by relative least squares (LAPACK).
///
/// NCCL: time is the minimum over algorithm × protocol of
/// `launch_p + steps·step_p + path + s₁·v_n·(bytes·u_p + ρ_p)` with `u_p = 1/η_p`,
/// `ρ_p = ramp_p·u_p` and `v_n = 1/g_n` per group size. Given which curve wins each point and
/// the group factors, that is linear in (launch, step, u, ρ) of every protocol; given those, each
/// v_n has a closed form. We alternate until the winners stop changing (at most
/// `maximumRounds`), then rescale so that the fastest group has g = 1 (only the products η_p·g_n
/// are determined) and clamp what left the physical region (negative times and ramps to 0,
/// η_p·g_n to at most 1), saying so in `notes`. Other collectives (all-gather,
/// reduce-scatter, all-to-all) are not fitted: they are predicted with the all-reduce's laws.
///
/// Custom all-reduce: the kernel is known per point (vLLM's rule), so one linear solve for
/// (launch, u, ρ) of each shot and the eager overhead and copy rate.
struct CollectiveProtocolCalibration {
  let timing: CollectiveTiming
  let prior: EfficiencyProfile
  static let maximumRounds = 40

  /// One algorithm's geometry for one group: path latency, steps, seconds per byte at full rate.
  struct Geometry {
    var path: Double
    var steps: Double
    var fullRate: Double
  }

  func run(_ measurements: [CollectiveMeasurement]) throws -> CollectiveProtocolFit? {
    let nccl = measurements.filter { $0.collective == .allReduce && $0.implementation == .nccl }
    let custom = measurements.filter { $0.implementation.isCustom }
    guard !nccl.isEmpty || !custom.isEmpty else { return nil }
    var laws =
      prior.collectiveProtocols ?? CollectiveProtocols.ncclDefaults(bandwidthMax: prior.collectiveBandwidthMax)
    var notes: [String] = []
    var rounds = 0
    if !nccl.isEmpty {
      rounds = try fitNCCL(nccl, laws: &laws, notes: &notes)
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
    let zero = try CommModel(cluster: timing.cluster, efficiency: unitProfile(step: 0)).envelope(m.collective, gpus: gpus)
    let one = try CommModel(cluster: timing.cluster, efficiency: unitProfile(step: 1)).envelope(m.collective, gpus: gpus)
    return zip(zero.curves, one.curves).map { a, b in
      Geometry(path: a.latencySeconds, steps: (b.latencySeconds - a.latencySeconds).rounded(), fullRate: a.secondsPerByte)
    }
  }

  func fitNCCL(_ points: [CollectiveMeasurement], laws: inout CollectiveProtocols, notes: inout [String]) throws -> Int {
    let geometry = try points.map(geometries)
    let groups = points.map { $0.nodes == 1 ? $0.gpus : 0 }  // 0: spans nodes, g = 1
    let sizes = Set(groups.filter { $0 > 0 }).sorted()
    let p = laws.protocols.count
    // θ per protocol: (launch, step, u, ρ); v per group size.
    var theta = laws.protocols.map { [$0.launchSeconds, $0.stepSeconds, 1 / $0.bandwidthFraction, $0.rampBytes / $0.bandwidthFraction] }
    var v: [Int: Double] = [:]
    for size in sizes { v[size] = 1 / laws.groupFactor(gpusInOneNode: size) }
    func factor(_ i: Int) -> Double { groups[i] == 0 ? 1 : v[groups[i]]! }
    func time(_ i: Int, _ k: Int, _ q: Int) -> Double {
      let g = geometry[i][k]
      let t = theta[q]
      return t[0] + g.steps * t[1] + g.path + g.fullRate * factor(i) * (points[i].bytes * t[2] + t[3])
    }
    func winners() -> [(Int, Int)] {
      points.indices.map { i in
        var best = (0, 0)
        var bestTime = Double.infinity
        for k in geometry[i].indices {
          for q in 0..<p where time(i, k, q) < bestTime {
            bestTime = time(i, k, q)
            best = (k, q)
          }
        }
        return best
      }
    }
    var assignment = winners()
    var rounds = 0
    while rounds < Self.maximumRounds {
      rounds += 1
      // Protocol laws, group factors held.
      var design = [[Double]](repeating: [Double](repeating: 0, count: 4 * p), count: points.count)
      var fixed = [Double](repeating: 0, count: points.count)
      var used = Set<Int>()
      for (i, (k, q)) in assignment.enumerated() {
        let g = geometry[i][k]
        design[i][4 * q] = 1
        design[i][4 * q + 1] = g.steps
        design[i][4 * q + 2] = g.fullRate * factor(i) * points[i].bytes
        design[i][4 * q + 3] = g.fullRate * factor(i)
        fixed[i] = g.path
        used.insert(q)
      }
      // A column the data cannot separate (steps constant within a protocol's points) is held.
      var active: [Int] = []
      for q in used.sorted() {
        let rows = assignment.indices.filter { assignment[$0].1 == q }
        for column in 0..<4 {
          let values = Set(rows.map { design[$0][4 * q + column] })
          if column == 1 && values.count < 2 { continue }
          if rows.count >= 4 || column == 0 || column == 2 { active.append(4 * q + column) }
        }
      }
      for i in points.indices {
        // Held columns go into the fixed part.
        for column in 0..<(4 * p) where !active.contains(column) && design[i][column] != 0 {
          fixed[i] += design[i][column] * theta[column / 4][column % 4]
          design[i][column] = 0
        }
      }
      if let outcome = try RelativeLeastSquares.solve(
        design: design, fixed: fixed, measured: points.map(\.seconds), active: active),
        outcome.coefficients.count == active.count
      {
        for (column, value) in zip(active, outcome.coefficients) {
          theta[column / 4][column % 4] = value
        }
      }
      for q in 0..<p {
        theta[q][0] = max(theta[q][0], 0)
        theta[q][1] = max(theta[q][1], 0)
        theta[q][2] = max(theta[q][2], 1e-3)
        theta[q][3] = max(theta[q][3], 0)
      }
      // Group factors, protocol laws held: v_n in closed form (relative least squares).
      for size in sizes {
        var numerator = 0.0
        var denominator = 0.0
        for (i, (k, q)) in assignment.enumerated() where groups[i] == size {
          let g = geometry[i][k]
          let t = points[i].seconds
          let c = theta[q][0] + g.steps * theta[q][1] + g.path
          let d = g.fullRate * (points[i].bytes * theta[q][2] + theta[q][3])
          numerator += (d / t) * ((t - c) / t)
          denominator += (d / t) * (d / t)
        }
        if denominator > 0, numerator > 0 { v[size] = numerator / denominator }
      }
      let next = winners()
      if next.elementsEqual(assignment, by: { $0 == $1 }) { break }
      assignment = next
    }
    // Only η_p·g_n is determined: the fastest group gets g = 1.
    if let fastest = v.values.min(), fastest > 0 {
      for size in sizes { v[size]! /= fastest }
      for q in 0..<p {
        theta[q][2] *= fastest
        theta[q][3] *= fastest
      }
    }
    for q in 0..<p {
      let fraction = 1 / theta[q][2]
      if fraction > 1 {
        notes.append(
          "\(laws.protocols[q].name): fitted bandwidth fraction \(fraction) > 1 (faster than the links) held at 1")
      }
      let held = min(fraction, 1)
      laws.protocols[q].launchSeconds = theta[q][0]
      laws.protocols[q].stepSeconds = theta[q][1]
      laws.protocols[q].bandwidthFraction = held
      laws.protocols[q].rampBytes = theta[q][3] / theta[q][2]
      if !assignment.contains(where: { $0.1 == q }) {
        notes.append("\(laws.protocols[q].name): never the fastest on these timings; its law is the prior's")
      }
    }
    var factors: [Int: Double] = [:]
    for size in sizes { factors[size] = min(1, 1 / v[size]!) }
    laws.groupBandwidthFactors = factors
    return rounds
  }

  func fitCustom(_ points: [CollectiveMeasurement], laws: inout CollectiveProtocols, notes: inout [String]) throws {
    let unit = CommModel(cluster: timing.cluster, efficiency: unitProfile(step: 0))
    // Columns: one-shot (launch, u, ρ), two-shot (launch, u, ρ), eager (overhead, seconds per byte).
    var design: [[Double]] = []
    var usedShots = Set<Int>()
    var eager = false
    for m in points {
      let gpus = try timing.gpus(for: m)
      let policy = CollectiveTiming.measuredPolicy(gpus: m.gpus)
      if let refusal = unit.customAllReduceRefusal(gpus: gpus, policy: policy) {
        throw TimingError("custom all-reduce timings cannot be fitted: \(refusal)")
      }
      let curve = try unit.allReduceCurve(gpus: gpus, policy: policy, cudaGraphs: true).curve(bytes: m.bytes)
      let shot = curve.algorithm == "one_shot" ? 0 : 1
      usedShots.insert(shot)
      var row = [Double](repeating: 0, count: 8)
      row[3 * shot] = 1
      row[3 * shot + 1] = curve.secondsPerByte * m.bytes
      row[3 * shot + 2] = curve.secondsPerByte
      if m.implementation == .customEager {
        row[6] = 1
        row[7] = m.bytes
        eager = true
      }
      design.append(row)
    }
    var active: [Int] = []
    for shot in usedShots.sorted() { active += [3 * shot, 3 * shot + 1, 3 * shot + 2] }
    if eager { active += [6, 7] }
    guard
      let outcome = try RelativeLeastSquares.solve(
        design: design, fixed: [Double](repeating: 0, count: points.count), measured: points.map(\.seconds),
        active: active), outcome.coefficients.count == active.count
    else {
      notes.append("custom all-reduce: too few timings to fit; the prior's law is kept")
      return
    }
    var x = [Double](repeating: 0, count: 8)
    let start = laws.customAllReduce
    if let start {
      x = [
        start.oneShotLaunchSeconds, 1 / start.oneShotBandwidthFraction,
        start.oneShotRampBytes / start.oneShotBandwidthFraction, start.twoShotLaunchSeconds,
        1 / start.twoShotBandwidthFraction, start.twoShotRampBytes / start.twoShotBandwidthFraction,
        start.eagerSeconds, 1 / start.eagerCopyBytesPerSecond,
      ]
    } else {
      x = [0, 1, 0, 0, 1, 0, 0, 0]
    }
    for (column, value) in zip(active, outcome.coefficients) { x[column] = value }
    for index in [0, 2, 3, 5, 6, 7] where x[index] < 0 {
      notes.append("custom all-reduce: a negative fitted term (parameter \(index)) held at 0")
      x[index] = 0
    }
    for index in [1, 4] where x[index] < 1 {
      notes.append("custom all-reduce: fitted bandwidth fraction \(1 / x[index]) > 1 held at 1")
      x[index] = 1
    }
    laws.customAllReduce = CustomAllReduceLaw(
      oneShotLaunchSeconds: x[0], oneShotBandwidthFraction: 1 / x[1], oneShotRampBytes: x[2] / x[1],
      twoShotLaunchSeconds: x[3], twoShotBandwidthFraction: 1 / x[4], twoShotRampBytes: x[5] / x[4],
      eagerSeconds: x[6], eagerCopyBytesPerSecond: x[7] > 0 ? 1 / x[7] : (start?.eagerCopyBytesPerSecond ?? 1e12))
  }
}

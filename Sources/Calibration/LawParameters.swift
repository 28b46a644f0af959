import PlanCore

/// The compute and memory laws of an `EfficiencyProfile` written so that an operator's time is
/// linear in them (see `EfficiencyProfile`): with `u = 1 / max` and `r = half / max`,
///
///     compute seconds = (FLOPs · u_c + (padded − FLOPs) · w + r_c) / peak FLOP/s
///     memory seconds  = (bytes · u_m − min(bytes, L2/2) · d + r_m) / bandwidth
///
/// `u` is the inverse of the large-kernel efficiency, `r` a fixed "ramp" of work every kernel
/// pays (FLOPs or bytes at peak rate). `w = β · u_c` prices the idle tiles of a GEMM's last
/// wave (`EfficiencyProfile.waveQuantization` β; `padded` counts full waves), and
/// `d = (1 − κ) · u_m` is what a streaming kernel saves on each byte served from L2
/// (`EfficiencyProfile.l2ByteCost` κ). A kernel's time is the larger of the two plus its
/// launch, so within one roofline region it is linear in (u_c, r_c, u_m, r_m, w, d); fitting
/// solves a linear least-squares problem per region assignment and re-assigns until nothing
/// changes. β = 0 is `w = 0` and κ = 1 is `d = 0`, so "not in use" is a plain value to hold.
public struct OperatorLaw: Sendable, Hashable {
  public var inverseComputeMax: Double
  public var computeRampFLOPs: Double
  public var inverseMemoryMax: Double
  public var memoryRampBytes: Double
  /// `w = β · u_c`.
  public var waveWeight: Double
  /// `d = (1 − κ) · u_m`.
  public var l2Saving: Double

  public init(
    inverseComputeMax: Double, computeRampFLOPs: Double, inverseMemoryMax: Double, memoryRampBytes: Double,
    waveWeight: Double = 0, l2Saving: Double = 0
  ) {
    self.inverseComputeMax = inverseComputeMax
    self.computeRampFLOPs = computeRampFLOPs
    self.inverseMemoryMax = inverseMemoryMax
    self.memoryRampBytes = memoryRampBytes
    self.waveWeight = waveWeight
    self.l2Saving = l2Saving
  }

  /// The law of `profile` (its global fields).
  public init(_ profile: EfficiencyProfile) {
    inverseComputeMax = 1 / profile.computeMax
    computeRampFLOPs = profile.computeHalfSaturationFLOPs / profile.computeMax
    inverseMemoryMax = 1 / profile.memoryMax
    memoryRampBytes = profile.memoryHalfSaturationBytes / profile.memoryMax
    waveWeight = profile.waveQuantization / profile.computeMax
    l2Saving = (1 - profile.l2ByteCost) / profile.memoryMax
  }

  static let names = [
    "inverse compute max", "compute ramp (FLOPs)", "inverse memory max", "memory ramp (bytes)", "wave weight",
    "L2 saving",
  ]
  /// Number of parameters (the length of `vector`).
  static let count = 6

  /// (u_c, r_c, u_m, r_m, w, d) in this order.
  public var vector: [Double] {
    [inverseComputeMax, computeRampFLOPs, inverseMemoryMax, memoryRampBytes, waveWeight, l2Saving]
  }

  init(vector v: [Double]) {
    self.init(
      inverseComputeMax: v[0], computeRampFLOPs: v[1], inverseMemoryMax: v[2], memoryRampBytes: v[3],
      waveWeight: v[4], l2Saving: v[5])
  }

  public var computeMax: Double { 1 / inverseComputeMax }
  public var computeHalfSaturationFLOPs: Double { computeRampFLOPs / inverseComputeMax }
  public var memoryMax: Double { 1 / inverseMemoryMax }
  public var memoryHalfSaturationBytes: Double { memoryRampBytes / inverseMemoryMax }
  /// β: the share of a GEMM's idle last-wave tiles that costs time.
  public var waveQuantization: Double { waveWeight / inverseComputeMax }
  /// κ: the cost of an L2-resident byte relative to an HBM byte.
  public var l2ByteCost: Double { 1 - l2Saving / inverseMemoryMax }

  /// Seconds of the compute ramp at `peak` FLOP/s and of the memory ramp at `bandwidth`.
  public func rampSeconds(
    peakFLOPSPerSecond peak: Double, bandwidthBytesPerSecond bandwidth: Double
  ) -> (compute: Double, memory: Double) {
    (computeRampFLOPs / peak, memoryRampBytes / bandwidth)
  }

  /// True when the values can be put into a profile (positive inverse efficiencies; ramps may be
  /// any sign while fitting, the profile's loader would refuse negative ones).
  var isUsable: Bool {
    inverseComputeMax > 0 && inverseMemoryMax > 0 && inverseComputeMax.isFinite && inverseMemoryMax.isFinite
      && computeRampFLOPs.isFinite && memoryRampBytes.isFinite && waveWeight.isFinite && l2Saving.isFinite
  }

  /// `base` with this law as its global compute and memory law and `launch` as its kernel launch.
  func applied(to base: EfficiencyProfile, launchSeconds launch: Double) -> EfficiencyProfile {
    var profile = base
    profile.computeMax = computeMax
    profile.computeHalfSaturationFLOPs = computeHalfSaturationFLOPs
    profile.memoryMax = memoryMax
    profile.memoryHalfSaturationBytes = memoryHalfSaturationBytes
    profile.waveQuantization = waveQuantization
    profile.l2ByteCost = l2ByteCost
    profile.kernelLaunchSeconds = launch
    profile.operators = [:]
    return profile
  }

  /// This law as a per-operator override of the laws the data determined (`fitted` flags for
  /// u_c, r_c, u_m, r_m, w, d); the rest is inherited from the profile's global law. β and κ are
  /// written with the law they scale, so that the override reproduces the fitted times.
  func override(fitted: [Bool]) -> OperatorEfficiency {
    let compute = fitted[0] || fitted[1] || fitted[4]
    let memory = fitted[2] || fitted[3] || fitted[5]
    return OperatorEfficiency(
      computeMax: compute ? computeMax : nil, computeHalfSaturationFLOPs: compute ? computeHalfSaturationFLOPs : nil,
      memoryMax: memory ? memoryMax : nil, memoryHalfSaturationBytes: memory ? memoryHalfSaturationBytes : nil,
      waveQuantization: compute && fitted[4] ? waveQuantization : nil,
      l2ByteCost: memory && fitted[5] ? l2ByteCost : nil)
  }
}

/// The collective law of an `EfficiencyProfile` in linear form: for a collective whose curve
/// at full efficiency has `steps` latency steps and `secondsPerByte` (`s₁`),
///
///     seconds = link latency + steps · stepSeconds + s₁ · (bytes · u + r)
///
/// with `u = 1 / collectiveBandwidthMax` and `r = collectiveHalfSaturationBytes · u`.
public struct CollectiveLaw: Sendable, Hashable {
  public var stepSeconds: Double
  public var inverseBandwidthMax: Double
  public var rampBytes: Double

  public init(stepSeconds: Double, inverseBandwidthMax: Double, rampBytes: Double) {
    self.stepSeconds = stepSeconds
    self.inverseBandwidthMax = inverseBandwidthMax
    self.rampBytes = rampBytes
  }

  public init(_ profile: EfficiencyProfile) {
    stepSeconds = profile.collectiveStepSeconds
    inverseBandwidthMax = 1 / profile.collectiveBandwidthMax
    rampBytes = profile.collectiveHalfSaturationBytes / profile.collectiveBandwidthMax
  }

  static let names = ["step latency (s)", "inverse bandwidth max", "ramp (bytes)"]
  /// (step seconds, u, r) in this order.
  public var vector: [Double] { [stepSeconds, inverseBandwidthMax, rampBytes] }
  init(vector v: [Double]) { self.init(stepSeconds: v[0], inverseBandwidthMax: v[1], rampBytes: v[2]) }

  public var bandwidthMax: Double { 1 / inverseBandwidthMax }
  public var halfSaturationBytes: Double { rampBytes / inverseBandwidthMax }

  var isUsable: Bool {
    inverseBandwidthMax > 0 && inverseBandwidthMax.isFinite && stepSeconds.isFinite && rampBytes.isFinite
  }

  func applied(to base: EfficiencyProfile) -> EfficiencyProfile {
    var profile = base
    profile.collectiveStepSeconds = stepSeconds
    profile.collectiveBandwidthMax = bandwidthMax
    profile.collectiveHalfSaturationBytes = halfSaturationBytes
    return profile
  }
}

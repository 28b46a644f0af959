import PlanCore

/// The cost of a tensor-parallel all-reduce under an engine's `AllReducePolicy`: the engine's
/// custom kernel (one-shot or two-shot) for messages and groups within its limits, NCCL (the
/// envelope over algorithms × protocols) otherwise. O(curves) per call, no allocation.
public struct AllReduceCostCurve: Sendable, Hashable {
  /// NCCL's envelope for the group.
  public var nccl: CollectiveCostEnvelope
  /// The custom kernel's curves; nil when the policy, the group or the GPU's laws rule it out.
  public var oneShot: CollectiveCostCurve?
  public var twoShot: CollectiveCostCurve?
  /// Messages up to this size use one-shot, up to `customMaxBytes` two-shot, larger NCCL.
  public var oneShotMaxBytes: Double
  public var customMaxBytes: Double

  public init(
    nccl: CollectiveCostEnvelope, oneShot: CollectiveCostCurve? = nil, twoShot: CollectiveCostCurve? = nil,
    oneShotMaxBytes: Double = 0, customMaxBytes: Double = 0
  ) {
    self.nccl = nccl
    self.oneShot = oneShot
    self.twoShot = twoShot
    self.oneShotMaxBytes = oneShotMaxBytes
    self.customMaxBytes = customMaxBytes
  }

  /// A single GPU: nothing to reduce.
  public static let free = AllReduceCostCurve(nccl: CollectiveCostEnvelope(curves: [.free]))

  /// True when the custom kernel is available for some message size.
  public var customAvailable: Bool { oneShot != nil && twoShot != nil && customMaxBytes > 0 }

  /// The curve that runs a message of `bytes`.
  @inline(__always)
  public func curve(bytes: Double) -> CollectiveCostCurve {
    if let oneShot, let twoShot, bytes <= customMaxBytes {
      return bytes <= oneShotMaxBytes ? oneShot : twoShot
    }
    return nccl.best(bytes: bytes)
  }

  @inline(__always)
  public func seconds(bytes: Double) -> Double { curve(bytes: bytes).seconds(bytes: bytes) }
}

extension CustomAllReduceLaw {
  /// vLLM's own choice between its kernels (`csrc/custom_all_reduce.cuh`, `allreduce`): two
  /// GPUs always one-shot; up to 4 GPUs one-shot below 512 KiB; up to 8 below 256 KiB;
  /// two-shot otherwise. The largest message it takes is 8 MiB by default
  /// (`CustomAllreduce(max_size=8192 * 1024)`). This is what the measured kernels chose.
  public static func vllmOneShotMaxBytes(gpus: Int) -> Double {
    if gpus <= 2 { return .infinity }
    return gpus <= 4 ? 512 * 1024 - 1 : 256 * 1024 - 1
  }
}

extension CommModel {
  /// The all-reduce of `gpus` under `policy`: custom one-shot/two-shot inside one NVLink node
  /// when the policy enables it, the group has at most `customMaxGPUs` GPUs, every member has
  /// an NVLink link and the GPU's laws describe the kernel (`CollectiveProtocols.customAllReduce`);
  /// NCCL otherwise and for messages above `customMaxBytes`. `cudaGraphs` false adds the eager
  /// call's host overhead and buffer copy.
  public func allReduceCurve(
    gpus: [Int], policy: AllReducePolicy = .nccl, cudaGraphs: Bool = true
  ) throws
    -> AllReduceCostCurve
  {
    guard gpus.count > 1 else {
      try validate(gpus, .allReduce)
      return .free
    }
    // Under protocol laws NCCL's choice among algorithm × protocol; under the single α–β law
    // (GPU files without `collective_protocols`) the ring, as before protocol laws existed.
    let nccl =
      efficiency.collectiveProtocols == nil
      ? CollectiveCostEnvelope(curves: [try curve(.allReduce, gpus: gpus)]) : try envelope(.allReduce, gpus: gpus)
    guard let (oneShot, twoShot) = customCurves(gpus: gpus, policy: policy, cudaGraphs: cudaGraphs) else {
      return AllReduceCostCurve(nccl: nccl)
    }
    return AllReduceCostCurve(
      nccl: nccl, oneShot: oneShot, twoShot: twoShot, oneShotMaxBytes: policy.oneShotMaxBytes,
      customMaxBytes: policy.customMaxBytes)
  }

  /// Why the custom kernel cannot run on `gpus` under `policy`, or nil when it can.
  public func customAllReduceRefusal(gpus: [Int], policy: AllReducePolicy) -> String? {
    guard policy.customEnabled, policy.customMaxBytes > 0 else { return "the engine's policy is NCCL" }
    guard gpus.count <= policy.customMaxGPUs else {
      return "\(gpus.count) GPUs exceed the custom kernel's \(policy.customMaxGPUs)"
    }
    guard efficiency.collectiveProtocols?.customAllReduce != nil else {
      return "the GPU's collective laws do not describe a custom all-reduce"
    }
    guard let first = gpus.first else { return "empty group" }
    let node = cluster.nodeOfGPU[first]
    guard gpus.allSatisfy({ cluster.nodeOfGPU[$0] == node }) else { return "the group spans nodes" }
    guard gpus.allSatisfy({ nvlinkBytesPerSecond(gpu: $0) > 0 }) else { return "a GPU of the group has no NVLink" }
    return nil
  }

  /// The one-shot and two-shot curves, or nil when the kernel cannot run (see the refusal).
  func customCurves(
    gpus: [Int], policy: AllReducePolicy, cudaGraphs: Bool
  ) -> (
    CollectiveCostCurve, CollectiveCostCurve
  )? {
    guard customAllReduceRefusal(gpus: gpus, policy: policy) == nil,
      let law = efficiency.collectiveProtocols?.customAllReduce
    else { return nil }
    let n = Double(gpus.count)
    let link = gpus.map { nvlinkBytesPerSecond(gpu: $0) }.min() ?? 0
    func curve(_ name: String, launch: Double, fraction: Double, ramp: Double, load: Double) -> CollectiveCostCurve {
      var latency = launch
      var perByte = load / (fraction * link)
      var rampBytes = ramp
      if !cudaGraphs {
        // Eager: host launch path plus the copy into the registered buffer (per message byte).
        latency += law.eagerSeconds
        let copy = 1 / law.eagerCopyBytesPerSecond
        rampBytes = ramp * perByte / (perByte + copy)
        perByte += copy
      }
      return CollectiveCostCurve(
        latencySeconds: latency, secondsPerByte: perByte, halfSaturationBytes: rampBytes, algorithm: name,
        protocolName: cudaGraphs ? "graph" : "eager")
    }
    // One-shot: each GPU reads the whole message from each of the n−1 peers.
    let oneShot = curve(
      "one_shot", launch: law.oneShotLaunchSeconds, fraction: law.oneShotBandwidthFraction,
      ramp: law.oneShotRampBytes, load: n - 1)
    // Two-shot: reduce-scatter then all-gather through peer memory, 2(n−1)/n of the message.
    let twoShot = curve(
      "two_shot", launch: law.twoShotLaunchSeconds, fraction: law.twoShotBandwidthFraction,
      ramp: law.twoShotRampBytes, load: 2 * (n - 1) / n)
    return (oneShot, twoShot)
  }

  /// Total NVLink bandwidth per direction at a GPU: the sum of its links whose kind names
  /// NVLink (0 when it has none).
  func nvlinkBytesPerSecond(gpu: Int) -> Double {
    var total = 0.0
    for index in adjacency[gpu] {
      let link = cluster.links[index]
      if link.kind.lowercased().contains("nvlink") { total += link.bytesPerSecond }
    }
    return total
  }
}

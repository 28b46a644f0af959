/// How a GPU's collectives behave beyond the topology: NCCL's three protocols, per-group-size
/// bandwidth, and the serving engines' custom all-reduce inside an NVLink node.
///
/// NCCL moves each collective with one of three protocols and picks, per call, the one its
/// tuner predicts fastest (NVIDIA/nccl `src/graph/tuning.cc`, `ncclTopoTuneModel` and
/// `ncclTopoGetAlgoTime`: time = latency + bytes / bandwidth per algorithm × protocol, the
/// minimum wins):
/// - **LL** (low latency): 8-byte stores carrying 4 bytes of data and a 4-byte flag, so a step
///   needs no separate synchronisation but only half of each store is payload; the tuner books
///   ¼ of the bus bandwidth for a ring all-reduce and 0.47 µs per ring step over NVLink.
/// - **LL128**: 128-byte lines with 8 bytes of flag (120/128 payload); the tuner books 0.92 of
///   the bus bandwidth and 1.9 µs per ring step over NVLink.
/// - **Simple**: plain copies with a memory fence and a flag per chunk: full bandwidth, the
///   highest latency (8.4 µs base, 3.4 µs per ring step over NVLink).
///
/// Our law per protocol p, for an algorithm with `steps` sequential steps whose busiest link
/// moves `s₁` seconds per message byte at full link rate (from the topology, `CommModel`):
///
///     seconds = launch_p + steps · (step_p + path latency) + s₁ · (bytes + ramp_p) / (η_p · g)
///
/// where η_p is the protocol's fraction of link bandwidth, `ramp_p` the bytes a message must
/// exceed before the protocol fills its channels (NCCL lowers the channel count for small
/// messages, `threadThresholds` in the same file), and g the group factor below. The fastest
/// protocol at each size wins, so time is a minimum of affine laws: continuous, concave and
/// non-decreasing in size.
public struct CollectiveProtocolLaw: Sendable, Hashable, Codable {
  /// "LL", "LL128" or "Simple".
  public var name: String
  /// Fixed cost of one call (NCCL's base latency), seconds.
  public var launchSeconds: Double
  /// Cost of one algorithm step on top of the links' own latency, seconds.
  public var stepSeconds: Double
  /// Fraction of the bottleneck link's bandwidth the protocol reaches, in (0, 1].
  public var bandwidthFraction: Double
  /// Bytes added to every message: what the protocol pays before its channels are full.
  public var rampBytes: Double

  public init(name: String, launchSeconds: Double, stepSeconds: Double, bandwidthFraction: Double, rampBytes: Double) {
    self.name = name
    self.launchSeconds = launchSeconds
    self.stepSeconds = stepSeconds
    self.bandwidthFraction = bandwidthFraction
    self.rampBytes = rampBytes
  }
}

/// vLLM's (and SGLang's) custom all-reduce inside one NVLink node (vLLM
/// `csrc/custom_all_reduce.cuh`): every rank maps its peers' buffers (CUDA IPC) and
/// - **one-shot** (`cross_device_reduce_1stage`): each rank reads the whole message from every
///   peer and reduces locally — (n−1)·bytes cross each GPU's link, one barrier;
/// - **two-shot** (`cross_device_reduce_2stage`): each rank reduces 1/n of the message from
///   every peer (reduce-scatter), then gathers the other reduced shards — 2(n−1)/n·bytes per
///   GPU, two barriers.
///
/// Law: `seconds = launch + load · (bytes + ramp) / (η · link bandwidth)`, per shot. Outside a
/// captured CUDA graph (eager mode) vLLM first copies the input into its registered IPC buffer
/// and launches from the host: `+ eagerSeconds + bytes / eagerCopyBytesPerSecond`.
public struct CustomAllReduceLaw: Sendable, Hashable, Codable {
  public var oneShotLaunchSeconds: Double
  public var oneShotBandwidthFraction: Double
  public var oneShotRampBytes: Double
  public var twoShotLaunchSeconds: Double
  public var twoShotBandwidthFraction: Double
  public var twoShotRampBytes: Double
  /// Extra host-side cost of an eager (not graph-captured) call, seconds.
  public var eagerSeconds: Double
  /// Rate of the eager call's copy into the registered buffer, bytes per second of message.
  public var eagerCopyBytesPerSecond: Double

  public init(
    oneShotLaunchSeconds: Double, oneShotBandwidthFraction: Double, oneShotRampBytes: Double,
    twoShotLaunchSeconds: Double, twoShotBandwidthFraction: Double, twoShotRampBytes: Double, eagerSeconds: Double,
    eagerCopyBytesPerSecond: Double
  ) {
    self.oneShotLaunchSeconds = oneShotLaunchSeconds
    self.oneShotBandwidthFraction = oneShotBandwidthFraction
    self.oneShotRampBytes = oneShotRampBytes
    self.twoShotLaunchSeconds = twoShotLaunchSeconds
    self.twoShotBandwidthFraction = twoShotBandwidthFraction
    self.twoShotRampBytes = twoShotRampBytes
    self.eagerSeconds = eagerSeconds
    self.eagerCopyBytesPerSecond = eagerCopyBytesPerSecond
  }
}

/// A GPU's collective laws (the `collective_protocols` block of its `efficiency`).
public struct CollectiveProtocols: Sendable, Hashable, Codable {
  /// NCCL's protocols, each a law; never empty.
  public var protocols: [CollectiveProtocolLaw]
  /// Bandwidth factor g by group shape (`groupKey`): the number of GPUs of a collective inside
  /// one node ("2", "4", "8": measured NCCL plateaus differ by group size on the same NVSwitch,
  /// H100: 2 GPUs reach ~0.64 of the link, 8 GPUs ~0.97), "inter_node" for collectives spanning
  /// nodes, "p2p" and "p2p_inter_node" for send/recv inside a node and between nodes (NCCL runs
  /// point-to-point on its own channels), "alltoall" for all-to-all inside a node. Shapes
  /// without an entry use 1.
  public var groupBandwidthFactors: [String: Double]
  /// The engines' custom all-reduce; nil = not described (custom policies then fall back to NCCL).
  public var customAllReduce: CustomAllReduceLaw?

  public init(
    protocols: [CollectiveProtocolLaw], groupBandwidthFactors: [String: Double] = [:],
    customAllReduce: CustomAllReduceLaw? = nil
  ) {
    self.protocols = protocols
    self.groupBandwidthFactors = groupBandwidthFactors
    self.customAllReduce = customAllReduce
  }

  /// g of a group shape (see `groupKey`); 1 when the file gives none.
  @inline(__always)
  public func groupFactor(_ key: String) -> Double { groupBandwidthFactors[key] ?? 1 }

  /// The shape key of a group: "p2p" / "p2p_inter_node" for send/recv, "inter_node" for other
  /// collectives spanning nodes, "alltoall" for an all-to-all inside a node (NCCL runs it as
  /// grouped send/recv to every peer at once), else the group's GPU count ("8").
  public static func groupKey(pointToPoint: Bool, spansNodes: Bool, gpus: Int, allToAll: Bool = false) -> String {
    if pointToPoint { return spansNodes ? "p2p_inter_node" : "p2p" }
    if spansNodes { return "inter_node" }
    return allToAll ? "alltoall" : String(gpus)
  }

  /// The shape keys a file may use besides group sizes.
  public static let namedGroupKeys: Set<String> = ["p2p", "p2p_inter_node", "inter_node", "alltoall"]

  /// The protocol names in the order they are written and costed.
  public static let protocolNames = ["LL", "LL128", "Simple"]

  /// Defaults for a GPU without collective measurements, from NCCL's tuner constants for a
  /// ring over NVLink (NVIDIA/nccl `src/graph/tuning.cc`: `baseLat` ring LL/LL128/Simple 3.6 /
  /// 10.0 / 8.4 µs; `hwLat` NVLink ring 0.47 / 1.9 / 3.4 µs per step; bus bandwidth × ¼ for LL
  /// all-reduce, × 0.92 for LL128), scaled by the GPU's own large-message efficiency
  /// `bandwidthMax` (Simple reaches it). The per-step latency of the wire (the cluster's link
  /// latencies, ≈ 0.5 µs GPU to GPU over NVLink) is taken out of `hwLat`, since the topology adds it.
  public static func ncclDefaults(bandwidthMax: Double) -> CollectiveProtocols {
    CollectiveProtocols(protocols: [
      CollectiveProtocolLaw(
        name: "LL", launchSeconds: 3.6e-6, stepSeconds: 0, bandwidthFraction: bandwidthMax / 4, rampBytes: 0),
      CollectiveProtocolLaw(
        name: "LL128", launchSeconds: 10e-6, stepSeconds: 1.4e-6, bandwidthFraction: bandwidthMax * 0.92,
        rampBytes: 0),
      CollectiveProtocolLaw(
        name: "Simple", launchSeconds: 8.4e-6, stepSeconds: 2.9e-6, bandwidthFraction: bandwidthMax, rampBytes: 0),
    ])
  }
}

extension CollectiveProtocols {
  static let keys: Set<String> = ["LL", "LL128", "Simple", "group_bandwidth", "custom_all_reduce", "source", "note"]
  static let protocolKeys: Set<String> = ["launch", "step_latency", "bandwidth_fraction", "ramp", "note"]
  static let customKeys: Set<String> = [
    "one_shot_launch", "one_shot_bandwidth_fraction", "one_shot_ramp", "two_shot_launch",
    "two_shot_bandwidth_fraction", "two_shot_ramp", "eager_overhead", "eager_copy_bandwidth", "source", "note",
  ]

  /// Reads a `collective_protocols` block: `LL`, `LL128` and `Simple` (each `launch`,
  /// `step_latency`, `bandwidth_fraction`, `ramp`), optional `group_bandwidth` ({"2": 0.7, …})
  /// and optional `custom_all_reduce`.
  public static func load(from reader: FieldReader) throws -> CollectiveProtocols {
    try reader.rejectUnknown(allowed: keys)
    var laws: [CollectiveProtocolLaw] = []
    for name in protocolNames {
      let entry = try reader.object(name)
      try entry.rejectUnknown(allowed: protocolKeys)
      laws.append(
        CollectiveProtocolLaw(
          name: name, launchSeconds: try entry.quantity("launch", Plausibility.overheadTime),
          stepSeconds: try entry.quantity("step_latency", Plausibility.overheadTime),
          bandwidthFraction: try entry.quantity("bandwidth_fraction", Plausibility.efficiency),
          rampBytes: try entry.quantity("ramp", Plausibility.halfSaturationBytes)))
    }
    var factors: [String: Double] = [:]
    if let groups = try reader.optionalObject("group_bandwidth") {
      for key in groups.object.keys.sorted() {
        let isSize = Int(key).map { Plausibility.nodeGPUs.contains($0) && $0 >= 2 } ?? false
        guard isSize || namedGroupKeys.contains(key) else {
          throw groups.error(
            key,
            "must be a group size in GPUs (2 to \(Plausibility.nodeGPUs.upper)), e.g. \"8\", or one of "
              + namedGroupKeys.sorted().joined(separator: ", "))
        }
        factors[key] = try groups.quantity(key, Plausibility.efficiency)
      }
    }
    var custom: CustomAllReduceLaw?
    if let block = try reader.optionalObject("custom_all_reduce") {
      try block.rejectUnknown(allowed: customKeys)
      custom = CustomAllReduceLaw(
        oneShotLaunchSeconds: try block.quantity("one_shot_launch", Plausibility.overheadTime),
        oneShotBandwidthFraction: try block.quantity("one_shot_bandwidth_fraction", Plausibility.efficiency),
        oneShotRampBytes: try block.quantity("one_shot_ramp", Plausibility.halfSaturationBytes),
        twoShotLaunchSeconds: try block.quantity("two_shot_launch", Plausibility.overheadTime),
        twoShotBandwidthFraction: try block.quantity("two_shot_bandwidth_fraction", Plausibility.efficiency),
        twoShotRampBytes: try block.quantity("two_shot_ramp", Plausibility.halfSaturationBytes),
        eagerSeconds: try block.quantity("eager_overhead", Plausibility.overheadTime),
        eagerCopyBytesPerSecond: try block.quantity("eager_copy_bandwidth", Plausibility.memoryBandwidth))
    }
    return CollectiveProtocols(protocols: laws, groupBandwidthFactors: factors, customAllReduce: custom)
  }

  /// The block as written in a GPU file (SI numbers with units), for `calibrate --out`.
  public var jsonObject: [String: Any] {
    var object: [String: Any] = [:]
    for law in protocols {
      object[law.name] = [
        "launch": "\(law.launchSeconds) s", "step_latency": "\(law.stepSeconds) s",
        "bandwidth_fraction": law.bandwidthFraction, "ramp": "\(law.rampBytes) B",
      ]
    }
    if !groupBandwidthFactors.isEmpty {
      var groups: [String: Any] = [:]
      for (key, factor) in groupBandwidthFactors { groups[key] = factor }
      object["group_bandwidth"] = groups
    }
    if let custom = customAllReduce {
      object["custom_all_reduce"] = [
        "one_shot_launch": "\(custom.oneShotLaunchSeconds) s",
        "one_shot_bandwidth_fraction": custom.oneShotBandwidthFraction,
        "one_shot_ramp": "\(custom.oneShotRampBytes) B",
        "two_shot_launch": "\(custom.twoShotLaunchSeconds) s",
        "two_shot_bandwidth_fraction": custom.twoShotBandwidthFraction,
        "two_shot_ramp": "\(custom.twoShotRampBytes) B",
        "eager_overhead": "\(custom.eagerSeconds) s",
        "eager_copy_bandwidth": "\(custom.eagerCopyBytesPerSecond) B/s",
      ]
    }
    return object
  }
}

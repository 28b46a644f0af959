import Analytic
import PlanCore

/// Where a measurement came from, for messages and reports.
public struct MeasurementOrigin: Sendable, Hashable {
  public var file: String
  public var line: Int
  public init(file: String, line: Int) {
    self.file = file
    self.line = line
  }
  public var description: String { "\(file):\(line)" }
}

/// The batch an operator timing was taken on.
public enum MeasuredBatch: Sendable, Hashable {
  /// One sequence processing `tokens` new tokens with `cached` tokens already in its KV cache
  /// (a plain prefill has `cached` 0). Profilers that time one layer's operators at a token
  /// count (`num_tokens`) fit here: the GEMMs see `tokens` rows.
  case prefill(tokens: Int, cached: Int)
  /// `sequences` sequences decoding one token each, each with `context` tokens cached.
  case decode(sequences: Int, context: Int)

  /// The batch shape the cost model takes.
  public var shape: BatchShape {
    switch self {
    case .prefill(let tokens, let cached):
      var shape = BatchShape()
      shape.addPrefill(tokens: tokens, cached: cached)
      return shape
    case .decode(let sequences, let context):
      return BatchShape.decode(batch: sequences, context: context)
    }
  }

  /// Tokens through the GEMMs.
  public var tokens: Int {
    switch self {
    case .prefill(let tokens, _): return tokens
    case .decode(let sequences, _): return sequences
    }
  }
}

/// One measured operator time on one GPU of a tensor-parallel group.
public struct OperatorMeasurement: Sendable, Hashable {
  /// The cost model's operator name (`qkv_proj`, `input_norm`, …).
  public var operatorName: String
  /// The name the file used (`attn_pre_proj` in profiler files), for reports.
  public var measuredName: String
  /// Which share of the cost model's operator the timing covers: 1 for the whole operator,
  /// ½ for one of the two residual adds a layer runs (the model books both as `residual_add`).
  public var shareOfOperator: Double
  /// The model whose layer was timed (only its dimensions matter).
  public var model: ModelSpec
  public var tensorParallel: Int
  public var batch: MeasuredBatch
  public var seconds: Double
  public var origin: MeasurementOrigin

  public init(
    operatorName: String, measuredName: String, shareOfOperator: Double = 1, model: ModelSpec, tensorParallel: Int,
    batch: MeasuredBatch, seconds: Double, origin: MeasurementOrigin
  ) {
    self.operatorName = operatorName
    self.measuredName = measuredName
    self.shareOfOperator = shareOfOperator
    self.model = model
    self.tensorParallel = tensorParallel
    self.batch = batch
    self.seconds = seconds
    self.origin = origin
  }
}

/// One measured collective time.
public struct CollectiveMeasurement: Sendable, Hashable {
  public var collective: Collective
  /// GPUs taking part (2 for send/recv).
  public var gpus: Int
  /// GPUs of the group on each node: `gpus` when the group fits in one node, fewer when it spans
  /// nodes (1 for a send/recv between two nodes).
  public var gpusPerNode: Int
  /// Message size: the buffer each GPU holds (all-reduce, all-gather output) or sends (send/recv).
  public var bytes: Double
  public var seconds: Double
  public var origin: MeasurementOrigin
  /// NCCL, or the engine's custom all-reduce (graph-captured or eager).
  public var implementation: CollectiveImplementation = .nccl

  public init(
    collective: Collective, gpus: Int, gpusPerNode: Int, bytes: Double, seconds: Double, origin: MeasurementOrigin
  ) {
    self.collective = collective
    self.gpus = gpus
    self.gpusPerNode = gpusPerNode
    self.bytes = bytes
    self.seconds = seconds
    self.origin = origin
  }

  /// Nodes the group spans.
  public var nodes: Int { (gpus + gpusPerNode - 1) / gpusPerNode }
  /// "all_reduce 8 GPUs (1 node)", the group label used in reports.
  public var groupLabel: String {
    let nodeText = nodes == 1 ? "1 node" : "\(nodes) nodes"
    let kernel = implementation == .nccl ? "" : ", \(implementation.rawValue)"
    return "\(collective.rawValue) \(gpus) GPUs (\(nodeText)\(kernel))"
  }
}

/// Measurements read from one or more files, plus the timings that could not be used and why.
public struct MeasurementSet: Sendable {
  public var operators: [OperatorMeasurement] = []
  public var collectives: [CollectiveMeasurement] = []
  /// Bare kernel calls (GEMMs, attention), see `KernelMeasurement`.
  public var kernels: [KernelMeasurement] = []
  /// Expert-parallel dispatch/combine all-to-alls (`AIConfiguratorAllToAll`).
  public var expertAllToAll: [ExpertAllToAllMeasurement] = []
  /// Measured quantities the model has no counterpart for, with a count and the reason
  /// (e.g. `attn_rope`: the cost model books rotary inside `attention`).
  public var skipped: [SkippedMeasurements] = []

  public init(
    operators: [OperatorMeasurement] = [], collectives: [CollectiveMeasurement] = [],
    skipped: [SkippedMeasurements] = []
  ) {
    self.operators = operators
    self.collectives = collectives
    self.skipped = skipped
  }

  public var isEmpty: Bool { operators.isEmpty && collectives.isEmpty && kernels.isEmpty && expertAllToAll.isEmpty }

  public mutating func append(_ other: MeasurementSet) {
    operators += other.operators
    collectives += other.collectives
    kernels += other.kernels
    expertAllToAll += other.expertAllToAll
    for entry in other.skipped { noteSkipped(entry.name, count: entry.count, reason: entry.reason) }
  }

  mutating func noteSkipped(_ name: String, count: Int = 1, reason: String) {
    if let index = skipped.firstIndex(where: { $0.name == name && $0.reason == reason }) {
      skipped[index].count += count
    } else {
      skipped.append(SkippedMeasurements(name: name, count: count, reason: reason))
    }
  }

  /// Splits every group (operator × TP, collective × group) into two interleaved halves after
  /// sorting by size, so both halves cover the same range: `fit` gets the 1st, 3rd, 5th … point,
  /// `holdout` the 2nd, 4th … Deterministic: no random numbers.
  public func interleavedHalves() -> (fit: MeasurementSet, holdout: MeasurementSet) {
    var fit = MeasurementSet(skipped: skipped)
    var holdout = MeasurementSet(skipped: skipped)
    let operatorGroups = Dictionary(grouping: operators.indices) { index -> String in
      let m = operators[index]
      return "\(m.measuredName)|\(m.model.name)|\(m.tensorParallel)"
    }
    for key in operatorGroups.keys.sorted() {
      let sorted = operatorGroups[key]!.sorted { a, b in
        let (ta, tb) = (operators[a].batch.tokens, operators[b].batch.tokens)
        return ta != tb ? ta < tb : a < b
      }
      for (position, index) in sorted.enumerated() {
        if position % 2 == 0 {
          fit.operators.append(operators[index])
        } else {
          holdout.operators.append(operators[index])
        }
      }
    }
    let collectiveGroups = Dictionary(grouping: collectives.indices) { collectives[$0].groupLabel }
    for key in collectiveGroups.keys.sorted() {
      let sorted = collectiveGroups[key]!.sorted { a, b in
        let (ba, bb) = (collectives[a].bytes, collectives[b].bytes)
        return ba != bb ? ba < bb : a < b
      }
      for (position, index) in sorted.enumerated() {
        if position % 2 == 0 {
          fit.collectives.append(collectives[index])
        } else {
          holdout.collectives.append(collectives[index])
        }
      }
    }
    let kernelHalves = interleavedKernelHalves()
    fit.kernels = kernelHalves.fit
    holdout.kernels = kernelHalves.holdout
    (fit.expertAllToAll, holdout.expertAllToAll) = ExpertAllToAllTiming.interleavedHalves(expertAllToAll)
    return (fit, holdout)
  }
}

/// Timings in a file that LLMPlan's model has no counterpart for.
public struct SkippedMeasurements: Sendable, Hashable, Codable {
  public var name: String
  public var count: Int
  public var reason: String
}

// MARK: Bare kernels

/// The work of one bare kernel call a measurement timed (not a whole-layer operator).
public enum KernelWork: Sendable, Hashable {
  /// One GEMM m × n × k in its input dtype.
  case gemm(GEMMShape)
  /// One attention call (prefill or decode) with the heads on the GPU.
  case attention(AttentionCall)
  /// One fused MoE expert call on one GPU (AIConfigurator's moe table).
  case moe(ExpertCall)
}

/// One measured bare-kernel time (AIConfigurator's gemm and attention tables).
public struct KernelMeasurement: Sendable, Hashable {
  public var work: KernelWork
  /// The regime it belongs to, for per-regime accuracy: "prefill short" (< 512 tokens per
  /// sequence), "prefill long", "decode small batch" (≤ 8 sequences), "decode large batch",
  /// "gemm bf16", "gemm fp8".
  public var regime: String
  public var seconds: Double
  public var origin: MeasurementOrigin

  public init(work: KernelWork, regime: String, seconds: Double, origin: MeasurementOrigin) {
    self.work = work
    self.regime = regime
    self.seconds = seconds
    self.origin = origin
  }

  /// The size that orders a group for the interleaved split: FLOPs, or bytes for decode.
  var size: Double {
    switch work {
    case .gemm(let shape): return shape.flops
    case .attention(let call): return call.phase == .prefill ? call.flops : call.kvBytes
    case .moe(let call): return call.rows
    }
  }

  /// The group a point is split within: regime and shape family (heads, head dim, KV dtype; GEMM n × k).
  var splitGroup: String {
    switch work {
    case .gemm(let shape): return "\(regime)|\(shape.n)|\(shape.k)"
    case .attention(let c): return "\(regime)|\(c.queryHeads)|\(c.kvHeads)|\(c.headDim)|\(c.kvElementBytes)"
    case .moe(let c): return "\(regime)|\(c.hidden)|\(c.columns)"
    }
  }
}

extension MeasurementSet {
  /// Splits `kernels` like `interleavedHalves` splits operators: per group, sorted by size,
  /// alternate points to the fit and the held-out half.
  func interleavedKernelHalves() -> (fit: [KernelMeasurement], holdout: [KernelMeasurement]) {
    var fit: [KernelMeasurement] = []
    var holdout: [KernelMeasurement] = []
    let groups = Dictionary(grouping: kernels.indices) { kernels[$0].splitGroup }
    for key in groups.keys.sorted() {
      let sorted = groups[key]!.sorted { a, b in
        let (sa, sb) = (kernels[a].size, kernels[b].size)
        return sa != sb ? sa < sb : a < b
      }
      for (position, index) in sorted.enumerated() {
        if position % 2 == 0 { fit.append(kernels[index]) } else { holdout.append(kernels[index]) }
      }
    }
    return (fit, holdout)
  }
}

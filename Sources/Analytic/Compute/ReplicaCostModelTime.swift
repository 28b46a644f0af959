/// The parts a latency is made of.
public enum TimeComponent: String, Sendable, Codable, CaseIterable {
  /// Kernels whose FLOPs outlast their memory traffic (large GEMMs, prefill attention).
  case compute
  /// Kernels whose memory traffic outlasts their FLOPs (decode GEMMs, KV reads, norms).
  case memory
  /// Tensor-parallel collectives (all-reduces, the logits gather).
  case communication
  /// Pipeline-parallel activation transfers and the waiting pipelining adds (bubbles).
  case pipeline
  /// Per-iteration engine overhead (scheduling, sampling, Python).
  case overhead
}

/// A latency split by what it is spent on; the parts add up to `totalSeconds`.
public struct TimeBreakdown: Sendable, Hashable, Encodable {
  public var computeBoundSeconds: Double = 0
  public var memoryBoundSeconds: Double = 0
  public var communicationSeconds: Double = 0
  public var pipelineSeconds: Double = 0
  public var overheadSeconds: Double = 0

  public init() {}

  @inline(__always)
  public var totalSeconds: Double {
    computeBoundSeconds + memoryBoundSeconds + communicationSeconds + pipelineSeconds + overheadSeconds
  }

  /// The largest part (ties go to the earlier of compute, memory, communication, pipeline, overhead).
  public var dominant: TimeComponent {
    var best = TimeComponent.compute
    var bestSeconds = computeBoundSeconds
    if memoryBoundSeconds > bestSeconds { best = .memory; bestSeconds = memoryBoundSeconds }
    if communicationSeconds > bestSeconds { best = .communication; bestSeconds = communicationSeconds }
    if pipelineSeconds > bestSeconds { best = .pipeline; bestSeconds = pipelineSeconds }
    if overheadSeconds > bestSeconds { best = .overhead }
    return best
  }

  @inline(__always)
  public mutating func add(_ other: TimeBreakdown) {
    computeBoundSeconds += other.computeBoundSeconds
    memoryBoundSeconds += other.memoryBoundSeconds
    communicationSeconds += other.communicationSeconds
    pipelineSeconds += other.pipelineSeconds
    overheadSeconds += other.overheadSeconds
  }

  /// `self` · (1 − weight) + `other` · weight, part by part.
  @inline(__always)
  public func blended(with other: TimeBreakdown, weight: Double) -> TimeBreakdown {
    var result = self
    result.computeBoundSeconds += weight * (other.computeBoundSeconds - computeBoundSeconds)
    result.memoryBoundSeconds += weight * (other.memoryBoundSeconds - memoryBoundSeconds)
    result.communicationSeconds += weight * (other.communicationSeconds - communicationSeconds)
    result.pipelineSeconds += weight * (other.pipelineSeconds - pipelineSeconds)
    result.overheadSeconds += weight * (other.overheadSeconds - overheadSeconds)
    return result
  }

  enum CodingKeys: String, CodingKey {
    case computeBoundSeconds, memoryBoundSeconds, communicationSeconds, pipelineSeconds, overheadSeconds,
      totalSeconds, dominant
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(computeBoundSeconds, forKey: .computeBoundSeconds)
    try container.encode(memoryBoundSeconds, forKey: .memoryBoundSeconds)
    try container.encode(communicationSeconds, forKey: .communicationSeconds)
    try container.encode(pipelineSeconds, forKey: .pipelineSeconds)
    try container.encode(overheadSeconds, forKey: .overheadSeconds)
    try container.encode(totalSeconds, forKey: .totalSeconds)
    try container.encode(dominant, forKey: .dominant)
  }
}

/// One batch's trip through every stage of a replica.
public struct PipelinePass: Sendable, Hashable {
  /// Stage times plus transfers, in sequence: the latency of this batch alone.
  public var serialSeconds: Double = 0
  /// The busiest stage's time: with several micro-batches in flight it bounds the throughput.
  public var maxStageSeconds: Double = 0
  /// `serialSeconds` split by component (transfers under `pipelineSeconds`).
  public var breakdown = TimeBreakdown()

  public init() {}

  /// Time between successive iterations of one micro-batch when `inFlight` identical
  /// micro-batches circulate through the pipeline: each must go around once (`serialSeconds`),
  /// and the busiest stage must serve all of them (`inFlight · maxStageSeconds`).
  @inline(__always)
  public func cycleSeconds(inFlight: Int) -> Double {
    max(serialSeconds, Double(inFlight) * maxStageSeconds)
  }

  /// `breakdown` plus the waiting of a cycle with `inFlight` micro-batches (booked to pipeline).
  public func cycleBreakdown(inFlight: Int) -> TimeBreakdown {
    var result = breakdown
    result.pipelineSeconds += cycleSeconds(inFlight: inFlight) - serialSeconds
    return result
  }
}

import Foundation

/// One serving engine at one version, as LLMPlan models it (`Models/engines/<name>.json`): its
/// host time per iteration outside GPU kernels, how it runs the tensor-parallel all-reduce,
/// whether decode replays CUDA graphs, and the scheduler defaults that differ between engines.
///
/// A plain record of the file (SI units); `Analytic.EngineConfig(profile:)` turns it into the
/// settings the cost model uses. Every figure carries its source in the file.
public struct EngineProfile: Sendable, Hashable, Codable {
  /// Which engine family: decides the launch command LLMPlan writes.
  public enum Family: String, Sendable, Hashable, Codable, CaseIterable {
    case vllm, trtllm, sglang
  }

  /// Catalog name (file stem), e.g. "vllm-v0".
  public var name: String
  public var family: Family
  /// The engine versions the figures describe, as written in the file ("0.14 and later").
  public var version: String
  public var displayName: String

  // MARK: Host time per iteration outside kernels

  /// `fixed + perSequence · sequences + perToken · tokens`, seconds, for one iteration.
  public var overheadFixedSeconds: Double
  public var overheadPerSequenceSeconds: Double
  public var overheadPerTokenSeconds: Double
  /// Added when the replica's stage has more than one GPU (TP > 1): the driver's broadcast of
  /// the step's inputs to the other worker processes and the gather of their results.
  public var overheadMultiGPUFixedSeconds: Double
  public var overheadMultiGPUPerSequenceSeconds: Double
  /// Host time to launch one decoder layer's kernels one by one, when `cudaGraphs` is false
  /// (eager mode); nil when the engine replays CUDA graphs.
  public var eagerLaunchPerLayerSeconds: Double?
  public var overheadSource: String

  // MARK: Tensor-parallel all-reduce

  /// The engine's own all-reduce replaces NCCL inside an NVLink node up to the limits below.
  public var customAllReduce: Bool
  public var customAllReduceMaxBytes: Double
  public var customAllReduceMaxGPUs: Int
  /// Messages up to this size use the one-shot kernel, larger ones two-shot.
  public var oneShotMaxBytes: Double
  public var allReduceSource: String

  // MARK: CUDA graphs and defaults

  public var cudaGraphs: Bool
  public var cudaGraphsSource: String
  public var maxNumSeqs: Int
  public var maxNumBatchedTokens: Int
  public var blockSize: Int
  public var gpuMemoryUtilization: Double
  public var defaultsSource: String

  /// One line naming where the profile's figures come from (the file's `source`).
  public var source: String

  public init(
    name: String, family: Family, version: String, displayName: String? = nil,
    overheadFixedSeconds: Double, overheadPerSequenceSeconds: Double = 0, overheadPerTokenSeconds: Double = 0,
    overheadMultiGPUFixedSeconds: Double = 0, overheadMultiGPUPerSequenceSeconds: Double = 0,
    eagerLaunchPerLayerSeconds: Double? = nil, overheadSource: String = "",
    customAllReduce: Bool = false, customAllReduceMaxBytes: Double = 0, customAllReduceMaxGPUs: Int = 0,
    oneShotMaxBytes: Double = 0, allReduceSource: String = "",
    cudaGraphs: Bool = true, cudaGraphsSource: String = "",
    maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 8192, blockSize: Int = 16, gpuMemoryUtilization: Double = 0.9,
    defaultsSource: String = "", source: String = ""
  ) {
    self.name = name
    self.family = family
    self.version = version
    self.displayName = displayName ?? name
    self.overheadFixedSeconds = overheadFixedSeconds
    self.overheadPerSequenceSeconds = overheadPerSequenceSeconds
    self.overheadPerTokenSeconds = overheadPerTokenSeconds
    self.overheadMultiGPUFixedSeconds = overheadMultiGPUFixedSeconds
    self.overheadMultiGPUPerSequenceSeconds = overheadMultiGPUPerSequenceSeconds
    self.eagerLaunchPerLayerSeconds = eagerLaunchPerLayerSeconds
    self.overheadSource = overheadSource
    self.customAllReduce = customAllReduce
    self.customAllReduceMaxBytes = customAllReduceMaxBytes
    self.customAllReduceMaxGPUs = customAllReduceMaxGPUs
    self.oneShotMaxBytes = oneShotMaxBytes
    self.allReduceSource = allReduceSource
    self.cudaGraphs = cudaGraphs
    self.cudaGraphsSource = cudaGraphsSource
    self.maxNumSeqs = maxNumSeqs
    self.maxNumBatchedTokens = maxNumBatchedTokens
    self.blockSize = blockSize
    self.gpuMemoryUtilization = gpuMemoryUtilization
    self.defaultsSource = defaultsSource
    self.source = source
  }

  /// The engine profile used when none is named.
  public static let defaultName = "vllm"

  /// Host seconds of one iteration over `sequences` sequences carrying `tokens` new tokens on a
  /// stage of `gpus` GPUs (the law the analytic model and the simulator book).
  public func overheadSeconds(sequences: Int, tokens: Int, gpus: Int) -> Double {
    var seconds =
      overheadFixedSeconds + overheadPerSequenceSeconds * Double(sequences) + overheadPerTokenSeconds * Double(tokens)
    if gpus > 1 {
      seconds += overheadMultiGPUFixedSeconds + overheadMultiGPUPerSequenceSeconds * Double(sequences)
    }
    return seconds
  }
}

import PlanCore

/// The serving engine's settings that the cost, memory and prediction models depend on
/// (named after their vLLM counterparts).
public struct EngineConfig: Sendable, Hashable, Codable {
  /// Fraction of GPU memory the engine may use (vLLM `gpu_memory_utilization`, default 0.90).
  public var gpuMemoryUtilization: Double
  /// Tokens per KV-cache block (vLLM `block_size`, default 16).
  public var blockSizeTokens: Int
  /// Most tokens one iteration processes (vLLM `max_num_batched_tokens`): the chunked-prefill
  /// budget, and the size of the activation peak the memory model reserves for. 8192 by
  /// default, a common production setting; longer prompts are prefilled in chunks.
  public var maxBatchedTokens: Int
  /// Most sequences running at once (vLLM `max_num_seqs`, default 256).
  public var maxSequences: Int
  /// Memory per GPU outside weights, activations and KV cache; nil = `defaultRuntimeReserveBytes`.
  public var runtimeReserveBytes: Double?
  /// Host time per iteration outside GPU kernels (scheduling, input preparation, sampling,
  /// output processing); nil = the GPU file's `iteration_overhead`, flat (the law before engine
  /// profiles). Set from the engine profile (`Models/engines/`).
  public var iterationOverhead: IterationOverheadLaw?
  /// How the engine runs the tensor-parallel all-reduce (NCCL, or its own custom kernel inside
  /// an NVLink node). Set from the engine profile.
  public var allReduce: AllReducePolicy = .nccl
  /// Whether decode iterations replay captured CUDA graphs (kernel launches cost GPU time only,
  /// no host launch gap). Set from the engine profile.
  public var cudaGraphs: Bool = true
  /// Precision of the KV cache (vLLM `--kv-cache-dtype`); nil = the model's dtype.
  public var kvCacheDType: DType?
  /// The engine profile these settings came from (`Models/engines/`), for reports and the
  /// launch command; nil = no profile (the flat law of the GPU file, vLLM's flags).
  public var profile: EngineProfile?

  public init(
    gpuMemoryUtilization: Double = 0.90, blockSizeTokens: Int = 16, maxBatchedTokens: Int = 8192,
    maxSequences: Int = 256, runtimeReserveBytes: Double? = nil
  ) {
    self.gpuMemoryUtilization = gpuMemoryUtilization
    self.blockSizeTokens = blockSizeTokens
    self.maxBatchedTokens = maxBatchedTokens
    self.maxSequences = maxSequences
    self.runtimeReserveBytes = runtimeReserveBytes
  }

  /// Checks every setting is in range.
  public func validate() throws {
    guard gpuMemoryUtilization > 0, gpuMemoryUtilization <= 1 else {
      throw CostModelError("GPU memory utilisation must lie in (0, 1], found \(gpuMemoryUtilization)")
    }
    guard blockSizeTokens >= 1 else { throw CostModelError("KV block size must be at least 1 token") }
    guard maxBatchedTokens >= 1 else { throw CostModelError("max batched tokens must be at least 1") }
    guard maxSequences >= 1 else { throw CostModelError("max sequences must be at least 1") }
    // Upper bounds of `Plausibility` (docs/FILE-FORMATS.md): past them memory figures leave
    // what a GPU can hold by orders of magnitude and token products approach overflow.
    for (what, value, range) in [
      ("KV block size", blockSizeTokens, Plausibility.blockSize),
      ("max batched tokens", maxBatchedTokens, Plausibility.maxBatchedTokens),
      ("max sequences", maxSequences, Plausibility.maxNumSeqs),
    ] where !range.contains(value) {
      throw CostModelError("\(what) of \(value) is outside \(range), the range of \(range.quantity)")
    }
    if let runtimeReserveBytes {
      guard runtimeReserveBytes.isFinite, runtimeReserveBytes >= 0 else {
        throw CostModelError("runtime reserve must be a finite, non-negative byte count")
      }
    }
  }

  /// Runtime reserve per GPU: 1.0 GB for a lone GPU, 1.5 GB when the GPU talks to others.
  ///
  /// Why: the CUDA context with cuBLAS/cuDNN workspaces takes roughly 0.4–0.6 GB per process
  /// on A100/H100-class GPUs with PyTorch, and vLLM's captured CUDA graphs (decode batch sizes
  /// up to 512) add a few hundred MB: together about 1 GB that `gpu_memory_utilization` must
  /// also cover. NCCL adds its own buffers once a GPU joins a TP or PP group: 4 MiB per channel
  /// per peer by default (`NCCL_BUFFSIZE`) over up to 32 channels in each direction, plus proxy
  /// and registration memory — a few hundred MB, so we add 0.5 GB.
  public func reserveBytes(gpusPerReplica: Int) -> Double {
    if let runtimeReserveBytes { return runtimeReserveBytes }
    return EngineConfig.defaultRuntimeReserveBytes(gpusPerReplica: gpusPerReplica)
  }

  /// The reserve `reserveBytes` uses when none is set (see there for the reasons).
  public static func defaultRuntimeReserveBytes(gpusPerReplica: Int) -> Double {
    gpusPerReplica > 1 ? 1.5e9 : 1.0e9
  }
}

/// Host time one engine iteration spends outside GPU kernels, as a function of the batch:
/// `fixedSeconds + perSequenceSeconds · sequences + perTokenSeconds · tokens`.
public struct IterationOverheadLaw: Sendable, Hashable, Codable {
  public var fixedSeconds: Double
  public var perSequenceSeconds: Double
  public var perTokenSeconds: Double
  /// Host time to launch one decoder layer's kernels one at a time, used only when the engine
  /// runs without CUDA graphs (a stage then takes at least its layers' launch time); 0 = none.
  public var eagerLaunchSecondsPerLayer: Double = 0

  public init(
    fixedSeconds: Double, perSequenceSeconds: Double = 0, perTokenSeconds: Double = 0,
    eagerLaunchSecondsPerLayer: Double = 0
  ) {
    self.fixedSeconds = fixedSeconds
    self.perSequenceSeconds = perSequenceSeconds
    self.perTokenSeconds = perTokenSeconds
    self.eagerLaunchSecondsPerLayer = eagerLaunchSecondsPerLayer
  }

  /// The overhead of one iteration over `sequences` sequences carrying `tokens` new tokens.
  @inline(__always)
  public func seconds(sequences: Int, tokens: Int) -> Double {
    fixedSeconds + perSequenceSeconds * Double(sequences) + perTokenSeconds * Double(tokens)
  }
}

/// Which implementation runs a tensor-parallel all-reduce.
public struct AllReducePolicy: Sendable, Hashable, Codable {
  /// True when the engine's own all-reduce (vLLM/SGLang custom all-reduce, TensorRT-LLM's
  /// one-shot/two-shot kernels) replaces NCCL for messages and groups within the limits below.
  public var customEnabled: Bool
  /// Largest message the custom kernel takes; larger ones go to NCCL.
  public var customMaxBytes: Double
  /// Largest group the custom kernel supports; larger groups use NCCL.
  public var customMaxGPUs: Int
  /// Messages up to this size use the one-shot algorithm (every rank reads all peers' buffers),
  /// larger ones two-shot (reduce-scatter then all-gather through peer memory).
  public var oneShotMaxBytes: Double

  public init(customEnabled: Bool, customMaxBytes: Double, customMaxGPUs: Int, oneShotMaxBytes: Double) {
    self.customEnabled = customEnabled
    self.customMaxBytes = customMaxBytes
    self.customMaxGPUs = customMaxGPUs
    self.oneShotMaxBytes = oneShotMaxBytes
  }

  /// NCCL for every all-reduce.
  public static let nccl = AllReducePolicy(
    customEnabled: false, customMaxBytes: 0, customMaxGPUs: 0, oneShotMaxBytes: 0)
}

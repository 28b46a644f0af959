import PlanCore

extension EngineConfig {
  /// The settings of engine profile `profile` (`Models/engines/`): its scheduler defaults,
  /// all-reduce policy, CUDA graphs and host-overhead law. Stage sizes are not known here,
  /// so the law's multi-GPU term is applied by `overheadLaw(stageGPUs:)`.
  public init(profile: EngineProfile) {
    self.init(
      gpuMemoryUtilization: profile.gpuMemoryUtilization, blockSizeTokens: profile.blockSize,
      maxBatchedTokens: profile.maxNumBatchedTokens, maxSequences: profile.maxNumSeqs)
    apply(profile)
  }

  /// Sets what the profile decides beyond the scheduler defaults (the overhead law, the
  /// all-reduce policy, CUDA graphs) and records the profile; scheduler settings stay as they
  /// are (flags and scenario files lay theirs over the profile's defaults).
  public mutating func apply(_ profile: EngineProfile) {
    self.profile = profile
    iterationOverhead = IterationOverheadLaw(
      fixedSeconds: profile.overheadFixedSeconds, perSequenceSeconds: profile.overheadPerSequenceSeconds,
      perTokenSeconds: profile.overheadPerTokenSeconds,
      eagerLaunchSecondsPerLayer: profile.eagerLaunchPerLayerSeconds ?? 0)
    allReduce =
      profile.customAllReduce
      ? AllReducePolicy(
        customEnabled: true, customMaxBytes: profile.customAllReduceMaxBytes,
        customMaxGPUs: profile.customAllReduceMaxGPUs, oneShotMaxBytes: profile.oneShotMaxBytes)
      : .nccl
    cudaGraphs = profile.cudaGraphs
  }

  /// The overhead law a replica whose stages have `stageGPUs` GPUs each books: the profile's,
  /// with its multi-GPU term added when a stage spans several GPUs; nil without a law (the
  /// cost model then uses the GPU file's flat `iteration_overhead`).
  public func overheadLaw(stageGPUs: Int) -> IterationOverheadLaw? {
    guard var law = iterationOverhead else { return nil }
    if stageGPUs > 1, let profile {
      law.fixedSeconds += profile.overheadMultiGPUFixedSeconds
      law.perSequenceSeconds += profile.overheadMultiGPUPerSequenceSeconds
    }
    return law
  }
}

import PlanCore

extension LayoutEvaluator {
  /// How `shape` compares with the KV cache of one replica.
  ///
  /// Every sequence holds ⌈(L + O) / block⌉ blocks by its last token and a static batch keeps
  /// all B to the end, so it fits when B · ⌈(L + O) / block⌉ ≤ the KV blocks every stage
  /// allocates. With a whole-batch prefill the largest iteration is a micro-batch's
  /// ⌈B / m⌉ · L tokens, and the activation peak the memory model sets aside grows with it
  /// (never below the engine's `maxBatchedTokens`); chunked prefill keeps the engine's budget.
  ///
  /// `maxSequences` is the largest batch that fits with its own activation peak (found by
  /// bisection: a larger batch needs more blocks and, prefilled whole, leaves fewer).
  public func staticBatchMemory(_ shape: StaticBatchShape) throws -> StaticBatchMemory {
    try check(promptTokens: shape.inputTokens, outputTokens: shape.outputTokens, batch: shape.batch)
    let (available, activationTokens) = try kvBlocksAvailable(shape)
    let block = config.blockSizeTokens
    let tokens = shape.tokensPerSequence
    let blocksPerSequence = tokens / block + (tokens % block == 0 ? 0 : 1)
    var fitting = available / blocksPerSequence
    if shape.prefill == .whole, fitting < shape.batch {
      // Between `fitting` (fits: fewer sequences need no more activation) and
      // min(batch, the count at the engine's own budget) − 1 … bisect on "fits".
      var low = fitting
      var high = min(shape.batch - 1, memory.kvBlocks / blocksPerSequence)
      while low < high {
        let middle = low + (high - low + 1) / 2
        var trial = shape
        trial.batch = middle
        if middle * blocksPerSequence <= (try kvBlocksAvailable(trial)).blocks {
          low = middle
        } else {
          high = middle - 1
        }
      }
      fitting = low
    }
    return StaticBatchMemory(
      blocksPerSequence: blocksPerSequence, blocksNeeded: shape.batch * blocksPerSequence,
      blocksAvailable: available, blockSizeTokens: block, maxSequences: fitting, activationTokens: activationTokens)
  }

  /// KV blocks every stage allocates next to the activation peak of `shape`'s largest
  /// iteration, and that iteration's tokens.
  func kvBlocksAvailable(_ shape: StaticBatchShape) throws -> (blocks: Int, activationTokens: Int) {
    let inFlight = min(layout.pp, shape.batch)
    let perMicroBatch = (shape.batch + inFlight - 1) / inFlight
    guard shape.prefill == .whole, perMicroBatch * shape.inputTokens > config.maxBatchedTokens else {
      return (memory.kvBlocks, config.maxBatchedTokens)
    }
    let activationTokens = perMicroBatch * shape.inputTokens
    guard Plausibility.maxBatchedTokens.contains(activationTokens) else {
      throw CostModelError(
        "a whole-batch prefill of \(activationTokens) tokens is outside \(Plausibility.maxBatchedTokens), "
          + "the range of \(Plausibility.maxBatchedTokens.quantity); prefill in chunks instead")
    }
    var engine = config
    engine.maxBatchedTokens = activationTokens
    return (try MemoryModel(cost: cost, pp: layout.pp, config: engine).kvBlocks, activationTokens)
  }

  /// Predicts `shape` on every replica (each DP replica runs its own batch of B): latencies
  /// are the slowest replica's, the layout's throughput the sum over replicas.
  ///
  /// - Throws: `StaticBatchCapacityError` when the B sequences cannot all hold their L + O
  ///   tokens in the KV cache; `CostModelError` for out-of-range lengths, or a chunked batch
  ///   larger than the engine's `maxSequences` (the engine would run it in waves).
  public func staticBatch(_ shape: StaticBatchShape) throws -> StaticBatchPrediction {
    let memory = try staticBatchMemory(shape)
    guard memory.fits else { throw StaticBatchCapacityError(shape: shape, memory: memory) }
    if shape.prefill == .chunked, shape.batch > config.maxSequences {
      throw CostModelError(
        "a batch of \(shape.batch) exceeds the engine's \(config.maxSequences) sequences at once "
          + "(max_num_seqs): it would run in waves, not as one static batch")
    }
    let inFlight = min(layout.pp, shape.batch)
    var worst: StaticBatchPrediction?
    var layoutRate = 0.0
    for (index, replica) in replicas.enumerated() {
      let prediction = replica.staticBatch(shape, chunkTokens: config.maxBatchedTokens, memory: memory)
      layoutRate += Double(replicaCounts[index]) * prediction.outputTokensPerSecond
      if worst == nil || prediction.totalSeconds > worst!.totalSeconds { worst = prediction }
    }
    var result = worst!
    result.microBatches = inFlight
    result.layoutOutputTokensPerSecond = layoutRate
    return result
  }
}

extension ReplicaCostModel {
  /// `shape` on this replica alone: prefill, then O − 1 decode steps at contexts L + 1 … L + O − 1
  /// (the step producing token j reads L + j − 1 cached tokens).
  func staticBatch(_ shape: StaticBatchShape, chunkTokens: Int, memory: StaticBatchMemory) -> StaticBatchPrediction {
    let inFlight = min(stageCount, shape.batch)
    let (prefill, iterations) = staticPrefill(shape, chunkTokens: chunkTokens)
    var decode = TimeBreakdown()
    var first: Double?
    var last: Double?
    let steps = shape.outputTokens - 1
    if steps >= 1 {
      for step in 1...steps {
        let time = staticDecodeStep(batch: shape.batch, context: shape.inputTokens + step)
        decode.add(time)
        if step == 1 { first = time.totalSeconds }
        if step == steps { last = time.totalSeconds }
      }
    }
    let total = prefill.totalSeconds + decode.totalSeconds
    let batch = Double(shape.batch)
    return StaticBatchPrediction(
      shape: shape, microBatches: inFlight, sequencesPerMicroBatch: (shape.batch + inFlight - 1) / inFlight,
      prefillIterations: iterations, prefillSeconds: prefill.totalSeconds, decodeSteps: max(0, steps),
      firstStepSeconds: first, meanStepSeconds: steps >= 1 ? decode.totalSeconds / Double(steps) : nil,
      lastStepSeconds: last, decodeSeconds: decode.totalSeconds, totalSeconds: total,
      outputTokensPerSecond: batch * Double(shape.outputTokens) / total,
      totalTokensPerSecond: batch * Double(shape.tokensPerSequence) / total,
      layoutOutputTokensPerSecond: batch * Double(shape.outputTokens) / total, prefillBreakdown: prefill,
      decodeBreakdown: decode, memory: memory)
  }
}

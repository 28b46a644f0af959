/// A static batch on one replica: pure functions over `pass` (no simulator).
///
/// Pipeline parallelism: the batch is split into m = min(PP, B) micro-batches of ⌈B / m⌉
/// sequences that circulate through the stages together, as real engines do it. TensorRT-LLM's
/// static `GptSession` (cpp/tensorrt_llm/runtime/gptSession.cpp, `MicroBatchConfig`): without
/// explicit micro-batch sizes, numCtxBatches = numGenBatches = PP, each of ceilDiv(batch, PP)
/// sequences. vLLM keeps one virtual engine (scheduler) per pipeline stage, each with its share
/// of the sequences.
extension ReplicaCostModel {
  /// Time until every sequence of `shape` has its first token, and the forward passes each
  /// micro-batch's prefill takes.
  ///
  /// m identical micro-batches through the pipeline: each pass takes `serialSeconds`, and the
  /// busiest stage must serve all m, so the last micro-batch finishes a round
  /// `serialSeconds + (m − 1) · maxStageSeconds` after it started; rounds before the last one
  /// repeat every `cycleSeconds(inFlight: m)` (chunked prefill has one round per chunk).
  public func staticPrefill(_ shape: StaticBatchShape, chunkTokens: Int) -> (breakdown: TimeBreakdown, iterations: Int)
  {
    let batch = max(1, shape.batch)
    let inFlight = min(stageCount, batch)
    let perMicroBatch = (batch + inFlight - 1) / inFlight
    let prompt = shape.inputTokens
    var total = TimeBreakdown()
    switch shape.prefill {
    case .whole:
      var whole = BatchShape()
      for _ in 0..<perMicroBatch { whole.addPrefill(tokens: prompt, cached: 0) }
      total = Self.lastRound(pass(whole), inFlight: inFlight)
      return (total, 1)
    case .chunked:
      // Prompts packed in order into iterations of at most `chunk` tokens; a prompt that does
      // not fit is split and continues (with its earlier chunks cached) in the next iteration.
      let chunk = max(1, chunkTokens)
      let totalTokens = perMicroBatch * prompt
      var sequence = 0
      var done = 0  // tokens of `sequence` already prefilled
      var consumed = 0
      var iterations = 0
      while consumed < totalTokens {
        var shapeThisIteration = BatchShape()
        var room = chunk
        while room > 0, sequence < perMicroBatch {
          let tokens = min(room, prompt - done)
          shapeThisIteration.addPrefill(tokens: tokens, cached: done)
          room -= tokens
          done += tokens
          consumed += tokens
          if done == prompt {
            sequence += 1
            done = 0
          }
        }
        iterations += 1
        let round = pass(shapeThisIteration)
        if consumed < totalTokens {
          total.add(round.cycleBreakdown(inFlight: inFlight))
        } else {
          total.add(Self.lastRound(round, inFlight: inFlight))
        }
      }
      return (total, iterations)
    }
  }

  /// The last round of m micro-batches: one pass plus m − 1 turns of the busiest stage (booked
  /// as pipeline time).
  static func lastRound(_ pass: PipelinePass, inFlight: Int) -> TimeBreakdown {
    var result = pass.breakdown
    result.pipelineSeconds += Double(inFlight - 1) * pass.maxStageSeconds
    return result
  }

  /// Time per output token of the decode step whose sequences each have `context` tokens
  /// cached (all B sequences, split into PP micro-batches as `decode(batch:context:)` does).
  public func staticDecodeStep(batch: Int, context: Int) -> TimeBreakdown {
    decode(batch: batch, context: context)
  }
}

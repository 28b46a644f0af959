import Analytic
import PlanCore

/// The memory-fit equation of docs/METRICS.md, written out from the model's shape so the scenarios can
/// check the memory model against it:
///
///     KV pool per GPU = memory × utilisation − weights / (TP · PP) − activation peak − reserve
///
/// - weights of a stage: its L/PP layers' parameters / TP, plus the embedding (V·d / TP, and the
///   learned position table P·d) on the first stage and the LM head (V·d / TP, unless tied to an
///   embedding on the same GPU) on the last, × dtype bytes;
/// - activation peak: `maxBatchedTokens` tokens × the widest point of a layer (residual + normed
///   input + MLP up-projection + activation output, all per GPU) × dtype bytes; the last stage
///   also holds the sampler's fp32 logits and probabilities, 2 · maxSequences · V · 4 B, if larger;
/// - reserve: 1.0 GB for a lone GPU, 1.5 GB in a TP/PP group (CUDA context, graphs, NCCL);
/// - KV bytes per token on a GPU: its layers × 2 (K, V) × KV heads / TP × head dim × dtype bytes.
///
/// The engine allocates the same number of whole 16-token blocks on every stage, the smallest
/// any stage affords. Replicated norms and row-parallel biases (≤ 4·d per layer, < 0.01 % of a
/// layer) are left out, so this agrees with the memory model to well under 1 %.
struct MemoryClosedForm {
  var weightBytesPerGPU: Double
  var kvPoolBytesPerGPU: Double
  var kvTokens: Int

  init(model: ModelSpec, gpu: GPUSpec, tp: Int, pp: Int, engine: EngineConfig = EngineConfig()) {
    let bytes = model.dtype.bytes
    let d = Double(model.hiddenSize)
    let t = Double(tp)
    let layersPerStage = Double(model.numLayers) / Double(pp)
    let budget = gpu.memoryBytes * engine.gpuMemoryUtilization
    let reserve = tp * pp > 1 ? 1.5e9 : 1.0e9
    let ffn = Double(model.intermediateSize) / t
    let mlpWidth = 2 * d + (model.gatedMLP ? 2 : 1) * ffn + ffn
    let query = Double(model.queryWidth) / t
    let kvHeadsPerGPU = max(1, model.numKVHeads / tp)
    let kv = Double(kvHeadsPerGPU * model.headDim)
    let attentionWidth = 2 * d + (query + 2 * kv) + query
    let activation = Double(engine.maxBatchedTokens) * max(mlpWidth, attentionWidth) * bytes
    let logits = 2 * Double(engine.maxSequences) * Double(model.vocabSize) * 4
    let layerBytes = layersPerStage * model.parametersPerLayer / t * bytes
    let embedding =
      (Double(model.vocabSize) * d / t
        + (model.positionEmbedding == .learned ? Double(model.maxPositionEmbeddings) * d : 0)) * bytes
    let head = (model.tieWordEmbeddings && pp == 1 ? 0 : Double(model.vocabSize) * d / t) * bytes
    let kvPerToken = layersPerStage * 2 * kv * bytes
    var worstWeights = 0.0
    var smallestPool = Double.infinity
    var blocks = Int.max
    for stage in 0..<pp {
      var weights = layerBytes
      if stage == 0 { weights += embedding }
      if stage == pp - 1 { weights += head }
      let peak = stage == pp - 1 ? max(activation, logits) : activation
      let pool = budget - weights - peak - reserve
      worstWeights = max(worstWeights, weights)
      smallestPool = min(smallestPool, pool)
      blocks = min(blocks, pool > 0 ? Int(pool / (kvPerToken * Double(engine.blockSizeTokens))) : 0)
    }
    weightBytesPerGPU = worstWeights
    kvPoolBytesPerGPU = smallestPool
    kvTokens = blocks * engine.blockSizeTokens
  }
}

import Analytic
import PlanCore

/// One call of vLLM's whole MLA attention module (`DeepseekV2MLAAttention`: the q and kv
/// projections, the latent norms, rotary, the cache write, the attention kernel and the output
/// projection) on one GPU holding `heads` query heads of DeepSeek-V3, as AIConfigurator's
/// `mla_context_module` / `mla_generation_module` tables time it.
public struct LatentModuleCall: Sendable, Hashable {
  public enum Phase: String, Sendable, Hashable { case prefill, decode }
  public var phase: Phase
  public var sequences: Int
  /// Prompt tokens per sequence (prefill) or the KV length a decoding token attends to (decode).
  public var tokens: Int
  public var heads: Int
  public var kvCacheFP8: Bool
  /// Linear layers in block-scaled fp8 (`gemm_type` fp8_block) rather than bf16.
  public var fp8BlockWeights: Bool

  /// DeepSeek-V3's attention dimensions (HF `deepseek-ai/DeepSeek-V3` config.json: hidden 7168,
  /// q_lora_rank 1536, kv_lora_rank 512, rope 64, nope 128, v 128) with `heads` heads on one GPU.
  public var model: ModelSpec {
    ModelSpec(
      name: "deepseek-v3-attention", hiddenSize: 7168, numLayers: 1, numHeads: heads, numKVHeads: heads, headDim: 128,
      intermediateSize: 18432, vocabSize: 129280, maxPositionEmbeddings: 163840, dtype: .bf16, gatedMLP: true,
      latentAttention: LatentAttention(
        kvLoraRank: 512, qLoraRank: 1536, qkRopeHeadDim: 64, qkNopeHeadDim: 128, vHeadDim: 128),
      weightQuantization: fp8BlockWeights
        ? WeightQuantization(method: .fp8, bits: 8, groupSize: 128, quantizedActivations: true, blockRows: 128) : nil)
  }

  public var batch: BatchShape {
    var shape = BatchShape()
    for _ in 0..<sequences {
      if phase == .prefill { shape.addPrefill(tokens: tokens, cached: 0) } else { shape.addDecode(context: tokens) }
    }
    return shape
  }

  /// Seconds the cost model gives the module on `gpu`: its `qkv_proj`, `attention` and `out_proj`.
  public func seconds(gpu: GPUSpec) throws -> Double {
    let cost = try CostModel(model: model, gpu: gpu, tp: 1, kvCacheDType: kvCacheFP8 ? .fp8 : nil)
    let shape = batch
    return [OperatorKind.qkvProj, .attention, .outProj].reduce(0) { $0 + cost.cost($1, batch: shape).seconds }
  }
}

/// Reads AIConfigurator's `mla_context_module` and `mla_generation_module` rows (latency in ms):
/// `num_heads` on the GPU, `batch_size` sequences, `isl` prompt tokens (context) or, for
/// generation, a KV length of `isl + step`; `kv_cache_dtype`, `gemm_type`. Only DeepSeek-V3 rows
/// with `tp_size` 1 and bf16 attention are read.
enum AIConfiguratorMLA {
  static func read(
    _ table: CSVTable, row: CSVTable.Row, op: String, seconds: Double, into result: inout MeasurementSet
  )
    throws
  {
    let modelName = try table.string(row, "model")
    guard modelName == "deepseek-ai/DeepSeek-V3", try table.positiveInt(row, "tp_size") == 1,
      try table.string(row, "mla_dtype") == "bfloat16"
    else {
      result.noteSkipped(op, reason: "only DeepSeek-V3's MLA module, bf16 attention, tp_size 1 is read")
      return
    }
    let kv = try table.string(row, "kv_cache_dtype")
    let gemm = try table.string(row, "gemm_type")
    guard kv == "bfloat16" || kv == "fp8" else {
      throw table.error(row, "kv_cache_dtype", "unknown KV-cache dtype \"\(kv)\" (known: bfloat16, fp8)")
    }
    guard gemm == "bfloat16" || gemm == "fp8_block" else {
      throw table.error(row, "gemm_type", "unknown GEMM type \"\(gemm)\" (known: bfloat16, fp8_block)")
    }
    let prefill = op == "mla_context_module"
    let isl = try table.positiveInt(row, "isl")
    let step = try table.optionalInt(row, "step") ?? 0
    let call = LatentModuleCall(
      phase: prefill ? .prefill : .decode, sequences: try table.positiveInt(row, "batch_size"),
      tokens: prefill ? isl : isl + step, heads: try table.positiveInt(row, "num_heads"), kvCacheFP8: kv == "fp8",
      fp8BlockWeights: gemm == "fp8_block")
    result.kernels.append(
      KernelMeasurement(
        work: .latentModule(call), regime: "mla module \(call.phase.rawValue)", seconds: seconds,
        origin: MeasurementOrigin(file: table.file, line: row.line)))
  }
}

import Analytic
import PlanCore

/// Reads NVIDIA AIConfigurator's kernel tables (`gemm_perf`, `context_attention_perf`,
/// `generation_attention_perf`, `moe_perf` (see `AIConfiguratorMoE`), as CSV: Models/measurements/h100-sxm-vllm/README.md): one bare
/// kernel call per row, `latency` in milliseconds.
///
/// - gemm: `gemm_dtype` (bfloat16, fp8 = per-tensor scaled, fp8_block), `m`, `n`, `k`.
/// - context_attention: `batch_size` whole prompts of `isl` tokens (no cache), `num_heads` and
///   `num_key_value_heads` on the GPU, `head_dim`, `kv_cache_dtype` (bfloat16 or fp8),
///   `window_size` (0 = full attention).
/// - generation_attention: `batch_size` sequences decoding one token each; the context a token
///   attends to is `isl + step` (the collector logs isl = 1 and step = KV length − 1).
public enum AIConfiguratorKernels {
  static func matches(_ table: CSVTable) -> Bool {
    table.has("op_name") && table.has("kernel_source") && table.has("latency")
  }

  enum Reason {
    static let window =
      "sliding-window attention (window_size > 0): the cost model's attention is full causal attention"
    static let fa4 =
      "FlashAttention-4 kernel (head dim 512): another kernel than the FlashAttention-3 law describes"
    static let fp8Block =
      "fp8 block-scaled GEMM: its timings carry 55 µs or more per call of work outside the GEMM (min 55 µs vs 2.5 µs bf16), so it is no GEMM law; per-tensor fp8 is used"
  }

  static func read(_ table: CSVTable) throws -> MeasurementSet {
    var result = MeasurementSet()
    for row in table.rows {
      let op = try table.string(row, "op_name")
      let milliseconds = try table.double(row, "latency")
      guard milliseconds > 0, milliseconds.isFinite else {
        throw table.error(row, "latency", "a time must be positive, found \(milliseconds) ms")
      }
      let origin = MeasurementOrigin(file: table.file, line: row.line)
      let seconds = milliseconds * 1e-3
      switch op {
      case "gemm":
        let dtypeText = try table.string(row, "gemm_dtype")
        let dtype: DType
        switch dtypeText {
        case "bfloat16": dtype = .bf16
        case "float16": dtype = .fp16
        case "fp8": dtype = .fp8
        case "fp8_block":
          result.noteSkipped("gemm fp8_block", reason: Reason.fp8Block)
          continue
        default:
          throw table.error(
            row, "gemm_dtype", "unknown GEMM dtype \"\(dtypeText)\" (known: bfloat16, float16, fp8, fp8_block)")
        }
        let shape = GEMMShape(
          m: try table.positiveInt(row, "m"), n: try table.positiveInt(row, "n"), k: try table.positiveInt(row, "k"),
          dtype: dtype)
        result.kernels.append(
          KernelMeasurement(
            work: .gemm(shape), regime: "gemm \(dtype == .fp8 ? "fp8" : "bf16")", seconds: seconds, origin: origin))
      case "context_attention", "generation_attention":
        if let window = try table.optionalInt(row, "window_size"), window != 0 {
          result.noteSkipped(op, reason: Reason.window)
          continue
        }
        if table.text(row, "kernel_source")?.hasSuffix("fa4") == true {
          result.noteSkipped(op, reason: Reason.fa4)
          continue
        }
        let kvText = try table.string(row, "kv_cache_dtype")
        let kvBytes: Double
        switch kvText {
        case "bfloat16", "float16": kvBytes = 2
        case "fp8": kvBytes = 1
        default:
          throw table.error(
            row, "kv_cache_dtype", "unknown KV-cache dtype \"\(kvText)\" (known: bfloat16, float16, fp8)")
        }
        let batch = try table.positiveInt(row, "batch_size")
        let isl = try table.positiveInt(row, "isl")
        let heads = try table.positiveInt(row, "num_heads")
        let kvHeads = try table.positiveInt(row, "num_key_value_heads")
        guard heads % kvHeads == 0 else {
          throw table.error(row, "num_key_value_heads", "\(kvHeads) KV heads do not divide \(heads) query heads")
        }
        let headDim = try table.positiveInt(row, "head_dim")
        let prefill = op == "context_attention"
        let call: AttentionCall
        let regime: String
        if prefill {
          call = AttentionCall(
            phase: .prefill, sequences: batch, queryTokens: Double(isl), contextTokens: 0, queryHeads: heads,
            kvHeads: kvHeads, headDim: headDim, queryElementBytes: 2, kvElementBytes: kvBytes)
          regime = isl < Self.longPrefillTokens ? "prefill short" : "prefill long"
        } else {
          let step = try table.optionalInt(row, "step") ?? 0
          call = AttentionCall(
            phase: .decode, sequences: batch, queryTokens: 1, contextTokens: Double(isl + step), queryHeads: heads,
            kvHeads: kvHeads, headDim: headDim, queryElementBytes: 2, kvElementBytes: kvBytes)
          regime = batch <= Self.smallDecodeBatch ? "decode small batch" : "decode large batch"
        }
        result.kernels.append(
          KernelMeasurement(work: .attention(call), regime: regime, seconds: seconds, origin: origin))
      case "moe":
        try AIConfiguratorMoE.read(table, row: row, seconds: seconds, into: &result)
      default:
        result.noteSkipped(
          op,
          reason:
            "no bare-kernel counterpart in the cost model (gemm, context_attention, generation_attention, moe are read)"
        )
      }
    }
    return result
  }

  /// Prompts from this many tokens per sequence form the "prefill long" regime.
  public static let longPrefillTokens = 512
  /// Decode batches up to this many sequences form the "decode small batch" regime.
  public static let smallDecodeBatch = 8
}

import Analytic
import PlanCore

/// Reads the rows of NVIDIA AIConfigurator's `moe_perf` table (`op_name` moe; CSV, latency in
/// milliseconds): one fused-MoE call (vLLM `fused_experts`) on one GPU for `num_tokens` tokens of
/// width `hidden_size`, experts of width `inter_size` ÷ `moe_tp_size`, `topk` of `num_experts`,
/// the GPU holding the first `num_experts / moe_ep_size` experts (vLLM `determine_expert_map`,
/// rank 0).
///
/// Only `balanced` rows are read: the collector's balanced router (AIConfigurator
/// `collector/helper.py`, `balanced_logits`) sends token i to experts (i + j·s) mod E, j < k,
/// s = ⌈E / k⌉, when there are at least s tokens, and to ⌊i·s/T⌋ + j·s otherwise, so the rows and
/// busy experts of the measured GPU follow exactly. Power-law rows draw a random expert load
/// that the file does not record.
enum AIConfiguratorMoE {
  enum Reason {
    static let powerLaw =
      "power-law routing: each row's expert load is a random draw the file does not record (the cost model carries imbalance as expertImbalance); balanced rows are read"
    static let mxfp4 =
      "mxfp4 expert weights: not a weight format LLMPlan models (bf16, fp8, int4 AWQ/GPTQ)"
  }

  /// Tokens per GPU up to this many form the "≤ 64 tokens" (decode-like) regimes.
  public static let smallTokens = 64

  static func read(_ table: CSVTable, row: CSVTable.Row, seconds: Double, into result: inout MeasurementSet) throws {
    let distribution = try table.string(row, "distribution")
    guard distribution == "balanced" else {
      result.noteSkipped("moe \(distribution)", reason: Reason.powerLaw)
      return
    }
    let dtypeText = try table.string(row, "moe_dtype")
    let weights: ExpertCall.Weights
    switch dtypeText {
    case "bfloat16", "float16": weights = .bf16
    case "fp8_block": weights = .fp8Block
    case "fp8": weights = .fp8PerTensor
    case "int4_wo": weights = .int4
    case "w4a16_mxfp4", "nvfp4":
      result.noteSkipped("moe \(dtypeText)", reason: Reason.mxfp4)
      return
    default:
      throw table.error(
        row, "moe_dtype",
        "unknown MoE dtype \"\(dtypeText)\" (known: bfloat16, float16, fp8, fp8_block, int4_wo, w4a16_mxfp4, nvfp4)")
    }
    let tokens = try table.positiveInt(row, "num_tokens")
    let hidden = try table.positiveInt(row, "hidden_size")
    let inter = try table.positiveInt(row, "inter_size")
    let topK = try table.positiveInt(row, "topk")
    let experts = try table.positiveInt(row, "num_experts")
    let tp = try table.positiveInt(row, "moe_tp_size")
    let ep = try table.positiveInt(row, "moe_ep_size")
    guard topK <= experts else {
      throw table.error(row, "topk", "\(topK) experts per token exceed the \(experts) experts")
    }
    guard experts % ep == 0 else {
      throw table.error(row, "moe_ep_size", "\(ep) does not divide the \(experts) experts")
    }
    guard inter % tp == 0 else {
      throw table.error(row, "moe_tp_size", "\(tp) does not divide inter_size \(inter)")
    }
    guard tokens <= 100_000_000 else {
      throw table.error(row, "num_tokens", "\(tokens) tokens is outside 1 … 100,000,000")
    }
    let load = balancedLoad(tokens: tokens, topK: topK, experts: experts, localExperts: experts / ep)
    let call = ExpertCall(
      weights: weights, hidden: Double(hidden), columns: Double(inter / tp), activeExperts: Double(load.active),
      rows: Double(load.rows), weightElementBytes: ExpertCall.elementBytes(weights))
    let family = weights == .bf16 ? "bf16" : weights.rawValue
    let regime = "moe \(family) \(tokens <= smallTokens ? "≤ \(smallTokens)" : "> \(smallTokens)") tokens"
    result.kernels.append(
      KernelMeasurement(
        work: .moe(call), regime: regime, seconds: seconds, origin: MeasurementOrigin(file: table.file, line: row.line))
    )
  }

  /// (token, expert) pairs and busy experts among the first `localExperts` experts under the
  /// collector's balanced routing (see the type comment).
  static func balancedLoad(tokens: Int, topK: Int, experts: Int, localExperts: Int) -> (rows: Int, active: Int) {
    let stride = (experts + topK - 1) / topK
    var counts = [Int](repeating: 0, count: localExperts)
    if tokens >= stride {
      // Per j the tokens cover experts j·s, j·s + 1, … cyclically: ⌊T/E⌋ rounds, then T mod E more.
      let rounds = tokens / experts
      let rest = tokens % experts
      for j in 0..<topK {
        let offset = (j * stride) % experts
        for r in 0..<rest {
          let e = (offset + r) % experts
          if e < localExperts { counts[e] += 1 }
        }
      }
      if rounds > 0 {
        for e in 0..<localExperts { counts[e] += rounds * topK }
      }
    } else {
      for i in 0..<tokens {
        let first = (Double(i) * Double(stride) / Double(tokens)).rounded(.down)
        for j in 0..<topK {
          let e = (Int(first) + j * stride) % experts
          if e < localExperts { counts[e] += 1 }
        }
      }
    }
    return (counts.reduce(0, +), counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) })
  }
}

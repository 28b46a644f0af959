import Analytic
import PlanCore

/// LLMPlan's own measurement format: one timing per row, a header naming the columns (any
/// order), `#` comment lines allowed.
///
/// ```
/// kind,name,tokens,tp,bytes,gpus,gpus_per_node,seconds
/// operator,qkv_proj,512,1,,,,0.0000905
/// operator,mlp_down_proj,2048,2,,,,0.000111
/// collective,all_reduce,,,16777216,8,8,0.000115
/// collective,send_recv,,,4194304,2,1,0.000129
/// ```
///
/// - `kind`: `operator` or `collective`.
/// - `name`: an operator of the cost model (`qkv_proj`, `attention`, `out_proj`, `mlp_up_proj`,
///   `mlp_act`, `mlp_down_proj`, `input_norm`, `post_attention_norm`, `residual_add`,
///   `embedding`, `lm_head`; profiler names such as `attn_pre_proj` are accepted too), or a
///   collective (`all_reduce`, `all_gather`, `send_recv`).
/// - Operators: `tokens` (new tokens; for `phase` = `decode`, the sequences decoding one token
///   each), `tp` (tensor-parallel degree, default 1), optional `context` (tokens already cached
///   per sequence, default 0), optional `phase` (`prefill`, the default, or `decode`), optional
///   `model` (catalog name or config.json path; else the command's `--model`).
/// - Collectives: `bytes` (message size per GPU), `gpus`, optional `gpus_per_node` (default
///   `gpus`: one node).
/// - `seconds`: the measured time, in seconds.
public enum SimpleFormat {
  static func matches(_ table: CSVTable) -> Bool { table.has("kind") && table.has("seconds") }

  static func read(
    _ table: CSVTable, defaultModel: ModelSpec?, resolveModel: (String) throws -> ModelSpec
  ) throws -> MeasurementSet {
    var result = MeasurementSet()
    var models: [String: ModelSpec] = [:]
    for row in table.rows {
      let kind = try table.string(row, "kind")
      let name = try table.string(row, "name")
      let seconds = try table.double(row, "seconds")
      guard seconds > 0 else { throw table.error(row, "seconds", "a time must be positive, found \(seconds)") }
      let origin = MeasurementOrigin(file: table.file, line: row.line)
      switch kind.lowercased() {
      case "operator":
        let (operatorName, share) = try operatorTarget(name, table: table, row: row)
        let model: ModelSpec
        if let modelName = table.text(row, "model") {
          if let cached = models[modelName] {
            model = cached
          } else {
            do { model = try resolveModel(modelName) } catch {
              throw table.error(row, "model", "cannot load \"\(modelName)\": \(error)")
            }
            models[modelName] = model
          }
        } else if let defaultModel {
          model = defaultModel
        } else {
          throw table.error(row, "model", "operator rows need a model: add a \"model\" column or pass --model")
        }
        let tokens = try table.positiveInt(row, "tokens")
        let tp = try table.optionalInt(row, "tp") ?? 1
        guard tp >= 1 else { throw table.error(row, "tp", "must be at least 1, found \(tp)") }
        let context = try table.optionalInt(row, "context") ?? 0
        guard context >= 0 else { throw table.error(row, "context", "must not be negative, found \(context)") }
        let batch: MeasuredBatch
        switch table.text(row, "phase")?.lowercased() ?? "prefill" {
        case "prefill": batch = .prefill(tokens: tokens, cached: context)
        case "decode":
          guard context >= 1 else { throw table.error(row, "context", "a decode step needs at least 1 cached token") }
          batch = .decode(sequences: tokens, context: context)
        case let other: throw table.error(row, "phase", "must be prefill or decode, found \"\(other)\"")
        }
        result.operators.append(
          OperatorMeasurement(
            operatorName: operatorName, measuredName: name, shareOfOperator: share, model: model, tensorParallel: tp,
            batch: batch, seconds: seconds, origin: origin))
      case "collective":
        guard let collective = Collective(rawValue: name) else {
          throw table.error(
            row, "name",
            "unknown collective \"\(name)\" (known: \(Collective.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let bytes = try table.double(row, "bytes")
        guard bytes > 0 else { throw table.error(row, "bytes", "must be a positive byte count, found \(bytes)") }
        let gpus = try table.positiveInt(row, "gpus")
        let perNode = try table.optionalInt(row, "gpus_per_node") ?? gpus
        guard perNode >= 1, perNode <= gpus else {
          throw table.error(row, "gpus_per_node", "must lie in 1…\(gpus), found \(perNode)")
        }
        if collective == .sendRecv && gpus != 2 {
          throw table.error(row, "gpus", "send_recv joins exactly 2 GPUs, found \(gpus)")
        }
        result.collectives.append(
          CollectiveMeasurement(
            collective: collective, gpus: gpus, gpusPerNode: perNode, bytes: bytes, seconds: seconds, origin: origin))
      default:
        throw table.error(row, "kind", "must be \"operator\" or \"collective\", found \"\(kind)\"")
      }
    }
    return result
  }

  /// The cost-model operator a name refers to (ours or a profiler alias) and the share of it.
  static func operatorTarget(_ name: String, table: CSVTable, row: CSVTable.Row) throws -> (String, Double) {
    if OperatorKind(rawValue: name) != nil { return (name, 1) }
    switch ProfilerFormat.operatorMap[name] {
    case .success(let mapping): return (mapping.operatorName, mapping.share)
    case .failure(let reason): throw table.error(row, "name", "\"\(name)\" cannot be used: \(reason.text)")
    case nil:
      throw table.error(
        row, "name",
        "unknown operator \"\(name)\" (known: \(OperatorKind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
  }
}

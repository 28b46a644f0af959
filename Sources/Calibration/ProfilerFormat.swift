import Analytic
import PlanCore

/// Reads the CSV files of the public Vidur profiler (microsoft/vidur, `data/profiling/`):
/// per-operator timings of one decoder layer (`compute/<gpu>/<model>/mlp.csv`) and collective
/// timings (`network/<cluster>/all_reduce.csv`, `send_recv.csv`).
///
/// Times are milliseconds in `time_stats.<op>.{min,max,mean,median,std}` columns; we use the
/// median. Operator rows carry the layer's shape (`n_head`, `n_kv_head`, `n_embd`,
/// `n_expanded_embd`, `vocab_size`, `use_gated_mlp`), `num_tokens` and
/// `num_tensor_parallel_workers`; collective rows `num_workers`, `size` (bytes), `collective`
/// and `devices_per_node`.
public enum ProfilerFormat {
  /// True when the header looks like a Vidur profile.
  static func matches(_ table: CSVTable) -> Bool {
    table.header.contains { $0.hasPrefix("time_stats.") && $0.hasSuffix(".median") }
  }

  /// How a profiled operator maps onto the cost model's operators.
  struct OperatorMapping {
    var operatorName: String
    var share: Double
  }

  /// Profiler operator names → cost-model operators; `nil` marks a timing the model does not
  /// cost on its own, with the reason.
  static let operatorMap: [String: Result<OperatorMapping, SkipReason>] = [
    "emb": .success(OperatorMapping(operatorName: "embedding", share: 1)),
    "input_layernorm": .success(OperatorMapping(operatorName: "input_norm", share: 1)),
    "attn_pre_proj": .success(OperatorMapping(operatorName: "qkv_proj", share: 1)),
    "attn_post_proj": .success(OperatorMapping(operatorName: "out_proj", share: 1)),
    "post_attention_layernorm": .success(OperatorMapping(operatorName: "post_attention_norm", share: 1)),
    "mlp_up_proj": .success(OperatorMapping(operatorName: "mlp_up_proj", share: 1)),
    "mlp_act": .success(OperatorMapping(operatorName: "mlp_act", share: 1)),
    "mlp_down_proj": .success(OperatorMapping(operatorName: "mlp_down_proj", share: 1)),
    // The profiler times one residual add; a layer runs two, which the model books together.
    "add": .success(OperatorMapping(operatorName: "residual_add", share: 0.5)),
    "attn_rope": .failure(SkipReason(ProfilerFormatReason.rope)),
  ]

  struct SkipReason: Error { let text: String; init(_ text: String) { self.text = text } }

  /// Reads an operator profile. `dtype` is the precision the profile was taken in (the files do
  /// not record it; Vidur profiles fp16).
  static func readOperators(_ table: CSVTable, dtype: DType) throws -> MeasurementSet {
    var result = MeasurementSet()
    let operators = table.header.compactMap { column -> String? in
      guard column.hasPrefix("time_stats."), column.hasSuffix(".median") else { return nil }
      return String(column.dropFirst("time_stats.".count).dropLast(".median".count))
    }
    var models: [String: ModelSpec] = [:]
    for row in table.rows {
      let model = try layerModel(table, row, dtype: dtype, cache: &models)
      let tokens = try table.positiveInt(row, "num_tokens")
      let tp = try table.positiveInt(row, "num_tensor_parallel_workers")
      for name in operators {
        let column = "time_stats.\(name).median"
        guard let milliseconds = try table.optionalDouble(row, column) else { continue }  // not timed in this row
        guard milliseconds > 0 else {
          throw table.error(row, column, "a time must be positive, found \(milliseconds) ms")
        }
        switch operatorMap[name] {
        case .success(let mapping):
          result.operators.append(
            OperatorMeasurement(
              operatorName: mapping.operatorName, measuredName: name, shareOfOperator: mapping.share, model: model,
              tensorParallel: tp, batch: .prefill(tokens: tokens, cached: 0), seconds: milliseconds * 1e-3,
              origin: MeasurementOrigin(file: table.file, line: row.line)))
        case .failure(let reason):
          result.noteSkipped(name, reason: reason.text)
        case nil:
          result.noteSkipped(name, reason: "not an operator LLMPlan knows")
        }
      }
    }
    return result
  }

  /// The profiled layer's dimensions as a one-layer model.
  static func layerModel(
    _ table: CSVTable, _ row: CSVTable.Row, dtype: DType, cache: inout [String: ModelSpec]
  ) throws -> ModelSpec {
    let heads = try table.positiveInt(row, "n_head")
    let kvHeads = try table.positiveInt(row, "n_kv_head")
    let hidden = try table.positiveInt(row, "n_embd")
    let inner = try table.positiveInt(row, "n_expanded_embd")
    let vocab = try table.positiveInt(row, "vocab_size")
    let gated = try table.bool(row, "use_gated_mlp")
    guard hidden % heads == 0 else { throw table.error(row, "n_head", "\(heads) heads do not divide n_embd \(hidden)") }
    guard heads % kvHeads == 0 else {
      throw table.error(row, "n_kv_head", "\(kvHeads) KV heads do not divide \(heads) heads")
    }
    let name = "profiled-d\(hidden)-h\(heads)-kv\(kvHeads)-ff\(inner)-v\(vocab)\(gated ? "-gated" : "")"
    if let model = cache[name] { return model }
    // A Llama-style layer (RMSNorm, rotary, no biases), which is what the profiler times.
    let model = ModelSpec(
      name: name, hiddenSize: hidden, numLayers: 1, numHeads: heads, numKVHeads: kvHeads, intermediateSize: inner,
      vocabSize: vocab, maxPositionEmbeddings: 4096, dtype: dtype, gatedMLP: gated)
    cache[name] = model
    return model
  }

  /// Reads a collective profile.
  static func readCollectives(_ table: CSVTable) throws -> MeasurementSet {
    var result = MeasurementSet()
    for row in table.rows {
      let name = try table.string(row, "collective")
      let timeColumn = "time_stats.\(name).median"
      guard table.has(timeColumn) else {
        throw table.error(row, "collective", "no column \"\(timeColumn)\" holds this collective's time")
      }
      guard let collective = Collective(rawValue: name) else {
        result.noteSkipped(
          name,
          reason:
            "not a collective LLMPlan costs (known: \(Collective.allCases.map(\.rawValue).joined(separator: ", ")))")
        continue
      }
      let gpus = try table.positiveInt(row, "num_workers")
      let perNode = try table.positiveInt(row, "devices_per_node")
      guard perNode <= gpus else {
        throw table.error(row, "devices_per_node", "\(perNode) exceeds num_workers \(gpus)")
      }
      let bytes = try table.double(row, "size")
      guard bytes > 0 else { throw table.error(row, "size", "must be a positive byte count, found \(bytes)") }
      let milliseconds = try table.double(row, timeColumn)
      guard milliseconds > 0 else {
        throw table.error(row, timeColumn, "a time must be positive, found \(milliseconds) ms")
      }
      if collective == .sendRecv && gpus != 2 {
        throw table.error(row, "num_workers", "send_recv joins exactly 2 GPUs, found \(gpus)")
      }
      result.collectives.append(
        CollectiveMeasurement(
          collective: collective, gpus: gpus, gpusPerNode: perNode, bytes: bytes, seconds: milliseconds * 1e-3,
          origin: MeasurementOrigin(file: table.file, line: row.line)))
    }
    return result
  }
}

/// Reasons for profiler timings LLMPlan does not use.
public enum ProfilerFormatReason {
  public static let rope = "the cost model books the rotary kernel inside `attention`, not as an operator of its own"
}

import Analytic
import PlanCore

/// Which implementation a collective timing measured.
public enum CollectiveImplementation: String, Sendable, Hashable, Codable, CaseIterable {
  case nccl
  /// The engine's custom all-reduce replayed from a captured CUDA graph.
  case customGraph = "custom_graph"
  /// The engine's custom all-reduce called eagerly (host launch, copy into its IPC buffer).
  case customEager = "custom_eager"

  /// True for the engine's custom kernel.
  public var isCustom: Bool { self != .nccl }
}

/// Reads NVIDIA AIConfigurator's collective tables (`nccl_perf`, `custom_allreduce_perf`,
/// exported to CSV): columns `op_name` (all_reduce, all_gather, reduce_scatter, alltoall),
/// `kernel_source` (NCCL, vLLM_custom_graph, vLLM_custom_eager), `num_gpus`, `message_size`
/// in ELEMENTS of the dtype column (`nccl_dtype` or `allreduce_dtype`), `latency` in
/// milliseconds. All GPUs of a row sit in one node (the tables were taken on one 8-GPU node).
///
/// Bytes = elements × dtype size. Checked against physics: the 8-GPU half all-reduce of 2²⁸
/// elements takes 2.11 ms; read as 2-byte elements (537 MB) that is a bus bandwidth of
/// 445 GB/s, just under the 450 GB/s per direction of H100 NVLink; read as bytes it would be
/// 222 GB/s and as 4-byte elements 890 GB/s (impossible).
///
/// Rows of 16-bit types (half, bfloat16) are read; others are skipped with a reason: a
/// tensor-parallel all-reduce moves 16-bit activations, and integer reductions take other
/// kernel paths (NVLink SHARP reduces only floating-point types), so their plateaus differ.
enum AIConfiguratorCollectives {
  static func matches(_ table: CSVTable) -> Bool {
    table.has("op_name") && table.has("message_size") && table.has("num_gpus") && table.has("latency")
      && (table.has("nccl_dtype") || table.has("allreduce_dtype"))
  }

  static let skippedDTypeReason =
    "only 16-bit (half, bfloat16) collectives are read: tensor-parallel activations are 16-bit, and integer reductions take other kernel paths"

  static func read(_ table: CSVTable) throws -> MeasurementSet {
    var result = MeasurementSet()
    let dtypeColumn = table.has("nccl_dtype") ? "nccl_dtype" : "allreduce_dtype"
    for row in table.rows {
      let name = try table.string(row, "op_name")
      guard let collective = Collective(rawValue: name) else {
        result.noteSkipped(
          name,
          reason:
            "not a collective LLMPlan costs (known: \(Collective.allCases.map(\.rawValue).joined(separator: ", ")))")
        continue
      }
      let source = (table.text(row, "kernel_source") ?? "NCCL").lowercased()
      let implementation: CollectiveImplementation
      if source.contains("custom") {
        implementation = source.contains("eager") ? .customEager : .customGraph
        guard collective == .allReduce else {
          throw table.error(row, "kernel_source", "a custom kernel is costed only for all_reduce, found \(name)")
        }
      } else if source == "nccl" {
        implementation = .nccl
      } else {
        throw table.error(
          row, "kernel_source", "must be NCCL or a custom all-reduce (…_custom_graph, …_custom_eager), found \(source)")
      }
      let dtype = try table.string(row, dtypeColumn).lowercased()
      let elementBytes: Double
      switch dtype {
      case "half", "float16", "fp16", "bfloat16", "bf16": elementBytes = 2
      case "int8", "fp8", "float8", "float", "float32", "fp32", "int32":
        result.noteSkipped("\(name) \(dtype)", reason: skippedDTypeReason)
        continue
      default:
        throw table.error(row, dtypeColumn, "unknown dtype \"\(dtype)\" (half, bfloat16, int8, float)")
      }
      let gpus = try table.positiveInt(row, "num_gpus")
      guard gpus >= 2 else { throw table.error(row, "num_gpus", "a collective needs at least 2 GPUs, found \(gpus)") }
      let elements = try table.double(row, "message_size")
      guard elements > 0, elements.isFinite else {
        throw table.error(row, "message_size", "must be a positive element count, found \(elements)")
      }
      let milliseconds = try table.double(row, "latency")
      guard milliseconds > 0, milliseconds.isFinite else {
        throw table.error(row, "latency", "a time must be positive, found \(milliseconds) ms")
      }
      var measurement = CollectiveMeasurement(
        collective: collective, gpus: gpus, gpusPerNode: gpus, bytes: elements * elementBytes,
        seconds: milliseconds * 1e-3, origin: MeasurementOrigin(file: table.file, line: row.line))
      measurement.implementation = implementation
      result.collectives.append(measurement)
    }
    return result
  }
}
